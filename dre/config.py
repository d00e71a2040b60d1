"""Service configuration: flags override environment variables, which override defaults.

Every value is checked here, once, at start: a bad one raises DREError (400 INVALID_INPUT) with a
one-line message naming the flag (when `dre serve` has one), the environment variable and what is
allowed, e.g. ``--port / DRE_PORT: 'abc' is not a whole number from 1 to 65535``.
"""
from __future__ import annotations

import ipaddress
import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from dre.errors import DREError, invalid

DEFAULT_PORT = 8080
DEFAULT_MAX_BODY = 1024 * 1024  # the contract's default request size limit (1 MiB)
DEFAULT_MAX_IMPORT = 512 * 1024 * 1024  # POST /pos/articles/import-batch: a million articles
# with names and attributes is ~150-300 MB of JSON
DEFAULT_PRICE_DEADLINE_MS = 250  # a request's pricing deadline (actors.coordinator.PRICE_TIMEOUT_S)
MAX_PRICE_DEADLINE_MS = 60_000  # a minute: beyond, a lane has long given up
DEFAULT_STORE_DEADLINE_MS = 5_000  # a store call (queueing included) answers 503 past this
DEFAULT_CENTRAL_CONFIRM_MS = 300  # LOCAL: central's verdict on a confirm, or the confirm is committed here
DEFAULT_KEYS = "default:dev-key:admin"  # a development key so a fresh `dre serve` is usable at once
DEV_KEY = "dev-key"  # that key: public (the README shows it), so served on loopback only
POS, ADMIN = "pos", "admin"  # key roles: `tenant:key` is a POS key, `tenant:key:admin` an admin key
LOOPBACK_NAMES = ("localhost",)  # besides loopback IP addresses (127.0.0.0/8, ::1)
REDIS_SCHEMES = ("redis", "rediss", "unix")  # what actors.redis_link connects to
CENTRAL, LOCAL = "central", "local"  # deployments (DRE_MODE): the central service, or a store's own instance
KERNEL_STARTS = ("background", "wait")  # DRE_KERNEL_START: serve while the numba kernels compile, or wait
CENTRAL_SCHEMES = ("http", "https")  # what a local instance reaches central with (DRE_CENTRAL_URL)

# Setting -> its environment variable; the ones `dre serve` also takes as a flag are in FLAGS.
ENV = {
    "host": "DRE_HOST", "port": "DRE_PORT", "workers": "DRE_WORKERS", "shards": "DRE_SHARDS",
    "api_keys": "DRE_API_KEYS", "redis_url": "DRE_REDIS_URL", "data_dir": "DRE_DATA_DIR",
    "promotions_file": "DRE_PROMOTIONS_FILE", "max_body_bytes": "DRE_MAX_BODY_BYTES",
    "max_import_bytes": "DRE_MAX_IMPORT_BYTES", "job_runners": "DRE_JOB_RUNNERS", "job_lease_s": "DRE_JOB_LEASE_S",
    "price_deadline_ms": "DRE_PRICE_DEADLINE_MS", "store_deadline_ms": "DRE_STORE_DEADLINE_MS",
    "mode": "DRE_MODE", "central_url": "DRE_CENTRAL_URL", "central_key": "DRE_CENTRAL_KEY",
    "lease_fraction": "DRE_LEASE_FRACTION", "lease_ttl_s": "DRE_LEASE_TTL_S", "lease_grace_s": "DRE_LEASE_GRACE_S",
    "central_confirm_ms": "DRE_CENTRAL_CONFIRM_MS", "kernel_start": "DRE_KERNEL_START",
}
FLAGS = ("host", "port", "workers", "shards", "redis_url", "data_dir", "promotions_file", "api_keys", "mode",
         "central_url", "central_key")


@dataclass(frozen=True)
class ApiKey:
    """What an API key is: its tenant and its role (POS or ADMIN)."""

    tenant: str
    role: str = POS

    @property
    def admin(self) -> bool:
        return self.role == ADMIN


