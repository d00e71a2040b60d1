"""The OData V4 surface of the POS service (``/odata/v4/pos/``): the actions table (``actions``),
their aliases, the service document and $metadata (``routes``), the CSDL built from the OpenAPI
document (``csdl``) and the OData error shape (``errors``)."""
from api.odata.actions import ACTIONS, ROOT
from api.odata.routes import METADATA, install_odata

__all__ = ["ACTIONS", "METADATA", "ROOT", "install_odata"]
