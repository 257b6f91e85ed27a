"""The documents a case produces (文书): drawn as PDF from their print view, hashed onto the chain, checkable.

A step that declares a `paper` (cases.life_cycle) has `paper_issue` queued after it commits (a Celery task,
retried; `paper_sweep` queues again what a lost message left undone). The PDF is drawn outside any
transaction from the same template as the HTML print view, by WeasyPrint with the system's Noto CJK fonts
embedded; then, in one short transaction, the file's SHA-256, its number and its date are written to the
case's event chain. The QR code on the document opens the public check page (`/verify/<token>/`), which
confirms the number, the date, the issuing district and the hash, and nothing about the person.

Issuing is idempotent: one document per step taken (case, kind, the step's event), whatever the number of
deliveries of the task.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import logging
import secrets
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from cases import life_cycle
from cases.chain import event_append
from cases.models import Case, CaseEvent, CasePaper, PaperKind
from cases.services.guards import announce, lock

logger = logging.getLogger(__name__)

# The letters of a document's number after the case reference: 受理 SL, 补正 BZ, 不予受理 BS, 决定 JD, 送达 SD.
NUMBER_LETTERS = {
    PaperKind.RECEIPT: "SL",
    PaperKind.CORRECTION_NOTICE: "BZ",
    PaperKind.NOT_ACCEPTED: "BS",
    PaperKind.DECISION: "JD",
    PaperKind.DELIVERY_RECORD: "SD",
}
# The steps' events that issue a document, and the document.
PAPER_OF_ACTION: dict[str, PaperKind] = {
    step.action: step.paper for step in life_cycle.STEPS.values() if step.paper is not None
}
# A step's document not issued after this long is queued again by the sweep (beat, every minute).
PAPER_SWEEP_AFTER = dt.timedelta(seconds=int(getattr(settings, "CASES_PAPER_SWEEP_AFTER", 120)))
PAPER_SWEEP_WINDOW = dt.timedelta(days=2)


@dataclass(frozen=True)
class PaperContent:
    """What the print view and the PDF show: everything the template needs, read once."""

    case: Case
    event: CaseEvent
    kind: str
    number: str
    issued_at: dt.datetime
    verify_url: str
    qr_png: str
    materials: list[dict[str, str]]
    # The receipt: how many fields of the application form were filled in, of how many (none declared: 0, 0).
    form_filled: int = 0
    form_fields: int = 0


def verify_url(token: str) -> str:
    base = str(getattr(settings, "PUBLIC_BASE_URL", "")).rstrip("/")
    return f"{base}{reverse('cases-paper-verify', args=[token])}"


def qr_png_data_uri(payload: str) -> str:
    """The QR code as a PNG (a raster: readers and tests take it out of the PDF as it is)."""
    import base64
    import io

    import segno

    buffer = io.BytesIO()
    # A fixed mask: choosing the best of eight costs more than the PDF's text; any mask reads the same.
    segno.make(payload, error="m", mask=0, micro=False).save(buffer, kind="png", scale=6, border=2)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def _correction_materials(event: CaseEvent) -> list[dict[str, str]]:
    """The failing materials of a correction request, each with its reason (one general reason when the
    request gave none per material)."""
    data = event.data or {}
    listed = data.get("items")  # each material with the reason its check failed (cases.services.checks)
    if isinstance(listed, list) and listed and all(isinstance(row, dict) for row in listed):
        return [{"name": str(row.get("name", "")), "reason": str(row.get("reason") or event.reason)} for row in listed]
    return [{"name": str(name), "reason": event.reason} for name in data.get("names", [])]


def paper_content(
    case: Case, event: CaseEvent, *, kind: str, number: str, token: str, issued_at: dt.datetime
) -> PaperContent:
    url = verify_url(token)
    return PaperContent(
        case=case,
        event=event,
        kind=kind,
        number=number,
        issued_at=issued_at,
        verify_url=url,
        qr_png=qr_png_data_uri(url),
        materials=_correction_materials(event) if kind == PaperKind.CORRECTION_NOTICE else [],
        form_filled=case.form_values.filter(current=True).exclude(value="").count() if kind == PaperKind.RECEIPT else 0,
        form_fields=len(case.item_version.application_form or []) if kind == PaperKind.RECEIPT else 0,
    )


def paper_html(content: PaperContent, *, csp_nonce: str = "") -> str:
    """The print view: the same HTML the PDF is drawn from, always in Chinese (the official language of 文书).

    `csp_nonce`: the page's Content-Security-Policy nonce, which lets the browser apply the paper's own <style>."""
    with translation.override("zh-hans"):
        context = {"paper": content, "case": content.case, "csp_nonce": csp_nonce}
        return render_to_string(f"cases/papers/{content.kind}.html", context)


@functools.cache
def _font_configuration() -> Any:
    """One font configuration per process: building it (Fontconfig's view of the fonts) costs more than a page."""
    from weasyprint.text.fonts import FontConfiguration  # type: ignore[import-untyped]

    return FontConfiguration()


def paper_pdf(content: PaperContent) -> bytes:
    from weasyprint import HTML  # type: ignore[import-untyped]  # no stubs, no py.typed

    return bytes(HTML(string=paper_html(content)).write_pdf(font_config=_font_configuration()))


def _case_for_paper(case_id: int) -> Case:
    return Case.objects.select_related(
        "item_version",
        "accepting_district",
        "accepting_window",
        "approving_district",
        "approving_window",
    ).get(pk=case_id)


def paper_issue(*, case_id: int, kind: str, event_seq: int) -> CasePaper:
    """Issue the document the step taken at `event_seq` declares; the one already issued if any."""
    done = CasePaper.objects.filter(case_id=case_id, kind=kind, event_seq=event_seq).first()
    if done is not None:
        return done
    case = _case_for_paper(case_id)
    event = CaseEvent.objects.get(case=case, seq=event_seq)
    issued_at = timezone.now()
    token = secrets.token_urlsafe(32)
    previous = CasePaper.objects.filter(case=case, kind=kind).count()
    number = f"{case.reference}-{NUMBER_LETTERS[PaperKind(kind)]}{previous + 1}"
    content = paper_content(case, event, kind=kind, number=number, token=token, issued_at=issued_at)
    pdf = paper_pdf(content)
    digest = hashlib.sha256(pdf).hexdigest()
    paper = CasePaper(
        case=case,
        kind=kind,
        event_seq=event_seq,
        number=number,
        verify_token=token,
        size=len(pdf),
        sha256=digest,
        issued_at=issued_at,
        district_code=event.district_code or case.accepting_district.division_code,
        window_code=event.window_code,
    )
    paper.file.save(f"{number}.pdf", ContentFile(pdf), save=False)
    try:
        with transaction.atomic():
            locked = lock(case)
            paper.save()
            event_append(
                case=locked,
                action=life_cycle.PAPER_ISSUED,
                actor=None,
                district_code=paper.district_code,
                window_code=paper.window_code,
                data={
                    "kind": kind,
                    "number": number,
                    "sha256": digest,
                    "size": len(pdf),
                    "issued_at": issued_at.isoformat(timespec="seconds"),
                    "for_event": event_seq,
                },
            )
            announce(locked, action=life_cycle.PAPER_ISSUED)
    except IntegrityError:
        # Another delivery of the task issued it first (or took the number): keep theirs, drop this file.
        paper.file.delete(save=False)
        existing = CasePaper.objects.filter(case_id=case_id, kind=kind, event_seq=event_seq).first()
        if existing is None:
            raise
        return existing
    logger.info("case %s: %s issued (%s bytes, sha256 %s)", case.reference, number, len(pdf), digest[:12])
    return paper


def paper_enqueue_for(case: Case, *, action: str, event_seq: int) -> None:
    """After the step's commit: queue the document it issues (the sweep catches a message that got lost)."""
    kind = PAPER_OF_ACTION.get(action)
    if kind is None:
        return
    case_id = case.pk

    def send() -> None:
        from cases.tasks import issue_paper

        try:
            issue_paper.delay(case_id, str(kind), event_seq)
        except Exception:
            logger.exception("issue_paper for case %s could not be queued; the paper sweep will retry", case_id)

    transaction.on_commit(send, robust=True)


def paper_sweep(*, now: dt.datetime | None = None) -> int:
    """Queue again the documents of steps taken a while ago whose document is still missing."""
    from cases.tasks import issue_paper

    now = now or timezone.now()
    pending = (
        CaseEvent.objects.filter(
            action__in=list(PAPER_OF_ACTION),
            created_at__lte=now - PAPER_SWEEP_AFTER,
            created_at__gte=now - PAPER_SWEEP_WINDOW,
        )
        .filter(~Exists(CasePaper.objects.filter(case_id=OuterRef("case_id"), event_seq=OuterRef("seq"))))
        .values_list("case_id", "action", "seq")[:200]
    )
    queued = 0
    for case_id, action, seq in pending:
        issue_paper.delay(case_id, str(PAPER_OF_ACTION[action]), seq)
        queued += 1
    if queued:
        logger.warning("paper sweep: %d documents queued again", queued)
    return queued
