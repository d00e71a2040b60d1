#!/usr/bin/env python3
"""Container health check: GET /pos/heartbeat on the local DRE; exit 0 when healthy, 1 if not.

Standard library only (the slim image has no curl). Every DRE route needs auth, so the check
authenticates with ``DRE_HEALTHCHECK_KEY`` or else the first key of ``DRE_API_KEYS``
(``tenant:key[:admin],...``; the heartbeat takes either role) and then requires 200. With no key configured it can only prove the server
answers HTTP, so any answer below 500 counts as healthy.
"""
from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request

TIMEOUT_S = 2.0  # below the HEALTHCHECK --timeout so we report instead of being killed
PATH = "/pos/heartbeat"


def api_key(env: dict[str, str]) -> str | None:
    """The key to authenticate with, if any is configured."""
    if env.get("DRE_HEALTHCHECK_KEY"):
        return env["DRE_HEALTHCHECK_KEY"]
    first = env.get("DRE_API_KEYS", "").split(",")[0].strip().split(":")  # tenant:key or tenant:key:admin
    return (first[1].strip() or None) if len(first) in (2, 3) else None


def check(env: dict[str, str]) -> int:
    """Probe the service described by ``env``. Returns the process exit code."""
    url = f"http://127.0.0.1:{env.get('DRE_PORT', '8080')}{PATH}"
    key = api_key(env)
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {key}"} if key else {})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
            status = response.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    except (urllib.error.URLError, OSError) as exc:
        print(f"unhealthy: {url}: {exc}", file=sys.stderr)
        return 1
    healthy = status == 200 if key else status < 500
    if not healthy:
        print(f"unhealthy: {url} answered {status}", file=sys.stderr)
    return 0 if healthy else 1


if __name__ == "__main__":
    sys.exit(check(dict(os.environ)))
