"""What each kind of log entry is called in the pages: every command (``op``) and every
effect (``type``) in Chinese and English, shown beside the canonical JSON, which stays
as it is (it is what is signed and checked).

A test checks that every command the engine parses and every effect it can record has a
name here in both languages.
"""

from __future__ import annotations

from typing import Final

OPS: Final[dict[str, dict[str, str]]] = {
    "merchant": {"zh": "登记商家", "en": "Merchant registered"},
    "lender": {"zh": "登记贷款机构", "en": "Lender registered"},
    "campaign": {"zh": "创建活动", "en": "Campaign created"},
    "order": {"zh": "订单", "en": "Order"},
    "refund": {"zh": "退款", "en": "Refund"},
    "withdraw": {"zh": "提现", "en": "Withdrawal"},
    "pay": {"zh": "积分抵现", "en": "Payment with points"},
    "burn": {"zh": "月度销毁", "en": "Monthly burn"},
    "transfer": {"zh": "转赠积分", "en": "Transfer of points"},
    "pledge": {"zh": "质押积分", "en": "Pledge of points"},
    "release": {"zh": "解除质押", "en": "Pledge released"},
    "seize": {"zh": "处置质押", "en": "Pledge seized"},
    "rules": {"zh": "修改规则", "en": "Rules changed"},
    "tick": {"zh": "时钟推进", "en": "Clock tick"},
    "custody": {"zh": "托管余额申报", "en": "Custody figure"},
    "disclosure": {"zh": "月度公示", "en": "Monthly disclosure"},
    "erase": {"zh": "删除会员身份关联", "en": "Member's link erased"},
    "continues": {"zh": "接续旧日志", "en": "Continues an earlier log"},
    "payout": {"zh": "汇款（运营方付款）", "en": "Payout sent"},
    "payout_settled": {"zh": "银行确认到账", "en": "Payout reached the account"},
    "payout_returned": {"zh": "银行退回汇款", "en": "Payout returned by the bank"},
}
"""Each command's name for people, by its ``op``."""

EFFECTS: Final[dict[str, dict[str, str]]] = {
    "merchant_registered": {"zh": "商家已登记", "en": "Merchant registered"},
    "lender_registered": {"zh": "贷款机构已登记", "en": "Lender registered"},
    "campaign_created": {"zh": "活动已创建", "en": "Campaign created"},
    "member_joined": {"zh": "新会员", "en": "Member joined"},
    "order_placed": {"zh": "订单已接受", "en": "Order accepted"},
    "order_refunded": {"zh": "订单已退款", "en": "Order refunded"},
    "order_settled": {"zh": "订单已结算，利润份额进入收益池",
                      "en": "Order settled: its profit share went into the pool"},
    "points_minted": {"zh": "积分已产生", "en": "Points minted"},
    "withdrawn": {"zh": "已提现（欠付给会员）", "en": "Withdrawn (owed to the member)"},
    "paid_at_merchant": {"zh": "积分已抵现（欠付给商家）",
                         "en": "Points spent at a merchant (owed to the merchant)"},
    "burned": {"zh": "积分已按月销毁", "en": "Monthly burn"},
    "transferred": {"zh": "积分已转赠", "en": "Points transferred"},
    "pledged": {"zh": "积分已质押", "en": "Points pledged"},
    "pledge_released": {"zh": "质押已解除", "en": "Pledge released"},
    "pledge_seized": {"zh": "质押已处置", "en": "Pledge seized"},
    "lot_exited": {"zh": "批次出局兑付", "en": "Lot exited"},
    "rules_changed": {"zh": "规则已修改", "en": "Rules changed"},
    "custody_recorded": {"zh": "托管余额已记录", "en": "Custody figure recorded"},
    "disclosure_published": {"zh": "月度公示已发布", "en": "Monthly disclosure published"},
    "member_erased": {"zh": "会员身份关联已删除", "en": "Member's link erased"},
    "payout_sent": {"zh": "已汇出，在途", "en": "Sent to the bank, in flight"},
    "payout_settled": {"zh": "银行确认已到账", "en": "The bank confirmed it reached the account"},
    "payout_returned": {"zh": "银行已退回，重新记为待付（不回收益池）",
                        "en": "Returned by the bank: owed again (not back in the pool)"},
}
"""Each effect's name for people, by its ``type``."""


def op_label(op: str, language: str) -> str:
    """The command's name in ``language``; an op this catalogue does not know, as is."""
    names = OPS.get(op)
    return op if names is None else names[language]


def effect_label(effect_type: str, language: str) -> str:
    """The effect's name in ``language``; a type this catalogue does not know, as is."""
    names = EFFECTS.get(effect_type)
    return effect_type if names is None else names[language]
