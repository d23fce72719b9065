"""`profitpool anchor` and `verify --rpc` against a real JSON-RPC endpoint (eth-tester)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner, Result
from eth_account import Account

from profitpool.anchor.chain import Chain
from profitpool.anchor.contract import program_id
from profitpool.anchor.devchain import DevChain
from profitpool.cli import main
from profitpool.store.attestations import AttestationStore
from profitpool.store.database import connect
from profitpool.store.repository import LogStore

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def orders(first: int, count: int, amount: str = "100.00") -> str:
    """Lines of orders u<n> at m1 (after the worked example's time)."""
    return "".join(json.dumps({
        "op": "order", "id": f"x{n}", "merchant": "m1", "member": f"u{n}", "amount": amount,
        "profit": "20.00", "at": f"2026-03-01T10:{n // 60:02d}:{n % 60:02d}+08:00"}) + "\n"
        for n in range(first, first + count))


class Program:
    """One log (SQLite) with its operator key and a funded publisher key."""

    def __init__(self, tmp: Path, name: str, chain: DevChain, key: Path | None = None) -> None:
        self.tmp, self.chain = tmp, chain
        self.url = f"sqlite:///{tmp / name}.db"
        self.key = key or tmp / f"{name}.key"
        self.eth_key = tmp / f"{name}.eth"
        if not self.eth_key.exists():
            hex_key, _ = chain.funded_key()
            self.eth_key.write_text(hex_key)
            self.eth_key.chmod(0o600)

    def cli(self, *args: str, input: str | None = None) -> Result:
        extra = ["--db", self.url]
        if args[0] in ("init", "apply"):
            extra += ["--key", str(self.key)]
        if args[:1] == ("anchor",) and args[1] in ("deploy", "publish"):
            if "--rpc" not in args:
                extra += ["--rpc", self.chain.url]
            if "--eth-key" not in args:
                extra += ["--eth-key", str(self.eth_key)]
        return CliRunner().invoke(main, [*args, *extra], input=input)

    def ok(self, *args: str, input: str | None = None) -> str:
        result = self.cli(*args, input=input)
        assert result.exit_code == 0, result.output
        return result.output

    def store(self) -> LogStore:
        return LogStore(connect(self.url))


@pytest.fixture
def chain() -> Iterator[DevChain]:
    served = DevChain()
    yield served
    served.close()


@pytest.fixture
def program(tmp_path: Path, chain: DevChain) -> Program:
    made = Program(tmp_path, "honest", chain)
    made.ok("init")
    made.ok("apply", str(EXAMPLES / "worked.jsonl"), "--block-size", "2")
    return made


def test_deploy_publish_list_and_verify(program: Program) -> None:
    deployed = program.ok("anchor", "deploy")
    assert "deployed the anchor contract at 0x" in deployed and "registered this log" in deployed
    first = program.ok("anchor", "publish")
    assert "anchored tree size 7 (block 4) as #0 in transaction 0x" in first
    assert "nothing new to anchor" in program.ok("anchor", "publish")
    program.ok("apply", "-", "--block-size", "3", input=orders(0, 8))
    assert "anchored tree size 15 (block 7) as #1" in program.ok("anchor", "publish")
    listed = program.ok("anchor", "list")
    assert listed.count("tx 0x") == 2 and "#1 tree size 15 block 7" in listed
    verified = program.ok("verify", "--rpc", program.chain.url)
    assert "OK: the log extends all 2 anchors on chain" in verified
    assert "OK: 7 blocks, 15 entries" in verified
    quick = program.ok("verify", "--rpc", program.chain.url, "--no-replay")
    assert "extends all 2 anchors" in quick and "entries" not in quick
    # the records match the chain's own
    store = program.store()
    records = AttestationStore(store.engine).anchors()
    chain = Chain.connect(program.chain.url)
    on_chain = chain.anchors(chain.contract(records[0].contract),
                             program_id(store.meta()["verifier_key"]), with_transactions=True)
    assert [(r.tree_size, r.root, r.tx_hash) for r in records] == \
        [(a.tree_size, a.root, a.tx_hash) for a in on_chain]
    store.engine.dispose()


def test_a_rewritten_and_re_signed_history_fails_naming_the_anchor(
        program: Program, tmp_path: Path) -> None:
    program.ok("anchor", "deploy")
    program.ok("anchor", "publish")
    program.ok("apply", "-", "--block-size", "3", input=orders(0, 8))
    program.ok("anchor", "publish")
    # The operator rebuilds the log with the same key, one order's amount changed, and
    # signs everything again: on its own, the rewritten log verifies.
    forged = Program(tmp_path, "forged", program.chain, key=program.key)
    shutil.copy(program.eth_key, forged.eth_key)
    forged.ok("init")
    honest = [orjson.loads(data)["command"] for _, data in program.store().iter_entries()]
    honest[11]["amount"] = "900.00"  # order x4, members under the same pseudonyms
    lines = [json.dumps(command) + "\n" for command in honest]
    forged.ok("apply", "-", "--block-size", "2", input="".join(lines[:7]))
    forged.ok("apply", "-", "--block-size", "3", input="".join(lines[7:]))
    assert "OK: 7 blocks, 15 entries" in forged.ok("verify")
    honest_meta = {key: value for key, value in program.store().meta().items()
                   if key.startswith("anchor_")}
    forged.store().set_meta(honest_meta)
    result = forged.cli("verify", "--rpc", program.chain.url)
    assert result.exit_code == 1
    records = AttestationStore(program.store().engine).anchors()
    assert f"ANCHOR MISMATCH: anchor #1 (transaction {records[1].tx_hash}" in result.output
    assert "the history was rewritten after anchor #0" in result.output
    assert "one of entries 7 to 14 (entry 7 at the earliest)" in result.output
    assert "(the 1 anchor before it verified)" in result.output
    # publishing the rewritten history is refused before any transaction, and records nothing
    refused = forged.cli("anchor", "publish")
    assert refused.exit_code == 1
    assert "anchor #1" in refused.output and "this is not the log that was anchored" \
        in refused.output
    # only anchor #0, which the untouched first 7 entries really match, is recorded
    assert [r.number for r in AttestationStore(forged.store().engine).anchors()] == [0]


def test_a_log_cut_back_after_an_anchor_fails(program: Program, tmp_path: Path) -> None:
    program.ok("anchor", "deploy")
    program.ok("apply", "-", "--block-size", "3", input=orders(0, 8))
    program.ok("anchor", "publish")
    shorter = Program(tmp_path, "shorter", program.chain, key=program.key)
    shorter.ok("init")
    shorter.ok("apply", str(EXAMPLES / "worked.jsonl"), "--block-size", "2")
    shorter.store().set_meta({key: value for key, value in program.store().meta().items()
                              if key.startswith("anchor_")})
    result = shorter.cli("verify", "--rpc", program.chain.url, "--no-replay")
    assert result.exit_code == 1
    assert "covers 15 entries but this log holds only 7: entries 7 onwards were removed" \
        in result.output


def test_a_crash_after_the_chain_accepted_is_repaired_on_the_next_publish(
        program: Program) -> None:
    program.ok("anchor", "deploy")
    store = program.store()
    chain = Chain.connect(program.chain.url)
    contract = chain.contract(store.meta()["anchor_contract"])
    block = store.last_block()
    account = Account.from_key(program.eth_key.read_text())
    # published, then "crashed" before the record was written
    chain.publish(contract, account, program_id(store.meta()["verifier_key"]),
                  block.header.tree_size, block.header.root, block.header.height)
    assert AttestationStore(store.engine).anchors() == []
    assert "nothing new to anchor" in program.ok("anchor", "publish")
    (record,) = AttestationStore(store.engine).anchors()
    assert record.tree_size == block.header.tree_size and record.gas_used > 0


def test_bad_chains_keys_and_contracts_are_one_clear_line(program: Program) -> None:
    down = program.cli("anchor", "deploy", "--rpc", "http://127.0.0.1:9")
    assert down.exit_code == 1 and "cannot reach the chain at http://127.0.0.1:9" in down.output
    assert "Traceback" not in down.output
    wrong = program.cli("anchor", "deploy", "--chain-id", "1")
    assert wrong.exit_code == 1 and "not the expected 1" in wrong.output
    not_url = program.cli("anchor", "deploy", "--rpc", "ws://x")
    assert not_url.exit_code == 1 and "must be an http(s) URL" in not_url.output
    program.eth_key.chmod(0o644)
    assert "can be read by others" in program.cli("anchor", "deploy").output
    program.eth_key.write_text("not a key")
    program.eth_key.chmod(0o600)
    assert "not a 32-byte hex private key" in program.cli("anchor", "deploy").output
    # no contract recorded yet
    program.eth_key.write_text(program.chain.funded_key()[0])
    unset = program.cli("anchor", "publish")
    assert unset.exit_code == 1 and "run `profitpool anchor deploy`" in unset.output
    # an account address is not our contract
    _, address = program.chain.funded_key()
    poor = Program(program.tmp, "honest", program.chain)
    poor.eth_key = program.tmp / "other.eth"
    hex_key, _ = program.chain.funded_key()
    poor.eth_key.write_text(hex_key)
    poor.eth_key.chmod(0o600)
    result = poor.cli("anchor", "deploy", "--contract", address)
    assert result.exit_code == 1 and f"there is no contract at {address}" in result.output
    assert AttestationStore(program.store().engine).anchors() == []
    assert "anchor_contract" not in program.store().meta()


def test_an_empty_purse_and_a_foreign_publisher_record_nothing(program: Program,
                                                              tmp_path: Path) -> None:
    program.ok("anchor", "deploy")
    broke = tmp_path / "broke.eth"
    broke.write_text("0x" + bytes(Account.create().key).hex())
    broke.chmod(0o600)
    result = program.cli("anchor", "publish", "--rpc", program.chain.url, "--eth-key",
                         str(broke))
    assert result.exit_code == 1 and "cannot pay for the gas" in result.output
    stranger = tmp_path / "stranger.eth"
    stranger.write_text(program.chain.funded_key()[0])
    stranger.chmod(0o600)
    result = program.cli("anchor", "publish", "--rpc", program.chain.url, "--eth-key",
                         str(stranger))
    assert result.exit_code == 1 and "not the program's publisher" in result.output
    assert AttestationStore(program.store().engine).anchors() == []
    # and the honest publisher still can
    assert "as #0" in program.ok("anchor", "publish")
