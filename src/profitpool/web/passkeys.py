"""Passkeys for members: registered from a one-time link, then a sign-in to the wallet.

The operator (console, or ``POST /v1/members/{id}/passkey-links``) or a
merchant (portal, or the same route, for a customer it knows by its own id)
issues a link for a member (store/passkeys.py: random, stored hashed, good once
for 24 hours). Opening it shows a page whose button makes a passkey on the
member's phone (``navigator.credentials.create``, static/passkey.js); the
answer is checked here with the ``webauthn`` package (the challenge this
server drew and takes once, the origin, the RP id, user verification) and the
passkey is stored for the member, the link used. The member is then signed in.

Signing in with a passkey (``navigator.credentials.get``, a discoverable
credential, so no id is typed) is checked the same way, with the signature
counter, and opens the same server-side session as a key does
(web/signin.py's :func:`~.signin.open_session`), its ``key_id`` the passkey's
id: removing the passkey in the wallet ends its sessions.

The RP id is the host of ``public_url`` (settings), else the host the request
came to; the origin accepted is that URL's, else the request's own. Whoever
holds a link can register a passkey for its member: a link is handed to the
member in person (a QR code at the counter), and the member sees and can
remove every passkey in the wallet.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Final
from urllib.parse import parse_qs, urlsplit

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, RedirectResponse, Response
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import (
    parse_authentication_credential_json,
    parse_client_data_json,
    parse_registration_credential_json,
)
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from ..members.directory import OPERATOR, merchant_scope
from ..members.pseudonyms import is_pseudonym
from ..service.auth import Principal
from ..service.deps import CallerDep, Context, ContextDep, allow
from ..service.errors import ServiceError
from ..service.routes.common import ERRORS
from ..store.passkeys import LINK_HOURS, Link, Passkey, PasskeyError, PasskeyStore
from ..times import display_time, format_time
from . import console, merchant, wallet
from .pages import Lang, LangCookie, render, templates
from .sessions import browser_name
from .signin import (
    MAX_FORM,
    Area,
    area_guard,
    form,
    now_us,
    open_session,
    signed_in,
    signed_in_response,
)

RP_NAME: Final = "profitpool"
MAX_CREDENTIAL_TEXT: Final = 16_384
"""A passkey's answer (JSON) is a few hundred bytes to a few kilobytes; longer is refused."""


def relying_party(ctx: Context, request: Request) -> tuple[str, str]:
    """(RP id, origin) passkeys are made for and accepted from: ``public_url``'s, else the
    request's own host and origin."""
    configured = ctx.settings.public_url
    if configured:
        parts = urlsplit(configured)
        return parts.hostname or "", f"{parts.scheme}://{parts.netloc}"
    return request.url.hostname or "", f"{request.url.scheme}://{request.url.netloc}"


def store(ctx: Context) -> PasskeyStore:
    return PasskeyStore(ctx.store.engine)


def user_handle(member: str) -> bytes:
    """The WebAuthn user id of a member: stable (a phone keeps one passkey per member),
    and not their pseudonym itself."""
    return hashlib.sha256(f"profitpool passkey user\x00{member}".encode()).digest()[:16]


# issuing links -----------------------------------------------------------------------------
def issuer_member(ctx: Context, principal: Principal, member_id: str) -> str | None:
    """The pseudonym of the member ``principal`` may issue a link for, named by
    ``member_id``; None if there is none. The admin names any member by the operator's id
    or the pseudonym; a merchant only its customers, by the id it sent itself (or their
    pseudonym). Reads the database."""
    member_id = member_id.strip()
    if not member_id or len(member_id) > 128:
        return None
    directory = ctx.directory
    if principal.role == "admin":
        found = directory.pseudonym_of(OPERATOR, member_id)
    elif principal.role == "merchant" and principal.party:
        scope = merchant_scope(principal.party)
        if is_pseudonym(member_id):
            found = member_id if directory.member_ids([member_id], scope) else None
        else:
            item = (scope, directory.data_key().id_hash(scope, member_id))
            found = directory.store.find([item]).get(item)
    else:
        return None
    if found is None or ctx.read.member(found)[1] is None:
        return None  # no such member (or erased)
    return found


