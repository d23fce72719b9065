"""`profitpool export-public`: a copy of a service's log that anyone may have, that `verify`
checks, and that holds none of the operator's or the program's secrets."""

from __future__ import annotations

import base64
import os
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from servicehelpers import Service
from sqlalchemy import Engine, func, insert, select, text

from profitpool.cli import main
from profitpool.store.database import connect
from profitpool.store.public import LEFT_OUT, ONLY, PROGRAM_PARTIES, PUBLIC_META, PUBLIC_TABLES
from profitpool.store.schema import (
    api_keys,
    entries,
    entry_parties,
    idempotency,
    log_meta,
    metadata,
    pol_members,
    program_secrets,
    sessions,
    webhook_endpoints,
)

RECEIVER = "https://93.184.216.34/hook"  # a public address; nothing is sent to it


def build(service: Service) -> dict[str, str]:
    """A program with what a copy must leave out: keys, an idempotent answer, a webhook
    with its secret, the program's secrets, a month's proof of liabilities, a session.
    Returns the keys and the webhook secret made over the API."""
    admin = service.admin()
    m1 = service.merchant("m1")
    assert admin.post("/v1/lenders", json={"id": "b1"}).status_code == 201
    for number in range(3):
        assert m1.post("/v1/orders", json={"id": f"o{number}", "member": f"u{number}",
                                           "amount": "100.00", "profit": "20.00"}
                       ).status_code == 201
    member_key = service.new_key("member", "u1")
    withdrawn = service.client(member_key).post(
        "/v1/members/u1/withdrawals", json={"points": "1"}, headers={"Idempotency-Key": "w1"})
    assert withdrawn.status_code == 201, withdrawn.text
    hook = admin.post("/v1/webhooks", json={"url": RECEIVER})
    assert hook.status_code == 201, hook.text
    service.clock.advance(40 * 86_400)
    assert admin.post("/v1/disclosures/2026-03").status_code == 201
    wallet = service.client()
    wallet.cookies.set("pp_member_key", member_key)
    assert wallet.get("/wallet").status_code == 200
    engine = connect(service.db)
    try:
        with engine.begin() as connection:
            connection.execute(insert(log_meta).values(  # as the events process writes
                key="events.status", value='{"webhooks": {"last_error": "10.0.0.7"}}'))
            connection.execute(insert(sessions).values(
                id_hash=os.urandom(32), key_id=None, role="admin", party=None,
                area="/console", created_us=1, last_seen_us=1, expires_us=2,
                revoked_us=None, user_agent="test"))
    finally:
        engine.dispose()
    return {"admin key": service.admin_key, "member key": member_key,
            "webhook secret": hook.json()["secret"]}


def secrets_of(engine: Engine, made: dict[str, str]) -> dict[str, bytes]:
    """Every secret byte string the source holds, by a name for the failure message."""
    found = {name: value.encode() for name, value in made.items()}
    found["webhook key"] = base64.b64decode(made["webhook secret"].removeprefix("whsec_"))
    with engine.connect() as connection:
        for row in connection.execute(select(program_secrets)):
            found[f"program secret {row.name} (hex)"] = row.value.encode()
            found[f"program secret {row.name}"] = bytes.fromhex(row.value)
        for row in connection.execute(select(api_keys)):
            found[f"key hash {row.key_id}"] = bytes(row.secret_hash)
            found[f"key hash {row.key_id} (hex)"] = bytes(row.secret_hash).hex().encode()
        for row in connection.execute(select(webhook_endpoints)):
            found[f"stored secret of {row.id}"] = row.secret.encode()
        for row in connection.execute(select(sessions)):
            found["session id hash"] = bytes(row.id_hash)
        for row in connection.execute(select(pol_members)):
            found[f"PoL salt of {row.member}"] = bytes(row.salt)
        for row in connection.execute(select(idempotency)):
            found[f"idempotent request {row.key}"] = bytes(row.request_hash)
    assert any(name.startswith("program secret pol_secret") for name in found)
    assert any(name.startswith("PoL salt") for name in found)
    return found


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def test_a_public_copy_verifies_and_holds_no_secret(service: Service, tmp_path: Path) -> None:
    made = build(service)
    public_key = service.client().get("/v1/public-key").json()["verifier_key"]
    out = tmp_path / "public.db"
    exit_code, output = run("export-public", "--db", service.db, str(out))
    assert exit_code == 0, output
    assert output.startswith(f"wrote {out}: ") and "1 monthly report" in output
    exit_code, output = run("verify", "--db", f"sqlite:///{out}", "--public-key", public_key)
    assert exit_code == 0, output
    assert output.startswith("OK: ")
    # One file: no -wal beside it, no partial copy left behind.
    assert [name for name in os.listdir(tmp_path) if "public.db" in name] == ["public.db"]

    source = connect(service.db)
    try:
        secrets = secrets_of(source, made)
        with source.connect() as connection:
            source_rows = {table.name: connection.execute(
                select(func.count()).select_from(table)).scalar_one()
                for table in PUBLIC_TABLES if table.name not in ONLY}
            program_rows = connection.execute(select(func.count()).select_from(
                entry_parties).where(entry_parties.c.party.in_(PROGRAM_PARTIES))).scalar_one()
    finally:
        source.dispose()
    content = out.read_bytes()
    leaked = [name for name, secret in secrets.items() if secret in content]
    assert leaked == []

    copy = connect(f"sqlite:///{out}")
    try:
        with copy.connect() as connection:
            meta = {row[0] for row in connection.execute(text("SELECT key FROM log_meta"))}
            assert meta <= set(PUBLIC_META) and {"origin", "verifier_key"} <= meta
            assert b"10.0.0.7" not in content
            for name in LEFT_OUT:
                assert connection.execute(text(f"SELECT count(*) FROM {name}")).scalar_one() \
                    == 0, name
            for name, count in source_rows.items():
                assert connection.execute(text(f"SELECT count(*) FROM {name}")
                                          ).scalar_one() == count, name
            parties = [row[0] for row in connection.execute(
                text("SELECT party FROM entry_parties"))]
            assert set(parties) <= set(PROGRAM_PARTIES) and len(parties) == program_rows
            report = connection.execute(text(
                "SELECT report FROM disclosures WHERE period = '2026-03'")).scalar_one()
    finally:
        copy.dispose()
    # The month's report is checked against its entry from the copy alone.
    (tmp_path / "report.json").write_bytes(report)
    exit_code, output = run("report", "verify", "2026-03", str(tmp_path / "report.json"),
                            "--db", f"sqlite:///{out}")
    assert exit_code == 0 and output.startswith("OK: the report is the one recorded"), output


