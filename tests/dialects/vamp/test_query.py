"""Vamp's query-in-body form: tags, type, timestamp ranges and aggregators."""

from __future__ import annotations

import orjson
import yaml

from tests.dialects.vamp.helpers import EVENTS, YAML, native_events


async def _seed(client):
    """Five metrics an hour apart (values 1, 2, 4, 8 and "n/a"), one event of another type."""
    ids = []
    for hour, value in enumerate(["1", 2, "4", 8.0, "n/a"]):
        r = await client.post(
            EVENTS,
            json={
                "tags": ["metrics", f"gateway:g{hour % 2}"],
                "type": "gateway-metric",
                "value": value,
                "timestamp": f"2024-05-01T0{hour}:00:00Z",
            },
        )
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    r = await client.post(EVENTS, json={"tags": ["metrics"], "type": "other", "value": "100"})
    assert r.status_code == 201
    return ids


def _get(client, body, *, content_type="application/json", **kwargs):
    content = body if isinstance(body, bytes) else orjson.dumps(body)
    headers = {"Content-Type": content_type, **kwargs.pop("headers", {})}
    return client.request("GET", EVENTS, content=content, headers=headers, **kwargs)


async def test_a_get_body_filters_by_tags_type_and_time_range(app_client):
    """Time bounds: ISO times, epoch millis and Elasticsearch date math, including now-relative ones."""
    ids = await _seed(app_client)
    r = await _get(app_client, {"tags": ["metrics"], "type": "gateway-metric"})
    assert [e["id"] for e in r.json()] == ids[::-1]
    assert r.headers["X-Total-Count"] == "5"

    r = await _get(app_client, {"tags": "gateway:g1", "type": "gateway-metric"})
    assert [e["id"] for e in r.json()] == [ids[3], ids[1]]

    window = {"gte": "2024-05-01T01:00:00Z", "lt": "2024-05-01T03:00:00Z"}
    r = await _get(app_client, {"tags": [], "type": "gateway-metric", "timestamp": window})
    assert [e["id"] for e in r.json()] == [ids[2], ids[1]]
    window = {"gt": "2024-05-01T01:00:00Z", "lte": "2024-05-01T03:00:00Z"}
    r = await _get(app_client, {"tags": [], "type": "gateway-metric", "timestamp": window})
    assert [e["id"] for e in r.json()] == [ids[3], ids[2]]
    # Epoch milliseconds and Elasticsearch date math, as Vamp passed the bounds to Elasticsearch.
    window = {"gte": 1714525200000, "lte": "2024-05-01T00:00:00Z||+2h"}
    r = await _get(app_client, {"tags": ["metrics"], "timestamp": window})
    assert [e["id"] for e in r.json()] == [ids[2], ids[1]]
    window = {"lte": "2024-05-01T01:30:00Z||/h"}  # rounds up to the end of that hour
    r = await _get(app_client, {"tags": ["metrics"], "type": "gateway-metric", "timestamp": window})
    assert [e["id"] for e in r.json()] == [ids[1], ids[0]]

    # Query parameters are ignored when a body is present (as in Vamp), paging is not.
    r = await _get(app_client, {"tags": ["metrics"]}, params={"type": "other", "per_page": "2"})
    assert len(r.json()) == 2
    assert r.headers["X-Total-Count"] == "6"

    # The "other" event is stamped now.
    r = await _get(app_client, {"tags": ["metrics"], "timestamp": {"gte": "now-10m", "lte": "now"}})
    assert [e["type"] for e in r.json()] == ["other"]
    r = await _get(app_client, {"tags": ["metrics"], "timestamp": {"lt": "now-1d/d"}})
    assert len(r.json()) == 5


