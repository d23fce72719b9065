"""The console's words (web/console.py, web/rule_fields.py, templates console.html,
console_rules.html, console_rule_editor.html and the public rules.html), in Chinese and
English; i18n.py adds them to the catalogue. Every key starts with ``console_``.

Texts with ``{…}`` are filled in by web/rule_fields.py (a bound, a rule's name)."""

from __future__ import annotations

from typing import Final

CONSOLE_TEXTS: Final[dict[str, dict[str, str]]] = {
    # the rule editor and the rules page
    "console_rule_unit": {"zh": "单位", "en": "Unit"},
    "console_rule_range": {"zh": "允许范围", "en": "Allowed"},
    "console_rule_now": {"zh": "当前值", "en": "Now"},
    "console_rule_new": {"zh": "改为", "en": "Set to"},
    "console_rules_intro": {
        "zh": "改动先经引擎检查，再列出新旧对比，确认后才生效，并作为一条日志记录。",
        "en": "Changes are checked by the engine, then shown old beside new; they apply "
              "only once confirmed, as one log entry."},
    "console_rules_refused": {"zh": "以下规则的新值不被接受，没有做任何修改：",
                              "en": "These values are refused; nothing was changed:"},
    "console_rules_fix": {"zh": "修改后再检查一次：", "en": "Correct them and review again:"},
    "console_range_between": {"zh": "{low} 到 {high}", "en": "{low} to {high}"},
    "console_range_at_least": {"zh": "不小于 {bound}", "en": "at least {bound}"},
    "console_range_above": {"zh": "大于 {bound}", "en": "above {bound}"},
    "console_range_at_most": {"zh": "不超过 {bound}", "en": "at most {bound}"},
    "console_range_below": {"zh": "小于 {bound}", "en": "below {bound}"},
    "console_range_join": {"zh": "{first}，{second}", "en": "{first}, {second}"},
    "console_range_decimals": {"zh": "最多 {decimals} 位小数", "en": "at most {decimals} decimals"},
    "console_range_days": {"zh": "0 到 {high} 的整数", "en": "a whole number, 0 to {high}"},
    "console_range_toggle": {"zh": "开或关", "en": "on or off"},
    "console_range_off": {"zh": "留空即不设", "en": "empty: off"},
    "console_range_choice": {"zh": "从选项中选一项", "en": "one of the options"},
    "console_on": {"zh": "开", "en": "on"},
    "console_off": {"zh": "关", "en": "off"},
    # why a value is refused: the rule's name goes in front
    "console_refused_at_least": {"zh": "{rule}须不小于 {bound}。",
                                 "en": "{rule} must be at least {bound}."},
    "console_refused_above": {"zh": "{rule}须大于 {bound}。",
                              "en": "{rule} must be above {bound}."},
    "console_refused_at_most": {"zh": "{rule}须不超过 {bound}。",
                                "en": "{rule} must be at most {bound}."},
    "console_refused_below": {"zh": "{rule}须小于 {bound}。",
                              "en": "{rule} must be below {bound}."},
    "console_refused_whole_days": {"zh": "{rule}须为 0 到 {bound} 的整数天。",
                                   "en": "{rule} must be a whole number of days, 0 to {bound}."},
    "console_refused_one_of": {"zh": "{rule}须为以下之一：{bound}。",
                               "en": "{rule} must be one of: {bound}."},
    "console_refused_true_or_false": {"zh": "{rule}只能开或关。",
                                      "en": "{rule} must be on or off."},
    "console_refused_format": {"zh": "{rule}须为数字，最多 {decimals} 位小数。",
                               "en": "{rule} must be a number with at most {decimals} decimals."},
    "console_refused_unknown_rule": {"zh": "没有这条规则：{rule}。",
                                     "en": "There is no rule {rule}."},
    "console_refused_no_change": {"zh": "没有要修改的规则。", "en": "No rule is changed."},
    # pool health
    "console_custody": {"zh": "托管账户", "en": "Custody"},
    "console_custody_needed": {"zh": "托管应有（收益池 + 待付 + 在途）",
                               "en": "Custody needed (pool + owed + in flight)"},
    "console_custody_held": {"zh": "托管余额（最新记录）", "en": "Custody held (newest record)"},
    "console_custody_difference": {"zh": "差额", "en": "Difference"},
    "console_custody_none": {"zh": "尚无记录", "en": "none recorded"},
    "console_custody_short": {"zh": "托管余额少于应有金额！请到现金与对账页面核对。",
                              "en": "Custody holds less than it must: see Cash and "
                                    "reconciliation."},
    "console_owed": {"zh": "待付", "en": "Owed"},
    "console_in_flight": {"zh": "在途", "en": "In flight"},
    "console_locked": {"zh": "被提现门槛锁定的持仓", "en": "Holdings locked by a gate"},
    "console_locked_note": {
        "zh": "这些积分现在不能提现：质押给贷款机构、持有天数未满，或未达到增值门槛。",
        "en": "Points that cannot be withdrawn now: pledged to a lender, held too briefly, "
              "or short of the gain threshold."},
    "console_gate": {"zh": "门槛", "en": "Gate"},
    "console_gate_pledged": {"zh": "已质押", "en": "Pledged"},
    "console_gate_min_hold_days": {"zh": "持有天数未满", "en": "Held too briefly"},
    "console_gate_withdraw_min_gain": {"zh": "未达增值门槛", "en": "Gain threshold not reached"},
    "console_points": {"zh": "积分", "en": "Points"},
    "console_share": {"zh": "占全部积分", "en": "Share of all points"},
    "console_pledges_open": {"zh": "未结束的质押", "en": "Open pledges"},
    "console_pledges_count": {"zh": "笔数", "en": "Pledges"},
    "console_pledges_loans": {"zh": "贷款合计", "en": "Loans"},
    "console_refusals": {"zh": "被拒绝的提现", "en": "Withdrawals refused"},
    "console_refusals_note": {
        "zh": "被拒绝的指令不改变任何东西，也不写入日志；服务按天和原因计数（近 30 天）。",
        "en": "A refused command changes nothing and is not in the log; the service counts "
              "them by day and reason (last 30 days)."},
    "console_refusals_none": {"zh": "近 30 天没有被拒绝的提现。",
                              "en": "No withdrawal was refused in the last 30 days."},
    "console_reason": {"zh": "原因", "en": "Reason"},
    "console_count": {"zh": "次数", "en": "Times"},
    "console_day": {"zh": "日期", "en": "Day"},
    "console_refusals_chart": {"zh": "每日被拒绝的提现（按原因）",
                               "en": "Withdrawals refused a day, by reason"},
    "console_pool_chart": {"zh": "收益池（近 200 个区块）", "en": "The pool (last 200 blocks)"},
    "console_no_data": {"zh": "还没有数据。", "en": "No data yet."},
    # keys
    "console_key_party_hint": {
        "zh": "商家、贷款机构填其编号，会员填运营方给的会员编号；管理员和审计留空。",
        "en": "A merchant's or lender's id, the operator's id for a member; empty for an "
              "admin or an auditor."},
    "console_key_for": {"zh": "角色与对象", "en": "Role and party"},
}
