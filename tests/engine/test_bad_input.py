"""Bad input: each gets its code, a human message, and leaves the state untouched."""

from __future__ import annotations

import pytest

from profitpool.engine import parse_command
from profitpool.errors import CODES, Rejected
from programs import Program

AT = "2026-01-01T10:00:00+08:00"


def order(**fields: object) -> dict[str, object]:
    base: dict[str, object] = {
        "op": "order", "id": "o1", "merchant": "m1", "member": "u1", "amount": "100.00",
        "profit": "20.00", "at": AT,
    }
    base.update(fields)
    return {key: value for key, value in base.items() if value is not ...}


@pytest.mark.parametrize(
    ("obj", "code"),
    [
        ([1, 2], "invalid_command"),
        ("order", "invalid_command"),
        ({"id": "o1"}, "invalid_command"),
        ({"op": "mint", "at": AT}, "unknown_op"),
        ({"op": 7, "at": AT}, "unknown_op"),
        (order(at=...), "invalid_command"),
        (order(amount=...), "invalid_command"),
        (order(colour="red"), "invalid_command"),
        (order(at="2026-01-01T10:00:00"), "invalid_time"),
        (order(at="yesterday"), "invalid_time"),
        (order(at=1767232800), "invalid_time"),
        (order(id=""), "invalid_id"),
        (order(id="has space"), "invalid_id"),
        (order(id="x" * 129), "invalid_id"),
        (order(member=42), "invalid_id"),
        (order(merchant=None), "invalid_id"),
        (order(amount=100), "invalid_amount"),
        (order(amount=100.0), "invalid_amount"),
        (order(amount="100.001"), "invalid_amount"),
        (order(amount="1e3"), "invalid_amount"),
        (order(amount="-5.00"), "invalid_amount"),
        (order(amount="0.00"), "invalid_amount"),
        (order(amount="0"), "invalid_amount"),
        (order(amount=" 1.00"), "invalid_amount"),
        (order(amount="NaN"), "invalid_amount"),
        (order(amount="9" * 5000), "invalid_amount"),
        (order(amount="12345678901234567.00"), "invalid_amount"),
        (order(profit="100.01"), "invalid_profit"),
        (order(profit="-1.00"), "invalid_profit"),
        (order(profit=20), "invalid_profit"),
        (order(campaign=""), "invalid_id"),
        ({"op": "withdraw", "id": "w1", "member": "u1", "points": "0", "at": AT},
         "invalid_points"),
        ({"op": "withdraw", "id": "w1", "member": "u1", "points": "1.00001", "at": AT},
         "invalid_points"),
        ({"op": "withdraw", "id": "w1", "member": "u1", "points": 5, "at": AT},
         "invalid_points"),
        ({"op": "withdraw", "id": "w1", "member": "u1", "points": "ALL", "at": AT},
         "invalid_points"),
        ({"op": "pay", "id": "p1", "member": "u1", "merchant": "m1", "points": "-1",
          "at": AT}, "invalid_points"),
        ({"op": "transfer", "id": "t1", "from": "u1", "to": "u1", "points": "1", "at": AT},
         "invalid_command"),
        ({"op": "transfer", "id": "t1", "from": "u1", "to": "u2", "points": "all", "at": AT},
         "invalid_points"),
        ({"op": "pledge", "id": "pl1", "member": "u1", "lender": "b1", "points": "1",
          "loan": "0", "at": AT}, "invalid_amount"),
        ({"op": "withdraw", "id": "w1", "member": "u1", "points": "\u0661", "at": AT},
         "invalid_points"),
        ({"op": "burn", "period": "\u0662\u0660\u0662\u0666-01", "at": AT}, "invalid_period"),
        (order(at="\uff12\uff10\uff12\uff16-01-01T10:00:00+08:00"), "invalid_time"),
        ({"op": "rules", "settle_days": "\u0663", "at": AT}, "invalid_rules"),
        ({"op": "burn", "period": "2026-13", "at": AT}, "invalid_period"),
        ({"op": "burn", "period": "2026-1", "at": AT}, "invalid_period"),
        ({"op": "burn", "period": 202601, "at": AT}, "invalid_period"),
        ({"op": "campaign", "id": "c1", "merchant": None, "multiplier": "0", "start": AT,
          "end": "2026-02-01T00:00:00+08:00", "at": AT}, "invalid_multiplier"),
        ({"op": "campaign", "id": "c1", "merchant": None, "multiplier": "101", "start": AT,
          "end": "2026-02-01T00:00:00+08:00", "at": AT}, "invalid_multiplier"),
        ({"op": "campaign", "id": "c1", "merchant": None, "multiplier": 2, "start": AT,
          "end": "2026-02-01T00:00:00+08:00", "at": AT}, "invalid_multiplier"),
        ({"op": "campaign", "id": "c1", "merchant": None, "multiplier": "2", "start": AT,
          "end": AT, "at": AT}, "invalid_time"),
        ({"op": "merchant", "id": "m1", "name": 5, "at": AT}, "invalid_command"),
        # A lone surrogate: JSON's escapes can spell it, no log entry (UTF-8) can hold it.
        ({"op": "merchant", "id": "m1", "name": "shop \udc00", "at": AT}, "invalid_command"),
        ({"op": "lender", "id": "b1", "name": "\ud800", "at": AT}, "invalid_command"),
        ({"op": "rules", "at": AT}, "invalid_rules"),
        ({"op": "rules", "exit_multiple": "1", "at": AT}, "invalid_rules"),
        ({"op": "rules", "colour": "red", "at": AT}, "invalid_rules"),
        ({"op": "rules", "rules": {"burn_rate": "0.02"}, "burn_rate": "0.01", "at": AT},
         "invalid_rules"),
    ],
)
def test_bad_command_is_rejected_with_its_code(obj: object, code: str) -> None:
    with pytest.raises(Rejected) as raised:
        parse_command(obj)
    assert raised.value.code == code
    assert raised.value.message


