"""The service asks its witnesses to cosign each new checkpoint, serves their cosignatures,
and `verify` holds a log to k of n of them."""

from __future__ import annotations

import sys
from pathlib import Path

from click.testing import CliRunner
from witnesshelpers import RunningWitness, fixed_cosigner

from profitpool.chain.cosign import count_cosignatures
from profitpool.cli import main
from profitpool.log.setup import initialise
from profitpool.store.database import connect
from profitpool.store.repository import LogStore

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "service"))
from servicehelpers import Service, wait_for  # noqa: E402


def test_cosignatures_are_collected_served_and_required_by_verify(tmp_path: Path) -> None:
    db, key = f"sqlite:///{tmp_path / 'log.db'}", tmp_path / "operator.key"
    initialise(db, key, None)
    engine = connect(db)
    verifier_key = LogStore(engine).meta()["verifier_key"]
    engine.dispose()
    first, second, third = (fixed_cosigner(f"witness.example/w{n}") for n in (1, 2, 3))
    witnesses = [RunningWitness(cosigner, [verifier_key], tmp_path / f"w{n}.db").start()
                 for n, cosigner in enumerate((first, second), 1)]
    service = Service(db, key, options={
        "witnesses": [f"{w.url} {w.cosigner.verifier.key_string()}" for w in witnesses],
        "anchor_poll_seconds": 0.05, "anchor_max_backoff_seconds": 0.2}).setup()
    try:
        shop = service.merchant("m1")
        for number in range(5):
            placed = shop.post("/v1/orders", json={"id": f"o{number}", "member": "u1",
                                                   "amount": "100.00", "profit": "20.00"})
            assert placed.status_code == 201
        public = service.client()
        newest = int(public.get("/v1/blocks", params={"limit": 1}).json()["data"][0]
                     ["tree_size"])
        listed = wait_for(lambda: (body := public.get("/v1/witnesses").json())
                           and all(w["cosigned_tree_size"] == newest for w in body["data"])
                           and body)
        assert {w["name"] for w in listed["data"]} == {"witness.example/w1",
                                                       "witness.example/w2"}
        note = public.get("/v1/checkpoint/cosigned").text
        assert note.split("\n")[1] == str(newest)
        assert count_cosignatures(note, [first.verifier, second.verifier]) == {
            "witness.example/w1", "witness.example/w2"}
        # each witness recorded what it cosigned: the service's checkpoint, nothing else
        for witness in witnesses:
            assert witness.stored(service_origin(verifier_key))[0] == newest
        # a witness that goes away: orders go on, the failure is reported, not fatal
        witnesses[1].stop()
        assert shop.post("/v1/orders", json={"id": "late", "member": "u2", "amount": "10.00",
                                             "profit": "1.00"}).status_code == 201
        status = wait_for(lambda: (body := public.get("/v1/witnesses").json())["status"][
            "failures"] >= 1 and body)
        assert "witness.example/w2" in status["status"]["last_error"]
    finally:
        service.stop()
        for witness in witnesses:
            witness.stop()
    runner = CliRunner()
    keys = [arg for cosigner in (first, second) for arg in
            ("--witness-key", cosigner.verifier.key_string())]
    both = runner.invoke(main, ["verify", "--db", db, *keys])
    assert both.exit_code == 0, both.output
    assert "cosigned by 2 of 2 trusted witnesses" in both.output
    three = runner.invoke(main, ["verify", "--db", db, *keys, "--witness-key",
                                 third.verifier.key_string()])
    assert three.exit_code == 1 and "2 are required" not in three.output
    assert "carries 2 valid cosignature(s)" in three.output and "3 are required" in three.output
    two_of_three = runner.invoke(main, ["verify", "--db", db, *keys, "--witness-key",
                                        third.verifier.key_string(), "--min-witnesses", "2"])
    assert two_of_three.exit_code == 0, two_of_three.output
    bad = runner.invoke(main, ["verify", "--db", db, "--witness-key", "nonsense"])
    assert bad.exit_code == 1 and "is not a witness vkey" in bad.output


def service_origin(verifier_key: str) -> str:
    return verifier_key.split("+", 1)[0]


def test_serve_refuses_a_malformed_witness_in_one_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["serve", "--db", f"sqlite:///{tmp_path / 'x.db'}",
                                       "--key", str(tmp_path / "k"), "--witness", "nonsense"])
    assert result.exit_code == 1 and "a witness is 'URL VKEY'" in result.output
