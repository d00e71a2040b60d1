"""``validate_request``: quart-schema's JSON body validation without its per-request TypeAdapter.

quart-schema's decorator builds ``TypeAdapter(model)`` on every request (its conversion.model_load),
a fixed cost on every evaluate; this one builds it once per route. Everything a client or
/openapi.json sees stays quart-schema's: the body is read by ``request.get_json`` (the app's orjson
provider), a failure raises its RequestSchemaValidationError (shaped into the 400 by api.http.errors),
and the route carries its request attribute, from which the OpenAPI request body is built.

A route may name a ``fast`` reader of the raw body (evaluate: ``dre.wire.evaluate_fast``) that
validates the bodies it is sure of more cheaply and returns None for the rest, which then go the
way above: the model still words every error and documents the body.
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import wraps
from typing import Any, TypeVar

from pydantic import BaseModel, TypeAdapter
from quart import current_app, request
from quart_schema import DataSource, RequestSchemaValidationError
from quart_schema.validation import QUART_SCHEMA_REQUEST_ATTRIBUTE

Route = TypeVar("Route", bound=Callable[..., Awaitable[Any]])


def validate_request(model_class: type[BaseModel],
                     fast: Callable[[bytes], object | None] | None = None) -> Callable[[Route], Route]:
    """Validate the JSON body as ``model_class`` and pass it to the route as ``data``.

    ``fast``: reads a JSON body's bytes into what the model would give (the same attributes), or
    None when not sure; only then is the body validated by the model (read once either way:
    ``get_json`` reuses the bytes ``get_data`` read).

    A drop-in for ``quart_schema.validate_request(model_class)``, JSON bodies only. Not supported:
    QUART_SCHEMA_CONVERT_CASING, which api.app never enables (the wire names are camelCase as
    they are; tests/api/test_validation.py checks it stays off), and
    QUART_SCHEMA_CONVERSION_PREFERENCE, which quart-schema ignores for pydantic models.
    """
    adapter = TypeAdapter(model_class)

    def decorator(func: Route) -> Route:
        setattr(func, QUART_SCHEMA_REQUEST_ATTRIBUTE, (model_class, DataSource.JSON))

        @wraps(func)
        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            if fast is not None and request.is_json:
                model = fast(await request.get_data())
                if model is not None:
                    return await current_app.ensure_async(func)(*args, data=model, **kwargs)
            data = await request.get_json()
            try:
                model = adapter.validate_python(data)
            except (TypeError, ValueError) as error:  # what model_load catches (ValidationError is a ValueError)
                raise RequestSchemaValidationError(error)
            return await current_app.ensure_async(func)(*args, data=model, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorator
