"""Which addresses a webhook may be delivered to (docs/decisions.md #75).

A webhook URL is chosen by whoever holds an account's credentials; on a shared server it must not
reach the operator's own network. Outside emulator mode only public (globally routable) addresses
are allowed, plus the operator's `--webhook-allow CIDR` ranges; emulator mode also allows loopback,
where the developer's app runs. The check is made on the address actually connected to: the
sender resolves the name once, checks, and connects to that address (sender.py), so a DNS answer
that changes between check and connect (rebinding) cannot slip through.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class Refused(Exception):
    """The target resolves only to addresses this server may not deliver to."""


def parse_networks(text: str) -> tuple[Network, ...]:
    """`--webhook-allow` values: CIDRs or single addresses, separated by commas or spaces."""
    nets = []
    for part in text.replace(",", " ").split():
        nets.append(ipaddress.ip_network(part, strict=False))
    return tuple(nets)


@dataclass(frozen=True)
class Guard:
    allow: tuple[Network, ...] = ()
    emulator: bool = False

    def permits(self, addr: Address) -> bool:
        if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
            addr = addr.ipv4_mapped
        if any(addr in net for net in self.allow):
            return True
        if self.emulator and addr.is_loopback:
            return True
        return addr.is_global and not addr.is_multicast

    async def resolve(self, host: str, port: int) -> str:
        """The first permitted address `host` resolves to, as text; `Refused` when none is."""
        try:
            literal: Address | None = ipaddress.ip_address(host.strip("[]"))
        except ValueError:
            literal = None
        if literal is not None:
            candidates = [literal]
        else:
            infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
            candidates = [ipaddress.ip_address(info[4][0]) for info in infos]
        for addr in candidates:
            if self.permits(addr):
                return str(addr)
        shown = ", ".join(str(a) for a in candidates) or "nothing"
        raise Refused(
            f"refused: {host} resolves to {shown}, not a public address"
            " (allow it with chinwag serve --webhook-allow CIDR)"
        )
