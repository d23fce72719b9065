"""A real running service for tests: uvicorn on a free loopback port, in a thread.

The service's clock is a :class:`FakeClock` the test moves, so settlements,
the daily cap and the monthly burn can be tested without waiting.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from databases import BACKENDS, fresh_database
from profitpool.log.setup import initialise
from profitpool.service import Settings
from profitpool.store.apikeys import KeyStore
from profitpool.store.database import connect
from profitpool.times import parse_time
from profitpool.web import create_app
from servers import ThreadServer

START = "2026-03-10T10:00:00+08:00"


class FakeClock:
    """Epoch microseconds that move only when told to."""

    def __init__(self, at: str = START) -> None:
        self.now = parse_time(at)

    def __call__(self) -> int:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += int(seconds * 1_000_000)

    def set(self, at: str) -> None:
        self.now = parse_time(at)


@dataclass
class Service:
    """One test's service: its database, key, clock and admin key."""

    db: str
    key_path: Path
    clock: FakeClock = field(default_factory=FakeClock)
    options: dict[str, Any] = field(default_factory=dict)
    admin_key: str = ""
    url: str = ""
    _server: ThreadServer | None = None
    _clients: list[httpx.Client] = field(default_factory=list)

    def setup(self) -> Service:
        initialise(self.db, self.key_path, None)
        engine = connect(self.db)
        try:
            self.admin_key, _ = KeyStore(engine).create("admin", label="tests")
        finally:
            engine.dispose()
        return self.start()

    def settings(self) -> Settings:
        options = {"rate": 0.0, "auto_burn": False, "disclose": False, "webhooks": False,
                   **self.options}
        return Settings(db=self.db, key=self.key_path, **options)

    def start(self) -> Service:
        self._server = ThreadServer(create_app(self.settings(), clock=self.clock),
                                    lifespan="on", what="service")
        self.url = self._server.url
        return self

    def stop(self) -> None:
        for client in self._clients:
            client.close()
        self._clients.clear()
        if self._server is not None:
            self._server.stop()
            self._server = None

    def restart(self) -> Service:
        self.stop()
        return self.start()

    def client(self, key: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        client = httpx.Client(base_url=self.url, headers=headers, timeout=30)
        self._clients.append(client)
        return client

    def page_client(self) -> httpx.Client:
        """A client that sends the pages' forms as a browser does from this site: with its
        ``Origin`` (the pages refuse a form that has neither Origin nor Referer)."""
        client = self.client()
        client.headers["Origin"] = self.url
        return client

    def signed_in(self, area: str, key: str) -> httpx.Client:
        """A page client signed in to ``area`` (``/wallet``, ``/merchant``, ``/console``)."""
        client = self.page_client()
        answer = client.post(f"{area}/login", data={"key": key})
        assert answer.status_code == 303 and answer.headers["location"] == area, answer.text
        return client

    def admin(self) -> httpx.Client:
        return self.client(self.admin_key)

    def new_key(self, role: str, party: str | None = None) -> str:
        response = self.admin().post("/v1/keys", json={"role": role, "party": party})
        assert response.status_code == 201, response.text
        return str(response.json()["key"])

    def merchant(self, merchant_id: str, **fields: str) -> httpx.Client:
        """Register a merchant; a client with its key."""
        response = self.admin().post("/v1/merchants", json={"id": merchant_id, **fields})
        assert response.status_code == 201, response.text
        return self.client(self.new_key("merchant", merchant_id))

    def member(self, member_id: str) -> httpx.Client:
        return self.client(self.new_key("member", member_id))


def wait_for(predicate: Any, seconds: float = 30.0) -> Any:
    """Poll ``predicate`` until it returns something truthy (which is returned)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = predicate()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError(f"timed out after {seconds} s")


# The fixtures every folder that runs the service imports into its conftest.py.


@pytest.fixture(params=BACKENDS)
def service(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Service]:
    """A real running service on SQLite and on PostgreSQL (skipped without a server)."""
    with fresh_database(request.param, tmp_path) as url:
        running = Service(url, tmp_path / "operator.key").setup()
        try:
            yield running
        finally:
            running.stop()


@pytest.fixture
def sqlite_service(tmp_path: Path) -> Iterator[Service]:
    """The service on SQLite only (for tests whose subject is not the backend)."""
    running = Service(f"sqlite:///{tmp_path / 'log.db'}", tmp_path / "operator.key").setup()
    try:
        yield running
    finally:
        running.stop()
