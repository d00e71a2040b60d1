"""Coupons: POST /pos/coupons/{validate,reserve,redeem,cancel,activate,issue,void} (``routes``), each one
store transition, and their bodies (``schemas``)."""
from api.coupons.routes import bp

__all__ = ["bp"]
