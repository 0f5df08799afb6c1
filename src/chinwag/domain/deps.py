"""What domain operations need besides a transaction: the clock and the SID factory."""

from __future__ import annotations

from dataclasses import dataclass

from chinwag.core.clock import Clock, iso
from chinwag.core.sids import SidFactory, SidPrefix


@dataclass(frozen=True, slots=True)
class Deps:
    clock: Clock
    sids: SidFactory

    def now(self) -> str:
        return iso(self.clock.now())

    def sid(self, prefix: SidPrefix) -> str:
        return self.sids.new(prefix)
