"""Twilio's request parameters: form-encoded bodies and query strings, PascalCase, dotted keys.

Python's requests encodes spaces as `+`, Node's qs as `%20`; `parse_qsl` decodes both. Repeated
keys (`Permission=a&Permission=b`) are kept in order. Unknown parameters are ignored, as Twilio does.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from chinwag.core.errors import invalid


class Params:
    __slots__ = ("_first", "_pairs")

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self._pairs = pairs
        self._first: dict[str, str] = {}
        for key, value in pairs:
            self._first.setdefault(key, value)

    @classmethod
    def parse(cls, raw: bytes | str) -> Params:
        if not raw:
            return cls([])
        try:
            text = raw.decode("utf-8", errors="strict") if isinstance(raw, bytes) else raw
            # errors="strict": `%ff` is refused, not turned into U+FFFD (docs/decisions.md #41).
            pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=False, errors="strict")
        except (ValueError, UnicodeDecodeError):
            raise invalid("The request parameters could not be decoded: they must be UTF-8") from None
        for key, value in pairs:
            if "\x00" in value or "\x00" in key:  # no text column (PostgreSQL) can hold NUL
                raise invalid(f"Invalid value for {key.replace(chr(0), '')}: NUL characters are not allowed")
        return cls(pairs)

    def get(self, name: str) -> str | None:
        return self._first.get(name)

    def getlist(self, name: str) -> list[str]:
        return [v for k, v in self._pairs if k == name]

    def __contains__(self, name: object) -> bool:
        return name in self._first

    def pairs(self) -> list[tuple[str, str]]:
        """Every parameter as sent, in order."""
        return list(self._pairs)

    def encoded(self, *names: str) -> list[tuple[str, str]]:
        """The given parameters as sent, for echoing filters into meta URLs."""
        return [(k, v) for k, v in self._pairs if k in names]


def query_string(pairs: list[tuple[str, str]]) -> str:
    return urlencode(pairs)


def check_query_string(raw: bytes) -> None:
    """Refuse a query string that is not UTF-8 once decoded, on every endpoint, also those that
    read no parameter from it (docs/decisions.md #41). Plain ASCII without escapes needs no work."""
    if raw and (b"%" in raw or not raw.isascii()):
        Params.parse(raw)
