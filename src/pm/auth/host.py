"""Authentication by a host platform (plugin mode): the host says who a request comes from."""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

from pm.core.actor import Actor
from pm.core.errors import Unauthenticated
from pm.core.tenants import validate_tenant_id

log = logging.getLogger(__name__)
MAX_USER_ID_LENGTH = 255


@dataclass(frozen=True, slots=True)
class Principal:
    """Who a host platform says a request (HTTP or WebSocket) comes from.

    `roles` holding the tenant-admin role (`TENANT_ADMIN_ROLE`) allow everything in the
    tenant; otherwise project roles come from membership, as with tokens. A WebSocket is
    closed at `expires_at` (Unix seconds), if given.
    """

    tenant_id: str
    user_id: str
    roles: frozenset[str] = frozenset()
    expires_at: int | None = None


Scope = MutableMapping[str, Any]  # an ASGI scope, as `starlette.types.Scope`

# From the request's ASGI scope (type "http" or "websocket") to the principal, or None when the
# request is not signed in (answered 401). A plain function or a coroutine function.
Authenticate = Callable[[Scope], Principal | Awaitable[Principal | None] | None]


class InvalidPrincipal(Unauthenticated):
    """The host's authenticator returned something that is not a valid Principal."""


class HostAuthenticator:
    """Calls a host's `Authenticate` and turns its answer into an Actor, checking every field."""

    def __init__(self, authenticate: Authenticate, tenant_admin_role: str) -> None:
        if not callable(authenticate):
            raise TypeError(
                "authenticate must be a callable from the ASGI scope to a pm Principal "
                f"(or None), not {type(authenticate).__name__}"
            )
        self._authenticate = authenticate
        self._admin_role = tenant_admin_role

    async def check(self, scope: Scope) -> tuple[Actor, int | None]:
        """The actor and the expiry (or None) of a request; raises Unauthenticated."""
        result: object = self._authenticate(scope)
        if inspect.isawaitable(result):
            result = await result
        if result is None:
            raise Unauthenticated("not signed in")
        try:
            return self._actor(result)
        except InvalidPrincipal as exc:
            log.error("the host's authenticator returned an invalid principal: %s", exc.message)
            raise

    def _actor(self, principal: object) -> tuple[Actor, int | None]:
        if not isinstance(principal, Principal):
            raise InvalidPrincipal(
                "the host's authenticator must return a pm Principal or None, "
                f"not {type(principal).__name__}"
            )
        try:
            tenant = validate_tenant_id(principal.tenant_id)
        except Unauthenticated as exc:
            raise InvalidPrincipal(f"invalid principal: {exc.message}") from None
        user = principal.user_id
        if not isinstance(user, str) or not user or len(user) > MAX_USER_ID_LENGTH:
            raise InvalidPrincipal(
                f"invalid principal: user_id must be a string of 1-{MAX_USER_ID_LENGTH} "
                f"characters, not {user!r:.80}"
            )
        roles = principal.roles
        if not isinstance(roles, (frozenset, set, tuple, list)) or not all(
            isinstance(role, str) for role in roles
        ):
            raise InvalidPrincipal("invalid principal: roles must be a set of strings")
        expires = principal.expires_at
        if expires is not None and (not isinstance(expires, int) or isinstance(expires, bool)):
            raise InvalidPrincipal("invalid principal: expires_at must be Unix seconds (an int)")
        return Actor(tenant, user, self._admin_role in roles), expires
