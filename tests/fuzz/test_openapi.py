"""Schemathesis against the app's own OpenAPI document, in-process, with a valid token.

Every operation gets generated valid and invalid requests; linked sequences (create → read →
update → delete → read) run as a state machine. The checks: never a 5xx, only documented
status codes and content types, bodies matching the documented schemas, and nothing still
readable after it was deleted.
"""

from __future__ import annotations

import copy
import itertools
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
    use_after_free,
)

from pm.server.app import create_app
from pm.server.settings import Settings
from tests import budget
from tests.conftest import SECRET, bearer

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    use_after_free,
]
HEADERS = bearer("fuzz", "alice")
API = "/api/v1"
PROJECT = f"{API}/projects/{{project_id}}"
ITEM = f"{API}/work-items/{{id_or_key}}"
CREATE_ITEM = f"POST {PROJECT}/work-items"
_tenants = itertools.count(1)


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory: pytest.TempPathFactory, template_db: Path) -> Iterator[Any]:
    """The schema the app serves, bound to the app (lifespan running, its own data dir)."""
    data = tmp_path_factory.mktemp("openapi") / "data"
    (data / ".template").mkdir(parents=True)
    shutil.copyfile(template_db, data / ".template" / template_db.name)
    app = create_app(
        Settings(
            db_path=data,
            jwt_secret=SECRET,
            log_level="critical",
            rate_limit_user_per_second=0,
            rate_limit_tenant_per_second=0,
        )
    )
    # The token is always sent (and valid); 401s are covered by tests/integration/security.
    config = schemathesis.Config.from_dict(
        {
            "headers": HEADERS,
            # Sequences send valid requests; test_every_operation picks its mode itself.
            "generation": {"with-security-parameters": False, "mode": "positive"},
        }
    )
    schema = schemathesis.openapi.from_dict(_with_work_item_links(app.openapi()), config=config)
    schema.app = app  # requests go to the app in-process (what from_asgi does)
    try:
        yield schema
    finally:
        asgi.shutdown_lifespans()


def _with_work_item_links(document: dict[str, Any]) -> dict[str, Any]:
    """The served document plus OpenAPI links from work items to what takes `{id_or_key}`.

    Schemathesis infers links from parameter names; `id_or_key` is not one it recognises, so
    without these no sequence would reach a work item's comments, timers or activity, or read
    an item back after deleting it.
    """
    document = copy.deepcopy(document)
    paths = document["paths"]
    targets = [
        operation["operationId"]
        for path, methods in paths.items()
        if path.startswith(ITEM)
        for operation in methods.values()
    ]

    def links(value: str) -> dict[str, Any]:
        return {
            target: {"operationId": target, "parameters": {"id_or_key": value}}
            for target in targets
        }

    sources = [(f"{PROJECT}/work-items", "post", "201")]
    sources += [(ITEM, method, "200") for method in ("get", "patch", "put")]
    for path, method, status in sources:
        paths[path][method]["responses"][status]["links"] = links("$response.body#/id")
    paths[ITEM]["delete"]["responses"]["204"]["links"] = links("$request.path.id_or_key")
    return document


def _can_be_invalid(operation: Any) -> bool:
    """Whether a request can break the operation's schema (its token is always valid)."""
    if operation.body:
        return True
    for parameter in operation.iter_parameters():
        where = parameter.location.value
        if where == "query" or (
            where == "path" and set(parameter.definition["schema"]) - {"type", "title"}
        ):
            return True
    return False


def _fuzz(operation: Any, mode: GenerationMode) -> None:
    @given(case=operation.as_strategy(mode))
    @settings(
        max_examples=budget.examples(20),
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    def run(case: Any) -> None:
        case.call_and_validate(headers=HEADERS, checks=CHECKS)

    run()


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_every_operation(api_schema: Any, mode: GenerationMode, subtests: Any) -> None:
    """Generated requests to each operation get a documented, well-formed answer, never a 5xx."""
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) > 40
    for operation in operations:
        if mode is GenerationMode.NEGATIVE and not _can_be_invalid(operation):
            continue  # only free-form string path parameters: every request is valid
        with subtests.test(operation.label):
            _fuzz(operation, mode)


