"""Article master: synchronous and batch imports and the import jobs' status (``routes``), their
bodies (``schemas``) and the operations behind them (``imports``)."""
from api.articles.routes import LARGE_BODY_PATHS, bp

__all__ = ["LARGE_BODY_PATHS", "bp"]
