"""The Consul dialect over HTTP, on both backends: shapes, mapping, auth, limits, errors."""

from __future__ import annotations

import base64
import dataclasses
import uuid

from chronicle.dialects.consul import translate
from tests.conftest import ADMIN_KEY, client_for
from tests.dialects.consul.conftest import make_key, native_events

USER_EVENT_FIELDS = ["ID", "Name", "Payload", "NodeFilter", "ServiceFilter", "TagFilter", "Version", "LTime"]


async def fire(client, name, body=b"", **params):
    return await client.put(f"/v1/event/fire/{name}", params=params, content=body)


async def test_fire_answers_the_user_event_with_ltime_as_seq(app_client):
    r = await fire(app_client, "deploy", b"1609030")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/json"
    body = r.json()
    assert list(body) == USER_EVENT_FIELDS
    assert uuid.UUID(body["ID"]).version == 4
    assert body == {
        "ID": body["ID"],
        "Name": "deploy",
        "Payload": "MTYwOTAzMA==",
        "NodeFilter": "",
        "ServiceFilter": "",
        "TagFilter": "",
        "Version": 1,
        "LTime": body["LTime"],
    }
    [stored] = await native_events(app_client)
    assert stored["id"] == body["ID"]
    assert stored["seq"] == body["LTime"]
    assert stored["eventType"] == "deploy"
    assert stored["source"] == "consul"
    assert stored["payloadBase64"] == "MTYwOTAzMA=="


async def test_binary_payload_round_trips_exactly_and_empty_is_null(app_client):
    payload = bytes(range(256)) + b"\xff\xfe\x00"
    fired = (await fire(app_client, "blob", payload)).json()
    assert base64.b64decode(fired["Payload"]) == payload
    assert (await fire(app_client, "ping")).json()["Payload"] is None
    blob, ping = (await app_client.get("/v1/event/list")).json()
    assert base64.b64decode(blob["Payload"]) == payload
    assert ping["Payload"] is None
    ping_stored, blob_stored = await native_events(app_client)
    assert base64.b64decode(blob_stored["payloadBase64"]) == payload
    assert blob_stored["payload"] is None  # not UTF-8, so no text form
    assert ping_stored["payload"] is None
    assert "payloadBase64" not in ping_stored


async def test_filters_are_echoed_kept_as_attributes_and_listed(app_client):
    r = await fire(app_client, "deploy", b"x", node="web-.*", service="api", tag="v[12]", dc="dc9")
    assert r.status_code == 200, r.text
    fired = r.json()
    assert (fired["NodeFilter"], fired["ServiceFilter"], fired["TagFilter"]) == ("web-.*", "api", "v[12]")
    [listed] = (await app_client.get("/v1/event/list")).json()
    assert listed == fired
    [stored] = await native_events(app_client)
    assert stored["attributes"] == {"consul.node": "web-.*", "consul.service": "api", "consul.tag": "v[12]"}
    filtered = await native_events(app_client, **{"meta.consul.node": "web-.*"})
    assert [e["id"] for e in filtered] == []  # attributes are not user metadata


async def test_name_is_the_decoded_rest_of_the_path_up_to_256_characters(app_client):
    r = await app_client.put("/v1/event/fire/team%2Fapp/deploy%20now%C3%A9", content=b"")
    assert r.status_code == 200, r.text
    assert r.json()["Name"] == "team/app/deploy nowé"
    r = await fire(app_client, "_reserved")
    assert r.status_code == 200  # like the agent: "_" names are accepted
    assert (await fire(app_client, "n" * 256)).status_code == 200
    r = await fire(app_client, "n" * 257)
    assert (r.status_code, r.text) == (400, "Invalid name: at most 256 characters")
    r = await app_client.put("/v1/event/fire/a%00b")
    assert (r.status_code, r.text) == (400, "Invalid name: must not contain NUL characters")
    assert len(await native_events(app_client)) == 3


async def test_missing_name_is_refused_and_nothing_written(app_client):
    for path in ("/v1/event/fire/", "/v1/event/fire", "/v1/event/fire?name=x"):
        r = await app_client.put(path, content=b"payload")
        assert (r.status_code, r.text) == (400, "Missing name"), path
        assert r.headers["content-type"] == "text/plain; charset=utf-8"
    assert await native_events(app_client) == []


