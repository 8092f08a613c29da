"""Table-driven tests of the pure Consul translations: index, durations, filters, payloads."""

from __future__ import annotations

import base64

import pytest

from chronicle import models
from chronicle.dialects.consul import translate
from chronicle.dialects.consul.duration import parse_go_duration

NS, US, MS, S, M, H = 1, 10**3, 10**6, 10**9, 60 * 10**9, 3600 * 10**9


def _event(**fields: object) -> models.Event:
    base: dict[str, object] = {
        "seq": 7,
        "id": "cb9a81ad-fff6-52ac-92a7-5f70687805ec",
        "tenant_id": "default",
        "event_type": "deploy",
        "tags": (),
        "value": "",
        "payload": None,
        "payload_bytes": None,
        "occurred_at": 0,
        "received_at": 0,
        "actor_id": None,
        "actor_type": None,
        "resource_type": None,
        "resource_id": None,
        "correlation_id": None,
        "causation_id": None,
        "parent_ids": (),
        "outcome": None,
        "metadata": {},
        "attributes": {},
        "source": "native",
    }
    base.update(fields)
    return models.Event(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("event_id", "index"),
    [
        # Consul's own vector (agent/event_endpoint_test.go, TestUUIDToUint64).
        ("cb9a81ad-fff6-52ac-92a7-5f70687805ec", 6430540886266763072),
        ("CB9A81AD-FFF6-52AC-92A7-5F70687805EC", 6430540886266763072),
        ("00000000-0000-0000-0000-000000000001", 1),
        ("ffffffff-ffff-ffff-0000-000000000000", 0xFFFFFFFFFFFFFFFF),
        ("12345678-9abc-def0-1234-56789abcdef0", 0x123456789ABCDEF0 ^ 0x123456789ABCDEF0),
    ],
)
def test_uuid_index_is_consuls_xor_of_the_two_halves(event_id, index):
    assert translate.id_to_index(event_id) == index


@pytest.mark.parametrize(
    ("event_id", "index"),
    [
        # Not a UUID: the first 8 bytes of the id's UTF-8 SHA-256, big-endian.
        ("evt-1", 0x7B409F932D2C88E9),
        ("42", 0x73475CB40A568E8D),
        ("", 0xE3B0C44298FC1C14),
        ("cb9a81ad-fff6-52ac-92a7-5f70687805e", 0xBFB1FA4AF8C3879C),  # one hex digit short
    ],
)
def test_non_uuid_index_is_a_sha256_prefix(event_id, index):
    assert translate.id_to_index(event_id) == index


def test_list_index_is_the_last_events_and_one_when_empty():
    first = _event(id="00000000-0000-0000-0000-000000000005", seq=1)
    last = _event(id="cb9a81ad-fff6-52ac-92a7-5f70687805ec", seq=2)
    assert translate.list_index([first, last]) == 6430540886266763072
    assert translate.list_index([]) == 1
    # A zero index is never sent (Consul's setIndex sends 1 instead).
    assert translate.list_index([_event(id="00000000-0000-0000-0000-000000000000")]) == 1


