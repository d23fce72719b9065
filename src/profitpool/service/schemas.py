"""Request and response bodies, as the OpenAPI document shows them.

Money and points travel as decimal strings (``"100.00"``, ``"21.0000"``);
the engine checks their precision and range and answers with the codes of
RULES.md section 8. Unknown fields are refused (``invalid_command``).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

Money = str
Points = str
_ID = Field(min_length=1, max_length=128)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ErrorBody(BaseModel):
    error: str = Field(description="A code of RULES.md section 8, or a service code.")
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
    id: str = _ID
    name: str = Field("", max_length=200)
    industry: str = Field("", max_length=200)


class LenderCreate(Strict):
    id: str = _ID
    name: str = Field("", max_length=200)


class CampaignCreate(Strict):
    id: str = _ID
    merchant: str | None = None
    multiplier: str
    start: str
    end: str


class BurnCreate(Strict):
    period: str = Field(description="YYYY-MM", max_length=7)


class OrderCreate(Strict):
    id: str = Field(min_length=1, max_length=100,
                    description="The merchant's own order id: the idempotency key.")
    member: str = _ID
    amount: Money
    profit: Money
    campaign: str | None = None


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
    points: Points = Field(description='Points, or "all" for every eligible point.')


class Payment(Strict):
    merchant: str = _ID
    points: Points = Field(description='Points, or "all".')


class TransferCreate(Strict):
    to: str = _ID
    points: Points


class PledgeCreate(Strict):
    id: str | None = Field(None, min_length=1, max_length=128)
    lender: str = _ID
    points: Points
    loan: Money


class KeyCreate(Strict):
    role: str = Field(description="admin, auditor, merchant, member or lender")
    party: str | None = Field(None, max_length=128,
                              description="The merchant, member or lender the key acts for.")
    label: str = Field("", max_length=200)


class KeyCreated(BaseModel):
    key: str = Field(description="The key itself. Shown once, never stored.")
    id: str
    role: str
    party: str | None


class KeyPublic(BaseModel):
    id: str
    role: str
    party: str | None
    label: str
    created_us: int
    revoked: bool


class Page(BaseModel):
    data: list[dict[str, Any]]
    count: int
