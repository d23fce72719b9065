"""Webhook receivers for the tests: real HTTP servers on 127.0.0.1, each on a free port.

:class:`Receiver` (aiohttp.web) answers each POST with the next status of a
script, then 200, and keeps what it accepted. :class:`RawReceiver` (a plain
asyncio server) does what a well-behaved server will not: hang without
answering, or answer with an endless body, counting the bytes it got out.
Either can be told to turn healthy (``healthy()``) and then accepts everything.
:class:`Listener` only counts the connections made to it (from any process), to
prove that a forbidden address was never connected to.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from aiohttp import web

HUGE_BYTES: Final = 50 * 1024 * 1024


@dataclass(frozen=True)
class Received:
    """One delivery a receiver accepted (answered 2xx)."""

    headers: dict[str, str]
    body: bytes

    @property
    def event_id(self) -> str:
        return self.headers["webhook-id"]


def free_port() -> int:
    """A port nothing listens on (connecting to it is refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Listener:
    """A socket on ``host`` that accepts connections in a thread and counts them."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self._socket = socket.socket(family)
        self._socket.bind((host, 0))
        self._socket.listen(16)
        self._socket.settimeout(0.05)
        self.host = host
        self.port = int(self._socket.getsockname()[1])
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def __enter__(self) -> Listener:
        self._thread.start()
        return self

    def __exit__(self, *_: Any) -> None:
        self._stop.set()
        self._thread.join()
        self._socket.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self._socket.accept()
            except TimeoutError:
                continue
            self.connections += 1
            connection.close()


class Receiver:
    """An aiohttp server: the next status of ``answers`` for each POST, then 200s."""

    def __init__(self, answers: Sequence[int] = (), *,
                 location: str = "https://elsewhere.example/hook") -> None:
        self.answers = list(answers)
        self.location = location
        self.accepted: list[Received] = []
        self.requests = 0
        self.port = 0
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def ids(self) -> list[str]:
        return [received.event_id for received in self.accepted]

    def healthy(self) -> None:
        self.answers.clear()

    async def __aenter__(self) -> Receiver:
        app = web.Application()
        app.router.add_post("/{tail:.*}", self._answer)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        self.port = int(listener.getsockname()[1])
        await web.SockSite(self._runner, listener).start()
        return self

    async def __aexit__(self, *_: Any) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _answer(self, request: web.Request) -> web.Response:
        self.requests += 1
        body = await request.read()
        status = self.answers.pop(0) if self.answers else 200
        if 300 <= status < 400:
            return web.Response(status=status, headers={"Location": self.location})
        if status < 300:
            self.accepted.append(Received(dict(request.headers), body))
        return web.Response(status=status, text=f"answer {status}\x00\n  from the receiver")


class RawReceiver:
    """A plain asyncio server that hangs (``mode="hang"``) or answers ``status``
    with a 50 MB body once (``mode="huge"``), until told to be healthy (``"ok"``);
    ``"once"`` accepts one request per connection, then closes it unannounced."""

    def __init__(self, mode: str, status: int = 200) -> None:
        self.mode = mode
        self.status = status
        self.accepted: list[Received] = []
        self.requests = 0
        self.bytes_sent = 0
        self.port = 0
        self.huge_over = asyncio.Event()
        self.hanging = asyncio.Event()
        self._release = asyncio.Event()
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def ids(self) -> list[str]:
        return [received.event_id for received in self.accepted]

    def healthy(self) -> None:
        self.mode = "ok"

    async def __aenter__(self) -> RawReceiver:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self

    async def __aexit__(self, *_: Any) -> None:
        self._release.set()
        assert self._server is not None
        self._server.close()
        for writer in list(self._writers):
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()
        await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            while True:
                request = await _read_request(reader)
                if request is None:
                    return
                self.requests += 1
                if self.mode == "hang":
                    self.hanging.set()
                    await self._release.wait()
                    return
                if self.mode == "huge":
                    await self._huge(writer)
                    return
                self.accepted.append(Received(*request))
                writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
                await writer.drain()
                if self.mode == "once":
                    return  # closes the connection it offered to keep alive
        except (ConnectionError, asyncio.IncompleteReadError):
            return
        finally:
            self._writers.discard(writer)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _huge(self, writer: asyncio.StreamWriter) -> None:
        """Answer with a 50 MB body, as fast as the client takes it, until it hangs up
        (once: the next requests are answered as a healthy receiver would)."""
        self.mode = "ok"
        writer.write(b"HTTP/1.1 %d X\r\ncontent-length: %d\r\ncontent-type: text/plain\r\n"
                     b"connection: close\r\n\r\n" % (self.status, HUGE_BYTES))
        chunk = b"a huge answer " * 4681
        try:
            while self.bytes_sent < HUGE_BYTES:
                piece = chunk[:HUGE_BYTES - self.bytes_sent]
                writer.write(piece)
                await writer.drain()
                self.bytes_sent += len(piece)
        except ConnectionError:
            pass
        finally:
            self.huge_over.set()


async def _read_request(reader: asyncio.StreamReader) -> tuple[dict[str, str], bytes] | None:
    """The headers (lower-case names) and body of the next request (None: the client left)."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError:
        return None
    lines = head.decode("latin-1").split("\r\n")[1:]
    headers = {}
    for line in lines:
        name, _, value = line.partition(":")
        if name:
            headers[name.strip().lower()] = value.strip()
    body = await reader.readexactly(int(headers.get("content-length", "0")))
    return headers, body
