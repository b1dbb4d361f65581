"""pm project list|show|create."""

from __future__ import annotations

from typing import Annotated

import typer

from pm.cli.output import OUTPUT
from pm.cli.runner import call

app = typer.Typer(help="Projects you can see.", no_args_is_help=True)
PROJECT_FIELDS = (
    "id",
    "key",
    "title",
    "description",
    "status",
    "version",
    "created_at",
    "updated_at",
)


@app.command("list")
def list_projects() -> None:
    """Every project you are a member of (all of them for a tenant admin)."""
    data = call(lambda api: api.list_projects())
    OUTPUT.result(
        data,
        lambda rows: OUTPUT.table(
            rows,
            [("Key", "key"), ("Title", "title"), ("Status", "status"), ("Id", "id")],
            "Projects",
        ),
    )


@app.command("show")
def show(project: Annotated[str, typer.Argument(help="Project id or key")]) -> None:
    """One project."""
    data = call(lambda api: api.get_project(project))
    OUTPUT.result(data, lambda p: OUTPUT.fields(p, PROJECT_FIELDS, f"{p['key']} {p['title']}"))


@app.command("create")
def create(
    key: Annotated[str, typer.Option(help="2-10 letters/digits, e.g. PONE (item keys: PONE-1)")],
    title: Annotated[str, typer.Option(help="The project's title")],
    description: Annotated[str | None, typer.Option(help="Markdown description")] = None,
) -> None:
    """Create a project (you become its admin)."""
    data = call(lambda api: api.create_project(key, title, description))
    OUTPUT.result(
        data, lambda p: OUTPUT.out.print(f"Created project {p['key']} ({p['id']})", markup=False)
    )
