"""`dre serve`: run the POS service with hypercorn's trio worker.

Process layout: the parent starts the embedded redis-server (when no DRE_REDIS_URL is given)
and then either serves in-process (workers=1) or spawns ``workers`` processes that share the
listening sockets (as ``hypercorn.run`` does, but each worker opens our services around the
server). Per worker, nurseries nest as in STYLE.md §2: ``open_services`` (store actor, shard
actors, kernel warm-up) is the outer one; hypercorn's request handling runs inside it.

Shutdown (SIGINT/SIGTERM): hypercorn stops accepting, in-flight requests get GRACE_S to finish,
then the engine's and the store's mailboxes are closed and drained, then the parent stops the
embedded redis-server (which saves its append-only file).
"""
from __future__ import annotations

import argparse
import gc
import logging
import multiprocessing
import multiprocessing.connection
import signal
import time
from functools import partial
from multiprocessing.synchronize import Event as MPEvent

import trio
from hypercorn.config import Config as HyperConfig
from hypercorn.config import Sockets
from hypercorn.trio.run import worker_serve
from hypercorn.utils import check_multiprocess_shutdown_event, wrap_app

from api.http.logging import configure_logging
from dre.config import FLAGS, Config, check_promotions, label, load_config
from dre.errors import DREError, invalid

log = logging.getLogger("dre.serve")

GRACE_S = 10.0  # in-flight requests get this long to finish after a shutdown signal
MAX_RESTARTS, RESTART_WINDOW_S = 5, 60.0  # more worker deaths than this in the window stop the service
KEEP_ALIVE_S = 75.0  # longer than typical load balancer idle timeouts
BACKLOG = 2048  # pending connections (benchmarks open many at once)
# Young-generation collections start after this many more container objects were made than freed
# (Python's default: 700). An evaluate of a 30-line basket holds a few thousand at once (its answer,
# the iteration record): at 700 the collector walked them ~0.3 times per request and moved them to
# the older generations, ~50 µs of CPU per evaluate on the 2-core machine (docs/capacity.md); at
# this threshold they are freed by their reference counts before any collection sees them.
YOUNG_GC_THRESHOLD = 20_000


def settle_heap() -> None:
    """Once the worker is ready to serve: what exists now (modules, compiled kernels, the app,
    promotion sets) lives as long as the worker: moved out of the collector's reach, a full
    collection no longer walks its ~170k objects (~85 ms, which was the p99 of a loaded worker)
    every few seconds; and young collections wait for :data:`YOUNG_GC_THRESHOLD` objects."""
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_GC_THRESHOLD, older, oldest)


def hypercorn_config(config: Config) -> HyperConfig:
    """Hypercorn settings from ours (one place, so the benchmark runs the same server)."""
    h = HyperConfig()
    h.bind = [f"{config.host}:{config.port}"]
    h.worker_class = "trio"
    h.workers = config.workers
    h.graceful_timeout = GRACE_S
    h.keep_alive_timeout = KEEP_ALIVE_S
    h.backlog = BACKLOG
    h.accesslog = None  # api.http.logging writes one JSON line per request
    h.errorlog = logging.getLogger("hypercorn.error")
    return h


async def _signalled() -> None:
    """Return on the first SIGINT or SIGTERM."""
    with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
        async for _ in signals:
            return


