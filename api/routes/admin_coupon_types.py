"""/admin/coupon-types: CRUD and code generation (thin; see api.admin.coupon_types)."""
from __future__ import annotations

from quart import Blueprint, Response, g
from quart_schema import document_response

from api.admin import coupon_types as ops
from api.http.errors import json_response
from api.http.openapi import AUTH_ERRORS, BODY_ERRORS, errors
from api.http.validation import validate_request
from api.routes.admin_promotions import VERSION_HEADER
from api.schemas.admin import CouponTypeList, Deleted, GeneratedCodes, GenerateRequest
from api.services import current_services
from dre.wire.coupon_type import CouponTypeIn

bp = Blueprint("admin_coupon_types", __name__)


@bp.get("/admin/coupon-types")
@document_response(CouponTypeList, 200)
@errors(*AUTH_ERRORS, 503)
async def list_coupon_types() -> Response:
    """The tenant's coupon types, by id."""
    return json_response(await ops.list_coupon_types(current_services(), g.tenant))


@bp.post("/admin/coupon-types")
@validate_request(CouponTypeIn)
@document_response(CouponTypeIn, 201)
@errors(*BODY_ERRORS, *AUTH_ERRORS, 409, 503)
async def create_coupon_type(data: CouponTypeIn) -> Response:
    """Create a coupon type (409 ALREADY_EXISTS; 409 COUPON_CODE_TAKEN when a GENERIC type's code
    belongs to another type). Its promotionIds then fire only with one of its codes. Like every
    coupon-type write it moves the promotions version: `X-Promotions-Version` carries it."""
    doc, version = await ops.create_coupon_type(current_services(), g.tenant, data)
    headers = {VERSION_HEADER: str(version), "Location": f"/admin/coupon-types/{doc['id']}"}
    return json_response(doc, 201, headers)


@bp.get("/admin/coupon-types/<type_id>")
@document_response(CouponTypeIn, 200)
@errors(*AUTH_ERRORS, 404, 503)
async def get_coupon_type(type_id: str) -> Response:
    return json_response(await ops.get_coupon_type(current_services(), g.tenant, type_id))


@bp.put("/admin/coupon-types/<type_id>")
@validate_request(CouponTypeIn)
@document_response(CouponTypeIn, 200)
@document_response(CouponTypeIn, 201)
@errors(*BODY_ERRORS, *AUTH_ERRORS, 409, 503)
async def put_coupon_type(type_id: str, data: CouponTypeIn) -> Response:
    """Create (201) or replace (200). The id must be the URL's; a type's `type` and a GENERIC
    type's `code` cannot change (400)."""
    doc, version, created = await ops.put_coupon_type(current_services(), g.tenant, type_id, data)
    return json_response(doc, 201 if created else 200, {VERSION_HEADER: str(version)})


@bp.delete("/admin/coupon-types/<type_id>")
@document_response(Deleted, 200)
@errors(*AUTH_ERRORS, 404, 503)
async def delete_coupon_type(type_id: str) -> Response:
    """Delete a coupon type; a GENERIC type's shared code is CANCELLED with it. Codes already
    generated for an INDIVIDUAL type keep their state."""
    version = await ops.delete_coupon_type(current_services(), g.tenant, type_id)
    return json_response({"id": type_id, "version": version}, 200, {VERSION_HEADER: str(version)})


@bp.post("/admin/coupon-types/<type_id>/generate")
@validate_request(GenerateRequest)
@document_response(GeneratedCodes, 200)
@errors(*BODY_ERRORS, *AUTH_ERRORS, 404, 409, 503)
async def generate(type_id: str, data: GenerateRequest) -> Response:
    """`count` new ACTIVE codes of an INDIVIDUAL type: `prefix` + random characters (no 0/O, 1/I/L),
    `codeLength` long (at least 6 random characters). 409 COUPON_UNAVAILABLE for a GENERIC type."""
    return json_response(await ops.generate_codes(current_services(), g.tenant, type_id, data.count))