def test_a_copy_made_while_the_service_writes_is_a_whole_log(sqlite_service: Service,
                                                             tmp_path: Path) -> None:
    """Each copy is one snapshot: whole blocks, tiles as they stood, nothing beyond."""
    m1 = sqlite_service.merchant("m1")
    stop = threading.Event()

    def write() -> None:
        number = 0
        while not stop.is_set():
            m1.post("/v1/orders:batch", json={"orders": [
                {"id": f"o{number}-{n}", "member": f"u{n % 50}", "amount": "10.00",
                 "profit": "1.00"} for n in range(50)]})
            number += 1

    writer = threading.Thread(target=write)
    writer.start()
    try:
        time.sleep(0.5)
        copies = []
        for number in range(3):
            out = tmp_path / f"copy{number}.db"
            exit_code, output = run("export-public", "--db", sqlite_service.db, str(out))
            assert exit_code == 0, output
            copies.append(out)
    finally:
        stop.set()
        writer.join()
    for out in copies:
        exit_code, output = run("verify", "--db", f"sqlite:///{out}")
        assert exit_code == 0, output


def test_an_existing_file_or_a_missing_folder_is_refused_and_left_alone(
        sqlite_service: Service, tmp_path: Path) -> None:
    out = tmp_path / "taken.db"
    out.write_bytes(b"someone else's file")
    exit_code, output = run("export-public", "--db", sqlite_service.db, str(out))
    assert exit_code == 1 and "exists already" in output
    assert len(output.strip().splitlines()) == 1
    assert out.read_bytes() == b"someone else's file"
    missing = tmp_path / "nowhere" / "copy.db"
    exit_code, output = run("export-public", "--db", sqlite_service.db, str(missing))
    assert exit_code == 1 and "does not exist" in output
    assert not missing.parent.exists()
    assert [name for name in os.listdir(tmp_path) if "taken.db" in name] == ["taken.db"]


def test_every_table_is_either_in_a_public_copy_or_left_out_for_a_reason() -> None:
    public = {table.name for table in PUBLIC_TABLES}
    assert public.isdisjoint(LEFT_OUT)
    assert set(metadata.tables) == public | set(LEFT_OUT)
    assert all(LEFT_OUT.values())


def test_the_command_says_what_a_copy_holds() -> None:
    exit_code, output = run("export-public", "--help")
    assert exit_code == 0 and "no program secret" in output and "verify" in output


def test_the_auditor_and_the_explorer_download_one_copy(sqlite_service: Service,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Both downloads serve the same cached copy (web/public_copy.py): asking for it from
    both pages, twice, makes one copy, and the copy holds the whole log."""
    import profitpool.web.public_copy as module

    made: list[Path] = []
    real = module.export_public

    def counting(engine: Engine, out: Path) -> object:
        made.append(out)
        return real(engine, out)

    monkeypatch.setattr(module, "export_public", counting)
    m1 = sqlite_service.merchant("m1")
    assert m1.post("/v1/orders", json={"id": "o1", "member": "u1", "amount": "100.00",
                                       "profit": "20.00"}).status_code == 201
    auditor = sqlite_service.signed_in("/auditor", sqlite_service.new_key("auditor"))
    public = sqlite_service.client()
    downloads = [auditor.get("/auditor/public-copy"), public.get("/public-copy.db"),
                 auditor.get("/auditor/public-copy"), public.get("/public-copy.db")]
    assert [answer.status_code for answer in downloads] == [200] * 4
    assert len({answer.content for answer in downloads}) == 1 and len(made) == 1
    size = int(public.get("/checkpoint").text.split("\n")[1])
    engine = connect(f"sqlite:///{made[0]}")
    try:
        with engine.connect() as connection:
            held = connection.execute(select(func.count()).select_from(entries)).scalar()
    finally:
        engine.dispose()
    assert held == size
