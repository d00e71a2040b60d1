"""The Redis keys of store-local mode: central's change feed and conflicts, a local instance's
pending-transaction queue and sync state. Same layout rules as ``dre.store.keys`` (tenant hash
tag, escaped id parts); kept apart because they belong to one feature (docs/local-store.md).
"""
from __future__ import annotations

from dre.store.keys import part, tenant_prefix

# -- central: the article change log the delta feed pages through ----------------------------

def article_changes(tenant: str) -> str:
    """ZSET articleNumber -> change sequence number of its last write (articles_upsert.lua)."""
    return f"{tenant_prefix(tenant)}:sync:articles:changes"


def article_seq(tenant: str) -> str:
    """STRING counter: the last article change sequence number issued."""
    return f"{tenant_prefix(tenant)}:sync:articles:seq"


def code_changes(tenant: str) -> str:
    """ZSET code -> change sequence number of its last change (code_changes_log.lua): the coupon
    codes the delta feed sends (INDIVIDUAL ones) after a cursor."""
    return f"{tenant_prefix(tenant)}:sync:codes:changes"


def code_seq(tenant: str) -> str:
    """STRING counter: the last coupon code change sequence number issued."""
    return f"{tenant_prefix(tenant)}:sync:codes:seq"


# -- central: transactions forwarded by local instances ----------------------------------------

def conflicts(tenant: str) -> str:
    """LIST of conflict ids (transactionId/counter), oldest first: what GET /admin/sync/conflicts pages."""
    return f"{tenant_prefix(tenant)}:sync:conflicts"


def conflict(tenant: str, txn_key: str) -> str:
    """STRING: the conflicts (JSON) found when a forwarded transaction was accepted; set once."""
    return f"{tenant_prefix(tenant)}:sync:conflict:{part(txn_key)}"


# -- a local instance ----------------------------------------------------------------------------

def outbox(tenant: str) -> str:
    """LIST of pending transaction ids (transactionId/counter), in confirm order: the head is next."""
    return f"{tenant_prefix(tenant)}:local:outbox"


def outbox_items(tenant: str) -> str:
    """HASH pending transaction id -> what is forwarded (JSON)."""
    return f"{tenant_prefix(tenant)}:local:outbox:items"


def outbox_settled(tenant: str) -> str:
    """HASH transaction id -> central's verdict (JSON: accepted with its conflicts, or refused with
    the reason): an id here is never queued again."""
    return f"{tenant_prefix(tenant)}:local:outbox:settled"


def event_outbox(tenant: str) -> str:
    """LIST of pending loyalty event ids (their replay keys), in arrival order: booked here while
    central was away, to be sent to central (same layout as the outbox of confirms)."""
    return f"{tenant_prefix(tenant)}:local:events"


def event_outbox_items(tenant: str) -> str:
    """HASH pending loyalty event id -> the event as the POS sent it (JSON: content type, body)."""
    return f"{tenant_prefix(tenant)}:local:events:items"


def event_outbox_settled(tenant: str) -> str:
    """HASH loyalty event id -> central's answer (JSON): an id here is never queued again."""
    return f"{tenant_prefix(tenant)}:local:events:settled"


def coupon_outbox(tenant: str) -> str:
    """LIST of pending coupon call ids (``reserve/<reservationId>``, ``redeem/...``, ``cancel/...``,
    ``void/<code>``), in the order they were answered: made here while central was away (or on a
    reservation made then), to be made at central (same layout as the outbox of confirms)."""
    return f"{tenant_prefix(tenant)}:local:coupons"


def coupon_outbox_items(tenant: str) -> str:
    """HASH pending coupon call id -> the call (JSON: op and what central's route takes)."""
    return f"{tenant_prefix(tenant)}:local:coupons:items"


def coupon_outbox_settled(tenant: str) -> str:
    """HASH coupon call id -> central's answer (JSON): an id here is never queued again."""
    return f"{tenant_prefix(tenant)}:local:coupons:settled"


def sync_state(tenant: str) -> str:
    """HASH: cursor (of central's feed), lastSync (epoch ms of the last complete pull), instance
    (this instance's id at central)."""
    return f"{tenant_prefix(tenant)}:local:sync"


# -- central: budget leases of local instances ----------------------------------------------------

def lease(tenant: str, promotion_id: str) -> str:
    """HASH per budgeted promotion: ``<instance>:amount`` / ``<instance>:redemptions`` leased to
    that instance so far (cents / count, cumulative), ``<instance>:usedAmount`` /
    ``<instance>:usedRedemptions`` what its forwarded sales took of them,
    ``<instance>:returnedAmount`` / ``<instance>:returnedRedemptions`` what it gave back."""
    return f"{tenant_prefix(tenant)}:sync:lease:{part(promotion_id)}"


def lease_uses(tenant: str, promotion_id: str) -> str:
    """HASH forwarded transaction id -> 1: its use of a lease was counted (once)."""
    return f"{tenant_prefix(tenant)}:sync:lease:{part(promotion_id)}:uses"


def lease_returns(tenant: str, promotion_id: str) -> str:
    """HASH return id -> 1: a lease return taken back (once; lease_return.lua)."""
    return f"{tenant_prefix(tenant)}:sync:lease:{part(promotion_id)}:returns"


def local_leases(tenant: str) -> str:
    """HASH (a local instance) promotion id -> its lease as central last sent it (JSON: amount in
    major units, redemptions; cumulative): what it gives back the rest of on shutdown."""
    return f"{tenant_prefix(tenant)}:local:leases"


def lease_returns_pending(tenant: str) -> str:
    """HASH (a local instance) return id -> lease return (JSON) released here and not yet taken
    back by central (lease_release.lua)."""
    return f"{tenant_prefix(tenant)}:local:leases:returns"


def leased_promotions(tenant: str) -> str:
    """SET of promotion ids with a lease hash (what GET /admin/sync/leases lists)."""
    return f"{tenant_prefix(tenant)}:sync:leased"


def central_promotions(tenant: str) -> str:
    """HASH promotion id -> the promotion as central sent it (a local instance stores it with its
    budget limited to its lease; this is what each renewed lease is applied to)."""
    return f"{tenant_prefix(tenant)}:local:central:promotions"