BAD_FILTERS = [
    ({"node": "("}, "Invalid node filter: error parsing regexp: missing ), unterminated subpattern: `(`"),
    ({"service": "[a"}, "Invalid service filter: error parsing regexp: "),
    ({"service": "api", "tag": "a**"}, "Invalid tag filter: error parsing regexp: "),
    (
        {"node": "(?!x)"},
        "Invalid node filter: error parsing regexp: invalid or unsupported Perl syntax: `(?!`",
    ),
    ({"tag": "v1"}, "Cannot provide tag filter without service filter"),
    ({"node": "a\x00"}, "Invalid node filter: must not contain NUL characters"),
]


async def test_bad_filter_is_a_400_naming_it_and_nothing_written(app_client):
    for params, message in BAD_FILTERS:
        r = await fire(app_client, "deploy", b"x", **params)
        assert r.status_code == 400, params
        assert r.text.startswith(message), r.text
    assert await native_events(app_client) == []


async def test_oversized_payload_is_refused_and_nothing_written(app_client):
    r = await fire(app_client, "deploy", b"a" * 513)
    assert r.status_code == 413
    assert r.text == "error broadcasting event: user event exceeds configured limit of 512 bytes"

    async def chunks():  # no Content-Length: refused while reading
        for _ in range(10):
            yield b"a" * 100

    r = await app_client.put("/v1/event/fire/deploy", content=chunks())
    assert r.status_code == 413
    assert await native_events(app_client) == []
    assert (await fire(app_client, "deploy", b"a" * 512)).status_code == 200


async def test_payload_limit_is_configurable(settings):
    async with client_for(dataclasses.replace(settings, consul_max_payload=4)) as client:
        assert (await fire(client, "x", b"abcde")).status_code == 413
        assert (await fire(client, "x", b"abcd")).status_code == 200
        assert len(await native_events(client)) == 1


WRONG_METHODS = [
    ("GET", "/v1/event/fire/deploy", "OPTIONS,PUT"),
    ("POST", "/v1/event/fire/deploy", "OPTIONS,PUT"),
    ("DELETE", "/v1/event/fire/", "OPTIONS,PUT"),
    ("PUT", "/v1/event/list", "OPTIONS,GET"),
    ("POST", "/v1/event/list", "OPTIONS,GET"),
    ("DELETE", "/v1/event/list", "OPTIONS,GET"),
]


async def test_other_methods_are_405_with_allow_and_other_paths_404(app_client):
    for method, path, allow in WRONG_METHODS:
        r = await app_client.request(method, path, content=b"x")
        assert r.status_code == 405, (method, path)
        assert r.text == f"method {method} not allowed"
        assert r.headers["allow"] == allow
    r = await app_client.head("/v1/event/list")
    assert (r.status_code, r.headers["allow"]) == (405, "OPTIONS,GET")
    r = await app_client.options("/v1/event/fire/deploy")
    assert (r.status_code, r.headers["allow"], r.content) == (200, "OPTIONS,PUT", b"")
    r = await app_client.options("/v1/event/list")
    assert (r.status_code, r.headers["allow"]) == (200, "OPTIONS,GET")
    for path in ("/v1/event/list/", "/v1/event/nope", "/v1/event/"):
        r = await app_client.get(path)
        assert (r.status_code, r.text) == (404, "Invalid URL path: not a recognized HTTP API endpoint\n")
    assert await native_events(app_client) == []


async def test_list_is_oldest_first_with_the_last_events_index_or_1_when_empty(app_client):
    r = await app_client.get("/v1/event/list")
    assert (r.status_code, r.content, r.headers["x-consul-index"]) == (200, b"[]", "1")
    assert r.headers["content-type"] == "application/json"
    ids = [(await fire(app_client, "deploy", str(i).encode())).json()["ID"] for i in range(3)]
    r = await app_client.get("/v1/event/list")
    listed = r.json()
    assert [e["ID"] for e in listed] == ids
    assert [base64.b64decode(e["Payload"]) for e in listed] == [b"0", b"1", b"2"]
    assert [e["LTime"] for e in listed] == sorted(e["LTime"] for e in listed)
    assert r.headers["x-consul-index"] == str(translate.id_to_index(ids[-1]))
    assert int(r.headers["x-consul-index"]) == int(ids[-1][:8] + ids[-1][9:13] + ids[-1][14:18], 16) ^ int(
        ids[-1][19:23] + ids[-1][24:], 16
    )
    r = await app_client.get("/v1/event/list?pretty")  # Consul's ?pretty
    assert r.text.startswith('[\n    {\n        "ID": ')
    assert r.text.endswith("\n    }\n]\n")


async def test_list_keeps_only_the_newest_up_to_the_limit(settings):
    async with client_for(dataclasses.replace(settings, consul_list_limit=3)) as client:
        names = [f"e{i}" for i in range(5)]
        for name in names:
            await fire(client, name)
        listed = (await client.get("/v1/event/list")).json()
        assert [e["Name"] for e in listed] == ["e2", "e3", "e4"]


