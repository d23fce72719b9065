"""Every string the pages show, in Chinese (the default) and English.

Pages call ``t("key")``; a test checks that every key a template uses is
here in both languages, and that no page shows text outside the catalogue
(besides data). The language is ``?lang=en|zh`` (remembered in a cookie),
else the cookie, else Chinese.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from ..texts import BURN_NOTE
from .cash_texts import CASH_TEXTS
from .console_texts import CONSOLE_TEXTS
from .explorer_texts import EXPLORER_TEXTS
from .merchant_texts import MERCHANT_TEXTS
from .passkeys_texts import PASSKEY_TEXTS
from .roles_texts import ROLES_TEXTS
from .wallet_texts import WALLET_TEXTS

LANGUAGES: Final = ("zh", "en")
DEFAULT: Final = "zh"

CATALOGUE: Final[dict[str, dict[str, str]]] = {
    "site_title": {"zh": "profitpool 区块浏览器", "en": "profitpool explorer"},
    "lang_switch": {"zh": "English", "en": "中文"},
    "home": {"zh": "首页", "en": "Home"},
    "pool": {"zh": "收益池", "en": "Pool"},
    "supply": {"zh": "流通积分", "en": "Points in circulation"},
    "price": {"zh": "积分价格", "en": "Price per point"},
    "value_per_point": {"zh": "每积分价值（按未销毁计）", "en": "Value per point (before burns)"},
    "burn_note": {"zh": BURN_NOTE.zh, "en": BURN_NOTE.en},
    "no_promise": {
        "zh": "本平台只陈述事实，不承诺任何收益；积分价格可能下跌。",
        "en": "This platform states facts and promises no return; the price can fall.",
    },
    "chart_title": {"zh": "价格与每积分价值（按区块）",
                    "en": "Price and value per point, by block"},
    "pool_chart_title": {"zh": "收益池（元，按区块）", "en": "The pool (CNY), by block"},
    "supply_chart_title": {"zh": "流通积分（按区块）", "en": "Points in circulation, by block"},
    "supply_note": {
        "zh": "积分只因消费而产生；提现、抵现、出局和销毁会减少积分。",
        "en": "Points are minted only by purchases; withdrawals, payments, exits and burns "
              "remove them.",
    },
    "chart_empty": {"zh": "还没有区块。", "en": "No blocks yet."},
    "latest_blocks": {"zh": "最新区块", "en": "Latest blocks"},
    "latest_entries": {"zh": "最新记录", "en": "Latest entries"},
    "height": {"zh": "高度", "en": "Height"},
    "time": {"zh": "时间", "en": "Time"},
    "entries": {"zh": "记录数", "en": "Entries"},
    "tree_size": {"zh": "树大小", "en": "Tree size"},
    "root": {"zh": "默克尔根", "en": "Merkle root"},
    "index": {"zh": "序号", "en": "Index"},
    "command": {"zh": "指令", "en": "Command"},
    "effects": {"zh": "效果", "en": "Effects"},
    "block": {"zh": "区块", "en": "Block"},
    "entry": {"zh": "记录", "en": "Entry"},
    "prev_hash": {"zh": "上一区块哈希", "en": "Previous block hash"},
    "header_hash": {"zh": "区块哈希", "en": "Block hash"},
    "state_digest": {"zh": "状态摘要", "en": "State digest"},
    "signature": {"zh": "运营方签名", "en": "Operator's signature"},
    "checkpoint": {"zh": "签名检查点", "en": "Signed checkpoint"},
    "anchored": {"zh": "链上锚定", "en": "Anchored on chain"},
    "disclosures": {"zh": "月度公示", "en": "Monthly disclosures"},
    "disclosures_intro": {
        "zh": "每个月结束后发布报告；报告 JSON 的 SHA-256 与负债证明（Merkle-sum 树）的根"
              "记录在日志中，事后修改的报告将与日志不符。",
        "en": "Each month is reported once it is over; the SHA-256 of the report's JSON and the "
              "root of the proof of liabilities (a Merkle-sum tree) are recorded in the log, so "
              "a report changed later no longer matches it."},
    "report": {"zh": "报告", "en": "Report"},
    "pol_root": {"zh": "负债证明根", "en": "Proof-of-liabilities root"},
    "pol_total": {"zh": "持有总价值（元）", "en": "All holdings (CNY)"},
    "log_entry": {"zh": "日志条目", "en": "Log entry"},
    "report_mismatch": {"zh": "与日志不符", "en": "does not match the log"},
    "not_recorded": {"zh": "尚未记录", "en": "not recorded"},
    "no_disclosures": {"zh": "尚无公示。", "en": "No month disclosed yet."},
    "custody": {"zh": "托管账户余额", "en": "Custody account"},
    "custody_amount": {"zh": "托管金额（元）", "en": "Held (CNY)"},
    "shortfall": {"zh": "缺口（元）", "en": "Shortfall (CNY)"},
    "reference": {"zh": "依据", "en": "Reference"},
    "no_custody": {"zh": "尚无托管记录。", "en": "No custody figure recorded yet."},
    "pol_check": {"zh": "核对我的持有是否计入", "en": "Check that my holding was counted"},
    "pol_check_intro": {
        "zh": "粘贴钱包或接口给出的证明（JSON）与该月的根；"
              "校验完全在浏览器中进行（WebCrypto），无需信任本站。",
        "en": "Paste the proof (JSON) your wallet or the API gave you and the month's root; it "
              "is checked in your browser (WebCrypto), without trusting this server."},
    "pol_proof": {"zh": "证明（JSON）", "en": "Proof (JSON)"},
    "wallet_pol_intro": {
        "zh": "下载某月的负债证明，在“公示”页面用浏览器核对，或运行 profitpool pol verify。",
        "en": "Download a month's proof of liabilities and check it on the Disclosures page in "
              "your browser, or with profitpool pol verify."},
    "pol_check_button": {"zh": "校验", "en": "Check"},
    "anchor_chain": {"zh": "链 ID", "en": "chain"},
    "anchor_contract": {"zh": "合约", "en": "contract"},
    "anchor_tx": {"zh": "交易", "en": "transaction"},
    "anchor_number": {"zh": "锚定序号", "en": "anchor"},
    "anchor_latest": {"zh": "最近一次锚定", "en": "Latest anchor"},
    "not_anchored": {"zh": "此区块的检查点尚未锚定到链上（下一次锚定会覆盖它）。",
                     "en": "This block's checkpoint is not anchored itself (the next anchor "
                           "covers it)."},
    "not_anchored_any": {"zh": "本日志尚未锚定到任何区块链。",
                         "en": "This log is not anchored on any chain yet."},
    "anchor_note": {
        "zh": "锚定后，运营方无法在不被发现的情况下改写此前的记录：任何人都可以用 "
              "profitpool verify --rpc 核对。锚定不能证明运营方上报了每一笔订单。",
        "en": "Once anchored, the operator cannot rewrite earlier records unnoticed: anyone can "
              "check with profitpool verify --rpc. Anchoring does not prove the operator "
              "reported every order."},
    "leaf_hash": {"zh": "叶子哈希", "en": "Leaf hash"},
    "inclusion_proof": {"zh": "包含证明", "en": "Inclusion proof"},
    "verify_button": {"zh": "在浏览器中验证", "en": "Verify in this browser"},
    "verify_ok": {
        "zh": "验证通过：该记录在运营方签名的默克尔树中。",
        "en": "Verified: this entry is in the Merkle tree the operator signed.",
    },
    "verify_failed": {"zh": "验证失败：", "en": "Verification failed:"},
    "public_key": {"zh": "运营方公钥", "en": "Operator's public key"},
    "not_found": {"zh": "没有找到。", "en": "Not found."},
    "database_unavailable": {
        "zh": "数据库暂时无法使用，这一页现在打不开。请稍后刷新；您的积分和记录都不受影响。",
        "en": "The database is unavailable just now, so this page cannot be shown. Reload "
              "in a moment; your points and records are not affected.",
    },
    "previous": {"zh": "上一个", "en": "Previous"},
    "next": {"zh": "下一个", "en": "Next"},
    "live": {"zh": "实时更新", "en": "Live"},
    "disclosures_nav": {"zh": "公示", "en": "Disclosures"},
    "wallet": {"zh": "我的钱包", "en": "My wallet"},
    "wallet_login": {"zh": "用会员密钥登录", "en": "Sign in with your member key"},
    "api_key": {"zh": "密钥", "en": "Key"},
    "sign_in": {"zh": "登录", "en": "Sign in"},
    "sign_out": {"zh": "退出", "en": "Sign out"},
    "bad_key": {"zh": "这个密钥不能在这里登录。", "en": "This key cannot sign in here."},
    "merchant_portal": {"zh": "商家后台", "en": "Merchant portal"},
    "merchant_login": {"zh": "用商家密钥登录", "en": "Sign in with your merchant key"},
    "contributed": {"zh": "注入收益池", "en": "Put into the pool"},
    "received": {"zh": "积分抵现收入", "en": "Received for points spent"},
    "orders": {"zh": "订单", "en": "Orders"},
    "customers": {"zh": "顾客", "en": "Customers"},
    "repurchase_rate": {"zh": "复购率", "en": "Repurchase rate"},
    "average_order_value": {"zh": "客单价", "en": "Average order value"},
    "cohorts": {"zh": "按首购月份的留存", "en": "Retention by month of first order"},
    "cohort_month": {"zh": "首购月份", "en": "First order"},
    "months_later": {"zh": "之后第 N 个月再次购买", "en": "Ordered again N months later"},
    "new_vs_returning": {"zh": "新顾客与回头客", "en": "New and returning customers"},
    "month": {"zh": "月份", "en": "Month"},
    "new_customers": {"zh": "新顾客订单", "en": "Orders by new customers"},
    "returning_customers": {"zh": "回头客订单", "en": "Orders by returning customers"},
    "new_share": {"zh": "新顾客占比", "en": "New customers' share"},
    "amount": {"zh": "金额", "en": "Amount"},
    "profit": {"zh": "利润", "en": "Profit"},
    "status": {"zh": "状态", "en": "Status"},
    "member": {"zh": "会员", "en": "Member"},
    "refund": {"zh": "退款", "en": "Refund"},
    "console": {"zh": "运营控制台", "en": "Operator console"},
    "console_login": {"zh": "用管理员密钥登录", "en": "Sign in with an admin key"},
    "health": {"zh": "收益池健康", "en": "The pool's health"},
    "holdings_total": {"zh": "全部持仓价值（同时兑付）", "en": "All holdings, paid at once"},
    "cover": {"zh": "收益池减全部持仓", "en": "Pool less all holdings"},
    "not_covered": {"zh": "收益池不足以同时兑付全部持仓！",
                    "en": "The pool does not cover every holding!"},
    "withdrawn_today": {"zh": "今日已提现", "en": "Withdrawn today"},
    "cap": {"zh": "今日上限", "en": "Today's cap"},
    "no_cap": {"zh": "无上限", "en": "no cap"},
    "rule_off": {"zh": "不设", "en": "none (off)"},
    "yes": {"zh": "是", "en": "yes"},
    "no": {"zh": "否", "en": "no"},
    "exits_this_month": {"zh": "本月出局批次", "en": "Lots forced out this month"},
    "top_share": {"zh": "最大持有人占比（前 10 名）", "en": "Largest 10 holders' share"},
    "rules": {"zh": "规则", "en": "Rules"},
    "rule": {"zh": "规则项", "en": "Rule"},
    "current": {"zh": "当前", "en": "Now"},
    "new_value": {"zh": "新值", "en": "New"},
    "review_changes": {"zh": "检查修改", "en": "Review the changes"},
    "confirm_rules": {
        "zh": "确认修改规则（从下一条指令起生效，写入日志）",
        "en": "Confirm the rule changes (they apply from the next command on, as a log entry)",
    },
    "no_changes": {"zh": "没有修改。", "en": "Nothing changed."},
    "merchants": {"zh": "商家", "en": "Merchants"},
    "lenders": {"zh": "贷款机构", "en": "Lenders"},
    "campaigns": {"zh": "活动", "en": "Campaigns"},
    "keys": {"zh": "API 密钥", "en": "API keys"},
    "role": {"zh": "角色", "en": "Role"},
    "party": {"zh": "绑定对象", "en": "Bound to"},
    "label": {"zh": "备注", "en": "Label"},
    "create_key": {"zh": "创建密钥", "en": "Create a key"},
    "revoke": {"zh": "吊销", "en": "Revoke"},
    "revoked": {"zh": "已吊销", "en": "revoked"},
    "key_shown_once": {
        "zh": "这是新密钥，只显示这一次；系统只保存它的哈希。",
        "en": "This is the new key. It is shown this once; only its hash is kept.",
    },
    "webhooks": {"zh": "事件通知（Webhook）", "en": "Webhooks"},
    "webhooks_note": {
        "zh": "每个事件签名后推送到这些地址（Standard Webhooks）；失败按指数退避重试最长 3 天，"
              "之后停用并通知管理员。新地址只接收此后的事件；可重放任意区间。",
        "en": "Each event is signed and sent to these addresses (Standard Webhooks); a "
              "failure is retried with backoff for up to 3 days, then the endpoint is "
              "disabled and the admin told. A new endpoint hears events from now on; any "
              "range can be replayed.",
    },
    "webhooks_private_allowed": {
        "zh": "本服务允许推送到内网地址（回环、私有、链路本地等）：由运营方设置 "
              "--allow-private-webhooks 开启。",
        "en": "This service lets webhooks go to addresses that are not public (loopback, "
              "private, link-local, ...): the operator turned on --allow-private-webhooks.",
    },
    "webhooks_private_refused": {
        "zh": "只推送到公网地址：内网地址（回环、私有、链路本地等）在登记时和每次推送前"
              "都会被拒绝。",
        "en": "Webhooks go to public addresses only: addresses that are not public (loopback, "
              "private, link-local, ...) are refused at registration and before every "
              "delivery.",
    },
    "owner": {"zh": "所属", "en": "Owner"},
    "event_types": {"zh": "事件类型", "en": "Event types"},
    "add_webhook": {"zh": "添加地址", "en": "Add endpoint"},
    "told_up_to": {"zh": "已推送至", "en": "Told up to"},
    "disabled": {"zh": "已停用", "en": "disabled"},
    "healthy": {"zh": "正常", "en": "healthy"},
    "failing_since": {"zh": "失败始于", "en": "failing since"},
    "replaying": {"zh": "重放中", "en": "replaying"},
    "disable": {"zh": "停用", "en": "Disable"},
    "enable": {"zh": "启用", "en": "Enable"},
    "replay": {"zh": "重放", "en": "Replay"},
    "from": {"zh": "从", "en": "from"},
    "to": {"zh": "到", "en": "to"},
    "rotate_secret": {"zh": "更换密钥", "en": "Rotate secret"},
    "delete": {"zh": "删除", "en": "Delete"},
    "webhook_secret_once": {
        "zh": "这是签名密钥，只显示这一次。接收方用它校验每次推送的 webhook-signature。",
        "en": "This is the signing secret, shown this once. Receivers check each "
              "delivery's webhook-signature with it.",
    },
    "back": {"zh": "返回", "en": "Back"},
    "deliveries": {"zh": "推送记录", "en": "Delivery log"},
    "event": {"zh": "事件", "en": "Event"},
    "outcome": {"zh": "结果", "en": "Outcome"},
    "detail": {"zh": "详情", "en": "Detail"},
    "burns": {"zh": "销毁", "en": "Burns"},
    "period": {"zh": "月份", "en": "Period"},
    "burn_month": {"zh": "销毁该月", "en": "Burn that month"},
    "multiplier": {"zh": "倍数", "en": "Multiplier"},
    "start": {"zh": "开始", "en": "Start"},
    "end": {"zh": "结束", "en": "End"},
    "name": {"zh": "名称", "en": "Name"},
    "add": {"zh": "添加", "en": "Add"},
    "industry": {"zh": "行业", "en": "Industry"},
    "rules_in_force": {"zh": "现行规则", "en": "The rules in force"},
    "rules_history": {"zh": "规则修改记录", "en": "Every change of the rules"},
    "rules_note": {
        "zh": "规则修改从下一条指令起生效；每个批次保留它产生时的出局倍数和基准。",
        "en": "A change applies from the next command on; each lot keeps the exit multiple "
              "and basis in force when it was minted.",
    },
    "verify_title": {"zh": "如何自己验证全部记录", "en": "How to verify the whole log yourself"},
    "verify_intro": {
        "zh": "任何人都可以用同一个开源引擎从头重放全部记录，检查每一个价格和每一笔兑付。",
        "en": "Anyone can replay every entry from the first with the same open-source engine "
              "and check every price and every payout.",
    },
    "verify_step1": {"zh": "安装 profitpool:", "en": "Install profitpool:"},
    "verify_step2": {
        "zh": "取得记录数据库的副本（运营方公开提供），以及运营方公布的公钥：",
        "en": "Get a copy of the log's database (the operator publishes it) and the "
              "operator's published key:",
    },
    "verify_step3": {
        "zh": "重放并检查：每条记录的效果、叶子哈希、默克尔根、状态摘要、区块哈希和签名。",
        "en": "Replay and check every entry's effects, leaf hash, Merkle root, state digest, "
              "block hash and signature:",
    },
    "verify_step4": {
        "zh": "结果是一行 OK 加上计数；任何不一致都会指出第一处（区块、记录、字段）"
              "并以非零状态退出。",
        "en": "It prints one OK line with counts, or names the first divergence (block, entry, "
              "field) and exits non-zero.",
    },
    "verify_step5": {
        "zh": "单条记录可以在记录页面直接用浏览器验证；第三方工具可以按 C2SP tlog-tiles 跟随日志：",
        "en": "A single entry can be checked in the browser on its page; third-party tools can "
              "follow the log as C2SP tlog-tiles:",
    },
    "member_lookup": {"zh": "按化名查询会员", "en": "Look a member up by pseudonym"},
    "pseudonym": {"zh": "化名", "en": "Pseudonym"},
    "your_pseudonym": {"zh": "你的公开化名", "en": "Your public pseudonym"},
    "pseudonym_explained": {
        "zh": "公开账本里只用这个随机化名记你的每一笔，不出现你的编号、手机号或姓名。"
              "点开化名可看到账本里关于你的全部记录，每条都能对照签名的账本根核对。",
        "en": "The public log records everything of yours under this random pseudonym "
              "only: never your number, phone or name. Open it to see every entry about "
              "you; each one checks against the log's signed root."},
    "export_mine": {"zh": "下载我的全部数据（可离线核对）",
                    "en": "Download all my data (checkable offline)"},
    "look_up": {"zh": "查询", "en": "Look up"},
    "analytics_note": {
        "zh": "只根据本商家自己的订单计算；已退款订单不计。",
        "en": "Computed from this merchant's own orders only; refunded orders do not count.",
    },
    "points": {"zh": "积分", "en": "Points"},
    "value": {"zh": "价值", "en": "Value"},
    "paid": {"zh": "收益池已付给您", "en": "Paid to you by the pool"},
    "lots": {"zh": "积分批次", "en": "Lots"},
    "lot": {"zh": "批次", "en": "Lot"},
    "cost": {"zh": "消费金额", "en": "Spent"},
    "exit_target": {"zh": "出局目标", "en": "Exit target"},
    "exit_progress": {"zh": "出局进度", "en": "Progress to exit"},
    "exit_explained": {
        "zh": "批次价值达到目标时会被自动兑付（按兑付比例），不是承诺：价格可能下跌。",
        "en": "A lot is redeemed automatically (at the payout rate) when its value reaches "
              "its target. This is not a promise: the price can fall.",
    },
    "history": {"zh": "记录", "en": "History"},
    "withdraw": {"zh": "提现", "en": "Withdraw"},
    "pay": {"zh": "积分抵现", "en": "Pay with points"},
    "merchant": {"zh": "商家", "en": "Merchant"},
    "points_or_all": {"zh": "积分数（或 all）", "en": "Points (or all)"},
    "preview": {"zh": "预览", "en": "Preview"},
    "confirm": {"zh": "确认", "en": "Confirm"},
    "cancel": {"zh": "取消", "en": "Cancel"},
    "will_pay": {"zh": "将支付", "en": "Will be paid"},
    "will_owe": {"zh": "将欠付给您", "en": "Will be owed to you"},
    "withdraw_owed_note": {
        "zh": "确认后，这笔钱不会马上到账：它先记为平台欠您的钱（待付给您），"
              "在运营方下一次付款时汇到您的银行账户。是否到账，请看钱包里的“现金往来”。",
        "en": "Once you confirm, the money does not reach you at once: it is owed to you "
              "and sent to your bank account in the operator's next payout run. Its status "
              "shows under \"Cash\" in your wallet."},
    "withdraw_done": {
        "zh": "提现已写入日志。这笔钱现在是平台欠您的钱，将在运营方下一次付款时汇到您的银行"
              "账户；到账情况见钱包里的“现金往来”。",
        "en": "The withdrawal is written to the log. The money is now owed to you and will "
              "be sent to your bank account in the operator's next payout run; its status "
              "shows under \"Cash\" in your wallet."},
    "owed_now": {"zh": "现在欠付给您", "en": "Now owed to you"},
    "see_cash": {"zh": "查看现金往来", "en": "See your cash"},
    "stays_in_pool": {"zh": "留在收益池", "en": "Stays in the pool"},
    "confirm_withdraw": {"zh": "确认提现", "en": "Confirm the withdrawal"},
    "confirm_pay": {"zh": "确认抵现", "en": "Confirm the payment"},
    "done": {"zh": "已完成，已写入日志。", "en": "Done, and written to the log."},
    "refused": {"zh": "被拒绝：", "en": "Refused:"},
    "cash": {"zh": "现金往来", "en": "Cash"},
    "cash_owed": {"zh": "待付给您（尚未汇出）", "en": "Owed to you (not sent yet)"},
    "cash_in_flight": {"zh": "在途（已汇往您的银行）", "en": "In flight to your bank"},
    "cash_settled": {"zh": "已到账", "en": "Reached your account"},
    "cash_note": {
        "zh": "收益池付给您的钱先记为“待付给您”；运营方付款时汇往您的银行账户（在途）；"
              "银行确认后才算“已到账”。",
        "en": "What the pool pays you is first owed to you; the operator's payout sends it "
              "to your bank (in flight); it has reached you only once the bank confirms it."},
    "cash_returned_note": {
        "zh": "银行退回的钱（例如账户已注销）仍然是您的：重新记为待付给您，绝不回到收益池。",
        "en": "Money the bank sends back (a closed account, say) stays yours: it is owed to "
              "you again and never goes back into the pool."},
    "payouts": {"zh": "付款记录", "en": "Payouts"},
    "sent_on": {"zh": "汇出日期", "en": "Sent"},
    "bank_reference": {"zh": "银行参考号", "en": "Bank's reference"},
    "payout_in_flight": {"zh": "在途", "en": "In flight"},
    "payout_settled": {"zh": "已到账", "en": "Reached the account"},
    "payout_returned": {"zh": "已退回", "en": "Returned"},
    "return_reason": {"zh": "退回原因：", "en": "Returned because:"},
    "no_payouts": {"zh": "还没有付款记录。", "en": "No payouts yet."},
    "owed_total": {"zh": "待付（尚未汇出）", "en": "Owed (not sent yet)"},
    "in_flight_total": {"zh": "在途（银行尚未确认）", "en": "In flight (bank not confirmed)"},
    "settled_total": {"zh": "已到账", "en": "Reached accounts"},
    "custody_needed": {"zh": "托管账户至少应有", "en": "Custody must hold at least"},
    "custody_rule": {
        "zh": "兑付给会员、商家和贷款机构的钱离开收益池后，在汇到对方账户之前仍由托管账户保管："
              "托管账户至少要有 收益池 + 待付 + 在途。",
        "en": "Money paid to members, merchants and lenders leaves the pool but stays in "
              "custody until it reaches their accounts: custody must hold the pool + owed + "
              "in flight."},
    "lender_portal": {"zh": "贷款机构后台", "en": "Lender portal"},
    "lender_login": {"zh": "用贷款机构密钥登录", "en": "Sign in with your lender key"},
    "pledges": {"zh": "质押", "en": "Pledges"},
    "lender_received": {"zh": "收益池付给您（处置质押、出局）",
                        "en": "Paid to you by the pool (seizures, exits)"},
    "pledge": {"zh": "质押编号", "en": "Pledge"},
    "loan": {"zh": "贷款", "en": "Loan"},
    "repaid": {"zh": "已收回", "en": "Repaid"},
    "pledge_active": {"zh": "质押中", "en": "Active"},
    "pledge_released": {"zh": "已解除", "en": "Released"},
    "pledge_seized": {"zh": "已处置", "en": "Seized"},
    "pledge_exited": {"zh": "已出局兑付", "en": "Exited"},
    "no_pledges": {"zh": "还没有质押。", "en": "No pledges yet."},
    "what_happened": {"zh": "发生了什么", "en": "What happened"},
    "cross_site": {
        "zh": "已拒绝：这个请求不是从本站的页面发出的（缺少或不符的 Origin/Referer）。"
              "请回到本站页面再操作。",
        "en": "Refused: this request did not come from this site's own pages (its Origin or "
              "Referer is missing or another site's). Go back to the page and try again.",
    },
    "sessions": {"zh": "登录会话", "en": "Sign-in sessions"},
    "sessions_note": {
        "zh": "钱包、商家后台、贷款机构后台和控制台当前的登录。会话闲置或到期后自动结束，"
              "吊销其密钥也会立即结束它。",
        "en": "Who is signed in to the wallet, the merchant and lender portals and the "
              "console. A session ends when idle or at the end of its lifetime, and at once "
              "when its key is revoked.",
    },
    "area": {"zh": "页面", "en": "Area"},
    "wallet_area": {"zh": "会员钱包", "en": "Members' wallet"},
    "role_admin": {"zh": "管理员", "en": "Admin"},
    "role_auditor": {"zh": "审计", "en": "Auditor"},
    "role_merchant": {"zh": "商家", "en": "Merchant"},
    "role_member": {"zh": "会员", "en": "Member"},
    "role_lender": {"zh": "贷款机构", "en": "Lender"},
    "browser": {"zh": "浏览器", "en": "Browser"},
    "signed_in_at": {"zh": "登录时间", "en": "Signed in"},
    "last_seen": {"zh": "最近使用", "en": "Last seen"},
    "session_ends": {"zh": "结束时间（若不再使用）", "en": "Ends (if not used again)"},
    "this_session": {"zh": "当前会话", "en": "this session"},
    "end_session": {"zh": "结束会话", "en": "End"},
    "no_sessions": {"zh": "没有登录会话。", "en": "No one is signed in."},
    **MERCHANT_TEXTS,
}


assert not CATALOGUE.keys() & CASH_TEXTS.keys()
CATALOGUE.update(CASH_TEXTS)
assert not CATALOGUE.keys() & ROLES_TEXTS.keys()
CATALOGUE.update(ROLES_TEXTS)
assert not CATALOGUE.keys() & WALLET_TEXTS.keys()
CATALOGUE.update(WALLET_TEXTS)
assert not CATALOGUE.keys() & EXPLORER_TEXTS.keys()
CATALOGUE.update(EXPLORER_TEXTS)
assert not CATALOGUE.keys() & CONSOLE_TEXTS.keys()
CATALOGUE.update(CONSOLE_TEXTS)
assert not CATALOGUE.keys() & PASSKEY_TEXTS.keys()
CATALOGUE.update(PASSKEY_TEXTS)


def translator(language: str) -> Callable[[str], str]:
    """``t(key)`` in ``language``.

    Raises:
        KeyError: for a key that is not in the catalogue (a test catches it first).
    """
    return lambda key: CATALOGUE[key][language]


def choose(query: str | None, cookie: str | None) -> str:
    for candidate in (query, cookie):
        if candidate in LANGUAGES:
            return candidate
    return DEFAULT
