"""Assertions on Twilio errors as the SDK raises them: status AND code, always."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from twilio.base.exceptions import TwilioRestException


@contextmanager
def twilio_error(status: int, code: int, message: str | None = None) -> Iterator[None]:
    with pytest.raises(TwilioRestException) as caught:
        yield
    exc = caught.value
    assert (exc.status, exc.code) == (status, code), f"got {exc.status}/{exc.code}: {exc.msg}"
    if message is not None:
        assert message in exc.msg, exc.msg
