"""Crash rounds: stream keyed writes, SIGKILL the server at a random moment, restart, check.

A round streams work-item creates (POST) and updates (PATCH with `expected_version`) from a
few concurrent clients, each write carrying its own Idempotency-Key, and kills the server
with SIGKILL after a random delay. The server is restarted on the same DB_PATH, every
request that got no answer is sent again with the same key, and then the server's state is
compared with the ledger of acknowledged writes: every acknowledged item exists at its
acknowledged version, nothing exists twice, and the tenant file passes `integrity_check`.
The ledger spans rounds, so a later crash losing an earlier round's write is caught too.
"""

from __future__ import annotations

import asyncio
import functools
import random
import sqlite3
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from pm.auth.jwt import JwtConfig, mint
from tests.live import LiveServer, start, stop

API = "/api/v1"
TENANT = "crash"
WORKERS = 8
CREATE_SHARE = 0.3
KILL_AFTER = (0.02, 1.5)  # seconds of streaming before SIGKILL; spans a checkpoint (1 s)


@dataclass(frozen=True)
class Write:
    """One keyed request: a create (item_id None) or an update of an owned item."""

    method: str
    url: str
    body: dict[str, Any]
    key: str
    title: str
    item_id: str | None = None
    expected: int | None = None


@dataclass
class Item:
    """The acknowledged state of one work item."""

    id: str
    title: str
    version: int
    description: str | None


@dataclass
class Report:
    """What the rounds did and what went wrong."""

    seed: int
    rounds: int = 0
    acknowledged: int = 0
    retried: int = 0
    committed_unanswered: int = 0
    failures: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def summary(self) -> str:
        """The figure, one line."""
        return (
            f"crash rounds: {self.rounds}, acknowledged writes: {self.acknowledged}, "
            f"retries: {self.retried} ({self.committed_unanswered} had committed unanswered), "
            f"failures: {len(self.failures)}, wall time: {self.seconds:.0f} s, seed: {self.seed}"
        )


@dataclass
class Ledger:
    """Every item as last acknowledged, across rounds."""

    project_id: str
    secret: str
    items: dict[str, Item] = field(default_factory=dict)
    acks: list[tuple[str, int]] = field(default_factory=list)

    def apply(self, write: Write, response: httpx.Response) -> str | None:
        """Record an answer; returns a failure description if it is not the expected one."""
        want = 201 if write.item_id is None else 200
        if response.status_code != want:
            return (
                f"{write.method} {write.url} ({write.key}) answered {response.status_code}: "
                + (response.text[:300])
            )
        got = response.json()
        version = 1 if write.expected is None else write.expected + 1
        if got["version"] != version or got["title"] != write.title:
            return f"{write.key} answered version {got['version']}, expected {version}"
        self.items[got["id"]] = Item(got["id"], got["title"], got["version"], got["description"])
        self.acks.append((got["id"], got["version"]))
        return None


@functools.cache
def _token(secret: str) -> str:
    return mint(JwtConfig(secret), TENANT, "crasher", 24)


def headers(secret: str, key: str | None = None) -> dict[str, str]:
    """Authorization (and an Idempotency-Key) for the crash tenant."""
    h = {"Authorization": f"Bearer {_token(secret)}"}
    if key is not None:
        h["Idempotency-Key"] = key
    return h


def next_write(ledger: Ledger, owned: list[str], label: str, rng: random.Random) -> Write:
    """A create, or an update of one of the worker's own items at its acknowledged version."""
    if not owned or rng.random() < CREATE_SHARE:
        title = f"{label} item"
        body: dict[str, Any] = {"item_type": "task", "title": title, "description": label}
        url = f"{API}/projects/{ledger.project_id}/work-items"
        return Write("POST", url, body, label, title)
    item = ledger.items[rng.choice(owned)]
    body = {"description": label, "expected_version": item.version}
    return Write(
        "PATCH", f"{API}/work-items/{item.id}", body, label, item.title, item.id, item.version
    )


