"""The member wallet's words (web/wallet.py, templates wallet*.html), in Chinese and
English; i18n.py adds them to the catalogue. Every key starts with ``wallet_``, so none
can shadow a key of another page.

A sentence with figures names them ``{points}``, ``{paid}``, ...: the wallet puts each
figure in its own unbreakable element (``fill`` in web/wallet.py), so a phone wraps the
sentence around an amount, never through it.
"""

from __future__ import annotations

from typing import Final

WALLET_TEXTS: Final[dict[str, dict[str, str]]] = {
    # the holding and its one price
    "wallet_your_points": {"zh": "我的积分", "en": "Your points"},
    "wallet_worth": {"zh": "现值", "en": "Worth now"},
    "wallet_price": {"zh": "积分价格（每积分）", "en": "Price per point"},
    "wallet_value_is": {
        "zh": "现值 = 积分 × 积分价格。价格会随订单、提现和出局变化，也可能下跌。",
        "en": "Worth now = points × the price per point. The price moves with orders, "
              "withdrawals and exits, and it can fall."},
    "wallet_burn_question": {
        "zh": "浏览器上还有一个“每积分价值（按未销毁计）”，是什么？",
        "en": "What is the explorer's other figure, “value per point (before burns)”?"},
    "wallet_burn_answer": {
        "zh": "每月销毁让每个人的积分按同一比例变少，价格按同一比例上涨，所以您的现值不变。"
              "“每积分价值（按未销毁计）”{value_per_point} 是一个从未被销毁过的积分现在的价值，"
              "用来比较销毁前后的价格。算您的钱，只看上面的积分价格。",
        "en": "Each monthly burn shrinks everyone's points by the same share and raises the "
              "price by the same factor, so what you hold is worth the same. “Value per "
              "point (before burns)”, {value_per_point}, is what a point never burned is "
              "worth now, for comparing prices across burns. For your money, the price "
              "above is all you need."},
    # what can be cashed out now, and why the rest cannot
    "wallet_cashable_title": {"zh": "现在可提现", "en": "What you can cash out now"},
    "wallet_cashable_now": {"zh": "可提现 {points} 积分（约 {paid}）",
                            "en": "You can cash out {points} points (about {paid})"},
    "wallet_cashable_how": {
        "zh": "这些积分现值 {value}，提现时付给您其中的 {rate}，其余留在收益池。"
              "到手金额按提现那一刻的价格计算，所以是“约”。",
        "en": "They are worth {value}; a withdrawal pays you {rate} of that and the rest "
              "stays in the pool. It is paid at the price of the moment you withdraw, "
              "hence “about”."},
    "wallet_cashable_none": {"zh": "现在没有可提现的积分。",
                             "en": "Nothing can be cashed out right now."},
    "wallet_rest_title": {"zh": "其余暂时不能提现，原因如下：",
                          "en": "The rest cannot be cashed out yet, because:"},
    "wallet_nothing_held": {"zh": "您的积分都可以提现，没有被任何规则限制。",
                            "en": "No rule holds any of your points back."},
    "wallet_reason_pending": {"zh": "订单待结算（仍在退款期内）",
                              "en": "Orders pending (still in the refund window)"},
    "wallet_pending_item": {
        "zh": "{merchant} 消费 {amount}（下单 {at}），{when} 结算后发放积分",
        "en": "{amount} at {merchant} (ordered {at}): points are issued when it settles, "
              "{when}"},
    "wallet_pending_note": {
        "zh": "积分数在结算时按当时的规则计算；订单在结算前可能被退款。",
        "en": "The points are worked out at settlement, under the rules of that moment; "
              "the order may be refunded before it settles."},
    "wallet_reason_pledged": {"zh": "已质押", "en": "Pledged"},
    "wallet_pledged_item": {
        "zh": "{points} 积分（现值 {value}）质押给 {lender}，贷款 {loan}（质押编号 {pledge}）",
        "en": "{points} points (worth {value}) pledged to {lender} for a loan of {loan} "
              "(pledge {pledge})"},
    "wallet_pledged_note": {
        "zh": "贷款方解除质押后这些积分才可提现；质押中的积分仍会出局，出局款先还贷款方。",
        "en": "They can be cashed out once the lender releases them; pledged points still "
              "exit, and an exit repays the lender first."},
    "wallet_reason_too_young": {"zh": "持有未满 {days} 天",
                                "en": "Held less than {days} days"},
    "wallet_young_item": {"zh": "{points} 积分（现值 {value}），{when} 起可提现",
                          "en": "{points} points (worth {value}), free from {when}"},
    "wallet_reason_below_gain": {"zh": "未达增值门槛", "en": "Below the gain threshold"},
    "wallet_gain_rule": {
        "zh": "规则：每批积分的价值须比发放时至少高 {gain}，才可提现。",
        "en": "The rule: a lot may be cashed out once its value is at least {gain} above "
              "its value when it was issued."},
    "wallet_gain_rule_zero": {
        "zh": "规则：每批积分的价值不低于发放时的价值，才可提现。",
        "en": "The rule: a lot may be cashed out once its value is back to at least its "
              "value when it was issued."},
    "wallet_gain_item": {
        "zh": "{points} 积分现值 {value}，需达到 {needed}（还差 {short}）",
        "en": "{points} points worth {value}; they may go at {needed} ({short} to go)"},
    "wallet_reason_daily_cap": {"zh": "今日提现上限", "en": "Today's withdrawal cap"},
    "wallet_cap_item": {
        "zh": "{points} 积分（现值 {value}）超出今日上限。今天的提现还可付出 {left}；"
              "北京时间零点后按新的一天重新计算。",
        "en": "{points} points (worth {value}) are past today's cap. Withdrawals may pay "
              "{left} more today; the cap starts again at midnight, Beijing time."},
    "wallet_spendable": {
        "zh": "积分抵现不受持有天数、增值门槛和每日上限限制：现在可抵现 {points} 积分。",
        "en": "Paying with points ignores the hold period, the gain threshold and the "
              "daily cap: you can spend {points} points now."},
    # the forms
    "wallet_points_label": {"zh": "积分数", "en": "Points"},
    "wallet_all": {"zh": "全部", "en": "All"},
    "wallet_asked_all": {"zh": "全部", "en": "all"},
    "wallet_points_all": {"zh": "积分（全部）", "en": "Points (all)"},
    "wallet_all_withdraw": {"zh": "全部提现", "en": "Withdraw all"},
    "wallet_all_pay": {"zh": "全部抵现", "en": "Pay with all"},
    "wallet_pay_to": {"zh": "付给商家", "en": "Pay to"},
    # the confirmation and the refusal
    "wallet_withdrawn_line": {
        "zh": "已提现 {points} 积分，现值 {value}：{paid} 记为平台欠您的钱，{stays} 留在收益池。",
        "en": "You withdrew {points} points worth {value}: {paid} is owed to you and "
              "{stays} stays in the pool."},
    "wallet_paid_line": {"zh": "已用 {points} 积分向 {merchant} 抵现 {paid}。",
                         "en": "You paid {merchant} {paid} with {points} points."},
    "wallet_replayed": {"zh": "这笔操作之前已经完成，这次没有再做一次。",
                        "en": "This was done before; it was not done a second time."},
    "wallet_back": {"zh": "返回我的钱包", "en": "Back to your wallet"},
    "wallet_refused": {"zh": "被拒绝", "en": "Refused"},
    "wallet_refused_withdraw": {
        "zh": "您要提现 {asked} 积分；现在可提现 {points} 积分（约 {paid}）。",
        "en": "You asked to withdraw {asked} points; you can cash out {points} points now "
              "(about {paid})."},
    "wallet_refused_pay": {
        "zh": "您要抵现 {asked} 积分；现在可抵现 {points} 积分。",
        "en": "You asked to pay with {asked} points; you can spend {points} points now."},
    "wallet_refused_why": {"zh": "为什么其余不能提现，见钱包里的“现在可提现”。",
                           "en": "Why the rest cannot go is under “What you can cash out "
                                 "now” in your wallet."},
    "wallet_pay_preview_to": {"zh": "收款商家", "en": "Paid to"},
}
