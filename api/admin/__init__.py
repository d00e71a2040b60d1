"""Admin: promotions, coupon types, budgets and store settings in the store (``routes``,
``schemas``), and the operations behind the routes (``promotions``, ``coupon_types``, ``stores``).
Each operation takes the worker's Services and the caller's tenant; routes stay thin (parse, call one function, answer). ``seed``
writes DRE_PROMOTIONS_FILE into the store at start-up (called by api.worker). Admin data lives
only in the store: without one (an UnavailableStore) every operation answers 503."""
from api.admin.routes import BODYLESS, VERSION_HEADER, coupon_types_bp, promotions_bp, stores_bp

__all__ = ["BODYLESS", "VERSION_HEADER", "coupon_types_bp", "promotions_bp", "stores_bp"]