async def worker(
    http: httpx.AsyncClient,
    ledger: Ledger,
    owned: list[str],
    label: str,
    rng: random.Random,
    failures: list[str],
) -> Write | None:
    """Stream writes until the server goes away; returns the write left unanswered."""
    for n in range(1_000_000):
        write = next_write(ledger, owned, f"{label}n{n}", rng)
        try:
            response = await http.request(
                write.method, write.url, json=write.body, headers=headers(ledger.secret, write.key)
            )
        except httpx.TransportError:
            return write
        problem = ledger.apply(write, response)
        if problem is not None:
            failures.append(problem)
            return None
        if write.item_id is None:
            owned.append(response.json()["id"])
    return None


async def stream(
    server: LiveServer, ledger: Ledger, name: str, rng: random.Random
) -> tuple[list[Write], list[str]]:
    """Run the workers against the server and SIGKILL it after a random delay."""
    ids = list(ledger.items)
    owned = [ids[w::WORKERS] for w in range(WORKERS)]
    failures: list[str] = []
    limits = httpx.Limits(max_connections=WORKERS, max_keepalive_connections=WORKERS)
    async with httpx.AsyncClient(base_url=server.url, timeout=10, limits=limits) as http:

        async def kill() -> None:
            await asyncio.sleep(rng.uniform(*KILL_AFTER))
            server.process.kill()

        results = await asyncio.gather(
            kill(),
            *(
                worker(http, ledger, owned[w], f"{name}w{w}", random.Random(rng.random()), failures)
                for w in range(WORKERS)
            ),
        )
    return [w for w in results[1:] if isinstance(w, Write)], failures


def retry(server: LiveServer, ledger: Ledger, unanswered: list[Write], report: Report) -> list[str]:
    """Send every unanswered write again, with its key, to the restarted server."""
    failures = []
    with httpx.Client(base_url=server.url, timeout=30) as http:
        for write in unanswered:
            try:
                response = http.request(
                    write.method,
                    write.url,
                    json=write.body,
                    headers=headers(ledger.secret, write.key),
                )
            except httpx.TransportError as exc:
                failures.append(
                    f"retry of {write.key} got no answer from the restarted server: {exc}"
                )
                continue
            if response.headers.get("idempotent-replayed") == "true":
                report.committed_unanswered += 1
            problem = ledger.apply(write, response)
            if problem is not None:
                failures.append(f"retry: {problem}")
    report.retried += len(unanswered)
    return failures


def server_items(server: LiveServer, ledger: Ledger) -> list[dict[str, Any]]:
    """Every work item of the project, as the server lists them."""
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    url = f"{API}/projects/{ledger.project_id}/work-items"
    with httpx.Client(base_url=server.url, timeout=30, headers=headers(ledger.secret)) as http:
        while True:
            params: dict[str, Any] = {"limit": 200, **({"cursor": cursor} if cursor else {})}
            page = http.get(url, params=params)
            page.raise_for_status()
            body = page.json()
            items.extend(body["items"])
            cursor = body.get("next_cursor")
            if not cursor:
                return items


def verify(server: LiveServer, ledger: Ledger) -> list[str]:
    """Compare the server's items with the ledger: nothing lost, nothing twice, none extra."""
    found = server_items(server, ledger)
    failures = [
        f"title {title!r} exists {n} times (a retry wrote twice)"
        for title, n in Counter(item["title"] for item in found).items()
        if n > 1
    ]
    by_id = {item["id"]: item for item in found}
    for item_id, version in ledger.acks:
        got = by_id.get(item_id)
        if got is None:
            failures.append(f"acknowledged item {item_id} is missing")
        elif got["version"] < version:
            failures.append(f"item {item_id} is at version {got['version']}, acked {version}")
    for item in ledger.items.values():
        got = by_id.get(item.id)
        if got is not None and (got["version"], got["description"]) != (
            item.version,
            item.description,
        ):
            failures.append(
                f"item {item.id} is ({got['version']}, {got['description']!r}), last acked "
                f"({item.version}, {item.description!r})"
            )
    failures.extend(
        f"item {i} exists but was never acknowledged" for i in by_id.keys() - ledger.items.keys()
    )
    return failures


