"""Vamp dialect auth: keys and scopes, errors in Vamp's shape, tenant isolation."""

from __future__ import annotations

import dataclasses

from tests.conftest import client_for
from tests.dialects.vamp.helpers import EVENTS, native_events, new_key


async def test_missing_or_unknown_key_is_401_and_the_anonymous_policy_applies(settings):
    """Errors in Vamp's shape; an anonymous policy gives keyless clients its tenant and scopes."""
    async with client_for(settings, key=None) as anonymous:
        for method, path in (("POST", EVENTS), ("GET", EVENTS), ("GET", EVENTS + "/stream")):
            r = await anonymous.request(method, path, json={"tags": ["t"]} if method == "POST" else None)
            assert r.status_code == 401, (method, path, r.text)
            assert list(r.json()) == ["message"]
    async with client_for(settings, key="chr_not_a_key") as unknown:
        r = await unknown.post(EVENTS, json={"tags": ["t"]})
        assert r.status_code == 401
        assert r.json() == {"message": "invalid or revoked API key"}

    anonymous = dataclasses.replace(settings, anonymous_tenant="public", anonymous_scopes=("events:read",))
    async with client_for(anonymous, key=None) as c:
        assert (await c.get(EVENTS)).status_code == 200
        r = await c.post(EVENTS, json={"tags": ["t"]})
        assert r.status_code == 403
        assert r.json() == {"message": "this key lacks the scope events:write"}


async def test_scopes_are_enforced_and_each_tenant_sees_only_its_own_events(app_client, settings):
    """create needs events:write; list, query and stream need events:read."""
    reader = await new_key(app_client, "default", "events:read")
    writer = await new_key(app_client, "default", "events:write")
    async with client_for(settings, key=reader) as c:
        r = await c.post(EVENTS, json={"tags": ["t"]})
        assert r.status_code == 403
        assert r.json() == {"message": "this key lacks the scope events:write"}
        assert (await c.get(EVENTS)).status_code == 200
    async with client_for(settings, key=writer) as c:
        for r in (
            await c.get(EVENTS),
            await c.post(EVENTS + "/get", json={"tags": []}),
            await c.get(EVENTS + "/stream"),
        ):
            assert r.status_code == 403
            assert r.json() == {"message": "this key lacks the scope events:read"}
        assert (await c.post(EVENTS, json={"tags": ["by-writer"]})).status_code == 201
    assert [e["tags"] for e in await native_events(app_client)] == [["by-writer"]]

    other = await new_key(app_client, "acme", "events:read", "events:write")
    await app_client.post(EVENTS, json={"tags": ["shared-tag"], "value": "1"})
    async with client_for(settings, key=other) as acme:
        r = await acme.post(EVENTS, json={"tags": ["shared-tag"], "value": "5"})
        assert r.status_code == 201
        acme_id = r.json()["id"]
        listed = await acme.get(EVENTS, params={"tag": "shared-tag"})
        assert [e["id"] for e in listed.json()] == [acme_id]
        assert listed.headers["X-Total-Count"] == "1"
        total = await acme.post(EVENTS + "/get", json={"tags": ["shared-tag"], "aggregator": {"type": "sum"}})
        assert total.json() == {"value": 5.0}
        assert [e["id"] for e in await native_events(acme)] == [acme_id]
    mine = await app_client.get(EVENTS, params={"tag": "shared-tag"})
    assert [e["value"] for e in mine.json()] == ["1"]