async def test_list_default_limit_is_256(app_client):
    batch = [{"eventType": "bulk", "value": str(i)} for i in range(260)]
    assert (await app_client.post("/api/v1/events", json=batch)).status_code == 201
    listed = (await app_client.get("/v1/event/list")).json()
    assert len(listed) == 256
    values = [e["LTime"] for e in listed]
    assert values == sorted(values)
    stored = await native_events(app_client, limit="100")
    assert listed[-1]["ID"] == stored[0]["id"]


async def test_name_filter_is_an_exact_match(app_client):
    await fire(app_client, "deploy", b"a")
    wanted = (await fire(app_client, "deploy", b"b")).json()
    for other in ("deploy2", "Deploy", "dep.*"):
        await fire(app_client, other)
    r = await app_client.get("/v1/event/list", params={"name": "deploy"})
    assert [base64.b64decode(e["Payload"]) for e in r.json()] == [b"a", b"b"]
    assert r.headers["x-consul-index"] == str(translate.id_to_index(wanted["ID"]))
    r = await app_client.get("/v1/event/list?name=deploy&name=Deploy")  # the first one counts, as in Go
    assert len(r.json()) == 2
    for unknown in ("dep", "deploy\x00"):
        r = await app_client.get("/v1/event/list", params={"name": unknown})
        assert (r.status_code, r.json(), r.headers["x-consul-index"]) == (200, [], "1")
    assert len((await app_client.get("/v1/event/list", params={"name": ""})).json()) == 5


async def test_native_events_are_listed_with_their_payload(app_client):
    r = await app_client.post(
        "/api/v1/events",
        json=[
            {"id": "evt-1", "eventType": "build", "payload": {"ok": True}},
            {"eventType": "note", "payload": "hello <world>"},
            {"id": "evt-3", "eventType": "bare"},
        ],
    )
    assert r.status_code == 201, r.text
    generated = r.json()["events"][1]["id"]
    r = await app_client.get("/v1/event/list")
    listed = r.json()
    assert [(e["ID"], e["Name"]) for e in listed] == [
        ("evt-1", "build"),
        (generated, "note"),
        ("evt-3", "bare"),
    ]
    assert base64.b64decode(listed[0]["Payload"]) == b'{"ok":true}'
    assert base64.b64decode(listed[1]["Payload"]) == b"hello <world>"
    assert listed[2]["Payload"] is None
    assert listed[0]["NodeFilter"] == listed[0]["ServiceFilter"] == listed[0]["TagFilter"] == ""
    assert r.headers["x-consul-index"] == str(translate.id_to_index("evt-3"))
    r = await app_client.get("/v1/event/list", params={"name": "note"})
    assert r.headers["x-consul-index"] == str(translate.id_to_index(generated))  # a UUID: Consul's XOR


async def test_consul_events_read_natively(app_client):
    fired = (await fire(app_client, "deploy", "héllo".encode(), node="web")).json()
    r = await app_client.get(f"/api/v1/events/{fired['ID']}")
    assert r.status_code == 200
    stored = r.json()
    assert (stored["eventType"], stored["payload"], stored["source"]) == ("deploy", "héllo", "consul")
    assert stored["attributes"] == {"consul.node": "web"}
    assert [e["id"] for e in await native_events(app_client, event_type="deploy")] == [fired["ID"]]


# -- keys, tenants, anonymous -------------------------------------------------------------


async def test_key_is_accepted_in_every_way(settings, app_client):
    key = await make_key(app_client, "acme", ["events:read", "events:write"])
    async with client_for(settings, key=None) as anonymous:
        ways = [
            {"headers": {"X-Consul-Token": key}},
            {"params": {"token": key}},
            {"headers": {"Authorization": f"Bearer {key}"}},
            {"headers": {"X-API-Key": key}},
        ]
        for i, way in enumerate(ways):
            r = await anonymous.put(f"/v1/event/fire/e{i}", **way)
            assert r.status_code == 200, (way, r.text)
            r = await anonymous.get("/v1/event/list", **way)
            assert [e["Name"] for e in r.json()] == [f"e{j}" for j in range(i + 1)]


