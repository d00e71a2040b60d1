"""The Redis key layout: which keys share a Redis Cluster slot (see ``docs/store.md``).

Every key carries a ``{hash tag}``; a cluster puts all keys of one tag in one slot, and a Lua
script may only touch keys of one slot. Two kinds of tag:

* ``dre:{<tenant>}:...`` - the tenant's slot: everything a confirm changes atomically (budgets,
  coupons and their reservations, per-customer counts, the confirmed marker), and the tenant's
  master data. One master carries a national retailer's confirms with room (``docs/capacity.md``).
* ``dre:{<tenant>:<kind>:<id>}:...`` - a slot per transaction (``txn``: its counter, priced
  iterations, refused set, confirm seal, answer copy and done marker, its side-effects job and
  audit record), per loyalty member (``member``), per Idempotency-Key (``idem``), per article
  import job (``import``) and per job queue bucket (``jobs``: 12 per tenant, with the parts of the
  audit log). A big tenant's evaluates and jobs spread over every master. Both parts are escaped
  (``part``), so the tag names one (tenant, id) only.

Each function returns one key name; the Lua scripts never build keys (STYLE.md §5), so whatever a
script touches comes from here through KEYS. Every id that comes from a caller (code, transaction,
customer, promotion...) is escaped (``part``): ``:`` separates the key's parts, so an unescaped
code ``G:holds`` would name the holds set of code ``G``.
"""
from __future__ import annotations

import functools
import re
import zlib

PREFIX = "dre"  # the service prefix on every key (shared Redis instances stay tidy)
_FORBIDDEN = set("{}")  # a brace in a tenant would break the hash tag
# What a caller's id may not carry into a key as is: the part separator, braces (a hash tag in a
# cluster) and the escape character itself. Percent-encoded, so ids without them are unchanged.
_ESCAPE = str.maketrans({"%": "%25", ":": "%3A", "{": "%7B", "}": "%7D"})
_NEEDS_ESCAPE = re.compile("[%:{}]")


def part(value: str) -> str:
    """A caller's id as one part of a key: two different ids never give the same part."""
    if _NEEDS_ESCAPE.search(value) is None:  # the usual id: a search costs a fraction of translate
        return value
    return value.translate(_ESCAPE)


@functools.lru_cache(maxsize=1024)  # a confirm builds ~10 keys of one tenant: check it once
def tenant_prefix(tenant: str) -> str:
    """``dre:{tenant}``. Raises ValueError for an empty tenant or one containing a brace."""
    if not tenant or _FORBIDDEN & set(tenant):
        raise ValueError(f"tenant id {tenant!r} must be non-empty and contain no braces")
    return f"{PREFIX}:{{{tenant}}}"


@functools.lru_cache(maxsize=4096)
def _tagged(tenant: str, kind: str, id_: str) -> str:
    tenant_prefix(tenant)  # the same check of the tenant id
    return f"{PREFIX}:{{{part(tenant)}:{kind}:{part(id_)}}}"


def txn_prefix(tenant: str, txn_id: str) -> str:
    """``dre:{tenant:txn:<id>}``: the slot of one transaction's evaluate-path keys."""
    return _tagged(tenant, "txn", txn_id)


def none_key(tenant: str) -> str:
    """A key that is never written: fills a KEYS slot that a script will not use (same slot)."""
    return f"{tenant_prefix(tenant)}:none"


# -- transactions (evaluate / confirm) --------------------------------------------------------
# The transaction's slot (txn_prefix): what every evaluate writes, and what a confirm judges first.

def txn_counter(tenant: str, txn_id: str) -> str:
    """STRING: the last transactionCounter issued for a transaction (INCR, TTL)."""
    return f"{txn_prefix(tenant, txn_id)}:counter"


def txn_iterations(tenant: str, txn_id: str) -> str:
    """HASH counter -> priced iteration (JSON). Only the latest is kept: only it can be confirmed."""
    return f"{txn_prefix(tenant, txn_id)}:iterations"


def txn_refused(tenant: str, txn_id: str) -> str:
    """SET of promotion ids a confirm of this transaction was refused for (BUDGET_EXHAUSTED): its
    next evaluate prices without them, so the lane does not loop on a budget remainder smaller
    than its basket's discount while smaller baskets elsewhere may still use that remainder."""
    return f"{txn_prefix(tenant, txn_id)}:refused"


def txn_seal(tenant: str, txn_id: str) -> str:
    """HASH {n}: how many confirms in flight hold the seal (short TTL; a seal written before
    2026-12-04 also has the counter they commit, never read). While it is there no new counter
    is issued, so the committed iteration is still the latest when the commit lands."""
    return f"{txn_prefix(tenant, txn_id)}:seal"


