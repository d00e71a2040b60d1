"""The answer's lines written as JSON from the kernels' discount rows (evaluate: issue 18, goal 6).

``dre.priced_lines.priced_lines`` walks a Result's ~30 lines and ~60 discounts in Python, making
a dict per line and per discount that orjson then encodes; the walk and the encoding were the
largest part of what evaluate does besides pricing. For a basket the kernels priced, the same
answer is written here in one pass over the kernels' own discount rows: the lineItems as JSON
bytes, the sums (the lines' gross and discount, per promotion over every line and over the sale
lines) and the sale record's rows as JSON bytes. Byte for byte what the Python walk gives, encoded
by orjson: tests/kernels/test_answer_lines.py compares both on generated baskets and sets.

Numbers are written as orjson writes the floats Python makes of them: ``cents / 100`` and
``milli / 1000`` (an int when whole) are the shortest decimals that round-trip, which for these
magnitudes (far below 2**53) are the exact decimal with its trailing zeros dropped, one kept.
Strings come JSON-encoded by orjson (the lines' references and articles, the codes, each
promotion's id, name and type): this module only copies them.
"""
from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import numba
import numpy as np
import orjson

from dre.pricing.result import PricedLines
from kernels.config import jit, jit_inline

if TYPE_CHECKING:
    from dre.basket import Basket
    from dre.promotion.model import Promotion

# The lineItems' keys as orjson writes them, concatenated; _K_* are their offsets in it.
_KEYS = (b'{"lineReference":', b',"articleNumber":', b',"quantity":', b',"unitPrice":', b',"lineGross":',
         b',"lineDiscount":', b',"lineNet":', b',"discounts":[', b',"couponCode":', b'null')
(_K_REF, _K_ART, _K_QTY, _K_PRICE, _K_GROSS, _K_DISC, _K_NET, _K_DISCOUNTS, _K_CODE, _K_NULL,
 _K_END) = itertools.accumulate(map(len, _KEYS), initial=0)
KEYS = np.frombuffer(b"".join(_KEYS), dtype=np.uint8)  # a constant of the compiled writer
_FRAGMENT_HEAD = b'{"promotionId":'  # a promotion's fragment starts with its id's JSON (Fragments.make)
_ID_AT = len(_FRAGMENT_HEAD)

# positions in write_lines' ``res``: its sums and counts, then (from USED) its u promotions and the
# orders and sums by promotion, u each
GROSS, DISCOUNT, SALE_GROSS, SALE_LINES, ITEMS_END, ROWS_END, N_BY, N_SALE, N_USED, MISSING, USED = range(11)
_LINE_BYTES = 400  # a line's keys, numbers and brackets in the answer and its sale row (each number < 30 characters)
_ROW_BYTES = 90  # per discount: its amount, the couponCode key, a sale row's number and their punctuation


@jit_inline
def _copy(out, pos, src, a, b):
    for i in range(a, b):
        out[pos] = src[i]
        pos += 1
    return pos


@jit_inline
def _digits(out, pos, v):
    """``v`` >= 0 in decimal."""
    n = 1
    t = v // 10
    while t > 0:
        t //= 10
        n += 1
    end = pos + n
    for k in range(n):
        out[end - 1 - k] = 48 + v % 10
        v //= 10
    return end


@jit
def _int(out, pos, v):
    if v < 0:
        out[pos] = 45  # -
        pos += 1
        v = -v
    return _digits(out, pos, v)