async def run_worker(config: Config, redis_url: str | None, sockets: Sockets | None = None,
                     shutdown_event: MPEvent | None = None) -> None:
    """One worker: services (outer nursery) around hypercorn (inner: request handling).

    Returns after a graceful shutdown, triggered by a signal to this process or by
    ``shutdown_event`` (set by the parent of a multi-worker service).
    """
    # Here, not at the top: `dre serve` imports the service (~1 s) while the embedded Redis loads
    # its data (serve); a spawned worker imports it here anyway.
    from api.app import create_app
    from api.articles import LARGE_BODY_PATHS
    from api.http.body_stream import BodyWindow
    from api.http.limits import SettleBody
    from api.worker import open_services

    hconfig = hypercorn_config(config)

    async def shutdown_trigger() -> None:
        async with trio.open_nursery() as nursery:
            async def first(fn) -> None:
                await fn()
                nursery.cancel_scope.cancel()

            nursery.start_soon(first, _signalled)
            if shutdown_event is not None:
                nursery.start_soon(first, partial(check_multiprocess_shutdown_event, shutdown_event, trio.sleep))

    async with open_services(config, redis_url, hold_upgrades=True) as services:
        app = create_app(services)
        settle_heap()  # what exists now lives as long as the worker: out of the collector's walks
        # An early answer (401, 413, 415 before the body was read) must not leave the keep-alive
        # connection hanging: see SettleBody.
        # The batch import's body streams with backpressure (BodyWindow): memory bounded by a window.
        asgi = SettleBody(BodyWindow(app, LARGE_BODY_PATHS), config.max_body_bytes)
        async with trio.open_nursery() as nursery:
            await nursery.start(partial(worker_serve, wrap_app(asgi, hconfig.wsgi_max_body_size, "asgi"), hconfig,
                                        sockets=sockets, shutdown_trigger=shutdown_trigger))
            services.engine.serving()  # listening: the compiled sets may be built now
            # The OpenAPI document (~0.3 s, ~1 s on a loaded machine) is built once, in a thread,
            # now that the worker answers: not on the way to its first answer, nor on the event
            # loop of a client's GET /openapi.json (api.http.openapi.Provider keeps it).
            provider = app.extensions["QUART_SCHEMA"].openapi_provider
            nursery.start_soon(partial(trio.to_thread.run_sync, provider.schema))
    log.info("worker stopped")


def _worker_process(config: Config, redis_url: str | None, sockets: Sockets, shutdown_event: MPEvent) -> None:
    """Entry point of a spawned worker process."""
    configure_logging()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent turns Ctrl-C into shutdown_event
    trio.run(run_worker, config, redis_url, sockets, shutdown_event)


