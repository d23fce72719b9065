"""The program's secrets are made only when something that succeeds needs them, and the
same one wins when two processes make it at once."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, select

from databases import BACKENDS, fresh_database
from profitpool.cli import main
from profitpool.log.setup import initialise
from profitpool.store.database import connect
from profitpool.store.schema import log_meta, program_secrets
from profitpool.store.secrets import (
    DATA_DEK,
    DATA_KEY_CHECK,
    POL_SECRET,
    PSEUDONYM_KEY,
    SecretStore,
)

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "service"))
from servicehelpers import Service  # noqa: E402

PUBLIC_META = {"origin", "verifier_key", "format", "genesis_rules"}


def secrets_in(engine: Engine) -> tuple[dict[str, str], set[str]]:
    """(program_secrets by name, every log_meta key that is not a public one)."""
    with engine.connect() as connection:
        made = {row.name: row.value for row in connection.execute(select(program_secrets))}
        meta = {row.key for row in connection.execute(select(log_meta))}
    return made, meta - PUBLIC_META


def test_refused_disclosures_and_lookups_leave_no_secret_anywhere(tmp_path: Path) -> None:
    service = Service(f"sqlite:///{tmp_path / 'log.db'}", tmp_path / "op.key").setup()
    engine = connect(service.db)
    try:
        shop = service.merchant("m1")
        assert shop.post("/v1/orders", json={"id": "o1", "member": "u1", "amount": "100.00",
                                             "profit": "20.00"}).status_code == 201
        admin, public = service.admin(), service.client()
        for period, says in (("2099-01", "has not ended yet"),
                             ("2026-03", "has not ended yet"),  # the service's month
                             ("2020-01", "had not started")):
            refused = admin.post(f"/v1/disclosures/{period}")
            assert (refused.status_code, refused.json()["error"]) == (400, "invalid_period")
            assert says in refused.json()["message"]
        cli = CliRunner().invoke(main, ["report", "month", "2099-01", "--db", service.db,
                                        "--no-publish"])
        assert cli.exit_code == 1, cli.output
        lookup = public.get("/member", params={"p": "0123456789abcdef0123"})
        assert lookup.status_code == 404
        # The first member's link made the data key's check (a hash of the key, not the
        # key) and the data encryption key (stored only wrapped by the key file's).
        made, meta = secrets_in(engine)
        assert set(made) == {DATA_KEY_CHECK, DATA_DEK} and meta == set()
        # The wallet shows the member their pseudonym, the log's own: no key is needed
        # for it, none is made (the keyed hash is only for logs written before pseudonyms).
        wallet = service.signed_in("/wallet", service.new_key("member", "u1"))
        page = wallet.get("/wallet", params={"lang": "en"}).text
        made, meta = secrets_in(engine)
        assert set(made) == {DATA_KEY_CHECK, DATA_DEK} and meta == set()
        pseudonym = admin.get("/v1/members/u1").json()["member"]
        assert pseudonym in page
        assert public.get("/member", params={"p": pseudonym}).status_code == 200
        # A month that is over is reported: the PoL secret is made for it.
        service.clock.advance(40 * 86_400)
        assert admin.post("/v1/disclosures/2026-03").status_code == 201
        made, meta = secrets_in(engine)
        assert set(made) == {DATA_KEY_CHECK, DATA_DEK, POL_SECRET} and meta == set()
    finally:
        engine.dispose()
        service.stop()


@pytest.mark.parametrize("backend", BACKENDS)
def test_two_processes_making_a_secret_at_once_get_the_same_one(
        backend: str, tmp_path: Path) -> None:
    with fresh_database(backend, tmp_path) as url:
        initialise(url, tmp_path / "op.key", None)
        engines = [connect(url) for _ in range(8)]
        try:
            start = threading.Barrier(len(engines))
            got: list[bytes] = []

            def make(engine: Engine) -> None:
                start.wait()
                got.append(SecretStore(engine).get_or_create(POL_SECRET))

            threads = [threading.Thread(target=make, args=(engine,)) for engine in engines]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            assert len(got) == len(engines) and len(set(got)) == 1 and len(got[0]) == 32
            assert SecretStore(engines[0]).get(POL_SECRET) == got[0]
            assert SecretStore(engines[0]).get(PSEUDONYM_KEY) is None
        finally:
            for engine in engines:
                engine.dispose()
