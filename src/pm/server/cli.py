"""`pm-server`: serve (the default), migrate, token, tenant create."""

from __future__ import annotations

import logging
import resource
import sys
from pathlib import Path
from typing import Annotated

import typer

from pm import logs
from pm.server.settings import Settings, SettingsError, load_settings

cli = typer.Typer(
    add_completion=False,
    no_args_is_help=False,
    help="The pm backend server (REST + WebSocket, one SQLite file per tenant).",
)
EnvFile = Annotated[Path | None, typer.Option("--env-file", help="Read settings from this file.")]


def _settings(env_file: Path | None, **overrides: object) -> Settings:
    try:
        return load_settings(env_file, **{k: v for k, v in overrides.items() if v is not None})
    except SettingsError as exc:
        typer.echo(f"pm-server: {exc}", err=True)
        raise typer.Exit(2) from exc


Host = Annotated[str | None, typer.Option(help="Bind address (SERVER_HOST).")]
Port = Annotated[int | None, typer.Option(help="Port (SERVER_PORT).")]
Workers = Annotated[int | None, typer.Option(help="Worker processes serving the port (WORKERS).")]


def _print_version(wanted: bool) -> None:
    if wanted:
        from pm.server.version import version

        typer.echo(f"pm-server {version()}")
        raise typer.Exit()


ShowVersion = Annotated[
    bool,
    typer.Option(
        "--version", callback=_print_version, is_eager=True, help="Print the version and exit."
    ),
]


@cli.callback(invoke_without_command=True)
def main_callback(
    ctx: typer.Context,
    env_file: EnvFile = None,
    host: Host = None,
    port: Port = None,
    show_version: ShowVersion = False,
) -> None:
    """With no command, serve."""
    if ctx.invoked_subcommand is None:
        serve(env_file=env_file, host=host, port=port)


@cli.command()
def serve(
    env_file: EnvFile = None, host: Host = None, port: Port = None, workers: Workers = None
) -> None:
    """Run the server (with --workers N, N processes on one port)."""
    settings = _settings(env_file, server_host=host, server_port=port, workers=workers)
    logs.configure(settings.log_level, settings.log_format)
    _raise_file_limit(settings.tenant_cache_size)
    try:
        if settings.workers > 1:
            from pm.server import supervisor

            raise typer.Exit(supervisor.serve(settings))
        from pm.server.serving import ReadyServer, uvicorn_config

        server = ReadyServer(uvicorn_config(settings))
    except (ValueError, OSError) as exc:  # a bad setting, a port that cannot be bound
        typer.echo(f"pm-server: cannot start: {exc}", err=True)
        raise typer.Exit(2) from exc
    server.run()


# Each open tenant holds two SQLite connections of three descriptors each (db, WAL, shm).
FILES_PER_TENANT = 6


