"""Reading (and, for set-ups, changing) a tenant's rows behind the server's back, on either
storage engine: the tenant's SQLite file, or its schema on PostgreSQL."""

from __future__ import annotations

import re
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

_NAMED = re.compile(r"(?<!:):(\w+)")


class TenantDb:
    """Statements in SQLite's spelling (`?` or `:name` parameters), run on the test's engine."""

    def __init__(self, data_dir: Path, database_url: str | None) -> None:
        self.data_dir = data_dir
        self.database_url = database_url

    def path(self, tenant: str = "acme") -> Path:
        """The tenant's SQLite file."""
        return self.data_dir / "tenants" / tenant / "main.db"

    def rows(self, query: str, *args: object, tenant: str = "acme") -> list[tuple[Any, ...]]:
        """Every row of a `?`-parameter query."""
        return self._run(query, args, tenant)

    def named(
        self, query: str, params: dict[str, object], tenant: str = "acme"
    ) -> list[tuple[Any, ...]]:
        """Every row of a `:name`-parameter query."""
        return self._run(query, params, tenant)

    def execute(self, query: str, *args: object, tenant: str = "acme") -> None:
        """Change rows (committed at once)."""
        self._run(query, args, tenant, fetch=False)

    def _run(
        self,
        query: str,
        params: tuple[object, ...] | dict[str, object],
        tenant: str,
        fetch: bool = True,
    ) -> list[tuple[Any, ...]]:
        if self.database_url is None:
            with closing(sqlite3.connect(self.path(tenant))) as conn:
                cursor = conn.execute(query, params)
                rows = cursor.fetchall() if fetch else []
                conn.commit()
                return rows
        import psycopg

        text = query.replace("%", "%%")
        text = _NAMED.sub(r"%(\1)s", text) if isinstance(params, dict) else text.replace("?", "%s")
        with psycopg.connect(self.database_url, autocommit=True) as conn:
            conn.execute(f'SET search_path TO "{tenant}"')
            cursor = conn.execute(text.encode(), params)  # type: ignore[arg-type]
            return [tuple(r) for r in cursor.fetchall()] if fetch and cursor.description else []