def issue(ctx: Context, request: Request, principal: Principal, member: str
          ) -> tuple[str, Link]:
    """A new link for ``member`` issued by ``principal``: (its URL, its record)."""
    issued_by = "admin" if principal.role == "admin" else f"merchant:{principal.party}"
    secret, link = store(ctx).issue_link(member, issued_by, now_us())
    _, origin = relying_party(ctx, request)
    return f"{origin}/wallet/passkey/new?t={secret}", link


api_router = APIRouter(prefix="/v1/members", tags=["member"], responses=ERRORS)


@api_router.post("/{member_id}/passkey-links", status_code=201)
async def create_passkey_link(member_id: str, request: Request, ctx: ContextDep,
                              who: CallerDep) -> dict[str, Any]:
    """A one-time link with which the member registers a passkey for the wallet (good once,
    for 24 hours; whoever holds it can register, so hand it to the member in person). The
    admin names any member (the operator's id or the pseudonym); a merchant its own
    customers, by the id it sent (or their pseudonym)."""
    allow(who, "admin", "merchant", party=who.party)
    member = await run_in_threadpool(issuer_member, ctx, who, member_id)
    if member is None:
        if who.role == "merchant":
            raise ServiceError("forbidden", f"{member_id!r} is not a customer of this "
                               "merchant (an id it sent in an order)")
        raise ServiceError("unknown_member", f"there is no member {member_id!r}")
    url, link = await run_in_threadpool(issue, ctx, request, who, member)
    return {"member": member, "url": url, "expires": format_time(link.expires_us),
            "hours": LINK_HOURS}


def _invite_routes(area: Area) -> APIRouter:
    """POST <area>/passkeys/link: the console's or portal's form issuing a link."""
    router = APIRouter(prefix=f"{area.path}/passkeys", include_in_schema=False,
                       dependencies=[Depends(area_guard(area))])

    @router.post("/link")
    async def issue_link(request: Request, ctx: ContextDep, lang: Lang = None,
                         lang_cookie: LangCookie = None) -> Response:
        who = signed_in(ctx, request, area)
        if who is None:
            return RedirectResponse(area.path, status_code=303)
        member_id = (await form(request)).get("member", "").strip()
        member = await run_in_threadpool(issuer_member, ctx, who, member_id)
        if member is None:
            return render(request, "passkey_link.html", lang, lang_cookie, status=404,
                          back=area.path, member_id=member_id, url=None, expires=None)
        url, link = await run_in_threadpool(issue, ctx, request, who, member)
        return render(request, "passkey_link.html", lang, lang_cookie, back=area.path,
                      member_id=member_id, url=url, expires=display_time(link.expires_us))

    return router


# the wallet: registering, signing in, listing and removing --------------------------------
WALLET = wallet.AREA
wallet_router = APIRouter(prefix="/wallet/passkey", include_in_schema=False,
                          dependencies=[Depends(area_guard(WALLET))])


def refused(request: Request, lang: str | None, cookie: str | None, reason: str,
            status: int, detail: str = "") -> Response:
    """The page saying why a link or a passkey was refused (``passkey_refused_<reason>``)."""
    return render(request, "passkey_refused.html", lang, cookie, status=status,
                  reason=reason, detail=detail)


LINK_STATUS: Final = {"used": 410, "expired": 410, "unknown": 404}


def _link_state(ctx: Context, secret: str) -> tuple[str, Link | None]:
    link = store(ctx).link(secret)
    return ("unknown", None) if link is None else (link.state(now_us()), link)


@wallet_router.get("/new")
def registration_page(request: Request, ctx: ContextDep, t: str = "", lang: Lang = None,
                      lang_cookie: LangCookie = None) -> Response:
    """The page a link opens: a button that makes a passkey on this device."""
    state, link = _link_state(ctx, t)
    if state != "open" or link is None:
        return refused(request, lang, lang_cookie, f"link_{state}", LINK_STATUS[state])
    return render(request, "passkey_register.html", lang, lang_cookie, secret=t,
                  expires=display_time(link.expires_us))


