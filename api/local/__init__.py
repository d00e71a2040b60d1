"""Store-local mode (docs/local-store.md): ``instance`` starts a local instance's link to central,
its syncer (``sync``: central's promotions, coupon types and articles into the local store) and
its forwarder (confirms up to central), and reports them in the heartbeat."""
from api.local.instance import LocalInstance, start_local

__all__ = ["LocalInstance", "start_local"]
