"""web.protocol: a response's head and body leave in one write, and nothing written is held
past the event loop's turn, lost on close, or reordered."""

from __future__ import annotations

import asyncio
import contextlib
import re
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route
from uvicorn.server import ServerState

from live import free_port
from sellergate.web.protocol import HOLD_BYTES, CoalescingHttpToolsProtocol, CoalescingTransport

BIG = bytes(range(256)) * (4 * HOLD_BYTES // 256 + 3)


class Recorder:
    """A transport that records what is written to it, write by write."""

    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.closed = False
        self.aborted = False

    def write(self, data: bytes) -> None:
        assert not self.closed, "written after close"
        self.writes.append(bytes(data))

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def abort(self) -> None:
        self.closed = self.aborted = True

    def get_write_buffer_size(self) -> int:
        return 0

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"sockname": ("127.0.0.1", 8000), "peername": ("127.0.0.1", 50000)}.get(
            name, default
        )

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


def one_turn() -> asyncio.Future[None]:
    """Awaitable: the end of the current turn of the loop and the start of the next."""
    loop = asyncio.get_running_loop()
    done = loop.create_future()
    loop.call_soon(done.set_result, None)
    return done


def test_writes_of_one_turn_leave_together_at_its_end() -> None:
    async def main() -> None:
        recorder = Recorder()
        transport = CoalescingTransport(recorder, asyncio.get_running_loop())  # type: ignore[arg-type]
        transport.write(b"HTTP/1.1 200 OK\r\n\r\n")
        transport.write(bytearray(b"{}"))
        transport.write(b"")
        assert recorder.writes == []
        assert transport.get_write_buffer_size() == len(b"HTTP/1.1 200 OK\r\n\r\n{}")
        await one_turn()
        assert recorder.writes == [b"HTTP/1.1 200 OK\r\n\r\n{}"]
        transport.write(b"next")
        await one_turn()
        assert recorder.writes == [b"HTTP/1.1 200 OK\r\n\r\n{}", b"next"]
        assert transport.get_write_buffer_size() == 0

    asyncio.run(main())


def test_a_large_write_leaves_at_once_unjoined() -> None:
    async def main() -> None:
        recorder = Recorder()
        transport = CoalescingTransport(recorder, asyncio.get_running_loop())  # type: ignore[arg-type]
        transport.write(b"head")
        transport.write(BIG)
        # Not held to the end of the turn: flow control sees it as it is written.
        assert recorder.writes == [b"head", BIG]
        await one_turn()
        assert recorder.writes == [b"head", BIG]

    asyncio.run(main())


def test_close_writes_what_is_held_first_and_abort_drops_it() -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        closing = Recorder()
        transport = CoalescingTransport(closing, loop)  # type: ignore[arg-type]
        transport.write(b"last words")
        transport.close()
        assert closing.writes == [b"last words"] and closing.closed
        aborting = Recorder()
        transport = CoalescingTransport(aborting, loop)  # type: ignore[arg-type]
        transport.write(b"never sent")
        transport.abort()
        await one_turn()
        assert aborting.writes == [] and aborting.aborted
        # A write after close is dropped, as the transport's own would be, without an error.
        transport.write(b"too late")
        await one_turn()
        assert aborting.writes == []

    asyncio.run(main())


def application() -> Starlette:
    async def small(request: Request) -> Response:
        await request.body()
        return JSONResponse({"ok": True})

    async def empty(_: Request) -> Response:
        return Response(status_code=204)

    async def streamed(_: Request) -> Response:
        async def chunks() -> AsyncIterator[bytes]:
            for index in range(5):
                yield f"chunk {index};".encode()
                await asyncio.sleep(0.01)
            yield BIG

        return StreamingResponse(chunks(), media_type="application/octet-stream")

    return Starlette(
        routes=[
            Route("/small", small, methods=["GET", "POST"]),
            Route("/empty", empty),
            Route("/streamed", streamed),
        ]
    )


def answer_of(request: bytes) -> list[bytes]:
    """The writes uvicorn's protocol (ours) makes for a raw HTTP request."""

    async def main() -> list[bytes]:
        config = uvicorn.Config(application(), log_level="warning", access_log=False)
        protocol = CoalescingHttpToolsProtocol(config, ServerState(), {})
        recorder = Recorder()
        protocol.connection_made(recorder)  # type: ignore[arg-type]
        protocol.data_received(request)
        for _ in range(200):
            if protocol.cycle is not None and protocol.cycle.response_complete:
                break
            await asyncio.sleep(0.01)
        await one_turn()
        return recorder.writes

    return asyncio.run(main())


def test_uvicorn_sends_a_small_response_head_and_body_in_one_write() -> None:
    writes = answer_of(b"GET /small HTTP/1.1\r\nHost: sellergate\r\n\r\n")
    assert len(writes) == 1
    head, body = writes[0].split(b"\r\n\r\n", 1)
    assert head.startswith(b"HTTP/1.1 200 OK\r\n")
    assert body == b'{"ok":true}'


