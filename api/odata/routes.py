"""The OData V4 surface: every POS action as an unbound action under /odata/v4/pos/, plus the
service document and $metadata (thin).

The actions are aliases (api.http.surfaces): the REST route's own endpoint answers, with the same
auth, roles, validation, idempotency and body. What differs: errors come in the OData shape
(api.odata.errors), and every answer under the root says ``OData-Version: 4.0``.
"""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field
from quart import Blueprint, Quart, Response, current_app, request
from quart_schema import document_response

from api.http.errors import json_response
from api.http.openapi import raw_response
from api.http.surfaces import Surface, add_alias, add_surface
from api.odata.actions import ACTIONS, CONTAINER, NAMESPACE, ROOT
from api.odata.csdl import csdl
from api.odata.errors import ODataError, odata_error

VERSION_HEADER = "OData-Version"
METADATA = ROOT + "$metadata"
CSDL_KEY = "dre.odata.csdl"  # app.extensions: the $metadata document, built on first use

bp = Blueprint("odata", __name__)


class ServiceDocument(BaseModel):
    """The service document: the service's entity sets, singletons and function imports (it has
    none of them: its actions are listed in $metadata)."""

    model_config = ConfigDict(populate_by_name=True)
    context: str = Field(alias="@odata.context", description="URL of $metadata")
    value: list[dict] = Field(default_factory=list)


@bp.get(ROOT)
@document_response(ServiceDocument, 200)
@document_response(ODataError, 401)
async def service_document() -> Response:
    """The OData V4 service document of the POS service."""
    return json_response({"@odata.context": request.host_url.rstrip("/") + METADATA, "value": []})


@bp.get(METADATA)
@raw_response(200, "application/xml", "The CSDL document: every action with its parameters and return type")
@document_response(ODataError, 401)
async def metadata() -> Response:
    """The CSDL ($metadata) of the POS service's OData actions, from the same schemas as
    /openapi.json."""
    app = current_app
    document = app.extensions.get(CSDL_KEY)
    if document is None:
        spec = app.extensions["QUART_SCHEMA"].openapi_provider.schema()
        present = [a for a in ACTIONS if a.path in spec["paths"]]
        document = app.extensions[CSDL_KEY] = csdl(spec, [(a.name, a.path) for a in present], NAMESPACE,
                                                   CONTAINER).encode()
    return Response(document, mimetype="application/xml")


def install_odata(app: Quart) -> Surface:
    """Register the blueprint, one alias per action whose REST route exists, and the OData error
    shape and version header. Call after every REST blueprint is registered."""
    surface = Surface("odata", ROOT, odata_error, ODataError)
    add_surface(app, surface)
    app.register_blueprint(bp)
    for action in ACTIONS:
        try:
            add_alias(app, surface, action.path, action.rest_path)
        except LookupError:
            if not action.optional:
                raise

    @app.after_request
    async def _version(response: Response) -> Response:
        if request.path.startswith(ROOT):
            response.headers[VERSION_HEADER] = "4.0"
        return response

    return surface

