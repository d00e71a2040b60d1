"""/admin/promotions (CRUD, activate/deactivate, budget), /admin/coupon-types (CRUD, code
generation) and /admin/stores with /admin/settings (store time zones): thin routes over
``promotions``, ``coupon_types`` and ``stores``. Three blueprints, as mounted by api.app.create_app. Every route is admin-only (``admin_only``: 403 FORBIDDEN for a POS key)."""
from __future__ import annotations

from quart import Blueprint, Response, g
from quart_schema import document_response

from api.admin import coupon_types, promotions, stores
from api.admin.schemas import (BudgetState, CouponTypeList, Deleted, GeneratedCodes, GenerateRequest, PromotionList,
                               StoreList, StoreSettingsOut)
from api.http.auth import admin_only
from api.http.errors import json_response
from api.http.openapi import AUTH_ERRORS, BODY_ERRORS, errors
from api.http.validation import validate_request
from api.services import current_services
from dre.wire.coupon_type import CouponTypeIn
from dre.wire.promotion import PromotionIn
from dre.wire.store_settings import StoreSettingsIn

promotions_bp = Blueprint("admin_promotions", __name__)
coupon_types_bp = Blueprint("admin_coupon_types", __name__)
stores_bp = Blueprint("admin_stores", __name__)

VERSION_HEADER = "X-Promotions-Version"  # the tenant's promotions version after a write
# POSTs that read no body: any (or no) Content-Type is fine
BODYLESS = frozenset({"admin_promotions.activate_promotion", "admin_promotions.deactivate_promotion",
                      "admin_coupon_types.activate_coupon_type", "admin_coupon_types.deactivate_coupon_type"})


def _written(doc: dict, version: int, status: int = 200) -> Response:
    return json_response(doc, status, {VERSION_HEADER: str(version)})


@promotions_bp.get("/admin/promotions")
@admin_only
@document_response(PromotionList, 200)
@errors(*AUTH_ERRORS, 503)
async def list_promotions() -> Response:
    """The tenant's promotions (sorted by id) and their version."""
    return json_response(await promotions.list_promotions(current_services(), g.tenant))


@promotions_bp.post("/admin/promotions")
@admin_only
@validate_request(PromotionIn)
@document_response(PromotionIn, 201)
@errors(*BODY_ERRORS, *AUTH_ERRORS, 409, 503)
async def create_promotion(data: PromotionIn) -> Response:
    """Create a promotion (409 ALREADY_EXISTS if the id is taken). Validated as the engine runs it
    (400 with the failing paths); in effect on the next evaluate of every worker (this worker at
    once, the others within ~0.1 s). `X-Promotions-Version` carries the new version."""
    doc, version = await promotions.create_promotion(current_services(), g.tenant, data)
    headers = {VERSION_HEADER: str(version), "Location": f"/admin/promotions/{doc['id']}"}
    return json_response(doc, 201, headers)


@promotions_bp.get("/admin/promotions/<promotion_id>")
@admin_only
@document_response(PromotionIn, 200)
@errors(*AUTH_ERRORS, 404, 503)
async def get_promotion(promotion_id: str) -> Response:
    """One promotion as stored (defaults filled in)."""
    return json_response(await promotions.get_promotion(current_services(), g.tenant, promotion_id))


@promotions_bp.put("/admin/promotions/<promotion_id>")
@admin_only
@validate_request(PromotionIn)
@document_response(PromotionIn, 200)
@document_response(PromotionIn, 201)
@errors(*BODY_ERRORS, *AUTH_ERRORS, 503)
async def put_promotion(promotion_id: str, data: PromotionIn) -> Response:
    """Create (201) or replace (200) a promotion; the body's id must be the URL's (400 `id`)."""
    doc, version, created = await promotions.put_promotion(current_services(), g.tenant, promotion_id, data)
    return _written(doc, version, 201 if created else 200)


@promotions_bp.delete("/admin/promotions/<promotion_id>")
@admin_only
@document_response(Deleted, 200)
@errors(*AUTH_ERRORS, 404, 503)
async def delete_promotion(promotion_id: str) -> Response:
    """Delete a promotion (its budget counters stay, for the record)."""
    version = await promotions.delete_promotion(current_services(), g.tenant, promotion_id)
    return _written({"id": promotion_id, "version": version}, version)


