"""An ASGI app served by uvicorn on a free loopback port, in a thread (any test folder)."""

from __future__ import annotations

import threading
import time
from typing import Any

import uvicorn


class ThreadServer:
    """``app`` served on 127.0.0.1 in a daemon thread until :meth:`stop`."""

    def __init__(self, app: Any, *, lifespan: str, what: str) -> None:
        config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning",
                                lifespan=lifespan, loop="asyncio", access_log=False)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 60
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the {what} did not start")
            time.sleep(0.01)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(60)
