"""What each refusal code means, in both languages, for people using the pages.

The engine's own messages (English, precise) stay in the API's answers; the pages show
these instead, with the code.
"""

from __future__ import annotations

from typing import Final

from ..errors import CODES
from ..service.errors import SERVICE_CODES

MESSAGES: Final[dict[str, dict[str, str]]] = {
    "invalid_json": {"zh": "提交的内容格式不对。", "en": "The request is malformed."},
    "invalid_command": {"zh": "缺少字段或字段不对。", "en": "A field is missing or wrong."},
    "unknown_op": {"zh": "没有这个操作。", "en": "There is no such operation."},
    "invalid_time": {"zh": "时间格式不对(需带时区)。",
                     "en": "The time is not valid (it needs an offset)."},
    "time_went_backwards": {"zh": "时间早于上一条指令。",
                            "en": "The time is before the previous command's."},
    "invalid_id": {"zh": "编号只能用字母、数字和 ._:@+-。",
                   "en": "An id may only hold letters, digits and ._:@+-."},
    "duplicate_id": {"zh": "这个编号已被其他对象使用。", "en": "This id is used by another party."},
    "conflict": {"zh": "这个编号以前用于不同的内容。",
                 "en": "This id was used before with other details."},
    "unknown_member": {"zh": "没有这个会员。", "en": "There is no such member."},
    "unknown_merchant": {"zh": "没有这个商家。", "en": "There is no such merchant."},
    "unknown_lender": {"zh": "没有这个贷款机构。", "en": "There is no such lender."},
    "unknown_order": {"zh": "没有这个订单。", "en": "There is no such order."},
    "unknown_campaign": {"zh": "没有这个活动。", "en": "There is no such campaign."},
    "unknown_pledge": {"zh": "没有这笔质押。", "en": "There is no such pledge."},
    "campaign_not_applicable": {"zh": "这个活动不适用于此订单。",
                                "en": "The campaign does not apply to this order."},
    "invalid_amount": {"zh": "金额不对:须为正数,最多两位小数,且不超过上限。",
                       "en": "The amount is not valid: positive, at most 2 decimals, "
                             "within the maximum."},
    "invalid_profit": {"zh": "利润不对:不能为负,也不能超过金额。",
                       "en": "The profit is not valid: not negative, not above the amount."},
    "invalid_points": {"zh": "积分数不对:须为正数,最多四位小数(或 all)。",
                       "en": "The points are not valid: positive, at most 4 decimals "
                             "(or all)."},
    "invalid_multiplier": {"zh": "倍数须大于 0 且不超过 100。",
                           "en": "The multiplier must be above 0 and at most 100."},
    "invalid_period": {"zh": "月份须为 YYYY-MM,且已经开始。",
                       "en": "The period must be YYYY-MM and have started."},
    "invalid_rules": {"zh": "规则名或取值不对。", "en": "A rule's name or value is not valid."},
    "insufficient_points": {"zh": "可用积分不够(积分可能尚未满足提现条件)。",
                            "en": "Not enough points available (they may not be eligible "
                                  "yet)."},
    "daily_cap_reached": {"zh": "已达到今日提现上限。",
                          "en": "Today's withdrawal cap is reached."},
    "not_pending": {"zh": "订单已结算或已退款,不能退款。",
                    "en": "The order has settled or was refunded already."},
    "already_burned": {"zh": "这个月份已经销毁过。", "en": "That month was burned already."},
    "transfers_disabled": {"zh": "当前规则不允许转赠。",
                           "en": "Transfers are off under the current rules."},
    "pledge_closed": {"zh": "这笔质押已经结束。", "en": "The pledge is closed."},
    "unauthorized": {"zh": "请用有效的密钥登录。", "en": "Sign in with a valid key."},
    "forbidden": {"zh": "这个密钥不能做这件事。", "en": "This key may not do that."},
    "not_found": {"zh": "没有找到。", "en": "Not found."},
    "method_not_allowed": {"zh": "不支持这个操作。", "en": "This is not supported."},
    "rate_limited": {"zh": "请求太频繁,请稍后再试。", "en": "Too many requests; try again soon."},
    "payload_too_large": {"zh": "提交的内容太大。", "en": "The request is too large."},
    "unsupported_media_type": {"zh": "提交的内容类型不对。",
                               "en": "The request's content type is wrong."},
    "unavailable": {"zh": "暂时无法写入,什么都没有改变,请重试。",
                    "en": "Nothing could be written just now; nothing changed. Retry."},
    "invalid_url": {"zh": "这个地址不能接收通知:须为 http(s),不能指向本服务,"
                          "生产模式下须为公网地址。",
                    "en": "Webhooks cannot go to that address: it must be http(s), not this "
                          "service, and public in production mode."},
}
assert set(MESSAGES) == set(CODES) | set(SERVICE_CODES)


def message(code: str, language: str) -> str:
    return MESSAGES.get(code, MESSAGES["invalid_command"])[language]
