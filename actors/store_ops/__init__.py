"""The store's typed API, one class per kind of stored data (transactions, coupon codes, coupon
types, budgets, loyalty points, Idempotency-Keys, side-effect jobs, the audit log, promotions,
articles, article imports). Each is a :class:`~actors.store_ops.base.StorePart` over the actor's
core: a method builds the keys (dre.store.keys) and arguments of one command, sends it through
``core.call`` / ``core.call_script`` and turns the reply into a record (dre.store.records).
``actors.store.Store`` holds one of each."""
