"""A faithful port of Go's ``time.ParseDuration``, the grammar of Consul's ``?wait=``.

Source: golang/go ``src/time/format.go``. It works on UTF-8 bytes, as Go does, so ``µs``
(U+00B5) and ``μs`` (U+03BC) are both microseconds, and it truncates fractions the same way.
"""

from __future__ import annotations

_UNITS: dict[bytes, int] = {
    b"ns": 1,
    b"us": 1_000,
    "µs".encode(): 1_000,  # U+00B5 micro sign
    "μs".encode(): 1_000,  # U+03BC greek small letter mu
    b"ms": 1_000_000,
    b"s": 1_000_000_000,
    b"m": 60_000_000_000,
    b"h": 3_600_000_000_000,
}
_MAX = 1 << 63
_DIGITS = b"0123456789"


def parse_go_duration(text: str) -> int:
    """The duration ``text`` denotes, in nanoseconds.

    Raises:
        ValueError: ``text`` is not a Go duration (the message mimics Go's).
    """
    s = text.encode("utf-8")
    negative = s[:1] == b"-"
    if s[:1] in (b"-", b"+"):
        s = s[1:]
    if s == b"0":
        return 0
    if not s:
        raise _invalid(text)
    total = 0
    while s:
        value, s = _component(text, s)
        total += value
        if total > _MAX:
            raise _invalid(text)
    if negative:
        return -total
    if total > _MAX - 1:
        raise _invalid(text)
    return total


def _component(text: str, s: bytes) -> tuple[int, bytes]:
    """One ``[0-9]*(.[0-9]*)?unit`` component: its nanoseconds and the rest of the input."""
    if s[0] not in b"." + _DIGITS:
        raise _invalid(text)
    whole, digits, s = _leading_int(text, s)
    fraction, scale, fraction_digits = 0, 1.0, 0
    if s[:1] == b".":
        fraction, scale, fraction_digits, s = _leading_fraction(s[1:])
    if not digits and not fraction_digits:
        raise _invalid(text)
    end = 0
    while end < len(s) and s[end] not in b"." + _DIGITS:
        end += 1
    if end == 0:
        raise ValueError(f'time: missing unit in duration "{text}"')
    unit_name, s = s[:end], s[end:]
    unit = _UNITS.get(unit_name)
    if unit is None:
        name = unit_name.decode("utf-8", "replace")
        raise ValueError(f'time: unknown unit "{name}" in duration "{text}"')
    if whole > _MAX // unit:
        raise _invalid(text)
    value = whole * unit
    if fraction > 0:
        # Go: v += int64(float64(f) * (float64(unit) / scale)), truncating toward zero.
        value += int(float(fraction) * (float(unit) / scale))
        if value > _MAX:
            raise _invalid(text)
    return value, s


def _leading_int(text: str, s: bytes) -> tuple[int, int, bytes]:
    value, i = 0, 0
    while i < len(s) and s[i] in _DIGITS:
        if value > _MAX // 10:
            raise _invalid(text)
        value = value * 10 + s[i] - 0x30
        if value > _MAX:
            raise _invalid(text)
        i += 1
    return value, i, s[i:]


def _leading_fraction(s: bytes) -> tuple[int, float, int, bytes]:
    """Digits after the dot; those past int64 precision are consumed but ignored (as Go)."""
    value, scale, i, overflow = 0, 1.0, 0, False
    while i < len(s) and s[i] in _DIGITS:
        if not overflow:
            if value > (_MAX - 1) // 10:
                overflow = True
            else:
                candidate = value * 10 + s[i] - 0x30
                if candidate > _MAX:
                    overflow = True
                else:
                    value, scale = candidate, scale * 10
        i += 1
    return value, scale, i, s[i:]


def _invalid(text: str) -> ValueError:
    return ValueError(f'time: invalid duration "{text}"')
