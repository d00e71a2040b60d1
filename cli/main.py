"""The `dre` command: serve, evaluate (offline), warmup, simulate, bench, store migrate."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import orjson

from dre.errors import DREError


def _evaluate(args: argparse.Namespace) -> int:
    from cli.evaluate import ORJSON_OPTS, error_json, evaluate_file

    try:
        request = Path(args.request).read_bytes() if args.request and args.request != "-" else sys.stdin.buffer.read()
        out = evaluate_file(Path(args.promotions), request, args.time_zone)
    except DREError as e:
        sys.stdout.buffer.write(error_json(e) + b"\n")
        return 2
    except OSError as e:
        print(f"dre evaluate: {e}", file=sys.stderr)
        return 2
    sys.stdout.buffer.write(orjson.dumps(out, option=ORJSON_OPTS) + b"\n")
    return 0


def _serve(args: argparse.Namespace) -> int:
    from api.serve import serve

    return serve(args)


def _warmup(args: argparse.Namespace) -> int:
    from kernels.warmup import warmup_once

    warmup_once(batch=True)  # stamped: a worker then loads the kernels without a compile child
    print("numba kernels compiled and cached")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dre", description="DRE real-time promotion engine")
    sub = parser.add_subparsers(dest="command", required=True)

    ev = sub.add_parser("evaluate", help="price one evaluate request offline against a promotion file")
    ev.add_argument("--promotions", required=True, help="JSON array of promotions (or {promotions, couponTypes})")
    ev.add_argument("--time-zone", help="the store's IANA time zone (e.g. Europe/Berlin), as /admin/stores sets it: "
                    "TIME conditions read the timestamp there (default: at its own offset)")
    ev.add_argument("request", nargs="?", help="request file (default: stdin)")
    ev.set_defaults(func=_evaluate)

    # Flags stay text here: dre.config.load_config checks them with their environment variables,
    # so `--port -1` and `DRE_PORT=-1` get the same one-line message.
    sv = sub.add_parser("serve", help="run the service")
    sv.add_argument("--host", help="address to listen on (DRE_HOST; default 127.0.0.1)")
    sv.add_argument("--port", help="port to listen on, 1-65535 (DRE_PORT; default 8080)")
    sv.add_argument("--workers", help="HTTP worker processes, >= 1 (DRE_WORKERS)")
    sv.add_argument("--shards", help="promotion shard actors per worker, >= 1 (DRE_SHARDS)")
    sv.add_argument("--redis-url", help="redis://, rediss:// or unix:// URL (DRE_REDIS_URL); absent: embedded "
                    "redis-server")
    sv.add_argument("--data-dir", help="embedded Redis data directory (DRE_DATA_DIR)")
    sv.add_argument("--promotions-file", help="promotions loaded at start-up for the first tenant "
                    "(DRE_PROMOTIONS_FILE)")
    sv.add_argument("--api-keys", help="tenant:key[:admin],... (DRE_API_KEYS): POS keys, or admin keys with :admin")
    sv.add_argument("--mode", help="central (default) or local: a store's own instance, synced from central "
                    "(DRE_MODE)")
    sv.add_argument("--central-url", help="local mode: the central service's base URL (DRE_CENTRAL_URL)")
    sv.add_argument("--central-key", help="local mode: an admin key of the store's tenant at central "
                    "(DRE_CENTRAL_KEY)")
    sv.set_defaults(func=_serve)

    # Listed for `dre --help`; main() hands its arguments to the harness's own parser untouched.
    sub.add_parser("load", help="open-loop HTTP load test against a DRE URL (see `dre load --help`)", add_help=False)
    sub.add_parser("simulate", help="replay a simulated peak day from a scenario file (see `dre simulate --help`)",
                   add_help=False)

    sub.add_parser("store", help="store maintenance: `dre store migrate` moves keys of an older layout "
                   "(see `dre store migrate --help`)", add_help=False)

    wu = sub.add_parser("warmup", help="compile and cache every numba kernel")
    wu.set_defaults(func=_warmup)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["load"]:
        from bench.load import main as load_main

        return load_main(argv[1:], prog="dre load")
    if argv[:1] == ["simulate"]:
        from bench.simulation.run import main as simulate_main

        return simulate_main(argv[1:])
    if argv[:2] == ["store", "migrate"]:
        from cli.store_migrate import main as migrate_main

        return migrate_main(argv[2:])
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    raise SystemExit(main())
