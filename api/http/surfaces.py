"""Second surfaces over the same routes (the OData V4 aliases): which paths alias which route,
and how errors look there.

An alias is one more URL rule on an existing endpoint, so it runs the same view, the same auth
and role check, the same validation and the same answer. What differs per surface is kept here,
in one place each: the error body (``errors.error_body`` asks :func:`surface_of`), the documented
error schema and operationId suffix (``openapi.Provider``); where a rule is judged by the REST route
it stands for (idempotency's store-less routes), :func:`canonical_path` names that route.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from pydantic import BaseModel
from quart import Quart
from werkzeug.routing import Rule

from dre.errors import DREError

SURFACES_KEY = "dre.surfaces"  # app.extensions: list[Surface]


@dataclass(frozen=True)
class Surface:
    """A set of alias paths under one prefix with an error shape of its own."""

    name: str  # suffix of the aliases' operationIds ("odata")
    prefix: str  # every path of the surface starts with it
    error_body: Callable[[DREError], dict]
    error_model: type[BaseModel]  # what the OpenAPI document shows for its errors
    aliases: dict[str, str] = field(default_factory=dict)  # alias rule -> canonical rule


def surfaces(app: Quart) -> list[Surface]:
    return app.extensions.setdefault(SURFACES_KEY, [])


def add_surface(app: Quart, surface: Surface) -> None:
    surfaces(app).append(surface)


def add_alias(app: Quart, surface: Surface, alias: str, canonical: str, method: str = "POST") -> None:
    """Serve ``method alias`` by the endpoint that serves ``method canonical``.

    Raises LookupError when no such route exists."""
    rule = next((r for r in app.url_map.iter_rules() if r.rule == canonical and method in (r.methods or ())), None)
    if rule is None:
        raise LookupError(f"no {method} {canonical} route to alias")
    app.add_url_rule(alias, endpoint=rule.endpoint, methods=[method])
    surface.aliases[alias] = canonical


def surface_of(app: Quart, path: str) -> Surface | None:
    """The surface ``path`` belongs to (None: the canonical REST surface)."""
    return next((s for s in surfaces(app) if path.startswith(s.prefix)), None)


def alias_of(app: Quart, rule: Rule) -> tuple[Surface, str] | None:
    """(surface, canonical rule) when ``rule`` is an alias, else None."""
    for s in surfaces(app):
        if rule.rule in s.aliases:
            return s, s.aliases[rule.rule]
    return None


def canonical_path(app: Quart, rule: Rule | None, path: str) -> str:
    """The REST rule a request's rule aliases, else ``path`` itself."""
    found = alias_of(app, rule) if rule is not None else None
    return found[1] if found else path
