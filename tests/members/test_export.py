"""A member's export: made from the log with `members export`, checked offline with
`verify-member`, and refused with a one-line reason whatever part of it is changed."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from profitpool.cli import main
from profitpool.disclosure.export import verify_export
from profitpool.log.datakey import DataKey, data_key_path
from profitpool.members.directory import OPERATOR, Directory
from profitpool.members.profiles import put_profile
from profitpool.store.database import connect

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def february() -> list[str]:
    """More orders of u1 (and of u2, another member) in February, and a withdrawal."""
    lines = [{"op": "order", "id": f"f{n}", "merchant": "m1", "member": "u1" if n % 2 else "u2",
              "amount": f"{100 + n}.00", "profit": "30.00",
              "at": f"2026-02-1{n}T10:00:00+08:00"} for n in range(1, 6)]
    lines.append({"op": "withdraw", "id": "fw1", "member": "u1", "points": "1",
                  "at": "2026-02-21T10:00:00+08:00"})
    return [json.dumps(line) for line in lines]


class Log:
    """One test's SQLite log, its operator key and data key, driven through the CLI."""

    def __init__(self, tmp: Path) -> None:
        self.url = f"sqlite:///{tmp / 'log.db'}"
        self.key = tmp / "op.key"

    def cli(self, *args: str, input: str | None = None) -> Result:
        extra = ["--db", self.url]
        if "--key" not in args and (args[0] in ("init", "apply") or args[:2] in (
                ("report", "month"), ("members", "export"))):
            extra += ["--key", str(self.key)]
        return CliRunner().invoke(main, [*args, *extra], input=input)

    def ok(self, *args: str, input: str | None = None) -> str:
        result = self.cli(*args, input=input)
        assert result.exit_code == 0, result.output
        return result.output

    def public_key(self) -> str:
        return next(line.split(": ", 1)[1] for line in self.ok("init").splitlines()
                    if line.startswith("public key"))

    def with_directory(self, use: Callable[[Directory], Any]) -> Any:
        engine = connect(self.url)
        try:
            return use(Directory(engine, DataKey.load(data_key_path(self.key))))
        finally:
            engine.dispose()

    def pseudonym(self, member_id: str) -> str:
        found = self.with_directory(lambda directory: directory.pseudonym_of(OPERATOR,
                                                                             member_id))
        assert found is not None
        return str(found)


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> tuple[Log, str, bytes]:
    """A log with u1's orders, withdrawal and January proof of liabilities; u1's export."""
    tmp = tmp_path_factory.mktemp("log")
    log = Log(tmp)
    public_key = log.public_key()
    worked = (EXAMPLES / "worked.jsonl").read_text().splitlines()
    log.ok("apply", "-", input="\n".join(worked + february()) + "\n")
    log.ok("report", "month", "2026-01", "--out", str(tmp / "jan"))
    log.with_directory(lambda directory: put_profile(
        directory, log.pseudonym("u1"), {"name": "王小明", "phone": "13800000000"}))
    out = tmp / "u1.json"
    log.ok("members", "export", "u1", "-o", str(out))
    return log, public_key, out.read_bytes()


def verify(tmp: Path, document: Any, *args: str) -> Result:
    """`verify-member` on ``document``, written to a folder that holds nothing else."""
    path = tmp / "export.json"
    path.write_text(json.dumps(document, ensure_ascii=False, indent=1), encoding="utf-8")
    return CliRunner().invoke(main, ["verify-member", str(path), *args])