async def _json_body(request: Request) -> dict[str, Any]:
    body = await request.body()
    if len(body) > MAX_FORM:
        return {}
    try:
        fields = json.loads(body or b"{}")
    except ValueError:
        return {}
    return fields if isinstance(fields, dict) else {}


@wallet_router.post("/options")
async def ceremony_options(request: Request, ctx: ContextDep) -> Response:
    """What the browser needs to make a passkey (``{"link": secret}``) or to sign in with
    one (``{}``): the WebAuthn options as JSON, with a fresh challenge."""
    fields = await _json_body(request)
    secret = fields.get("link")
    rp_id, _ = relying_party(ctx, request)

    def options() -> tuple[int, str]:
        keep = store(ctx)
        if secret is None:
            challenge = keep.new_challenge("signin", now_us())
            return 200, options_to_json(generate_authentication_options(
                rp_id=rp_id, challenge=challenge,
                user_verification=UserVerificationRequirement.REQUIRED))
        state, link = _link_state(ctx, str(secret))
        if state != "open" or link is None:
            return LINK_STATUS[state], json.dumps({"error": f"link_{state}"})
        challenge = keep.new_challenge("register", now_us(), str(secret))
        name = ctx.directory.member_ids([link.member], OPERATOR).get(link.member, link.member)
        return 200, options_to_json(generate_registration_options(
            rp_id=rp_id, rp_name=RP_NAME, user_id=user_handle(link.member), user_name=name,
            challenge=challenge,
            authenticator_selection=AuthenticatorSelectionCriteria(
                resident_key=ResidentKeyRequirement.REQUIRED,
                user_verification=UserVerificationRequirement.REQUIRED),
            exclude_credentials=[PublicKeyCredentialDescriptor(id=passkey.credential_id)
                                 for passkey in keep.of_member(link.member)]))

    if secret is not None and not isinstance(secret, str):
        return JSONResponse({"error": "link_unknown"}, status_code=404)
    try:
        status, text = await run_in_threadpool(options)
    except PasskeyError:
        return JSONResponse({"error": "busy"}, status_code=503)
    return Response(text, status_code=status, media_type="application/json")


def _challenge_of(client_data_json: bytes) -> bytes:
    return parse_client_data_json(client_data_json).challenge


@wallet_router.post("/register")
async def register(request: Request, ctx: ContextDep, lang: Lang = None,
                   lang_cookie: LangCookie = None) -> Response:
    """Check the new passkey against the challenge given for this link, store it for the
    link's member (the link is then used) and sign the member in."""
    fields = await _credential_form(request)
    secret, answer = fields.get("link", ""), fields.get("credential", "")
    rp_id, origin = relying_party(ctx, request)
    device = browser_name(request.headers.get("user-agent", ""))

    def check() -> tuple[str, str | Passkey]:
        state, _ = _link_state(ctx, secret)
        if state != "open":
            return f"link_{state}", ""
        try:
            credential = parse_registration_credential_json(answer)
            challenge = _challenge_of(credential.response.client_data_json)
        except (WebAuthnException, ValueError, TypeError, KeyError) as error:
            return "invalid", str(error)
        keep = store(ctx)
        if not keep.take_challenge(challenge, "register", now_us(), secret):
            return "challenge", ""
        try:
            verified = verify_registration_response(
                credential=credential, expected_challenge=challenge, expected_rp_id=rp_id,
                expected_origin=origin, require_user_verification=True)
        except WebAuthnException as error:
            return "invalid", str(error)
        try:
            passkey = keep.register(secret, verified.credential_id,
                                    verified.credential_public_key, verified.sign_count,
                                    rp_id, device, now_us())
        except PasskeyError:
            return "registered_already", ""
        if passkey is None:
            return "link_used", ""  # used (or expired) while the phone made the passkey
        return "", passkey

    reason, result = await run_in_threadpool(check)
    if not isinstance(result, Passkey):
        return refused(request, lang, lang_cookie, reason, _status(reason), result)
    return await _sign_in(ctx, request, result)


