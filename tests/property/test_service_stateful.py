"""Random sequences of use cases over the service layer, with the invariants checked after each.

The machine drives real units of work on a real SQLite tenant (a fresh tenant per example):
creates, moves, status changes, sprints, dependencies (cycles included), timers for three
users, comments and deletes — valid and invalid. A domain error is an allowed outcome of any
step; anything else fails the test. After every step the tenant file is read directly
(read-only) and every invariant in tests/property/invariants.py must hold.
"""

from __future__ import annotations

import asyncio
import itertools
import shutil
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, ClassVar

from hypothesis import HealthCheck, assume, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    rule,
    run_state_machine_as_test,
)

from pm.core.actor import Actor
from pm.core.enums import DependencyType, SprintStatus, WorkItemType
from pm.core.errors import DomainError
from pm.core.members import Role
from pm.db.tenants import StorageConfig, TenantConnectionManager
from pm.service import comments, dependencies, members, projects, sprints, time_entries
from pm.service import work_items as items_svc
from pm.service.uow import Tenancy, UnitOfWork
from tests import budget
from tests.property import invariants
from tests.property.invariants import Snapshot

USERS = st.sampled_from(["alice", "bob", "carol"])
KEYS = st.sampled_from(["AB", "CD", "EF", "GH", "bad"])  # repeats (409) and an invalid one
STATUSES = st.sampled_from(["backlog", "in_progress", "in_review", "done", "shipped"])
MISSING = "01900000-0000-7000-8000-000000000000"  # an id nothing has
DAY = 86_400
_tenants = itertools.count(1)


class ServiceMachine(RuleBasedStateMachine):
    """One tenant, driven through the use cases; `base` is the data dir (set by the test)."""

    base: ClassVar[Path]
    projects = Bundle("projects")
    items = Bundle("items")
    sprints = Bundle("sprints")
    links = Bundle("links")
    entries = Bundle("entries")

    def __init__(self) -> None:
        super().__init__()
        self.runner = asyncio.Runner()
        self.tenant = f"prop{next(_tenants)}"
        self.manager = TenantConnectionManager(StorageConfig(base_path=self.base))
        self.published: list[int] = []  # the seqs handed to subscribers, in order
        self.tenancy = Tenancy(
            self.manager, lambda _, events: self.published.extend(e.seq for e in events)
        )
        self.path = self.manager.tenant_path(self.tenant)
        self.last = Snapshot()

    def teardown(self) -> None:
        self.runner.run(self.manager.close())
        self.runner.close()

    def write(self, user: str, use_case: Callable[[UnitOfWork], Awaitable[Any]]) -> Any:
        """Run one use case in its own unit of work; None when it failed with a domain error."""

        async def run() -> Any:
            async with self.tenancy.unit_of_work(Actor(self.tenant, user)) as uow:
                return await use_case(uow)

        try:
            return self.runner.run(run())
        except DomainError:
            return None

    def made(self, result: Any) -> Any:
        """The new entity's id for the bundle, or nothing when the step failed."""
        return multiple() if result is None else result.id

    # -- set-up: one of everything, so every bundle can be drawn from --

    def home(self) -> str:
        """The first project (made by whichever initializer runs first)."""
        if not hasattr(self, "home_id"):
            self.home_id: str = self.write("alice", _project("PONE")).id
        return self.home_id

    @initialize(target=projects)
    def first_project(self) -> str:
        return self.home()

    @initialize(target=items)
    def first_tree(self) -> Any:
        epic = self.write("alice", _item(self.home(), WorkItemType.EPIC))
        story = self.write("bob", _item(self.home(), WorkItemType.STORY, epic.id))
        task = self.write("carol", _item(self.home(), WorkItemType.TASK, story.id))
        return multiple(epic.id, story.id, task.id)

    @initialize(target=sprints)
    def first_sprint(self) -> str:
        return str(self.write("alice", _sprint(self.home(), 0, 14 * DAY)).id)

    # -- projects and work items --

    @rule(target=projects, user=USERS, key=KEYS)
    def create_project(self, user: str, key: str) -> Any:
        return self.made(self.write(user, _project(key)))

    @rule(
        target=items,
        user=USERS,
        project=projects,
        item_type=st.sampled_from(WorkItemType),
        parent=st.none() | items | st.just(MISSING),
        status=st.none() | STATUSES,
        sprint=st.none() | sprints,
    )
    def create_item(
        self,
        user: str,
        project: str,
        item_type: WorkItemType,
        parent: str | None,
        status: str | None,
        sprint: str | None,
    ) -> Any:
        return self.made(self.write(user, _item(project, item_type, parent, status, sprint)))

    @rule(user=USERS, item=items, parent=st.none() | items | st.just(MISSING))
    def move_item(self, user: str, item: str, parent: str | None) -> None:
        self.write(user, _update(item, parent_id=parent))

    @rule(user=USERS, item=items, status=STATUSES)
    def change_status(self, user: str, item: str, status: str) -> None:
        self.write(user, _update(item, status=status))

    @rule(user=USERS, item=items, version=st.none() | st.integers(1, 4))
    def delete_item(self, user: str, item: str, version: int | None) -> None:
        self.write(user, lambda uow: items_svc.delete_work_item(uow, item, version))

    @rule(user=USERS, project=projects)
    def delete_project(self, user: str, project: str) -> None:
        self.write(user, lambda uow: projects.delete_project(uow, project))

    # -- sprints --

    @rule(
        target=sprints,
        user=USERS,
        project=projects,
        start=st.integers(0, 60 * DAY),
        length=st.integers(-DAY, 30 * DAY),
    )
    def create_sprint(self, user: str, project: str, start: int, length: int) -> Any:
        return self.made(self.write(user, _sprint(project, start, start + length)))

    @rule(user=USERS, sprint=sprints, status=st.sampled_from(SprintStatus))
    def sprint_status(self, user: str, sprint: str, status: SprintStatus) -> None:
        self.write(user, lambda uow: sprints.update_sprint(uow, sprint, {"status": status}))

    @rule(user=USERS, item=items, sprint=st.none() | sprints | st.just(MISSING))
    def plan_item(self, user: str, item: str, sprint: str | None) -> None:
        self.write(user, _update(item, sprint_id=sprint))

    @rule(user=USERS, sprint=sprints)
    def delete_sprint(self, user: str, sprint: str) -> None:
        self.write(user, lambda uow: sprints.delete_sprint(uow, sprint))

    # -- dependencies, timers, comments --

    @rule(
        target=links,
        user=USERS,
        blocking=items,
        blocked=items,
        kind=st.sampled_from(DependencyType),
    )
    def link(self, user: str, blocking: str, blocked: str, kind: DependencyType) -> Any:
        return self.made(
            self.write(
                user, lambda uow: dependencies.create_dependency(uow, blocking, blocked, kind)
            )
        )

    @rule(target=links, user=USERS, data=st.data())
    def link_around(self, user: str, data: st.DataObject) -> Any:
        """a blocks b blocks c, then c blocks a: the last must be refused (a cycle)."""
        live = self.live_items()
        assume(len(live) >= 3)
        a, b, c = data.draw(st.lists(st.sampled_from(live), min_size=3, max_size=3, unique=True))
        made = []
        for blocking, blocked in ((a, b), (b, c), (c, a)):
            dep = self.write(
                user,
                lambda uow, x=blocking, y=blocked: dependencies.create_dependency(
                    uow, x, y, DependencyType.BLOCKS
                ),
            )
            made += [] if dep is None else [dep.id]
        return multiple(*made)

    @rule(user=USERS, link=links)
    def unlink(self, user: str, link: str) -> None:
        self.write(user, lambda uow: dependencies.delete_dependency(uow, link))

    @rule(target=entries, user=USERS, item=items)
    def start_timer(self, user: str, item: str) -> Any:
        started = self.write(user, lambda uow: time_entries.start_timer(uow, item, None))
        return multiple() if started is None else started.time_entry.id

    @rule(user=USERS, entry=entries)
    def stop_timer(self, user: str, entry: str) -> None:
        self.write(user, lambda uow: time_entries.stop_timer(uow, entry))

    @rule(user=USERS, entry=entries)
    def delete_entry(self, user: str, entry: str) -> None:
        self.write(user, lambda uow: time_entries.delete_time_entry(uow, entry))

    @rule(user=USERS, item=items)
    def comment(self, user: str, item: str) -> None:
        self.write(user, lambda uow: comments.create_comment(uow, item, "a comment"))

    def live_items(self) -> list[str]:
        """Ids of the tenant's live work items, oldest first."""
        if not self.path.exists():
            return []
        with invariants.read_only(self.path) as conn:
            rows = conn.execute("SELECT id FROM pm_work_items WHERE deleted_at IS NULL ORDER BY id")
            return [row[0] for row in rows]

    # -- after every step --

    @invariant()
    def consistent(self) -> None:
        if not self.path.exists():
            return
        with invariants.read_only(self.path) as conn:
            problems = [p for check in invariants.STATE_CHECKS for p in check(conn)]
            problems += invariants.event_stream(conn, self.published)
            now = Snapshot.take(conn)
        problems += invariants.changes_logged(self.last, now)
        problems += invariants.versions_grow(self.last, now)
        self.last = now
        assert not problems, "\n".join(problems)


