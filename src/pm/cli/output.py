"""How results reach the user: rich tables for a terminal, one JSON document with --json.

With --json, stdout carries exactly one JSON document (the REST entities as they are) and
nothing else; errors go to stderr, as `{"error": {"code", "message", "field"}}`.
Rich honours NO_COLOR.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from rich.console import Console
from rich.table import Table

Json = Any


class Output:
    """The current invocation's output mode and consoles."""

    def __init__(self) -> None:
        self.json = False
        self.out = Console(highlight=False, soft_wrap=True)
        self.err = Console(stderr=True, highlight=False, soft_wrap=True)

    def result(self, data: Json, human: Callable[[Json], None]) -> None:
        """Print a result: the data as JSON, or `human(data)` for a person."""
        if self.json:
            sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
            sys.stdout.flush()
        else:
            human(data)

    def error(self, code: str, message: str, field: str | None = None) -> None:
        """Report a failure on stderr."""
        if self.json:
            body = {"error": {"code": code, "message": message, "field": field}}
            sys.stderr.write(json.dumps(body, ensure_ascii=False) + "\n")
        else:
            where = f" (field: {field})" if field else ""
            self.err.print(f"pm: {message}{where}", markup=False)

    def notice(self, text: str) -> None:
        """A side remark for a person (stderr, never in --json's stdout)."""
        self.err.print(text, markup=False, style="dim")

    def table(
        self, rows: Iterable[Json], columns: Sequence[tuple[str, str]], title: str = ""
    ) -> None:
        """Rows as a table; `columns` are (heading, field) pairs."""
        table = Table(title=title or None, show_lines=False, header_style="bold")
        for heading, _ in columns:
            table.add_column(heading, overflow="fold")
        count = 0
        for row in rows:
            table.add_row(*(text(row.get(field)) for _, field in columns))
            count += 1
        if count:
            self.out.print(table)
        else:
            self.out.print(f"(no {title.lower() or 'results'})", style="dim")

    def fields(self, entity: Json, names: Sequence[str], title: str = "") -> None:
        """One entity's fields, one per line."""
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold")
        table.add_column(overflow="fold")
        for name in names:
            if entity.get(name) is not None:
                table.add_row(name, text(entity.get(name), name))
        if title:
            self.out.print(f"[bold]{escape(title)}[/bold]")
        self.out.print(table)


def escape(value: str) -> str:
    """Text with rich markup disabled."""
    return value.replace("[", r"\[")


def text(value: Json, name: str = "") -> str:
    """A field value as a person reads it (timestamps as UTC dates)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int) and (name.endswith("_at") or name.endswith("_date")):
        return datetime.fromtimestamp(value, UTC).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


OUTPUT = Output()