@dataclass(frozen=True)
class Config:
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    workers: int = 1  # HTTP worker processes
    shards: int = 1  # promotion shard actors per worker (one: no merge step, see actors.coordinator)
    api_keys: dict[str, ApiKey] = field(default_factory=dict)  # api key -> its tenant and role
    redis_url: str | None = None  # None: start an embedded redis-server
    data_dir: Path = Path("data")
    promotions_file: Path | None = None  # loaded at start-up for the first tenant
    max_body_bytes: int = DEFAULT_MAX_BODY
    max_import_bytes: int = DEFAULT_MAX_IMPORT  # body limit of the batch article import only
    iteration_ttl_s: int = 24 * 3600  # how long a priced iteration stays confirmable
    job_runners: int = 2  # side-effects jobs run concurrently per worker process (0: none here)
    job_lease_s: float = 30.0  # a side-effects job not finished within this is re-run elsewhere
    price_deadline_ms: int = DEFAULT_PRICE_DEADLINE_MS  # pricing not done within this: 503, retry
    store_deadline_ms: int = DEFAULT_STORE_DEADLINE_MS  # a store call not answered within this: 503
    mode: str = CENTRAL  # LOCAL: a store's instance, synced from and forwarding to central (api.local)
    central_url: str | None = None  # LOCAL: central's base URL
    central_key: str | None = None  # LOCAL: an admin key of this store's tenant at central
    lease_fraction: float = 0.1  # central: the share of each budget leased to a local instance (0: none)
    lease_ttl_s: float = 24 * 3600.0  # central: a budget lease expires this long after its last grant/renewal
    lease_grace_s: float = 3600.0  # central: an expired lease's unused rest is reclaimed this long after expiry
    central_confirm_ms: int = DEFAULT_CENTRAL_CONFIRM_MS  # LOCAL: a confirm waits this long for central's verdict
    kernel_start: str = "background"  # background: price on the reference path until the kernels are ready

    @property
    def local(self) -> bool:
        return self.mode == LOCAL

    @property
    def tenants(self) -> tuple[str, ...]:
        """The tenants the keys name, each once, in the order of DRE_API_KEYS."""
        return tuple(dict.fromkeys(k.tenant for k in self.api_keys.values()))

    @property
    def first_tenant(self) -> str:
        return self.tenants[0]


def label(setting: str) -> str:
    """How an error names a setting: ``--port / DRE_PORT``, or ``DRE_MAX_BODY_BYTES`` (no flag)."""
    flag = "--" + setting.replace("_", "-") + " / " if setting in FLAGS else ""
    return flag + ENV[setting]


def _bad(setting: str, value: str, allowed: str) -> DREError:
    return invalid(f"{label(setting)}: {value!r} is not {allowed}")


def whole_number(setting: str, value: str, low: int, high: int | None = None, unit: str = "") -> int:
    """``value`` as an int in ``low..high`` (no upper bound without ``high``)."""
    allowed = f"a whole number{unit} from {low} to {high}" if high is not None else f"a whole number{unit} >= {low}"
    try:
        n = int(value.strip())
    except ValueError:
        raise _bad(setting, value, allowed) from None
    if n < low or (high is not None and n > high):
        raise _bad(setting, value, allowed)
    return n


def seconds(setting: str, value: str) -> float:
    """``value`` as a finite number of seconds above 0."""
    try:
        s = float(value.strip())
    except ValueError:
        s = math.nan
    if not (math.isfinite(s) and s > 0):
        raise _bad(setting, value, "a number of seconds above 0")
    return s


def redacted(url: str) -> str:
    """``url`` with its password (``scheme://user:password@host``) replaced by ``***``."""
    return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", url)


def redis_url(value: str, name: str | None = None) -> str:
    """``value`` if it is a Redis URL the store can connect to: redis://host[:port][/db],
    rediss://... (TLS) or unix:///path/to/socket. ``name``: how an error names the setting."""
    name = name or label("redis_url")
    error = invalid(f"{name}: {redacted(value)!r} is not a Redis URL: redis://host[:port][/db], "
                    "rediss://host[:port][/db] or unix:///path/to/socket")
    try:
        parts = urlsplit(value.strip())
        port = parts.port  # ValueError when not a number from 0 to 65535
    except ValueError:
        raise error from None
    if parts.scheme not in REDIS_SCHEMES:
        raise error
    if parts.scheme == "unix":
        if not parts.path:
            raise error
        return value.strip()
    db = parts.path.lstrip("/")
    if not parts.hostname or port == 0 or (db and not db.isdigit()):
        raise error
    return value.strip()


