"""``serve --read-db``: the log's reads from a PostgreSQL streaming replica.

The replica is a real hot standby of the test server: a second PostgreSQL cluster on this
machine (``pg_createcluster``, ``pg_basebackup``, streaming replication) on a free port,
made once for this module and dropped when it ends, whether its tests passed or not.
Without ``PROFITPOOL_TEST_POSTGRES``, the PostgreSQL tools, a server on this machine or
root (to run them as the ``postgres`` user), these tests are skipped, saying which.
"""

from __future__ import annotations

import base64
import os
import shutil
import socket
import sqlite3
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest
from click.testing import CliRunner
from servicehelpers import Service, wait_for

from databases import POSTGRES_ENV, fresh_database, postgres_url
from profitpool.chain.merkle import verify_inclusion
from profitpool.cli import main
from profitpool.log.reader import LogReader
from profitpool.log.setup import initialise
from profitpool.service.readmodel import ReadModel
from profitpool.service.reads import LogReads
from profitpool.store.apikeys import KeyStore
from profitpool.store.database import READS_APPLICATION, connect
from profitpool.store.repository import LogStore

HBA_MARK = "# profitpool tests: the streaming replica's line (removed when they end)"


def on_port(url: str, port: int) -> str:
    """``url`` with its host's port replaced by ``port`` (the standby beside the primary)."""
    parts = urlsplit(url)
    netloc = parts.netloc.rsplit(":", 1)[0] if parts.port is not None else parts.netloc
    return urlunsplit(parts._replace(netloc=f"{netloc}:{port}"))


def _free_port() -> int:
    for port in range(5433, 5533):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    pytest.skip("no free port in 5433-5532 for the standby cluster")


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)


def _must(*command: str) -> None:
    done = _run(*command)
    assert done.returncode == 0, f"{' '.join(command)}: {done.stderr or done.stdout}"


@dataclass
class Standby:
    """The hot standby: its port, and the primary it follows."""

    primary: str
    port: int
    cluster: tuple[int, str]
    """(PostgreSQL's major version, the cluster's name), for pg_ctlcluster."""

    def url(self, primary_url: str) -> str:
        """The standby's URL of what ``primary_url`` names (the same database and schema)."""
        return on_port(primary_url, self.port)

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        import psycopg

        with psycopg.connect(self.url(self.primary), autocommit=True) as connection:
            return list(connection.execute(sql))  # type: ignore[arg-type]

    def caught_up(self) -> None:
        """Return once the standby has replayed everything the primary has written."""
        import psycopg

        with psycopg.connect(self.primary, autocommit=True) as connection:
            [(lsn,)] = connection.execute("SELECT pg_current_wal_lsn()::text")
        wait_for(lambda: self.query(
            f"SELECT pg_last_wal_replay_lsn() >= '{lsn}'::pg_lsn")[0][0], 60)

    def pause(self) -> None:
        self.query("SELECT pg_wal_replay_pause()")
        wait_for(lambda: self.query("SELECT pg_get_wal_replay_pause_state()")[0][0]
                 == "paused", 60)

    def resume(self) -> None:
        self.query("SELECT pg_wal_replay_resume()")

    def sessions(self) -> list[str]:
        """The application names of the client sessions on the standby, but this one."""
        return [name for (name,) in self.query(
            "SELECT application_name FROM pg_stat_activity WHERE backend_type = "
            "'client backend' AND pid <> pg_backend_pid()")]


def _hba_allows_replication(connection: Any) -> bool:
    rows = connection.execute(
        "SELECT database, address, auth_method FROM pg_hba_file_rules "
        "WHERE type = 'host' AND error IS NULL").fetchall()
    return any("replication" in (database or []) and address in ("127.0.0.1", "0.0.0.0")
               and method == "trust" for database, address, method in rows)