def _raise_file_limit(tenant_cache_size: int) -> None:
    """Lift the soft open-files limit to the hard one; warn if the tenant cache may not fit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = tenant_cache_size * FILES_PER_TENANT + 1024  # sockets and the rest
    if soft != resource.RLIM_INFINITY and soft < wanted:
        target = wanted if hard == resource.RLIM_INFINITY else min(hard, wanted)
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        soft = target
    if soft != resource.RLIM_INFINITY and soft < wanted:
        logging.getLogger("pm.server").warning(
            "the open-files limit (%d) is below what TENANT_CACHE_SIZE=%d may need (%d); "
            "lower TENANT_CACHE_SIZE or raise the limit",
            soft,
            tenant_cache_size,
            wanted,
        )


@cli.command()
def migrate(env_file: EnvFile = None) -> None:
    """Upgrade every tenant database under DB_PATH to the newest schema."""
    from pm.server.app import tenant_manager

    settings = _settings(env_file)
    tenants = tenant_manager(settings).migrate_all()
    for tenant in tenants:
        typer.echo(f"migrated {tenant}")
    typer.echo(f"{len(tenants)} tenant(s) at the newest schema")


@cli.command()
def token(
    tenant: Annotated[str, typer.Option(help="tenant_id claim")],
    user: Annotated[str, typer.Option(help="sub claim (user id)")],
    hours: Annotated[float | None, typer.Option(help="Lifetime (JWT_EXPIRATION_HOURS).")] = None,
    link: Annotated[bool, typer.Option(help="Print the web board's sign-in link instead.")] = False,
    env_file: EnvFile = None,
) -> None:
    """Print a signed JWT for development (uses the configured key)."""
    from pm.auth.jwt import mint
    from pm.server.app import jwt_config
    from pm.server.board import sign_in_link

    settings = _settings(env_file)
    try:
        jwt = mint(
            jwt_config(settings),
            tenant,
            user,
            hours if hours is not None else settings.jwt_expiration_hours,
        )
        typer.echo(sign_in_link(settings.server_host, settings.server_port, jwt) if link else jwt)
    except Exception as exc:
        typer.echo(f"pm-server: {exc}", err=True)
        raise typer.Exit(2) from exc


tenant_cli = typer.Typer(help="Provision tenants (when TENANT_AUTO_CREATE is false).")
cli.add_typer(tenant_cli, name="tenant")


@tenant_cli.command("create")
def tenant_create(tenant: str, env_file: EnvFile = None) -> None:
    """Create (or upgrade) a tenant's database."""
    from pm.server.app import tenant_manager

    settings = _settings(env_file)
    try:
        path = tenant_manager(settings).provision(tenant)
    except Exception as exc:
        typer.echo(f"pm-server: {exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(f"tenant {tenant} ready at {path}")


@tenant_cli.command("copy")
def tenant_copy(
    source: Annotated[
        str, typer.Option("--from", help="sqlite:TENANT (under DB_PATH) or sqlite:PATH/main.db")
    ],
    target: Annotated[
        str | None,
        typer.Option("--to", help="postgresql://user@host:port/db (default: DATABASE_URL)"),
    ] = None,
    tenant: Annotated[
        str | None, typer.Option(help="The tenant id on the target (default: the source's)")
    ] = None,
    env_file: EnvFile = None,
) -> None:
    """Copy a tenant's SQLite database into a new schema on PostgreSQL (every row, every seq)."""
    import asyncio

    from pm.db.copy import sqlite_to_postgres

    settings = _settings(env_file)
    try:
        path, source_tenant = _sqlite_source(source, settings.db_path)
        url = target or (
            settings.database_url.get_secret_value() if settings.database_url else None
        )
        if url is None or not url.startswith(("postgresql://", "postgres://")):
            raise ValueError("--to must be a postgresql:// URL (or set DATABASE_URL)")
        tenant_id = tenant or source_tenant
        if tenant_id is None:
            raise ValueError("--tenant is needed when --from names a file")
        copied = asyncio.run(sqlite_to_postgres(path, url, tenant_id))
    except Exception as exc:
        typer.echo(f"pm-server: {exc}", err=True)
        raise typer.Exit(2) from exc
    rows = sum(copied.values())
    typer.echo(f"tenant {tenant_id} copied to PostgreSQL: {rows} rows in {len(copied)} tables")


def _sqlite_source(spec: str, db_path: Path) -> tuple[Path, str | None]:
    """The file of `sqlite:TENANT` or `sqlite:PATH`, and the tenant id when one was named."""
    from pm.core.tenants import TENANT_PATTERN

    if not spec.startswith("sqlite:"):
        raise ValueError("--from must be sqlite:TENANT or sqlite:PATH")
    rest = spec.removeprefix("sqlite:")
    named = TENANT_PATTERN.fullmatch(rest) and not rest.endswith(".db")
    path = db_path / "tenants" / rest / "main.db" if named else Path(rest)
    if not path.is_file():
        raise ValueError(f"no SQLite database at {path}")
    return path, rest if named else None


def main() -> None:
    """Console-script entry point."""
    sys.exit(cli())
