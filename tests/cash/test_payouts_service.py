"""Paying out through the service: a run, its pain.001 read back by an independent ISO 20022
library, a bank statement read back, reconciliation, and every refusal changing nothing
(docs/cash.md). On SQLite and PostgreSQL."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
from pyiso20022.pain.pain_001_001_09 import Document as Pain001
from servicehelpers import Service
from xsdata.formats.dataclass.parsers import XmlParser

from profitpool.cash import CSV_COLUMNS

ACCOUNT = {"holder": "某某科技有限公司", "account": "1100 0012 3456 789", "agent_member_id":
           "102100099996"}
CUSTODY = "110000123456789"


def program(service: Service) -> tuple[httpx.Client, str]:
    """Two members and a merchant: alice withdraws everything, bob pays at m1.
    Returns the admin client and alice's pseudonym."""
    admin = service.admin()
    shop = service.merchant("m1", name="鲜果铺")
    for order, member, amount, profit in (("o1", "alice", "100.00", "20.00"),
                                          ("o2", "bob", "200.00", "50.00")):
        answer = shop.post("/v1/orders", json={"id": order, "member": member,
                                                "amount": amount, "profit": profit})
        assert answer.status_code == 201, answer.text
    alice = admin.get("/v1/members/alice").json()["member"]
    bob = admin.get("/v1/members/bob").json()["member"]
    answer = service.member(alice).post(f"/v1/members/{alice}/withdrawals",
                                        json={"points": "all"})
    assert answer.status_code == 201, answer.text
    answer = service.member(bob).post(f"/v1/members/{bob}/payments",
                                      json={"merchant": "m1", "points": "5"})
    assert answer.status_code == 201, answer.text
    return admin, alice


def everything(admin: httpx.Client) -> dict[str, Any]:
    """What a refused request must leave as it was: the pool, the head, the destinations,
    the runs, the bank files and the reconciliation."""
    return {"pool": admin.get("/v1/pool").json(),
            "destinations": admin.get("/v1/destinations").json(),
            "runs": admin.get("/v1/payouts/runs").json(),
            "files": admin.get("/v1/bank-files").json()}


