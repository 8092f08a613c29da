"""Times: epoch milliseconds in, RFC 3339 UTC with milliseconds out, and back."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest

from chronicle.timefmt import format_ms, parse_time


@pytest.mark.parametrize(
    ("ms", "text"),
    [
        (0, "1970-01-01T00:00:00.000Z"),
        (-1, "1969-12-31T23:59:59.999Z"),
        (1_761_955_200_123, "2025-11-01T00:00:00.123Z"),
        (1_767_225_599_999, "2025-12-31T23:59:59.999Z"),
    ],
)
def test_format_ms_writes_rfc3339_utc_with_milliseconds(ms, text):
    assert format_ms(ms) == text


def test_format_and_parse_agree_with_datetime_over_random_times():
    rng = random.Random(8)
    for _ in range(20_000):
        ms = rng.randint(-2_000_000_000_000, 4_000_000_000_000)
        text = format_ms(ms)
        expected = datetime.fromtimestamp(ms // 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S")
        assert text == f"{expected}.{ms % 1000:03d}Z"
        assert parse_time(text) == ms


@pytest.mark.parametrize(
    ("text", "ms"),
    [
        ("2025-11-01T00:00:00Z", 1_761_955_200_000),
        ("2025-11-01T01:00:00.5+01:00", 1_761_955_200_500),
        ("2025-11-01", 1_761_955_200_000),
        ("2025-11-01 00:00:00.123456", 1_761_955_200_123),
    ],
)
def test_parse_time_takes_other_rfc3339_forms(text, ms):
    assert parse_time(text) == ms


@pytest.mark.parametrize("text", ["yesterday", "2025-13-01T00:00:00.000Z", "2025-11-01T24:00:00.000Z"])
def test_parse_time_refuses_what_is_not_a_time(text):
    with pytest.raises(ValueError, match=r"not an ISO 8601 time|out of range|must be in"):
        parse_time(text)
