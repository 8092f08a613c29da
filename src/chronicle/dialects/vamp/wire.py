"""Vamp's wire formats: JSON or YAML bodies in, JSON or YAML out.

YAML is read with a safe loader that constructs plain data only and refuses what could make a
small body expensive: aliases (the "billion laughs" bomb), deep nesting and very many nodes.
"""

from __future__ import annotations

from typing import Any

import orjson
import yaml
from fastapi import Request
from fastapi.responses import Response

from chronicle.dialects.vamp.translate import VampInputError

YAML = "application/x-yaml"
JSON = "application/json"
MAX_BODY = 256 * 1024
"""Vamp bodies are small (one event or one query); YAML parsing is bounded by this too."""
MAX_DEPTH = 32
MAX_NODES = 10_000
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}

_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"


class _Refused(yaml.YAMLError):
    pass


class _BoundedLoader(yaml.SafeLoader):
    """SafeLoader that counts nodes and depth while composing and refuses aliases."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        self._nodes = 0

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            raise _Refused("YAML aliases are not allowed")
        self._nodes += 1
        if self._nodes > MAX_NODES:
            raise _Refused(f"the document has more than {MAX_NODES} nodes")
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise _Refused(f"the document is nested deeper than {MAX_DEPTH} levels")
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


# Unquoted timestamps stay strings: they are parsed as event times, not by YAML.
_BoundedLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != _TIMESTAMP_TAG]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def parse_body(raw: bytes, content_type: str | None) -> Any:
    """A request body as plain JSON data (dicts with string keys, lists, scalars).

    ``application/json`` is read as JSON, ``application/x-yaml`` (or any ``yaml`` type) as YAML;
    without either, JSON is tried first, then YAML, as Vamp reads both whatever the type says.

    Raises:
        VampInputError: ``Error: <parser message>`` for malformed, refused or exotic content.
    """
    kind = (content_type or "").split(";")[0].strip().lower()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise VampInputError("Error: the body is not UTF-8 text") from exc
    if "yaml" in kind:
        return _plain(_load_yaml(text))
    if kind.endswith("json"):
        return _plain(_load_json(raw))
    try:
        return _plain(_load_json(raw))
    except VampInputError:
        return _plain(_load_yaml(text))


def _load_json(raw: bytes) -> Any:
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise VampInputError(f"Error: {exc}") from exc


def _load_yaml(text: str) -> Any:
    loader = _BoundedLoader(text)
    try:
        return loader.get_single_data()
    except yaml.YAMLError as exc:
        raise VampInputError(f"Error: {' '.join(str(exc).split())}") from exc
    finally:
        loader.dispose()


def _plain(data: Any, depth: int = 0) -> Any:
    """Check the data is JSON-like (no binary, sets, NUL characters); mapping keys become text."""
    if depth > MAX_DEPTH:
        raise VampInputError(f"Error: the document is nested deeper than {MAX_DEPTH} levels")
    if isinstance(data, str):
        if "\x00" in data:
            raise VampInputError("Error: NUL characters are not allowed")
        return data
    if data is None or isinstance(data, bool | int | float):
        return data
    if isinstance(data, list):
        return [_plain(item, depth + 1) for item in data]
    if isinstance(data, dict):
        return {_key(k): _plain(v, depth + 1) for k, v in data.items()}
    raise VampInputError(f"Error: unsupported value of type {type(data).__name__}")


def _key(key: Any) -> str:
    if key is None:
        return "null"
    if isinstance(key, bool):
        return "true" if key else "false"
    if isinstance(key, str | int | float):
        return _plain(str(key))  # type: ignore[no-any-return]
    raise VampInputError(f"Error: unsupported mapping key of type {type(key).__name__}")


def wants_yaml(request: Request) -> bool:
    """Vamp answers in YAML only when the whole ``Accept`` value starts with the YAML type."""
    return request.headers.get("accept", "").strip().startswith(YAML)


def respond(
    request: Request, body: Any, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """``body`` as YAML (block style) or compact JSON, by the request's ``Accept``."""
    all_headers = {**NO_STORE, **(headers or {})}
    if wants_yaml(request):
        text = yaml.safe_dump(body, default_flow_style=False, sort_keys=False, allow_unicode=True)
        return Response(text.encode(), status, all_headers, media_type=YAML)
    return Response(orjson.dumps(body), status, all_headers, media_type=JSON)
