"""Request and response bodies, as the OpenAPI document shows them.

Money and points travel as decimal strings (``"100.00"``, ``"21.0000"``);
the engine checks their precision and range and answers with the codes of
docs/rules.md section 8. Unknown fields are refused (``invalid_command``).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

Money = str
Points = str


def _id(example: str) -> Any:
    return Field(min_length=1, max_length=128, examples=[example])


_TIME = "ISO 8601 with an offset"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ErrorBody(BaseModel):
    error: str = Field(description="A code of docs/rules.md section 8, or a service code.")
    message: str


class Entry(BaseModel):
    model_config = ConfigDict(extra="allow")
    index: int
    block: int
    command: dict[str, Any] | None = None
    effects: list[dict[str, Any]] | None = None


class WriteResult(BaseModel):
    replay: bool = Field(description="True when this answers a retry of an earlier request.")
    entry: Entry | None = Field(description="The log entry the write made (null only for a "
                                            "retry of a write made outside the service).")


class MerchantCreate(Strict):
    id: str = _id("m1")
    name: str = Field("", max_length=200, examples=["Tea House"])
    industry: str = Field("", max_length=200, examples=["catering"])


class LenderCreate(Strict):
    id: str = _id("b1")
    name: str = Field("", max_length=200, examples=["City Bank"])


class CampaignCreate(Strict):
    id: str = _id("c1")
    merchant: str | None = Field(None, examples=["m1"])
    multiplier: str = Field(examples=["2"])
    start: str = Field(description=_TIME, examples=["2026-03-01T00:00:00+08:00"])
    end: str = Field(description=_TIME, examples=["2026-04-01T00:00:00+08:00"])


class BurnCreate(Strict):
    period: str = Field(description="YYYY-MM", max_length=7, examples=["2026-02"])


class OrderCreate(Strict):
    id: str = Field(min_length=1, max_length=100, examples=["o1"],
                    description="The merchant's own order id: the idempotency key.")
    member: str = _id("u1")
    amount: Money = Field(examples=["100.00"])
    profit: Money = Field(examples=["30.00"])
    campaign: str | None = Field(None, examples=["c1"])


class OrderBatch(Strict):
    orders: list[OrderCreate] = Field(min_length=1, max_length=1000)


class BatchItem(BaseModel):
    id: str
    status: int
    replay: bool | None = None
    entry: Entry | None = None
    error: str | None = None
    message: str | None = None


class BatchResult(BaseModel):
    accepted: int
    replayed: int
    rejected: int
    results: list[BatchItem]


class Withdrawal(Strict):
    points: Points = Field(description='Points, or "all" for every eligible point.',
                           examples=["10.5", "all"])


class PreviewLot(BaseModel):
    lot: int
    points: str


class Preview(BaseModel):
    points: str
    value: str = Field(description="What the points are worth now (CNY).")
    paid: str = Field(description="What would be paid (CNY).")
    stays_in_pool: str = Field(description="value - paid: what stays in the pool (CNY).")
    lots: list[PreviewLot] = Field(description="The lots the points come from, oldest first.")


class Payment(Strict):
    merchant: str = _id("m1")
    points: Points = Field(description='Points, or "all".', examples=["1", "all"])


class TransferCreate(Strict):
    to: str = _id("u2")
    points: Points = Field(examples=["1.5"])


class PledgeCreate(Strict):
    id: str | None = Field(None, min_length=1, max_length=128, examples=["pl1"])
    lender: str = _id("b1")
    points: Points = Field(examples=["10"])
    loan: Money = Field(examples=["5.00"])


class KeyCreate(Strict):
    role: str = Field(description="admin, auditor, merchant, member or lender",
                      examples=["merchant"])
    party: str | None = Field(None, max_length=128, examples=["m1"],
                              description="The merchant, member or lender the key acts for.")
    label: str = Field("", max_length=200)


class KeyCreated(BaseModel):
    key: str = Field(description="The key itself. Shown once, never stored.")
    id: str
    role: str
    party: str | None
    member_id: str | None = Field(None, description="For a member key: the operator's id "
                                  "for the member, when the key was asked for by it.")


class KeyPublic(BaseModel):
    id: str
    role: str
    party: str | None = Field(description="The party the key acts for (a member key: the "
                              "member's pseudonym).")
    member_id: str | None = Field(None, description="For a member key: the operator's id "
                                  "for its member (none once the member is erased).")
    label: str
    created_us: int
    revoked: bool


class Page(BaseModel):
    data: list[dict[str, Any]]
    count: int


class PledgePreview(BaseModel):
    """What seizing or releasing a pledge would do now (the engine's plan; nothing changes)."""

    pledge: str
    points: str = Field(description="The points the pledge's lots hold now.")
    value: str = Field(description="What they are worth now (CNY).")
    loan: str = Field(description="The loan (CNY).")
    outstanding: str = Field(description="What the loan still owes: loan - repaid (CNY).")
    paid: str | None = Field(None, description="Seizure: what the pool would pay (CNY).")
    to_lender: str | None = Field(None, description="Seizure: the lender's part, first, up "
                                  "to what the loan still owes (CNY).")
    to_member: str | None = Field(None, description="Seizure: the rest, the member's (CNY).")
    stays_in_pool: str | None = Field(None, description="Seizure: value - paid (CNY).")


class OrderPreview(BaseModel):
    """What an order would do if it were placed now; nothing changes."""

    at: str
    settles_at: str = Field(description="When its refund window closes and it settles.")
    settle_days: int = Field(description="The refund window in force, in days.")
    amount: str
    profit: str
    multiplier: str = Field(description="Its campaign's points multiplier (1 without one).")
    injection: str = Field(description="What it would put into the pool if it settled now "
                           "(CNY); it settles under the rules in force then.")
    points: str = Field(description="The points it would mint if it settled now (under the "
                        "rules and, in at_price mode, the price of now).")