@pytest.fixture(scope="module")
def standby(request: pytest.FixtureRequest) -> Iterator[Standby]:
    """A hot standby of the test server, on this machine, streaming from it; dropped (and
    the server's pg_hba.conf put back as it was) when the module's tests end."""
    primary = postgres_url()
    if primary is None:
        pytest.skip(f"{POSTGRES_ENV} is not set: the replica tests need a PostgreSQL server")
    parts = urlsplit(primary)
    if parts.hostname not in ("127.0.0.1", "localhost"):
        pytest.skip(f"{POSTGRES_ENV} names a server on {parts.hostname}: the standby is "
                    "made on this machine, beside a server running here")
    if os.geteuid() != 0 or shutil.which("runuser") is None:
        pytest.skip("making the standby needs root (PostgreSQL's tools run as the postgres "
                    "user through runuser)")
    import psycopg

    with psycopg.connect(primary, autocommit=True) as connection:
        major = int(connection.execute("SHOW server_version_num").fetchone()[0]) // 10_000
        hba_file = Path(connection.execute("SHOW hba_file").fetchone()[0])
        wal_level = connection.execute("SHOW wal_level").fetchone()[0]
        senders = int(connection.execute("SHOW max_wal_senders").fetchone()[0])
        allowed = _hba_allows_replication(connection)
    tools = {name: shutil.which(name) for name in ("pg_createcluster", "pg_ctlcluster",
                                                    "pg_dropcluster")}
    basebackup = Path(f"/usr/lib/postgresql/{major}/bin/pg_basebackup")
    if None in tools.values() or not basebackup.exists():
        pytest.skip("the standby needs PostgreSQL's cluster tools (pg_createcluster, "
                    f"pg_ctlcluster, pg_dropcluster, {basebackup}): not installed")
    if wal_level not in ("replica", "logical") or senders < 2:
        pytest.skip(f"the server cannot stream to a standby (wal_level={wal_level}, "
                    f"max_wal_senders={senders}); changing either needs a restart")
    if not allowed:
        if not os.access(hba_file, os.W_OK):
            pytest.skip(f"{hba_file} allows no replication connection and cannot be "
                        "changed here")
        before = hba_file.read_text()

        def restore_hba() -> None:
            hba_file.write_text(before)
            with psycopg.connect(primary, autocommit=True) as connection:
                connection.execute("SELECT pg_reload_conf()")

        request.addfinalizer(restore_hba)
        hba_file.write_text(f"{before.rstrip()}\n{HBA_MARK}\n"
                            "host replication all 127.0.0.1/32 trust\n")
        with psycopg.connect(primary, autocommit=True) as connection:
            connection.execute("SELECT pg_reload_conf()")
            assert _hba_allows_replication(connection)

    name, port = f"pptest_replica_{os.getpid()}", _free_port()
    data = Path(f"/var/lib/postgresql/{major}/{name}")
    _must("pg_createcluster", str(major), name, "-p", str(port), "-d", str(data))
    request.addfinalizer(lambda: _drop_cluster(major, name))
    for path in data.iterdir():  # pg_basebackup fills it (empty, kept: postgres owns it)
        shutil.rmtree(path) if path.is_dir() else path.unlink()
    _must("runuser", "-u", "postgres", "--", str(basebackup), "-h", parts.hostname or "",
          "-p", str(parts.port or 5432), "-U", parts.username or "postgres", "-D", str(data),
          "-X", "stream", "-R", "-c", "fast")
    # The standby answers its clients as the primary does (the same pg_hba rules).
    shutil.copyfile(hba_file, Path(f"/etc/postgresql/{major}/{name}/pg_hba.conf"))
    _must("pg_ctlcluster", "--skip-systemctl-redirect", str(major), name, "start")
    made = Standby(primary, port, (major, name))
    try:
        wait_for(lambda: _answers(made), 60)
    except AssertionError:
        made.query("SELECT 1")  # raises the reason it does not answer
    assert made.query("SELECT pg_is_in_recovery()") == [(True,)]
    yield made


def _answers(standby: Standby) -> bool:
    try:
        standby.query("SELECT 1")
    except Exception:  # noqa: BLE001 - not up yet
        return False
    return True


def _drop_cluster(major: int, name: str) -> None:
    done = _run("pg_dropcluster", "--stop", str(major), name)
    if done.returncode != 0:  # stopped already, or half made: stop hard, then drop
        _run("pg_ctlcluster", "--skip-systemctl-redirect", str(major), name, "stop", "-m",
             "immediate")
        done = _run("pg_dropcluster", str(major), name)
    assert done.returncode == 0, f"the standby {name} was not dropped: {done.stderr}"


@pytest.fixture
def replicated(standby: Standby, tmp_path: Path) -> Iterator[Service]:
    """A running service whose log is on the test server and whose reads go to the standby."""
    with fresh_database("postgresql", tmp_path) as url:
        running = Service(url, tmp_path / "operator.key",
                          options={"read_db": standby.url(url)})
        initialise(running.db, running.key_path, None)
        engine = connect(running.db)
        try:
            running.admin_key, _ = KeyStore(engine).create("admin", label="tests")
        finally:
            engine.dispose()
        standby.caught_up()  # the schema and the log's first rows are there
        running.start()
        try:
            yield running
        finally:
            running.stop()


def _orders(service: Service, merchant: httpx.Client, first: int, count: int) -> None:
    for number in range(first, first + count):
        answer = merchant.post("/v1/orders", json={
            "id": f"o{number}", "member": f"u{number % 3}", "amount": f"{100 + number}.00",
            "profit": "20.00"})
        assert answer.status_code == 201, answer.text
        service.clock.advance(60)


def _pool(service: Service) -> dict[str, Any]:
    return service.client().get("/v1/pool").json()  # type: ignore[no-any-return]


