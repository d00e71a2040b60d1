"""Store-local mode end to end: a central `dre serve` and a local one (`--mode local`), each on its
own real Redis (central: an external one that outlives its restarts; local: its embedded one, AOF
with fsync always, killed with it).

One scenario, in order (each server start costs seconds, so the steps share them):
- sync down: the local instance prices with central's promotions and article master (a line
  without a group gets it from the synced articles) and has central's store settings;
- online: a local confirm is judged and committed by central first (counted there before the
  lane's answer, never pending here); a code central redeemed after the store priced it is
  refused to the lane with central's 409 and nothing is committed;
- central stopped: evaluate and confirm still answer 200 with promotions applied; the heartbeat
  says DISCONNECTED and counts the pending transactions;
- kill -9 of the local instance (and its Redis) with the queue: restarted, the queue is still there;
- budgets offline are leases (DRE_LEASE_FRACTION 0.3: each store holds 30 % of a budget): two
  stores offline together never grant more than their leases (60.00 of a 100.00 budget), so
  nothing conflicts;
- coupons offline by their type's offlinePolicy: INDIVIDUAL codes are synced down; offline, an
  ACCEPT code is honoured at both stores, a REFUSE one (the default) is refused with reason
  OFFLINE_REFUSED (evaluate, validate, reserve);
- central back: the queue drains to 0; central's budgets (real sales = consumed - outstanding
  leases) and loyalty points are what they would be had it never gone away; the ACCEPT code
  redeemed at both stores is one conflict, reported once (and kept in the audit record), both
  sales stand; a transaction forwarded again changes nothing;
- coupon calls are passed on to central while it answers: a code reserved there is used by its
  transaction's confirm at the store (the reservation comes down with the code); issue and
  activate answer 503 while central is away;
- loyalty events: online, one at an instance is booked by central at once (its answer is
  central's); offline, one is booked at the instance, queued (a replay once), and booked by
  central once when it is back;
- leases flow back: central's budgets show real sales as consumed and the leases apart; the
  instances stopped (SIGTERM) give back what they did not sell, and consumed is exactly what
  the stores sold, with nothing outstanding.
"""
from __future__ import annotations

import contextlib

import httpx
import orjson
import psutil
import redis
import trio

from actors.redis_server import start_redis_server
from bench.live_server import LiveServer
from dre.store import keys
from tests.api.conftest import ADMIN_KEY, KEY, TENANT
from tests.api.flows import item, request
from tests.api.test_live_confirm import kill_9
from tests.loyalty.helpers import seed

POSEVENT = "/posSupportAPI/loyalty/posevent"
MEMBER = "sample string 1"  # the seed sample's loyaltyNumber; its lines earn 2 points with LOY


def posevent(check: int) -> bytes:
    body = orjson.loads(seed("request.json"))
    body["bill"]["checkNumber"] = check
    return orjson.dumps(body)

HEADERS = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"}
ADMIN = {"Authorization": f"Bearer {ADMIN_KEY}", "Content-Type": "application/json"}
KEYS = f"{TENANT}:{KEY},{TENANT}:{ADMIN_KEY}:admin"
PROMOTIONS = [
    {"id": "A1", "name": "1.00 off A, budget 1,000.00", "type": "ARTICLE", "budget": {"amount": 1000.00},
     "actions": [{"type": "ARTICLE", "values": ["A"], "amountOff": 1.00}]},
    {"id": "B2", "name": "2.00 off group GB, two redemptions", "type": "ARTICLE", "budget": {"redemptions": 2},
     "conditions": [{"type": "ARTICLE_GROUP", "values": ["GB"]}],
     "actions": [{"type": "ARTICLE_GROUP", "values": ["GB"], "amountOff": 2.00}]},
    {"id": "LOY", "name": "1 point per 1.00", "type": "LOYALTY",
     "actions": [{"type": "CURRENCY_TO_POINTS", "points": 1, "per": 1.00}]},
    {"id": "D10", "name": "10.00 off D, budget 100.00", "type": "ARTICLE", "budget": {"amount": 100.00},
     "actions": [{"type": "ARTICLE", "values": ["D"], "amountOff": 10.00}]},
    {"id": "CPN", "name": "3.00 off with an ACC or REF code", "type": "COUPON",
     "conditions": [{"type": "COUPON", "couponTypeIds": ["ACC", "REF"]}],
     "actions": [{"type": "RECEIPT", "amountOff": 3.00}]},
]
COUPON_TYPES = [{"id": "ACC", "type": "INDIVIDUAL", "offlinePolicy": "ACCEPT", "promotionIds": ["CPN"]},
                {"id": "REF", "type": "INDIVIDUAL", "promotionIds": ["CPN"]}]  # no policy: REFUSE


