"""docs/rules.md section 9 and the vendor variant of section 3, number by number."""

from __future__ import annotations

from pathlib import Path

from profitpool.batch import apply_lines
from profitpool.engine import summary
from programs import Program

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_worked_example_step_by_step() -> None:
    p = Program()
    p.merchant("m1")
    p.merchant("m2")

    # 1. u1 buys 100.00 at m1, profit 20.00 -> pool 6.00, u1 21 points, price 0.285714
    p.order("o1", "u1", "100.00", "20.00", merchant="m1")
    s = p.summary()
    assert (s["pool"], s["members"]["u1"]["points"], s["price"]) == ("6.00", "21.0000", "0.285714")

    # 2. u2 buys 200.00 at m2, profit 50.00 -> pool 21.00, supply 63, price 0.333333;
    #    u1 is worth 7.00, u2 14.00
    p.order("o2", "u2", "200.00", "50.00", merchant="m2")
    s = p.summary()
    assert (s["pool"], s["supply"], s["price"]) == ("21.00", "63.0000", "0.333333")
    assert s["members"]["u1"]["value"] == "7.00"
    assert s["members"]["u2"]["value"] == "14.00"

    # 3. u1 withdraws 10 points: value 3.3333..., paid 2.66, pool 18.34, supply 53
    (withdrawn,) = p.run("withdraw", id="w1", member="u1", points="10")
    assert withdrawn.value == 333 and withdrawn.paid == 266
    s = p.summary()
    assert (s["pool"], s["supply"]) == ("18.34", "53.0000")

    # 4. burn 2026-01: supply 52.47, u1 10.89 points, price 0.349533; values unchanged
    values_before = {m: row["value"] for m, row in s["members"].items()}
    v_before = p.value_per_share()
    p.at("2026-02-01T00:00:00+08:00")
    p.run("burn", period="2026-01")
    s = p.summary()
    assert (s["supply"], s["members"]["u1"]["points"], s["price"]) == (
        "52.4700", "10.8900", "0.349533")
    assert {m: row["value"] for m, row in s["members"].items()} == values_before
    assert p.value_per_share() == v_before

    # 5. u2 pays m1 with 5 points: m1 receives 1.74, pool 16.60, supply 47.47
    p.run("pay", id="p1", member="u2", merchant="m1", points="5")
    s = p.summary()
    assert s["merchants"]["m1"]["received"] == "1.74"
    assert (s["pool"], s["supply"]) == ("16.60", "47.4700")

    # 6. an order of -5.00 is rejected; burning 2026-01 again is rejected
    p.reject("invalid_amount", "order", id="o3", merchant="m1", member="u1",
             amount="-5.00", profit="0.00")
    p.reject("already_burned", "burn", period="2026-01")

    # Final
    s = p.summary()
    assert (s["pool"], s["supply"], s["price"]) == ("16.60", "47.4700", "0.349694")
    assert s["members"]["u1"] == {"points": "10.8900", "value": "3.80", "paid": "2.66",
                                  "owed": "2.66", "in_flight": "0.00"}
    assert s["members"]["u2"]["points"] == "36.5800"
    assert s["members"]["u2"]["value"] == "12.79"


def test_worked_example_file_gives_the_final_state_of_rules_section_9() -> None:
    with (EXAMPLES / "worked.jsonl").open("rb") as lines:
        result = apply_lines(lines)
    s = summary(result.ledger)
    assert s["pool"] == "16.60"
    assert s["supply"] == "47.4700"
    assert s["price"] == "0.349694"
    assert s["index"] == "0.990000000000"
    assert s["exits"] == 0
    assert s["members"]["u1"] == {"points": "10.8900", "value": "3.80", "paid": "2.66",
                                  "owed": "2.66", "in_flight": "0.00"}
    assert s["members"]["u2"] == {"points": "36.5800", "value": "12.79", "paid": "0.00",
                                  "owed": "0.00", "in_flight": "0.00"}
    assert s["merchants"]["m1"] == {"contributed": "6.00", "received": "1.74", "owed": "1.74",
                                    "in_flight": "0.00"}
    assert s["merchants"]["m2"] == {"contributed": "15.00", "received": "0.00", "owed": "0.00",
                                    "in_flight": "0.00"}
    assert s["totals"] == {
        "injected": "21.00", "paid_members": "2.66", "paid_merchants": "1.74",
        "paid_lenders": "0.00", "owed": "4.40", "in_flight": "0.00", "settled": "0.00",
    }
    assert [(r.line, r.error) for r in result.rejected] == [
        (8, "invalid_amount"), (9, "already_burned")]


def test_vendor_variant_mints_210_147_124_95_and_prices_1_867413() -> None:
    with (EXAMPLES / "vendor-variant.jsonl").open("rb") as lines:
        result = apply_lines(lines)
    assert result.rejected == []
    s = summary(result.ledger)
    assert [s["members"][m]["points"] for m in ("u1", "u2", "u3")] == [
        "210.0000", "147.0000", "124.9500"]
    assert s["price"] == "1.867413"
    assert s["pool"] == "900.00"
    assert s["supply"] == "481.9500"
    rules = result.ledger.rules
    assert (rules.mint_mode, rules.exit_basis, rules.exit_multiple) == (
        "at_price", "mint_value", (2, 1))


def test_vendor_variant_issues_seventy_percent_of_each_inflow_at_the_price_before_it() -> None:
    p = Program(mint_mode="at_price", exit_basis="mint_value", exit_multiple="2")
    p.merchant("m1")
    minted = []
    for number in (1, 2, 3):
        effects = p.order(f"o{number}", f"u{number}", "1000.00", "1000.00")
        (mint,) = [e for e in effects if type(e).__name__ == "PointsMinted"]
        minted.append((mint.points, mint.price_micro))
    # The price used for each mint is the displayed price before its injection.
    assert minted == [(2_100_000, 1_000_000), (1_470_000, 1_428_571), (1_249_500, 1_680_672)]

