"""Operations: the heartbeat (liveness, the store link), Prometheus metrics, the benchmark echo."""
from api.ops.routes import bp, echo_blueprint

__all__ = ["bp", "echo_blueprint"]
