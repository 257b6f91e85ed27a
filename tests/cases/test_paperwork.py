"""The documents a case produces: PDF with embedded CJK fonts, hash on the chain, QR to a public check page."""

from __future__ import annotations

import hashlib
import io
from typing import TYPE_CHECKING, Any

import pytest
import zxingcpp
from django.test import Client
from django.utils import timezone
from pypdf import PdfReader

from accounts.models import User
from cases import services
from cases.chain import chain_verify
from cases.models import Case, CaseEvent, CasePaper, PaperKind
from cases.services import paperwork
from standards.models import ItemVersion
from tests import factories as f

if TYPE_CHECKING:
    from pytest_django.fixtures import DjangoCaptureOnCommitCallbacks, SettingsWrapper

pytestmark = pytest.mark.django_db


@pytest.fixture
def queued(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, ...]]:
    """The issue_paper messages queued after commit."""
    from cases import tasks

    out: list[tuple[Any, ...]] = []
    monkeypatch.setattr(tasks.issue_paper, "delay", lambda *args: out.append(args))
    return out


def _accepted(citizen: User, item: ItemVersion, clerk: User, capture: DjangoCaptureOnCommitCallbacks) -> Case:
    case = f.submitted_case(applicant=citizen, version=item)
    with capture(execute=True):
        return f.accept_checked(case, clerk)


def _issued(case: Case, action: str) -> CasePaper:
    event = CaseEvent.objects.filter(case=case, action=action).order_by("-seq").first()
    assert event is not None
    return services.paper_issue(case_id=case.pk, kind=str(paperwork.PAPER_OF_ACTION[action]), event_seq=event.seq)


def _pdf_text(paper: CasePaper) -> str:
    with paper.file.open("rb") as handle:
        return "".join(page.extract_text() for page in PdfReader(io.BytesIO(handle.read())).pages)


def _embedded_fonts(raw: bytes) -> list[tuple[str, bool]]:
    """Each font of the first page: its name, and whether its glyphs are inside the PDF."""
    out = []
    resources: Any = PdfReader(io.BytesIO(raw)).pages[0]["/Resources"]
    for ref in resources["/Font"].values():
        font = ref.get_object()
        descendants = font.get("/DescendantFonts")
        described = descendants[0].get_object() if descendants else font
        descriptor = described["/FontDescriptor"].get_object()
        embedded = any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3"))
        out.append((str(font["/BaseFont"]), embedded))
    return out


def _qr_payloads(paper: CasePaper) -> list[str]:
    with paper.file.open("rb") as handle:
        reader = PdfReader(io.BytesIO(handle.read()))
    return [code.text for page in reader.pages for image in page.images for code in zxingcpp.read_barcodes(image.image)]


def test_an_acceptance_queues_its_receipt_after_commit_and_the_receipt_is_a_checkable_pdf(
    citizen: User,
    item: ItemVersion,
    huangpu_clerk: User,
    queued: list[tuple[Any, ...]],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
    settings: SettingsWrapper,
) -> None:
    settings.PUBLIC_BASE_URL = "https://tongban.example"
    case = _accepted(citizen, item, huangpu_clerk, django_capture_on_commit_callbacks)
    accepted = CaseEvent.objects.get(case=case, action="accepted")
    assert queued == [(case.pk, PaperKind.RECEIPT.value, accepted.seq)]

    paper = services.paper_issue(case_id=case.pk, kind=PaperKind.RECEIPT, event_seq=accepted.seq)
    text = _pdf_text(paper)
    assert "受理通知书" in text and case.reference in text
    assert citizen.id_number not in text.replace(" ", ""), "never the full ID number"
    # The fonts are embedded (a reader without Noto CJK shows the same text).
    with paper.file.open("rb") as handle:
        raw = handle.read()
    assert hashlib.sha256(raw).hexdigest() == paper.sha256
    fonts = _embedded_fonts(raw)
    assert fonts and all(embedded for _name, embedded in fonts), fonts
    assert any("CJK" in name for name, _embedded in fonts), fonts
    # The hash, number and date are on the chain, and the chain still verifies.
    issued = CaseEvent.objects.get(case=case, action="paper_issued")
    assert issued.data["sha256"] == paper.sha256 and issued.data["number"] == paper.number
    assert issued.data["for_event"] == accepted.seq
    assert chain_verify(case=case).ok
    # The QR code in the PDF opens the public check page: number, date and hash, nothing about the person.
    (payload,) = _qr_payloads(paper)
    assert payload == f"https://tongban.example/verify/{paper.verify_token}/"
    page = Client().get(payload.removeprefix("https://tongban.example"))
    body = page.content.decode()
    assert page.status_code == 200
    assert (
        paper.number in body
        and paper.sha256 in body
        and timezone.localtime(paper.issued_at).strftime("%Y-%m-%d") in body
    )
    assert citizen.display_name not in body and case.item_version.name not in body
    assert case.masked_id_number not in body


