"""The real py-consul client, unchanged, against real ``chronicle serve`` processes."""

from __future__ import annotations

import concurrent.futures
import time

import consul
import consul.exceptions
import httpx
import pytest

from chronicle.dialects.consul import translate
from tests.conftest import ADMIN_KEY, admin_headers

# py-consul's event.list never sends a token, so reading needs Consul's anonymous policy.
ANONYMOUS_READ = {"CHRONICLE_ANONYMOUS_TENANT": "default", "CHRONICLE_ANONYMOUS_SCOPES": "events:read"}

pytestmark = pytest.mark.usefixtures("consul_env")


def client(server, token: str | None = ADMIN_KEY) -> consul.Consul:
    return consul.Consul(host="127.0.0.1", port=server.port, token=token)


def test_fire_and_list(serve):
    server = serve(env=ANONYMOUS_READ)
    c = client(server)
    index, events = c.event.list()
    assert (index, events) == ("1", [])
    fired = c.event.fire("deploy", b"\x00\xff binary")
    assert fired["Name"] == "deploy"
    assert fired["Version"] == 1
    c.event.fire("deploy")  # py-consul's default body "" → Payload null
    text = c.event.fire("restart", "plain text", node="web-.*", service="api", tag="v1")
    index, events = c.event.list()
    assert [e["Payload"] for e in events] == [b"\x00\xff binary", None, b"plain text"]
    assert events[2]["NodeFilter"] == "web-.*"
    assert events[2]["TagFilter"] == "v1"
    assert index == str(translate.id_to_index(text["ID"]))
    index, events = c.event.list(name="deploy")
    assert [(e["Name"], e["Payload"]) for e in events] == [("deploy", b"\x00\xff binary"), ("deploy", None)]
    assert events[0]["ID"] == fired["ID"]
    # Native view of what py-consul fired.
    native = httpx.get(f"{server.url}/api/v1/events", headers=admin_headers()).json()["events"]
    assert {e["source"] for e in native} == {"consul"}
    assert native[0]["id"] == text["ID"]
    # Blocking with an unchanged index returns after the wait, with the same index.
    started = time.monotonic()
    same, events = c.event.list(name="deploy", index=index, wait="1s")
    assert same == index
    assert 0.9 <= time.monotonic() - started < 3


def test_blocking_list_is_woken_by_a_fire_on_a_second_process(serve):
    first = serve(env=ANONYMOUS_READ)
    second = serve(env=ANONYMOUS_READ)
    reader, writer = client(first), client(second)
    before = writer.event.fire("deploy", b"v1")
    index, _ = reader.event.list(name="deploy")
    assert index == str(translate.id_to_index(before["ID"]))

    def blocking_list() -> tuple[str, list[dict], float]:
        started = time.monotonic()
        found, events = reader.event.list(name="deploy", index=index, wait="20s")
        return found, events, time.monotonic() - started

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pending = pool.submit(blocking_list)
        time.sleep(0.5)
        assert not pending.done()
        writer.event.fire("other-name")  # does not change ?name=deploy's index
        time.sleep(0.3)
        assert not pending.done()
        after = writer.event.fire("deploy", b"v2")
        found, events, took = pending.result(timeout=10)
    assert took < 5  # woken by the fire, far before the 20 s wait
    assert found == str(translate.id_to_index(after["ID"]))
    assert [e["Payload"] for e in events] == [b"v1", b"v2"]


def test_token_rules_as_py_consul_sees_them(serve, monkeypatch):
    server = serve()  # no anonymous policy
    with pytest.raises(consul.ACLDisabled, match="Permission denied: missing token"):
        client(server, token=None).event.list()  # py-consul's list sends no token
    with pytest.raises(consul.ACLDisabled, match="ACL not found"):
        client(server, token="not-a-key").event.fire("deploy")
    reader_key = httpx.post(
        f"{server.url}/api/v1/keys",
        json={"name": "reader", "tenantId": "default", "scopes": ["events:read"]},
        headers=admin_headers(),
    ).json()["key"]
    with pytest.raises(consul.ACLPermissionDenied, match="Permission denied"):
        client(server, token=reader_key).event.fire("deploy")
    with pytest.raises(consul.exceptions.ClientError, match="413"):
        client(server).event.fire("deploy", b"x" * 513)
    # CONSUL_HTTP_TOKEN wins over token= in py-consul.
    monkeypatch.setenv("CONSUL_HTTP_TOKEN", ADMIN_KEY)
    fired = client(server, token="not-a-key").event.fire("from-env")
    native = httpx.get(f"{server.url}/api/v1/events", headers=admin_headers()).json()["events"]
    assert [e["id"] for e in native] == [fired["ID"]]
