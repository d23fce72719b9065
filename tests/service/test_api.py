"""The API against a real running service: the rules to the fen, idempotency, refusals."""

from __future__ import annotations

import time
from typing import Any

import httpx
from click.testing import CliRunner
from servicehelpers import Service

from profitpool.cli import main
from profitpool.members.pseudonyms import is_pseudonym


def size(service: Service) -> int:
    return int(service.client().get("/v1/pool").json()["tree_size"])


def order(client: httpx.Client, order_id: str, member: str, amount: str, profit: str,
          **extra: str) -> httpx.Response:
    return client.post("/v1/orders", json={"id": order_id, "member": member, "amount": amount,
                                           "profit": profit, **extra})


def verify(service: Service) -> str:
    result = CliRunner().invoke(main, ["verify", "--db", service.db], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_the_worked_example_over_http_gives_the_rulebook_figures(service: Service) -> None:
    """docs/rules.md section 9, through the API: every figure to the fen and the log verifies."""
    m1 = service.merchant("m1")
    m2 = service.merchant("m2")
    assert order(m1, "o1", "u1", "100.00", "20.00").status_code == 201
    assert service.client().get("/v1/pool").json()["price"] == "0.285714"
    service.clock.advance(3600)
    assert order(m2, "o2", "u2", "200.00", "50.00").status_code == 201
    u1, u2 = service.member("u1"), service.member("u2")  # members from their first order
    assert u1.get("/v1/members/u1").json()["value"] == "7.00"
    assert u2.get("/v1/members/u2").json()["value"] == "14.00"
    withdrawal = u1.post("/v1/members/u1/withdrawals", json={"points": "10"})
    assert withdrawal.status_code == 201
    [withdrawn] = [e for e in withdrawal.json()["entry"]["effects"] if e["type"] == "withdrawn"]
    assert withdrawn["paid"] == "2.66"
    assert service.admin().post("/v1/burns", json={"period": "2026-01"}).status_code == 201
    pool = service.client().get("/v1/pool").json()
    assert (pool["supply"], pool["price"]) == ("52.4700", "0.349533")
    assert u1.get("/v1/members/u1").json()["points"] == "10.8900"
    payment = u2.post("/v1/members/u2/payments", json={"merchant": "m1", "points": "5"})
    assert payment.status_code == 201
    assert service.admin().get("/v1/merchants/m1").json()["received"] == "1.74"
    # The refusals of step 6: nothing changes.
    before = service.client().get("/v1/pool").json()
    assert order(m1, "o3", "u1", "-5.00", "0").json()["error"] == "invalid_amount"
    again = service.admin().post("/v1/burns", json={"period": "2026-01"})
    assert (again.status_code, again.json()["error"]) == (409, "already_burned")
    assert service.client().get("/v1/pool").json() == before
    pool = service.client().get("/v1/pool").json()
    assert (pool["pool"], pool["supply"], pool["price"]) == ("16.60", "47.4700", "0.349694")
    mine = {k: v for k, v in u1.get("/v1/members/u1").json().items()
            if k not in ("lots", "cashable")}
    assert is_pseudonym(mine.pop("member"))  # the log's name for u1; u1 is theirs
    assert mine | {"block": 0} == {"member_id": "u1", "points": "10.8900", "value": "3.80",
                                   "paid": "2.66", "block": 0, "owed": "2.66",
                                   "in_flight": "0.00", "settled": "0.00", "payouts": []}
    u2_now = u2.get("/v1/members/u2").json()
    assert (u2_now["points"], u2_now["value"]) == ("36.5800", "12.79")
    # The pool is what was injected less what was paid, to the fen.
    fen = {k: int(pool[k].replace(".", "")) for k in
           ("pool", "injected", "paid_members", "paid_merchants", "paid_lenders")}
    assert fen["pool"] == (fen["injected"] - fen["paid_members"] - fen["paid_merchants"]
                           - fen["paid_lenders"])
    service.stop()
    assert verify(service).startswith("OK")


def test_an_order_retried_gets_its_first_answer_and_another_body_conflicts(
        service: Service) -> None:
    m1 = service.merchant("m1")
    first = order(m1, "A-1", "u1", "100.00", "20.00")
    assert first.status_code == 201 and first.json()["replay"] is False
    grown = size(service)
    retry = order(m1, "A-1", "u1", "100.00", "20.00")
    assert retry.status_code == 200
    assert retry.json()["replay"] is True
    assert retry.json()["entry"] == first.json()["entry"]
    other = order(m1, "A-1", "u1", "100.00", "25.00")
    assert (other.status_code, other.json()["error"]) == (409, "conflict")
    assert size(service) == grown
    # After a restart the first answer comes from the database.
    service.restart()
    again = order(service.client(m1.headers["Authorization"].split()[1]), "A-1", "u1",
                  "100.00", "20.00")
    assert again.status_code == 200 and again.json()["entry"] == first.json()["entry"]
    assert size(service) == grown


def test_two_merchants_may_use_the_same_order_id(sqlite_service: Service) -> None:
    m1, m2 = sqlite_service.merchant("m1"), sqlite_service.merchant("m2")
    assert order(m1, "1001", "u1", "10.00", "1.00").status_code == 201
    assert order(m2, "1001", "u2", "20.00", "2.00").status_code == 201
    assert m1.get("/v1/orders/1001").json()["member_id"] == "u1"
    assert m2.get("/v1/orders/1001").json()["member_id"] == "u2"
    assert m1.get("/v1/orders").json()["count"] == 1


def test_an_idempotency_key_makes_a_withdrawal_happen_once(service: Service) -> None:
    m1 = service.merchant("m1")
    order(m1, "o1", "u1", "100.00", "20.00")
    order(m1, "o2", "u2", "100.00", "20.00")
    u1, u2 = service.member("u1"), service.member("u2")
    headers = {"Idempotency-Key": "wd-1"}
    first = u1.post("/v1/members/u1/withdrawals", json={"points": "5"}, headers=headers)
    assert first.status_code == 201
    grown = size(service)
    retry = u1.post("/v1/members/u1/withdrawals", json={"points": "5"}, headers=headers)
    assert (retry.status_code, retry.json()["replay"]) == (200, True)
    assert retry.json()["entry"] == first.json()["entry"]
    other = u1.post("/v1/members/u1/withdrawals", json={"points": "6"}, headers=headers)
    assert (other.status_code, other.json()["error"]) == (409, "conflict")
    assert size(service) == grown
    assert u1.get("/v1/members/u1").json()["points"] == "16.0000"
    # Keys are per caller: another member's "wd-1" is another request.
    assert u2.post("/v1/members/u2/withdrawals", json={"points": "5"},
                   headers=headers).status_code == 201
    # Without a key, two requests are two withdrawals.
    u1.post("/v1/members/u1/withdrawals", json={"points": "1"})
    u1.post("/v1/members/u1/withdrawals", json={"points": "1"})
    assert u1.get("/v1/members/u1").json()["points"] == "14.0000"
    service.restart()
    u1 = service.client(u1.headers["Authorization"].split()[1])
    after = u1.post("/v1/members/u1/withdrawals", json={"points": "5"}, headers=headers)
    assert after.status_code == 200 and after.json()["entry"] == first.json()["entry"]


def test_a_batch_accepts_and_refuses_each_order_on_its_own(service: Service) -> None:
    m1 = service.merchant("m1")
    orders = [{"id": f"b{i}", "member": f"u{i % 7}", "amount": "10.00", "profit": "2.00"}
              for i in range(300)]
    orders[5]["amount"] = "-1"
    orders[9]["profit"] = "99.00"
    answer = m1.post("/v1/orders:batch", json={"orders": orders})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["accepted"], body["rejected"], body["replayed"]) == (298, 2, 0)
    assert body["results"][5]["error"] == "invalid_amount"
    assert body["results"][9]["error"] == "invalid_profit"
    indexes = [r["entry"]["index"] for r in body["results"] if r["status"] == 201]
    assert indexes == sorted(indexes) and len(set(indexes)) == 298
    again = m1.post("/v1/orders:batch", json={"orders": orders[:10]}).json()
    assert (again["accepted"], again["replayed"], again["rejected"]) == (0, 8, 2)
    too_many = m1.post("/v1/orders:batch", json={"orders": orders * 4})
    assert too_many.status_code == 400