def _project(key: str) -> Callable[[UnitOfWork], Awaitable[Any]]:
    """Create a project; bob administers it too, carol edits (the creator is its admin)."""

    async def run(uow: UnitOfWork) -> Any:
        project = await projects.create_project(uow, key, f"Project {key}")
        for user, role in (("alice", Role.ADMIN), ("bob", Role.ADMIN), ("carol", Role.EDITOR)):
            if user != uow.actor.user_id:
                await members.set_member(uow, project.id, user, role)
        return project

    return run


def _item(
    project: str,
    item_type: WorkItemType,
    parent: str | None = None,
    status: str | None = None,
    sprint: str | None = None,
) -> Callable[[UnitOfWork], Awaitable[Any]]:
    new = items_svc.NewWorkItem(
        item_type, f"A {item_type.value}", parent_id=parent, status=status, sprint_id=sprint
    )
    return lambda uow: items_svc.create_work_item(uow, project, new)


def _update(item: str, **patch: Any) -> Callable[[UnitOfWork], Awaitable[Any]]:
    return lambda uow: items_svc.update_work_item(uow, item, patch)  # type: ignore[arg-type]


def _sprint(project: str, start: int, end: int) -> Callable[[UnitOfWork], Awaitable[Any]]:
    new = sprints.NewSprint("Sprint", start, end)
    return lambda uow: sprints.create_sprint(uow, project, new)


def test_random_use_cases_keep_every_invariant(tmp_path: Path, template_db: Path) -> None:
    """Hypothesis explores sequences; any broken invariant or non-domain error fails."""
    (tmp_path / ".template").mkdir()
    shutil.copyfile(template_db, tmp_path / ".template" / template_db.name)

    class Machine(ServiceMachine):
        base = tmp_path

    run_state_machine_as_test(
        Machine,
        settings=settings(
            max_examples=budget.examples(60),
            stateful_step_count=budget.steps(40),
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