def promotions_path(value: str) -> Path:
    """``value`` as the path of a readable file (its content is checked by :func:`check_promotions`)."""
    path = Path(value)
    if not path.is_file():
        why = "a directory" if path.is_dir() else "not there"
        raise invalid(f"{label('promotions_file')}: {value!r} is not a readable file ({why})")
    if not os.access(path, os.R_OK):
        raise invalid(f"{label('promotions_file')}: {value!r} is not a readable file (permission denied)")
    return path


def check_promotions(path: Path, data_dir: Path | None = None) -> None:
    """Parse and validate the promotion file as the service will; DREError names the setting.

    With ``data_dir``, a file this code validated before (its bytes: dre.promotion.cache in the
    data directory) is not validated again, and one that validates now is remembered there.
    """
    from dre.promotion.cache import PromotionCache
    from dre.promotion.rules_file import load_rules, validated_context

    cache = PromotionCache.in_data_dir(data_dir) if data_dir is not None else None
    if cache is not None and validated_context(path, cache) is not None:
        return
    try:
        load_rules(path, cache)
    except DREError as err:
        raise invalid(f"{label('promotions_file')}: {err.message}", err.details) from None


def central_url(value: str) -> str:
    """``value`` (without a trailing slash) if it is an http:// or https:// URL with a host."""
    try:
        parts = urlsplit(value.strip())
        parts.port  # noqa: B018 - ValueError when not a number from 0 to 65535
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in CENTRAL_SCHEMES or not parts.hostname:
        raise _bad("central_url", value, "an http:// or https:// URL of the central service")
    return value.strip().rstrip("/")


def fraction(setting: str, value: str) -> float:
    """``value`` as a number from 0 to 1."""
    try:
        f = float(value.strip())
    except ValueError:
        f = math.nan
    if not 0 <= f <= 1:  # (NaN fails too)
        raise _bad(setting, value, "a number from 0 to 1")
    return f


def _deployment(mode: str, url: str | None, key: str | None, workers: int) -> tuple[str, str | None, str | None]:
    """(mode, central URL, central key), checked: a local instance needs both, in one worker."""
    mode = mode.strip().lower()
    if mode not in (CENTRAL, LOCAL):
        raise _bad("mode", mode, f"{CENTRAL} or {LOCAL}")
    if mode == CENTRAL:
        return mode, None, None
    if not url or not key:
        missing = label("central_url") if not url else label("central_key")
        raise invalid(f"{missing}: required with {label('mode')} {LOCAL}")
    if workers != 1:
        # one forwarder per store: two would race for the head of the pending queue
        raise invalid(f"{label('workers')}: a {LOCAL} instance runs one worker, not {workers}")
    return mode, central_url(url), key.strip()


def parse_api_keys(spec: str) -> dict[str, ApiKey]:
    """``tenant:key,tenant2:key2:admin`` -> {key: ApiKey(tenant, role)}: ``tenant:key`` is a POS
    key, ``tenant:key:admin`` an admin key. Raises DREError on a malformed entry or on a key named
    twice with another tenant or role."""
    out: dict[str, ApiKey] = {}
    for part in filter(None, (p.strip() for p in spec.split(","))):
        fields = part.split(":")
        if len(fields) not in (2, 3) or not all(fields) or fields[2:] not in ([], [ADMIN]):
            raise invalid(f"{label('api_keys')}: entry {part!r} is not tenant:key or tenant:key:admin")
        key = ApiKey(fields[0], ADMIN if len(fields) == 3 else POS)
        if out.setdefault(fields[1], key) != key:  # (the message does not repeat the key)
            raise invalid(f"{label('api_keys')}: a key of tenant {key.tenant!r} is listed twice, with another "
                          "tenant or role")
    if not out:
        raise invalid(f"{label('api_keys')}: names no key (tenant:key,tenant2:key2:admin)")
    return out


