"""PUT/GET /admin/loyalty/maintenance: the tenant's loyalty maintenance toggle (admin keys only).

While it is on, every loyalty POS event of the tenant is answered HTTP 503 with
``result.statusCode`` 5 ScheduledMaintenance and ``Retry-After`` (the message as its
description), and nothing is read or booked. The toggle is one key per tenant in the store, read by
every event (so every worker sees it at once).
"""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field
from quart import Blueprint, Response, g
from quart_schema import document_response

from actors.store_ops.loyalty import MAX_MAINTENANCE_MESSAGE
from api.http.auth import admin_only
from api.http.errors import json_response
from api.http.openapi import AUTH_ERRORS, BODY_ERRORS, errors
from api.http.validation import validate_request
from api.services import current_services
from dre.wire.types import Flag

PATH = "/admin/loyalty/maintenance"
DEFAULT_MESSAGE = "loyalty is in scheduled maintenance; retry later"

bp = Blueprint("loyalty_maintenance", __name__)


class MaintenanceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    maintenance: Flag = Field(description="true: start maintenance; false: end it")
    message: str | None = Field(None, min_length=1, max_length=MAX_MAINTENANCE_MESSAGE,
                                description="the events' result.description while it lasts")


class Maintenance(BaseModel):
    maintenance: bool
    message: str | None


@bp.put(PATH)
@admin_only
@validate_request(MaintenanceIn)
@document_response(Maintenance, 200)
@errors(*BODY_ERRORS, *AUTH_ERRORS, 503)
async def put_maintenance(data: MaintenanceIn) -> Response:
    """Start or end the tenant's loyalty maintenance (statusCode 5 on every event while on)."""
    message = (data.message or DEFAULT_MESSAGE) if data.maintenance else None
    await current_services().store.loyalty.set_maintenance(g.tenant, message)
    return json_response({"maintenance": data.maintenance, "message": message})


@bp.get(PATH)
@admin_only
@document_response(Maintenance, 200)
@errors(*AUTH_ERRORS, 503)
async def get_maintenance() -> Response:
    """Whether the tenant's loyalty is in maintenance, and its message."""
    message = await current_services().store.loyalty.maintenance(g.tenant)
    return json_response({"maintenance": message is not None, "message": message})