def _code(response: httpx.Response) -> tuple[int, str]:
    return response.status_code, response.json().get("error", "")


def test_every_refusal_changes_nothing_and_the_service_keeps_serving(service: Service) -> None:
    m1 = service.merchant("m1")
    order(m1, "o1", "u1", "100.00", "20.00")
    u1 = service.member("u1")
    before = service.client().get("/v1/pool").json()
    m1_key = m1.headers["Authorization"]
    raw = httpx.Client(base_url=service.url, headers={"Authorization": m1_key})
    try:
        refusals = [
            (raw.post("/v1/orders", content=b"{not json",
                      headers={"Content-Type": "application/json"}), 400, "invalid_json"),
            (raw.post("/v1/orders", json={"id": "x", "member": "u1", "amount": 5,
                                          "profit": "1"}), 400, "invalid_command"),
            (raw.post("/v1/orders", json={"id": "x", "member": "u1", "amount": "5.00",
                                          "profit": "1", "bonus": "1"}), 400,
             "invalid_command"),
            (raw.post("/v1/orders", json={"id": "x", "member": "u1", "amount": "5.001",
                                          "profit": "1"}), 400, "invalid_amount"),
            (raw.post("/v1/orders", json={"id": "x", "member": "u1", "amount": "-5.00",
                                          "profit": "0"}), 400, "invalid_amount"),
            (raw.post("/v1/orders", content=b"{" + b" " * 2_000_000 + b"}",
                      headers={"Content-Type": "application/json"}), 413,
             "payload_too_large"),
            (u1.post("/v1/members/u1/withdrawals", json={"points": "1.00001"}), 400,
             "invalid_points"),
            (u1.post("/v1/members/u2/withdrawals", json={"points": "1"}), 403, "forbidden"),
            (m1.get("/v1/orders", params={"merchant": "m2"}), 403, "forbidden"),
        ]
    finally:
        raw.close()
    for response, status, code in refusals:
        assert _code(response) == (status, code), response.text
    assert service.client().get("/v1/pool").json() == before
    assert order(m1, "o2", "u1", "1.00", "0.10").status_code == 201