def test_uvicorn_sends_a_bodyless_response_in_one_write() -> None:
    (write,) = answer_of(b"GET /empty HTTP/1.1\r\nHost: sellergate\r\n\r\n")
    assert write.startswith(b"HTTP/1.1 204 No Content\r\n") and write.endswith(b"\r\n\r\n")


@contextlib.contextmanager
def serving(http: type[asyncio.Protocol] | str) -> Iterator[str]:
    """The test application on a real socket, over the HTTP protocol ``http``."""
    port = free_port()
    config = uvicorn.Config(
        application(), host="127.0.0.1", port=port, log_level="warning", http=http
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "server did not start"
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)


@pytest.fixture
def served() -> Iterator[str]:
    """Over the protocol ``sellergate serve`` uses."""
    with serving(CoalescingHttpToolsProtocol) as url:
        yield url


def test_keep_alive_requests_and_a_streamed_body_arrive_whole_and_in_order(served: str) -> None:
    with httpx.Client(base_url=served, timeout=30) as client:
        for _ in range(20):  # one connection, kept alive
            assert client.get("/small").json() == {"ok": True}
            assert client.get("/empty").status_code == 204
        streamed = client.get("/streamed")
        assert streamed.content == b"chunk 0;chunk 1;chunk 2;chunk 3;chunk 4;" + BIG
        assert client.get("/small").json() == {"ok": True}


def test_a_streamed_chunk_leaves_in_its_own_turn(served: str) -> None:
    # Each chunk of the stream reaches the client before the next is made: nothing is held
    # waiting for more.
    port = int(served.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"GET /streamed HTTP/1.1\r\nHost: sellergate\r\n\r\n")
        received = b""
        while b"chunk 0;" not in received:
            received += sock.recv(65536)
        assert b"chunk 4;" not in received
        assert received.startswith(b"HTTP/1.1 200 OK\r\n")


def test_a_connection_close_request_gets_its_whole_answer_then_the_close(served: str) -> None:
    port = int(served.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"GET /small HTTP/1.1\r\nHost: sellergate\r\nConnection: close\r\n\r\n")
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    assert received.startswith(b"HTTP/1.1 200 OK\r\n")
    assert received.endswith(b'\r\n\r\n{"ok":true}')


def exchange(url: str, steps: list[bytes]) -> bytes:
    """Send each step once everything before it was answered as far as it goes (a step waits
    for the bytes sent so far to have an answer's head), then read until the server closes."""
    port = int(url.rsplit(":", 1)[1])
    received = b""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        for index, step in enumerate(steps):
            sock.sendall(step)
            if index < len(steps) - 1:
                while received.count(b"\r\n\r\n") <= index:
                    received += sock.recv(65536)
        while chunk := sock.recv(65536):
            received += chunk
    return re.sub(rb"date: [^\r]*\r\n", b"", received)


EXCHANGES = {
    "pipelined": [
        b"GET /small HTTP/1.1\r\nHost: sellergate\r\n\r\n"
        b"GET /empty HTTP/1.1\r\nHost: sellergate\r\n\r\n"
        b"GET /streamed HTTP/1.1\r\nHost: sellergate\r\n\r\n"
        b"POST /small HTTP/1.1\r\nHost: sellergate\r\nContent-Length: 2\r\n"
        b"Connection: close\r\n\r\n{}"
    ],
    # The interim answer is not held back: the body is sent only once it came.
    "expect-continue": [
        b"POST /small HTTP/1.1\r\nHost: sellergate\r\nExpect: 100-continue\r\n"
        b"Content-Length: 2\r\nConnection: close\r\n\r\n",
        b"{}",
    ],
    "malformed": [b"GET /small HTTP/1.1\r\nHost: sellergate\r\nBad Header\r\n\r\n"],
    "head": [b"HEAD /small HTTP/1.1\r\nHost: sellergate\r\nConnection: close\r\n\r\n"],
}


@pytest.mark.parametrize("name", EXCHANGES)
def test_the_bytes_on_the_wire_are_uvicorns_own(name: str) -> None:
    # The same exchange with uvicorn's own httptools protocol and with ours: the same bytes
    # (their Date headers aside); only how many writes carried them differs.
    with serving("httptools") as stock, serving(CoalescingHttpToolsProtocol) as ours:
        expected = exchange(stock, EXCHANGES[name])
        assert exchange(ours, EXCHANGES[name]) == expected
    assert expected.startswith(b"HTTP/1.1 ")
    if name == "expect-continue":
        assert expected.startswith(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK")
    if name == "pipelined":
        assert expected.count(b"HTTP/1.1 200 OK") == 3 and BIG in expected