@jit
def _decimal(out, pos, v, places):
    """``v / 10**places`` as Python's repr of that float: the integer part, a point, the fraction
    without its trailing zeros (one digit at least)."""
    if v < 0:
        out[pos] = 45
        pos += 1
        v = -v
    den = 10 ** places
    pos = _digits(out, pos, v // den)
    out[pos] = 46  # .
    pos += 1
    f = v % den
    if f == 0:
        out[pos] = 48
        return pos + 1
    while f % 10 == 0:
        f //= 10
        places -= 1
    for k in range(places):
        out[pos + places - 1 - k] = 48 + f % 10
        f //= 10
    return pos + places


@jit
def _quantity(out, pos, milli):
    """dre.money.milli_to_number: an int where whole, else thousandths."""
    if milli % 1000 == 0:
        return _int(out, pos, milli // 1000)
    return _decimal(out, pos, milli, 3)


@jit
def _strings(text, n):
    """(2n,): where each of the ``n`` strings of ``orjson.dumps(list_of_str)`` begins and ends,
    its quotes included (inside a JSON string a quote is always escaped)."""
    at = np.empty(2 * n, dtype=np.int64)
    pos = 1  # past [
    for k in range(n):
        at[2 * k] = pos
        pos += 1
        while text[pos] != 34:
            if text[pos] == 92:  # a backslash escapes the next character
                pos += 1
            pos += 1
        pos += 1
        at[2 * k + 1] = pos
        pos += 1  # , or ]
    return at


@numba.njit(cache=True)  # keeps the GIL: released, a pricing lane takes it and the request waits
def write_lines(text, frag, spans, milli, price, gross, disc, res) -> np.ndarray:
    """The lineItems (``[:res[ITEMS_END]]`` of the bytes returned) and the sale rows (up to
    ``res[ROWS_END]``), written into a buffer sized here for the most they can take.

    ``text``: ``orjson.dumps`` of every line's reference and article (line i's are strings 2i and
    2i+1), then the presented codes. ``disc``: the kernels' rows (line, promotion, cents, code),
    each line's in application order. ``frag`` and ``spans``: the set's fragments (each promotion's
    discount up to its amount: :class:`Fragments`), per rank where its fragment begins and ends in
    ``frag`` (-1: not made yet) and the length of its id's JSON there. ``res`` (USED + 5 * rows at
    least), out: the sums (GROSS... N_USED), then the u promotions (ranks) the rows name, in order
    of their first row, and positions in them in order of their first discount and their cents over
    every line, then the same over the sale lines (quantity > 0); from USED on, u each. A
    promotion whose fragment is not made yet is a caller's bug (its span would be read as -1):
    nothing is written, ``res[MISSING]`` is 1, the buffer returned empty.
    """
    n = milli.shape[0]
    rows = disc.shape[0]
    # the promotions the rows name, each row's as a position among them (few: a linear search)
    used = res[USED:USED + rows]
    slot = np.empty(rows, dtype=np.int64)
    u = 0
    missing = 0
    for r in range(rows):
        p = disc[r, 1]
        j = 0
        while j < u and used[j] != p:
            j += 1
        if j == u:
            used[u] = p
            u += 1
            if spans[p, 0] < 0:
                missing = 1
        slot[r] = j
    res[N_USED] = u
    res[MISSING] = missing
    if missing:
        return np.empty(0, dtype=np.uint8)
    n_codes = 0
    for r in range(rows):
        n_codes = max(n_codes, disc[r, 3] + 1)
    at = _strings(text, 2 * n + n_codes)  # (only the codes a discount names are looked for)
    codes = at[4 * n:]
    by_order, by_sum = res[USED + u:USED + 2 * u], res[USED + 2 * u:USED + 3 * u]
    sale_order, sale_sum = res[USED + 3 * u:USED + 4 * u], res[USED + 4 * u:USED + 5 * u]
    # the rows line by line, each line's in their order (a counting sort: the kernels write them
    # promotion by promotion)
    first = np.zeros(n + 1, dtype=np.int64)
    for r in range(rows):
        first[disc[r, 0] + 1] += 1
    for i in range(n):
        first[i + 1] += first[i]
    order = np.empty(rows, dtype=np.int64)
    fill = first[:n].copy()
    for r in range(rows):
        order[fill[disc[r, 0]]] = r
        fill[disc[r, 0]] += 1
    # the most it can take (no bounds are checked while writing): every string twice (a line's
    # reference goes to the answer and its sale row), per line its keys and numbers, per discount
    # its fragment, its code, its promotion's id again (a sale row's key) and its numbers
    room = 2 * text.shape[0] + _LINE_BYTES * n + 8
    for r in range(rows):
        p = disc[r, 1]
        room += spans[p, 1] - spans[p, 0] + spans[p, 2] + _ROW_BYTES
        if disc[r, 3] >= 0:
            room += codes[2 * disc[r, 3] + 1] - codes[2 * disc[r, 3]]
    out = np.empty(room, dtype=np.uint8)
    seen = np.zeros(u, dtype=np.bool_)
    sale_seen = np.zeros(u, dtype=np.bool_)
    line_sum = np.zeros(u, dtype=np.int64)  # a sale line's cents per promotion
    line_order = np.empty(u, dtype=np.int64)  # ...in order of their first discount on it
    line_seen = np.full(u, -1, dtype=np.int64)  # the last line each promotion was seen on
    n_by = n_sale = 0
    total_gross = total_disc = sale_gross = sale_lines = 0
    for j in range(u):
        by_sum[j] = 0
        sale_sum[j] = 0
    # pass 1: the lineItems
    pos = 0
    out[pos] = 91  # [
    pos += 1
    for i in range(n):
        if i:
            out[pos] = 44
            pos += 1
        pos = _copy(out, pos, KEYS, _K_REF, _K_ART)
        pos = _copy(out, pos, text, at[4 * i], at[4 * i + 1])
        pos = _copy(out, pos, KEYS, _K_ART, _K_QTY)
        pos = _copy(out, pos, text, at[4 * i + 2], at[4 * i + 3])
        pos = _copy(out, pos, KEYS, _K_QTY, _K_PRICE)
        pos = _quantity(out, pos, milli[i])
        pos = _copy(out, pos, KEYS, _K_PRICE, _K_GROSS)
        pos = _decimal(out, pos, price[i], 2)
        line_disc = 0
        for k in range(first[i], first[i + 1]):
            line_disc += disc[order[k], 2]
        pos = _copy(out, pos, KEYS, _K_GROSS, _K_DISC)
        pos = _decimal(out, pos, gross[i], 2)
        pos = _copy(out, pos, KEYS, _K_DISC, _K_NET)
        pos = _decimal(out, pos, line_disc, 2)
        pos = _copy(out, pos, KEYS, _K_NET, _K_DISCOUNTS)
        pos = _decimal(out, pos, gross[i] - line_disc, 2)
        pos = _copy(out, pos, KEYS, _K_DISCOUNTS, _K_CODE)
        for k in range(first[i], first[i + 1]):
            r = order[k]
            j = slot[r]
            if k > first[i]:
                out[pos] = 44
                pos += 1
            p = used[j]
            pos = _copy(out, pos, frag, spans[p, 0], spans[p, 1])
            pos = _decimal(out, pos, disc[r, 2], 2)
            pos = _copy(out, pos, KEYS, _K_CODE, _K_NULL)
            c = disc[r, 3]
            if c < 0:
                pos = _copy(out, pos, KEYS, _K_NULL, _K_END)
            else:
                pos = _copy(out, pos, text, codes[2 * c], codes[2 * c + 1])
            out[pos] = 125  # }
            pos += 1
            if not seen[j]:
                seen[j] = True
                by_order[n_by] = j
                n_by += 1
            by_sum[j] += disc[r, 2]
        out[pos] = 93
        out[pos + 1] = 125
        pos += 2
        total_gross += gross[i]
        total_disc += line_disc
    out[pos] = 93
    pos += 1
    res[ITEMS_END] = pos
    # pass 2: the sale rows, [lineReference, milli, gross, {promotion id: cents}] per sale line
    out[pos] = 91
    pos += 1
    for i in range(n):
        if milli[i] <= 0:
            continue
        if sale_lines:
            out[pos] = 44
            pos += 1
        sale_lines += 1
        sale_gross += gross[i]
        out[pos] = 91
        pos += 1
        pos = _copy(out, pos, text, at[4 * i], at[4 * i + 1])
        out[pos] = 44
        pos = _int(out, pos + 1, milli[i])
        out[pos] = 44
        pos = _int(out, pos + 1, gross[i])
        out[pos] = 44
        out[pos + 1] = 123  # {
        pos += 2
        m = 0
        for k in range(first[i], first[i + 1]):
            r = order[k]
            j = slot[r]
            if line_seen[j] != i:
                line_seen[j] = i
                line_order[m] = j
                m += 1
            line_sum[j] += disc[r, 2]
            if not sale_seen[j]:
                sale_seen[j] = True
                sale_order[n_sale] = j
                n_sale += 1
            sale_sum[j] += disc[r, 2]
        for q in range(m):
            j = line_order[q]
            if q:
                out[pos] = 44
                pos += 1
            p = used[j]
            pos = _copy(out, pos, frag, spans[p, 0] + _ID_AT, spans[p, 0] + _ID_AT + spans[p, 2])
            out[pos] = 58  # :
            pos = _int(out, pos + 1, line_sum[j])
            line_sum[j] = 0
        out[pos] = 125
        out[pos + 1] = 93
        pos += 2
    out[pos] = 93
    pos += 1
    res[GROSS] = total_gross
    res[DISCOUNT] = total_disc
    res[SALE_GROSS] = sale_gross
    res[SALE_LINES] = sale_lines
    res[ROWS_END] = pos
    res[N_BY] = n_by
    res[N_SALE] = n_sale
    return out


class Fragments:
    """Each promotion's discount as JSON up to its amount (``{"promotionId":...,"amount":``),
    made when first written and kept: one buffer per set (KernelSet), which the writer reads as
    it is (``buf``, and per rank ``spans``: where its fragment begins and ends in ``buf``, -1
    while not made, and the length of its id's JSON there). Filled by the thread that writes the
    answers, the event loop's; the writer keeps the GIL, so it never reads a buffer being grown."""

    def __init__(self, ranked: Sequence[Promotion]) -> None:
        self._ranked = ranked
        self.spans = np.full((len(ranked), 3), -1, dtype=np.int32)  # 12 bytes a promotion
        self.buf = np.empty(4096, dtype=np.uint8)
        self._size = 0
        self._made = bytearray(len(ranked))  # 1: the rank's spans are set (read without a numpy call)

    def make(self, ranks: Iterable[int]) -> None:
        """The fragments of ``ranks`` not made yet."""
        made = self._made
        for p in ranks:
            if made[p]:
                continue
            pr = self._ranked[p]
            pid = orjson.dumps(pr.id)
            fragment = (_FRAGMENT_HEAD + pid + b',"promotionName":' + orjson.dumps(pr.name)
                        + b',"promotionType":' + orjson.dumps(pr.type) + b',"amount":')
            start, stop = self._size, self._size + len(fragment)
            if stop > self.buf.shape[0]:  # doubled: a set's fragments are copied O(1) times each
                grown = np.empty(max(2 * self.buf.shape[0], stop), dtype=np.uint8)
                grown[:start] = self.buf[:start]
                self.buf = grown
            self.buf[start:stop] = np.frombuffer(fragment, dtype=np.uint8)
            self.spans[p] = (start, stop, len(pid))
            self._size = stop
            made[p] = 1


class WrittenLines:
    """A priced basket's lines, to be written on demand (``Result.lines_written``): the kernels'
    discount rows and the encoded lines, kept with the Result they came from."""

    __slots__ = ("basket", "disc", "used", "milli", "price", "gross", "ids", "fragments")

    def __init__(self, basket: Basket, disc: np.ndarray, used: Iterable[int], milli: np.ndarray,
                 price: np.ndarray, gross: np.ndarray, ids: Sequence[str], fragments: Fragments) -> None:
        """``used``: the promotions (ranks) ``disc`` names, each once, in any order."""
        self.basket, self.disc, self.used, self.milli, self.price, self.gross = basket, disc, used, milli, price, gross
        self.ids, self.fragments = ids, fragments

    def priced_lines(self) -> PricedLines:
        """dre.priced_lines.priced_lines of the basket and its Result, its lines and sale rows as
        JSON (orjson.Fragment)."""
        basket, disc, fragments = self.basket, self.disc, self.fragments
        lines = basket.lines
        text = np.frombuffer(orjson.dumps([*[s for ln in lines for s in (ln.ref, ln.article)], *basket.coupons]),
                             dtype=np.uint8)
        fragments.make(self.used)  # before the writer: a second call of it would cost more than this check
        res = np.empty(USED + 5 * disc.shape[0], dtype=np.int64)
        out = write_lines(text, fragments.buf, fragments.spans, self.milli, self.price, self.gross, disc, res)
        u = int(res[N_USED])
        r = res[:USED + 5 * u].tolist()
        items_end, rows_end, n_by, n_sale = r[ITEMS_END], r[ROWS_END], r[N_BY], r[N_SALE]
        if r[MISSING] or rows_end > out.shape[0]:  # a fragment not made, or short room: a bug, never an answer
            raise RuntimeError(f"answer_lines wrote {rows_end} bytes into {out.shape[0]} (missing: {r[MISSING]})")
        ids = self.ids
        used = r[USED:USED + u]
        by_order, by_sum = r[USED + u:USED + u + n_by], r[USED + 2 * u:USED + 3 * u]
        by_promotion = {ids[used[j]]: by_sum[j] for j in by_order}
        if r[SALE_LINES] == len(lines):
            sale_totals = by_promotion  # no return line: the sale's sums are the answer's (as priced_lines)
        else:
            sale_order, sale_sum = r[USED + 3 * u:USED + 3 * u + n_sale], r[USED + 4 * u:USED + 5 * u]
            sale_totals = {ids[used[j]]: sale_sum[j] for j in sale_order}
        return PricedLines(orjson.Fragment(out[:items_end].tobytes()), r[GROSS], r[DISCOUNT], by_promotion,
                           orjson.Fragment(out[items_end:rows_end].tobytes()), sale_totals, r[SALE_LINES],
                           r[SALE_GROSS])