def txn_answer(tenant: str, txn_id: str) -> str:
    """HASH {counter, answer}: the copy of the confirmed answer as the release before kept it (now
    the fields answerCounter and answer of :func:`txn_iterations`, kept alive alike by the
    transaction's evaluates, so a replay finds it while the lane is still at it); read until it lapses."""
    return f"{txn_prefix(tenant, txn_id)}:answer"


def txn_slot_keys(tenant: str, txn_id: str) -> tuple[str, str, str, str, str]:
    """The five keys above at once (the transaction's slot named once, not five times: every
    evaluate builds them): counter, iterations, seal, answer copy, refused set."""
    slot = txn_prefix(tenant, txn_id)
    return f"{slot}:counter", f"{slot}:iterations", f"{slot}:seal", f"{slot}:answer", f"{slot}:refused"


def txn_confirm_keys(tenant: str, txn_id: str, counter: int | str) -> tuple[str, str, str, str, str, str, str]:
    """What a confirm's seal and settle name in the transaction's slot, the slot named once (a
    confirm built it six times): counter, iterations, seal, answer copy, refused set (as
    :func:`txn_slot_keys`), the job of ``counter`` (:func:`job` of :func:`job_id`) and the done
    marker (:func:`txn_done`): txn_settle.lua's seven keys, in its order."""
    slot = txn_prefix(tenant, txn_id)
    return (f"{slot}:counter", f"{slot}:iterations", f"{slot}:seal", f"{slot}:answer", f"{slot}:refused",
            f"{slot}:job:{part(str(counter))}", f"{slot}:done")


# The tenant's slot: what a confirm commits atomically with the budgets and coupons.

def txn_confirmed(tenant: str, txn_id: str) -> str:
    """STRING ``<counter>:<confirmedAt>:<answer>``: the confirmed marker and the first answer, for
    replays (a hash {counter, answer, confirmedAt} before; read until it lapses)."""
    return f"{tenant_prefix(tenant)}:txn:{part(txn_id)}:confirmed"


def txn_done(tenant: str, txn_id: str) -> str:
    """STRING: the counter a transaction was confirmed with, kept long after its answer (a second
    confirm of the transaction, at any time, is refused: nothing is consumed twice). In the
    transaction's slot: txn_seal.lua checks it first, txn_settle.lua writes it after the commit
    (or the job worker, finding the commit of a worker that died before settling)."""
    return f"{txn_prefix(tenant, txn_id)}:done"


def txn_sale(tenant: str, txn_id: str) -> str:
    """HASH of a confirmed sale for the returns that name it (dre.returns): ``record`` (JSON: its
    lines' discounts, receipt thresholds, proportional points) and the counters its returns have
    used (dre.returns.linked.counter names them). In the tenant's slot: confirm.lua writes it with
    the sale's commit and checks/updates a linked return's counters in that same commit (the
    return is another transaction, so its own txn slot could not reach it). Kept for the return
    window (RETURN_WINDOW_S)."""
    return f"{tenant_prefix(tenant)}:txn:{part(txn_id)}:sale"


# -- coupons -----------------------------------------------------------------------------------

def coupon(tenant: str, code: str) -> str:
    """HASH per code: status, kind, type, owner, validity, limits, uses, current reservation."""
    return f"{tenant_prefix(tenant)}:coupon:{part(code)}"


def coupon_customer_uses(tenant: str, code: str) -> str:
    """HASH customerId -> uses of this code (maxRedemptionsPerCustomer)."""
    return f"{tenant_prefix(tenant)}:coupon:{part(code)}:uses"


def coupon_holds(tenant: str, code: str) -> str:
    """ZSET reservationId -> expiresAt (ms): reservations held on a GENERIC code."""
    return f"{tenant_prefix(tenant)}:coupon:{part(code)}:holds"


def coupon_by_txn(tenant: str, code: str) -> str:
    """HASH transactionId -> reservationId: makes reserve idempotent per (code, transactionId)."""
    return f"{tenant_prefix(tenant)}:coupon:{part(code)}:bytxn"


def coupon_holders(tenant: str, code: str) -> str:
    """HASH of a GENERIC code's holds by caller: reservationId -> caller tag, ``n:<caller>`` ->
    that caller's live holds (one caller may hold only a share of what is left)."""
    return f"{tenant_prefix(tenant)}:coupon:{part(code)}:holders"


