"""/admin/promotions: CRUD, activate/deactivate, budget (thin; see api.admin.promotions)."""
from __future__ import annotations

from quart import Blueprint, Response, g
from quart_schema import document_response

from api.admin import promotions as ops
from api.http.errors import json_response
from api.http.openapi import AUTH_ERRORS, BODY_ERRORS, errors
from api.http.validation import validate_request
from api.schemas.admin import Budget, Deleted, PromotionList
from api.services import current_services
from dre.wire.promotion import PromotionIn

bp = Blueprint("admin_promotions", __name__)

VERSION_HEADER = "X-Promotions-Version"  # the tenant's promotions version after a write
BODYLESS = frozenset({"admin_promotions.activate_promotion", "admin_promotions.deactivate_promotion"})  # POSTs that read no
# body: any (or no) Content-Type is fine


def _written(doc: dict, version: int, status: int = 200) -> Response:
    return json_response(doc, status, {VERSION_HEADER: str(version)})


@bp.get("/admin/promotions")
@document_response(PromotionList, 200)
@errors(*AUTH_ERRORS, 503)
async def list_promotions() -> Response:
    """The tenant's promotions (sorted by id) and their version."""
    return json_response(await ops.list_promotions(current_services(), g.tenant))


@bp.post("/admin/promotions")
@validate_request(PromotionIn)
@document_response(PromotionIn, 201)
@errors(*BODY_ERRORS, *AUTH_ERRORS, 409, 503)
async def create_promotion(data: PromotionIn) -> Response:
    """Create a promotion (409 ALREADY_EXISTS if the id is taken). Validated as the engine runs it
    (400 with the failing paths); in effect on the next evaluate of every worker (this worker at
    once, the others within ~0.1 s). `X-Promotions-Version` carries the new version."""
    doc, version = await ops.create_promotion(current_services(), g.tenant, data)
    headers = {VERSION_HEADER: str(version), "Location": f"/admin/promotions/{doc['id']}"}
    return json_response(doc, 201, headers)


@bp.get("/admin/promotions/<promotion_id>")
@document_response(PromotionIn, 200)
@errors(*AUTH_ERRORS, 404, 503)
async def get_promotion(promotion_id: str) -> Response:
    """One promotion as stored (defaults filled in)."""
    return json_response(await ops.get_promotion(current_services(), g.tenant, promotion_id))


@bp.put("/admin/promotions/<promotion_id>")
@validate_request(PromotionIn)
@document_response(PromotionIn, 200)
@document_response(PromotionIn, 201)
@errors(*BODY_ERRORS, *AUTH_ERRORS, 503)
async def put_promotion(promotion_id: str, data: PromotionIn) -> Response:
    """Create (201) or replace (200) a promotion; the body's id must be the URL's (400 `id`)."""
    doc, version, created = await ops.put_promotion(current_services(), g.tenant, promotion_id, data)
    return _written(doc, version, 201 if created else 200)


@bp.delete("/admin/promotions/<promotion_id>")
@document_response(Deleted, 200)
@errors(*AUTH_ERRORS, 404, 503)
async def delete_promotion(promotion_id: str) -> Response:
    """Delete a promotion (its budget counters stay, for the record)."""
    version = await ops.delete_promotion(current_services(), g.tenant, promotion_id)
    return _written({"id": promotion_id, "version": version}, version)


@bp.post("/admin/promotions/<promotion_id>/activate")
@document_response(PromotionIn, 200)
@errors(*AUTH_ERRORS, 404, 503)
async def activate_promotion(promotion_id: str) -> Response:
    """Set status ACTIVE (no body needed)."""
    doc, version = await ops.set_status(current_services(), g.tenant, promotion_id, "ACTIVE")
    return _written(doc, version)


@bp.post("/admin/promotions/<promotion_id>/deactivate")
@document_response(PromotionIn, 200)
@errors(*AUTH_ERRORS, 404, 503)
async def deactivate_promotion(promotion_id: str) -> Response:
    """Set status INACTIVE (no body needed): evaluate skips it; simulate with includeInactive
    still prices it."""
    doc, version = await ops.set_status(current_services(), g.tenant, promotion_id, "INACTIVE")
    return _written(doc, version)


@bp.get("/admin/promotions/<promotion_id>/budget")
@document_response(Budget, 200)
@errors(*AUTH_ERRORS, 404, 503)
async def budget(promotion_id: str) -> Response:
    """What the promotion's budget has consumed (confirmed transactions) against its limits."""
    return json_response(await ops.budget(current_services(), g.tenant, promotion_id))
