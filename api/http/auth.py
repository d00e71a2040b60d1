"""Bearer API keys -> tenant. Unknown or missing credentials: 401, and nothing else happens."""
from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping

from dre.errors import DREError

CHALLENGE = {"WWW-Authenticate": 'Bearer realm="dre"'}  # sent with every 401 (RFC 6750)


def unauthorized(message: str) -> DREError:
    return DREError(401, "UNAUTHORIZED", message)


def tenant_for(authorization: str | None, api_keys: Mapping[str, str]) -> str:
    """The tenant of an ``Authorization: Bearer <key>`` header value.

    Args:
        authorization: the header value (None when absent).
        api_keys: api key -> tenant (Config.api_keys).

    Raises:
        DREError: 401 UNAUTHORIZED for a missing header, another scheme, or an unknown key.
    """
    if not authorization:
        raise unauthorized("missing Authorization: Bearer <api-key>")
    scheme, _, key = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        raise unauthorized("Authorization must be: Bearer <api-key>")
    tenant = api_keys.get(key.strip())
    if tenant is None:
        raise unauthorized("unknown API key")
    return tenant


BASIC_OR_BEARER = {"WWW-Authenticate": 'Basic realm="dre", Bearer realm="dre"'}  # loyalty route's 401


def tenant_for_basic_or_bearer(authorization: str | None, api_keys: Mapping[str, str]) -> str:
    """The tenant of ``Bearer <key>`` or ``Basic base64(user:password)`` (the loyalty route).

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
        tenant = api_keys.get(key)
        if tenant is None or (expected and expected != tenant):
            raise unauthorized("unknown credentials")
        return tenant
    return tenant_for(authorization, api_keys)
