"""A webhook receiver in a thread (stdlib http.server), for tests that run the service.

It answers 503 while ``down`` is set, else 200, and keeps every delivery it
accepted: the event ids in arrival order, headers and bodies. A real receiver
de-duplicates on ``webhook-id``; :meth:`HookServer.unique` is what it would keep.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class HookServer:
    def __init__(self) -> None:
        self.down = False
        self.accepted: list[tuple[str, dict[str, str], bytes]] = []
        self.refused = 0
        self._lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the http.server convention
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                headers = {name.lower(): value for name, value in self.headers.items()}
                with owner._lock:
                    if owner.down:
                        owner.refused += 1
                        status = 503
                    else:
                        owner.accepted.append((headers.get("webhook-id", ""), headers, body))
                        status = 200
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *_: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def __enter__(self) -> HookServer:
        self._thread.start()
        return self

    def __exit__(self, *_: Any) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(10)

    def ids(self) -> list[str]:
        with self._lock:
            return [event_id for event_id, _, _ in self.accepted]

    def unique(self) -> list[str]:
        """The ids a receiver that de-duplicates keeps, in the order first seen."""
        seen: dict[str, None] = {}
        for event_id in self.ids():
            seen.setdefault(event_id, None)
        return list(seen)
