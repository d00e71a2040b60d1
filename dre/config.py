"""Service configuration: flags override environment variables, which override defaults."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from dre.errors import invalid

DEFAULT_PORT = 8080
DEFAULT_MAX_BODY = 1024 * 1024  # the contract's default request size limit (1 MiB)
DEFAULT_MAX_IMPORT = 512 * 1024 * 1024  # POST /pos/articles/import-batch: a million articles
# with names and attributes is ~150-300 MB of JSON
DEFAULT_KEYS = "default:dev-key"  # a development key so a fresh `dre serve` is usable at once


@dataclass(frozen=True)
class Config:
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    workers: int = 1  # HTTP worker processes
    shards: int = 1  # promotion shard actors per worker (one: no merge step, see actors.coordinator)
    api_keys: dict[str, str] = field(default_factory=dict)  # api key -> tenant
    redis_url: str | None = None  # None: start an embedded redis-server
    data_dir: Path = Path("data")
    promotions_file: Path | None = None  # loaded at start-up for the first tenant
    max_body_bytes: int = DEFAULT_MAX_BODY
    max_import_bytes: int = DEFAULT_MAX_IMPORT  # body limit of the batch article import only
    iteration_ttl_s: int = 24 * 3600  # how long a priced iteration stays confirmable
    job_runners: int = 2  # side-effects jobs run concurrently per worker process (0: none here)
    job_lease_s: float = 30.0  # a side-effects job not finished within this is re-run elsewhere

    @property
    def first_tenant(self) -> str:
        return next(iter(self.api_keys.values()))


def parse_api_keys(spec: str) -> dict[str, str]:
    """``tenant:key,tenant2:key2`` -> {key: tenant}. Raises DREError on a malformed entry."""
    out: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in spec.split(","))):
        tenant, sep, key = part.partition(":")
        if not sep or not tenant or not key:
            raise invalid(f"DRE_API_KEYS entry {part!r} is not tenant:key")
        out[key] = tenant
    if not out:
        raise invalid("DRE_API_KEYS names no key")
    return out


def load_config(env: dict[str, str] | None = None, **flags: object) -> Config:
    """Build the configuration from ``env`` (default: os.environ) and non-None ``flags``."""
    env = dict(os.environ if env is None else env)

    def pick(flag: str, var: str, default: object, conv=str):
        if flags.get(flag) is not None:
            return flags[flag]
        return conv(env[var]) if env.get(var) else default

    promos = pick("promotions_file", "DRE_PROMOTIONS_FILE", None, Path)
    return Config(
        host=pick("host", "DRE_HOST", "127.0.0.1"),
        port=pick("port", "DRE_PORT", DEFAULT_PORT, int),
        workers=pick("workers", "DRE_WORKERS", 1, int),
        shards=pick("shards", "DRE_SHARDS", 1, int),
        api_keys=parse_api_keys(str(pick("api_keys", "DRE_API_KEYS", DEFAULT_KEYS))),
        redis_url=pick("redis_url", "DRE_REDIS_URL", None),
        data_dir=Path(pick("data_dir", "DRE_DATA_DIR", "data")),
        promotions_file=Path(promos) if promos else None,
        max_body_bytes=pick("max_body_bytes", "DRE_MAX_BODY_BYTES", DEFAULT_MAX_BODY, int),
        job_runners=pick("job_runners", "DRE_JOB_RUNNERS", 2, int),
        job_lease_s=pick("job_lease_s", "DRE_JOB_LEASE_S", 30.0, float),
        max_import_bytes=pick("max_import_bytes", "DRE_MAX_IMPORT_BYTES", DEFAULT_MAX_IMPORT, int),
    )
