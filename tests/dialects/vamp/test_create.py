"""Vamp create: ``POST /vamp/api/v1/events`` in JSON or YAML, and every refusal."""

from __future__ import annotations

import time

import orjson
import pytest
import yaml

from chronicle.timefmt import now_ms, parse_time
from tests.dialects.vamp.helpers import EVENTS, YAML, native_events


async def test_the_minimum_resource_is_accepted_in_json_or_yaml_alone_or_in_a_one_element_list(app_client):
    """JSON and YAML, with and without content type, bare or as the documented one-element list."""
    before = now_ms()
    r = await app_client.post(EVENTS, json={"tags": ["custom_tag"]})
    after = now_ms()
    assert r.status_code == 201, r.text
    assert r.headers["content-type"] == "application/json"
    body = r.json()
    assert list(body) == ["id", "tags", "value", "timestamp", "type"]
    assert body["tags"] == ["custom_tag"]
    assert body["value"] == ""
    assert body["type"] == "event"
    assert before <= parse_time(body["timestamp"]) <= after
    assert body["timestamp"].endswith("Z")

    [native] = await native_events(app_client)
    assert native["id"] == body["id"]
    assert native["source"] == "vamp"
    assert native["eventType"] == "event"
    assert native["tags"] == ["custom_tag"]
    assert native["value"] == ""
    assert native["occurredAt"] == body["timestamp"]

    r = await app_client.post(
        EVENTS,
        content=b"tags:\n  - custom_tag\n",
        headers={"Content-Type": YAML, "Accept": YAML},
    )
    assert r.status_code == 201, r.text
    assert r.headers["content-type"] == YAML
    body = yaml.safe_load(r.text)
    assert body["tags"] == ["custom_tag"]
    assert body["value"] == ""
    assert body["type"] == "event"
    assert "value: ''" in r.text  # block style, as Vamp's SnakeYAML output
    r = await app_client.post(EVENTS, content=b"- tags:\n  - custom_tag\n", headers={"Content-Type": YAML})
    assert r.status_code == 201, r.text
    assert r.json()["tags"] == ["custom_tag"]
    r = await app_client.post(EVENTS, json=[{"tags": "listed"}])
    assert r.status_code == 201, r.text
    # A trailing slash, and bodies without a content type (JSON first, then YAML).
    r = await app_client.post(EVENTS + "/", content=b'{"tags": ["json-untyped"]}')
    assert r.status_code == 201, r.text
    r = await app_client.post(EVENTS, content=b"tags: yaml-untyped\n")
    assert r.status_code == 201, r.text
    assert r.json()["tags"] == ["yaml-untyped"]
    stored = [e["tags"] for e in await native_events(app_client)]
    assert sorted(stored) == sorted(
        [["custom_tag"], ["custom_tag"], ["custom_tag"], ["listed"], ["json-untyped"], ["yaml-untyped"]]
    )


