"""Demo cases, so that `make run` opens on a desk with work on it: one case in each of the main states, made
through the same services as the pages (each step on the case's event chain, documents issued by the worker).

Idempotent: nothing is made when the demo citizen already has a case. The materials are small PDFs that say on
their face that they are demo files, not real documents. What clerks and the citizen write (reasons, comments) is
stored data in Chinese, as a clerk at a window would write it, not interface text.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import User
from cases import services
from cases.models import Case, DeliveryMethod, IdentityCheck, MaterialCheck
from seed.demo_accounts import clerk_username
from standards.models import District, ItemVersion
from standards.selectors import item_version_in_force

ACCEPTING = "310101"  # 黄浦: the demo citizen's and the demo firm's district


@dataclass(frozen=True)
class DemoCase:
    applicant: str  # username
    item_code: str
    approving: str  # division code
    reaches: str  # the last step taken: submitted, correction, in_review, closed, closed_bad


DEMO_CASES = (
    DemoCase("zhangsan", "C9-KS-0015", "340104", "submitted"),  # 补领结婚证: waiting for 黄浦's checks
    DemoCase("zhangsan", "C9-JC-0040", "320508", "correction"),  # 不动产权证书补发: one copy unreadable
    DemoCase("zhangsan", "C9-JC-0032", "340104", "in_review"),  # 教师资格认定: recognised at 蜀山, in review
    DemoCase("lihua", "C9-JC-0020", "320508", "closed"),  # 营业执照遗失补领: done, e-licence, rated 5
    DemoCase("zhangsan", "C9-KS-0058", "340104", "closed_bad"),  # 个人所得税纳税记录开具: rated 2, follow-up
)


@functools.cache
def _demo_pdf() -> bytes:
    from weasyprint import HTML  # type: ignore[import-untyped]  # no stubs, no py.typed

    page = "<p style='font-size:28pt'>演示材料 · DEMO</p><p>本文件仅用于演示，不是真实证件或材料。</p>"
    return bytes(HTML(string=f"<html><body>{page}</body></html>").write_pdf())


def _upload(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(f"{name}.pdf", _demo_pdf(), content_type="application/pdf")


def _clerk(code: str) -> User:
    return User.objects.get(username=clerk_username(District.objects.get(division_code=code)))


def _submitted(spec: DemoCase, version: ItemVersion) -> Case:
    applicant = User.objects.get(username=spec.applicant)
    case = services.case_draft_create(
        applicant=applicant,
        item_version=version,
        actor=applicant,
        accepting_district=District.objects.get(division_code=ACCEPTING),
        approving_place=spec.approving,
    )
    for material in services.case_required_materials(case):
        services.case_material_add(
            case=case, item_material=material, uploaded_file=_upload(material.name), actor=applicant
        )
    return services.case_submit(case=case, actor=applicant)


def _checked(case: Case, clerk: User, *, failing: str = "") -> Case:
    """The accepting window's checks: every material conforming except `failing` (its reason), identity in person."""
    for material in case.materials.current_files().select_related("item_material"):
        bad = material.item_material.name == failing
        services.case_material_check(
            case=case,
            material=material,
            verdict=MaterialCheck.Verdict.NOT_CONFORMING if bad else MaterialCheck.Verdict.CONFORMING,
            reason="复印件模糊，无法辨认。" if bad else "",
            actor=clerk,
        )
    services.case_identity_check(case=case, method=IdentityCheck.Method.ID_CARD_IN_PERSON, actor=clerk)
    return case


def _demo_case(spec: DemoCase) -> Case | None:
    item_version = item_version_in_force(item=ItemVersion.objects.get(item__code=spec.item_code, number=1).item)
    if item_version is None:
        return None
    case = _submitted(spec, item_version)
    if spec.reaches == "submitted":
        return case
    accepting, approving = _clerk(ACCEPTING), _clerk(spec.approving)
    if spec.reaches == "correction":
        first = case.materials.current_files().select_related("item_material").first()
        failing = first.item_material.name if first else ""
        _checked(case, accepting, failing=failing)
        return services.case_request_correction(
            case=case, actor=accepting, reason="有一份复印件无法辨认，请上传清晰的扫描件。"
        )
    _checked(case, accepting)
    case = services.case_accept(case=case, actor=accepting)
    services.case_route(case_id=case.pk, transfer_number=case.transfer_number)
    case = services.case_review_start(case=Case.objects.get(pk=case.pk), actor=approving)
    if spec.reaches == "in_review":
        return case
    case = services.case_approve(case=case, actor=approving)
    # Delivered back by the accepting window (跨省通办: the result comes home).
    case = services.case_deliver(case=case, actor=accepting, method=DeliveryMethod.ELICENCE)
    case = services.case_close(case=case, actor=accepting)
    applicant = User.objects.get(username=spec.applicant)
    good = spec.reaches == "closed"
    services.case_rate(
        case=case,
        actor=applicant,
        score=5 if good else 2,
        attitude=5 if good else 3,
        speed=5 if good else 1,
        convenience=5 if good else 2,
        comment="" if good else "办理时间超过承诺时限，也没有人告诉我原因。",
    )
    return case


def demo_cases_load() -> list[tuple[str, str, str]]:
    """Make the demo cases once; returns (reference, item, state) rows for printing (none when already made)."""
    if Case.objects.filter(applicant__username="zhangsan").exists():
        return []
    rows = []
    for spec in DEMO_CASES:
        case = _demo_case(spec)
        if case is not None:
            case.refresh_from_db()
            rows.append((case.reference, case.item_version.name, case.get_state_display()))
    return rows
