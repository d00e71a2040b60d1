"""Evaluate and simulate: request → context (coupons, budgets, the customer's used-up promotions)
→ engine → response shaping.

The route has validated the body; this module gathers what the evaluator needs besides the
basket, has the engine price it, assigns the counter (evaluate only) and shapes the answer once,
when everything it says is known: the priced body first (evaluate keeps its totals with the
iteration, in the same store call that assigns the counter), then the answer with its meta.
"""
from __future__ import annotations

import time
import uuid
from collections import ChainMap
from dataclasses import replace

import orjson

from actors.store_ops.transactions import RefusedPromotions
from api.evaluate.coupons import check_coupons
from api.evaluate.customer_limits import customer_spent
from api.evaluate.iteration import iteration_record
from api.services import Services
from dre.basket import Basket, basket_from_request
from dre.errors import DREError
from dre.evaluate import withheld
from dre.priced_lines import priced_lines
from dre.pricing import Context, over_budget
from dre.response import encode_response, response_body, response_meta
from dre.returns import LinkedReturns, merge_linked, price_linked
from dre.wire import evaluate_fast
from dre.wire.evaluate import EvaluateRequest


async def _article_groups(services: Services, tenant: str, req: EvaluateRequest | evaluate_fast.EvaluateRequest) -> dict[str, str] | None:
    """Article groups from the article master for lines that carry none (None: nothing to look up,
    or the store cannot be asked: such lines then match no group condition this time)."""
    missing = list(dict.fromkeys(i.articleNumber for i in req.items if not i.articleGroupId))
    if not missing:
        return None
    try:
        return await services.store.articles.groups(tenant, missing)
    except DREError:
        return None


async def _linked_returns(services: Services, tenant: str, basket: Basket) -> LinkedReturns:
    """What the basket's linked return lines give back: each named sale read once (a store fault is
    a 503: without the sale the return cannot be priced as the contract says)."""
    sales = {}
    for txn in dict.fromkeys(ln.original[0] for ln in basket.lines if ln.original is not None):
        sales[txn] = await services.store.transactions.sale(tenant, txn)
    return price_linked(basket, sales)


async def price_request(services: Services, tenant: str, req: EvaluateRequest | evaluate_fast.EvaluateRequest, *,
                        simulate: bool) -> bytes:
    """The EvaluateResponseV2 of one validated request, as JSON.

    evaluate: assigns the transactionCounter and stores the iteration (counter from the local
    fallback while the store is down: ``meta.counterSource`` says which). simulate: writes
    nothing, honours includeInactive / includeMissedPromotions.

    Raises:
        DREError: 400 for a basket over the engine's limits; 503 when pricing failed.
    """
    started = time.perf_counter()
    groups = await _article_groups(services, tenant, req)
    basket = basket_from_request(req, groups=groups, zone=services.engine.zones(tenant).zone(req.header.storeId))
    if not simulate and (basket.include_inactive or basket.include_missed):
        # evaluate ignores the two simulate-only flags (contract)
        basket = replace(basket, include_inactive=False, include_missed=False)
    transaction_id = basket.transaction_id or str(uuid.uuid4())
    linked = [i for i, ln in enumerate(basket.lines) if ln.original is not None]
    back = await _linked_returns(services, tenant, basket) if linked else None
    # linked return lines give back what their sale gave (dre.returns); the rest is priced
    to_price = replace(basket, lines=tuple(ln for ln in basket.lines if ln.original is None)) if linked else basket
    budgets = await services.budgets.known(tenant)
    refused = await services.local.refused_types() if services.local is not None and basket.coupons else ()
    ctx = Context(coupons=await check_coupons(services.store, tenant, basket,
                                              services.static_coupons.get(tenant, {}), refused),
                  exhausted=budgets.exhausted, remaining=budgets.remaining,
                  customer_spent=await customer_spent(services.store, tenant, basket,
                                                      services.engine.current(tenant)))
    counter, meta_extra = None, None  # simulate assigns no counter
    while True:
        priced = await services.engine.price(tenant, to_price, ctx)
        facts = priced.facts  # what the answer and the records read of the set's promotions
        over = over_budget(priced.result.applied, facts, ctx.remaining)
        if over:
            # what is left of their money budget cannot pay this basket's discount: price again
            # without them (terminates: the left-out set grows every round)
            ctx = replace(ctx, exhausted=ctx.exhausted | over)
            continue
        result, labels = priced.result, facts
        if back is not None:
            result = merge_linked(len(basket.lines), linked, result, back)
            labels = ChainMap(facts, back.names)
        missed = withheld(priced.pset.by_id, basket, ctx)
        # the lines walked once for the answer and the iteration record's sale
        lines = priced_lines(basket, result, labels, encoded=True)
        shaped = response_body(basket, result, labels, missed=missed, lines=lines,
                               include_recommendations=not simulate or basket.include_missed)
        body = orjson.dumps(shaped)
        if simulate:
            break
        record = iteration_record(basket, result, shaped["totals"], facts, priced.pset.version, back, lines=lines)
        try:
            counter, source = await services.counters.next(tenant, transaction_id, record, ctx.left_out)
        except RefusedPromotions as refusal:
            # a confirm of this transaction was refused for these: the lane must not be offered
            # them again. Rare (a budget race), so not read before every evaluate. Terminates:
            # the store refuses only for ids not passed, so the set grows every round.
            if refusal.ids <= ctx.left_out:
                raise
            ctx = replace(ctx, exhausted=ctx.exhausted | refusal.ids)
            continue
        meta_extra = {"counterSource": source}
        break
    meta = response_meta(result, transaction_id=transaction_id, counter=counter, is_simulation=simulate,
                         duration_ms=(time.perf_counter() - started) * 1000, meta_extra=meta_extra)
    return encode_response(meta, body)