# Go's parseDurationTests (src/time/time_test.go).
GO_DURATIONS = [
    ("0", 0),
    ("5s", 5 * S),
    ("30s", 30 * S),
    ("1478s", 1478 * S),
    ("-5s", -5 * S),
    ("+5s", 5 * S),
    ("-0", 0),
    ("+0", 0),
    ("5.0s", 5 * S),
    ("5.6s", 5 * S + 600 * MS),
    ("5.s", 5 * S),
    (".5s", 500 * MS),
    ("1.0s", 1 * S),
    ("1.00s", 1 * S),
    ("1.004s", 1 * S + 4 * MS),
    ("1.0040s", 1 * S + 4 * MS),
    ("100.00100s", 100 * S + 1 * MS),
    ("10ns", 10 * NS),
    ("11us", 11 * US),
    ("12µs", 12 * US),  # U+00B5
    ("12μs", 12 * US),  # U+03BC
    ("13ms", 13 * MS),
    ("14s", 14 * S),
    ("15m", 15 * M),
    ("16h", 16 * H),
    ("3h30m", 3 * H + 30 * M),
    ("10.5s4m", 4 * M + 10 * S + 500 * MS),
    ("-2m3.4s", -(2 * M + 3 * S + 400 * MS)),
    ("1h2m3s4ms5us6ns", 1 * H + 2 * M + 3 * S + 4 * MS + 5 * US + 6 * NS),
    ("39h9m14.425s", 39 * H + 9 * M + 14 * S + 425 * MS),
    ("52763797000ns", 52763797000 * NS),
    ("0.3333333333333333333h", 20 * M),
    ("9007199254740993ns", (1 << 53) + 1),
    ("9223372036854775807ns", (1 << 63) - 1),
    ("9223372036854775.807us", (1 << 63) - 1),
    ("9223372036s854ms775us807ns", (1 << 63) - 1),
    ("-9223372036854775808ns", -(1 << 63)),
    ("-9223372036854775.808us", -(1 << 63)),
    ("-9223372036s854ms775us808ns", -(1 << 63)),
    ("-2562047h47m16.854775808s", -(1 << 63)),
    ("0.100000000000000000000h", 6 * M),
    ("0.830103483285477580700h", 49 * M + 48 * S + 372539827 * NS),
    # What Consul clients send: the Go api's durToMsec and py-consul's "10s".
    ("300000ms", 300 * S),
    ("1ms", 1 * MS),
]


@pytest.mark.parametrize(("text", "nanos"), GO_DURATIONS)
def test_go_duration_parses_as_go_does(text, nanos):
    assert parse_go_duration(text) == nanos


# Go's parseDurationErrorTests, plus a few Consul-relevant non-durations.
GO_DURATION_ERRORS = [
    "",
    "3",
    "-",
    "s",
    ".",
    "-.",
    ".s",
    "+.s",
    "1d",
    "\x85\x85",
    "\ufffd",
    "\ufffd hello \ufffd world",
    "9223372036854775810ns",
    "9223372036854775808ns",
    "-9223372036854775809ns",
    "9223372036854776us",
    "3000000h",
    "9223372036854775.808us",
    "9223372036854ms775us808ns",
    "5S",
    "1sec",
    "1 s",
    " 5s",
    "5s ",
    "1.5",
    "1h-5m",
]


@pytest.mark.parametrize("text", GO_DURATION_ERRORS)
def test_go_duration_rejects_what_go_rejects(text):
    with pytest.raises(ValueError, match=r"^time: "):
        parse_go_duration(text)


def test_go_duration_error_messages_match_go():
    with pytest.raises(ValueError, match=r'^time: missing unit in duration "3"$'):
        parse_go_duration("3")
    with pytest.raises(ValueError, match=r'^time: unknown unit "d" in duration "1d"$'):
        parse_go_duration("1d")
    with pytest.raises(ValueError, match=r'^time: invalid duration "-"$'):
        parse_go_duration("-")


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        (None, 300.0),  # API.md's default, also py-consul's assumption
        ("0", 300.0),
        ("0s", 300.0),
        ("5s", 5.0),
        ("1.5s", 1.5),
        ("1ms", 0.001),
        ("10m", 600.0),
        ("11m", 600.0),  # capped at 10 minutes
        ("100h", 600.0),
        ("-5s", 600.0),  # the agent would wait without limit; Chronicle caps it
    ],
)
def test_effective_wait(text, seconds):
    assert translate.effective_wait(text) == seconds


@pytest.mark.parametrize(
    ("text", "index"),
    [("0", 0), ("1", 1), ("007", 7), ("18446744073709551615", (1 << 64) - 1)],
)
def test_index_parses_as_go_parseuint(text, index):
    assert translate.parse_index(text) == index


