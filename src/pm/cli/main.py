"""The `pm` command: the sub-commands, the global options, the exit codes.

Exit codes: 0 ok, 1 failure, 2 usage, 3 not found, 4 not authenticated or not allowed,
5 conflict (a stale --expected-version). `--json` may stand anywhere on the line.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from pm.cli import agents, items, planning, projects, session
from pm.cli.output import OUTPUT
from pm.cli.runner import State

app = typer.Typer(
    name="pm",
    help="Plan and track work on a pm server: projects, items, sprints, timers, live events.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
app.add_typer(projects.app, name="project")
app.add_typer(items.app, name="item")
app.add_typer(planning.sprints, name="sprint")
app.add_typer(planning.comments, name="comment")
app.add_typer(planning.timers, name="timer")
app.add_typer(planning.deps, name="dep")
app.command()(session.login)
app.command()(session.whoami)
app.command()(agents.ready)
app.command()(agents.snapshot)
app.command()(agents.export)
app.command("import")(agents.import_)
app.command()(agents.watch)


@app.callback()
def options(
    profile: Annotated[
        str | None, typer.Option(help="The stored profile to use (pm login --profile NAME)")
    ] = None,
    json: Annotated[
        bool, typer.Option("--json", help="Print one JSON document (the REST entities)")
    ] = False,
) -> None:
    """Global options: --profile, --json."""
    State.profile = profile
    OUTPUT.json = OUTPUT.json or json


@app.command()
def mcp() -> None:
    """Serve the MCP tools over stdio for a local agent (uses this profile's server)."""
    from pm.cli.runner import connection
    from pm.mcp.stdio import serve_stdio

    serve_stdio(connection())


def main() -> None:
    """Console-script entry point."""
    args = sys.argv[1:]
    cut = args.index("--") if "--" in args else len(args)
    if "--json" in args[:cut]:
        OUTPUT.json = True
        args = [a for i, a in enumerate(args) if not (a == "--json" and i < cut)]
    sys.exit(app(args=args, prog_name="pm", standalone_mode=True))