def test_every_engine_code_a_client_can_cause_comes_back_over_http(service: Service) -> None:
    """docs/rules.md section 8 says the API returns the same codes; here is each one.

    Not reachable by construction: ``unknown_op`` (each route names its
    command) and ``time_went_backwards`` (the server stamps every command with
    its clock, never earlier than the previous command).
    """
    admin = service.admin()
    m1 = service.merchant("m1")
    service.merchant("m2")  # the campaign below is for m2
    assert admin.post("/v1/lenders", json={"id": "b1"}).status_code == 201
    bank = service.client(service.new_key("lender", "b1"))
    assert order(m1, "o1", "u1", "100.00", "20.00").status_code == 201
    assert order(m1, "o2", "u2", "100.00", "20.00").status_code == 201
    u1 = service.member("u1")
    campaign = {"id": "c1", "merchant": "m2", "multiplier": "2",
                "start": "2026-03-01T00:00:00+08:00", "end": "2026-04-01T00:00:00+08:00"}
    assert admin.post("/v1/campaigns", json=campaign).status_code == 201
    pledged = u1.post("/v1/members/u1/pledges",
                      json={"id": "pl1", "lender": "b1", "points": "1", "loan": "0.10"})
    assert pledged.status_code == 201, pledged.text
    assert bank.post("/v1/pledges/pl1/release").status_code == 201
    # a payout sent and settled, so that settling it again is payout_closed
    assert u1.post("/v1/members/u1/withdrawals", json={"points": "1"}).status_code == 201
    account = admin.post("/v1/destinations", json={
        "party": "member:u1", "account": "6222021001123456789", "name": "u1"}).json()
    admin.post(f"/v1/destinations/{account['id']}/status", json={"status": "verified"})
    assert admin.post("/v1/payouts", json={"party": "member:u1", "amount": "0.01", "id": "po1",
                                           "destination": account["id"]}).status_code == 201
    settled = [admin.post("/v1/payouts/po1/settled", json={"reference": "B1"},
                          headers={"Idempotency-Key": "settle-po1"}) for _ in range(2)]
    # the bank's confirmation, retried with its key, is the first answer again
    assert [answer.status_code for answer in settled] == [201, 200]
    assert settled[1].json()["replay"] is True
    assert settled[1].json()["entry"]["index"] == settled[0].json()["entry"]["index"]
    cases: dict[str, httpx.Response] = {
        "unknown_party": admin.post("/v1/payouts", json={
            "party": "bank:b1", "amount": "0.01", "destination": account["id"]}),
        "unknown_payout": admin.post("/v1/payouts/po9/settled", json={}),
        "payout_closed": admin.post("/v1/payouts/po1/returned", json={"reason": "AC04"}),
        "unknown_destination": admin.post("/v1/payouts", json={
            "party": "member:u1", "amount": "0.01", "destination": "dst_none"}),
        "invalid_time": admin.post("/v1/campaigns", json={**campaign, "id": "c2",
                                                          "start": "tomorrow"}),
        "invalid_id": admin.post("/v1/merchants", json={"id": "has space"}),
        "duplicate_id": admin.post("/v1/lenders", json={"id": "m1"}),
        "conflict": order(m1, "o1", "u1", "100.00", "21.00"),
        "unknown_member": admin.get("/v1/members/u9"),
        "cannot_erase": admin.delete("/v1/members/u1"),
        "unknown_merchant": u1.post("/v1/members/u1/payments",
                                    json={"merchant": "nobody", "points": "1"}),
        "unknown_lender": u1.post("/v1/members/u1/pledges",
                                  json={"lender": "nobody", "points": "1", "loan": "1.00"}),
        "unknown_order": m1.post("/v1/orders/nothing/refund"),
        "unknown_campaign": order(m1, "o3", "u1", "10.00", "1.00", campaign="nope"),
        "unknown_pledge": bank.post("/v1/pledges/nope/seize"),
        "campaign_not_applicable": order(m1, "o4", "u1", "10.00", "1.00", campaign="c1"),
        "invalid_amount": order(m1, "o5", "u1", "0", "0"),
        "invalid_profit": order(m1, "o6", "u1", "10.00", "11.00"),
        "invalid_points": u1.post("/v1/members/u1/withdrawals", json={"points": "-1"}),
        "invalid_multiplier": admin.post("/v1/campaigns", json={**campaign, "id": "c3",
                                                                "multiplier": "0"}),
        "invalid_period": admin.post("/v1/burns", json={"period": "2026-13"}),
        "invalid_rules": admin.patch("/v1/rules", json={"exit_multiple": "-1"}),
        "insufficient_points": u1.post("/v1/members/u1/withdrawals", json={"points": "999"}),
        "not_pending": m1.post("/v1/orders/o1/refund"),
        "transfers_disabled": u1.post("/v1/members/u1/transfers",
                                      json={"to": "u2", "points": "1"}),
        "pledge_closed": bank.post("/v1/pledges/pl1/seize"),
    }
    assert admin.post("/v1/burns", json={"period": "2026-02"}).status_code == 201
    cases["already_burned"] = admin.post("/v1/burns", json={"period": "2026-02"})
    assert admin.patch("/v1/rules", json={"daily_withdraw_cap_rate": "0.01"}).status_code == 201
    service.clock.advance(86_400)
    cases["daily_cap_reached"] = u1.post("/v1/members/u1/withdrawals", json={"points": "10"})
    cases["invalid_json"] = m1.post("/v1/orders", content=b"[",
                                    headers={"Content-Type": "application/json"})
    cases["invalid_command"] = m1.post("/v1/orders", json={"id": "o9"})
    from profitpool.errors import CODES

    # no route sends continues: only `profitpool rekey` writes it, as a log's first entry
    reachable = set(CODES) - {"unknown_op", "time_went_backwards", "continues_not_first"}
    assert set(cases) == reachable
    for code, response in cases.items():
        assert response.json().get("error") == code, (code, response.text)
        assert 400 <= response.status_code < 500