def test_the_export_verifies_offline_with_the_published_key(
        made: tuple[Log, str, bytes], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log, public_key, data = made
    monkeypatch.chdir(tmp_path)  # a folder with no database nor key
    Path("u1.json").write_bytes(data)
    result = CliRunner().invoke(main, ["verify-member", "u1.json", "--public-key", public_key])
    assert result.exit_code == 0, result.output
    pseudonym = log.pseudonym("u1")
    assert result.output.startswith(f"OK: {pseudonym}: 6 entries in the log ")
    assert "profile fields: name, phone" in result.output
    assert "proof of liabilities 2026-01: " in result.output
    assert "note:" not in result.output


def test_the_export_holds_the_link_profile_entries_and_proof(
        made: tuple[Log, str, bytes]) -> None:
    log, _, data = made
    document = json.loads(data)
    pseudonym = log.pseudonym("u1")
    assert document["format"] == "profitpool-member-export/1"
    assert document["member"] == {"pseudonym": pseudonym,
                                  "links": [{"scope": "", "id": "u1"}],
                                  "profile": {"name": "王小明", "phone": "13800000000"}}
    commands = [json.loads(item["entry"])["command"] for item in document["entries"]]
    assert [command["id"] for command in commands] == ["o1", "w1", "f1", "f3", "f5", "fw1"]
    [proof] = document["proofs_of_liabilities"]
    assert proof["period"] == "2026-01" and proof["proof"]["party"] == f"member:{pseudonym}"


def test_the_export_names_no_other_member(made: tuple[Log, str, bytes]) -> None:
    log, _, data = made
    text = data.decode()
    assert log.pseudonym("u1") in text
    assert log.pseudonym("u2") not in text
    assert '"u2"' not in text


def test_verify_export_sums_up_what_the_file_holds(made: tuple[Log, str, bytes]) -> None:
    log, public_key, data = made
    summary = verify_export(json.loads(data), public_key)
    assert summary.pseudonym == log.pseudonym("u1") and summary.key_trusted
    assert summary.links == [("", "u1")] and summary.entries == 6
    assert summary.profile_fields == ["name", "phone"]
    assert list(summary.holdings_fen) == ["2026-01"] and summary.holdings_fen["2026-01"] > 0
    assert not verify_export(json.loads(data)).key_trusted


def test_without_a_trusted_key_the_file_s_key_is_used_and_said(
        made: tuple[Log, str, bytes], tmp_path: Path) -> None:
    result = verify(tmp_path, json.loads(made[2]))
    assert result.exit_code == 0, result.output
    assert "note: checked with the key written in the file" in result.output


def _entry(document: dict[str, Any]) -> None:
    item = document["entries"][1]
    item["entry"] = item["entry"].replace('"points":"10.0000"', '"points":"1.0000"')
    assert '"points":"1.0000"' in item["entry"]


def _proof(document: dict[str, Any]) -> None:
    path = document["entries"][0]["proof"]
    path[0] = ("0" if path[0][0] != "0" else "1") + path[0][1:]


def _pol(document: dict[str, Any]) -> None:
    part = document["proofs_of_liabilities"][0]["proof"]["parts"][0]
    part["value_fen"] = str(int(part["value_fen"]) + 100)


def _checkpoint(document: dict[str, Any]) -> None:
    origin, size, rest = document["checkpoint"].split("\n", 2)
    document["checkpoint"] = f"{origin}\n{int(size) + 1}\n{rest}"


def _link(document: dict[str, Any]) -> None:
    document["member"]["links"][0]["id"] = "u2"


def _profile(document: dict[str, Any]) -> None:
    document["member"]["profile"]["phone"] = "13900000000"


def _signature(document: dict[str, Any]) -> None:
    raw = bytearray(base64.b64decode(document["signature"]))
    raw[0] ^= 1
    document["signature"] = base64.b64encode(bytes(raw)).decode()


@pytest.mark.parametrize(("tamper", "reason"), [
    (_entry, "FAILED: entry {w1} is not in the checkpoint's tree of size"),
    (_proof, "FAILED: entry {o1} is not in the checkpoint's tree of size"),
    (_pol, "FAILED: the proof of liabilities of 2026-01 does not verify: "),
    (_checkpoint, "FAILED: the checkpoint does not verify: invalid signature for key "),
    (_link, "FAILED: the operator's signature does not match the export"),
    (_profile, "FAILED: the operator's signature does not match the export"),
    (_signature, "FAILED: the operator's signature does not match the export"),
], ids=["entry", "proof", "pol", "checkpoint", "link", "profile", "signature"])
def test_a_tampered_export_fails_with_one_line_saying_what(
        made: tuple[Log, str, bytes], tmp_path: Path,
        tamper: Callable[[dict[str, Any]], None], reason: str) -> None:
    log, public_key, data = made
    document = json.loads(data)
    indexes = {json.loads(item["entry"])["command"]["id"]: item["index"]
               for item in document["entries"]}
    tamper(document)
    result = verify(tmp_path, document, "--public-key", public_key)
    assert result.exit_code == 1
    assert result.output.startswith(reason.format(**indexes)), result.output
    assert result.output.count("\n") == 1 and "Traceback" not in result.output


def test_another_log_s_key_is_refused(made: tuple[Log, str, bytes], tmp_path: Path) -> None:
    other = Log(tmp_path)
    result = verify(tmp_path, json.loads(made[2]), "--public-key", other.public_key())
    assert result.exit_code == 1
    assert result.output.startswith("FAILED: the export is of the log with key ")


def test_a_file_that_is_not_an_export_fails(tmp_path: Path) -> None:
    (tmp_path / "x.json").write_text("{\"a\": 1, \"a\": 2}")
    result = CliRunner().invoke(main, ["verify-member", str(tmp_path / "x.json")])
    assert result.exit_code == 1 and result.output.startswith("FAILED: the file is not JSON")
    result = verify(tmp_path, {"format": "something else"})
    assert result.exit_code == 1
    assert result.output == ("FAILED: the export's format is 'something else', expected "
                             "'profitpool-member-export/1'\n")


def test_only_the_log_s_own_key_exports(made: tuple[Log, str, bytes],
                                        tmp_path: Path) -> None:
    log = made[0]
    other = Log(tmp_path)
    other.public_key()
    result = log.cli("members", "export", "u1", "--key", str(other.key),
                     "--data-key", str(data_key_path(log.key)))
    assert result.exit_code == 1
    assert result.output.startswith("Error: the signing key ")
    assert result.output.count("\n") == 1


@pytest.mark.parametrize("member_id", ["nobody", "p-" + "0" * 32])
def test_an_unknown_member_is_one_line_and_non_zero(made: tuple[Log, str, bytes],
                                                    member_id: str) -> None:
    log = made[0]
    result = log.cli("members", "export", member_id)
    assert result.exit_code == 1
    assert result.output == f"Error: no member {member_id!r} in this log\n"


def test_the_export_goes_to_standard_output_and_names_the_member_by_pseudonym_too(
        made: tuple[Log, str, bytes]) -> None:
    log, _, data = made
    by_pseudonym = json.loads(log.ok("members", "export", log.pseudonym("u1")))
    by_id = json.loads(data)
    for document in (by_pseudonym, by_id):
        del document["signature"], document["exported_at"]
    assert by_pseudonym == by_id
