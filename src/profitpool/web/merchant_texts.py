"""The merchant portal's words (web/merchant.py, templates merchant*.html), in Chinese and
English; i18n.py adds them to the catalogue. Every key starts with ``merchant_``, so none
can shadow a key of another page."""

from __future__ import annotations

from typing import Final

MERCHANT_TEXTS: Final[dict[str, dict[str, str]]] = {
    "merchant_id_label": {"zh": "商家编号：", "en": "Merchant id: "},
    "merchant_order_id": {"zh": "订单号", "en": "Order id"},
    "merchant_customer_id": {"zh": "会员编号（贵店所用）", "en": "Customer id (yours)"},
    "merchant_orders_all": {"zh": "订单（全部）", "en": "Orders (all)"},
    "merchant_orders_split": {"zh": "待结算 {pending} · 已结算 {settled} · 已退款 {refunded}",
                              "en": "{pending} pending · {settled} settled · "
                                    "{refunded} refunded"},
    "merchant_orders_counted": {"zh": "计入分析的订单（不含已退款）",
                                "en": "Orders analysed (refunded left out)"},
    "merchant_count_note": {
        "zh": "“订单（全部）”与接口 GET /v1/orders 返回的 count 相同：待结算、已结算和已退款的"
              "订单都算。下面的分析不计已退款订单。",
        "en": "“Orders (all)” is the count GET /v1/orders returns: pending, settled and "
              "refunded orders alike. The analytics below leave refunded orders out."},
    "merchant_status_pending": {"zh": "待结算（可退款）", "en": "Pending (refundable)"},
    "merchant_status_settled": {"zh": "已结算", "en": "Settled"},
    "merchant_status_refunded": {"zh": "已退款", "en": "Refunded"},
    "merchant_settles_at": {"zh": "结算时间", "en": "Settles"},
    # searching and paging
    "merchant_search": {"zh": "查找订单", "en": "Find orders"},
    "merchant_search_order": {"zh": "订单号包含", "en": "Order id contains"},
    "merchant_search_member": {"zh": "会员编号", "en": "Customer id"},
    "merchant_search_since": {"zh": "从（日期）", "en": "From (date)"},
    "merchant_search_until": {"zh": "到（日期）", "en": "To (date)"},
    "merchant_search_go": {"zh": "查找", "en": "Search"},
    "merchant_search_clear": {"zh": "显示全部", "en": "Show all"},
    "merchant_bad_date": {"zh": "日期应写作 年-月-日，例如 2026-03-10；未按日期筛选。",
                          "en": "Write a date as year-month-day, e.g. 2026-03-10; dates "
                                "were not used to filter."},
    "merchant_found": {"zh": "找到 {count} 笔订单（共 {total} 笔），第 {page}/{pages} 页，"
                             "最新的在前。",
                       "en": "{count} orders found (of {total}), page {page} of {pages}, "
                             "newest first."},
    "merchant_no_orders": {"zh": "没有符合条件的订单。", "en": "No orders match."},
    "merchant_newer": {"zh": "← 较新", "en": "← Newer"},
    "merchant_older": {"zh": "较旧 →", "en": "Older →"},
    # entering an order
    "merchant_new_order": {"zh": "录入订单", "en": "Enter an order"},
    "merchant_new_order_note": {
        "zh": "与接口 POST /v1/orders 相同：订单号用于防重复，同一订单号只记一次。"
              "会员编号用贵店自己的编号，公开账本里只出现随机化名。",
        "en": "The same as POST /v1/orders: the order id keeps an order from being "
              "recorded twice. Name the customer by your own id; the public log shows only "
              "a random pseudonym."},
    "merchant_order_id_blank": {"zh": "留空则自动生成", "en": "left blank: one is made up"},
    "merchant_campaign": {"zh": "活动（可不填）", "en": "Campaign (optional)"},
    "merchant_confirm_order": {"zh": "确认录入订单", "en": "Confirm the order"},
    "merchant_order_preview_note": {
        "zh": "以下是按现行规则试算的结果，尚未记录。确认后才写入账本。",
        "en": "Worked out by the rules in force now; nothing is recorded until you confirm."},
    "merchant_injection_now": {"zh": "注入收益池（按现行规则）",
                               "en": "Into the pool (rules of now)"},
    "merchant_points_now": {"zh": "顾客获得积分（按现行规则）",
                            "en": "Points for the customer (rules of now)"},
    "merchant_multiplier": {"zh": "活动倍数", "en": "Campaign multiplier"},
    "merchant_settles_later": {
        "zh": "这笔订单在结算时间之前可以退款；结算时按那时的规则注入收益池、发放积分，"
              "数字可能与上面不同。",
        "en": "The order can be refunded until it settles; it settles under the rules in "
              "force then, so the figures may differ from these."},
    "merchant_settles_now": {
        "zh": "退款期为 0 天：确认后订单立即结算，注入收益池、发放积分，之后不能退款。",
        "en": "The refund window is 0 days: once confirmed, the order settles at once (the "
              "pool grows, the points are minted) and cannot be refunded."},
    "merchant_order_done": {"zh": "订单已记录。", "en": "The order is recorded."},
    "merchant_order_replay": {
        "zh": "这笔订单之前已经记录过，这次没有重复记录。",
        "en": "This order was recorded before; it was not recorded again."},
    "merchant_see_order": {"zh": "查看这笔订单", "en": "See the order"},
    # refunds
    "merchant_confirm_refund": {"zh": "确认退款", "en": "Confirm the refund"},
    "merchant_refund_preview_note": {
        "zh": "退款后这笔订单不再结算：不会注入收益池，顾客也不会因此获得积分。退款不能撤销。",
        "en": "Once refunded the order never settles: nothing goes into the pool and the "
              "customer gets no points for it. A refund cannot be undone."},
    "merchant_refund_done": {"zh": "已退款，已写入账本。",
                             "en": "Refunded, and written to the log."},
    "merchant_refund_replay": {
        "zh": "这次退款之前已经提交过，没有重复提交。",
        "en": "This refund was sent before; it was not sent again."},
    "merchant_refund_window": {"zh": "退款期", "en": "Refund window"},
    "merchant_refund_window_zero": {
        "zh": "本平台现行的退款期为 0 天（规则 settle_days = 0）：订单一提交就结算，"
              "利润的一部分立即注入收益池，顾客立即获得积分，所以新订单不能在这里退款。"
              "结算后的退货退款由贵店与顾客在平台之外处理，已发放的积分不会收回。"
              "如需退款期，请联系平台运营方。",
        "en": "This program's refund window is 0 days (rule settle_days = 0): an order "
              "settles the moment it is reported (its profit share goes into the pool and "
              "the customer's points are minted at once), so new orders cannot be refunded "
              "here. A refund after settlement is between you and the customer, outside "
              "the program; the points minted stay. Ask the operator if you need a refund "
              "window."},
    "merchant_refund_window_days": {
        "zh": "订单提交后 {days} 天内为待结算状态，可以在这里退款；结算后不能再退款。",
        "en": "An order stays pending, and can be refunded here, for {days} days after it "
              "is reported; once it settles it cannot be refunded."},
    "merchant_back": {"zh": "返回商家后台", "en": "Back to the portal"},
    # charts
    "merchant_charts": {"zh": "经营趋势（按月）", "en": "Trends, by month"},
    "merchant_chart_orders": {"zh": "每月订单：新顾客与回头客",
                              "en": "Orders a month: new and returning customers"},
    "merchant_chart_value": {"zh": "每月客单价", "en": "Average order value a month"},
    "merchant_chart_repurchase": {"zh": "复购率（截至每月底）",
                                  "en": "Repurchase rate (by each month's end)"},
    "merchant_chart_retention": {"zh": "次月留存（按首购月份）",
                                 "en": "Ordered again the next month (by first order)"},
    "merchant_chart_empty": {"zh": "还没有订单，暂无图表。", "en": "No orders yet: no chart."},
    "merchant_chart_note": {
        "zh": "纵轴从 0 开始；把鼠标放在柱上可看具体数字，下面的表格列出全部数字。",
        "en": "Every axis starts at 0; hover over a bar for its figure; the tables below "
              "list every figure."},
    "merchant_referral_note": {
        "zh": "本平台不记录推荐关系（也不发推荐奖励），因此没有推荐占比可以显示。",
        "en": "The program records no referrals (it pays no referral rewards), so there is "
              "no referral share to show."},
    "merchant_series_new": {"zh": "新顾客", "en": "New customers"},
    "merchant_series_returning": {"zh": "回头客", "en": "Returning customers"},
    "merchant_series_value": {"zh": "客单价", "en": "Average order value"},
    "merchant_series_repurchase": {"zh": "复购率", "en": "Repurchase rate"},
    "merchant_series_retention": {"zh": "次月再次购买", "en": "Ordered again next month"},
}
