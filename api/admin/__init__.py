"""Admin: promotions, coupon types and budgets in the store (``routes``, ``schemas``), and the
operations behind the routes (``promotions``, ``coupon_types``). Each operation takes the worker's
Services and the caller's tenant; routes stay thin (parse, call one function, answer). ``seed``
writes DRE_PROMOTIONS_FILE into the store at start-up (called by api.worker). ``require_store``
also serves the article master (api.articles): admin data lives only in the store."""
from api.admin.common import require_store
from api.admin.routes import BODYLESS, VERSION_HEADER, coupon_types_bp, promotions_bp

__all__ = ["BODYLESS", "VERSION_HEADER", "coupon_types_bp", "promotions_bp", "require_store"]
