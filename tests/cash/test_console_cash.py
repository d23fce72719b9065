"""The console's cash page: custody against pool + owed + in flight (the difference in red
when short), open items, verifying accounts, a payout run with its file, and a bank file
uploaded and read back once. In both languages."""

from __future__ import annotations

import re

from pyiso20022.pain.pain_001_001_09 import Document as Pain001
from servicehelpers import Service
from test_payouts_service import ACCOUNT, camt054, program
from xsdata.formats.dataclass.parsers import XmlParser


def figure(page: str, element: str) -> str:
    found = re.search(rf'id="{element}">([^<]*)<', page)
    assert found, element
    return found.group(1)


def test_the_operator_pays_out_and_reconciles_from_the_console(
        sqlite_service: Service) -> None:
    service = sqlite_service
    admin, alice = program(service)
    console = service.signed_in("/console", service.admin_key)
    assert 'href="/console/cash"' in console.get("/console").text
    page = console.get("/console/cash").text
    assert figure(page, "cash-owed") == "¥7.43"  # alice 5.60 + m1 1.83
    assert figure(page, "cash-held") == "—" and 'id="no-custody"' in page
    # the custody account, then an account to verify
    answer = console.post("/console/cash/account", data={**ACCOUNT, "currency": "CNY",
                                                         "agent_bic": ""})
    assert answer.status_code == 303
    destination = admin.post("/v1/destinations", json={
        "party": "member:alice", "account": "6222021001123456789", "name": "张三",
        "bank": "工商银行"}).json()
    page = console.get("/console/cash").text
    assert "张三" in page and "6222 **** **** 6789" in page
    assert "6222021001123456789" not in page
    answer = console.post("/console/cash/fail", data={"id": destination["id"], "reason": ""})
    assert 'id="refused"' in answer.text  # a failure needs its reason
    answer = console.post("/console/cash/verify", data={"id": destination["id"]})
    assert answer.status_code == 303
    assert "张三" not in console.get("/console/cash").text  # verified: no longer waiting

    done = console.post("/console/cash/run", data={"minimum": "2.00",
                                                   "execution_date": "2026-03-12"}).text
    assert figure(done, "run-count") == "1" and figure(done, "run-total") == "¥5.60"
    link = re.search(r'id="run-file" href="([^"]+)"', done)
    assert link
    document = XmlParser().from_bytes(console.get(link.group(1)).content, Pain001)
    [payment] = document.cstmr_cdt_trf_initn.pmt_inf
    [transfer] = payment.cdt_trf_tx_inf
    assert transfer.cdtr.nm == "张三"
    # without a session: the sign-in page, never the file
    stranger = service.client().get(link.group(1), follow_redirects=False)
    assert stranger.status_code == 200 and "张三" not in stranger.text
    assert 'action="/console/login"' in stranger.text
    page = console.get("/console/cash").text
    assert figure(page, "cash-in-flight") == "¥5.60"

    # the bank's answer, uploaded: settled; then a statement that leaves custody short
    [payout] = admin.get("/v1/members/alice").json()["payouts"]
    notification = camt054(payout["payout"], "5.60", "ICBC-1").encode()
    answer = console.post("/console/cash/import",
                          files={"file": ("n.xml", notification, "application/xml")})
    assert figure(answer.text, "import-settled") == "1"
    again = console.post("/console/cash/import",
                         files={"file": ("n.xml", notification, "application/xml")}).text
    assert "以前导入过" in again
    statement = camt053_closing("1.00")
    answer = console.post("/console/cash/import", data={"data": statement},
                          files={"file": ("", b"", "application/octet-stream")})
    assert answer.status_code == 200, answer.text
    page = console.get("/console/cash?lang=en").text
    needed = figure(page, "cash-needed")
    assert figure(page, "cash-held") == "¥1.00"
    assert 'class="figure failed" id="cash-difference"' in page and 'id="shortfall"' in page
    assert figure(page, "cash-difference").startswith("−¥")
    assert needed == f"¥{admin.get('/v1/reconciliation').json()['needed']}"
    del alice


def camt053_closing(amount: str) -> str:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">
<BkToCstmrStmt><GrpHdr><MsgId>EOD-1</MsgId><CreDtTm>2026-03-12T18:00:00+08:00</CreDtTm></GrpHdr>
<Stmt><Id>S</Id><CreDtTm>2026-03-12T18:00:00+08:00</CreDtTm>
<Acct><Id><Othr><Id>110000123456789</Id></Othr></Id><Ccy>CNY</Ccy></Acct>
<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="CNY">{amount}</Amt>
<CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-03-12</Dt></Dt></Bal>
</Stmt></BkToCstmrStmt></Document>"""