def coupon_code_keys(tenant: str, code: str) -> tuple[str, str, str, str, str]:
    """The five keys above of one code at once (its name escaped once, not five times: every
    coupon call builds them): the code, its per-customer uses, holds, bytxn entries, holders."""
    base = coupon(tenant, code)
    return base, f"{base}:uses", f"{base}:holds", f"{base}:bytxn", f"{base}:holders"


def coupon_expiry(tenant: str) -> str:
    """ZSET code -> earliest reservation expiry (ms): what the sweeper has to look at."""
    return f"{tenant_prefix(tenant)}:coupons:expiry"


def coupon_type(tenant: str, type_id: str) -> str:
    """HASH per coupon type: kind, status, prefix, codeLength, limits, validity, promotionIds."""
    return f"{tenant_prefix(tenant)}:ctype:{part(type_id)}"


def coupon_type_uses(tenant: str, type_id: str) -> str:
    """HASH customerId -> uses of any code of this type (the type's maxRedemptionsPerCustomer)."""
    return f"{tenant_prefix(tenant)}:ctype:{part(type_id)}:uses"


def coupon_types(tenant: str) -> str:
    """SET of the tenant's coupon type ids (for listing)."""
    return f"{tenant_prefix(tenant)}:ctypes"


def customer_coupons(tenant: str, customer_id: str) -> str:
    """SET of the codes issued to (or activated by) a customer: the loyalty route's rewards."""
    return f"{tenant_prefix(tenant)}:customer:{part(customer_id)}:coupons"


def reservation(tenant: str, reservation_id: str) -> str:
    """HASH per reservation, its index: code, transactionId (coupon_reserve.lua; kept 48 h)."""
    return f"{tenant_prefix(tenant)}:resv:{part(reservation_id)}"


# -- budgets -----------------------------------------------------------------------------------

def budget(tenant: str, promotion_id: str) -> str:
    """HASH per promotion: amount_consumed, redemptions_consumed (and the limits last applied)."""
    return f"{tenant_prefix(tenant)}:budget:{part(promotion_id)}"


def budget_customers(tenant: str, promotion_id: str) -> str:
    """HASH customerId -> redemptions of this promotion by that customer."""
    return f"{tenant_prefix(tenant)}:budget:{part(promotion_id)}:customers"


def exhausted_budgets(tenant: str) -> str:
    """SET of promotion ids whose budget is used up (evaluate skips them)."""
    return f"{tenant_prefix(tenant)}:budgets:exhausted"


def budget_remaining(tenant: str) -> str:
    """HASH promotion id -> cents left of its money budget (promotions with an amount limit that
    were written or confirmed since; absent: the whole limit). Kept by confirm.lua and
    promotions_write.lua; evaluate leaves out a promotion whose discount exceeds it."""
    return f"{tenant_prefix(tenant)}:budgets:remaining"


# -- idempotency -------------------------------------------------------------------------------

def idempotency(tenant: str, scope: str, key: str) -> str:
    """HASH {state, owner, fingerprint, status, body}: one Idempotency-Key of one route (scope).
    Its own slot (one key per script)."""
    return f"{_tagged(tenant, 'idem', scope + '/' + key)}:{part(scope)}:{part(key)}"


# -- side-effect jobs --------------------------------------------------------------------------
# A job lives in its transaction's slot (written by the confirm's steps that run there); the
# queue is JOB_BUCKETS sorted sets, each in a slot of its own, so one tenant's job traffic spreads
# over every master like its evaluates.

JOB_BUCKETS = 12  # queue buckets per tenant: evenly shared by 1, 2, 3, 4, 6 or 12 masters
_SLOTS = 16384


def job_id(txn_id: str, counter: int) -> str:
    """The id of the side-effects job of a confirmed iteration (one job per iteration)."""
    return f"{txn_id}/{counter}"


def _job_txn(job_id_: str) -> tuple[str, str]:
    txn, _, counter = job_id_.rpartition("/")
    return txn, counter


def job(tenant: str, job_id_: str) -> str:
    """HASH per job: status (HELD while its confirm commits, then PENDING, RUNNING, COMPLETED or
    FAILED), attempts, payload, results, timestamps, last error. In its transaction's slot."""
    txn, counter = _job_txn(job_id_)
    return f"{txn_prefix(tenant, txn)}:job:{part(counter)}"


def job_grants(tenant: str, job_id_: str) -> str:
    """HASH grant id -> the post-purchase codes a job granted (coupon_grant.lua's once-per-grant
    record). The tenant's slot: it is written with the codes, which are the tenant's."""
    return f"{tenant_prefix(tenant)}:job:{part(job_id_)}:grants"


