"""The load generator's HTTP connection fails fast on a connection the server closed."""

from __future__ import annotations

import asyncio

import pytest

from bench.load import connect


async def test_a_request_on_a_connection_closed_while_idle_fails_instead_of_hanging() -> None:
    async def close_at_once(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.close()  # as a server does with a keep-alive connection idle past its timeout

    server = await asyncio.start_server(close_at_once, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        conn = await connect("127.0.0.1", port)
        for _ in range(100):
            if conn.lost:
                break
            await asyncio.sleep(0.01)
        assert conn.lost
        with pytest.raises(ConnectionError):
            await asyncio.wait_for(conn.request(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"), 5)
    finally:
        server.close()
        await server.wait_closed()
