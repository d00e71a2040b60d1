"""``dre serve`` as a child process on a free loopback port: the benchmarks' and end-to-end tests' server."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from actors.redis_server import free_port

ROOT = Path(__file__).resolve().parent.parent
# Generous: a readiness deadline, not a speed assertion. On a loaded CI machine two workers loading
# numba's cache at once have taken more than 30 s.
START_TIMEOUT_S = 180.0


def stop_server(proc: subprocess.Popen, timeout: float) -> int:
    """Stop a ``dre serve`` child as an operator would: SIGTERM, wait up to ``timeout`` seconds for
    its graceful shutdown, kill it if it does not end by then. Returns its exit code."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode


class LiveServer:
    """Started by the constructor (ready when it returns: /openapi.json answers); ``stop()`` ends it.

    ``env`` is laid over this process's environment, except DRE_REDIS_URL, which is taken only from
    ``env`` (without it the server runs its embedded Redis): a developer's shell must not point a
    test or a benchmark at their own Redis. DRE_KERNEL_START is ``wait`` unless given: benchmarks and
    end-to-end tests measure the kernels, not the reference path of a worker's first seconds
    (bench.coldstart and tests/api/test_serve_cold.py measure that). The server's output goes to
    ``log_path``, else to an unnamed temporary file; ``output()`` reads it.
    """

    def __init__(self, env: dict[str, str], args: list[str] | None = None, log_path: Path | None = None,
                 port: int | None = None) -> None:
        self.port = port or free_port()  # a given port: a restart where clients expect it
        self.url = f"http://127.0.0.1:{self.port}"
        full_env = {key: value for key, value in os.environ.items() if key != "DRE_REDIS_URL"}
        full_env.setdefault("DRE_KERNEL_START", "wait")
        full_env.update({"PYTHONPATH": str(ROOT), **env})
        # A file, not a pipe: nobody reads a pipe while the server runs, and a full pipe (64 KiB of
        # access log lines) would block the server in the middle of a request.
        self._log = open(log_path, "w+b") if log_path else tempfile.TemporaryFile()
        self.proc = subprocess.Popen([sys.executable, "-m", "cli", "serve", "--port", str(self.port), *(args or [])],
                                     cwd=ROOT, env=full_env, stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"dre serve exited: {self.output()[-2000:]}")
            try:
                httpx.get(self.url + "/openapi.json", timeout=0.5)
                return
            except httpx.HTTPError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"dre serve did not start in {START_TIMEOUT_S:.0f} s: {self.output()[-2000:]}")

    def stop(self, timeout: float = 20.0) -> int:
        """SIGTERM, wait for the exit code; kill if it does not stop in time."""
        return stop_server(self.proc, timeout)

    def output(self) -> str:
        self._log.seek(0)
        return self._log.read().decode()
