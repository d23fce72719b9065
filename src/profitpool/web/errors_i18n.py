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
    "invalid_time": {"zh": "时间格式不对（需带时区）。",
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
    "invalid_amount": {"zh": "金额不对：须为正数，最多两位小数，且不超过上限。",
                       "en": "The amount is not valid: positive, at most 2 decimals, "
                             "within the maximum."},
    "invalid_profit": {"zh": "利润不对：不能为负，也不能超过金额。",
                       "en": "The profit is not valid: not negative, not above the amount."},
    "invalid_points": {"zh": "积分数不对：须为正数，最多四位小数（或 all）。",
                       "en": "The points are not valid: positive, at most 4 decimals "
                             "(or all)."},
    "invalid_multiplier": {"zh": "倍数须大于 0 且不超过 100。",
                           "en": "The multiplier must be above 0 and at most 100."},
    "invalid_period": {"zh": "月份须为 YYYY-MM，且已经开始。",
                       "en": "The period must be YYYY-MM and have started."},
    "invalid_rules": {"zh": "规则名或取值不对。", "en": "A rule's name or value is not valid."},
    "insufficient_points": {"zh": "可用积分不够（积分可能尚未满足提现条件）。",
                            "en": "Not enough points available (they may not be eligible "
                                  "yet)."},
    "daily_cap_reached": {"zh": "已达到今日提现上限。",
                          "en": "Today's withdrawal cap is reached."},
    "not_pending": {"zh": "订单已结算或已退款，不能退款。",
                    "en": "The order has settled or was refunded already."},
    "already_burned": {"zh": "这个月份已经销毁过。", "en": "That month was burned already."},
    "transfers_disabled": {"zh": "当前规则不允许转赠。",
                           "en": "Transfers are off under the current rules."},
    "pledge_closed": {"zh": "这笔质押已经结束。", "en": "The pledge is closed."},
    "cannot_erase": {"zh": "该会员仍持有积分、有未结算的订单或有待付给他的钱，"
                            "请先提现并等款项到账。",
                     "en": "The member still holds points, has orders not settled yet or is "
                           "owed money: cash out and wait for the payout to arrive first."},
    "continues_not_first": {"zh": "只有日志的第一条记录可以声明它所接续的旧日志。",
                            "en": "Only a log's first entry may name the log it continues."},
    "unknown_party": {"zh": "没有这个会员、商家或放贷方。",
                      "en": "No such member, merchant or lender."},
    "unknown_payout": {"zh": "没有这笔付款。", "en": "No such payout."},
    "payout_closed": {"zh": "这笔付款已经到账或已被退回。",
                      "en": "The payout was settled or returned already."},
    "unknown_destination": {"zh": "没有这个收款账户。", "en": "No such payout destination."},
    "unauthorized": {"zh": "请用有效的密钥登录。", "en": "Sign in with a valid key."},
    "forbidden": {"zh": "这个密钥不能做这件事。", "en": "This key may not do that."},
    "not_found": {"zh": "没有找到。", "en": "Not found."},
    "method_not_allowed": {"zh": "不支持这个操作。", "en": "This is not supported."},
    "rate_limited": {"zh": "请求太频繁，请稍后再试。", "en": "Too many requests; try again soon."},
    "payload_too_large": {"zh": "提交的内容太大。", "en": "The request is too large."},
    "unsupported_media_type": {"zh": "提交的内容类型不对。",
                               "en": "The request's content type is wrong."},
    "unavailable": {"zh": "数据库暂时无法使用，请稍后重试（同一笔操作重试只会记录一次）。",
                    "en": "The database is unavailable just now; retry soon (a retry of the "
                          "same operation is recorded once)."},
    "internal_error": {"zh": "服务出错，这笔操作没有记录，已通知运营方。",
                       "en": "The service failed; this operation was not recorded, and the "
                             "operator is told."},
    "invalid_url": {"zh": "这个地址不能接收通知：须为 http(s)，不能指向本服务，"
                          "且须为公网地址（除非运营方允许内网地址）。",
                    "en": "Webhooks cannot go to that address: it must be http(s), not this "
                          "service, and public (unless the operator allows private ones)."},
}
assert set(MESSAGES) == set(CODES) | set(SERVICE_CODES)


def message(code: str, language: str) -> str:
    return MESSAGES.get(code, MESSAGES["invalid_command"])[language]


ROLE_NAMES: Final[dict[str, dict[str, str]]] = {
    "admin": {"zh": "管理员", "en": "admin"},
    "auditor": {"zh": "审计", "en": "auditor"},
    "merchant": {"zh": "商家", "en": "merchant"},
    "member": {"zh": "会员", "en": "member"},
    "lender": {"zh": "贷款机构", "en": "lender"},
}

KEY_REFUSALS: Final[dict[str, dict[str, str]]] = {
    "unknown_role": {"zh": "没有这个角色 {role}。", "en": "There is no role {role!r}."},
    "party_missing": {"zh": "{role_name}密钥须绑定一个{role_name}编号。",
                      "en": "A {role_name} key must be bound to a {role_name} id."},
    "party_not_bound": {"zh": "{role_name}密钥不绑定对象，请留空。",
                        "en": "An {role_name} key is bound to no party: leave it empty."},
    "invalid_id": {"zh": "{party} 不是有效的编号：须为 1–128 个字母、数字或 ._:@+-,"
                         "以字母或数字开头。",
                   "en": "{party!r} is not an id: 1-128 letters, digits or ._:@+-, "
                         "starting with a letter or digit."},
    "unknown_merchant": {"zh": "没有这个商家 {party}。", "en": "There is no merchant {party!r}."},
    "unknown_lender": {"zh": "没有这个贷款机构 {party}。", "en": "There is no lender {party!r}."},
    "unknown_member": {"zh": "没有这个会员 {party}（会员在日志中有了第一笔订单后才存在）。",
                       "en": "There is no member {party!r} (a member exists once they have "
                             "an order in the log)."},
}
"""Why a key was refused (store/apikeys.py ``KeyRefused.reason``; an unknown party by its
code), with the role and party asked for."""


def key_refusal(reason: str, code: str, role: str, party: str | None, language: str) -> str:
    """The precise reason a key was refused, in ``language``."""
    text = KEY_REFUSALS.get(code if reason == "unknown_party" else reason)
    if text is None:
        return message(code, language)
    role_name = ROLE_NAMES.get(role, {}).get(language, role)
    return text[language].format(role=role, role_name=role_name, party=party or "")
