"""The auditor's page: an auditor signs in with an auditor key (:mod:`.signin`, as every
area does) and sees what there is to check this log against: the newest signed checkpoint
and its tree size, the anchors on a chain and the anchoring's status, the witnesses and
what each cosigned (the same figures as ``GET /v1/anchors`` and ``GET /v1/witnesses``,
from the same functions); downloads a public copy of the log
(:func:`profitpool.store.public.export_public`, as ``profitpool export-public`` writes it:
no key, session, secret or person) and is shown the command that checks it, with the key
this service serves; and finds the monthly disclosures.

The service does not run ``verify`` for the auditor: a check is worth what the checker's
own machine makes of the copy, so the page gives the copy and the command, not a verdict.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import FileResponse, Response

from ..disclosure.publish import recorded_disclosures, stored_periods
from ..service.deps import ContextDep
from ..service.routes.attestations import anchors, witnesses
from ..store.attestations import AttestationStore
from ..times import display_time
from .pages import Lang, LangCookie, newest_public_copy, render
from .signin import Area, area_router, sign_in_page, signed_in

AREA = Area("/auditor", "auditor", "pp_auditor_session")
router = area_router(AREA)
COPY_NAME = "profitpool-public.db"
"""The file name the public copy is downloaded as, and the command names."""
SHOWN_ANCHORS = 10


def verify_command(verifier_key: str, file_name: str = COPY_NAME) -> str:
    """The command that checks a public copy saved as ``file_name`` against ``verifier_key``
    (the CLI's own words: ``profitpool export-public`` prints the same)."""
    return f"profitpool verify --db sqlite:///{file_name} --public-key '{verifier_key}'"


@router.get("")
def audit(request: Request, ctx: ContextDep, lang: Lang = None,
          lang_cookie: LangCookie = None, failed: int = 0) -> Response:
    who = signed_in(ctx, request, AREA)
    if who is None:
        return sign_in_page(request, AREA, lang, lang_cookie, bool(failed))
    with ctx.read.lock:
        head = ctx.read.head
        checkpoint = ctx.read.checkpoint
    anchored = anchors(ctx, limit=SHOWN_ANCHORS)
    witnessed = witnesses(ctx)
    cosigned_size = AttestationStore(ctx.reads.store.engine).latest_cosigned_size()
    in_log = recorded_disclosures(ctx.reads.store)
    months = [{"period": row.period, "sha256": row.sha256,
               "entry": (in_log.get(row.period) or {}).get("index")}
              for row in stored_periods(ctx.reads.store)]
    return render(request, "auditor.html", lang, lang_cookie, head=head,
                  checkpoint=checkpoint,
                  last_block=None if head.now is None else display_time(head.now),
                  verifier_key=ctx.verifier_key, command=verify_command(ctx.verifier_key),
                  anchors=[_shown_anchor(anchor) for anchor in anchored["data"]],
                  anchoring=_shown_status(anchored["status"]),
                  anchored_size=max((a["tree_size"] for a in anchored["data"]), default=0),
                  witnesses=witnessed["data"], witnessing=_shown_status(witnessed["status"]),
                  cosigned_size=cosigned_size, months=months, copy_name=COPY_NAME)


def _shown_anchor(anchor: dict[str, Any]) -> dict[str, Any]:
    return {**anchor, "recorded": display_time(anchor["recorded"])}


def _shown_status(status: dict[str, Any]) -> dict[str, Any]:
    """A background job's status (anchoring, witnessing) with its times to the minute."""
    return {name: display_time(value) if name in ("last_success", "next_try") and value
            else value for name, value in status.items()}


@router.get("/public-copy")
def public_copy(request: Request, ctx: ContextDep, lang: Lang = None,
                lang_cookie: LangCookie = None) -> Response:
    """A public copy of the log (with ``--read-db``, as the replica holds it: it may lag the
    writer), sent as a download named :data:`COPY_NAME`: the explorer's copy
    (pages.newest_public_copy), made at most once a minute however many ask."""
    who = signed_in(ctx, request, AREA)
    if who is None:
        return sign_in_page(request, AREA, lang, lang_cookie)
    copy = newest_public_copy(request, ctx)
    return FileResponse(copy.path, media_type="application/vnd.sqlite3", filename=COPY_NAME)