async def test_fields_map_onto_the_canonical_event(app_client):
    """type, tags (a string or a list; combined tags expanded), value, timestamp."""
    r = await app_client.post(
        EVENTS,
        json={
            "tags": ["scales:large", "archive:delete"],
            "value": "done",
            "timestamp": "2017-01-10T17:33:49.766+02:00",
            "type": "archive",
        },
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["tags"] == ["scales", "scales:large", "archive", "archive:delete"]
    assert body["value"] == "done"
    assert body["timestamp"] == "2017-01-10T15:33:49.766Z"
    assert body["type"] == "archive"
    native = (await app_client.get(f"/api/v1/events/{body['id']}")).json()
    assert native["eventType"] == "archive"
    assert native["tags"] == body["tags"]
    assert native["occurredAt"] == "2017-01-10T15:33:49.766Z"
    assert native["payload"] is None
    r = await app_client.post(EVENTS, json={"tags": "deployments:web"})
    assert r.status_code == 201, r.text
    assert r.json()["tags"] == ["deployments", "deployments:web"]
    r = await app_client.post(EVENTS, content=b"tags: solo\n", headers={"Content-Type": YAML})
    assert r.status_code == 201, r.text
    assert r.json()["tags"] == ["solo"]
    r = await app_client.post(EVENTS, json={"tags": ["m"], "value": {"responseTime": 5, "ok": True}})
    assert r.status_code == 201, r.text
    assert r.json()["value"] == '{"responseTime":5,"ok":true}'
    native = (await app_client.get(f"/api/v1/events/{r.json()['id']}")).json()
    assert native["value"] == '{"responseTime":5,"ok":true}'
    assert native["payload"] == {"responseTime": 5, "ok": True}

    r = await app_client.post(EVENTS, content=b"tags: [m]\nvalue: 12.5\n", headers={"Content-Type": YAML})
    assert r.json()["value"] == "12.5"
    r = await app_client.post(
        EVENTS,
        content=b"tags: [t]\ntimestamp: 2017-01-10T15:33:49.766Z\ntype: a-b_c1\n",
        headers={"Content-Type": YAML},
    )
    assert r.status_code == 201, r.text
    assert r.json()["timestamp"] == "2017-01-10T15:33:49.766Z"
    assert r.json()["type"] == "a-b_c1"


BOMB = b"""\
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
tags: [x]
value: *i
"""

BAD_BODIES = [
    pytest.param({"tags": []}, None, "Publishing an event without tags is not allowed.", id="empty-tags"),
    pytest.param({"value": "x"}, None, "Can't find any value for path: /tags", id="missing-tags"),
    pytest.param({"tags": None}, None, "Can't find any value for path: /tags", id="null-tags"),
    pytest.param(
        {"tags": ["t"], "type": "bad type!"},
        None,
        "Unsupported event type 'bad type!', only alphanumerics, '-' and '_' are allowed.",
        id="bad-type",
    ),
    pytest.param(
        {"tags": ["t"], "type": "über"},
        None,
        "Unsupported event type 'über', only alphanumerics, '-' and '_' are allowed.",
        id="non-ascii-type",
    ),
    pytest.param(
        {"tags": ["t"], "type": ""},
        None,
        "Unsupported event type '', only alphanumerics, '-' and '_' are allowed.",
        id="empty-type",
    ),
    pytest.param(
        {"tags": ["t"], "timestamp": "yesterday"},
        None,
        "Event timestamp cannot be parsed: 'yesterday'.",
        id="bad-timestamp",
    ),
    pytest.param(
        {"tags": ["t"], "timestamp": 1483228800000},
        None,
        "Event timestamp cannot be parsed: '1483228800000'.",
        id="numeric-timestamp",
    ),
    pytest.param({"tags": ["t"], "foo": "bar"}, None, 'Unexpected in DSL: {"foo":"bar"}', id="unknown-key"),
    pytest.param({"tags": ["t"], "id": "mine"}, None, 'Unexpected in DSL: {"id":"mine"}', id="id-key"),
    pytest.param({"tags": [["nested"]]}, None, "Unexpected type for path '/tags'.", id="nested-tag"),
    pytest.param(
        {"tags": [""]}, None, "Unsupported event tag '', a tag has 1 to 256 characters.", id="empty-tag"
    ),
    pytest.param(
        {"tags": [f"t{i}" for i in range(101)]},
        None,
        "An event may have at most 100 tags, counting expanded combined tags.",
        id="too-many-tags",
    ),
    pytest.param(
        {"tags": ["t"], "value": "x" * 10_001},
        None,
        "Event value is too large: at most 10000 characters.",
        id="huge-value",
    ),
    pytest.param(
        [{"tags": ["a"]}, {"tags": ["b"]}], None, "Unexpected type for path '/'.", id="two-element-list"
    ),
    pytest.param([], None, "Unexpected type for path '/'.", id="empty-list"),
    pytest.param("just text", None, "Unexpected type for path '/'.", id="scalar"),
    pytest.param(b"", "application/json", "Unexpected type for path '/'.", id="empty-body"),
    pytest.param(b'{"tags": ["t"]', "application/json", "Error: ", id="malformed-json"),
    pytest.param(b"tags: [t\nvalue: : :", YAML, "Error: ", id="malformed-yaml"),
    pytest.param(
        b"tags: [t]\nvalue: !!python/object/apply:os.system [echo]\n", YAML, "Error: ", id="python-tag"
    ),
    pytest.param(b"tags: [t]\nvalue: !!binary aGVsbG8=\n", YAML, "Error: unsupported value", id="binary"),
    pytest.param(b"tags: [t]\n---\ntags: [u]\n", YAML, "Error: ", id="two-documents"),
    pytest.param(b"tags: [t]\nvalue: " + b"[" * 200 + b"]" * 200, YAML, "Error: ", id="deep-yaml"),
    pytest.param(
        b'{"tags": ["t"], "value": ' + b"[" * 500 + b"]" * 500 + b"}",
        "application/json",
        "Error: ",
        id="deep-json",
    ),
    pytest.param(b'{"tags": ["t\\u0000"]}', "application/json", "Error: NUL characters", id="nul"),
    pytest.param(b"\xff\xfe", "application/json", "Error: the body is not UTF-8 text", id="not-utf8"),
]


async def test_bad_input_is_refused_with_vamps_message_and_nothing_is_written(app_client):
    # One database for all cases (a fresh PostgreSQL database per case would dominate the runtime).
    for case in BAD_BODIES:
        body, content_type, message = case.values
        if isinstance(body, bytes):
            r = await app_client.post(EVENTS, content=body, headers={"Content-Type": content_type})
        else:
            r = await app_client.post(EVENTS, json=body)
        assert r.status_code == 400, (case.id, r.text)
        assert list(r.json()) == ["message"], case.id
        assert r.json()["message"].startswith(message), (case.id, r.json())
    assert await native_events(app_client) == []


async def test_a_yaml_bomb_and_an_oversized_body_are_refused_quickly(app_client):
    """Aliases are refused before anything expands; bodies over the limit get a 413; errors follow Accept."""
    started = time.monotonic()
    r = await app_client.post(EVENTS, content=BOMB, headers={"Content-Type": YAML})
    elapsed = time.monotonic() - started
    assert r.status_code == 400, r.text
    assert r.json() == {"message": "Error: YAML aliases are not allowed"}
    assert elapsed < 2.0
    # Sent without a content type, the bomb goes down the JSON-then-YAML path and is refused too.
    r = await app_client.post(EVENTS, content=BOMB)
    assert r.status_code == 400
    assert await native_events(app_client) == []

    big = orjson.dumps({"tags": ["t"], "value": "x" * 300_000})
    r = await app_client.post(EVENTS, content=big, headers={"Content-Type": "application/json"})
    assert r.status_code == 413
    assert list(r.json()) == ["message"]
    assert await native_events(app_client) == []

    r = await app_client.post(EVENTS, json={"tags": []}, headers={"Accept": YAML})
    assert r.status_code == 400
    assert r.headers["content-type"] == YAML
    assert yaml.safe_load(r.text) == {"message": "Publishing an event without tags is not allowed."}
