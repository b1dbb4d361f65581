"""WebSocket fan-out: N subscribed clients and a REST driver, in one process apart from the server.

The driver creates work items over REST (title `fan<phase>-<n>`) and records when it sends
each request; every client decodes each event frame, takes the time its bytes arrived, and
checks that `seq` goes up by exactly one (nothing lost, nothing reordered). Two phases:

- latency: a steady `rate` of creations for `duration` seconds → p50/p99 of
  (event received − creation request sent) over every delivery;
- saturation: `burst` creations sent as fast as `concurrency` connections allow →
  deliveries/s from the first request to the last delivery.

With `flood_token` set, the latency phases run with one more client (that token's user)
flooding the server for the whole phase: pre-built Ping frames (one in `garbage_every`
undecodable) written as fast as the server answers them (at most FLOOD_WINDOW unanswered),
reconnecting at once whenever it is closed (4029 once it has been refused 50 times in a
row); the saturation phases are skipped.

`python -m bench.wsfanout SPEC.json [--cpu N]` prints the results as JSON. The clients are a
minimal RFC 6455 implementation over asyncio (no compression), cheap enough that 1,000 of
them in one process keep up with the server.
"""

from __future__ import annotations

import asyncio
import base64
import json
import math
import os
import struct
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TypeVar, cast

from bench.load import HttpConnection, connect, percentile, run_loop
from pm.proto import messages_pb2 as pb

OP_CONT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0x0, 0x2, 0x8, 0x9, 0xA


