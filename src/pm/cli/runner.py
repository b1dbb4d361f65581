"""Running a command: one async call, its errors turned into a sentence and an exit code."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import NoReturn, TypeVar

import typer

from pm.cli.output import OUTPUT
from pm.client import config
from pm.client.api import ApiClient, ApiError

T = TypeVar("T")

OK, FAILURE, USAGE, NOT_FOUND, NOT_ALLOWED, CONFLICT = 0, 1, 2, 3, 4, 5


class State:
    """Options given before the command (`pm --profile work item list …`)."""

    profile: str | None = None


def exit_code(error: ApiError) -> int:
    """The exit code of a refused request."""
    if error.status == 404:
        return NOT_FOUND
    if error.status in (401, 403):
        return NOT_ALLOWED
    if error.status == 409:
        return CONFLICT
    return FAILURE


def fail(
    message: str, code: int = FAILURE, error_code: str = "FAILED", field: str | None = None
) -> NoReturn:
    """Stop with a one-line explanation."""
    OUTPUT.error(error_code, message, field)
    raise typer.Exit(code)


def connection() -> config.Connection:
    """The server and token to use, or a clear way out."""
    try:
        return config.load(State.profile)
    except config.ConfigError as exc:
        fail(str(exc), NOT_ALLOWED, "NOT_LOGGED_IN")


def call(work: Callable[[ApiClient], Awaitable[T]]) -> T:
    """Run `work` with a client of the configured server; errors end the command."""

    async def run() -> T:
        async with ApiClient(connection()) as api:
            return await work(api)

    try:
        return asyncio.run(run())
    except ApiError as exc:
        fail(exc.message, exit_code(exc), exc.code, exc.field)
    except KeyboardInterrupt:
        raise typer.Exit(130) from None
