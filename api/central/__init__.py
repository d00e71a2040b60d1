"""Central's side of store-local mode (docs/local-store.md): the routes local instances call -
the delta feed (``feed``), forwarded transactions (``accept``) and their conflicts."""
from api.central.routes import bp

__all__ = ["bp"]
