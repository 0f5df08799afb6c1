"""`core/clock.iso`, Twilio's wire date, remembers the last second it formatted: the answer must
still follow the argument, whatever was asked before and from whichever thread."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from chinwag.core.clock import iso


def test_iso_follows_its_argument_across_seconds_and_back() -> None:
    assert iso(1_700_000_000.9) == "2023-11-14T22:13:20Z"
    assert iso(1_700_000_000.1) == "2023-11-14T22:13:20Z"
    assert iso(1_700_000_001.0) == "2023-11-14T22:13:21Z"
    assert iso(1_700_000_000.0) == "2023-11-14T22:13:20Z"
    early = datetime(237, 3, 4, 5, 6, 7, tzinfo=UTC).timestamp()
    assert iso(early) == "0237-03-04T05:06:07Z"  # padded, so stored dates sort


def test_iso_from_many_threads_gives_each_its_own_second() -> None:
    wrong: list[tuple[int, str]] = []

    def work(offset: int) -> None:
        for i in range(2_000):
            second = 1_700_000_000 + (i + offset) % 7
            expected = f"2023-11-14T22:13:{20 + (i + offset) % 7:02d}Z"
            if iso(second) != expected:
                wrong.append((second, iso(second)))

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert wrong == []
