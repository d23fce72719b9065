"""`profitpool members erase`: the member's `erase` entry first, then the links and data go;
refused while they hold points; the log still verifies; the id is a new member after."""

from __future__ import annotations

import json
from pathlib import Path

from test_export import Log

from profitpool.members.profiles import put_profile


def lines(*commands: dict[str, str]) -> str:
    return "\n".join(json.dumps(command) for command in commands) + "\n"


MERCHANT = {"op": "merchant", "id": "m1", "at": "2026-01-01T09:00:00+08:00"}


def order(order_id: str, member: str, at: str) -> dict[str, str]:
    return {"op": "order", "id": order_id, "merchant": "m1", "member": member,
            "amount": "100.00", "profit": "20.00", "at": at}


def test_erase_is_refused_with_points_then_erases_and_the_log_verifies(tmp_path: Path) -> None:
    log = Log(tmp_path)
    log.ok("init")
    log.ok("apply", "-", input=lines(MERCHANT, order("o1", "13800138000",
                                                     "2026-01-02T10:00:00+08:00"),
                                     order("o2", "u2", "2026-01-02T11:00:00+08:00")))
    gone = log.pseudonym("13800138000")
    log.with_directory(lambda directory: put_profile(directory, gone, {"name": "王小明"}))

    refused = log.cli("members", "erase", "13800138000", "--key", str(log.key))
    assert refused.exit_code == 1
    assert "cannot_erase" in refused.output and "points" in refused.output
    missing = log.cli("members", "erase", "nobody", "--key", str(log.key))
    assert missing.exit_code == 1 and "no member 'nobody'" in missing.output

    log.ok("apply", "-", input=lines({"op": "withdraw", "id": "w1", "member": "13800138000",
                                      "points": "all", "at": "2026-01-03T10:00:00+08:00"}))
    owed = log.cli("members", "erase", "13800138000", "--key", str(log.key))
    assert owed.exit_code == 1 and "4.80 CNY owed to them" in owed.output
    # paid out through the bank first (docs/rules.md section 10): a payout names the member
    # by the operator's id, which the writer maps to the pseudonym as it does for orders
    log.ok("apply", "-", input=lines(
        {"op": "payout", "id": "po1", "party": "member:13800138000", "amount": "4.80",
         "destination": "dst_1", "at": "2026-01-03T10:30:00+08:00"},
        {"op": "payout_settled", "payout": "po1", "reference": "B1",
         "at": "2026-01-03T11:00:00+08:00"}))
    erased = log.ok("members", "erase", "13800138000", "--key", str(log.key),
                    "--at", "2026-01-03T12:00:00+08:00")
    # its link and its profile:
    assert erased.startswith(f"erased {gone}: 2 link and data rows deleted")
    assert log.with_directory(lambda directory: directory.every_id(gone)) == []
    entry = json.loads(log.ok("log", "show", "--entry", "6"))
    assert entry["entry"]["command"] == {"at": entry["entry"]["command"]["at"], "op": "erase",
                                         "member": gone}
    assert log.ok("verify").startswith("OK: ")
    again = log.ok("members", "erase", gone, "--key", str(log.key),
                   "--at", "2026-01-03T13:00:00+08:00")
    assert "erased already" in again or again.startswith(f"erased {gone}: 0 link")

    # The same id later is a new member; the erased pseudonym takes no order.
    log.ok("apply", "-", input=lines(order("o3", "13800138000", "2026-01-04T10:00:00+08:00")))
    assert log.pseudonym("13800138000") != gone
    refused_order = log.cli("apply", "-", input=lines(order("o4", gone,
                                                           "2026-01-05T10:00:00+08:00")))
    assert "1 rejected" in refused_order.output and "unknown_member" in refused_order.output