@pytest.mark.parametrize(
    "text", ["", "-1", "+1", " 1", "1 ", "1_000", "0x10", "1.0", "18446744073709551616", "١٢", "abc"]
)
def test_index_rejects_what_go_parseuint_rejects(text):
    with pytest.raises(ValueError):
        translate.parse_index(text)


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        ({"tag": "v1"}, "Cannot provide tag filter without service filter"),
        ({"node": "("}, "Invalid node filter: error parsing regexp: "),
        ({"service": "["}, "Invalid service filter: error parsing regexp: "),
        ({"service": "web", "tag": "*"}, "Invalid tag filter: error parsing regexp: "),
        (
            {"node": "(?=x)"},
            "Invalid node filter: error parsing regexp: invalid or unsupported Perl syntax: `(?=`",
        ),
        (
            {"node": "(?<!x)y"},
            "Invalid node filter: error parsing regexp: invalid or unsupported Perl syntax",
        ),
        ({"node": r"(a)\1"}, r"Invalid node filter: error parsing regexp: invalid escape sequence: `\1`"),
        # Checked in Consul's order: tag-without-service first, then node, service, tag.
        ({"node": "(", "tag": "x"}, "Cannot provide tag filter without service filter"),
        ({"node": "(", "service": "["}, "Invalid node filter"),
    ],
)
def test_bad_filters_are_refused_with_consuls_message(filters, message):
    with pytest.raises(translate.FireError) as caught:
        translate.check_filters(filters)
    assert str(caught.value).startswith(message)


@pytest.mark.parametrize(
    "filters",
    [
        {},
        {"node": ""},
        {"node": "web-.*"},
        {"service": "api", "tag": "v[12]"},
        {"node": r"\\1"},
        {"node": "[[:alpha:]]+"},
    ],
)
def test_good_filters_pass(filters):
    translate.check_filters(filters)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "Missing name"),
        ("n" * 257, "Invalid name: at most 256 characters"),
        ("a\x00b", "Invalid name: must not contain NUL characters"),
    ],
)
def test_bad_names_are_refused(name, message):
    with pytest.raises(translate.FireError, match=f"^{message}$"):
        translate.check_name(name)


@pytest.mark.parametrize("name", ["deploy", "_rexec", "a/b c", "é" * 256])
def test_good_names_pass(name):
    translate.check_name(name)


def test_fire_maps_to_a_canonical_event():
    new = translate.to_new_event("deploy", b"\x00\xff", {"node": "web", "service": "", "tag": ""}, "the-id")
    assert new == models.NewEvent(
        event_type="deploy",
        id="the-id",
        payload_bytes=b"\x00\xff",
        attributes={"consul.node": "web"},
        source="consul",
    )
    assert translate.to_new_event("deploy", b"", {}, "x").payload_bytes is None


@pytest.mark.parametrize(
    ("fields", "payload"),
    [
        ({"payload_bytes": b"\x00\xffhi"}, b"\x00\xffhi"),
        ({}, None),
        ({"payload": "text é"}, "text é".encode()),
        ({"payload": ""}, None),
        ({"payload": {"b": 1, "a": [True, None]}}, b'{"b":1,"a":[true,null]}'),
        ({"payload": 3}, b"3"),
        ({"payload": False}, b"false"),
    ],
)
def test_payload_of_any_event(fields, payload):
    assert translate.payload_bytes(_event(**fields)) == payload


def test_user_event_shape():
    event = _event(
        payload_bytes=b"1609030",
        attributes={"consul.node": "n", "consul.service": "s", "consul.tag": "t"},
    )
    assert list(translate.to_user_event(event).items()) == [
        ("ID", "cb9a81ad-fff6-52ac-92a7-5f70687805ec"),
        ("Name", "deploy"),
        ("Payload", base64.b64encode(b"1609030").decode()),
        ("NodeFilter", "n"),
        ("ServiceFilter", "s"),
        ("TagFilter", "t"),
        ("Version", 1),
        ("LTime", 7),
    ]


def test_go_json_escapes_like_encoding_json():
    assert (
        translate.go_json({"Name": "a<b>&c\u2028é"}) == '{"Name":"a\\u003cb\\u003e\\u0026c\\u2028é"}'.encode()
    )
    assert translate.go_json([1], pretty=True) == b"[\n    1\n]\n"
