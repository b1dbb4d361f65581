"""A real server for the client tests, and a `pm` runner configured for it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pm.cli.main import app
from pm.cli.output import OUTPUT
from pm.cli.runner import State
from tests.conftest import SECRET, token
from tests.live import LiveServer, running

PM = Path(sys.executable).parent / "pm"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One server for the module's tests (tests use distinct tenants)."""
    data: Path = tmp_path_factory.mktemp("clients") / "data"
    with running(data, SECRET) as live:
        yield live


@dataclass
class Done:
    """What one `pm` invocation did."""

    code: int
    stdout: str
    stderr: str

    def json(self) -> object:
        """stdout as the one JSON document it must be."""
        return json.loads(self.stdout)


class Pm:
    """Runs `pm` in process (CliRunner) as one user of one tenant against the server."""

    def __init__(self, server: LiveServer, config_home: Path, tenant: str, user: str) -> None:
        self.env = {
            "XDG_CONFIG_HOME": str(config_home),
            "PM_SERVER_URL": server.url,
            "PM_TOKEN": token(tenant, user),
            "NO_COLOR": "1",
            "COLUMNS": "200",
        }
        self.tenant = tenant

    def __call__(self, *args: str, env: dict[str, str] | None = None) -> Done:
        """Run `pm ARGS` (with --json pulled out as `main()` does)."""
        argv = list(args)
        OUTPUT.json = "--json" in argv
        State.profile = None
        argv = [a for a in argv if a != "--json"]
        result = CliRunner().invoke(app, argv, env={**self.env, **(env or {})})
        OUTPUT.json = False
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        return Done(result.exit_code, result.stdout, result.stderr)

    def process(self, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
        """Start the real `pm` executable (for what needs a process: watch, exit codes)."""
        return subprocess.Popen(
            [str(PM), *args],
            env={**os.environ, **self.env, **(env or {})},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )


@pytest.fixture
def pm(server: LiveServer, tmp_path: Path, request: pytest.FixtureRequest) -> Pm:
    """`pm` for a fresh tenant of this test, as user alice."""
    tenant = "cli-" + request.node.name.lower().replace("_", "-")[:40].strip("-")
    return Pm(server, tmp_path / "config", tenant, "alice")