def wait_for(check: Any, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_pending_orders_settle_as_time_passes(service: Service) -> None:
    admin = service.admin()
    assert admin.patch("/v1/rules", json={"settle_days": 1}).status_code == 201
    m1 = service.merchant("m1")
    assert order(m1, "o1", "u1", "100.00", "20.00").status_code == 201
    assert m1.get("/v1/orders/o1").json()["status"] == "pending"
    assert service.client().get("/v1/pool").json()["pool"] == "0.00"
    service.clock.advance(86_400 + 1)
    wait_for(lambda: m1.get("/v1/orders/o1").json()["status"] == "settled")
    pool = service.client().get("/v1/pool").json()
    assert pool["pool"] == "6.00"
    last = service.client().get(f"/v1/entries/{pool['tree_size'] - 1}").json()
    assert last["entry"]["command"]["op"] == "tick"
    assert [e["type"] for e in last["entry"]["effects"]] == ["order_settled", "points_minted"]


def test_the_month_is_burned_at_midnight_on_the_first_once_across_restarts(
        tmp_path: Any) -> None:
    running = Service(f"sqlite:///{tmp_path / 'log.db'}", tmp_path / "operator.key",
                      options={"auto_burn": True})
    running.clock.set("2026-03-31T23:59:00+08:00")
    running.setup()
    try:
        m1 = running.merchant("m1")
        assert order(m1, "o1", "u1", "100.00", "20.00").status_code == 201
        burns = running.client().get("/v1/burns")
        assert burns.json()["count"] == 0
        running.clock.set("2026-04-01T00:00:01+08:00")
        wait_for(lambda: running.client().get("/v1/burns").json()["count"] == 1)
        [burn] = running.client().get("/v1/burns").json()["data"]
        assert burn["entry"]["command"]["period"] == "2026-03"
        running.restart()
        time.sleep(0.6)  # more than two idle rounds of the writer
        assert running.client().get("/v1/burns").json()["count"] == 1
        assert running.client().get("/v1/members/u1",
                                    headers={"Authorization": f"Bearer {running.admin_key}"}
                                    ).json()["points"] == "20.7900"
    finally:
        running.stop()


def test_the_pool_history_shows_a_burn_lifting_the_price_but_not_the_value_per_point(
        sqlite_service: Service) -> None:
    m1 = sqlite_service.merchant("m1")
    assert order(m1, "o1", "u1", "100.00", "20.00").status_code == 201
    assert sqlite_service.admin().post("/v1/burns", json={"period": "2026-02"}).status_code == 201
    history = sqlite_service.client().get("/v1/pool/history").json()["data"]
    before, after = history[-2], history[-1]
    assert after["block"] == before["block"] + 1
    assert (before["price"], after["price"]) == ("0.285714", "0.288600")
    assert before["value_per_point"] == after["value_per_point"] == "0.285714"
    assert (before["supply"], after["supply"]) == ("21.0000", "20.7900")
    assert after == {**after, **{k: v for k, v in sqlite_service.client().get(
        "/v1/pool").json().items() if k in ("pool", "supply", "price", "value_per_point")}}


def test_text_that_is_not_valid_unicode_is_refused_and_the_log_goes_on(
        sqlite_service: Service) -> None:
    """JSON's escapes can spell a lone surrogate, which no log entry can hold: refused
    before it reaches the log (it once poisoned the writer), with nothing written."""
    admin = sqlite_service.admin()
    before = size(sqlite_service)
    lone = b'{"id": "m9", "name": "shop \\udc00"}'
    refused = admin.post("/v1/merchants", content=lone,
                         headers={"Content-Type": "application/json"})
    assert (refused.status_code, refused.json()["error"]) == (400, "invalid_command")
    rules = admin.patch("/v1/rules", content=b'{"\\ud800": 1}',
                        headers={"Content-Type": "application/json", "Idempotency-Key": "k"})
    assert (rules.status_code, rules.json()["error"]) == (400, "invalid_json")
    assert size(sqlite_service) == before
    assert admin.post("/v1/merchants", json={"id": "m9", "name": "鲜到家"}).status_code == 201


def test_a_preview_says_what_a_withdrawal_will_pay_and_changes_nothing(
        service: Service) -> None:
    m1 = service.merchant("m1")
    order(m1, "o1", "u1", "100.00", "20.00")
    order(m1, "o2", "u2", "200.00", "50.00")
    u1 = service.member("u1")
    before = service.client().get("/v1/pool").json()
    preview = u1.post("/v1/members/u1/withdrawals:preview", json={"points": "10"})
    assert preview.status_code == 200
    # docs/rules.md section 9, step 3: value 3.33..., paid 2.66, the rest stays in the pool.
    assert preview.json() == {"points": "10.0000", "value": "3.33", "paid": "2.66",
                              "stays_in_pool": "0.67", "lots": [{"lot": 1,
                                                                 "points": "10.0000"}]}
    assert service.client().get("/v1/pool").json() == before
    done = u1.post("/v1/members/u1/withdrawals", json={"points": "10"}).json()
    [withdrawn] = [e for e in done["entry"]["effects"] if e["type"] == "withdrawn"]
    assert withdrawn["paid"] == preview.json()["paid"]
    pay = u1.post("/v1/members/u1/payments:preview", json={"merchant": "m1", "points": "5"})
    assert pay.status_code == 200 and pay.json()["stays_in_pool"] == "0.00"
    too_much = u1.post("/v1/members/u1/withdrawals:preview", json={"points": "999"})
    assert (too_much.status_code, too_much.json()["error"]) == (422, "insufficient_points")


def test_a_preview_meets_the_state_the_withdrawal_would_meet_now(
        sqlite_service: Service) -> None:
    """Nothing was written since the order; its refund window and the member's hold period
    ended meanwhile. The preview moves time as the withdrawal will (the order settles, the
    lot is old enough) and undoes it: it answers what the withdrawal then pays."""
    service = sqlite_service
    admin = service.admin()
    changed = admin.patch("/v1/rules", json={"settle_days": 3, "min_hold_days": 5})
    assert changed.status_code == 201, changed.text
    m1 = service.merchant("m1")
    order(m1, "o1", "u1", "100.00", "20.00")
    u1 = service.member("u1")
    service.clock.advance(4 * 86_400)  # settled by now, but held 1 day of 5
    early = u1.post("/v1/members/u1/withdrawals:preview", json={"points": "10"})
    assert (early.status_code, early.json()["error"]) == (422, "insufficient_points")
    service.clock.advance(2 * 86_400)  # held 6 days: free
    before = (service.client().get("/v1/pool").json(), size(service))
    preview = u1.post("/v1/members/u1/withdrawals:preview", json={"points": "10"})
    assert preview.status_code == 200, preview.text
    assert (service.client().get("/v1/pool").json(), size(service)) == before
    done = u1.post("/v1/members/u1/withdrawals", json={"points": "10"})
    assert done.status_code == 201, done.text
    [withdrawn] = [e for e in done.json()["entry"]["effects"] if e["type"] == "withdrawn"]
    assert withdrawn["paid"] == preview.json()["paid"]