def test_issuing_again_for_the_same_step_returns_the_same_document(
    citizen: User,
    item: ItemVersion,
    huangpu_clerk: User,
    queued: list[tuple[Any, ...]],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    case = _accepted(citizen, item, huangpu_clerk, django_capture_on_commit_callbacks)
    first = _issued(case, "accepted")
    again = _issued(case, "accepted")
    assert again.pk == first.pk
    assert CasePaper.objects.filter(case=case).count() == 1
    assert CaseEvent.objects.filter(case=case, action="paper_issued").count() == 1


def test_the_correction_notice_lists_each_failing_material_with_its_own_reason(
    citizen: User,
    item: ItemVersion,
    huangpu_clerk: User,
    queued: list[tuple[Any, ...]],
) -> None:
    case = f.submitted_case(applicant=citizen, version=item)
    upload = case.materials.current_files().first()
    assert upload is not None
    services.case_material_check(
        case=case, material=upload, verdict="not_conforming", reason="复印件不清晰", actor=huangpu_clerk
    )
    case = services.case_request_correction(case=case, actor=huangpu_clerk, reason="请按告知补正")
    paper = _issued(case, "correction_requested")
    text = _pdf_text(paper)
    assert "一次性告知书" in text and upload.item_material.name in text
    assert "复印件不清晰" in text, "the material's own reason, not only the request's"
    assert "请按告知补正" in text
    assert paper.number.endswith("-BZ1")


def test_the_decision_and_the_delivery_record(
    citizen: User,
    item: ItemVersion,
    huangpu_clerk: User,
    shushan_clerk: User,
    queued: list[tuple[Any, ...]],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    case = _accepted(citizen, item, huangpu_clerk, django_capture_on_commit_callbacks)
    services.case_route(case_id=case.pk, transfer_number=case.transfer_number)
    case = services.case_review_start(case=Case.objects.get(pk=case.pk), actor=shushan_clerk)
    case = services.case_refuse(case=case, actor=shushan_clerk, reason="不符合申请条件")
    decision = _pdf_text(_issued(case, "refused"))
    assert "不予" in decision and "不符合申请条件" in decision
    case = services.case_deliver(case=case, actor=huangpu_clerk, method="courier", detail="SF1234567890")
    record = _pdf_text(_issued(case, "delivered"))
    assert "送达回证" in record and "SF1234567890" in record and "邮寄送达" in record


def test_documents_are_served_to_those_who_see_the_case_and_404_to_everyone_else(
    citizen: User,
    item: ItemVersion,
    huangpu_clerk: User,
    queued: list[tuple[Any, ...]],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    case = _accepted(citizen, item, huangpu_clerk, django_capture_on_commit_callbacks)
    paper = _issued(case, "accepted")
    pdf_url = f"/cases/{case.reference}/papers/{paper.number}.pdf"
    print_url = f"/cases/{case.reference}/papers/{paper.number}/"
    owner = Client()
    owner.force_login(citizen)
    answer = owner.get(pdf_url)
    assert answer.status_code == 200 and answer["Content-Type"] == "application/pdf"
    assert answer["X-Content-Type-Options"] == "nosniff"
    assert "受理通知书" in owner.get(print_url).content.decode()
    assert paper.number in owner.get(f"/cases/{case.reference}/").content.decode()
    for outsider in (f.make_user("citizen"), f.make_user("clerk", code="320106")):
        other = Client()
        other.force_login(outsider)
        assert other.get(pdf_url).status_code == 404
        assert other.get(print_url).status_code == 404
    assert Client().get(pdf_url).status_code in (302, 404)
    assert Client().get(pdf_url).status_code != 200


def test_a_tampered_document_is_reported_as_damaged_here_and_on_the_check_page(
    citizen: User,
    item: ItemVersion,
    huangpu_clerk: User,
    queued: list[tuple[Any, ...]],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    case = _accepted(citizen, item, huangpu_clerk, django_capture_on_commit_callbacks)
    paper = _issued(case, "accepted")
    with open(paper.file.path, "ab") as handle:
        handle.write(b"%tampered")
    owner = Client()
    owner.force_login(citizen)
    assert owner.get(f"/cases/{case.reference}/papers/{paper.number}.pdf").status_code == 409
    anyone = Client()
    anyone.cookies["django_language"] = "en"
    check = anyone.get(f"/verify/{paper.verify_token}/")
    assert check.status_code == 200 and "no longer matches" in check.content.decode()
    assert Client().get("/verify/not-a-real-token/").status_code == 404


def test_the_sweep_queues_again_a_document_whose_message_was_lost(
    citizen: User,
    item: ItemVersion,
    huangpu_clerk: User,
    queued: list[tuple[Any, ...]],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    import datetime as dt

    from django.utils import timezone

    case = _accepted(citizen, item, huangpu_clerk, django_capture_on_commit_callbacks)
    queued.clear()
    later = timezone.now() + dt.timedelta(minutes=5)
    assert services.paper_sweep(now=later) == 1
    assert queued and queued[0][0] == case.pk
    _issued(case, "accepted")
    assert services.paper_sweep(now=later) == 0


def test_the_api_lists_serves_and_checks_the_documents(
    citizen: User,
    item: ItemVersion,
    huangpu_clerk: User,
    queued: list[tuple[Any, ...]],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    case = _accepted(citizen, item, huangpu_clerk, django_capture_on_commit_callbacks)
    paper = _issued(case, "accepted")
    owner = Client()
    owner.force_login(citizen)
    (listed,) = owner.get(f"/api/cases/{case.reference}/papers/").json()
    assert listed["number"] == paper.number and listed["sha256"] == paper.sha256 and listed["kind"] == "receipt"
    pdf = owner.get(listed["file_url"])
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert hashlib.sha256(b"".join(pdf.streaming_content)).hexdigest() == paper.sha256  # type: ignore[attr-defined]
    stranger = Client()
    stranger.force_login(f.make_user("citizen"))
    assert stranger.get(f"/api/cases/{case.reference}/papers/").status_code == 404
    assert stranger.get(listed["file_url"]).status_code == 404
    check = Client().get(f"/api/verify/{paper.verify_token}/")
    assert check.status_code == 200
    assert check.json() == {
        "number": paper.number,
        "kind": "receipt",
        "kind_label": check.json()["kind_label"],
        "issued_at": check.json()["issued_at"],
        "issued_by": check.json()["issued_by"],
        "sha256": paper.sha256,
        "intact": True,
    }
    assert Client().get("/api/verify/nothing-here/").json()["code"] == "not_found"
