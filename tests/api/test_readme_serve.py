"""The README's first command, as a newcomer runs it: no DRE_* settings, a fresh working directory.

`./scripts/serve` installs and then runs `.venv/bin/dre serve` with no flags: default port 8080,
default key `dev-key`, embedded redis-server under the relative default data directory `data/`.
Every other end-to-end test passes an absolute data directory, which is how a relative default
once broke the embedded store's start without any test noticing.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import pytest

from actors.redis_server import start_redis_server
from bench.live_server import stop_server

ROOT = Path(__file__).resolve().parents[2]
DRE = Path(sys.executable).with_name("dre")  # the console script scripts/serve execs
README_URL = "http://127.0.0.1:8080"  # the README: "runs the service on :8080"
HEADERS = {"Authorization": "Bearer dev-key", "Content-Type": "application/json"}
START_TIMEOUT_S = 180.0  # readiness, not speed: a cold numba cache takes a minute and more


def _plain_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("DRE_")}


class ReadmeServer:
    """`dre serve` with no flags and no DRE_* variables, in ``cwd``."""

    def __init__(self, cwd: Path) -> None:
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen([str(DRE), "serve"], cwd=cwd, env=_plain_env(),
                                     stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"dre serve exited with {self.proc.returncode}: {self.output()[-3000:]}")
            try:
                if httpx.get(README_URL + "/pos/heartbeat", headers=HEADERS, timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise AssertionError(f"dre serve was not ready in {START_TIMEOUT_S:.0f} s: {self.output()[-3000:]}")

    def evaluate(self) -> dict:
        body = (ROOT / "examples" / "request.json").read_bytes()
        r = httpx.post(README_URL + "/pos/v2/evaluate", content=body, headers=HEADERS, timeout=10)
        assert r.status_code == 200, r.text
        return r.json()

    def stop(self) -> int:
        return stop_server(self.proc, 30)

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")


@pytest.fixture
def port_8080_free():
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", 8080))
        except OSError:
            pytest.fail("port 8080 is taken: the README's command serves there (stop what holds it)")


def test_readme_serve_from_a_fresh_directory_and_restart(tmp_path, port_8080_free):
    first = ReadmeServer(tmp_path)
    try:
        hb = httpx.get(README_URL + "/pos/heartbeat", headers=HEADERS, timeout=5).json()
        assert hb["btpConnectivity"] == "CONNECTED"
        out = first.evaluate()
        # No promotions file: nothing discounts, the example basket nets its gross
        # (2 x 4.99 + 4 x 3.99 + 0.456 kg x 12.99 = 5.92, less one returned 4.99).
        assert out["totals"]["net"] == 26.87
        assert out["meta"]["header"]["transactionCounter"] == 1
        assert out["meta"]["counterSource"] == "STORE"
    finally:
        assert first.stop() == 0, first.output()[-3000:]
    assert (tmp_path / "data" / "redis" / "redis.log").exists()  # the relative default, under cwd

    second = ReadmeServer(tmp_path)  # the same data directory: the store's data is kept
    try:
        assert second.evaluate()["meta"]["header"]["transactionCounter"] == 2
    finally:
        assert second.stop() == 0, second.output()[-3000:]


def test_scripts_serve_passes_its_arguments_to_dre_serve(tmp_path):
    """scripts/serve installs (nothing to do here) and execs `dre serve` from the repository root."""
    done = subprocess.run([str(ROOT / "scripts" / "serve"), "--help"], cwd=tmp_path, env=_plain_env(),
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "--redis-url" in done.stdout and "--data-dir" in done.stdout


def test_embedded_store_that_cannot_start_says_why(tmp_path):
    """redis-server's own words reach the error, not a pointer to a log file that may not exist."""
    (tmp_path / "redis.log").mkdir()  # the log file's place is taken: redis-server refuses to start
    with pytest.raises(RuntimeError) as err:
        start_redis_server(tmp_path)
    message = str(err.value)
    assert "redis-server exited" in message
    assert "log file" in message.lower() or "redis.log" in message


def test_embedded_store_with_a_relative_data_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    server = start_redis_server(Path("data") / "redis", persist=False)
    try:
        assert server.data_dir == tmp_path / "data" / "redis"
        assert (tmp_path / "data" / "redis" / "redis.log").exists()
    finally:
        server.stop()