def test_a_run_pays_verified_parties_and_the_bank_file_reads_back(service: Service) -> None:
    admin, alice = program(service)
    assert admin.get("/v1/members/alice").json()["owed"] == "5.60"
    assert admin.get("/v1/merchants/m1").json()["owed"] == "1.83"
    assert admin.put("/v1/custody/account", json=ACCOUNT).status_code == 200

    # alice's account is added by alice herself, the merchant's by the operator
    alice_key = service.new_key("member", alice)
    mine = service.client(alice_key).post("/v1/destinations", json={
        "account": "6222 0210 0112 3456 789", "name": "张三", "bank": "工商银行",
        "bank_code": "102100099996"})
    assert mine.status_code == 201, mine.text
    assert mine.json()["party"] == f"member:{alice}"
    shop = admin.post("/v1/destinations", json={"party": "merchant:m1", "account":
                                                 "11000012345678", "name": "鲜果铺",
                                                 "bank_code": "ICBKCNBJ"})
    assert shop.status_code == 201, shop.text
    # only verified accounts are paid: the first run pays nobody
    first = admin.post("/v1/payouts:run", json={"minimum": "1.00"}).json()
    assert (first["payouts"], first["no_destination"]["parties"], first["file_url"]) == (
        0, 2, None)
    for destination in (mine.json()["id"], shop.json()["id"]):
        answer = admin.post(f"/v1/destinations/{destination}/status",
                            json={"status": "verified"})
        assert answer.status_code == 200, answer.text
    listed = admin.get("/v1/destinations").json()["data"]
    assert {row["account"] for row in listed} == {"6222 **** **** 6789", "1100 **** **** 5678"}

    # a minimum above what m1 is owed leaves it for a later run
    run = admin.post("/v1/payouts:run", json={"minimum": "2.00",
                                              "execution_date": "2026-03-11"}).json()
    assert (run["payouts"], run["total"], run["below_minimum"]) == (
        1, "5.60", {"parties": 1, "owed": "1.83"})
    member = admin.get("/v1/members/alice").json()
    assert (member["owed"], member["in_flight"], member["paid"]) == ("0.00", "5.60", "5.60")
    [payout] = member["payouts"]
    assert payout["status"] == "in_flight" and payout["destination"] == mine.json()["id"]

    answer = admin.get(run["file_url"])
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/xml")
    document = XmlParser().from_bytes(answer.content, Pain001)
    initiation = document.cstmr_cdt_trf_initn
    assert initiation.grp_hdr.nb_of_txs == "1" and initiation.grp_hdr.ctrl_sum == Decimal("5.60")
    [payment] = initiation.pmt_inf
    assert payment.dbtr_acct.id.othr.id == CUSTODY
    assert payment.reqd_exctn_dt.dt.to_date().isoformat() == "2026-03-11"
    [transfer] = payment.cdt_trf_tx_inf
    assert transfer.pmt_id.end_to_end_id == payout["payout"]
    assert transfer.amt.instd_amt.value == Decimal("5.60")
    assert (transfer.cdtr.nm, transfer.cdtr_acct.id.othr.id) == ("张三", "6222021001123456789")
    # the log names the account only by its opaque id
    entries = admin.get("/v1/entries", params={"limit": 5}).text
    assert "6222021001123456789" not in entries and "张三" not in entries
    # the file is the operator's alone
    assert service.client(alice_key).get(run["file_url"]).status_code == 403

    # the bank settles it: a camt.054 debit notification
    notification = camt054(payout["payout"], "5.60", "ICBC-778")
    read = admin.post("/v1/bank-files", json={"data": notification}).json()
    assert (read["settled"], read["returned"], read["listed"]) == (1, 0, {})
    member = admin.get("/v1/members/alice").json()
    assert (member["in_flight"], member["payouts"][0]["status"],
            member["payouts"][0]["reference"]) == ("0.00", "settled", "ICBC-778")
    again = admin.post("/v1/bank-files", json={"data": notification}).json()
    assert again["already_imported"] is True
    assert admin.get("/v1/pool").json()["settled"] == "5.60"


def camt054(end_to_end: str, amount: str, reference: str, *, returned: bool = False,
            account: str = CUSTODY, currency: str = "CNY") -> str:
    """A debit notification as a bank writes it: one entry, its transaction's refs."""
    ret = ('<RtrInf><Rsn><Cd>AC04</Cd></Rsn><AddtlInf>账户已销户</AddtlInf></RtrInf>'
           if returned else "")
    direction = "CRDT" if returned else "DBIT"
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.08">
 <BkToCstmrDbtCdtNtfctn>
  <GrpHdr><MsgId>N-{reference}</MsgId><CreDtTm>2026-03-11T18:00:00+08:00</CreDtTm></GrpHdr>
  <Ntfctn><Id>N1</Id><CreDtTm>2026-03-11T18:00:00+08:00</CreDtTm>
   <Acct><Id><Othr><Id>{account}</Id></Othr></Id><Ccy>{currency}</Ccy></Acct>
   <Ntry><Amt Ccy="{currency}">{amount}</Amt><CdtDbtInd>{direction}</CdtDbtInd>
    <Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>2026-03-11</Dt></BookgDt>
    <AcctSvcrRef>{reference}</AcctSvcrRef>
    <BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>ICDT</Cd><SubFmlyCd>DMCT</SubFmlyCd></Fmly></Domn></BkTxCd>
    <NtryDtls><TxDtls><Refs><EndToEndId>{end_to_end}</EndToEndId></Refs>
     <Amt Ccy="{currency}">{amount}</Amt>{ret}</TxDtls></NtryDtls>
   </Ntry>
  </Ntfctn>
 </BkToCstmrDbtCdtNtfctn>
