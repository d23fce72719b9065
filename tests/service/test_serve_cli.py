"""`profitpool serve` on a fresh machine, and `profitpool keys`."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from click.testing import CliRunner
from servicehelpers import Service

from profitpool.cli import main


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _serve(cwd: Path, port: int, command: tuple[str, ...] = ("serve",)
           ) -> tuple[subprocess.Popen[str], list[str]]:
    """Start `profitpool serve` (or COMMAND) with no arguments but the port; its lines up
    to 'serving on'."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROFITPOOL_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "profitpool", *command, "--port", str(port)], cwd=cwd, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert process.stdout is not None
    lines: list[str] = []
    while not lines or not lines[-1].startswith("serving on"):
        line = process.stdout.readline()
        assert line, f"serve ended early: {lines}"
        lines.append(line.strip())
    deadline = time.monotonic() + 30
    while True:
        try:
            httpx.get(f"http://127.0.0.1:{port}/v1/pool", timeout=1)
            return process, lines
        except httpx.TransportError:
            assert time.monotonic() < deadline
            time.sleep(0.05)


def _stop(process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGINT)
    try:
        assert process.wait(30) == 0
    finally:
        assert process.stdout is not None
        process.stdout.close()


def test_serve_on_a_fresh_machine_creates_the_log_and_prints_an_admin_key_once(
        tmp_path: Path) -> None:
    port = _free_port()
    process, lines = _serve(tmp_path, port)
    try:
        [admin_line] = [line for line in lines if line.startswith("admin key")]
        admin_key = admin_line.rsplit(" ", 1)[1]
        assert any(line.startswith("public key: ") for line in lines)
        assert f"explorer http://127.0.0.1:{port}/ " in lines[-2]
        assert lines[-1] == (f"serving on http://127.0.0.1:{port}/v1  "
                             f"(API docs: http://127.0.0.1:{port}/docs)")
        assert (tmp_path / "profitpool.db").exists()
        assert (tmp_path / "profitpool.key").stat().st_mode & 0o777 == 0o600
        base = f"http://127.0.0.1:{port}"
        keys = httpx.get(f"{base}/v1/keys", headers={"Authorization": f"Bearer {admin_key}"})
        assert keys.status_code == 200 and [k["role"] for k in keys.json()] == ["admin"]
        assert admin_key not in keys.text  # only its id and hash are kept
        assert httpx.get(f"{base}/docs").status_code == 200
        assert "/v1/orders" in httpx.get(f"{base}/openapi.json").json()["paths"]
    finally:
        _stop(process)
    process, lines = _serve(tmp_path, port)
    _stop(process)
    assert not any(line.startswith("admin key") for line in lines)


def test_serve_shows_the_pages_and_their_static_files_beside_the_api(tmp_path: Path) -> None:
    port = _free_port()
    process, _lines = _serve(tmp_path, port)
    try:
        base = f"http://127.0.0.1:{port}"
        for path in ("/", "/wallet", "/merchant", "/console"):
            page = httpx.get(base + path)
            assert page.status_code == 200, path
            assert page.headers["content-type"].startswith("text/html"), path
        assert httpx.get(f"{base}/static/site.css").status_code == 200
        assert httpx.get(f"{base}/v1/pool").status_code == 200
    finally:
        _stop(process)


def test_keys_from_the_cli_are_shown_once_listed_by_id_and_revocable(
        sqlite_service: Service) -> None:
    runner = CliRunner()
    created = runner.invoke(main, ["keys", "create", "--db", sqlite_service.db, "--role",
                                   "auditor", "--label", "regulator"], catch_exceptions=False)
    assert created.exit_code == 0, created.output
    key = created.stdout.strip().splitlines()[0]
    auditor = sqlite_service.client(key)
    assert auditor.get("/v1/merchants").status_code == 200
    assert auditor.post("/v1/lenders", json={"id": "b1"}).status_code == 403
    listed = runner.invoke(main, ["keys", "list", "--db", sqlite_service.db])
    assert '"role":"auditor"' in listed.output and key not in listed.output
    key_id = key.split("_")[1]
    revoked = runner.invoke(main, ["keys", "revoke", "--db", sqlite_service.db, key_id])
    assert revoked.exit_code == 0
    time.sleep(1.1)  # the service re-reads a key's record at most a second later
    refused = auditor.get("/v1/merchants")
    assert (refused.status_code, refused.json()["error"]) == (401, "unauthorized")
    missing = runner.invoke(main, ["keys", "create", "--db", sqlite_service.db, "--role",
                                   "merchant"])
    assert missing.exit_code == 1 and "must be bound" in missing.output


def test_demo_serves_its_program_and_each_printed_key_acts_as_its_role(tmp_path: Path) -> None:
    port = _free_port()
    process, lines = _serve(tmp_path, port, ("demo", "--members", "150", "--months", "3"))
    try:
        keys = {line.split(" key: ")[0].strip(): line.split(" key: ")[1]
                for line in lines if " key: pp_" in line}
        base = f"http://127.0.0.1:{port}"

        def get(path: str, role: str) -> httpx.Response:
            return httpx.get(base + path, headers={"Authorization": f"Bearer {keys[role]}"})

        member = get("/v1/members/u00000", "member u00000")
        assert member.status_code == 200 and member.json()["lots"]
        assert get("/v1/orders", "merchant fresh").json()["count"] > 0
        assert get("/v1/lenders/bank/pledges", "lender bank").json()["data"][0]["status"] \
            == "active"
        assert get("/v1/members/u00000", "merchant fresh").status_code == 403
        assert httpx.get(f"{base}/v1/burns").json()["count"] == 2
    finally:
        _stop(process)


def test_serve_refuses_a_tampered_log_in_one_line_before_it_says_it_serves(
        tmp_path: Path) -> None:
    """The log is opened (every restart check run) before `serve` prints "serving on": an
    edited log is one line naming `profitpool verify` and exit status 1, not a traceback
    in the service's JSON logs after it claimed to serve."""
    from sqlalchemy import update

    from profitpool.store.database import connect
    from profitpool.store.schema import entries

    runner = CliRunner()
    db = f"sqlite:///{tmp_path / 'log.db'}"
    key = str(tmp_path / "operator.key")
    assert runner.invoke(main, ["init", "--db", db, "--key", key]).exit_code == 0
    lines = "\n".join(
        f'{{"op": "merchant", "id": "m{i}", "at": "2026-01-0{i}T00:00:00+08:00"}}'
        for i in range(1, 4))
    assert runner.invoke(main, ["apply", "-", "--db", db, "--key", key],
                         input=lines).exit_code == 0
    engine = connect(db)
    try:
        with engine.begin() as connection:
            connection.execute(update(entries).where(entries.c.idx == 0).values(
                data=b'{"command":{"at":"2026-01-01T00:00:00+08:00","id":"mX","op":"merchant"},'
                     b'"effects":[{"industry":"","merchant":"mX","name":"","type":'
                     b'"merchant_registered"}]}'))
    finally:
        engine.dispose()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROFITPOOL_")}
    done = subprocess.run(
        [sys.executable, "-m", "profitpool", "serve", "--db", db, "--key", key, "--port",
         str(_free_port())], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert "serving on" not in done.stdout
    assert "Traceback" not in done.stderr
    [line] = [text for text in done.stderr.splitlines() if text.strip()]
    assert line.startswith("Error: ") and "run `profitpool verify`" in line