@pytest.mark.parametrize(
    ("rule", "value"),
    [
        ("pool_share_of_profit", "1.01"),
        ("withdraw_payout_rate", "-0.1"),
        ("exit_payout_rate", 0.8),
        ("pay_rate", "2"),
        ("burn_rate", "1"),
        ("exit_multiple", "0.5"),
        ("exit_multiple", "1001"),
        ("withdraw_min_gain", "-1"),
        ("min_hold_days", -1),
        ("min_hold_days", 1.5),
        ("min_hold_days", True),
        ("settle_days", "seven"),
        ("daily_withdraw_cap_rate", "0"),
        ("daily_withdraw_cap_rate", "1.5"),
        ("transfers_enabled", "yes"),
        ("max_order_amount", "0"),
        ("max_order_amount", "1.001"),
        ("mint_mode", "floating"),
        ("mint_value_rate", "1.5"),
        ("initial_price", "0"),
        ("initial_price", "1.0000001"),
        ("exit_basis", "profit"),
        ("points_per_yuan", "0.1234567890123"),
    ],
)
def test_out_of_range_rule_is_invalid_rules(rule: str, value: object) -> None:
    with pytest.raises(Rejected) as raised:
        parse_command({"op": "rules", rule: value, "at": AT})
    assert raised.value.code == "invalid_rules"
    assert rule in raised.value.message


def test_rules_may_be_given_flat_or_nested() -> None:
    flat = parse_command({"op": "rules", "burn_rate": "0.02", "at": AT})
    nested = parse_command({"op": "rules", "rules": {"burn_rate": "0.02"}, "at": AT})
    assert flat == nested


def test_time_offsets_are_honoured() -> None:
    shanghai = parse_command({"op": "tick", "at": "2026-01-01T08:00:00+08:00"})
    utc = parse_command({"op": "tick", "at": "2026-01-01T00:00:00Z"})
    assert shanghai.at == utc.at


def test_bad_input_in_a_live_ledger_changes_nothing(program: Program) -> None:
    program.order("o1", "u1", "100.00", "20.00")
    program.reject("invalid_amount", "order", id="o2", merchant="m1", member="u2",
                   amount="abc", profit="1.00")
    program.reject("unknown_op", "explode")
    program.reject("invalid_command", "order", id="o2", merchant="m1", member="u2")
    program.reject("time_went_backwards", "order", id="o2", merchant="m1", member="u2",
                   amount="1.00", profit="0.00", at="2025-12-31T00:00:00+08:00")
    program.reject("unknown_member", "withdraw", id="w1", member="nobody", points="1")
    program.reject("unknown_merchant", "order", id="o2", merchant="m9", member="u2",
                   amount="1.00", profit="0.00")
    assert program.pool() == "6.00"


def test_every_error_code_is_documented_in_errors_module() -> None:
    import profitpool.errors as errors

    for code in CODES:
        assert f"``{code}``" in (errors.__doc__ or ""), code
    with pytest.raises(ValueError):
        Rejected("no_such_code", "x")