def _served(service: Service, paths: list[str]) -> dict[str, tuple[int, str, bytes]]:
    client = service.client()
    answers = {}
    for path in paths:
        answer = client.get(path)
        answers[path] = (answer.status_code, answer.headers.get("content-type", ""),
                         answer.content)
    return answers


def test_pages_and_proofs_read_from_the_replica_are_the_primary_s(
        replicated: Service, standby: Standby) -> None:
    service = replicated
    merchant = service.merchant("m1")
    _orders(service, merchant, 0, 7)
    assert service.admin().patch("/v1/rules", json={"min_hold_days": 3}).status_code == 201
    pool = _pool(service)
    size, height = pool["tree_size"], pool["block"]
    member = service.admin().get("/v1/members/u1").json()["member"]
    standby.caught_up()
    paths = [
        "/v1/blocks", "/v1/blocks?limit=3", "/v1/entries", "/v1/entries?start=3&limit=4",
        "/v1/rules/history", "/v1/pool/history", "/v1/burns",
        *(f"/v1/blocks/{h}" for h in range(1, height + 1)),
        *(f"/v1/entries/{i}" for i in range(size)),
        *(f"/v1/proofs/inclusion?index={i}&size={size}" for i in range(size)),
        "/v1/proofs/inclusion?index=2",
        *(f"/v1/proofs/consistency?from={old}&to={size}" for old in range(1, size + 1)),
        f"/tile/0/000.p/{size}", f"/tile/entries/000.p/{size}",
        "/", "/block/1", f"/block/{height}", "/entry/0", f"/entry/{size - 1}", "/rules",
        "/disclosures", f"/member?p={member}", f"/v1/entries/{size}", f"/block/{height + 1}",
    ]
    from_replica = _served(service, paths)
    # The reads went to the standby, through the service's read-only engine alone.
    assert standby.sessions() and set(standby.sessions()) == {READS_APPLICATION}
    service.options.pop("read_db")
    service.restart()
    from_primary = _served(service, paths)
    for path in paths:
        assert from_replica[path] == from_primary[path], path
    assert from_replica["/v1/entries/0"][0] == 200
    assert from_replica[f"/v1/entries/{size}"][0] == 404


def test_a_lagging_replica_never_hides_what_the_writer_stored(
        replicated: Service, standby: Standby) -> None:
    service = replicated
    merchant = service.merchant("m1")
    _orders(service, merchant, 0, 3)
    before = _pool(service)
    standby.caught_up()
    standby.pause()
    try:
        # The writer goes on while the standby replays nothing: it never waits on it.
        _orders(service, merchant, 3, 3)
        now = _pool(service)  # the writer's own state, from memory
        assert now["tree_size"] == before["tree_size"] + 3
        client = service.client()
        # Lists and histories are the replica's: as the last replayed block left them.
        assert client.get("/v1/blocks").json()["data"][0]["height"] == before["block"]
        assert client.get(f"/v1/entries?start={before['tree_size']}").json()["count"] == 0
        # What the writer stored and the replica does not hold yet is read from the
        # primary: the newest block, entry, proof and tiles are there, as stored.
        primary = connect(service.db)
        try:
            stored = LogReader(LogStore(primary))
            newest = stored.block_json(now["block"])
            assert client.get(f"/v1/blocks/{now['block']}").json() == newest
            last = now["tree_size"] - 1
            assert client.get(f"/v1/entries/{last}").json() == stored.entry_json(last)
            proof = client.get(f"/v1/proofs/inclusion?index={last}").json()
            assert proof["tree_size"] == now["tree_size"] and proof["root"] == newest["root"]
            assert verify_inclusion(
                bytes.fromhex(proof["leaf_hash"]), last, now["tree_size"],
                [bytes.fromhex(node) for node in proof["proof"]], bytes.fromhex(newest["root"]))
            bundle = client.get(f"/tile/entries/000.p/{now['tree_size']}")
            assert bundle.status_code == 200
            tile = client.get(f"/tile/0/000.p/{now['tree_size']}")
            assert tile.content == LogStore(primary).tile(0, 0)
        finally:
            primary.dispose()
        page = client.get(f"/entry/{last}")
        assert page.status_code == 200
        assert base64.b64encode(stored_entry(service, last)).decode() in page.text
        # Asking for more than the writer stored is not sent to the primary: not found.
        assert client.get(f"/v1/entries/{last + 1}").status_code == 404
        assert client.get(f"/v1/blocks/{now['block'] + 1}").status_code == 404
    finally:
        standby.resume()
    standby.caught_up()
    assert service.client().get("/v1/blocks").json()["data"][0]["height"] == now["block"]
    # The writer never connected to the standby: every session there is the reads'.
    assert set(standby.sessions()) == {READS_APPLICATION}


