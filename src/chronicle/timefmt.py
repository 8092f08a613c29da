"""Times as Chronicle keeps them (integer milliseconds since the epoch, UTC) and as it writes them."""

from __future__ import annotations

import functools
import re
import time
from datetime import UTC, datetime, timedelta

_RFC3339 = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:?\d{2})?$"
)
_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_MS = timedelta(milliseconds=1)


def now_ms() -> int:
    """The current time in epoch milliseconds."""
    return time.time_ns() // 1_000_000


_TWO = [f"{i:02d}" for i in range(100)]
_THREE = [f"{i:03d}" for i in range(1000)]
_CLOCK = [f"{h:02d}:{m:02d}:" for h in range(24) for m in range(60)]


def format_ms(ms: int) -> str:
    """RFC 3339 UTC with milliseconds and ``Z``, the one format every response uses."""
    # Every event in every response is formatted twice, so this is built from lookup tables:
    # several times faster than strftime or an f-string over time.gmtime().
    seconds, millis = divmod(ms, 1000)
    days, rest = divmod(seconds, 86_400)
    minutes, secs = divmod(rest, 60)
    return f"{_date(days)}{_CLOCK[minutes]}{_TWO[secs]}.{_THREE[millis]}Z"


@functools.lru_cache(maxsize=4096)
def _date(days: int) -> str:
    stamp = time.gmtime(days * 86_400)
    return f"{stamp.tm_year:04d}-{stamp.tm_mon:02d}-{stamp.tm_mday:02d}T"


def parse_time(text: str) -> int:
    """Parse an ISO 8601 / RFC 3339 time into epoch milliseconds.

    A time without an offset is taken as UTC, as most clients mean it.

    Raises:
        ValueError: the text is not such a time.
    """
    if len(text) == 24 and text[10] == "T" and text[19] == "." and text[23] == "Z":
        # The canonical form (every time Chronicle writes, and most clients send): parsed in C.
        try:
            return (datetime.fromisoformat(text) - _EPOCH) // _ONE_MS
        except ValueError:
            pass  # not a valid time after all: the full parse below says why
    text = text.strip()
    if _DATE_ONLY.match(text):
        text += "T00:00:00Z"
    match = _RFC3339.match(text)
    if match is None:
        raise ValueError(f"not an ISO 8601 time: {text!r}")
    fraction = match.group(7) or ""
    offset = match.group(8) or "Z"
    normalized = text[: match.start(7)] if fraction else text[: match.end(6)]
    micro = (fraction[1:] + "000000")[:6] if fraction else "000000"
    if offset in ("Z", "z"):
        offset = "+00:00"
    elif ":" not in offset:
        offset = offset[:3] + ":" + offset[3:]
    parsed = datetime.fromisoformat(f"{normalized.replace(' ', 'T')}.{micro}{offset}")
    return (parsed - _EPOCH) // _ONE_MS


def to_datetime(ms: int) -> datetime:
    """Epoch milliseconds as an aware UTC datetime."""
    return datetime.fromtimestamp(ms / 1000, tz=UTC)