def _crc16(data: bytes) -> int:  # CRC-16/XMODEM, the cluster's key hash (redis.crc.key_slot)
    crc = 0
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return crc


@functools.lru_cache(maxsize=1024)
def job_buckets(tenant: str) -> tuple[str, ...]:
    """The tenant's JOB_BUCKETS queue keys (ZSET job id -> when it may be claimed, ms: enqueue
    time plus a short hold, or a worker's lease deadline). Bucket i's hash tag is drawn so that
    its slot lies in the i-th twelfth of the slot range: a cluster whose masters own equal
    contiguous ranges (``redis-cli --cluster create``) gets the same number of buckets on each."""
    out = []
    for i in range(JOB_BUCKETS):
        lo, hi = i * _SLOTS // JOB_BUCKETS, (i + 1) * _SLOTS // JOB_BUCKETS
        salt = 0
        while True:
            tag = f"{part(tenant)}:jobs:{i}.{salt}"
            if lo <= _crc16(tag.encode()) % _SLOTS < hi:
                break
            salt += 1
        tenant_prefix(tenant)  # the same check of the tenant id
        out.append(f"{PREFIX}:{{{tag}}}:queue")
    return tuple(out)


def job_bucket(tenant: str, job_id_: str) -> str:
    """The queue bucket of a job: by its transaction (a lane's retries meet the same bucket)."""
    txn, _ = _job_txn(job_id_)
    return job_buckets(tenant)[zlib.crc32(txn.encode()) % JOB_BUCKETS]


def legacy_job_queue(tenant: str) -> str:
    """LIST of job ids of the layout before the buckets (``dre store migrate`` moves them)."""
    return f"{tenant_prefix(tenant)}:jobs:queue"


def legacy_job_leases(tenant: str) -> str:
    """ZSET job id -> lease deadline of the layout before the buckets (migrated likewise)."""
    return f"{tenant_prefix(tenant)}:jobs:leases"


# -- calculation audit log --------------------------------------------------------------------
# Written by the side-effects job of a confirmed iteration: like the job, spread by transaction.

def audit_record(tenant: str, audit_id: str) -> str:
    """STRING: one calculation audit record (JSON) of a confirmed iteration (TTL). In the slot of
    its transaction (audit ids are job ids, ``<txn>/<counter>``)."""
    txn, _ = _job_txn(audit_id)
    return f"{txn_prefix(tenant, txn or audit_id)}:audit:{part(audit_id)}"


def audit_logs(tenant: str) -> tuple[str, ...]:
    """The tenant's audit log, in JOB_BUCKETS parts (ZSET audit id -> when it was written, ms;
    each capped), one in the slot of each job queue bucket: what an auditor browses, newest first
    over all parts."""
    return tuple(b.removesuffix(":queue") + ":audit" for b in job_buckets(tenant))


def audit_log(tenant: str, audit_id: str) -> str:
    """The part of the tenant's audit log that lists ``audit_id`` (its job's bucket's slot)."""
    return job_bucket(tenant, audit_id).removesuffix(":queue") + ":audit"


# -- loyalty -----------------------------------------------------------------------------------

def member(tenant: str, member_id: str) -> str:
    """HASH per loyalty member: points, createdAt. The member's own slot."""
    return f"{_tagged(tenant, 'member', member_id)}:points"


def member_event(tenant: str, member_id: str, event_key: str) -> str:
    """STRING: the claim, then the first answer, of an event (member + checkNumber + businessDate)."""
    return f"{_tagged(tenant, 'member', member_id)}:event:{part(event_key)}"


def loyalty_maintenance(tenant: str) -> str:
    """STRING, one per tenant while it is in loyalty maintenance (the admin toggle): its message."""
    return f"{tenant_prefix(tenant)}:loyalty:maintenance"


# -- master data -------------------------------------------------------------------------------

def articles(tenant: str) -> str:
    """HASH articleNumber -> article JSON."""
    return f"{tenant_prefix(tenant)}:articles"


def promotions(tenant: str) -> str:
    """HASH promotion id -> promotion JSON."""
    return f"{tenant_prefix(tenant)}:promotions"


def promotions_version(tenant: str) -> str:
    """STRING counter bumped on every promotion, coupon-type or store-settings write (workers
    reload the tenant's pricing rules when it moves)."""
    return f"{tenant_prefix(tenant)}:promotions:version"


def promotions_written(tenant: str) -> str:
    """STRING marker: a promotion was written (put, create, delete or seed) at least once. The
    start-up file seeds only a tenant without it; coupon-type writes bump the version, not this."""
    return f"{tenant_prefix(tenant)}:promotions:written"


