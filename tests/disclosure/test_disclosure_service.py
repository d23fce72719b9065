"""The service discloses each month by itself, serves reports and members' proofs, records
custody figures, and the explorer shows a shortfall in red."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

from profitpool.disclosure import pol

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "service"))
from servicehelpers import Service, wait_for  # noqa: E402


def test_a_month_is_disclosed_by_the_service_and_checked_by_its_members(
        tmp_path: Path) -> None:
    service = Service(f"sqlite:///{tmp_path / 'log.db'}", tmp_path / "op.key", options={
        "disclose": True, "disclose_poll_seconds": 0.05}).setup()
    try:
        shop = service.merchant("m1")
        for number in range(3):
            assert shop.post("/v1/orders", json={
                "id": f"o{number}", "member": f"u{number}", "amount": "100.00",
                "profit": "20.00"}).status_code == 201
        admin, public = service.admin(), service.client()
        custody = admin.post("/v1/custody", json={"amount": "10.00", "reference": "stmt 1"})
        assert custody.status_code == 201, custody.text
        bad = admin.post("/v1/custody", json={"amount": "ten", "reference": "stmt 2"})
        assert bad.status_code == 400 and bad.json()["error"] == "invalid_amount"
        month = service.clock()  # the fake clock's month is not over: nothing to disclose
        assert public.get("/v1/disclosures").json()["count"] == 0
        refused = admin.post("/v1/disclosures/2026-03")
        assert refused.status_code == 400 and refused.json()["error"] == "invalid_period"
        service.clock.advance(40 * 86_400)  # into the next month: the job reports the last
        listed = wait_for(lambda: (body := public.get("/v1/disclosures").json())["count"]
                          and body["data"][0]["entry"] is not None and body)
        first = listed["data"][0]
        assert first["matches_log"] is True
        report = public.get(f"/v1/disclosures/{first['period']}")
        assert hashlib.sha256(report.content).hexdigest() == first["report_sha256"]
        body = report.json()
        assert body["custody"][0]["shortfall"] == "8.00"  # pool 18.00 against 10.00
        assert body["orders"]["count"] == 3
        html = public.get(f"/v1/disclosures/{first['period']}", params={"format": "html"})
        assert html.status_code == 200 and "<html" in html.text
        pdf = public.get(f"/v1/disclosures/{first['period']}", params={"format": "pdf"})
        assert pdf.content.startswith(b"%PDF")
        # each member's proof verifies against the root in the log, and gives their value
        root = bytes.fromhex(first["pol_root"])
        for number in range(3):
            member = service.member(f"u{number}")
            proof = member.get(f"/v1/members/u{number}/pol/{first['period']}")
            assert proof.status_code == 200, proof.text
            assert pol.verify_proof(pol.MemberProof.from_json(proof.content),
                                    expected_root=root) == 600
        # the wallet hands the signed-in member the same proof, as a file
        wallet = service.signed_in("/wallet", service.new_key("member", "u2"))
        page = wallet.get("/wallet", params={"lang": "en"}).text
        assert f'href="/wallet/pol/{first["period"]}"' in page
        download = wallet.get(f"/wallet/pol/{first['period']}")
        assert download.headers["content-type"] == "application/json"
        assert pol.verify_proof(pol.MemberProof.from_json(download.content),
                                expected_root=root) == 600
        other = service.member("u0").get(f"/v1/members/u1/pol/{first['period']}")
        assert other.status_code == 403
        page = public.get("/disclosures", params={"lang": "en"}).text
        assert first["pol_root"] in page and 'class="money shortfall"' in page
        # the same month again changes nothing (same report), a re-run is a replay
        again = admin.post(f"/v1/disclosures/{first['period']}")
        assert again.status_code in (200, 201), again.text
        assert again.json()["replay"] is True
        assert month  # the clock was read
    finally:
        service.stop()
