"""Reading request headers straight from the ASGI scope."""

from __future__ import annotations

from pm.api.headers import header


def test_the_first_value_of_a_header_or_none() -> None:
    scope = {"headers": [(b"if-match", b'"3"'), (b"x-a", b"caf\xe9"), (b"if-match", b'"4"')]}
    assert header(scope, b"if-match") == '"3"'
    assert header(scope, b"x-a") == "café"  # latin-1, as HTTP defines header bytes
    assert header(scope, b"idempotency-key") is None
