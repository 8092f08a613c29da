"""Vamp list: filters, newest-first order, paging headers, YAML, and native events."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import yaml

from tests.dialects.vamp.helpers import EVENTS, YAML


async def _post(client, tags, *, type_="event", at, value=""):
    body = {"tags": tags, "type": type_, "timestamp": at, "value": value}
    r = await client.post(EVENTS, json=body)
    assert r.status_code == 201, r.text
    return r.json()


def _links(header: str) -> dict[str, tuple[str, list[tuple[str, str]]]]:
    links = {}
    for part in header.split(", "):
        target, rel = part.split("; rel=")
        url = urlsplit(target.strip("<>"))
        links[rel] = (f"{url.scheme}://{url.netloc}{url.path}", parse_qsl(url.query))
    return links


async def test_filters_by_every_tag_and_type_newest_first_including_native_events(app_client):
    """Also: YAML answers, and a malformed page parameter."""
    a = await _post(app_client, ["deployments:web", "prod"], type_="deploy", at="2024-01-01T10:00:00Z")
    b = await _post(app_client, ["deployments:api"], type_="deploy", at="2024-01-01T12:00:00Z")
    c = await _post(app_client, ["deployments:web"], type_="scale", at="2024-01-01T11:00:00Z")
    r = await app_client.post(
        "/api/v1/events",
        json={
            "eventType": "deploy",
            "tags": ["deployments", "native"],
            "value": "from-native",
            "occurredAt": "2024-01-01T13:00:00Z",
        },
    )
    assert r.status_code == 201, r.text
    native_id = r.json()["id"]

    everything = await app_client.get(EVENTS)
    assert everything.status_code == 200
    assert [e["id"] for e in everything.json()] == [native_id, b["id"], c["id"], a["id"]]
    assert everything.headers["X-Total-Count"] == "4"
    assert everything.json()[0] == {
        "id": native_id,
        "tags": ["deployments", "native"],
        "value": "from-native",
        "timestamp": "2024-01-01T13:00:00.000Z",
        "type": "deploy",
    }

    by_tag = await app_client.get(EVENTS, params={"tag": "deployments"})
    assert [e["id"] for e in by_tag.json()] == [native_id, b["id"], c["id"], a["id"]]
    both_tags = await app_client.get(EVENTS, params=[("tag", "deployments:web"), ("tag", "prod")])
    assert [e["id"] for e in both_tags.json()] == [a["id"]]
    assert both_tags.headers["X-Total-Count"] == "1"
    by_type = await app_client.get(EVENTS, params={"type": "deploy", "tag": "deployments:api"})
    assert [e["id"] for e in by_type.json()] == [b["id"]]
    none = await app_client.get(EVENTS, params={"type": "nope"})
    assert none.json() == []
    assert none.headers["X-Total-Count"] == "0"

    await _post(app_client, ["scales:large"], type_="archive", at="2017-01-10T15:33:49.766Z")
    r = await app_client.get(EVENTS, params={"type": "archive"}, headers={"Accept": YAML})
    assert r.headers["content-type"] == YAML
    [event] = yaml.safe_load(r.text)
    assert event["tags"] == ["scales", "scales:large"]
    assert event["timestamp"] == "2017-01-10T15:33:49.766Z"
    assert "timestamp: '2017-01-10T15:33:49.766Z'" in r.text
    # Vamp picks YAML only when the whole Accept value starts with the YAML type.
    r = await app_client.get(EVENTS, headers={"Accept": "application/json, application/x-yaml"})
    assert r.headers["content-type"] == "application/json"

    bad = await app_client.get(EVENTS, params={"page": "two"})
    assert bad.status_code == 400
    assert bad.json() == {
        "message": "The query parameter 'page' was malformed: "
        "'two' is not a valid 64-bit signed integer value"
    }


async def test_pages_carry_total_and_correct_links_preserving_other_parameters(app_client):
    for i in range(7):
        await _post(app_client, ["paged", f"n:{i}"], at=f"2024-02-01T00:00:0{i}Z")
    r = await app_client.get(
        EVENTS, params=[("tag", "paged"), ("tag", "n"), ("page", "2"), ("per_page", "3")]
    )
    assert r.status_code == 200
    assert [e["tags"][-1] for e in r.json()] == ["n:3", "n:2", "n:1"]
    assert r.headers["X-Total-Count"] == "7"
    links = _links(r.headers["Link"])
    assert list(links) == ["first", "prev", "next", "last"]
    base = "http://chronicle.test/vamp/api/v1/events"
    params = [("tag", "paged"), ("tag", "n")]
    assert links["first"] == (base, [*params, ("page", "1"), ("per_page", "3")])
    assert links["prev"] == (base, [*params, ("page", "1"), ("per_page", "3")])
    assert links["next"] == (base, [*params, ("page", "3"), ("per_page", "3")])
    assert links["last"] == (base, [*params, ("page", "3"), ("per_page", "3")])
    assert r.headers["Cache-Control"] == "no-store"

    last = await app_client.get(EVENTS, params={"tag": "paged", "per_page": "3", "page": "3"})
    assert [e["tags"][-1] for e in last.json()] == ["n:0"]
    links = _links(last.headers["Link"])
    assert dict(links["prev"][1])["page"] == "2"
    assert dict(links["next"][1])["page"] == "3"

    # Without paging parameters Vamp appends per_page, then page.
    plain = await app_client.get(EVENTS, params={"tag": "paged"})
    assert _links(plain.headers["Link"])["first"][1] == [("tag", "paged"), ("per_page", "30"), ("page", "1")]


async def test_per_page_is_capped_at_30_and_pages_are_clamped_like_vamp(app_client):
    """An empty result links to page 1 (Vamp said page 0); per_page is 1..30; page at least 1."""
    r = await app_client.get(EVENTS, params={"tag": "nothing"})
    assert r.json() == []
    assert r.headers["X-Total-Count"] == "0"
    for _, query in _links(r.headers["Link"]).values():
        assert dict(query)["page"] == "1"

    for i in range(32):
        await _post(app_client, ["many"], at=f"2024-03-01T00:{i:02d}:00Z")
    r = await app_client.get(EVENTS, params={"per_page": "100"})
    assert len(r.json()) == 30
    assert r.headers["X-Total-Count"] == "32"
    assert dict(_links(r.headers["Link"])["last"][1]) == {"per_page": "30", "page": "2"}
    r = await app_client.get(EVENTS, params={"per_page": "0", "page": "-4"})
    assert len(r.json()) == 1
    assert dict(_links(r.headers["Link"])["first"][1]) == {"per_page": "1", "page": "1"}
    past = await app_client.get(EVENTS, params={"page": "9"})
    assert past.json() == []
    links = _links(past.headers["Link"])
    assert dict(links["prev"][1])["page"] == "2"
    assert dict(links["next"][1])["page"] == "2"
    huge = await app_client.get(EVENTS, params={"page": str(2**63 - 1)})
    assert huge.status_code == 200
    assert huge.json() == []
