"""Evaluate's answer and iteration record stay the same bytes while their code is made cheaper.

Issue 18 goal 6 trims the CPU of shaping evaluate's answer (dre.response), its iteration record
(api.evaluate.iteration, dre.returns.record) and its basket (dre.basket). Those rewrites must not
change a byte. This test prices bench.engine's 30-line baskets (both promotion mixes) with the
reference evaluator and digests everything those functions produce; the digest was computed with
main's code before the rewrite (2026-12-04, commit bf3953b). A deliberate change of the answer or
the record changes the digest: recompute it then, and say why in the commit.
"""
from __future__ import annotations

import hashlib

import orjson
import pytest

from api.evaluate.iteration import iteration_record
from bench import engine as workload
from dre.basket import basket_from_request
from dre.evaluate import ReferenceSet
from dre.pricing import Context
from dre.response import response_body
from dre.returns import sale_record
from dre.wire.evaluate_fast import decode_evaluate_body

DIGESTS = {
    "heavy": "a87794fd29905a555b219cee449571f11fb30eaa95655d4f78dffec7eb01d0c3",
    "realistic": "4322b3f872e34bc190de81bc75c5381c54df5d037d3eb248aadc1ced7479eeb9",
}


def _body(b) -> bytes:
    """bench.http_inprocess's request body of a bench.engine basket (no random transactionId)."""
    return orjson.dumps({"request": {
        "header": {"transactionId": "T1", "storeId": "S1", "currency": "EUR", "timestamp": b.time.isoformat()},
        "posGroupCode": b.pos_group,
        "items": [{"lineReference": ln.ref, "articleNumber": ln.article, "articleGroupId": ln.group,
                   "quantity": ln.milli / 1000, "unitPrice": ln.unit_price / 100} for ln in b.lines],
        "customer": {"customerId": b.customer_id},
    }})


def digest(mix: str, n_promotions: int = 400, n_baskets: int = 40) -> str:
    cat = workload.catalogue()
    promos = workload.promotions(n_promotions, cat, mix=mix)
    rs = ReferenceSet(promos)
    h = hashlib.sha256()
    for b in workload.baskets(n_baskets, cat, promos):
        req = decode_evaluate_body(_body(b))
        assert req is not None
        basket = basket_from_request(req.request)
        h.update(repr(basket).encode())
        result = rs.evaluate(basket, Context())
        for recommendations in (True, False):
            shaped = response_body(basket, result, rs.by_id, include_recommendations=recommendations)
            h.update(orjson.dumps(shaped))
        h.update(orjson.dumps(sale_record(basket, result, rs.by_id)))
        h.update(iteration_record(basket, result, shaped["totals"], rs.by_id, 7))
    return h.hexdigest()


@pytest.mark.parametrize("mix", sorted(DIGESTS))
def test_answer_and_record_bytes_are_mains(mix):
    assert digest(mix) == DIGESTS[mix]


if __name__ == "__main__":  # prints the digests of this checkout's code
    for m in sorted(DIGESTS):
        print(m, digest(m))
