"""uvicorn's HTTP protocol with a header deadline: slow-header (slowloris) clients are dropped."""

from __future__ import annotations

import asyncio

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


class DeadlineHttpProtocol(HttpToolsProtocol):
    """Closes a connection whose request line and headers do not arrive within the deadline.

    The deadline starts when the connection opens and again when each further request
    begins; it ends when the headers are complete. Idle keep-alive connections are closed by
    uvicorn's own keep-alive timeout.
    """

    header_timeout: float = 10.0
    _header_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Start the deadline for the first request's headers."""
        super().connection_made(transport)
        self._arm()

    def on_message_begin(self) -> None:
        """A further request began: its headers get a deadline too."""
        super().on_message_begin()
        self._arm()

    def on_headers_complete(self) -> None:
        """The headers arrived in time."""
        self._disarm()
        super().on_headers_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        """Forget the deadline of a closed connection."""
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._disarm()
        self._header_deadline = self.loop.call_later(self.header_timeout, self._expire)

    def _disarm(self) -> None:
        if self._header_deadline is not None:
            self._header_deadline.cancel()
            self._header_deadline = None

    def _expire(self) -> None:
        self._header_deadline = None
        if not self.transport.is_closing():
            self.transport.close()


def with_header_timeout(seconds: float) -> type[DeadlineHttpProtocol]:
    """The protocol class with a given header deadline, for uvicorn's `http=` option."""
    return type("DeadlineHttpProtocol", (DeadlineHttpProtocol,), {"header_timeout": seconds})