def _serve_multi(config: Config, redis_url: str | None, sockets: Sockets) -> int:
    """Run ``config.workers`` worker processes until a signal; a worker that dies is replaced.

    A worker killed under memory pressure (or crashed) must not take the service down: the others
    keep serving on the shared sockets while a new one starts. A worker that keeps dying
    (MAX_RESTARTS within RESTART_WINDOW_S: a bad deployment, not bad luck) stops the service,
    with the dead worker's exit code.
    """
    ctx = multiprocessing.get_context("spawn")
    stop = ctx.Event()

    def start(i: int) -> multiprocessing.Process:
        p = ctx.Process(target=_worker_process, args=(config, redis_url, sockets, stop), name=f"dre-worker-{i}")
        p.start()
        return p

    procs = [start(i) for i in range(config.workers)]
    restarts: list[float] = []  # when workers were replaced (monotonic)
    failed = 0
    previous = {s: signal.signal(s, lambda *_: stop.set()) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        while any(p.is_alive() for p in procs):
            for i, p in enumerate(procs):
                if stop.is_set() or p.exitcode in (None, 0):
                    continue
                now = time.monotonic()
                restarts = [t for t in restarts if now - t < RESTART_WINDOW_S] + [now]
                if len(restarts) > MAX_RESTARTS:
                    log.error("workers keep dying: stopping the service", extra={"worker": p.name,
                                                                                  "exitcode": p.exitcode})
                    failed = p.exitcode if p.exitcode > 0 else 1  # killed by a signal: < 0
                    stop.set()
                    break
                log.warning("worker died: starting another", extra={"worker": p.name, "exitcode": p.exitcode})
                procs[i] = start(i)
            multiprocessing.connection.wait([p.sentinel for p in procs], timeout=1.0)
    finally:
        for s, h in previous.items():
            signal.signal(s, h)
    return failed or max((p.exitcode or 0) for p in procs)


def listen(config: Config) -> Sockets:
    """The listening sockets, made before anything starts (the workers share them). Raises
    DREError naming --host and --port when the address cannot be bound (unknown host, in use...)."""
    hconfig = hypercorn_config(config)
    try:
        sockets = hconfig.create_sockets()
        for sock in sockets.insecure_sockets:
            sock.listen(hconfig.backlog)
    except OSError as err:
        raise invalid(f"{label('host')}, {label('port')}: cannot listen on {config.host}:{config.port} ({err})") \
            from None
    return sockets


def _first_dre_error(err: BaseException) -> DREError | None:
    """``err`` if it is a DREError, or the first of a group holding nothing else; else None."""
    if isinstance(err, DREError):
        return err
    if isinstance(err, BaseExceptionGroup):
        match, rest = err.split(DREError)
        if match is not None and rest is None:
            while isinstance(match, BaseExceptionGroup):
                match = match.exceptions[0]
            return match
    return None


def serve(args: argparse.Namespace) -> int:
    """Run the service until SIGINT/SIGTERM. Returns the process exit code (2: bad settings).

    Every setting is checked before anything starts (no Redis, no kernels, no workers): a bad one
    is logged as one line naming the flag, its environment variable and what is allowed.
    """
    configure_logging()
    try:
        config = load_config(**{k: getattr(args, k, None) for k in FLAGS})
        if config.promotions_file is not None:
            # here, once: not as a traceback in every worker (nor again when the cache knows the file)
            check_promotions(config.promotions_file, config.data_dir)
        sockets = listen(config)
    except DREError as err:
        log.error("bad configuration", extra={"error": _one_line(err), "details": [d.to_json() for d in err.details]})
        return 2
    server = None
    redis_url = config.redis_url
    try:
        if redis_url is None:
            # here, not at the top: the actors' package imports the engine (~1 s), which a bad
            # setting's one-line answer above does not need
            from actors.redis_server import spawn_redis_server

            try:
                # a local instance's store holds sales that exist nowhere else yet: fsync each write
                spawned = spawn_redis_server(config.data_dir / "redis", fsync="always" if config.local else "everysec")
                try:
                    import api.worker  # noqa: F401 - the service's imports (~1 s) while Redis loads its data
                except BaseException:
                    spawned.server.stop()
                    raise
                server = spawned.ready()
            except (OSError, RuntimeError) as err:
                log.error("bad configuration", extra={
                    "error": f"{label('data_dir')}: the embedded redis-server did not start in "
                             f"{config.data_dir / 'redis'} ({' '.join(str(err).split())})"})
                return 2
            redis_url = server.url
            log.info("embedded redis-server started", extra={"url": redis_url, "data_dir": str(server.data_dir)})
        if config.workers <= 1:
            trio.run(run_worker, config, redis_url, sockets)
            return 0
        return _serve_multi(config, redis_url, sockets)
    except (DREError, BaseExceptionGroup) as exc:  # e.g. the promotion file changed since it was checked
        err = _first_dre_error(exc)
        if err is None:
            raise
        log.error("start-up failed", extra={"error": _one_line(err), "details": [d.to_json() for d in err.details]})
        return 2
    finally:
        for sock in sockets.insecure_sockets:
            sock.close()
        if server is not None:
            server.stop()
            log.info("embedded redis-server stopped")


def _one_line(err: DREError, shown: int = 3) -> str:
    """The error's message with its first few details, on one line."""
    text = err.message
    issues = [f"{d.path}: {d.issue}" for d in err.details]
    issues = [i for i in issues if i not in text]  # the message may quote the first one already
    if issues:
        more = f"; and {len(issues) - shown} more" if len(issues) > shown else ""
        text += f" ({'; '.join(issues[:shown])}{more})"
    return " ".join(text.split())