@wallet_router.post("/signin")
async def passkey_signin(request: Request, ctx: ContextDep, lang: Lang = None,
                         lang_cookie: LangCookie = None) -> Response:
    """Check a passkey's answer to a sign-in challenge and open a wallet session."""
    answer = (await _credential_form(request)).get("credential", "")
    rp_id, origin = relying_party(ctx, request)

    def check() -> tuple[str, str | Passkey]:
        try:
            credential = parse_authentication_credential_json(answer)
            challenge = _challenge_of(credential.response.client_data_json)
        except (WebAuthnException, ValueError, TypeError, KeyError) as error:
            return "invalid", str(error)
        keep = store(ctx)
        if not keep.take_challenge(challenge, "signin", now_us()):
            return "challenge", ""
        passkey = keep.find(credential.raw_id)
        if passkey is None:
            return "unknown_passkey", ""
        if passkey.rp_id != rp_id:
            return "invalid", f"this passkey was made for {passkey.rp_id}, not {rp_id}"
        handle = credential.response.user_handle
        if handle is not None and handle != user_handle(passkey.member):
            return "invalid", "the passkey's user handle is not its member's"
        try:
            verified = verify_authentication_response(
                credential=credential, expected_challenge=challenge, expected_rp_id=rp_id,
                expected_origin=origin, credential_public_key=passkey.public_key,
                credential_current_sign_count=passkey.sign_count,
                require_user_verification=True)
        except WebAuthnException as error:
            return "invalid", str(error)
        if not keep.used(passkey, verified.new_sign_count, now_us()):
            return "challenge", ""  # removed, or another sign-in counted first
        return "", passkey

    reason, result = await run_in_threadpool(check)
    if not isinstance(result, Passkey):
        return refused(request, lang, lang_cookie, reason, _status(reason), result)
    return await _sign_in(ctx, request, result)


@wallet_router.post("/remove")
async def remove(request: Request, ctx: ContextDep) -> Response:
    """Remove one of the signed-in member's passkeys (and end the sessions it opened)."""
    who = signed_in(ctx, request, WALLET)
    passkey_id = (await form(request)).get("passkey", "")
    if who is not None and who.party is not None:
        await run_in_threadpool(store(ctx).remove, who.party, passkey_id, now_us())
    return RedirectResponse("/wallet", status_code=303)


def _status(reason: str) -> int:
    return {"link_used": 410, "link_expired": 410, "link_unknown": 404,
            "registered_already": 409}.get(reason, 400)


async def _credential_form(request: Request) -> dict[str, str]:
    """The form a passkey's answer comes in (larger than the pages' other forms)."""
    body = await request.body()
    if len(body) > MAX_CREDENTIAL_TEXT:
        return {}
    return {name: values[0] for name, values in parse_qs(
        body.decode("utf-8", "replace"), max_num_fields=5).items()}


async def _sign_in(ctx: Context, request: Request, passkey: Passkey) -> Response:
    principal = Principal(passkey.id, "member", passkey.member)
    session_id = await run_in_threadpool(open_session, ctx, request, WALLET, principal)
    return signed_in_response(request, WALLET, session_id)


def member_passkeys(request: Request) -> list[dict[str, str]]:
    """The signed-in wallet member's passkeys as the wallet lists them (a template global:
    templates/passkeys_section.html). Reads the database: templates render off the loop."""
    found = getattr(request.state, "signed_in", None)
    if found is None or found.session.area != WALLET.path or not found.principal.party:
        return []
    ctx: Context = request.app.state.context
    current = found.principal.key_id
    return [{"id": passkey.id, "device": passkey.device,
             "created": display_time(passkey.created_us),
             "last_used": display_time(passkey.last_used_us), "current": passkey.id == current}
            for passkey in store(ctx).of_member(found.principal.party)]


templates.env.globals["member_passkeys"] = member_passkeys

router = APIRouter()
router.include_router(wallet_router)
router.include_router(_invite_routes(console.AREA))
router.include_router(_invite_routes(merchant.AREA))
router.include_router(api_router)
