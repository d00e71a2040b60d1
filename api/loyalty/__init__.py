"""The loyalty POS event: POST /posSupportAPI/loyalty/posevent (``routes``), JSON or XML
(``negotiate``, ``json_codec``, ``xml_codec`` with ``xml_safe``/``xml_schema``, over the wire
models ``models`` and their conversion ``convert``; forms by ``form_codec``), booked by
``posevent`` (points priced on the engine's lanes by ``pricing``); the tenant's maintenance
toggle (``maintenance``)."""
from api.loyalty.maintenance import bp as maintenance_bp
from api.loyalty.routes import SELF_AUTHENTICATING, bp

__all__ = ["SELF_AUTHENTICATING", "bp", "maintenance_bp"]