async def test_missing_unknown_and_revoked_keys_are_401(settings):
    admin = {"Authorization": f"Bearer {ADMIN_KEY}"}
    async with client_for(settings, key=None) as anonymous:
        r = await anonymous.put("/v1/event/fire/deploy")
        assert (r.status_code, r.text) == (401, "Permission denied: missing token")
        r = await anonymous.get("/v1/event/list")
        assert (r.status_code, r.text) == (401, "Permission denied: missing token")
        r = await anonymous.put("/v1/event/fire/deploy", headers={"X-Consul-Token": "nope"})
        assert (r.status_code, r.text) == (401, "ACL not found")
        r = await anonymous.get("/v1/event/list", params={"token": "nope"})
        assert (r.status_code, r.text) == (401, "ACL not found")
        created = await anonymous.post(
            "/api/v1/keys",
            json={"name": "tmp", "tenantId": "acme", "scopes": ["events:write"]},
            headers=admin,
        )
        key, key_id = created.json()["key"], created.json()["id"]
        assert (await anonymous.put("/v1/event/fire/a", headers={"X-Consul-Token": key})).status_code == 200
        assert (await anonymous.delete(f"/api/v1/keys/{key_id}", headers=admin)).status_code == 204
        r = await anonymous.put("/v1/event/fire/b", headers={"X-Consul-Token": key})
        assert (r.status_code, r.text) == (401, "ACL not found")
        r = await anonymous.get("/api/v1/events", headers=admin)
        assert r.json()["events"] == []  # the one accepted fire went to tenant "acme"


async def test_scopes_fire_needs_write_and_list_needs_read(settings, app_client):
    reader = await make_key(app_client, "acme", ["events:read"])
    writer = await make_key(app_client, "acme", ["events:write"])
    async with client_for(settings, key=None) as c:
        r = await c.put("/v1/event/fire/deploy", headers={"X-Consul-Token": reader})
        assert (r.status_code, r.text) == (403, "Permission denied")
        r = await c.get("/v1/event/list", headers={"X-Consul-Token": writer})
        assert (r.status_code, r.text) == (403, "Permission denied")
        assert (await c.put("/v1/event/fire/deploy", headers={"X-Consul-Token": writer})).status_code == 200
        r = await c.get("/v1/event/list", headers={"X-Consul-Token": reader})
        assert [e["Name"] for e in r.json()] == ["deploy"]


async def test_tenants_are_isolated(settings, app_client):
    a = await make_key(app_client, "tenant-a", ["events:read", "events:write"])
    b = await make_key(app_client, "tenant-b", ["events:read", "events:write"])
    async with client_for(settings, key=a) as ca, client_for(settings, key=b) as cb:
        fired = (await fire(ca, "deploy", b"secret")).json()
        r = await cb.get("/v1/event/list")
        assert (r.json(), r.headers["x-consul-index"]) == ([], "1")
        r = await ca.get("/v1/event/list")
        assert [e["ID"] for e in r.json()] == [fired["ID"]]
        assert await native_events(cb) == []
        assert (await cb.get(f"/api/v1/events/{fired['ID']}")).status_code == 404
    assert await native_events(app_client) == []  # the admin's tenant is "default"


async def test_anonymous_policy_reads_its_tenant(settings, app_client):
    public = dataclasses.replace(settings, anonymous_tenant="public", anonymous_scopes=("events:read",))
    writer = await make_key(app_client, "public", ["events:write"])
    async with client_for(public, key=None) as anonymous:
        await fire(app_client, "default-only")
        r = await anonymous.put("/v1/event/fire/deploy", headers={"X-Consul-Token": writer}, content=b"p")
        assert r.status_code == 200
        r = await anonymous.get("/v1/event/list")
        assert r.status_code == 200
        assert [e["Name"] for e in r.json()] == ["deploy"]
        r = await anonymous.put("/v1/event/fire/deploy")
        assert (r.status_code, r.text) == (403, "Permission denied")
        r = await anonymous.get("/v1/event/list", headers={"X-Consul-Token": "wrong"})
        assert r.status_code == 401  # a bad key is not anonymous


# -- bad blocking parameters ---------------------------------------------------------------


BAD_BLOCKING = [
    ({"wait": "5"}, "Invalid wait time"),
    ({"wait": "5 s"}, "Invalid wait time"),
    ({"wait": "1d", "index": "1"}, "Invalid wait time"),
    ({"wait": "x", "index": "x"}, "Invalid wait time"),  # wait is checked first
    ({"index": "-1"}, "Invalid index"),
    ({"index": "1.5"}, "Invalid index"),
    ({"index": "18446744073709551616"}, "Invalid index"),
    ({"index": "abc", "wait": "1s"}, "Invalid index"),
]


async def test_bad_index_or_wait_is_a_400(app_client):
    for params, message in BAD_BLOCKING:
        r = await app_client.get("/v1/event/list", params=params)
        assert (r.status_code, r.text) == (400, message), params
    assert await native_events(app_client) == []