def stored_entry(service: Service, index: int) -> bytes:
    engine = connect(service.db)
    try:
        data = LogStore(engine).entry(index)
    finally:
        engine.dispose()
    assert data is not None
    return data


def test_serve_refuses_a_read_db_that_is_not_a_replica_of_the_log(tmp_path: Path) -> None:
    with fresh_database("postgresql", tmp_path) as url, \
            fresh_database("postgresql", tmp_path) as other:
        key, other_key = tmp_path / "operator.key", tmp_path / "other.key"
        env = {"PROFITPOOL_WEBHOOKS": "false", "PROFITPOOL_DISCLOSE": "false"}
        empty = CliRunner().invoke(main, ["serve", "--db", url, "--key", str(key),
                                          "--read-db", other], env=env)
        assert empty.exit_code == 1
        assert "this database holds no profitpool log" in empty.output
        initialise(other, other_key, "another.example/log")
        another = CliRunner().invoke(main, ["serve", "--db", url, "--key", str(key),
                                            "--read-db", other], env=env)
        assert another.exit_code == 1
        assert "--read-db holds another log than --db (its origin is " in another.output
    sqlite = CliRunner().invoke(main, ["serve", "--read-db", f"sqlite:///{tmp_path}/x.db"],
                                env={"PROFITPOOL_DB": f"sqlite:///{tmp_path}/log.db"})
    assert sqlite.exit_code == 1 and "PROFITPOOL_READ_DB" in sqlite.output


# Without a server: which store a read goes to, on two SQLite files, one a copy of the
# other made some blocks earlier (a replica that lags).


@pytest.fixture
def lagging(sqlite_service: Service, tmp_path: Path) -> Iterator[tuple[LogReads, int, int]]:
    """(reads over a copy made three orders ago, its tree size, the writer's tree size)."""
    service = sqlite_service
    merchant = service.merchant("m1")
    _orders(service, merchant, 0, 3)
    held = _pool(service)["tree_size"]
    copy = tmp_path / "copy.db"
    source = sqlite3.connect(service.db.removeprefix("sqlite:///"))
    with sqlite3.connect(copy) as target:
        source.backup(target)
    source.close()
    _orders(service, merchant, 3, 3)
    pool = _pool(service)
    head = ReadModel().head._replace(tree_size=pool["tree_size"], height=pool["block"])
    replica, primary = connect(f"sqlite:///{copy}"), connect(service.db)
    try:
        yield LogReads(LogStore(replica), LogStore(primary), lambda: head), held, \
            pool["tree_size"]
    finally:
        replica.dispose()
        primary.dispose()


def test_a_read_goes_to_the_primary_only_for_what_the_replica_lacks_and_the_writer_has(
        lagging: tuple[LogReads, int, int]) -> None:
    reads, held, written = lagging
    at: Callable[..., Any] = reads.holding
    assert at(tree_size=held)[0] is reads.store
    assert at(tree_size=held + 1)[0] is reads.primary
    assert at(tree_size=written)[0] is reads.primary
    assert at(tree_size=written + 1)[0] is reads.store  # nobody has it: the replica says so
    assert reads.store.entry(written - 1) is None
    assert at(tree_size=written)[1].entry_json(written - 1)["index"] == written - 1
    last_held = reads.store.last_block()
    assert last_held is not None
    assert at(height=last_held.header.height)[0] is reads.store
    assert at(height=last_held.header.height + 1)[0] is reads.primary


def test_a_replica_that_does_not_answer_stops_only_the_reads_sent_to_it(
        replicated: Service, standby: Standby) -> None:
    service = replicated
    merchant = service.merchant("m1")
    _orders(service, merchant, 0, 2)
    standby.caught_up()
    client = service.client()
    assert client.get("/v1/blocks").status_code == 200
    major, name = standby.cluster
    _must("pg_ctlcluster", "--skip-systemctl-redirect", str(major), name, "stop", "-m", "fast")
    try:
        down = client.get("/v1/blocks")
        assert (down.status_code, down.json()["error"]) == (503, "unavailable")
        assert "read replica" in down.json()["message"] and "retry-after" in down.headers
        # The writer and what is read from memory go on; the writer's database is not
        # taken for down.
        _orders(service, merchant, 2, 1)
        assert client.get("/v1/pool").status_code == 200
        app: Any = service._server.server.config.app  # type: ignore[union-attr]
        assert app.state.read_health.down and not app.state.health.down
    finally:
        _must("pg_ctlcluster", "--skip-systemctl-redirect", str(major), name, "start")
    wait_for(lambda: _answers(standby), 60)
    standby.caught_up()
    assert wait_for(lambda: client.get("/v1/blocks").status_code == 200, 60)
    assert not app.state.read_health.down