def start_central(tmp_path, redis_url: str, port: int | None = None) -> LiveServer:
    path = tmp_path / "central-promotions.json"
    path.write_bytes(orjson.dumps(PROMOTIONS))
    return LiveServer({"DRE_API_KEYS": KEYS, "DRE_PROMOTIONS_FILE": str(path), "DRE_REDIS_URL": redis_url,
                       "DRE_LEASE_FRACTION": "0.3"},
                      log_path=tmp_path / f"central-{port}.log", port=port)


def start_local(tmp_path, central_url: str, name: str = "local") -> LiveServer:
    return LiveServer({"DRE_API_KEYS": KEYS, "DRE_DATA_DIR": str(tmp_path / f"{name}-data")},
                      ["--mode", "local", "--central-url", central_url, "--central-key", ADMIN_KEY],
                      log_path=tmp_path / f"{name}.log")


async def heartbeat(http: httpx.AsyncClient) -> dict:
    r = await http.get("/pos/heartbeat")
    assert r.status_code == 200, r.text
    return r.json()


async def until(http: httpx.AsyncClient, test, what: str, timeout_s: float = 30) -> dict:
    """Poll the heartbeat until ``test(heartbeat)``; fails naming ``what`` and the last one."""
    hb = {}
    with trio.move_on_after(timeout_s):
        while not test(hb := await heartbeat(http)):
            await trio.sleep(0.1)
        return hb
    raise AssertionError(f"{what}: not within {timeout_s} s; heartbeat {hb}")


async def sell(http: httpx.AsyncClient, txn: str, items: list[dict]) -> dict:
    """Evaluate and confirm one basket (card L1 earns the points); returns the evaluate answer."""
    r = await http.post("/pos/v2/evaluate", content=orjson.dumps(request(txn, items, customer=None, card="L1")))
    assert r.status_code == 200, r.text
    body = {"request": {"header": {"transactionId": txn, "transactionCounter": 1}}}
    c = await http.post("/pos/v2/confirm", content=orjson.dumps(body))
    assert c.status_code == 200, c.text
    return r.json()


async def sell_plain(http: httpx.AsyncClient, txn: str, article: str, *coupons: str) -> dict:
    """Evaluate and confirm one ``article`` at 20.00 (no customer: no points), presenting
    ``coupons``; returns the evaluate answer."""
    r = await http.post("/pos/v2/evaluate", content=orjson.dumps(request(txn, [item("1", article, 1, 20.00)],
                                                                         customer=None, coupons=coupons)))
    assert r.status_code == 200, r.text
    c = await http.post("/pos/v2/confirm", content=orjson.dumps({"request": {"header": {
        "transactionId": txn, "transactionCounter": 1}}}))
    assert c.status_code == 200, c.text
    return r.json()


def discount(answer: dict) -> float:
    return answer["totals"]["discount"]


