"""SIDs: a two-letter prefix and 32 lowercase hex digits, all minted by one factory."""

from __future__ import annotations

import os
import random
import re
from enum import StrEnum


class SidPrefix(StrEnum):
    ACCOUNT = "AC"
    SERVICE = "IS"
    ROLE = "RL"
    USER = "US"
    CONVERSATION = "CH"
    PARTICIPANT = "MB"
    MESSAGE = "IM"
    WEBHOOK = "WH"
    MESSAGING_SERVICE = "MG"
    CONTENT = "HX"  # Content API templates (a message's ContentSid)
    MEDIA = "ME"  # a message's MediaSid (media are not stored; the SID is checked for shape)
    STUDIO_FLOW = "FW"  # a conversation webhook's Configuration.FlowSid
    API_KEY = "SK"  # API keys (the 2010 Keys resource)


_HEX32 = re.compile(r"[0-9a-fA-F]{32}")


class SidFactory:
    """Mints SIDs. Random by default; seeded for deterministic tests."""

    def __init__(self, seed: int | None = None) -> None:
        self._rng = random.Random(seed) if seed is not None else None

    def new(self, prefix: SidPrefix) -> str:
        raw = self._rng.randbytes(16) if self._rng is not None else os.urandom(16)
        return prefix.value + raw.hex()

    def token(self) -> str:
        """An auth token: 32 lowercase hex digits, like Twilio's."""
        raw = self._rng.randbytes(16) if self._rng is not None else os.urandom(16)
        return raw.hex()


def looks_like(value: str, prefix: SidPrefix) -> bool:
    """True when value has the shape of a SID of that kind (prefix + 32 hex)."""
    return len(value) == 34 and value.startswith(prefix.value) and _HEX32.fullmatch(value, 2) is not None