def is_loopback(host: str) -> bool:
    """Whether listening on ``host`` is reachable from this machine only."""
    host = host.strip().strip("[]").lower()
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to any address


def load_config(env: dict[str, str] | None = None, **flags: object) -> Config:
    """Build the configuration from ``env`` (default: os.environ) and non-None ``flags``.

    Flags may be given as text (as `dre serve` passes them) or as values. Raises DREError, with a
    message naming the setting and what it allows, for the first value that is not valid.
    """
    env = dict(os.environ if env is None else env)

    def given(setting: str) -> str | None:
        """The setting's text, from its flag or else its environment variable; None: not set."""
        if flags.get(setting) is not None:
            return str(flags[setting])
        return env.get(ENV[setting]) or None  # an empty variable counts as unset

    def number(setting: str, default: int, low: int, high: int | None = None, unit: str = "") -> int:
        text = given(setting)
        return default if text is None else whole_number(setting, text, low, high, unit)

    host = given("host") or "127.0.0.1"
    if not host.strip() or any(c.isspace() for c in host):
        raise _bad("host", host, "a host name or IP address to listen on")
    url = given("redis_url")
    data_dir = Path(given("data_dir") or "data")
    if url is None and data_dir.exists() and not data_dir.is_dir():
        raise invalid(f"{label('data_dir')}: {str(data_dir)!r} is not a directory (embedded Redis files)")
    promos = given("promotions_file")
    lease = given("job_lease_s")
    api_keys = parse_api_keys(given("api_keys") or DEFAULT_KEYS)
    if DEV_KEY in api_keys and not is_loopback(host):
        raise invalid(f"{label('api_keys')}: the development key {DEV_KEY!r} (the default) is served on loopback "
                      f"only (127.0.0.1, ::1, localhost), not on {label('host')} {host!r}: set keys of your own")
    workers = number("workers", 1, 1)
    mode, central, central_key = _deployment(given("mode") or CENTRAL, given("central_url"), given("central_key"),
                                             workers)
    return Config(
        host=host,
        port=number("port", DEFAULT_PORT, 1, 65535),
        workers=workers,
        shards=number("shards", 1, 1),
        api_keys=api_keys,
        redis_url=None if url is None else redis_url(url),
        data_dir=data_dir,
        promotions_file=None if promos is None else promotions_path(promos),
        max_body_bytes=number("max_body_bytes", DEFAULT_MAX_BODY, 1, unit=" of bytes"),
        max_import_bytes=number("max_import_bytes", DEFAULT_MAX_IMPORT, 1, unit=" of bytes"),
        job_runners=number("job_runners", 2, 0),
        job_lease_s=30.0 if lease is None else seconds("job_lease_s", lease),
        price_deadline_ms=number("price_deadline_ms", DEFAULT_PRICE_DEADLINE_MS, 1, MAX_PRICE_DEADLINE_MS,
                                 unit=" of milliseconds"),
        store_deadline_ms=number("store_deadline_ms", DEFAULT_STORE_DEADLINE_MS, 1, MAX_PRICE_DEADLINE_MS,
                                 unit=" of milliseconds"),
        mode=mode, central_url=central, central_key=central_key,
        lease_fraction=0.1 if given("lease_fraction") is None else fraction("lease_fraction", given("lease_fraction")),
        lease_ttl_s=24 * 3600.0 if given("lease_ttl_s") is None else seconds("lease_ttl_s", given("lease_ttl_s")),
        lease_grace_s=3600.0 if given("lease_grace_s") is None else seconds("lease_grace_s", given("lease_grace_s")),
        central_confirm_ms=number("central_confirm_ms", DEFAULT_CENTRAL_CONFIRM_MS, 1, MAX_PRICE_DEADLINE_MS,
                                  unit=" of milliseconds"),
        kernel_start=_kernel_start(given("kernel_start") or KERNEL_STARTS[0]),
    )


def _kernel_start(value: str) -> str:
    if value.strip().lower() not in KERNEL_STARTS:
        raise _bad("kernel_start", value, " or ".join(KERNEL_STARTS))
    return value.strip().lower()
