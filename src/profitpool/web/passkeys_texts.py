"""The passkeys' words (web/passkeys.py; templates passkey*.html), in Chinese and English;
i18n.py adds them to the catalogue. Every key starts with ``passkey``, so none can shadow a
key of another page."""

from __future__ import annotations

from typing import Final

PASSKEY_TEXTS: Final[dict[str, dict[str, str]]] = {
    # signing in
    "passkey_signin_title": {"zh": "用通行密钥登录", "en": "Sign in with a passkey"},
    "passkey_signin_note": {
        "zh": "用手机上的通行密钥（指纹、面容或锁屏密码）登录，不必输入密钥。还没有通行密钥？"
              "请商家或运营方给您一个注册链接。",
        "en": "Sign in with the passkey on your phone (fingerprint, face or screen lock), "
              "no key to type. No passkey yet? Ask the shop or the operator for a "
              "registration link."},
    "passkey_signin_button": {"zh": "用通行密钥登录", "en": "Sign in with a passkey"},
    "passkey_unsupported": {
        "zh": "这个浏览器不支持通行密钥。请换用手机自带的浏览器，或用密钥登录。",
        "en": "This browser does not support passkeys. Use your phone's own browser, or "
              "sign in with your key."},
    "passkey_failed": {
        "zh": "没有完成：通行密钥被取消或未能使用。请再试一次。",
        "en": "Not done: the passkey was cancelled or could not be used. Try again."},
    # registering from a link
    "passkey_register_title": {"zh": "创建通行密钥", "en": "Create a passkey"},
    "passkey_register_intro": {
        "zh": "在这台设备上创建一个通行密钥，以后用它登录钱包。"
              "手机会请您验证指纹、面容或锁屏密码。",
        "en": "Create a passkey on this device to sign in to your wallet from now on. "
              "Your phone will ask for your fingerprint, face or screen lock."},
    "passkey_register_button": {"zh": "在此设备上创建通行密钥",
                                "en": "Create a passkey on this device"},
    "passkey_register_note": {
        "zh": "这个链接只能用一次。通行密钥保存在您的设备上，服务器只保存它的公钥。",
        "en": "This link works once. The passkey stays on your device; the server keeps "
              "only its public key."},
    "passkey_link_expires": {"zh": "链接失效时间：", "en": "The link expires at"},
    # refusals
    "passkey_refused_title": {"zh": "未能使用通行密钥", "en": "The passkey was not accepted"},
    "passkey_refused_link_used": {
        "zh": "这个链接已经用过了。每个链接只能注册一次；"
              "如需再注册，请向商家或运营方要一个新链接。",
        "en": "This link has been used. Each link registers once; ask the shop or the "
              "operator for a new one."},
    "passkey_refused_link_expired": {
        "zh": "这个链接已过期（链接在发出 24 小时后失效）。请向商家或运营方要一个新链接。",
        "en": "This link has expired (links expire 24 hours after they are made). Ask the "
              "shop or the operator for a new one."},
    "passkey_refused_link_unknown": {
        "zh": "没有这个链接。请检查链接是否完整，或要一个新链接。",
        "en": "There is no such link. Check that the link is complete, or ask for a new "
              "one."},
    "passkey_refused_challenge": {
        "zh": "这次请求已过期或已经提交过。请回到钱包重新操作。",
        "en": "This request has expired or was sent already. Go back to the wallet and "
              "try again."},
    "passkey_refused_unknown_passkey": {
        "zh": "这个通行密钥没有在这里注册（可能已被删除）。请用密钥登录，或要一个注册链接。",
        "en": "This passkey is not registered here (it may have been removed). Sign in "
              "with your key, or ask for a registration link."},
    "passkey_refused_invalid": {
        "zh": "通行密钥的应答未通过验证，没有任何改动。",
        "en": "The passkey's answer did not verify; nothing changed."},
    "passkey_refused_registered_already": {
        "zh": "这个通行密钥已经注册过了，链接没有被使用。",
        "en": "This passkey is registered already; the link was not used."},
    # issuing links (console, merchant portal)
    "passkey_invite_title": {"zh": "通行密钥注册链接", "en": "Passkey registration link"},
    "passkey_invite_note": {
        "zh": "为会员生成一个一次性链接，会员用它在手机上创建通行密钥，之后用通行密钥登录钱包。"
              "链接 24 小时内有效，只能用一次；持有链接的人就能注册，请当面交给会员本人。",
        "en": "Make a one-time link with which a member creates a passkey on their phone, "
              "then signs in to the wallet with it. The link works once, within 24 hours; "
              "whoever holds it can register, so hand it to the member in person."},
    "passkey_invite_note_merchant": {
        "zh": "为在本店消费过的会员生成一次性链接（按您下单时使用的会员编号）。链接 24 小时内有效，"
              "只能用一次；请当面交给会员本人。",
        "en": "Make a one-time link for a member who bought here (by the member id you sent "
              "with their orders). The link works once, within 24 hours; hand it to the "
              "member in person."},
    "passkey_invite_member": {"zh": "会员编号", "en": "Member id"},
    "passkey_invite_button": {"zh": "生成链接", "en": "Make the link"},
    "passkey_link_title": {"zh": "通行密钥注册链接", "en": "Passkey registration link"},
    "passkey_link_for": {"zh": "会员：", "en": "For member"},
    "passkey_link_note": {
        "zh": "这个链接只显示这一次。请把它交给会员本人（例如当面让会员在手机上打开）。",
        "en": "This link is shown this once. Give it to the member in person (for "
              "instance, have them open it on their phone)."},
    "passkey_link_no_member": {
        "zh": "没有这个会员（或不是您的顾客），没有生成链接：",
        "en": "No such member (or not your customer); no link was made:"},
    # the wallet's list
    "passkeys_title": {"zh": "我的通行密钥", "en": "My passkeys"},
    "passkeys_note": {
        "zh": "可以用来登录这个钱包的通行密钥。不认识的请删除：删除后，用它登录的会话立即结束。",
        "en": "The passkeys that can sign in to this wallet. Remove any you do not "
              "recognise: its sessions end at once."},
    "passkeys_device": {"zh": "创建于", "en": "Made in"},
    "passkeys_created": {"zh": "创建时间", "en": "Created"},
    "passkeys_last_used": {"zh": "最近使用", "en": "Last used"},
    "passkeys_never": {"zh": "尚未使用", "en": "not yet"},
    "passkeys_this_one": {"zh": "本次登录所用", "en": "signed in with this"},
    "passkeys_remove": {"zh": "删除", "en": "Remove"},
    "passkeys_none": {"zh": "还没有通行密钥。", "en": "No passkeys yet."},
}
