"""Throughput ceilings with ``wrk``, a native closed-loop HTTP load generator.

On a 2-core machine the Python load generator (bench.http's, bench.load's) takes much of the CPU
it measures with: the ceilings it finds are the generator's as much as the server's. wrk (C and
LuaJIT) costs a fraction of that per request, so its ceilings are the service's. wrk is closed
loop (each connection sends its next request when the last is answered): good for "how many per
second at most", not for latency under a given load, which stays the open-loop Python
generator's job (coordinated omission).

``find_wrk`` finds the binary on PATH or installs Debian's package (``apt-get install wrk``, as
root) and says plainly why when it can do neither.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

TXN = "__TXN__"  # placeholder in a body template: replaced by a fresh transaction id per request
RESULT = re.compile(r"^WRK_RESULT (\d+) (\d+) (\d+) (\d+) (\d+) (\d+)$", re.M)


@dataclass(frozen=True)
class WrkRun:
    path: str
    requests: int  # answers, any status
    seconds: float
    non_2xx: int
    socket_errors: int  # connect, read, write and timeout errors
    p50_ms: float
    p99_ms: float

    @property
    def ok_per_s(self) -> float:
        return (self.requests - self.non_2xx) / self.seconds if self.seconds else 0.0


def find_wrk(install: bool = True) -> tuple[str | None, str]:
    """(path of wrk or None, what was done or why not)."""
    found = shutil.which("wrk")
    if found:
        return found, f"wrk found at {found}"
    if not install:
        return None, "wrk is not on PATH (install Debian's package: apt-get install wrk)"
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return None, "wrk is not on PATH and cannot be installed here (needs root and apt-get): apt-get install wrk"
    try:
        done = subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], capture_output=True, text=True, timeout=300,
                              env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
    except (OSError, subprocess.TimeoutExpired) as error:
        return None, f"wrk is not on PATH and apt-get install wrk failed: {error}"
    found = shutil.which("wrk")
    if found:
        return found, f"wrk installed from Debian's packages ({found})"
    tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
    return None, f"wrk is not on PATH and apt-get install wrk failed (exit {done.returncode}): {tail[0]}"


def _lua(path: str, api_key: str, template: str) -> str:
    """A wrk script POSTing ``template`` to ``path``, each request with its own transaction id."""
    prefix, _, suffix = template.partition(TXN)
    for part in (prefix, suffix):
        if "]==]" in part:
            raise ValueError("body template holds the Lua long-bracket terminator")
    return f"""
local n = 0
local prefix = [==[{prefix}]==]
local suffix = [==[{suffix}]==]
local headers = {{["Authorization"] = "Bearer {api_key}", ["Content-Type"] = "application/json"}}
local threads = {{}}
function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end
function request()
  n = n + 1
  return wrk.format("POST", "{path}", headers, prefix .. "W" .. tid .. "-" .. n .. "-" .. math.random(1e9) .. suffix)
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("WRK_RESULT %d %d %d %d %d %d\\n", summary.requests, summary.duration, e.status,
    e.connect + e.read + e.write + e.timeout, latency:percentile(50), latency:percentile(99)))
end
"""


def run_wrk(wrk: str, base_url: str, path: str, api_key: str, template: str, seconds: float,
            connections: int = 32, threads: int = 1) -> WrkRun:
    """Drive ``path`` for ``seconds`` with ``connections`` keep-alive connections; the figures.

    ``template``: the JSON body with ``TXN`` where its transaction id goes. Raises RuntimeError
    when wrk fails or prints no result."""
    with tempfile.TemporaryDirectory(prefix="dre-wrk-") as scratch:
        script = Path(scratch) / "post.lua"
        script.write_text(_lua(path, api_key, template))
        cmd = [wrk, "-t", str(threads), "-c", str(connections), "-d", f"{max(1, round(seconds))}s",
               "--timeout", "10s", "-s", str(script), base_url + path]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60)
    match = RESULT.search(done.stdout)
    if done.returncode != 0 or match is None:
        raise RuntimeError(f"wrk failed (exit {done.returncode}): {(done.stderr or done.stdout)[-500:]}")
    requests, micros, non_2xx, socket_errors, p50, p99 = (int(g) for g in match.groups())
    return WrkRun(path, requests, micros / 1e6, non_2xx, socket_errors, p50 / 1000, p99 / 1000)
