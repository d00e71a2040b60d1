"""A real `dre serve` subprocess on a free port (end-to-end and schemathesis tests)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

from dre.store.server import free_port

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 30.0


class LiveServer:
    def __init__(self, env: dict[str, str], args: list[str] | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        full_env = {**os.environ, "PYTHONPATH": str(ROOT), **env}
        self.proc = subprocess.Popen([sys.executable, "-m", "dre.cli", "serve", "--port", str(self.port), *(args or [])],
                                     cwd=ROOT, env=full_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        # Every request logs a line: the pipe is drained all along, or the workers block writing
        # their logs once its buffer (64 KiB, a few hundred requests) is full.
        self.lines: list[bytes] = []
        self._drain = threading.Thread(target=lambda: self.lines.extend(self.proc.stdout), daemon=True)
        self._drain.start()
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self._drain.join(timeout=5)
                raise RuntimeError(f"dre serve exited: {self.output()[-2000:]}")
            try:
                httpx.get(self.url + "/openapi.json", timeout=0.5)
                return
            except httpx.HTTPError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("dre serve did not start")

    def stop(self, timeout: float = 20.0) -> int:
        """SIGTERM, wait for the exit code; kill if it does not stop in time."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode

    def output(self) -> str:
        """Everything the service wrote so far (after stop: all of it)."""
        if self.proc.poll() is not None:
            self._drain.join(timeout=5)
        return b"".join(self.lines).decode()
