"""`dre serve` and `dre simulate` with a bad setting: one line saying which and what is allowed,
exit code 2, no traceback - before anything starts (no Redis, no kernels, no workers)."""
from __future__ import annotations

import os
import socket
import subprocess
import sys

import orjson
import pytest

from tests.api.conftest import EXAMPLES, ROOT

TIMEOUT_S = 60  # a start-up check is ~2 s (imports); a server that started anyway is stopped by this


def run_dre(tmp_path, args: list[str], env: dict[str, str] | None = None) -> tuple[int, list[str]]:
    """Run ``dre ARGS`` in ``tmp_path`` with no DRE_* variable but ``env``; (exit code, output lines)."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("DRE_")}
    full_env.update({"PYTHONPATH": str(ROOT), **(env or {})})
    # cwd: should a server start after all, its embedded Redis files go to tmp_path/data
    proc = subprocess.run([sys.executable, "-m", "cli", *args], cwd=tmp_path, env=full_env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=TIMEOUT_S)
    out = proc.stdout.decode()
    assert "Traceback" not in out, out
    return proc.returncode, [line for line in out.splitlines() if line.strip()]


def serve_error(tmp_path, args: list[str], env: dict[str, str] | None = None) -> str:
    """The one error line of a `dre serve` refused at start (exit code 2)."""
    code, lines = run_dre(tmp_path, ["serve", *args], env)
    assert code == 2 and len(lines) == 1, lines
    rec = orjson.loads(lines[0])
    assert rec["level"] == "ERROR" and rec["msg"] == "bad configuration"
    return rec["error"]


@pytest.mark.parametrize("args, env, says", [
    ([], {"DRE_PORT": "abc"}, "--port / DRE_PORT: 'abc' is not a whole number from 1 to 65535"),
    (["--port", "-1"], {}, "--port / DRE_PORT: '-1' is not a whole number from 1 to 65535"),
    (["--port", "99999"], {}, "--port / DRE_PORT: '99999' is not a whole number from 1 to 65535"),
    ([], {"DRE_WORKERS": "x"}, "--workers / DRE_WORKERS: 'x' is not a whole number >= 1"),
    (["--shards", "0"], {}, "--shards / DRE_SHARDS: '0' is not a whole number >= 1"),
    ([], {"DRE_MAX_BODY_BYTES": "1MiB"}, "DRE_MAX_BODY_BYTES: '1MiB' is not a whole number of bytes >= 1"),
    ([], {"DRE_MAX_IMPORT_BYTES": "0"}, "DRE_MAX_IMPORT_BYTES: '0' is not a whole number of bytes >= 1"),
    ([], {"DRE_JOB_RUNNERS": "-1"}, "DRE_JOB_RUNNERS: '-1' is not a whole number >= 0"),
    ([], {"DRE_JOB_LEASE_S": "x"}, "DRE_JOB_LEASE_S: 'x' is not a number of seconds above 0"),
    (["--redis-url", "notaurl"], {}, "--redis-url / DRE_REDIS_URL: 'notaurl' is not a Redis URL"),
    (["--api-keys", "nokey"], {}, "--api-keys / DRE_API_KEYS: entry 'nokey' is not tenant:key or tenant:key:admin"),
    (["--api-keys", "acme:k:root"], {}, "--api-keys / DRE_API_KEYS: entry 'acme:k:root' is not tenant:key or "
                                        "tenant:key:admin"),
    # the public development key (the default) on a non-loopback address
    (["--host", "0.0.0.0"], {}, "--api-keys / DRE_API_KEYS: the development key 'dev-key' (the default) is served "
                                "on loopback only (127.0.0.1, ::1, localhost), not on --host / DRE_HOST '0.0.0.0'"),
    ([], {"DRE_HOST": "::", "DRE_API_KEYS": "acme:k,default:dev-key"},
     "--api-keys / DRE_API_KEYS: the development key 'dev-key'"),
    (["--promotions-file", "missing.json"], {},
     "--promotions-file / DRE_PROMOTIONS_FILE: 'missing.json' is not a readable file (not there)"),
    ([], {"DRE_HOST": "no-such-host.invalid", "DRE_API_KEYS": "acme:k"},  # (not the dev key: not loopback)
     "--host / DRE_HOST, --port / DRE_PORT: cannot listen on"),
])
def test_bad_setting_is_one_line_and_exit_2(tmp_path, args, env, says):
    assert serve_error(tmp_path, args, env).startswith(says)


@pytest.mark.parametrize("content, says", [
    (b"{not json", "promotions.json: not JSON"),
    (b'[{"id": "P1", "name": "x", "type": "NOPE", "actions": []}]', "promotions[0].type"),
])
def test_invalid_promotions_file_is_one_line_and_exit_2(tmp_path, content, says):
    (tmp_path / "promotions.json").write_bytes(content)
    error = serve_error(tmp_path, [], {"DRE_PROMOTIONS_FILE": "promotions.json"})
    assert error.startswith("--promotions-file / DRE_PROMOTIONS_FILE: ") and says in error


def test_port_in_use_is_one_line_and_exit_2(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        error = serve_error(tmp_path, ["--port", str(port)])
    assert error.startswith(f"--host / DRE_HOST, --port / DRE_PORT: cannot listen on 127.0.0.1:{port} (")


def test_data_dir_that_is_a_file_is_one_line_and_exit_2(tmp_path):
    (tmp_path / "afile").write_text("")
    error = serve_error(tmp_path, ["--data-dir", "afile"])
    assert error == "--data-dir / DRE_DATA_DIR: 'afile' is not a directory (embedded Redis files)"


def simulate_error(tmp_path, args: list[str]) -> str:
    """The one error line of a `dre simulate` refused at start (exit code 2)."""
    code, lines = run_dre(tmp_path, ["simulate", "--no-progress", "--out", str(tmp_path / "out"), *args])
    assert code == 2 and len(lines) == 1, lines
    err = orjson.loads(lines[0])["error"]
    assert err["code"] == "INVALID_INPUT"
    assert not (tmp_path / "out").exists()
    return err["message"]


def test_simulate_missing_scenario_is_one_line_and_exit_2(tmp_path):
    message = simulate_error(tmp_path, ["no-such-scenario.json"])
    assert message == "scenario: 'no-such-scenario.json' is not a readable file (No such file or directory)"


@pytest.mark.parametrize("url, says", [
    ("redis://127.0.0.1:1", "--redis-url: no answer from redis://127.0.0.1:1 ("),
    ("notaurl", "--redis-url: 'notaurl' is not a Redis URL"),
])
def test_simulate_bad_redis_url_is_one_line_and_exit_2(tmp_path, url, says):
    message = simulate_error(tmp_path, [str(EXAMPLES / "black-friday.json"), "--redis-url", url])
    assert message.startswith(says)
