"""Array layout of a compiled promotion set: column numbers and codes shared by compile and kernels.

Every table is a C-contiguous int64 array. Rows of ``promo`` are promotions in rank order
(priority descending, id ascending), so a promotion's row number is its index into
``KernelSet.ranked`` and sorting candidate indices sorts them into application order.
Variable-length parts are CSR: a row holds ``*_OFF``/``*_END`` into a child table, and every list
of strings is a *set*: ``set_vals[set_off[s]:set_off[s + 1]]``, sorted interned ids (binary search).
A set reference of -1 means "absent" (e.g. no posGroups list).
"""
from __future__ import annotations

from collections import namedtuple

# ---- promo table: one row per promotion -------------------------------------------------------
P_ACTIVE = 0
P_EXCLUSIVE = 1
P_MULTIPLICATIVE = 2
P_ROUND_MODE = 3  # dre.money.ROUNDING_CODES
P_ROUND_STEP = 4  # cents: 1, 10, 100
P_HAS_FROM = 5
P_FROM_US = 6  # validFrom, microseconds since the Unix epoch
P_HAS_TO = 7
P_TO_US = 8
P_WIN_DAYS = 9  # validity: bit d-1 set for ISO weekday d; -1 = no validity window
P_WIN_FROM = 10  # minutes after local midnight
P_WIN_TO = 11
P_POS_SET = 12  # posGroups set, -1 = any
P_CTX_OFF = 13  # rows of ``ctxc``
P_CTX_END = 14
P_COUPON_SET = 15  # coupon type set, -1 = not coupon-gated
P_TIME_OFF = 16  # rows of ``timec``
P_TIME_END = 17
P_HAS_ARTICLE = 18  # has ARTICLE/ARTICLE_GROUP conditions
P_QUAL_ART_SET = 19  # union of ARTICLE condition values, -1 = none
P_QUAL_GRP_SET = 20  # union of ARTICLE_GROUP condition values, -1 = none
P_MIN_MILLI = 21  # MIN_QUANTITY, -1 = none
P_SPEND_OFF = 22  # rows of ``spend``
P_SPEND_END = 23
P_ACT_OFF = 24  # rows of ``act``
P_ACT_END = 25
P_PTS_OFF = 26  # rows of ``pts``
P_PTS_END = 27
P_GRANTS = 28  # has INJECT or ISSUE_COUPON actions: applied even without discount or points
P_COLS = 29

# ---- act table: one row per price action -------------------------------------------------------
A_KIND = 0  # ACT_* below
A_BY_GROUP = 1  # UNIT: match the line's group (ARTICLE_GROUP) instead of its article
A_SET = 2  # UNIT / QUANTITY_TIER values; GIFT buy values
A_CALC_KIND = 3  # dre.promotion.model PCT / AMT / FIX
A_CALC_VALUE = 4
A_MAX_MILLI = 5  # UNIT maxQuantity, -1 = none
A_TIER_OFF = 6  # rows of ``tiers`` (SCALED_RECEIPT, QUANTITY_TIER), ascending minimum
A_TIER_END = 7
A_COMP_OFF = 8  # rows of ``comps`` (BUNDLE)
A_COMP_END = 9
A_BUY_QTY = 10  # GIFT
A_GET_SET = 11  # GIFT get values: the A_SET row itself exactly when buy and get are the same set
A_GET_QTY = 12
A_COLS = 13

ACT_UNIT = 0
ACT_RECEIPT = 1
ACT_SCALED = 2
ACT_QTIER = 3
ACT_BUNDLE = 4
ACT_GIFT = 5

# ---- small child tables ------------------------------------------------------------------------
T_MIN, T_CALC_KIND, T_CALC_VALUE = 0, 1, 2  # tiers: minimum (cents or milli), calculator
C_SET, C_QTY = 0, 1  # comps: bundle component values and whole units
X_FIELD, X_SET = 0, 1  # ctxc: context column (CTX_*), accepted values
W_DAYS, W_FROM, W_TO = 0, 1, 2  # timec: weekday bits, [from, to) minutes
S_CENTS, S_RECEIPT = 0, 1  # spend: MIN_SPEND value, scope RECEIPT (1) or QUALIFYING (0)
PT_KIND, PT_POINTS, PT_PER, PT_FACTOR, PT_SET = 0, 1, 2, 3, 4  # pts: loyalty actions

