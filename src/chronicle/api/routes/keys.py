"""Key management: ``/api/v1/keys`` (admin only)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from chronicle import models
from chronicle.api import schemas
from chronicle.api.deps import Admin, ServiceDep
from chronicle.api.http import json_response
from chronicle.timefmt import format_ms

router = APIRouter(prefix="/api/v1/keys", tags=["keys"])


def key_body(key: models.ApiKey) -> dict[str, Any]:
    """A key as the keys API shows it, without its secret."""
    return {
        "id": key.id,
        "name": key.name,
        "tenantId": key.tenant_id,
        "scopes": list(key.scopes),
        "createdAt": format_ms(key.created_at),
        "revokedAt": format_ms(key.revoked_at) if key.revoked_at is not None else None,
    }


@router.post("", status_code=201, response_model=schemas.KeyCreatedOut, summary="Create a key")
async def create_key(body: schemas.KeyIn, _admin: Admin, service: ServiceDep) -> Response:
    """The secret is in ``key``, shown this once; only its hash is stored."""
    key, secret = await service.create_key(body.name, body.tenantId, body.scopes)
    return json_response({**key_body(key), "key": secret}, 201)


@router.get("", response_model=schemas.KeyListOut, summary="List keys")
async def list_keys(_admin: Admin, service: ServiceDep) -> Response:
    """Every key, newest first, without secrets."""
    return json_response({"keys": [key_body(k) for k in await service.list_keys()]})


@router.delete("/{key_id}", status_code=204, summary="Revoke a key")
async def revoke_key(key_id: str, _admin: Admin, service: ServiceDep) -> Response:
    """The key is refused from now on, by every process, and its streams end."""
    await service.revoke_key(key_id)
    return Response(status_code=204)
