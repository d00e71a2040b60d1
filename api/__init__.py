"""HTTP layer, grouped by feature. Each feature package holds its routes (a Blueprint), the
pydantic models of its bodies and answers (``schemas``) and the glue between them and the actors:

* ``evaluate/`` evaluate and simulate (pricing, presented coupons, the priced iteration);
* ``confirm/`` confirm and the side-effects state of a confirmed iteration;
* ``coupons/`` the coupon transitions; ``admin/`` promotions, coupon types, budgets and the
  promotion file's start-up seeding; ``articles/`` the article master imports;
* ``loyalty/`` the loyalty POS event (JSON/XML); ``ops/`` heartbeat, metrics, benchmark echo.

Shared by every feature, and importing none: ``http/`` (auth, errors, limits, logs, metrics,
idempotency, validation, the OpenAPI additions) and ``services/`` (the worker's Services and the
caches it holds). On top: ``app`` (the app factory mounting every feature), ``worker``
(``open_services``: the actors, the Services, the features' start-up steps) and ``serve``
(``dre serve``). A feature may use another's surface (confirm and loyalty use evaluate's), never
the other way round; tests/test_layers.py keeps the imports acyclic.
"""
