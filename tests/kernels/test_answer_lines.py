"""kernels.answer_lines writes a kernel-priced basket's lines as the Python walk does, byte for byte
(dre.priced_lines: the answer's lineItems and sums, the sale record's rows and totals)."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dre.basket import Basket
from dre.money import milli_to_number
from dre.priced_lines import priced_lines
from dre.pricing.result import Result
from dre.returns.record import sale_record
from kernels import KernelSet
from kernels.answer_lines import _decimal, _quantity
from dre.pricing import Context
from tests.builders import basket, item, promo
from tests.strategies import scenario

FEW = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
TEXT = st.text(min_size=1, max_size=12)  # quotes, backslashes, control characters, any plane
ID_CHARS = "abcXYZ019._:-"  # what a promotion's id may be made of (dre.wire.promotion, 100 at most)


def assert_same_lines(basket: Basket, result: Result, by_id) -> None:
    assert result.lines_written is not None
    walked = priced_lines(basket, result, by_id)
    written = priced_lines(basket, result, by_id, encoded=True)
    assert isinstance(written.items, orjson.Fragment)
    assert orjson.dumps(written.items) == orjson.dumps(walked.items)
    assert orjson.dumps(written.sale_rows) == orjson.dumps(walked.sale_rows)
    assert (written.gross, written.discount, written.sale_lines, written.sale_gross) == (
        walked.gross, walked.discount, walked.sale_lines, walked.sale_gross)
    # the same sums in the same order (the answer's byPromotion, the sale record's totals)
    assert list(written.by_promotion.items()) == list(walked.by_promotion.items())
    assert list(written.sale_totals.items()) == list(walked.sale_totals.items())
    assert orjson.dumps(sale_record(basket, result, by_id, written)) == orjson.dumps(
        sale_record(basket, result, by_id, walked))


@FEW
@given(scenario())
def test_written_lines_are_the_walked_ones(case):
    promos, basket, ctx = case
    ks = KernelSet(promos)
    assert_same_lines(basket, ks.evaluate(basket, ctx), ks.by_id)
    item = ks.prepare(basket, ctx)  # the actors' path: the candidates, then resolve
    assert_same_lines(basket, ks.resolve([item], ks.shard_candidates(0, [item]))[0], ks.by_id)


@FEW
@given(scenario(), st.data())
def test_any_text_is_copied_as_orjson_encodes_it(case, data):
    """References, names, types and codes are only copied: any text, escaped as orjson escapes it
    (a control character takes 6 bytes: the longest texts the writer makes room for), and ids as
    long as a promotion's may be."""
    promos, basket, ctx = case
    text = st.text(st.characters(max_codepoint=31), min_size=40, max_size=80) if data.draw(st.booleans()) else TEXT
    ids = data.draw(st.lists(st.text(ID_CHARS, min_size=90 if data.draw(st.booleans()) else 1, max_size=100),
                             min_size=len(promos), max_size=len(promos), unique=True))
    promos = [replace(p, id=i, name=data.draw(text), type=data.draw(text)) for p, i in zip(promos, ids)]
    n = len(basket.lines)
    refs = data.draw(st.lists(text, min_size=n, max_size=n, unique=True))
    codes = dict(zip(basket.coupons, data.draw(st.lists(text, min_size=len(basket.coupons),
                                                         max_size=len(basket.coupons), unique=True))))
    basket = replace(basket, lines=tuple(replace(ln, ref=r) for ln, r in zip(basket.lines, refs)),
                     coupons=tuple(codes[c] for c in basket.coupons))
    ctx = replace(ctx, coupons={codes.get(c, c): replace(chk, code=codes.get(c, c)) for c, chk in ctx.coupons.items()})
    ks = KernelSet(promos)
    assert_same_lines(basket, ks.evaluate(basket, ctx), ks.by_id)


def test_the_room_reckoned_holds_long_ids_on_one_line():
    """Many discounts on one line from promotions with the longest ids and the shortest names: each
    sale row repeats its promotion's id, which the writer must make room for beyond the answer's."""
    ids = [f"{k}" + "x" * 99 for k in range(8)]
    promos = [promo(pid, name="n", type="ARTICLE", actions=[{"type": "ARTICLE", "values": ["A"], "amountOff": 0.01}])
              for pid in ids]
    b = basket(*[item(str(k), "A", 1, 9.00) for k in range(12)])
    ks = KernelSet(promos)
    result = ks.evaluate(b, Context())
    assert sum(len(ds) for ds in result.lines) == 96  # every promotion on every line
    assert_same_lines(b, result, ks.by_id)


def test_fragments_made_basket_by_basket_outgrow_their_first_buffer():
    """A set's fragments are made as its promotions first discount, into one buffer that grows:
    each basket brings new ones (and the buffer moves) while the earlier ones are written again."""
    promos = [promo(f"P{k}-" + "y" * 90, name="n" * 60, type="ARTICLE",
                    actions=[{"type": "ARTICLE", "values": [f"A{k}"], "amountOff": 0.01}]) for k in range(60)]
    ks = KernelSet(promos)
    first = ks._fragments.buf
    for k in range(0, 60, 6):  # articles k..k+5 new, and article 0 each time again
        b = basket(item("0", "A0", 1, 9.00), *[item(str(j + 1), f"A{j}", 2, 1.50) for j in range(k, k + 6)])
        assert_same_lines(b, ks.evaluate(b, Context()), ks.by_id)
    assert ks._fragments.buf is not first and ks._fragments.buf.shape[0] > first.shape[0]


def test_a_reference_result_and_a_merged_one_are_walked():
    """Only the kernels' own Result carries its rows: a Result made otherwise (the reference, a
    linked return's merge) is walked in Python whatever the caller asks."""
    plain = Result(lines=(), granted=(), coupons=(), recommendations=(), applied=())
    assert plain.lines_written is None
    empty = Basket((), None, "POS", "POS")  # type: ignore[arg-type]
    assert priced_lines(empty, plain, {}, encoded=True).items == []


def _written(fn, value: int, *args) -> bytes:
    out = np.empty(64, dtype=np.uint8)
    return out[:fn(out, 0, value, *args)].tobytes()


def test_cents_and_quantities_near_zero_are_written_as_orjson_writes_them():
    for v in [*range(-25_000, 25_000), 10**9, -10**9, 123_456_789_01, 2**40 + 7]:
        assert _written(_decimal, v, 2) == orjson.dumps(v / 100), v
        assert _written(_quantity, v) == orjson.dumps(milli_to_number(v)), v


@given(st.integers(-10**13, 10**13))
def test_any_cents_and_quantity_as_orjson_writes_them(v):
    assert _written(_decimal, v, 2) == orjson.dumps(v / 100)
    assert _written(_quantity, v) == orjson.dumps(milli_to_number(v))