# Sequences per resource: the operations on it and what it needs to exist. Few operations per
# machine make deep chains (create → change → delete → read again) likely.
_CREATE = [f"POST {API}/projects", CREATE_ITEM]


def _crud(path: str) -> list[str]:
    return [f"{method} {path}" for method in ("GET", "PATCH", "PUT", "DELETE")]


GROUPS: dict[str, list[str]] = {
    "projects": [
        f"POST {API}/projects",
        *_crud(PROJECT),
        *(f"GET {PROJECT}/{sub}" for sub in ("work-items", "sprints", "swim-lanes", "activity")),
    ],
    "work items": [*_CREATE, *_crud(ITEM), f"GET {ITEM}/activity"],
    "sprints": [
        *_CREATE,
        f"POST {PROJECT}/sprints",
        *_crud(f"{API}/sprints/{{sprint_id}}"),
        f"PATCH {ITEM}",
    ],
    "swim lanes": [
        f"POST {API}/projects",
        f"GET {PROJECT}/swim-lanes",
        f"POST {PROJECT}/swim-lanes",
        f"PUT {PROJECT}/swim-lanes/order",
        *_crud(f"{API}/swim-lanes/{{lane_id}}")[1:],
    ],
    "comments": [
        *_CREATE,
        f"GET {ITEM}/comments",
        f"POST {ITEM}/comments",
        *_crud(f"{API}/comments/{{comment_id}}")[1:],
        f"DELETE {ITEM}",
    ],
    "time entries": [
        *_CREATE,
        f"POST {ITEM}/time-entries",
        f"POST {ITEM}/timer/start",
        f"POST {API}/time-entries/{{entry_id}}/stop",
        *_crud(f"{API}/time-entries/{{entry_id}}"),
        f"DELETE {ITEM}",
    ],
    "dependencies": [
        *_CREATE,
        f"POST {API}/dependencies",
        f"DELETE {API}/dependencies/{{dependency_id}}",
        f"GET {ITEM}/dependencies",
        f"DELETE {ITEM}",
    ],
}


@pytest.mark.parametrize("group", GROUPS)
def test_linked_sequences(api_schema: Any, group: str) -> None:
    """Chains of linked calls: the same checks, plus nothing is readable after its DELETE."""
    labels = {result.ok().label for result in api_schema.get_all_operations()}
    assert set(GROUPS[group]) <= labels, set(GROUPS[group]) - labels
    machine = api_schema.include(name=GROUPS[group]).as_state_machine()
    succeeded: set[str] = set()

    class Sequences(machine):  # type: ignore[misc,valid-type]
        def setup(self) -> None:
            super().setup()
            # A fresh tenant per scenario: every scenario starts from the same (empty) state,
            # so Hypothesis sees the same answers when it replays one.
            self.headers = bearer(f"seq{next(_tenants)}", "alice")

        def before_call(self, case: Any) -> None:
            # Made-up references only ever get a 422; dropping them lets sequences go on from
            # a created item (test_every_operation sends them).
            if case.operation.label == CREATE_ITEM and isinstance(case.body, dict):
                for name in ("parent_id", "sprint_id", "status"):
                    case.body.pop(name, None)

        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"headers": self.headers}

        def validate_response(self, response: Any, case: Any, **kwargs: Any) -> None:
            if 200 <= response.status_code < 300:
                succeeded.add(case.operation.label)
            case.validate_response(
                response, checks=CHECKS, transport_kwargs=kwargs or None, recorder=self.recorder
            )

    Sequences.run(
        settings=settings(
            max_examples=budget.examples(25),
            stateful_step_count=budget.steps(10),
            phases=[Phase.generate],
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
        )
    )
    # The sequences reached the resource itself, not only 404s for made-up ids.
    assert any(group.replace(" ", "-") in label for label in succeeded - set(_CREATE)), succeeded
