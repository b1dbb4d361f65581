"""The registries are complete: nothing a client can send, a router or an event is forgotten.

Forgetting one of them does not fail anywhere else: a missing router is a 404, a missing
WebSocket handler "not a request a client can send", a missing builder an error at commit.
"""

from __future__ import annotations

from pathlib import Path

from fastapi.routing import APIRoute

from pm.events.codec import BUILDERS
from pm.proto import messages_pb2 as pb
from pm.server.app import API_PREFIX, BUSIEST_FIRST, create_app
from pm.server.settings import Settings
from pm.ws.dispatch import CONNECTION_HANDLERS
from pm.ws.handlers import HANDLERS

SRC = Path(__file__).resolve().parents[2] / "src" / "pm"
PAYLOAD_CASES = {
    field.name for field in pb.WebSocketMessage.DESCRIPTOR.oneofs_by_name["payload"].fields
}

# Payload cases the server only ever sends as the answer to a request (never broadcast).
REPLIES = frozenset(
    {
        "pong",
        "error",
        "subscription_confirmed",
        "project_list",
        "work_items_list",
        "sprints_list",
        "comments_list",
        "time_entries_list",
        "running_timer_response",
        "dependencies_list",
        "activity_log_list",
        "llm_context_list",
        "members_list",
    }
)
# Payload cases of the protocol this server never sends, with the reason.
NEVER_SENT = {
    "activity_log_created": "activity entries are read (get_activity_log_request), not "
    "broadcast: every change already has its own event, with its field changes",
}
# Route modules with no WebSocket commands, with the reason.
REST_ONLY = {
    "health": "probes for load balancers and orchestrators, not for clients",
    "events": "the socket's Subscribe{since_seq} is the stream itself; GET /events is its "
    "REST view for clients without a socket",
    "swim_lanes": "the protocol has swim lane events but no swim lane requests; lanes are "
    "board configuration, changed rarely and over REST",
    "bulk": "the protocol (proto/messages.proto) has no batch request; a socket client sends "
    "the single commands, and the socket receives every bulk request's events",
    "sync": "exports and imports are documents of up to IMPORT_MAX_BYTES, far past a frame "
    "(WS_MAX_FRAME_BYTES); the socket receives an import's events",
    "webhooks": "subscriptions are integration settings made over REST by admins; their "
    "deliveries are HTTP pushes, not socket traffic",
    "planning": "ready work and the critical path are reads computed for agents and "
    "dashboards (GET, cacheable); the socket carries the events they are computed from",
    "snapshots": "a document for an LLM's prompt (Markdown or JSON text), fetched when a "
    "prompt is built; live clients follow the events instead",
}


def _modules(package: str) -> set[str]:
    return {path.stem for path in (SRC / package).glob("*.py") if path.stem != "__init__"}


def test_every_request_case_of_the_protocol_has_a_handler() -> None:
    requests = {case for case in PAYLOAD_CASES if case.endswith("_request")}
    assert requests - set(HANDLERS) == set()
    assert set(HANDLERS) - requests == set()  # handlers only answer request cases


def test_the_connection_cases_are_handled_by_the_connection_alone() -> None:
    assert set(CONNECTION_HANDLERS) == {"ping", "subscribe", "unsubscribe"}
    assert set(CONNECTION_HANDLERS) & set(HANDLERS) == set()


def test_every_payload_case_is_a_request_a_reply_or_an_event_with_a_builder() -> None:
    sent_by_clients = set(HANDLERS) | set(CONNECTION_HANDLERS)
    assert REPLIES <= PAYLOAD_CASES
    assert set(NEVER_SENT) <= PAYLOAD_CASES
    events = PAYLOAD_CASES - sent_by_clients - REPLIES - set(NEVER_SENT)
    # A new payload case must be classified here; a new event kind needs a codec builder.
    assert set(BUILDERS) == events


def test_every_route_module_is_mounted(tmp_path: Path) -> None:
    app = create_app(Settings(db_path=tmp_path, jwt_secret="x" * 32))
    mounted = {
        (route.path, method)
        for route in app.routes
        if isinstance(route, APIRoute)
        for method in route.methods
    }
    assert set(BUSIEST_FIRST) <= _modules("api/routes")
    for name in _modules("api/routes"):
        module = __import__(f"pm.api.routes.{name}", fromlist=["router"])
        prefix = "" if name == "health" else API_PREFIX
        routes = [route for route in module.router.routes if isinstance(route, APIRoute)]
        assert routes, f"pm.api.routes.{name} has no routes"
        for route in routes:
            for method in route.methods:
                assert (prefix + route.path, method) in mounted, f"{name}: {method} {route.path}"


def test_every_rest_resource_has_websocket_commands_or_a_reason_not_to() -> None:
    rest, ws = _modules("api/routes"), _modules("ws/handlers") - {"decoding"}
    assert rest - ws == set(REST_ONLY)
    assert ws - rest == set()
