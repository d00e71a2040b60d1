"""Store-local mode (docs/local-store.md): what a store's own instance and central exchange.

Central side: ``changes`` (the article change log the delta feed pages through),
``conflicts`` (forwarded transactions: their iterations kept for confirm, what conflicted) and
``leases`` (each instance's share of every budget).
Local side: ``link`` (HTTP to central behind a circuit breaker), ``outbox`` (the durable queue of
pending transactions, fed by the side-effects job of each local confirm), ``forwarder`` (drains
it to central in order, each transaction once; and the loyalty events and coupon calls answered
while central was away), ``state`` (the feed cursor, lastSync, synced
codes) and ``lease_returns`` (what it gives back of its budget leases).
"""
from actors.sync.changes import ChangeFeed
from actors.sync.conflicts import ForwardedTransactions
from actors.sync.forwarder import Forwarder, start_forwarder
from actors.sync.lease_returns import LeaseReturns
from actors.sync.leases import LATE, Lease, Leases, outstanding
from actors.sync.link import CentralLink, CentralRefused, open_central_link
from actors.sync.outbox import CouponOutbox, EventOutbox, Outbox, QueueForCentral
from actors.sync.state import SyncState

__all__ = ["CentralLink", "CentralRefused", "ChangeFeed", "CouponOutbox", "EventOutbox", "Forwarder", "ForwardedTransactions", "LATE", "Lease", "LeaseReturns", "Leases",
           "Outbox", "QueueForCentral", "SyncState", "open_central_link", "outstanding",
           "start_forwarder"]
