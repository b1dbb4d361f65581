"""pm login, pm whoami."""

from __future__ import annotations

from typing import Annotated

import jwt
import typer

from pm.cli.output import OUTPUT
from pm.cli.runner import NOT_ALLOWED, State, call, connection, fail
from pm.client import config
from pm.client.api import ApiClient, Json


def login(
    server: Annotated[str, typer.Option(help="The server's URL, e.g. http://localhost:3000")],
    token: Annotated[str, typer.Option(help="A JWT for that server (pm-server token …)")],
    profile: Annotated[str | None, typer.Option(help="Store under this profile name")] = None,
) -> None:
    """Store a server and token (in $XDG_CONFIG_HOME/pm/config.toml, mode 0600)."""
    if not server.startswith(("http://", "https://")):
        fail("--server must be an http:// or https:// URL", 2, "VALIDATION_ERROR", "server")
    claims = _claims(token)
    name = profile or State.profile or config.DEFAULT_PROFILE
    path = config.save_profile(server, token, name)
    data = {"profile": name, "server": server.rstrip("/"), "config": str(path), **claims}
    OUTPUT.result(
        data,
        lambda d: OUTPUT.out.print(
            f"Logged in to {d['server']} as {d['user_id']} (tenant {d['tenant_id']}); "
            f"profile {d['profile']} saved in {d['config']}",
            markup=False,
        ),
    )


def whoami() -> None:
    """Show the server, tenant and user of the current profile (and check the token)."""
    conn = connection()
    claims = _claims(conn.token)

    async def check(api: ApiClient) -> Json:
        await api.list_projects(limit=1)  # proves the server accepts the token
        return {"profile": conn.profile, "server": conn.server, **claims}

    OUTPUT.result(
        call(check),
        lambda d: OUTPUT.fields(
            d, ["server", "tenant_id", "user_id", "roles", "expires_at", "profile"]
        ),
    )


def _claims(token: str) -> dict[str, Json]:
    """What the token says about its holder (read, not verified: the server verifies)."""
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        fail("the token is not a JWT", NOT_ALLOWED, "AUTHENTICATION_FAILED", "token")
    return {
        "tenant_id": claims.get("tenant_id"),
        "user_id": claims.get("sub"),
        "roles": claims.get("roles"),
        "expires_at": claims.get("exp"),
    }
