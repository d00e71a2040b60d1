"""HTTP plumbing every feature shares, independent of any feature and of the worker's Services:
authentication (``auth``), the error shape (``errors``), body limits (``limits``), access logs
(``logging``), Prometheus metrics (``metrics``), ``Idempotency-Key`` (``idempotency``), request
validation (``validation``) and what the OpenAPI document adds to the routes (``openapi``).
"""