@promotions_bp.post("/admin/promotions/<promotion_id>/activate")
@admin_only
@document_response(PromotionIn, 200)
@errors(*AUTH_ERRORS, 404, 503)
async def activate_promotion(promotion_id: str) -> Response:
    """Set status ACTIVE (no body needed)."""
    doc, version = await promotions.set_status(current_services(), g.tenant, promotion_id, "ACTIVE")
    return _written(doc, version)


@promotions_bp.post("/admin/promotions/<promotion_id>/deactivate")
@admin_only
@document_response(PromotionIn, 200)
@errors(*AUTH_ERRORS, 404, 503)
async def deactivate_promotion(promotion_id: str) -> Response:
    """Set status INACTIVE (no body needed): evaluate skips it; simulate with includeInactive
    still prices it."""
    doc, version = await promotions.set_status(current_services(), g.tenant, promotion_id, "INACTIVE")
    return _written(doc, version)


@promotions_bp.get("/admin/promotions/<promotion_id>/budget")
@admin_only
@document_response(BudgetState, 200)
@errors(*AUTH_ERRORS, 404, 503)
async def budget(promotion_id: str) -> Response:
    """What the promotion's budget has consumed (confirmed transactions) against its limits."""
    return json_response(await promotions.budget(current_services(), g.tenant, promotion_id))



@coupon_types_bp.get("/admin/coupon-types")
@admin_only
@document_response(CouponTypeList, 200)
@errors(*AUTH_ERRORS, 503)
async def list_coupon_types() -> Response:
    """The tenant's coupon types, by id."""
    return json_response(await coupon_types.list_coupon_types(current_services(), g.tenant))


@coupon_types_bp.post("/admin/coupon-types")
@admin_only
@validate_request(CouponTypeIn)
@document_response(CouponTypeIn, 201)
@errors(*BODY_ERRORS, *AUTH_ERRORS, 409, 503)
async def create_coupon_type(data: CouponTypeIn) -> Response:
    """Create a coupon type (409 ALREADY_EXISTS; 409 COUPON_CODE_TAKEN when a GENERIC type's code
    belongs to another type). Its promotionIds then fire only with one of its codes. Like every
    coupon-type write it moves the promotions version: `X-Promotions-Version` carries it."""
    doc, version = await coupon_types.create_coupon_type(current_services(), g.tenant, data)
    headers = {VERSION_HEADER: str(version), "Location": f"/admin/coupon-types/{doc['id']}"}
    return json_response(doc, 201, headers)


@coupon_types_bp.get("/admin/coupon-types/<type_id>")
@admin_only
@document_response(CouponTypeIn, 200)
@errors(*AUTH_ERRORS, 404, 503)
async def get_coupon_type(type_id: str) -> Response:
    return json_response(await coupon_types.get_coupon_type(current_services(), g.tenant, type_id))


@coupon_types_bp.put("/admin/coupon-types/<type_id>")
@admin_only
@validate_request(CouponTypeIn)
@document_response(CouponTypeIn, 200)
@document_response(CouponTypeIn, 201)
@errors(*BODY_ERRORS, *AUTH_ERRORS, 409, 503)
async def put_coupon_type(type_id: str, data: CouponTypeIn) -> Response:
    """Create (201) or replace (200). The id must be the URL's; a type's `type` and a GENERIC
    type's `code` cannot change (400)."""
    doc, version, created = await coupon_types.put_coupon_type(current_services(), g.tenant, type_id, data)
    return json_response(doc, 201 if created else 200, {VERSION_HEADER: str(version)})


@coupon_types_bp.post("/admin/coupon-types/<type_id>/activate")
@admin_only
@document_response(CouponTypeIn, 200)
@errors(*AUTH_ERRORS, 404, 503)
async def activate_coupon_type(type_id: str) -> Response:
    """Set status ACTIVE (no body needed): its codes work again."""
    doc, version = await coupon_types.set_status(current_services(), g.tenant, type_id, "ACTIVE")
    return _written(doc, version)