async def test_aggregators_answer_value_over_numeric_values(app_client):
    """Also in YAML, and through the POST /get alias."""
    ids = await _seed(app_client)
    base = {"tags": ["metrics"], "type": "gateway-metric"}
    cases = [("min", 1.0), ("max", 8.0), ("sum", 15.0), ("average", 3.75), ("AVERAGE", 3.75), ("count", 5)]
    for kind, expected in cases:
        r = await _get(app_client, {**base, "aggregator": {"type": kind, "field": "value"}})
        assert r.status_code == 200, r.text
        assert r.content == orjson.dumps({"value": expected}), (kind, r.text)
        assert "Link" not in r.headers
        assert "X-Total-Count" not in r.headers
    r = await _get(app_client, {"tags": ["none"], "aggregator": {"type": "average"}})
    assert r.json() == {"value": 0.0}
    r = await _get(app_client, {"tags": ["none"], "aggregator": {"type": "count"}})
    assert r.content == b'{"value":0}'
    window = {"gte": "2024-05-01T02:00:00Z"}
    r = await _get(app_client, {**base, "timestamp": window, "aggregator": {"type": "sum"}})
    assert r.json() == {"value": 12.0}

    body = b"tags:\n- metrics\ntype: gateway-metric\naggregator:\n  type: max\n"
    r = await _get(app_client, body, content_type=YAML, headers={"Accept": YAML})
    assert r.headers["content-type"] == YAML
    assert yaml.safe_load(r.text) == {"value": 8.0}

    r = await app_client.post(EVENTS + "/get", json={"tags": ["gateway:g0"], "type": "gateway-metric"})
    assert r.status_code == 200
    assert [e["id"] for e in r.json()] == [ids[4], ids[2], ids[0]]
    assert r.headers["X-Total-Count"] == "3"
    r = await app_client.post(EVENTS + "/get", params={"tag": "gateway:g1"})
    assert [e["id"] for e in r.json()] == [ids[3], ids[1]]
    # The alias is a read: nothing was written by it.
    assert len(await native_events(app_client)) == 6


async def test_bad_queries_are_refused_with_vamps_messages(app_client):
    await _seed(app_client)
    cases = [
        (
            {"tags": [], "timestamp": {"lt": "now", "lte": "now"}},
            "Event query time range is not valid, both 'lt' and 'lte' or 'gt' and 'gte' are not allowed.",
        ),
        (
            {"tags": [], "timestamp": {"gt": "now", "gte": "now"}},
            "Event query time range is not valid, both 'lt' and 'lte' or 'gt' and 'gte' are not allowed.",
        ),
        ({"type": "x"}, "Can't find any value for path: /tags"),
        ({"tags": [], "aggregator": {"type": "median"}}, "Unsupported aggregator: median."),
        ({"tags": [], "aggregator": {"field": "value"}}, "Can't find any value for path: /aggregator/type"),
        ({"tags": [], "aggregator": {"type": "sum", "field": "x"}}, "Unsupported aggregator field: x."),
        ({"tags": [], "timestamp": {"gte": "soon"}}, "Event timestamp cannot be parsed: 'soon'."),
        ({"tags": [], "timestamp": {"gte": "9" * 30}}, f"Event timestamp cannot be parsed: '{'9' * 30}'."),
        ({"tags": [], "timestamp": "2024"}, "Unexpected type for path '/timestamp'."),
        ({"tags": [], "timestamp": {"from": "now"}}, 'Unexpected in DSL: {"timestamp":{"from":"now"}}'),
        ({"tags": [], "size": 3}, 'Unexpected in DSL: {"size":3}'),
        ([{"tags": []}], "Unexpected type for path '/'."),
    ]
    for body, message in cases:
        r = await _get(app_client, body)
        assert r.status_code == 400, (body, r.text)
        assert r.json() == {"message": message}
        r = await app_client.post(EVENTS + "/get", json=body)
        assert r.json() == {"message": message}
    r = await _get(app_client, b"null")
    assert r.json() == {"message": "Unexpected type for path '/'."}
    r = await _get(app_client, b"tags: [unclosed", content_type=YAML)
    assert r.status_code == 400
    assert r.json()["message"].startswith("Error: ")
    assert len(await native_events(app_client)) == 6
