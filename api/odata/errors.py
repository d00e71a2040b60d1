"""The OData V4 JSON error body (OData JSON Format 4.0, section 21.1) of a DREError.

``{"error": {"code", "message", "target"?, "details": [{"code", "message", "target"}]}}``: the
contract's code and message unchanged; each of its details ``{path, issue}`` becomes
``{code, message: issue, target: path}``, and the first one's path is the error's ``target``.
"""
from __future__ import annotations

from pydantic import BaseModel, Field

from dre.errors import DREError


class ODataErrorDetail(BaseModel):
    code: str
    message: str = Field(description="what is wrong with the target")
    target: str = Field(description="JSON path of the offending input, e.g. request.items[2].quantity")


class ODataErrorInfo(BaseModel):
    code: str = Field(description="the contract's error code: INVALID_INPUT, UNAUTHORIZED, FORBIDDEN, NOT_FOUND, ...")
    message: str
    target: str | None = Field(None, description="the first offending input; absent when there is none")
    details: list[ODataErrorDetail] = Field(default_factory=list)


class ODataError(BaseModel):
    """Every failure on /odata/v4/pos/: ``{"error": {"code", "message", "target"?, "details"}}``."""

    error: ODataErrorInfo


def odata_error(err: DREError) -> dict:
    """The OData error body of ``err``."""
    body: dict = {"code": err.code, "message": err.message}
    if err.details:
        body["target"] = err.details[0].path
    body["details"] = [{"code": err.code, "message": d.issue, "target": d.path} for d in err.details]
    return {"error": body}
