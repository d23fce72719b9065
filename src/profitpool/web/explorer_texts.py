"""The explorer's strings (its charts, entry and block pages, /verify and the proof checks
in the browser), in Chinese and English; merged into the catalogue by web/i18n.py.

``story_*`` are the sentences that tell what a log entry did (web/entry_story.py): each
``{name}`` is filled with a value from the entry's effects, shown as itself (an amount, a
member's pseudonym linked to their page, a merchant's name)."""

from __future__ import annotations

from typing import Final

EXPLORER_TEXTS: Final[dict[str, dict[str, str]]] = {
    # navigation
    "explorer_docs_nav": {"zh": "接口文档", "en": "API docs"},
    # the front page's charts
    "explorer_price_chart": {"zh": "积分价格与每积分价值", "en": "Price and value per point"},
    "explorer_pool_chart": {"zh": "收益池", "en": "The pool"},
    "explorer_supply_chart": {"zh": "流通积分", "en": "Points in circulation"},
    "explorer_chart_span": {"zh": "（北京时间；第一个区块到最新区块，区块多时均匀取样）",
                            "en": "(Beijing time; the first block to the newest, sampled "
                                  "evenly when there are many)"},
    "explorer_chart_not_zero": {
        "zh": "纵轴从 {base} 起，不从 0 起：线的起伏看起来比实际大。",
        "en": "The value axis starts at {base}, not at 0: rises and falls look larger than "
              "they are."},
    "explorer_value_explained": {
        "zh": "一个从未经历销毁的积分现在值多少（持有的价值按它计算）。",
        "en": "What a point that has been through no burn is worth now (holdings are valued "
              "by it)."},
    # an entry
    "entry_in_block": {"zh": "所在区块", "en": "In block"},
    "entry_previous": {"zh": "← 上一条", "en": "← Previous entry"},
    "entry_next": {"zh": "下一条 →", "en": "Next entry →"},
    "entry_newest": {"zh": "这是最新的一条记录。", "en": "This is the newest entry."},
    "entry_members": {"zh": "涉及的会员：", "en": "Members concerned:"},
    "entry_as_recorded": {"zh": "原始记录（JSON：签名的就是它）",
                          "en": "The entry as recorded (JSON: this is what is signed)"},
    "entry_key_label": {
        "zh": "运营方公布的公钥（可选：粘贴您从运营方公告等别处取得的公钥，就不必信任本站给出的）",
        "en": "The operator's published key (optional: paste the key you got elsewhere, "
              "such as the operator's announcement, so as not to trust the one this server "
              "shows)"},
    "entry_key_served": {"zh": "（用本站给出的公钥核对）",
                         "en": "(checked with the key this server shows)"},
    "entry_key_pasted": {"zh": "（用您粘贴的公钥核对）", "en": "(checked with the key you pasted)"},
    "verify_error_key": {"zh": "公钥格式不对（应为 名称+密钥编号+base64）。",
                         "en": "The key is not a key (name+key id+base64)."},
    "verify_error_unsigned": {"zh": "检查点没有签名。", "en": "The checkpoint has no signature."},
    "verify_error_signature": {"zh": "运营方的签名不成立。",
                               "en": "The operator's signature does not verify."},
    "verify_error_other_key": {"zh": "检查点不是用这个公钥签名的。",
                               "en": "The checkpoint is not signed by this key."},
    "verify_error_size": {"zh": "检查点的树大小与证明不符。",
                          "en": "The checkpoint is for another tree size."},
    "verify_error_proof": {"zh": "包含证明的长度或位置不对。",
                           "en": "The inclusion proof has the wrong length or position."},
    "verify_error_root": {"zh": "证明推不出签名的默克尔根：这条记录或证明被改过。",
                          "en": "The proof does not lead to the signed root: the entry or the "
                                "proof was changed."},
    "verify_error_browser": {"zh": "这个浏览器在此页面不支持所需的 WebCrypto（Ed25519）。",
                             "en": "This browser offers no WebCrypto with Ed25519 here."},
    # a block
    "block_previous": {"zh": "← 上一个区块", "en": "← Previous block"},
    "block_next": {"zh": "下一个区块 →", "en": "Next block →"},
    "block_newest": {"zh": "这是最新的区块。", "en": "This is the newest block."},
    "block_page_entries": {"zh": "本页记录", "en": "Entries on this page"},
    "block_earlier_entries": {"zh": "← 前面的记录", "en": "← Earlier entries"},
    "block_later_entries": {"zh": "后面的记录 →", "en": "Later entries →"},
    "block_what": {"zh": "内容", "en": "What happened"},
    # /verify
    "verify_install": {
        "zh": "安装 profitpool。它还没有发布到 PyPI（不要用 pip install profitpool），"
              "请从源代码安装（需要 Python 3.11 或更高版本和 git）：",
        "en": "Install profitpool. It is not published on PyPI yet (pip install profitpool "
              "will not work): install it from its source (Python 3.11 or later, and git):"},
    "verify_repository": {
        "zh": "把 REPOSITORY 换成 profitpool 源代码仓库的地址（向运营方索取，或用您信任的副本）。",
        "en": "Replace REPOSITORY with the address of profitpool's source repository (ask "
              "the operator for it, or use a copy you trust)."},
    "verify_download": {
        "zh": "下载本站日志的公开副本：它只有公开的记录、区块、瓦片和签名，"
              "没有任何密钥、登录会话或会员身份。",
        "en": "Download the public copy of this server's log: it holds the public entries, "
              "blocks, tiles and signatures only, no key, no sign-in and no member's "
              "identity."},
    "verify_download_link": {"zh": "下载公开副本（SQLite 文件）",
                             "en": "Download the public copy (an SQLite file)"},
    "verify_copy_fresh": {
        "zh": "副本最多每分钟重新生成一次；每个副本都是生成那一刻的完整日志。",
        "en": "The copy is made again at most once a minute; each copy is the whole log as "
              "it stood when it was made."},
    "verify_run": {
        "zh": "用运营方公布的公钥重放并检查每条记录的效果、叶子哈希、默克尔根、状态摘要、"
              "区块哈希和签名（在下载副本的文件夹里运行）：",
        "en": "Replay it and check every entry's effects, leaf hash, Merkle root, state "
              "digest, block hash and signature against the operator's published key (run "
              "it in the folder you downloaded the copy to):"},
    "verify_key_source": {
        "zh": "公钥请以运营方公告为准，不要只信任本站；本站现在给出的公钥是：",
        "en": "Take the key from the operator's announcement, not from this server alone; "
              "this server shows:"},
    "verify_browser_check": {
        "zh": "单条记录可以在它的页面上用浏览器核对，也可以粘贴您自己取得的公钥来核对。",
        "en": "A single entry can be checked in the browser on its page, with a key you "
              "paste yourself if you like."},
    "verify_result": {
        "zh": "结果是一行 OK 加上计数；任何不一致都会指出第一处（区块、记录、字段），"
              "并以非零状态退出。",
        "en": "It prints one OK line with counts, or names the first divergence (block, "
              "entry, field) and exits non-zero."},
    "verify_follow": {
        "zh": "第三方工具可以按 C2SP tlog-tiles 跟随这个日志：",
        "en": "Third-party tools can follow the log as C2SP tlog-tiles:"},
    # the proof of liabilities checked in the browser (pol_check.js)
    "pol_ok": {"zh": "核对通过：您的持有 {amount} 计入了 {period} 的负债证明。",
               "en": "Checked: your holding of {amount} is counted in the proof of "
                     "liabilities of {period}."},
    "pol_ok_without_root": {
        "zh": "没有填写该月公布的根，只核对了证明自身是否一致；填写根才能确认它属于那次公示。",
        "en": "No published root was given, so only the proof's own consistency was "
              "checked; give the month's root to know it belongs to that disclosure."},
    "pol_failed": {"zh": "核对失败：", "en": "Check failed:"},
    "pol_detail": {"zh": "技术细节（英文）：", "en": "Details:"},
    "pol_error_browser": {"zh": "这个浏览器在此页面不提供 WebCrypto（页面须经 HTTPS 打开）。",
                          "en": "This browser offers no WebCrypto here (the page must be "
                                "HTTPS)."},
    "pol_error_json": {"zh": "粘贴的内容不是 JSON。", "en": "What was pasted is not JSON."},
    "pol_error_shape": {"zh": "这不是本系统生成的负债证明（字段或格式不对）。",
                        "en": "This is not a proof of liabilities as profitpool writes it "
                              "(fields or format are wrong)."},
    "pol_error_range": {"zh": "证明中的金额超出允许范围。",
                        "en": "An amount in the proof is out of range."},
    "pol_error_sum": {"zh": "证明两部分之和与所申报的持有不符。",
                      "en": "The proof's two parts do not add up to the holding it states."},
    "pol_error_path": {"zh": "证明的路径与它在树中的位置不符。",
                       "en": "The proof's path does not fit its place in the tree."},
    "pol_error_parts": {"zh": "证明的两部分推出不同的根：证明被改过。",
                        "en": "The proof's two parts lead to different roots: it was changed."},
    "pol_error_root": {"zh": "重新计算的根与证明所写的不同：证明被改过。",
                       "en": "The recomputed root differs from the proof's own: it was "
                             "changed."},
    "pol_error_total": {"zh": "重新计算的总额与证明所写的不同：证明被改过。",
                        "en": "The recomputed total differs from the proof's own: it was "
                              "changed."},
    "pol_error_expected_root": {"zh": "证明的根不是您填写的该月公布的根。",
                                "en": "The proof's root is not the month's published root "
                                      "you gave."},
    "pol_error_expected_total": {"zh": "证明的总额不是该月公布的总额。",
                                 "en": "The proof's total is not the month's published total."},
    # what an entry did, in words (web/entry_story.py)
    "story_member": {"zh": "会员", "en": "member"},
    "story_merchant": {"zh": "商家", "en": "merchant"},
    "story_lender": {"zh": "贷款机构", "en": "lender"},
    "story_all_merchants": {"zh": "所有商家", "en": "every merchant"},
    "story_merchant_registered": {"zh": "登记商家 {name}（编号 {merchant}，行业：{industry}）。",
                                  "en": "Merchant {name} registered (id {merchant}, industry: "
                                        "{industry})."},
    "story_lender_registered": {"zh": "登记贷款机构 {name}（编号 {lender}）。",
                                "en": "Lender {name} registered (id {lender})."},
    "story_campaign_created": {
        "zh": "创建活动 {campaign}：{start} 至 {end}，在{merchant}消费获得的积分"
              "乘以 {multiplier}。",
        "en": "Campaign {campaign} created: from {start} to {end}, points earned at "
              "{merchant} are multiplied by {multiplier}."},
    "story_member_joined": {"zh": "会员 {member} 第一次出现在日志中。",
                            "en": "Member {member} appears in the log for the first time."},
    "story_order": {"zh": "会员 {member} 在 {merchant} 消费 {amount}，获得 {points} 积分，"
                          "收益池增加 {injection}。",
                    "en": "Member {member} spent {amount} at {merchant}, earned {points} "
                          "points, and the pool grew by {injection}."},
    "story_order_pending": {
        "zh": "会员 {member} 在 {merchant} 消费 {amount}（订单 {order}）；退款期到 {settles_at} "
              "结束，之后才产生积分、注入收益池。",
        "en": "Member {member} spent {amount} at {merchant} (order {order}); its refund "
              "window ends at {settles_at}, and only then does it earn points and feed the "
              "pool."},
    "story_order_settled": {
        "zh": "订单 {order} 的退款期已过，现已结算：收益池增加 {injection}，会员 {member} 获得 "
              "{points} 积分。",
        "en": "Order {order}'s refund window is over and it settled: the pool grew by "
              "{injection} and member {member} earned {points} points."},
    "story_order_settled_only": {
        "zh": "订单 {order} 已结算：收益池增加 {injection}。",
        "en": "Order {order} settled: the pool grew by {injection}."},
    "story_points_minted": {"zh": "会员 {member} 获得 {points} 积分（订单 {order}）。",
                            "en": "Member {member} earned {points} points (order {order})."},
    "story_order_refunded": {
        "zh": "{merchant} 为会员 {member} 的订单 {order} 退款 {amount}：这笔订单不产生积分，"
              "也不注入收益池。",
        "en": "{merchant} refunded {amount} of member {member}'s order {order}: it earns no "
              "points and puts nothing into the pool."},
    "story_withdrawn": {
        "zh": "会员 {member} 提现 {points} 积分，价值 {value}：应付给会员 {paid}"
              "（记为欠付，待汇到银行），其余留在收益池。",
        "en": "Member {member} cashed out {points} points worth {value}: {paid} is owed to "
              "them (to be sent to their bank); the rest stays in the pool."},
    "story_paid_at_merchant": {
        "zh": "会员 {member} 在 {merchant} 用 {points} 积分抵现 {paid}：收益池欠付给商家，待汇出。",
        "en": "Member {member} paid {paid} at {merchant} with {points} points: the pool owes "
              "it to the merchant, to be sent."},
    "story_burned": {
        "zh": "{period} 月度销毁：每个持有人的积分减少 {rate}；积分价格随之上升，"
              "任何持有的价值不变。",
        "en": "Monthly burn for {period}: every holding has {rate} fewer points; the price "
              "per point rises and no holding's value changes."},
    "story_transferred": {"zh": "会员 {sender} 把 {points} 积分转赠给会员 {receiver}。",
                          "en": "Member {sender} gave {points} points to member {receiver}."},
    "story_pledged": {
        "zh": "会员 {member} 把 {points} 积分质押给 {lender}，贷款 {loan}（质押编号 {pledge}）。",
        "en": "Member {member} pledged {points} points to {lender} for a loan of {loan} "
              "(pledge {pledge})."},
    "story_pledge_released": {
        "zh": "{lender} 解除质押 {pledge}：会员 {member} 的积分恢复可用。",
        "en": "{lender} released pledge {pledge}: member {member}'s points are free again."},
    "story_pledge_seized": {
        "zh": "{lender} 处置质押 {pledge}：兑付 {paid}，其中 {to_lender} 给贷款机构，"
              "{to_member} 给会员 {member}。",
        "en": "{lender} seized pledge {pledge}: {paid} was paid, {to_lender} to the lender "
              "and {to_member} to member {member}."},
    "story_lot_exited": {
        "zh": "会员 {member} 的第 {lot} 批积分达到出局目标，自动兑付 {paid}。",
        "en": "Member {member}'s lot {lot} reached its exit target and was redeemed for "
              "{paid}."},
    "story_lot_exited_pledged": {
        "zh": "会员 {member} 的第 {lot} 批积分（已质押）达到出局目标，自动兑付 {paid}："
              "{to_lender} 先付给贷款机构，{to_member} 给会员。",
        "en": "Member {member}'s pledged lot {lot} reached its exit target and was redeemed "
              "for {paid}: {to_lender} to the lender first, {to_member} to the member."},
    "story_rules_changed": {"zh": "运营方修改规则：{changes}。从下一条指令起生效。",
                            "en": "The operator changed the rules: {changes}. They apply from "
                                  "the next command on."},
    "story_custody_recorded": {
        "zh": "运营方申报托管账户余额 {amount}（依据 {reference}）；此时收益池 {pool_after}，"
              "缺口 {shortfall}。",
        "en": "The operator reported {amount} in the custody account (reference "
              "{reference}); the pool was {pool_after}, the shortfall {shortfall}."},
    "story_disclosure_published": {
        "zh": "发布 {period} 月度公示：负债证明总额 {pol_total}，报告 SHA-256 {report_sha256}。",
        "en": "The disclosure of {period} was published: proof-of-liabilities total "
              "{pol_total}, report SHA-256 {report_sha256}."},
    "story_member_erased": {
        "zh": "会员 {member} 的身份关联已删除：这个化名的记录保留，但不再指向任何人。",
        "en": "Member {member}'s link to a person was erased: the pseudonym's records stay "
              "and lead to no one."},
    "story_payout_sent": {
        "zh": "运营方向{party}汇出 {amount}（在途，等银行确认）；之后仍欠 {owed}。",
        "en": "The operator sent {amount} to {party} (in flight until the bank confirms); "
              "{owed} is still owed after it."},
    "story_payout_settled": {"zh": "银行确认汇款 {payout} 已到账：{party}收到 {amount}。",
                             "en": "The bank confirmed payout {payout}: {party} received "
                                   "{amount}."},
    "story_payout_returned": {
        "zh": "银行退回汇款 {payout}（{reason}）：{amount} 重新记为欠{party}，不回收益池。",
        "en": "The bank returned payout {payout} ({reason}): {amount} is owed to {party} "
              "again, not back in the pool."},
    "story_tick": {"zh": "时钟推进到 {at}；没有订单到期结算，也没有批次出局。",
                   "en": "The clock moved to {at}; no order became due and no lot exited."},
    "story_continues": {
        "zh": "本日志接续旧日志 {origin}（它的第 {tree_size} 条记录处，根 {root}）。",
        "en": "This log continues the log {origin} (at its {tree_size} entries, root "
              "{root})."},
}