</Document>"""


def test_a_returned_payout_is_owed_again_and_listed_until_sent_again(
        sqlite_service: Service) -> None:
    service = sqlite_service
    admin, alice = program(service)
    admin.put("/v1/custody/account", json=ACCOUNT)
    destination = admin.post("/v1/destinations", json={
        "party": "member:alice", "account": "6222021001123456789", "name": "张三"}).json()
    assert destination["party"] == f"member:{alice}"
    admin.post(f"/v1/destinations/{destination['id']}/status", json={"status": "verified"})
    run = admin.post("/v1/payouts:run", json={"minimum": "2.00"}).json()
    [payout] = admin.get("/v1/members/alice").json()["payouts"]
    assert run["payouts"] == 1
    pool = admin.get("/v1/pool").json()["pool"]
    read = admin.post("/v1/bank-files", json={"data": camt054(
        payout["payout"], "5.60", "ICBC-R1", returned=True)}).json()
    assert (read["settled"], read["returned"]) == (0, 1)
    member = admin.get("/v1/members/alice").json()
    assert (member["owed"], member["in_flight"]) == ("5.60", "0.00")
    assert member["payouts"][0]["status"] == "returned"
    assert member["payouts"][0]["reason"] == "AC04 账户已销户"
    assert admin.get("/v1/pool").json()["pool"] == pool  # never back in the pool
    status = admin.get("/v1/reconciliation").json()
    assert [item["payout"] for item in status["returned_not_resent"]] == [payout["payout"]]
    # a statement line nothing explains is listed, until resolved
    stray = admin.post("/v1/bank-files", json={"data": camt054(
        "po-nobody", "9.99", "ICBC-X")}).json()
    assert stray["listed"] == {"unknown_reference": 1} and stray["settled"] == 0
    [item] = admin.get("/v1/reconciliation").json()["unexplained"]
    assert (item["kind"], item["amount"], item["end_to_end_id"]) == (
        "unknown_reference", "9.99", "po-nobody")
    assert admin.post(f"/v1/reconciliation/items/{item['id']}/resolve",
                      json={"resolution": "a transfer of last year"}).status_code == 200
    assert admin.get("/v1/reconciliation").json()["unexplained"] == []


def test_bad_bank_files_and_payouts_are_refused_and_change_nothing(
        sqlite_service: Service) -> None:
    service = sqlite_service
    admin, _alice = program(service)
    # no custody account yet: a run is refused before anything is sent
    before = everything(admin)
    answer = admin.post("/v1/payouts:run", json={})
    assert answer.status_code == 400 and "custody account" in answer.json()["message"]
    assert everything(admin) == before
    admin.put("/v1/custody/account", json=ACCOUNT)
    failed = admin.post("/v1/destinations", json={
        "party": "member:alice", "account": "6222021001123456789", "name": "张三"}).json()
    admin.post(f"/v1/destinations/{failed['id']}/status",
               json={"status": "failed", "reason": "户名不符"})
    shop = admin.post("/v1/destinations", json={
        "party": "merchant:m1", "account": "11000012345678", "name": "鲜果铺"}).json()
    admin.post(f"/v1/destinations/{shop['id']}/status", json={"status": "verified"})
    before = everything(admin)
    refusals = [
        ({"party": "member:alice", "amount": "1.00", "destination": failed["id"]},
         400, "户名不符"),  # a destination that failed verification
        ({"party": "merchant:m1", "amount": "1.84", "destination": shop["id"]},
         400, "owed 1.83"),  # more than owed
        ({"party": "merchant:m9", "amount": "1.00", "destination": shop["id"]},
         400, "not merchant:m9's"),  # another party's account
        ({"party": "bank:m1", "amount": "1.00", "destination": shop["id"]}, 404, "party"),
        ({"party": "merchant:m1", "amount": "1.00", "destination": "dst_nope"}, 404,
         "no destination"),
    ]
    for body, status, words in refusals:
        answer = admin.post("/v1/payouts", json=body)
        assert answer.status_code == status, (body, answer.text)
        assert words in answer.json()["message"], answer.text
    bad_files = [
        ("<Document><nope/></Document>", "cannot be read"),
        ("<?xml version='1.0'?><Document", "cannot be read"),
        (camt054("x", "1.00", "R", account="999999999"), "not the custody account"),
        (camt054("x", "1.00", "R", currency="USD"), "USD"),
        ("date,reference\n2026-03-11,R1\n", "cannot be read"),
    ]
    for data, words in bad_files:
        answer = admin.post("/v1/bank-files", json={"data": data})
        assert answer.status_code == 400, answer.text
        assert words in answer.json()["message"], answer.text
    assert admin.get("/v1/reconciliation").json()["unexplained"] == []
    assert everything(admin) == before
    # a member key may not run payouts, nor add another party's account
    member = service.client(service.new_key("member", _alice))
    assert member.post("/v1/payouts:run", json={}).status_code == 403
    assert member.post("/v1/destinations", json={
        "party": "merchant:m1", "account": "11000012345678", "name": "x"}).status_code == 403
    # a single payout to the verified account goes through
    answer = admin.post("/v1/payouts", json={"party": "merchant:m1", "amount": "1.83",
                                             "destination": shop["id"], "id": "po-m1"})
    assert answer.status_code == 201, answer.text
    merchant = admin.get("/v1/merchants/m1").json()
    assert (merchant["owed"], merchant["in_flight"]) == ("0.00", "1.83")


def test_the_csv_of_banks_without_camt_settles_payouts(sqlite_service: Service) -> None:
    service = sqlite_service
    admin, _alice = program(service)
    admin.put("/v1/custody/account", json=ACCOUNT)
    shop = admin.post("/v1/destinations", json={
        "party": "merchant:m1", "account": "11000012345678", "name": "鲜果铺"}).json()
    admin.post(f"/v1/destinations/{shop['id']}/status", json={"status": "verified"})
    admin.post("/v1/payouts", json={"party": "merchant:m1", "amount": "1.83",
                                    "destination": shop["id"], "id": "po-m1"})
    rows = [",".join(CSV_COLUMNS),
            "2026-03-11,ICBC-9,po-m1,-1.83,CNY,BOOK,,25.00"]
    read = admin.post("/v1/bank-files", json={"data": "\n".join(rows) + "\n"}).json()
    assert (read["kind"], read["settled"], read["closing"]) == ("csv", 1, "25.00")
    status = admin.get("/v1/reconciliation").json()
    assert status["custody"]["amount"] == "25.00"
    pool = Decimal(status["pool"])
    assert Decimal(status["needed"]) == pool + Decimal(status["owed"]) + Decimal(
        status["in_flight"])
    assert Decimal(status["difference"]) == Decimal("25.00") - Decimal(status["needed"])


def test_each_party_hears_of_its_own_payouts_only(sqlite_service: Service) -> None:
    service = sqlite_service
    admin, alice = program(service)
    service.merchant("m2", name="另一家")
    m1_key, m2_key = service.new_key("merchant", "m1"), service.new_key("merchant", "m2")
    admin.put("/v1/custody/account", json=ACCOUNT)
    for party, account, name in (("merchant:m1", "11000012345678", "鲜果铺"),
                                 ("member:alice", "6222021001123456789", "张三")):
        found = admin.post("/v1/destinations", json={"party": party, "account": account,
                                                     "name": name}).json()
        admin.post(f"/v1/destinations/{found['id']}/status", json={"status": "verified"})
    run = admin.post("/v1/payouts:run", json={}).json()
    assert run["payouts"] == 2

    def heard(key: str) -> list[dict[str, Any]]:
        answer = service.client(key).get("/v1/events", params={"type": "payout.sent"})
        assert answer.status_code == 200, answer.text
        return [item["event"]["data"] for item in answer.json()["data"]]

    [own] = heard(m1_key)
    assert (own["merchant"], own["amount"], own["owed"], own["member"]) == (
        "m1", "1.83", "0.00", None)
    assert own["destination"].startswith("dst_") and "11000012345678" not in str(own)
    assert heard(m2_key) == []
    [mine] = heard(service.new_key("member", alice))
    assert (mine["member"], mine["amount"]) == (alice, "5.60")
    assert len(heard(service.admin_key)) == 2
