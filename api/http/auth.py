"""Bearer API keys -> tenant and role. Unknown or missing credentials: 401, and nothing else
happens; a POS key on an admin-only route: 403, and nothing else happens.

Roles (``DRE_API_KEYS``, see dre.config): ``tenant:key`` is a POS key, ``tenant:key:admin`` an
admin key. A route is admin-only when its view carries :func:`admin_only`; api.app checks it
right after authentication, before idempotency replays, body limits or validation.
"""
from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Mapping
from typing import TypeVar

from api.http.openapi import errors
from dre.config import ApiKey
from dre.errors import DREError

T = TypeVar("T", bound=Callable)

CHALLENGE = {"WWW-Authenticate": 'Bearer realm="dre"'}  # sent with every 401 (RFC 6750)
ADMIN_ONLY = "_dre_admin_only"  # attribute of an admin-only view function
FORBIDDEN_MESSAGE = "this route needs an admin key (DRE_API_KEYS entry tenant:key:admin)"


def unauthorized(message: str) -> DREError:
    return DREError(401, "UNAUTHORIZED", message)


def forbidden(message: str = FORBIDDEN_MESSAGE) -> DREError:
    return DREError(403, "FORBIDDEN", message)


def admin_only(func: T) -> T:
    """Mark a route admin-only (a POS key gets 403 FORBIDDEN) and document the 403.

    Put it right under the ``@bp.<method>(...)`` line, so that it marks the function the
    blueprint registers.
    """
    setattr(func, ADMIN_ONLY, True)
    return errors(403)(func)


def is_admin_only(view: Callable | None) -> bool:
    return bool(getattr(view, ADMIN_ONLY, False))


def require_role(key: ApiKey, view: Callable | None) -> None:
    """Raises DREError 403 FORBIDDEN when ``view`` is admin-only and ``key`` is not an admin key."""
    if is_admin_only(view) and not key.admin:
        raise forbidden()


def key_for(authorization: str | None, api_keys: Mapping[str, ApiKey]) -> ApiKey:
    """The tenant and role of an ``Authorization: Bearer <key>`` header value.

    Args:
        authorization: the header value (None when absent).
        api_keys: api key -> ApiKey (Config.api_keys).

    Raises:
        DREError: 401 UNAUTHORIZED for a missing header, another scheme, or an unknown key.
    """
    if not authorization:
        raise unauthorized("missing Authorization: Bearer <api-key>")
    scheme, _, key = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        raise unauthorized("Authorization must be: Bearer <api-key>")
    found = api_keys.get(key.strip())
    if found is None:
        raise unauthorized("unknown API key")
    return found


def tenant_for(authorization: str | None, api_keys: Mapping[str, ApiKey]) -> str:
    """The tenant of an ``Authorization: Bearer <key>`` header value (see :func:`key_for`)."""
    return key_for(authorization, api_keys).tenant


BASIC_OR_BEARER = {"WWW-Authenticate": 'Basic realm="dre", Bearer realm="dre"'}  # loyalty route's 401


def tenant_for_basic_or_bearer(authorization: str | None, api_keys: Mapping[str, ApiKey]) -> str:
    """The tenant of ``Bearer <key>`` or ``Basic base64(user:password)`` (the loyalty route, open
    to every role).

    Basic: the password is the API key, and the user name, when given, must be the key's tenant
    (``acme:<key>``); POS terminals that can only fill in a user name may send the key as the
    user with an empty password (``<key>:``). Raises DREError 401 for anything else.
    """
    if authorization and authorization.strip().lower().startswith("basic "):
        token = authorization.strip()[6:].strip()
        try:
            user, sep, password = base64.b64decode(token, validate=True).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            raise unauthorized("Basic credentials are not base64 of user:password") from None
        if not sep:
            raise unauthorized("Basic credentials are not base64 of user:password")
        key, expected = (password, user) if password else (user, "")
        found = api_keys.get(key)
        if found is None or (expected and expected != found.tenant):
            raise unauthorized("unknown credentials")
        return found.tenant
    return tenant_for(authorization, api_keys)
