"""The lender portal's and the auditor's page's words (web/lender.py, web/auditor.py, templates
lender*.html and auditor*.html), in Chinese and English; i18n.py adds them to the catalogue.
Every key starts with ``lender_`` or ``auditor_``, so none can shadow a key of another page."""

from __future__ import annotations

from typing import Final

ROLES_TEXTS: Final[dict[str, dict[str, str]]] = {
    # the lender portal ------------------------------------------------------------------
    "lender_intro": {
        "zh": "会员把积分质押给您，作为贷款的抵押。下表按当前价格计算每笔质押的抵押价值，"
              "并与尚未收回的贷款相比。贷款还清后请解除质押；借款人违约时可以处置质押："
              "收益池按提现比例兑付这些积分，先付给您，最多到未收回的贷款，余下的归会员。",
        "en": "Members pledge points to you as collateral for loans. The table values each "
              "pledge's points at today's price, against what the loan still owes. Release a "
              "pledge once its loan is repaid; seize it if the borrower defaults: the pool "
              "redeems the points at the withdrawal rate and pays you first, up to what the "
              "loan still owes, and the member the rest."},
    "lender_active_count": {"zh": "质押中", "en": "Active pledges"},
    "lender_collateral_total": {"zh": "质押中的抵押价值合计", "en": "Collateral value, active"},
    "lender_outstanding_total": {"zh": "未收回贷款合计", "en": "Loans still owed, active"},
    "lender_pledged_points": {"zh": "质押积分（质押时）", "en": "Points pledged"},
    "lender_collateral_points": {"zh": "积分（现在）", "en": "Points now"},
    "lender_collateral_value": {"zh": "抵押价值（现价）", "en": "Collateral value now"},
    "lender_outstanding": {"zh": "未收回", "en": "Still owed"},
    "lender_coverage": {"zh": "覆盖率", "en": "Coverage"},
    "lender_coverage_note": {
        "zh": "覆盖率 = 抵押价值 ÷ 未收回的贷款。抵押价值随收益池和积分总数每天变化；"
              "处置时按提现比例兑付，实际到手少于抵押价值，处置前会先给您看确切金额。",
        "en": "Coverage = collateral value ÷ what the loan still owes. The value moves with "
              "the pool and the points in circulation; a seizure pays the withdrawal rate of "
              "it, so you get less than the value: you see the exact figures before you "
              "confirm."},
    "lender_actions": {"zh": "操作", "en": "Actions"},
    "lender_release": {"zh": "解除质押", "en": "Release"},
    "lender_seize": {"zh": "处置质押", "en": "Seize"},
    "lender_history": {"zh": "处置、解除与出局记录", "en": "Seizures, releases and exits"},
    "lender_no_history": {"zh": "还没有处置、解除或出局。",
        "en": "No seizure, release or exit yet."},
    "lender_what": {"zh": "事项", "en": "What"},
    "lender_to_you": {"zh": "付给您", "en": "Paid to you"},
    "lender_event_released": {"zh": "已解除（贷款已还）", "en": "Released (loan repaid)"},
    "lender_event_seized": {"zh": "已处置", "en": "Seized"},
    "lender_event_exited": {"zh": "质押的批次出局兑付", "en": "A pledged lot exited"},
    "lender_confirm_release": {"zh": "确认解除质押", "en": "Confirm the release"},
    "lender_confirm_seize": {"zh": "确认处置质押", "en": "Confirm the seizure"},
    "lender_release_note": {
        "zh": "解除后，这些积分回到会员手中，可以提现或消费；此后不能再处置这笔质押。",
        "en": "Once released, the points are the member's again, to withdraw or spend; the "
              "pledge can no longer be seized."},
    "lender_seize_note": {
        "zh": "处置后，这些积分被兑付并销毁，无法撤销。付给您的钱先记为待付，"
              "在运营方下一次付款时汇到您的银行账户。",
        "en": "Once seized, the points are redeemed and destroyed; this cannot be undone. "
              "What you are paid is owed to you until the operator's next payout run sends "
              "it to your bank."},
    "lender_seize_paid": {"zh": "收益池将兑付", "en": "The pool will pay"},
    "lender_seize_to_you": {"zh": "其中付给您", "en": "Of which to you"},
    "lender_seize_to_member": {"zh": "其中付给会员", "en": "Of which to the member"},
    "lender_stays": {"zh": "留在收益池", "en": "Stays in the pool"},
    "lender_released_done": {"zh": "已解除质押，已写入日志。",
        "en": "Released, and written to the log."},
    "lender_seized_done": {
        "zh": "已处置质押，已写入日志。付给您的钱在汇到您的银行之前记为待付。",
        "en": "Seized, and written to the log. What you were paid is owed to you until it "
              "reaches your bank."},
    "lender_back": {"zh": "回到贷款机构后台", "en": "Back to the lender portal"},
    # the auditor's page ------------------------------------------------------------------
    "auditor_page": {"zh": "审计", "en": "Audit"},
    "auditor_login": {"zh": "用审计密钥登录", "en": "Sign in with your auditor key"},
    "auditor_intro": {
        "zh": "这里是核对本日志所需的一切：最新的签名检查点、链上锚定和见证人的联署，"
              "一份不含任何密钥和个人信息的公开副本，以及核对它的命令。请在您自己的电脑上运行核对："
              "本服务不替您核对，结论只来自您自己的运行。",
        "en": "Everything needed to check this log: the newest signed checkpoint, the anchors "
              "on a chain and the witnesses' cosignatures, a public copy that holds no key and "
              "no personal data, and the command that checks it. Run the check on your own "
              "computer: this service does not check for you; the verdict is your run's alone."},
    "auditor_checkpoint": {"zh": "最新签名检查点", "en": "Newest signed checkpoint"},
    "auditor_tree_size": {"zh": "日志条数（树大小）", "en": "Entries (tree size)"},
    "auditor_height": {"zh": "区块高度", "en": "Block height"},
    "auditor_last_block": {"zh": "最新区块时间", "en": "Newest block at"},
    "auditor_public_key": {"zh": "运营方公钥（本服务提供的）",
        "en": "Operator's public key (as served)"},
    "auditor_public_key_note": {
        "zh": "请与运营方另行公布的公钥核对一致：只有这样，核对才证明日志由运营方签名。",
        "en": "Compare it with the key the operator published elsewhere: only then does the "
              "check prove the operator signed the log."},
    "auditor_no_checkpoint": {"zh": "日志还没有区块。", "en": "The log has no block yet."},
    "auditor_anchors": {"zh": "链上锚定", "en": "Anchors on a chain"},
    "auditor_anchoring_off": {"zh": "本服务没有开启锚定。", "en": "This service does not anchor."},
    "auditor_anchoring_on": {"zh": "锚定已开启", "en": "Anchoring is on"},
    "auditor_anchored_upto": {"zh": "已锚定到", "en": "Anchored up to"},
    "auditor_not_anchored": {"zh": "尚未锚定的条数", "en": "Entries not anchored yet"},
    "auditor_last_success": {"zh": "最近一次成功", "en": "Last success"},
    "auditor_failures": {"zh": "连续失败次数", "en": "Failures in a row"},
    "auditor_last_error": {"zh": "最近的错误", "en": "Last error"},
    "auditor_next_try": {"zh": "下次尝试", "en": "Next try"},
    "auditor_anchor_number": {"zh": "编号", "en": "No."},
    "auditor_chain": {"zh": "链", "en": "Chain"},
    "auditor_transaction": {"zh": "交易", "en": "Transaction"},
    "auditor_chain_block": {"zh": "链上区块", "en": "Chain block"},
    "auditor_recorded": {"zh": "记录时间", "en": "Recorded"},
    "auditor_no_anchors": {"zh": "还没有锚定。", "en": "Nothing anchored yet."},
    "auditor_anchor_check": {
        "zh": "要核对链上记录，在命令后加上 --rpc 与链的 JSON-RPC 地址。",
        "en": "To check the anchors on the chain, add --rpc and the chain's JSON-RPC address "
              "to the command."},
    "auditor_witnesses": {"zh": "见证人", "en": "Witnesses"},
    "auditor_witnessing_off": {"zh": "本服务没有配置见证人。",
        "en": "This service asks no witness."},
    "auditor_witness": {"zh": "见证人", "en": "Witness"},
    "auditor_witness_key": {"zh": "验证密钥", "en": "Verifier key"},
    "auditor_cosigned_upto": {"zh": "已联署到", "en": "Cosigned up to"},
    "auditor_cosigned_note": {"zh": "最新联署的检查点（签名文本）",
        "en": "Newest cosigned checkpoint (signed note)"},
    "auditor_behind": {"zh": "落后条数", "en": "Entries behind"},
    "auditor_copy": {"zh": "公开副本", "en": "Public copy"},
    "auditor_copy_note": {
        "zh": "副本是一个 SQLite 文件，包含全部条目、区块、瓦片、公钥、锚定、联署和月度公示；"
              "不含 API 密钥、登录会话、Webhook 密钥、项目密钥，也不含任何会员的身份或银行账户。",
        "en": "The copy is an SQLite file with every entry, block, tile, the public key, the "
              "anchors, the cosignatures and the monthly reports; it holds no API key, sign-in, "
              "webhook secret or program secret, and no member's identity or bank account."},
    "auditor_download": {"zh": "下载公开副本", "en": "Download the public copy"},
    "auditor_command": {"zh": "在下载所在的文件夹运行：",
        "en": "Run, in the folder it was saved to:"},
    "auditor_command_note": {
        "zh": "如果浏览器把文件另存为别的名字，请把命令中的文件名换成它。命令输出 OK 即核对通过；"
              "否则它指出第一处不一致（区块、条目、字段）。",
        "en": "If your browser saved it under another name, use that name in the command. It "
              "prints OK when everything checks; otherwise the first divergence (block, "
              "entry, field)."},
    "auditor_install": {"zh": "如何安装 profitpool：见", "en": "How to install profitpool: see"},
    "auditor_disclosures": {"zh": "月度公示", "en": "Monthly disclosures"},
    "auditor_no_disclosures": {"zh": "还没有月度公示。", "en": "No month disclosed yet."},
    "auditor_period": {"zh": "月份", "en": "Month"},
    "auditor_report": {"zh": "报告", "en": "Report"},
    "auditor_all_disclosures": {"zh": "全部公示与核对", "en": "All disclosures, and their checks"},
}
