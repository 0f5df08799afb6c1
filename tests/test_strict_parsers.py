"""The one integer parser and the one JSON check (core/, docs/decisions.md #39, #40), as pure
functions: every field that takes an integer or JSON goes through them (tests/test_hostile_input.py
drives the same cases through the server)."""

from __future__ import annotations

import json

import pytest

from chinwag.core.integers import INT64_MAX, INT64_MIN, NotAnInteger, OutOfRange, is_int, parse_int
from chinwag.core.json_text import MAX_DEPTH, is_json, too_deep


@pytest.mark.parametrize(
    ("text", "value"), [("0", 0), ("-1", -1), ("007", 7), (str(INT64_MAX), INT64_MAX), (str(INT64_MIN), INT64_MIN)]
)
def test_integers_taken(text: str, value: int) -> None:
    assert parse_int(text) == value and is_int(text)


@pytest.mark.parametrize(
    "text", ["", "-", "+3", " 3", "3 ", "1_0", "٣", "१", "\uff13", "²", "0x1", "1.0", "1e1", "--1", "3\n", "\x003"]
)
def test_integers_refused(text: str) -> None:
    with pytest.raises(NotAnInteger):
        parse_int(text)
    assert not is_int(text)


@pytest.mark.parametrize("text", [str(INT64_MAX + 1), str(INT64_MIN - 1), "9" * 25, "1" * 5000, "-" + "1" * 5000])
def test_integers_out_of_range(text: str) -> None:
    with pytest.raises(OutOfRange):
        parse_int(text)


def test_integer_bounds_narrowed() -> None:
    assert parse_int("5", low=0, high=5) == 5
    with pytest.raises(OutOfRange):
        parse_int("-1", low=0)
    assert parse_int("0" * 5000 + "1") == 1  # leading zeros are not significant digits


@pytest.mark.parametrize(
    "text",
    [
        "{}",
        " [] ",
        "0",
        "-0.5e-7",
        "1e400",
        "1" * 5000,
        '"\\ud800"',
        "null",
        "true",
        json.dumps({"s": "[" * 5000}),
        '"\\"[[["',
        "[" * MAX_DEPTH + "]" * MAX_DEPTH,
        '{"a":' * MAX_DEPTH + "1" + "}" * MAX_DEPTH,
    ],
)
def test_json_taken(text: str) -> None:
    assert is_json(text)


@pytest.mark.parametrize(
    "text",
    [
        "",
        " ",
        "NaN",
        "[NaN]",
        "Infinity",
        "-Infinity",
        '{"a": Infinity}',
        "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1),
        "[" * 2000 + "]" * 2000,
        "[" * 200_000,
        '{"a":' * 5000,
        "\ufeff{}",
        "{'a': 1}",
        '{"a":1,}',
        "[1,]",
        "01",
        "1.",
        ".5",
        "+1",
        "٣",
        '"\t"',
        "\u00a0{}",
        "{} {}",
        "undefined",
    ],
)
def test_json_refused(text: str) -> None:
    assert not is_json(text)


def test_depth_counts_brackets_outside_strings_only() -> None:
    assert not too_deep('["' + "[" * 1000 + '"]')
    assert not too_deep('["\\"' + "[" * 1000 + '"]')  # an escaped quote does not end the string
    assert too_deep("[" * (MAX_DEPTH + 1))
