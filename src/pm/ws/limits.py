"""The configurable limits of the WebSocket endpoint and its close codes."""

from __future__ import annotations

from pm.core.records import record

# Close codes (1000-1015 are RFC 6455's; 4000-4999 are ours). Documented in docs/protocol.md.
CLOSE_NORMAL = 1000
CLOSE_UNSUPPORTED_DATA = 1003  # a text frame: this endpoint speaks binary protobuf only
CLOSE_POLICY = 1008
CLOSE_TOO_BIG = 1009  # a frame over WS_MAX_FRAME_BYTES
CLOSE_RESTART = 1012  # the server is restarting: reconnect and resume with since_seq
CLOSE_TOKEN_EXPIRED = 4001
CLOSE_ACCESS_CHANGED = 4003  # removed from a project the connection is subscribed to
CLOSE_SLOW_CONSUMER = 4008
CLOSE_RATE_LIMITED = 4029

SUBPROTOCOL = "pm.v1"
BEARER_PROTOCOL_PREFIX = "bearer."


@record
class WsLimits:
    """Limits of one server process (see .env.example for each setting)."""

    max_frame_bytes: int = 65_536
    max_subscriptions: int = 1000
    max_connections_per_user: int = 20
    max_connections_per_tenant: int = 2000
    rate_per_second: float = 50.0
    rate_burst: int = 100
    send_queue: int = 1000
    max_replay: int = 10_000
    # Messages refused for rate in a row before the connection is closed.
    max_rate_violations: int = 50