async def test_local_instances_sell_through_a_central_outage_and_kill_9(tmp_path):
    central_redis = start_redis_server(tmp_path / "central-redis", persist=False)  # outlives central
    rdb = redis.Redis.from_url(central_redis.url, decode_responses=True)
    central = local = other = None
    try:
        central = start_central(tmp_path, central_redis.url)
        async with httpx.AsyncClient(base_url=central.url, headers=ADMIN, timeout=30) as admin:
            r = await admin.post("/pos/articles/import", json={"articles": [
                {"articleNumber": "B", "name": "B, group from the master", "articleGroupId": "GB"}]})
            assert r.status_code == 200, r.text
            r = await admin.put("/admin/stores/BER1", json={"timeZone": "Europe/Berlin"})
            assert r.status_code == 201, r.text
            codes = {}
            for t in COUPON_TYPES:
                r = await admin.post("/admin/coupon-types", json=t)
                assert r.status_code == 201, r.text
                r = await admin.post(f"/admin/coupon-types/{t['id']}/generate", json={"count": 5})
                for n, code in zip(("", "2", "3", "4", "5"), r.json()["codes"]):
                    codes[t["id"] + n] = code
        async with trio.open_nursery() as nursery:  # two starts at once: each waits mostly on numba's cache
            started = {}

            async def start(name: str) -> None:
                started[name] = await trio.to_thread.run_sync(start_local, tmp_path, central.url, name)

            for name in ("local", "other"):
                nursery.start_soon(start, name)
        local, other = started["local"], started["other"]
        b_line = {"lineReference": "2", "articleNumber": "B", "quantity": 1, "unitPrice": 5.00}
        async with httpx.AsyncClient(base_url=local.url, headers=HEADERS, timeout=30) as http, \
                httpx.AsyncClient(base_url=other.url, headers=HEADERS, timeout=30) as http2:
            for h in (http, http2):
                hb = await until(h, lambda h: h.get("lastSync") and h["promotionsLoaded"] == 5, "first sync")
                assert (hb["instance"], hb["mode"], hb["btpConnectivity"]) == ("LOCAL", "ONLINE", "CONNECTED")
                r = await h.get("/admin/stores", headers=ADMIN)  # central's time zones, synced with the rules
                assert r.json()["stores"] == [{"storeId": "BER1", "timeZone": "Europe/Berlin"}], r.text
            # online: priced with synced rules (B's group from the synced master); judged and
            # committed by central first, so it is counted there before the lane has its answer
            # (within the store's lease of A1) and never pending here
            online = await sell(http, "ON1", [item("1", "A", 1, 5.00), b_line])
            assert discount(online) == 1.00 + 2.00
            assert (await heartbeat(http))["pendingTransactions"] == 0
            async with httpx.AsyncClient(base_url=central.url, headers=ADMIN, timeout=30) as admin:
                leases = (await admin.get("/admin/sync/leases")).json()["promotions"]
                a1 = [p for p in leases if p["promotionId"] == "A1"]
                assert sum(le["usedAmount"] for le in a1[0]["leases"]) == 1.00, a1
            # online, a code redeemed at central after the store priced it: central's refusal is the
            # lane's (409, central's body) and nothing is committed, here or there
            r = await http.post("/pos/v2/evaluate", content=orjson.dumps(
                request("DUP", [item("1", "C", 1, 20.00)], customer=None, coupons=(codes["ACC5"],))))
            assert discount(r.json()) == 3.00, r.text
            async with httpx.AsyncClient(base_url=central.url, headers=HEADERS, timeout=30) as at_central:
                await sell_plain(at_central, "CEN", "C", codes["ACC5"])
            r = await http.post("/pos/v2/confirm", content=orjson.dumps({"request": {"header": {
                "transactionId": "DUP", "transactionCounter": 1}}}))
            assert r.status_code == 409 and r.json()["error"]["code"] == "COUPON_UNAVAILABLE", r.text
            assert r.json()["error"]["details"] == [{"path": codes["ACC5"], "issue": "ALREADY_REDEEMED"}]
            r = await http.get("/pos/v2/transactions/DUP/1/side-effects")
            assert r.status_code == 404 and (await heartbeat(http))["pendingTransactions"] == 0, r.text
            # online, coupon calls are passed on: a code reserved at central (its reservation
            # synced down with the code) is used by that transaction's confirm at the store
            r = await http.post("/pos/coupons/reserve", json={"code": codes["ACC2"], "transactionId": "RSV"})
            assert r.status_code == 200 and rdb.hget(keys.coupon(TENANT, codes["ACC2"]), "status") == "RESERVED"
            await trio.sleep(2 * 1.0 + 0.5)  # two sync polls: the store has central's reservation
            held = await sell_plain(http, "RSV", "C", codes["ACC2"])
            assert held["couponResults"][0]["status"] == "APPLIED", held
            await until(http, lambda h: h["pendingTransactions"] == 0, "RSV forwarded")
            # coupon issue and activate are central's: passed on, central's answer is the lane's
            r = await http.post("/pos/coupons/issue", headers=ADMIN, json={"couponTypeId": "ACC", "customerIds": ["U1"]})
            issued = r.json()["codes"][0]["code"]
            r = await http.post("/pos/coupons/activate", json={"code": issued, "customerId": "U1"})
            assert (r.status_code, r.json()["status"]) == (200, "ACTIVE"), r.text
            assert rdb.hget(keys.coupon(TENANT, issued), "status") == "ACTIVE"
            r = await http.post(POSEVENT, content=posevent(1))  # online: central books it, answers
            assert (r.status_code, r.json()["pointsEarned"], r.json()["result"]["statusCode"]) == (200, 2, 0), r.text
            assert rdb.hget(keys.member(TENANT, MEMBER), "points") == "2"
            # both stores' leases (300.00 each) are out of A1's budget; ON1 was sold within one
            assert rdb.hget(keys.budget(TENANT, "A1"), "amount_consumed") == str(2 * 30_000)

            central.stop()
            for h in (http, http2):
                hb = await until(h, lambda h: h["btpConnectivity"] == "DISCONNECTED", "central seen away")
                assert hb["mode"] == "OFFLINE" and hb["circuitBreaker"] != "closed"
            # offline, each store sells B2 (two redemptions) only within its lease of one: this
            # one used it online, the other has it still; together never more than the budget
            mine = [await sell(http, f"OFF{i}", [item("1", "A", 2, 5.00), b_line]) for i in range(2)]
            assert [discount(a) for a in mine] == [2.00, 2.00]
            theirs = [await sell(http2, f"OTH{i}", [b_line]) for i in range(2)]
            assert [discount(a) for a in theirs] == [2.00, 0.00]
            # the ACCEPT code is honoured at both stores (neither knows of the other's sale)
            for h, txn in ((http, "CPA"), (http2, "CPB")):
                sold = await sell_plain(h, txn, "C", codes["ACC"])
                assert discount(sold) == 3.00 and sold["couponResults"][0]["status"] == "APPLIED", sold
            # the REFUSE code is refused offline, with its reason, by evaluate and the coupon calls
            r = await http.post("/pos/v2/evaluate", content=orjson.dumps(
                request("CPR", [item("1", "C", 1, 20.00)], customer=None, coupons=(codes["REF"],))))
            refused = r.json()["couponResults"][0]
            assert (refused["status"], refused["reason"], discount(r.json())) == ("NOT_ACTIVE", "OFFLINE_REFUSED", 0)
            assert "offline" in refused["message"]
            r = await http.post("/pos/coupons/validate", json={"code": codes["REF"]})
            assert (r.json()["valid"], r.json()["reason"]) == (False, "OFFLINE_REFUSED"), r.text
            r = await http.post("/pos/coupons/reserve", json={"code": codes["REF"], "transactionId": "CPR"})
            assert r.status_code == 409 and r.json()["error"]["details"][0]["issue"] == "OFFLINE_REFUSED", r.text
            r = await http.post("/pos/coupons/issue", headers=ADMIN, json={"couponTypeId": "ACC", "customerIds": ["U2"]})
            assert (r.status_code, r.json()["error"]["code"]) == (503, "CENTRAL_UNAVAILABLE"), r.text  # no code central lacks
            for status in (0, 6):  # offline: booked here, a replay answered as one; queued once
                r = await http2.post(POSEVENT, content=posevent(2))
                assert (r.status_code, r.json()["pointsEarned"], r.json()["result"]["statusCode"]) == (200, 2, status)
            await until(http2, lambda h: h["pendingLoyaltyEvents"] == 1, "event queued")  # (a slow probe: null)
            # coupon calls answered here are queued for central: ACC3 reserved and redeemed on its
            # own; ACC4 reserved, then used by its transaction's confirm
            r = await http.post("/pos/coupons/reserve", json={"code": codes["ACC3"], "transactionId": "SR1"})
            assert r.status_code == 200, r.text
            r = await http.post("/pos/coupons/redeem", json={"reservationId": r.json()["reservationId"]})
            assert (r.status_code, r.json()["status"]) == (200, "REDEEMED"), r.text
            r = await http.post("/pos/coupons/reserve", json={"code": codes["ACC4"], "transactionId": "SR2"})
            assert r.status_code == 200, r.text
            assert (await sell_plain(http, "SR2", "C", codes["ACC4"]))["couponResults"][0]["status"] == "APPLIED"
            await until(http, lambda h: h["pendingCouponCalls"] == 3, "3 coupon calls queued")
            # D10 (100.00) offline: 30.00 leased to each store; this one sells 20.00 of its lease,
            # the other all of its 30.00 and then no more: 50.00 together, never over 60.00
            mine = [await sell_plain(http, f"D{i}", "D") for i in range(2)]
            theirs = [await sell_plain(http2, f"E{i}", "D") for i in range(4)]
            assert [discount(a) for a in mine + theirs] == [10.00, 10.00, 10.00, 10.00, 10.00, 0.00]
            await until(http, lambda h: h["pendingTransactions"] == 6, "6 queued here")
            await until(http2, lambda h: h["pendingTransactions"] == 7, "7 queued there")

        kill_9(local)  # and its embedded Redis with it: only the AOF (fsync always) is left
        local.proc.wait()
        local = start_local(tmp_path, central.url)  # central still away
        async with httpx.AsyncClient(base_url=local.url, headers=HEADERS, timeout=30) as http, \
                httpx.AsyncClient(base_url=other.url, headers=HEADERS, timeout=30) as http2:
            hb = await until(http, lambda h: h["pendingTransactions"] is not None, "local store up")
            assert hb["pendingTransactions"] == 6 and hb["pendingCouponCalls"] == 3, hb
            assert hb["btpConnectivity"] == "DISCONNECTED", hb
            again = await http.post("/pos/v2/evaluate", content=orjson.dumps(request("OFF9", [item("1", "A", 1, 5.00)])))
            assert discount(again.json()) == 1.00  # the last synced set survived the kill too

            central = start_central(tmp_path, central_redis.url, central.port)  # where the instances look
            for h in (http, http2):
                await until(h, lambda h: h["pendingTransactions"] == 0 and h["pendingLoyaltyEvents"] == 0
                            and h["pendingCouponCalls"] == 0 and h["btpConnectivity"] == "CONNECTED",
                            "queues drained after central came back")
            async with httpx.AsyncClient(base_url=central.url, headers=ADMIN, timeout=30) as admin:
                d10 = (await admin.get("/admin/promotions/D10/budget")).json()["amount"]  # leases renewed meanwhile
                assert d10["consumed"] == 50.00 and d10["consumed"] + d10["outstandingLeases"] <= 100.00, d10

        for server in (local, other):  # stopped as an operator would: each gives its unsold leases back
            assert server.stop() == 0
        # as if central had never gone away: A1 sold 1 + 2 x 2 units, B2 twice, D10 5 times; no
        # budget conflict, nothing outstanding
        async with httpx.AsyncClient(base_url=central.url, headers=ADMIN, timeout=30) as admin:
            budgets = {pid: (await admin.get(f"/admin/promotions/{pid}/budget")).json() for pid in ("A1", "B2", "D10")}
            assert budgets["A1"]["amount"] == {"limit": 1000.00, "consumed": 5.00, "remaining": 995.00,
                                               "outstandingLeases": 0.0}, budgets
            assert budgets["B2"]["redemptions"] == {"limit": 2, "consumed": 2, "remaining": 0, "outstandingLeases": 0}
            assert budgets["D10"]["amount"] == {"limit": 100.00, "consumed": 50.00, "remaining": 50.00,
                                                "outstandingLeases": 0.0}, budgets
            leases = (await admin.get("/admin/sync/leases")).json()["promotions"]
            assert {(p["outstandingAmount"], p["outstandingRedemptions"]) for p in leases} == {(0, 0)}, leases
            # the ACCEPT code redeemed at both stores: one conflict, reported once; both sales stand
            conflicts = (await admin.get("/admin/sync/conflicts")).json()["conflicts"]
            assert [(c["transactionId"] in ("CPA", "CPB"), c["conflicts"]) for c in conflicts] == [
                (True, [{"type": "COUPON", "code": codes["ACC"], "reason": "ALREADY_REDEEMED"}])], conflicts
            for code in (codes["ACC"], codes["ACC2"], codes["ACC3"], codes["ACC4"]):
                r = await admin.post("/pos/coupons/validate", json={"code": code})
                assert r.json()["status"] == "REDEEMED", r.text
            # ACC2 by RSV through its reservation at central; ACC3 and ACC4 as at the store while
            # central was away: by SR1's reservation on its own, by SR2's confirm (no conflict)
            assert [rdb.hget(keys.coupon(TENANT, codes[c]), "redeemedBy") for c in ("ACC2", "ACC3", "ACC4")] == [
                "RSV", "SR1", "SR2"]
            with trio.fail_after(30):  # both sales in the audit record, the second with its conflict
                while len(audits := [orjson.loads(a) for a in rdb.mget(
                        [keys.audit_record(TENANT, f"{t}/1") for t in ("CPA", "CPB")]) if a]) < 2:
                    await trio.sleep(0.1)
            assert sorted(len(a.get("conflicts", ())) for a in audits) == [0, 1]
            assert all(a["totals"]["discount"] == 300 for a in audits), audits
            # every sale's side effects ran at central once: 1 point per 1.00 of net spend
            points = 7 + 13 + 13 + 3 + 5
            with trio.fail_after(30):
                while rdb.hget(keys.member(TENANT, "L1"), "points") != str(points):
                    await trio.sleep(0.1)
            assert rdb.hget(keys.member(TENANT, MEMBER), "points") == "4"  # the offline event booked once
            # a transaction forwarded again (a lost answer) changes nothing
            totals = {"gross": 10.0, "discount": 2.0, "net": 8.0, "currency": "EUR",
                      "savingsSummary": {"totalSavings": 2.0, "byPromotion": [], "loyaltyPointsEarned": 0}}
            item_off0 = {"transactionId": "OFF0", "transactionCounter": 1, "confirmedAt": 0,
                         "iteration": {"applied": [{"promotionId": "A1", "amount": 200,
                                                    "budget": {"amount": 100000}}], "response": {"totals": totals}}}
            r = await admin.post("/admin/sync/transactions", json={"transactions": [item_off0]})
            assert r.json()["results"][0]["status"] == "REPLAYED", r.text
            assert (await admin.get("/admin/promotions/A1/budget")).json() == budgets["A1"]
    finally:
        for server in (local, other, central):
            if server is not None:
                with contextlib.suppress(psutil.NoSuchProcess):
                    server.stop()
        central_redis.stop()