def check_file(path: Path) -> list[str]:
    """`integrity_check` on the tenant file, and the event stream without gaps."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        integrity = [row[0] for row in db.execute("PRAGMA integrity_check")]
        low, high, count = db.execute(
            "SELECT MIN(seq), MAX(seq), COUNT(*) FROM pm_events"
        ).fetchone()
    finally:
        db.close()
    failures = [] if integrity == ["ok"] else [f"integrity_check: {integrity[:5]}"]
    if count and high - low + 1 != count:
        failures.append(f"event stream has gaps: {count} events in {low}..{high}")
    return failures


def check_postgres(url: str) -> list[str]:
    """The tenant's event stream on PostgreSQL, without gaps."""
    import psycopg

    with psycopg.connect(url) as db:
        low, high, count = db.execute(
            f'SELECT MIN(seq), MAX(seq), COUNT(*) FROM "{TENANT}".pm_events'  # noqa: S608
        ).fetchone() or (None, None, 0)
    if count and high - low + 1 != count:
        return [f"event stream has gaps: {count} events in {low}..{high}"]
    return []


def check_store(data_dir: Path, database_url: str | None) -> list[str]:
    """The tenant's storage is sound (its SQLite file, or its schema on PostgreSQL)."""
    if database_url is not None:
        return check_postgres(database_url)
    return check_file(data_dir / "tenants" / TENANT / "main.db")


def start_ours(data_dir: Path, secret: str, database_url: str | None = None) -> LiveServer:
    """Start a server and make sure the one answering is ours (the port was free when picked,
    but another process may have bound it first; its server would refuse our secret)."""
    env = {"DATABASE_URL": database_url} if database_url else None
    for _ in range(3):
        server = start(data_dir, secret, extra_env=env)
        probe = httpx.get(f"{server.url}{API}/projects", headers=headers(secret), timeout=30)
        if probe.status_code == 200 and server.process.poll() is None:
            return server
        stop(server)
    raise RuntimeError(f"could not start a server of our own:\n{server.log()[-4000:]}")


def kill_round(
    server: LiveServer, ledger: Ledger, report: Report, name: str, rng: random.Random
) -> tuple[list[Write], list[str]]:
    """Stream writes until the server is SIGKILLed; returns unanswered writes and failures."""
    acked = len(ledger.acks)
    unanswered, failures = asyncio.run(stream(server, ledger, name, rng))
    server.process.wait()
    report.acknowledged += len(ledger.acks) - acked
    return unanswered, failures


def check_round(
    server: LiveServer,
    data_dir: Path,
    ledger: Ledger,
    report: Report,
    unanswered: list[Write],
    database_url: str | None = None,
) -> list[str]:
    """After the restart: retry what went unanswered, then compare server and ledger."""
    failures = retry(server, ledger, unanswered, report)
    failures += verify(server, ledger)
    failures += check_store(data_dir, database_url)
    return failures


def setup(server: LiveServer, secret: str) -> Ledger:
    """Create the project every round writes into."""
    body = {"key": "CRASH", "title": "Crash harness"}
    response = httpx.post(
        f"{server.url}{API}/projects", json=body, headers=headers(secret, "setup"), timeout=30
    )
    response.raise_for_status()
    return Ledger(response.json()["id"], secret)


def run_rounds(
    data_dir: Path, secret: str, rounds: int, seed: int, database_url: str | None = None
) -> Report:
    """Run crash rounds on one data directory (or database); stops at the first round that
    fails."""
    rng = random.Random(seed)
    report = Report(seed)
    began = time.monotonic()
    server = start_ours(data_dir, secret, database_url)
    try:
        ledger = setup(server, secret)
        for n in range(rounds):
            unanswered, failures = kill_round(server, ledger, report, f"r{n}", rng)
            server = start_ours(data_dir, secret, database_url)
            failures += check_round(server, data_dir, ledger, report, unanswered, database_url)
            report.rounds += 1
            if failures:
                report.failures = [f"round {n}: {f}" for f in failures]
                report.failures.append(f"server log:\n{server.log()[-4000:]}")
                break
    finally:
        stop(server)
        report.seconds = time.monotonic() - began
    report.failures += [f"after stop: {f}" for f in check_store(data_dir, database_url)]
    return report
