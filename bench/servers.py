"""Real server processes for the benchmark: our `pm-server` and the bare baselines, pinned."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from pm.auth.jwt import JwtConfig, mint

ROOT = Path(__file__).resolve().parent.parent
SERVER = Path(sys.executable).parent / "pm-server"
SECRET = "bench-secret-0123456789abcdef0123456789abcdef0123456789abcdef0123"  # noqa: S105
JWT = JwtConfig(SECRET)
SERVER_CORE = 0
LOAD_CORE = 1


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def can_pin() -> bool:
    """True when this machine has the two cores the harness pins server and load onto."""
    return hasattr(os, "sched_setaffinity") and {SERVER_CORE, LOAD_CORE} <= os.sched_getaffinity(0)


def pin(pid: int, core: int) -> bool:
    """Restrict a process (0: this one) to one core; False where that is not possible."""
    if not can_pin():
        return False
    os.sched_setaffinity(pid, {core})
    return True


def token(tenant: str, user: str = "bench", hours: float = 4.0) -> str:
    """A bearer token for the benchmark's secret."""
    return mint(JWT, tenant, user, hours)


@dataclass
class Server:
    """A started server process."""

    name: str
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def url(self) -> str:
        """Its base URL."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        """Its process id."""
        return self.process.pid

    def log(self) -> str:
        """What it wrote to stdout/stderr so far."""
        return self.log_path.read_text(errors="replace")


def _spawn(
    name: str, argv: list[str], env: dict[str, str], port: int, work: Path, pinned: bool = True
) -> Server:
    log_path = work / f"{name}-{port}.log"
    with open(log_path, "ab") as log:
        process = subprocess.Popen(argv, env=env, stdout=log, stderr=log, cwd=ROOT)
    if pinned:
        pin(process.pid, SERVER_CORE)
    server = Server(name, port, process, log_path)
    deadline = time.monotonic() + 60  # a loaded 2-core machine needs 20 s and more
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with {process.returncode}:\n{server.log()}")
        try:
            if httpx.get(f"{server.url}/health", timeout=0.5).status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError(f"{name} did not start:\n{server.log()}")


# The REST rate limits stay on (their check is part of every request) but far out of reach:
# one benchmark client is many users' worth of traffic.
UNLIMITED = {
    "RATE_LIMIT_USER_PER_SECOND": "1000000000",
    "RATE_LIMIT_USER_BURST": "1000000000",
    "RATE_LIMIT_TENANT_PER_SECOND": "1000000000",
    "RATE_LIMIT_TENANT_BURST": "1000000000",
}


def server_env(
    data_dir: Path, port: int, extra_env: dict[str, str] | None = None
) -> dict[str, str]:
    """The environment of a server process: temp DB_PATH, the bench secret, loopback, quiet."""
    data_dir.mkdir(parents=True, exist_ok=True)
    return {
        **os.environ,
        "DB_PATH": str(data_dir),
        "JWT_SECRET": SECRET,
        "SERVER_PORT": str(port),
        "SERVER_HOST": "127.0.0.1",
        "LOG_LEVEL": "warning",
        **UNLIMITED,
        **(extra_env or {}),
    }


def start_pm(
    data_dir: Path, work: Path, extra_env: dict[str, str] | None = None, pinned: bool = True
) -> Server:
    """Our `pm-server` on a free loopback port, over `data_dir`, pinned to the server core
    (unless not `pinned`: free to use every core, as its workers are)."""
    port = free_port()
    env = server_env(data_dir, port, extra_env)
    return _spawn("pm-server", [str(SERVER)], env, port, work, pinned)


def start_baseline(kind: str, work: Path, sizes: dict[str, int]) -> Server:
    """A bare baseline app (`http` or `ws`, see bench.baseline_app) pinned to the server core."""
    port = free_port()
    env = server_env(work / f"baseline-{kind}-data", port)
    env["BENCH_BASELINE"] = json.dumps(sizes)
    env["BENCH_OPTIONS_OUT"] = str(work / f"baseline-{kind}-options.json")
    argv = [sys.executable, "-m", "bench.baseline_app", kind, "--port", str(port)]
    server = _spawn(f"baseline-{kind}", argv, env, port, work)
    from bench.baseline_app import BASELINE_HEADER

    if BASELINE_HEADER not in httpx.get(f"{server.url}/health", timeout=5).headers:
        stop(server)  # a ratio to our own server would be 1 whatever we do
        raise RuntimeError(f"baseline-{kind} on port {port} is not the bare baseline app")
    return server


def stop(server: Server, timeout: float = 15) -> int:
    """SIGTERM the server and wait for it; returns its exit code."""
    if server.process.poll() is None:
        server.process.terminate()
        try:
            server.process.wait(timeout)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()
    return server.process.returncode


def proc_status(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (kB) and the number of open file descriptors of a process."""
    out: dict[str, int] = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            name, _, value = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                out[name] = int(value.split()[0])
    out["fds"] = len(os.listdir(f"/proc/{pid}/fd"))
    return out


def export_revision(rev: str, into: Path) -> Path:
    """Export `src/` of a git revision read-only (`git archive`) under `into`; the path to
    put first on a server's PYTHONPATH (it imports `pm` from there)."""
    import io
    import tarfile

    archive = subprocess.run(
        ["git", "archive", _commit(rev), "src"], cwd=ROOT, check=True, capture_output=True
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into / "src"


def _commit(rev: str) -> str:
    return subprocess.run(
        ["git", "rev-parse", "--verify", f"{rev}^{{commit}}"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


def use_revision(rev: str, into: Path) -> str:
    """Serve and load `src/` of a git revision instead of the working tree; its full hash.

    The tree is exported (`export_revision`) and put first on PYTHONPATH, which every
    process started from here inherits (the servers import `pm` from it).
    """
    sha = _commit(rev)
    src = export_revision(sha, into)
    paths = [str(src), os.environ.get("PYTHONPATH", "")]
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in paths if p)
    return sha


def run_module(
    module: str, spec: dict[str, Any], spec_path: Path, timeout: float = 900, pinned: bool = True
) -> Any:
    """Run `python -m module SPEC.json --cpu LOAD_CORE` (a load process); its JSON output.

    Not `pinned`, the load process may run on any core."""
    spec_path.write_text(json.dumps(spec))
    argv = [sys.executable, "-m", module, str(spec_path)]
    if pinned and can_pin():
        argv += ["--cpu", str(LOAD_CORE)]
    out = subprocess.run(argv, cwd=ROOT, check=False, capture_output=True, timeout=timeout)
    if out.returncode != 0:
        raise RuntimeError(f"{module} failed ({out.returncode}):\n{out.stderr.decode()}")
    return json.loads(out.stdout)


def module_main(doc: str | None, run: Callable[[dict[str, Any]], Any]) -> None:
    """The entry point of a load process: `SPEC.json [--cpu N]`, JSON results on stdout."""
    import argparse

    parser = argparse.ArgumentParser(description=doc)
    parser.add_argument("spec", type=Path, help="what to run, as JSON")
    parser.add_argument("--cpu", type=int, default=None, help="pin this process to one core")
    args = parser.parse_args()
    if args.cpu is not None:
        pin(0, args.cpu)
    json.dump(run(json.loads(args.spec.read_text())), sys.stdout)