PTS_CURRENCY = 0
PTS_ADD = 1
PTS_SUBTRACT = 2
PTS_MULTIPLY = 3
POINTS_KINDS = {"CURRENCY_TO_POINTS": PTS_CURRENCY, "ADD_FIXED": PTS_ADD,
                "SUBTRACT_POINTS": PTS_SUBTRACT, "MULTIPLY_POINTS": PTS_MULTIPLY}

# ---- per-basket context vector (int64) ---------------------------------------------------------
CTX_POS_GROUP = 0  # interned ids; -1 = absent or unknown to the set
CTX_CHANNEL = 1
CTX_TIER = 2
CTX_CUSTOMER = 3
CTX_PAYMENT = 4
CTX_TIME_US = 5  # evaluation time, microseconds since the Unix epoch
CTX_WEEKDAY = 6  # ISO weekday 1..7 in the timestamp's own offset
CTX_MINUTE = 7  # minutes after local midnight
CTX_INCLUDE_INACTIVE = 8
CTX_COLS = 9
CONTEXT_FIELDS = {"POS_GROUP": CTX_POS_GROUP, "CHANNEL": CTX_CHANNEL, "CUSTOMER_TIER": CTX_TIER,
                  "CUSTOMER": CTX_CUSTOMER, "PAYMENT_MEANS": CTX_PAYMENT}

# Eligibility verdicts.
INELIGIBLE = 0
ELIGIBLE = 1
NEARLY = 2  # only MIN_QUANTITY / MIN_SPEND fail: a recommendation

# ---- the packed set: every table in one flat int64 array ---------------------------------------
# Kernels take the whole compiled set as ONE int64 array ``T``: a header of region offsets followed
# by the regions below (2-D tables row-major). One array rather than a tuple of 17 because every
# non-inlined call that passes a tuple reference-counts each member (~0.3 us per call on the
# apply -> action chain), and unboxing a 17-array tuple costs ~3 us per call from Python.
# Region r occupies ``T[T[r]:T[r + 1]]``; offsets and row references inside the regions are
# relative to their region (as in the unpacked tables), so kernels add the region start.
REGIONS = ("promo", "act", "tiers", "comps", "pts", "ctxc", "timec", "spend", "set_off", "set_vals",
           "art_off", "art_promos", "grp_off", "grp_promos", "global_promos", "gpos_off", "gpos_promos")
(H_PROMO, H_ACT, H_TIERS, H_COMPS, H_PTS, H_CTXC, H_TIMEC, H_SPEND, H_SET_OFF, H_SET_VALS,
 H_ART_OFF, H_ART_PROMOS, H_GRP_OFF, H_GRP_PROMOS, H_GLOBAL, H_GPOS_OFF, H_GPOS_PROMOS, H_END) = range(18)
HEADER = H_END + 1
TIER_COLS, COMP_COLS, PTS_COLS, CTXC_COLS, TIMEC_COLS, SPEND_COLS = 3, 2, 5, 2, 3, 2

# The unpacked view of a compiled set (for Python code and tests): each field a view into ``flat``,
# which is what the kernels take.
Tables = namedtuple("Tables", [
    "promo",  # (P, P_COLS)
    "act",  # (A, A_COLS)
    "tiers",  # (., 3)
    "comps",  # (., 2)
    "pts",  # (., 5)
    "ctxc",  # (., 2)
    "timec",  # (., 3)
    "spend",  # (., 2)
    "set_off",  # (S + 1,)
    "set_vals",  # (set_off[-1],) sorted within each set
    "art_off",  # (V + 1,) index: vocabulary id -> promotions with an ARTICLE condition listing it
    "art_promos",
    "grp_off",  # (V + 1,) index: vocabulary id -> promotions with an ARTICLE_GROUP condition listing it
    "grp_promos",
    "global_promos",  # promotions without article conditions nor posGroups: every basket checks them
    "gpos_off",  # (V + 1,) index: pos group id -> promotions without article conditions listing it in
    "gpos_promos",  # posGroups (a basket of another pos group cannot make them candidates)
    "flat",  # (HEADER + sum of region sizes,) int64: the packed set the kernels read
])
