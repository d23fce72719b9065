"""`profitpool payouts …` on a SQLite log: account, destinations, a run and its file, an
import read twice, status; and each refusal one line, exit 1, nothing written."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from click.testing import Result
from pyiso20022.pain.pain_001_001_09 import Document as Pain001
from xsdata.formats.dataclass.parsers import XmlParser

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "members"))  # test_export.Log
from test_export import Log  # noqa: E402
from test_payouts_service import camt054  # noqa: E402

START = [
    {"op": "merchant", "id": "m1", "name": "鲜果铺", "at": "2026-03-10T09:00:00+08:00"},
    {"op": "order", "id": "o1", "merchant": "m1", "member": "13800138000", "amount": "100.00",
     "profit": "20.00", "at": "2026-03-10T09:00:00+08:00"},
    {"op": "order", "id": "o2", "merchant": "m1", "member": "u2", "amount": "200.00",
     "profit": "50.00", "at": "2026-03-10T09:00:00+08:00"},
    {"op": "withdraw", "id": "w1", "member": "13800138000", "points": "all",
     "at": "2026-03-10T10:00:00+08:00"},
    {"op": "pay", "id": "p1", "member": "u2", "merchant": "m1", "points": "5",
     "at": "2026-03-10T10:00:00+08:00"},
]


def lines(commands: list[dict[str, str]]) -> str:
    return "".join(json.dumps(command) + "\n" for command in commands)


def payouts(log: Log, *args: str) -> Result:
    return log.cli("payouts", *args, "--key", str(log.key)) if args[0] not in (
        "account",) else log.cli("payouts", *args)


def test_the_operator_pays_out_and_reads_the_bank_back_from_the_command_line(
        tmp_path: Path) -> None:
    log = Log(tmp_path)
    log.ok("init")
    log.ok("apply", "-", input=lines(START))
    before = log.ok("verify")

    refused = payouts(log, "run", "-o", str(tmp_path / "run.xml"))
    assert refused.exit_code == 1 and "set the custody account first" in refused.output
    assert not (tmp_path / "run.xml").exists()
    assert log.ok("verify").split(",")[:2] == before.split(",")[:2]  # nothing logged

    log.ok("payouts", "account", "--holder", "某某科技有限公司", "--account",
           "110000123456789", "--cnaps", "102100099996")
    shop = payouts(log, "destinations", "add", "merchant:m1", "--account", "11000012345678",
                   "--name", "鲜果铺", "--bank-code", "ICBKCNBJ")
    assert shop.exit_code == 0, shop.output
    member = payouts(log, "destinations", "add", "member:13800138000", "--account",
                     "6222021001123456789", "--name", "王小明")
    destination = member.output.strip()
    listed = json.loads(payouts(log, "destinations", "list").output)
    assert {row["party"] for row in listed} == {"merchant:m1",
                                                f"member:{log.pseudonym('13800138000')}"}
    assert "6222021001123456789" not in json.dumps(listed)
    bad = payouts(log, "destinations", "add", "merchant:m1", "--account", "6222021001123456788",
                  "--name", "x")
    assert bad.exit_code == 1 and "check digit" in bad.output
    assert len(json.loads(payouts(log, "destinations", "list").output)) == 2

    # nobody is verified yet: a run sends nothing and writes no file
    nothing = payouts(log, "run", "-o", str(tmp_path / "run.xml"))
    assert nothing.exit_code == 0 and "nothing to send" in nothing.output
    assert "2 parties owed 7.43 CNY with no verified destination" in nothing.output
    assert not (tmp_path / "run.xml").exists()

    payouts(log, "destinations", "verify", destination)
    run = payouts(log, "run", "--minimum", "1.00", "--execution-date", "2026-03-12",
                  "-o", str(tmp_path / "run.xml"))
    assert run.exit_code == 0, run.output
    assert "1 payout, 5.60 CNY" in run.output and "left out: 1 party owed 1.83 CNY" in run.output
    document = XmlParser().from_bytes((tmp_path / "run.xml").read_bytes(), Pain001)
    [payment] = document.cstmr_cdt_trf_initn.pmt_inf
    [transfer] = payment.cdt_trf_tx_inf
    assert (transfer.cdtr.nm, str(transfer.amt.instd_amt.value)) == ("王小明", "5.60")
    payout = transfer.pmt_id.end_to_end_id
    assert oct((tmp_path / "run.xml").stat().st_mode)[-3:] == "600"
    again = payouts(log, "file", payout.split(".")[0], "-o", str(tmp_path / "again.xml"))
    assert again.exit_code == 0
    assert (tmp_path / "again.xml").read_bytes() == (tmp_path / "run.xml").read_bytes()

    # the bank returns it; read twice, it changes nothing the second time
    notification = tmp_path / "n.xml"
    notification.write_text(camt054(payout, "5.60", "ICBC-9", returned=True,
                                    account="110000123456789"))
    first = payouts(log, "import", str(notification), "--json")
    assert json.loads(first.output)["returned"] == 1, first.output
    second = json.loads(payouts(log, "import", str(notification), "--json").output)
    assert second["already_imported"] is True
    status = json.loads(log.ok("payouts", "status", "--key", str(log.key)))
    assert [item["payout"] for item in status["returned_not_resent"]] == [payout]
    assert status["owed"] == "7.43" and status["in_flight"] == "0.00"
    # a statement of another account: one line, exit 1, nothing read
    other = tmp_path / "other.xml"
    other.write_text(camt054(payout, "5.60", "X", account="999999999"))
    refused = payouts(log, "import", str(other))
    assert refused.exit_code == 1 and "not the custody account" in refused.output
    assert json.loads(log.ok("payouts", "status", "--key", str(log.key))) == status
    assert log.ok("verify").startswith("OK: ")