def client_frame(opcode: int, payload: bytes) -> bytes:
    """A masked client-to-server frame."""
    mask = os.urandom(4)
    size = len(payload)
    if size < 126:
        head = struct.pack("!BB", 0x80 | opcode, 0x80 | size)
    elif size < 65536:
        head = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, size)
    else:
        head = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, size)
    n = int.from_bytes(payload, "big") ^ int.from_bytes((mask * (size // 4 + 1))[:size], "big")
    return head + mask + n.to_bytes(size, "big")


@dataclass
class Tally:
    """What all clients received in one phase."""

    sent_at: dict[str, float] = field(default_factory=dict)  # title → when its POST was sent
    latencies: list[float] = field(default_factory=list)
    deliveries: int = 0
    last_arrival: float = 0.0
    gaps: int = 0  # events skipped (seq jumped by more than one)
    reordered: int = 0  # seq not above the previous one


class Client(asyncio.Protocol):
    """One subscriber: handshake, then frames parsed straight from the socket buffer."""

    def __init__(self, tally_ref: list[Tally]) -> None:
        self.tally_ref = tally_ref
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.fragments = bytearray()
        self.opened: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.reply: asyncio.Future[pb.WebSocketMessage] | None = None
        self.last_seq = 0
        self.received = 0
        self.close_code: int | None = None
        self.lost_connection = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost_connection = True
        if not self.opened.done():
            self.opened.set_exception(ConnectionError("closed during the handshake"))

    def data_received(self, data: bytes) -> None:
        arrival = time.perf_counter()
        self.buffer += data
        if not self.opened.done():
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(self.buffer[:end])
            del self.buffer[: end + 4]
            if not head.startswith(b"HTTP/1.1 101"):
                self.opened.set_exception(ConnectionError(head.split(b"\r\n")[0].decode()))
                return
            self.opened.set_result(None)
        self._frames(arrival)

    def _frames(self, arrival: float) -> None:
        buf = self.buffer
        pos, end = 0, len(buf)
        while end - pos >= 2:
            b0, b1 = buf[pos], buf[pos + 1]
            size, at = b1 & 0x7F, pos + 2
            if size == 126:
                if end - at < 2:
                    break
                size, at = int.from_bytes(buf[at : at + 2], "big"), at + 2
            elif size == 127:
                if end - at < 8:
                    break
                size, at = int.from_bytes(buf[at : at + 8], "big"), at + 8
            if end - at < size:
                break
            payload = bytes(buf[at : at + size])
            pos = at + size
            self._frame(b0, payload, arrival)
        del buf[:pos]

    def _frame(self, b0: int, payload: bytes, arrival: float) -> None:
        opcode = b0 & 0x0F
        if opcode in (OP_BINARY, OP_CONT):
            self.fragments += payload
            if b0 & 0x80:
                message, self.fragments = bytes(self.fragments), bytearray()
                self._message(message, arrival)
        elif opcode == OP_PING and self.transport is not None:
            self.transport.write(client_frame(OP_PONG, payload))
        elif opcode == OP_CLOSE:
            self.close_code = int.from_bytes(payload[:2], "big") if len(payload) >= 2 else 1005

    def _message(self, data: bytes, arrival: float) -> None:
        message = pb.WebSocketMessage.FromString(data)
        if not message.seq:
            if self.reply is not None and not self.reply.done():
                self.reply.set_result(message)
            return
        tally = self.tally_ref[0]
        seq = message.seq
        if self.last_seq:
            if seq <= self.last_seq:
                tally.reordered += 1
            elif seq > self.last_seq + 1:
                tally.gaps += seq - self.last_seq - 1
        self.last_seq = max(seq, self.last_seq)
        self.received += 1
        tally.deliveries += 1
        tally.last_arrival = arrival
        if message.WhichOneof("payload") == "work_item_created":
            sent = tally.sent_at.get(message.work_item_created.work_item.title)
            if sent is not None:
                tally.latencies.append(arrival - sent)

    async def request(self, message: pb.WebSocketMessage) -> pb.WebSocketMessage:
        """Send one message and wait for the reply (the next frame with seq 0)."""
        assert self.transport is not None
        self.reply = asyncio.get_running_loop().create_future()
        self.transport.write(client_frame(OP_BINARY, message.SerializeToString()))
        return await asyncio.wait_for(self.reply, 30)


C = TypeVar("C", bound=Client)


async def upgrade(host: str, port: int, token: str, factory: Callable[[], C]) -> C:
    """Connect and upgrade to a WebSocket with a bearer token (the socket is closed on failure)."""
    loop = asyncio.get_running_loop()
    _, client = await loop.create_connection(factory, host, port)
    key = base64.b64encode(os.urandom(16)).decode()
    assert client.transport is not None
    client.transport.write(
        (
            f"GET /ws HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
            f"Authorization: Bearer {token}\r\n\r\n"
        ).encode()
    )
    try:
        await asyncio.wait_for(client.opened, 30)
    except BaseException:
        client.transport.close()
        raise
    return client


async def open_client(
    host: str, port: int, token: str, tally_ref: list[Tally], project_id: str
) -> Client:
    """Connect, upgrade with a bearer token and subscribe to the project."""
    client = await upgrade(host, port, token, lambda: Client(tally_ref))
    reply = await client.request(
        pb.WebSocketMessage(message_id="sub", subscribe=pb.Subscribe(project_ids=[project_id]))
    )
    if reply.WhichOneof("payload") != "subscription_confirmed":
        raise RuntimeError(f"subscribe refused: {reply}")
    client.last_seq = reply.subscription_confirmed.current_seq
    return client


@dataclass
class Spec:
    """What to run (written by bench.run as JSON)."""

    host: str
    port: int
    clients: int
    project_id: str
    driver_token: str
    client_tokens: list[str]
    rate: float = 20.0
    duration: float = 3.0
    burst: int = 100
    concurrency: int = 8
    runs: int = 3
    server_pid: int = 0  # to tell how busy the server was (0: unknown)
    flood_token: str = ""  # a client of this token floods during the latency phases
    saturation: bool = True  # False: the latency phases only
    client_ports: list[int] = field(default_factory=list)  # subscribers spread over these
    garbage_every: int = 8  # one flood frame in this many is not protobuf


class Driver:
    """Creates work items over REST and records when each request was sent."""

    def __init__(self, spec: Spec, conns: list[HttpConnection]) -> None:
        self.spec = spec
        self.pool: asyncio.Queue[HttpConnection] = asyncio.Queue()
        for conn in conns:
            self.pool.put_nowait(conn)
        self.created = 0
        self.failed = 0

    async def create(self, title: str, tally: Tally) -> None:
        """One creation request, timed from the moment it is written."""
        body = json.dumps({"item_type": "story", "title": title}).encode()
        request = (
            f"POST /api/v1/projects/{self.spec.project_id}/work-items HTTP/1.1\r\n"
            f"Host: {self.spec.host}\r\nAuthorization: Bearer {self.spec.driver_token}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode() + body
        conn = await self.pool.get()
        try:
            if conn.lost:  # closed by the server while idle (keep-alive timeout): reopen
                conn = await connect(self.spec.host, self.spec.port)
            tally.sent_at[title] = time.perf_counter()
            status, _ = await conn.request(request)
        finally:
            self.pool.put_nowait(conn)
        if status == 201:
            self.created += 1
        else:
            self.failed += 1


async def _settle(clients: list[Client], expected: int, limit: float) -> None:
    """Wait until every open client has `expected` events (or nothing moves for a while)."""
    deadline = time.perf_counter() + limit
    last, still = -1, time.perf_counter()
    while time.perf_counter() < deadline:
        live = [c for c in clients if c.close_code is None and not c.lost_connection]
        total = sum(c.received for c in live)
        if all(c.received >= expected for c in live):
            return
        if total != last:
            last, still = total, time.perf_counter()
        elif time.perf_counter() - still > 3:
            return
        await asyncio.sleep(0.01)


# The flooder keeps at most this many frames unanswered: the server never runs out of
# frames to read (its WebSocket reader holds 32 at a time), while what it never reads
# because it closed the connection stays a few hundred frames, not whole socket buffers.
FLOOD_WINDOW = 256
FLOOD_CHUNK = 32  # frames per write
# Field 1 with wire type 7 (which does not exist): never decodes as a protobuf message.
GARBAGE = b"\x0f" + b"\xa5" * 23


@dataclass
class FloodStats:
    """What the flooding client sent and was answered in one phase."""

    seconds: float = 0.0
    connections: int = 0  # WebSockets opened
    handshakes_refused: int = 0  # upgrades answered with something else than 101
    sent: int = 0  # frames written (Ping, and garbage)
    garbage: int = 0  # of those, not protobuf
    pongs: int = 0  # Pings answered (within the rate)
    invalid: int = 0  # garbage answered VALIDATION_ERROR (within the rate)
    refused: int = 0  # answered RATE_LIMIT_EXCEEDED
    other_replies: int = 0  # anything else
    closes: dict[str, int] = field(default_factory=dict)  # close code → times
    dropped: int = 0  # connections that ended without a close frame

    def summary(self) -> dict[str, Any]:
        """The counts, plus rates and per-connection figures."""
        seconds = max(1e-9, self.seconds)
        accepted = self.pongs + self.invalid
        conns = max(1, self.connections)
        return {
            **asdict(self),
            "sent_per_s": self.sent / seconds,
            "accepted_per_s": accepted / seconds,
            "accepted_per_connection": accepted / conns,
            "refused_per_connection": self.refused / conns,
        }


class Flooder(Client):
    """A client that reads and counts its replies (no events) and knows when it was closed."""

    def __init__(self, stats: FloodStats) -> None:
        super().__init__([Tally()])
        self.stats = stats
        self.replies = 0
        self.progress = asyncio.Event()  # a reply came, or the connection ended
        self.ended = False

    def connection_lost(self, exc: Exception | None) -> None:
        super().connection_lost(exc)
        self.ended = True
        self.progress.set()

    def _frame(self, b0: int, payload: bytes, arrival: float) -> None:
        super()._frame(b0, payload, arrival)
        if b0 & 0x0F == OP_CLOSE:
            self.ended = True
            self.progress.set()

    def _message(self, data: bytes, arrival: float) -> None:
        self.replies += 1
        self.progress.set()
        stats = self.stats
        try:
            message = pb.WebSocketMessage.FromString(data)
        except Exception:
            stats.other_replies += 1
            return
        case = message.WhichOneof("payload")
        if case == "pong":
            stats.pongs += 1
        elif case == "error" and message.error.code == "RATE_LIMIT_EXCEEDED":
            stats.refused += 1
        elif case == "error" and message.error.code == "VALIDATION_ERROR":
            stats.invalid += 1
        else:
            stats.other_replies += 1


def flood_chunk(garbage_every: int) -> tuple[bytes, int]:
    """FLOOD_CHUNK masked frames, built once: Pings, one in `garbage_every` garbage."""
    frames, garbage = [], 0
    for i in range(FLOOD_CHUNK):
        if garbage_every and i % garbage_every == garbage_every - 1:
            frames.append(client_frame(OP_BINARY, GARBAGE))
            garbage += 1
        else:
            ping = pb.WebSocketMessage(message_id=f"f{i}", ping=pb.Ping(timestamp=i))
            frames.append(client_frame(OP_BINARY, ping.SerializeToString()))
    return b"".join(frames), garbage


async def flood(spec: Spec, stats: FloodStats, stop: asyncio.Event) -> None:
    """Flood until `stop` is set: write frames as fast as the server answers, reconnect at once.

    The caller also cancels the task, to wake it from a wait, but does not rely on that alone:
    on Python 3.11 `asyncio.wait_for` (inside `upgrade`) can swallow a cancellation that
    coincides with the handshake failing, and the loop would reconnect forever.
    """
    chunk, garbage = flood_chunk(spec.garbage_every)
    started = time.perf_counter()
    try:
        while not stop.is_set():
            try:
                client = await upgrade(
                    spec.host, spec.port, spec.flood_token, lambda: Flooder(stats)
                )
            except (ConnectionError, OSError, TimeoutError):
                stats.handshakes_refused += 1
                await asyncio.sleep(0.005)
                continue
            stats.connections += 1
            assert client.transport is not None
            sent = 0
            try:
                while not client.ended and not stop.is_set():
                    if sent - client.replies > FLOOD_WINDOW - FLOOD_CHUNK:
                        client.progress.clear()
                        await client.progress.wait()
                        continue
                    client.transport.write(chunk)
                    sent += FLOOD_CHUNK
                    stats.sent += FLOOD_CHUNK
                    stats.garbage += garbage
                    await asyncio.sleep(0)
            finally:
                client.transport.close()
            if stop.is_set() and not client.ended:
                break  # closed by us at the end of the phase: neither a close nor a drop
            if client.close_code is not None:
                code = str(client.close_code)
                stats.closes[code] = stats.closes.get(code, 0) + 1
            else:
                stats.dropped += 1
    finally:
        stats.seconds = time.perf_counter() - started


def _process_cpu(pid: int) -> float:
    """CPU seconds a process (all its threads) has used, from /proc/<pid>/stat."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Meter:
    """CPU spent by this process (clients and driver) and by the server during a phase.

    A server far from one busy core at "saturation" means the clients were the limit.
    """

    def __init__(self, server_pid: int) -> None:
        self.server_pid = server_pid
        self.wall = time.perf_counter()
        self.own = time.process_time()
        self.server = _process_cpu(server_pid) if server_pid else 0.0

    def read(self, deliveries: int) -> dict[str, float]:
        """Client µs per delivery and the server's busy cores since the phase began."""
        wall = max(1e-9, time.perf_counter() - self.wall)
        own = (time.process_time() - self.own) / max(1, deliveries)
        out = {"client_cpu_us_per_delivery": own * 1e6}
        if self.server_pid:
            out["server_busy_cores"] = (_process_cpu(self.server_pid) - self.server) / wall
        return out


def _summary(
    tally: Tally, clients: list[Client], created: int, failed: int, meter: Meter
) -> dict[str, Any]:
    lat = sorted(tally.latencies)
    expected = created * len(clients)
    return {
        **meter.read(tally.deliveries),
        "events": created,
        "failed_requests": failed,
        "deliveries": tally.deliveries,
        "lost": max(0, expected - tally.deliveries) + tally.gaps,
        "reordered": tally.reordered,
        "closed": sum(1 for c in clients if c.close_code is not None or c.lost_connection),
        "p50_ms": percentile(lat, 0.50) * 1000,
        "p99_ms": percentile(lat, 0.99) * 1000,
        "max_ms": (lat[-1] if lat else 0.0) * 1000,
    }


async def _phase_start(clients: list[Client], tally_ref: list[Tally]) -> Tally:
    for c in clients:
        c.received = 0
    tally_ref[0] = Tally()
    await asyncio.sleep(0.2)
    return tally_ref[0]


async def latency_phase(
    spec: Spec, driver: Driver, clients: list[Client], tally_ref: list[Tally], phase: int
) -> dict[str, Any]:
    """A steady rate of creations; per-delivery latency."""
    tally = await _phase_start(clients, tally_ref)
    driver.created = driver.failed = 0
    meter = Meter(spec.server_pid)
    count = max(1, math.floor(spec.rate * spec.duration))
    start = time.perf_counter()
    tasks = []
    for n in range(count):
        delay = start + n / spec.rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(driver.create(f"fan{phase}-{n:06d}", tally)))
    await asyncio.gather(*tasks)
    await _settle(clients, driver.created, 30)
    return _summary(tally, clients, driver.created, driver.failed, meter)


async def saturation_phase(
    spec: Spec, driver: Driver, clients: list[Client], tally_ref: list[Tally], phase: int
) -> dict[str, Any]:
    """`burst` creations as fast as possible; deliveries per second until the last arrives."""
    tally = await _phase_start(clients, tally_ref)
    driver.created = driver.failed = 0
    titles = iter(range(spec.burst))
    meter = Meter(spec.server_pid)
    start = time.perf_counter()

    async def worker() -> None:
        for n in titles:
            await driver.create(f"sat{phase}-{n:06d}", tally)

    await asyncio.gather(*(worker() for _ in range(spec.concurrency)))
    await _settle(clients, driver.created, 60)
    out = _summary(tally, clients, driver.created, driver.failed, meter)
    elapsed = max(1e-9, tally.last_arrival - start)
    out["seconds"] = elapsed
    out["deliveries_per_s"] = tally.deliveries / elapsed
    return out


async def run(spec: Spec) -> dict[str, Any]:
    """Connect everyone, then the latency and saturation phases, `runs` times each."""
    tally_ref = [Tally()]
    started = time.perf_counter()
    clients: list[Client] = []
    ports = spec.client_ports or [spec.port]  # the driver always writes to spec.port
    for i in range(0, spec.clients, 50):
        batch = spec.client_tokens[i : i + 50]
        clients += await asyncio.gather(
            *(
                open_client(spec.host, ports[(i + k) % len(ports)], t, tally_ref, spec.project_id)
                for k, t in enumerate(batch)
            )
        )
    connect_s = time.perf_counter() - started
    conns = [await connect(spec.host, spec.port) for _ in range(spec.concurrency)]
    driver = Driver(spec, conns)
    latency, saturation = [], []
    try:
        for r in range(spec.runs):
            if not spec.flood_token:
                latency.append(await latency_phase(spec, driver, clients, tally_ref, r))
                continue
            stats = FloodStats()
            stop = asyncio.Event()
            flooding = asyncio.create_task(flood(spec, stats, stop))
            try:
                result = await latency_phase(spec, driver, clients, tally_ref, r)
            finally:
                stop.set()
                flooding.cancel()
                await asyncio.gather(flooding, return_exceptions=True)
            latency.append({**result, "flood": stats.summary()})
        for r in range(0 if spec.flood_token or not spec.saturation else spec.runs):
            saturation.append(await saturation_phase(spec, driver, clients, tally_ref, r))
    finally:
        for transport in [c.transport for c in clients] + [c.transport for c in conns]:
            if transport is not None:
                transport.close()
    return {
        "clients": spec.clients,
        "connect_s": connect_s,
        "latency": latency,
        "saturation": saturation,
    }


def run_spec(spec: dict[str, Any]) -> dict[str, Any]:
    """Run a spec (the fields of Spec) on uvloop."""
    return dict(run_loop(run(Spec(**spec))))


def run_separately(spec: Spec, spec_path: Path, pinned: bool = True) -> dict[str, Any]:
    """Run in a separate load process pinned to the load core (if `pinned`)."""
    from bench.servers import run_module

    return dict(run_module("bench.wsfanout", asdict(spec), spec_path, pinned=pinned))


if __name__ == "__main__":
    from bench.servers import module_main

    module_main(__doc__, run_spec)