@coupon_types_bp.post("/admin/coupon-types/<type_id>/deactivate")
@admin_only
@document_response(CouponTypeIn, 200)
@errors(*AUTH_ERRORS, 404, 503)
async def deactivate_coupon_type(type_id: str) -> Response:
    """Set status INACTIVE (no body needed): every code of the type is refused (validate answers
    INVALID, reserve and redeem 409) until it is activated again; codes keep their own states."""
    doc, version = await coupon_types.set_status(current_services(), g.tenant, type_id, "INACTIVE")
    return _written(doc, version)


@coupon_types_bp.delete("/admin/coupon-types/<type_id>")
@admin_only
@document_response(Deleted, 200)
@errors(*AUTH_ERRORS, 404, 503)
async def delete_coupon_type(type_id: str) -> Response:
    """Delete a coupon type; a GENERIC type's shared code is CANCELLED with it. Codes already
    generated for an INDIVIDUAL type keep their state."""
    version = await coupon_types.delete_coupon_type(current_services(), g.tenant, type_id)
    return json_response({"id": type_id, "version": version}, 200, {VERSION_HEADER: str(version)})


@coupon_types_bp.post("/admin/coupon-types/<type_id>/generate")
@admin_only
@validate_request(GenerateRequest)
@document_response(GeneratedCodes, 200)
@errors(*BODY_ERRORS, *AUTH_ERRORS, 404, 409, 503)
async def generate(type_id: str, data: GenerateRequest) -> Response:
    """`count` new ACTIVE codes of an INDIVIDUAL type: `prefix` + random characters (no 0/O, 1/I/L),
    `codeLength` long (at least 6 random characters). 409 COUPON_UNAVAILABLE for a GENERIC type."""
    return json_response(await coupon_types.generate_codes(current_services(), g.tenant, type_id, data.count))


@stores_bp.get("/admin/stores")
@admin_only
@document_response(StoreList, 200)
@errors(*AUTH_ERRORS, 503)
async def list_stores() -> Response:
    """The stores with settings of their own (by storeId) and the tenant default."""
    return json_response(await stores.list_stores(current_services(), g.tenant))


@stores_bp.get("/admin/stores/<store_id>")
@admin_only
@document_response(StoreSettingsOut, 200)
@errors(*AUTH_ERRORS, 404, 503)
async def get_store(store_id: str) -> Response:
    """One store's settings (404: it has none and follows the default)."""
    return json_response(await stores.get_store(current_services(), g.tenant, store_id))


@stores_bp.put("/admin/stores/<store_id>")
@admin_only
@validate_request(StoreSettingsIn)
@document_response(StoreSettingsOut, 200)
@document_response(StoreSettingsOut, 201)
@errors(*BODY_ERRORS, *AUTH_ERRORS, 503)
async def put_store(store_id: str, data: StoreSettingsIn) -> Response:
    """Create (201) or replace (200) a store's settings. `timeZone` (an IANA name, 400 otherwise):
    TIME conditions and validity hours of requests with this `header.storeId` are judged at the
    instant of `header.timestamp` in that zone (null: the tenant default). In effect on the next
    evaluate of every worker, like a promotion write (`X-Promotions-Version`)."""
    doc, version, created = await stores.put_store(current_services(), g.tenant, store_id, data)
    return _written(doc, version, 201 if created else 200)


@stores_bp.delete("/admin/stores/<store_id>")
@admin_only
@document_response(Deleted, 200)
@errors(*AUTH_ERRORS, 404, 503)
async def delete_store(store_id: str) -> Response:
    """Forget a store's settings: it follows the tenant default again."""
    version = await stores.delete_store(current_services(), g.tenant, store_id)
    return _written({"id": store_id, "version": version}, version)


@stores_bp.get("/admin/settings")
@admin_only
@document_response(StoreSettingsIn, 200)
@errors(*AUTH_ERRORS, 503)
async def get_settings() -> Response:
    """The tenant's default store settings (every field null when never set)."""
    return json_response(await stores.get_default(current_services(), g.tenant))


@stores_bp.put("/admin/settings")
@admin_only
@validate_request(StoreSettingsIn)
@document_response(StoreSettingsIn, 200)
@errors(*BODY_ERRORS, *AUTH_ERRORS, 503)
async def put_settings(data: StoreSettingsIn) -> Response:
    """Replace the tenant's default store settings: `timeZone` applies to every store without one
    of its own (null: such stores are judged at the timestamp's own offset)."""
    doc, version = await stores.put_default(current_services(), g.tenant, data)
    return _written(doc, version)
