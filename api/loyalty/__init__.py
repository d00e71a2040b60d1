"""The loyalty POS event: POST /posSupportAPI/loyalty/posevent (``routes``), JSON or XML
(``negotiate``, ``json_codec``, ``xml_codec`` with ``xml_safe``/``xml_schema``, over the wire
models ``models`` and their conversion ``convert``), booked by ``posevent``."""
from api.loyalty.routes import SELF_AUTHENTICATING, bp

__all__ = ["SELF_AUTHENTICATING", "bp"]