def promotions_seed(tenant: str, token: str) -> str:
    """HASH promotion id -> promotion JSON: one start-up seed's documents, written in chunks,
    then moved onto :func:`promotions` in one step by promotions_write.lua (or dropped); ``token``
    (random, per seed) keeps workers seeding together apart. Expires if a seed is abandoned."""
    return f"{tenant_prefix(tenant)}:promotions:seed:{part(token)}"


def store_settings(tenant: str) -> str:
    """HASH storeId -> store settings JSON (``{"timeZone": ...}``), as /admin/stores wrote them."""
    return f"{tenant_prefix(tenant)}:stores"


def store_defaults(tenant: str) -> str:
    """STRING: the tenant's default store settings JSON (/admin/settings), for stores without their own."""
    return f"{tenant_prefix(tenant)}:stores:default"


# -- article import jobs -----------------------------------------------------------------------

def import_job(tenant: str, job_id_: str) -> str:
    """HASH per article import job: status, total, processed, failed, chunks, nextChunk, lease.
    The job's own slot (its chunks of 5,000 articles are big: spread by job)."""
    return f"{_tagged(tenant, 'import', job_id_)}:job"


def import_chunk(tenant: str, job_id_: str, index: int) -> str:
    """STRING: chunk ``index`` of a job's articles (a JSON array), deleted once processed."""
    return f"{_tagged(tenant, 'import', job_id_)}:chunk:{index}"


def import_errors(tenant: str, job_id_: str) -> str:
    """LIST of a job's article errors (JSON each), capped."""
    return f"{_tagged(tenant, 'import', job_id_)}:errors"


def imports_pending(tenant: str) -> str:
    """SET of import job ids not finished yet (what a restarted worker resumes). The tenant's
    slot: a job leaves it after its last script (``store.imports.settle``), not inside it."""
    return f"{tenant_prefix(tenant)}:imports:pending"


# -- migration from the layout before issue 14 (one slot per tenant) -----------------------------

_LEGACY = re.compile(r"^dre:\{(?P<t>[^:{}]+)\}:(?:txn:(?P<txn>[^:]+):(?P<part>counter|iterations|refused|done)"
                     r"|member:(?P<member>[^:]+)(?::event:(?P<event>[^:]+))?"
                     r"|idem:(?P<scope>[^:]+):(?P<key>[^:]+)"
                     r"|import:(?P<job>[^:]+)(?::(?P<rest>chunk:\d+|errors))?"
                     r"|job:(?P<jtxn>[^:]+)/(?P<jcounter>\d+)"
                     r"|audit:rec:(?P<audit>[^:]+))$")
_LEGACY_QUEUE = re.compile(r"^dre:\{(?P<t>[^{}]+)\}:(?:jobs:(?P<kind>queue|leases)|audit:(?P<log>log))$")


def legacy_rename(name: str) -> str | None:
    """The current name of a key written by the layout before issue 14, or None when ``name`` is
    not such a key (or kept its name: the confirmed and done markers, coupons, budgets...).
    A side-effects job's hash moves to its transaction's slot (its queue entries: see
    :func:`legacy_queue`).

    Old keys carry their ids escaped already (``part``); the new tag reuses them as they are.
    """
    m = _LEGACY.match(name)
    if m is None:
        return None
    t = part(m["t"])
    if m["txn"]:
        return f"{PREFIX}:{{{t}:txn:{m['txn']}}}:{m['part']}"
    if m["member"]:
        tag = f"{PREFIX}:{{{t}:member:{m['member']}}}"
        return f"{tag}:event:{m['event']}" if m["event"] else f"{tag}:points"
    if m["audit"]:
        txn, sep, _ = m["audit"].rpartition("/")
        return f"{PREFIX}:{{{t}:txn:{txn if sep else m['audit']}}}:audit:{m['audit']}"
    if m["jtxn"]:
        return f"{PREFIX}:{{{t}:txn:{m['jtxn']}}}:job:{m['jcounter']}"
    if m["job"]:
        return f"{PREFIX}:{{{t}:import:{m['job']}}}:{m['rest'] or 'job'}"
    return f"{PREFIX}:{{{t}:idem:{m['scope']}/{m['key']}}}:{m['scope']}:{m['key']}"


def legacy_queue(name: str) -> tuple[str, str] | None:
    """(tenant, "queue" | "leases" | "log") of a job queue list, lease set or audit log list of
    the layout before the queue buckets, or None. Its ids go to their buckets (``job_bucket``,
    ``audit_log``)."""
    m = _LEGACY_QUEUE.match(name)
    return (m["t"], m["kind"] or m["log"]) if m else None
