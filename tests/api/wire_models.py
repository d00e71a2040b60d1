"""The pydantic models the app's routes validate and document, with every model nested in them."""
from __future__ import annotations

import typing
from collections.abc import Iterable, Iterator

from pydantic import BaseModel
from quart_schema.validation import QUART_SCHEMA_REQUEST_ATTRIBUTE, QUART_SCHEMA_RESPONSE_ATTRIBUTE


def models_in(annotation: object) -> Iterator[type[BaseModel]]:
    """The models an annotation names: itself, or inside a union, list, dict, Annotated..."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
    for arg in typing.get_args(annotation):
        yield from models_in(arg)


def route_models(app, responses: bool = False) -> list[type[BaseModel]]:  # noqa: ANN001 - the Quart app
    """Every route's request model (and, with ``responses``, the models of its documented answers),
    and every model nested in their fields, each once."""
    roots: list[object] = []
    for view in app.view_functions.values():
        roots.append(getattr(view, QUART_SCHEMA_REQUEST_ATTRIBUTE, (None,))[0])
        if responses:
            roots += [model for model, _ in getattr(view, QUART_SCHEMA_RESPONSE_ATTRIBUTE, {}).values()]
    return _with_nested(m for root in roots for m in models_in(root))


def _with_nested(models: Iterable[type[BaseModel]]) -> list[type[BaseModel]]:
    found: list[type[BaseModel]] = []
    todo = list(models)
    while todo:
        model = todo.pop()
        if model not in found:
            found.append(model)
            todo += [m for f in model.model_fields.values() for m in models_in(f.annotation)]
    return found
