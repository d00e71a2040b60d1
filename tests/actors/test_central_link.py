"""actors.sync.link: what counts as central away (breaker) and what as central's answer.
(Central is an httpx MockTransport here; the real one: tests/local.)"""
from __future__ import annotations

import logging

import httpx
import pytest

from actors.sync import CentralLink, CentralRefused
from dre.errors import DREError


def link(statuses: list[int], seen: list[str]) -> CentralLink:
    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["Authorization"])
        status = statuses.pop(0)
        return httpx.Response(status, json={"ok": status} if status < 400 else {"error": {"code": str(status)}})

    client = httpx.AsyncClient(base_url="http://central", transport=httpx.MockTransport(answer),
                               headers={"Authorization": "Bearer k"})
    return CentralLink(client)


async def test_a_4xx_is_an_answer_and_5xx_or_a_refused_key_is_central_away(caplog):
    seen: list[str] = []
    central = link([200, 400, 503, 403, 403], seen)
    assert await central.get("/x") == {"ok": 200} and central.connected
    with pytest.raises(CentralRefused) as refused:
        await central.post("/x", {})
    assert refused.value.status == 400 and central.connected  # judged the request: the link is fine
    with caplog.at_level(logging.WARNING, logger="dre.central"):
        for _ in range(2):  # a 503, then a 403 (a key central does not take)
            with pytest.raises(DREError) as away:
                await central.get("/x")
            assert away.value.status == 503 and away.value.code == "CENTRAL_UNAVAILABLE"
        assert central.state == "open" and not central.connected
        with pytest.raises(DREError):  # open: fails fast, central is not asked
            await central.get("/x")
        assert len(seen) == 4
        central.breaker.cooldown_s = 0  # the cool-down is over: one probe goes through, refused again
        with pytest.raises(DREError):
            await central.get("/x")
        assert len(seen) == 5
    # the refused key is said once, not on every pull
    assert sum("refuses DRE_CENTRAL_KEY" in r.message for r in caplog.records) == 1
