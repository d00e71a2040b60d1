"""Bearer API keys -> tenant. Unknown or missing credentials: 401, and nothing else happens."""
from __future__ import annotations

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
