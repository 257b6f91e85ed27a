"""形式审查 and 身份核验 (issue 10, item 2): acceptance waits for them, 补正 lists what failed, the approving
district reads them; the services, the API and the pages."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import User
from cases import life_cycle, services
from cases.chain import chain_verify
from cases.models import Case, CaseMaterial, CaseState, IdentityCheck, MaterialCheck
from govservice.errors import Invalid, NotAllowed
from standards.models import ItemMaterial, ItemVersion
from tests import factories as f

if TYPE_CHECKING:
    from pytest_django.fixtures import DjangoCaptureOnCommitCallbacks

pytestmark = pytest.mark.django_db

CONFORMING = MaterialCheck.Verdict.CONFORMING
NOT_CONFORMING = MaterialCheck.Verdict.NOT_CONFORMING


@pytest.fixture
def two_files() -> ItemVersion:
    """Both materials uploaded (no electronic licence stands in for the ID card)."""
    return f.make_item(elicence_material=False)


def upload_of(case: Case, code: str) -> CaseMaterial:
    return case.materials.get(current=True, item_material__material_type__code=code)


def material(version: ItemVersion, code: str) -> ItemMaterial:
    return version.materials.get(material_type__code=code)


def api(user: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def page_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- services ---------------------------------------------------------------------------------------


def test_acceptance_is_refused_until_every_required_material_conforms_and_the_identity_is_recorded(
    citizen: User,
    huangpu_clerk: User,
    two_files: ItemVersion,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    case = f.submitted_case(applicant=citizen, version=two_files)
    with pytest.raises(Invalid) as refused:
        services.case_accept(case=case, actor=huangpu_clerk)
    assert refused.value.code == "materials_unchecked" and "申请表" in refused.value.message
    services.case_material_check(case=case, material=upload_of(case, "M-FORM"), verdict=CONFORMING, actor=huangpu_clerk)
    with pytest.raises(Invalid) as refused:
        services.case_accept(case=case, actor=huangpu_clerk)
    assert refused.value.code == "materials_unchecked" and "居民身份证" in refused.value.message
    services.case_material_check(
        case=case, material=upload_of(case, "M-IDCARD"), verdict=CONFORMING, actor=huangpu_clerk
    )
    with pytest.raises(Invalid) as refused:
        services.case_accept(case=case, actor=huangpu_clerk)
    assert refused.value.code == "identity_unverified" and "identity" in refused.value.fields
    assert Case.objects.get(pk=case.pk).state == CaseState.SUBMITTED
    services.case_identity_check(case=case, method=IdentityCheck.Method.VIDEO, actor=huangpu_clerk)
    with django_capture_on_commit_callbacks(execute=False):
        assert services.case_accept(case=case, actor=huangpu_clerk).state == CaseState.ACCEPTED


def test_a_material_spared_by_an_electronic_licence_counts_as_satisfied(
    citizen: User, huangpu_clerk: User, item: ItemVersion
) -> None:
    case = f.submitted_case(applicant=citizen, version=item)  # the ID card: an electronic licence stands in
    assert upload_of(case, "M-IDCARD").spared_by_elicence
    services.case_material_check(case=case, material=upload_of(case, "M-FORM"), verdict=CONFORMING, actor=huangpu_clerk)
    services.case_identity_check(case=case, method="electronic_id", actor=huangpu_clerk)
    assert services.acceptance_gaps(case).ready


def test_a_failed_check_needs_a_reason_and_blocks_the_acceptance(
    citizen: User, huangpu_clerk: User, item: ItemVersion
) -> None:
    case = f.submitted_case(applicant=citizen, version=item)
    form = upload_of(case, "M-FORM")
    with pytest.raises(Invalid) as no_reason:
        services.case_material_check(case=case, material=form, verdict=NOT_CONFORMING, reason=" ", actor=huangpu_clerk)
    assert no_reason.value.code == "reason_required" and "reason" in no_reason.value.fields
    services.case_material_check(case=case, material=form, verdict=NOT_CONFORMING, reason="未签名", actor=huangpu_clerk)
    services.case_identity_check(case=case, method="id_card_in_person", actor=huangpu_clerk)
    with pytest.raises(Invalid) as refused:
        services.case_accept(case=case, actor=huangpu_clerk)
    assert refused.value.code == "materials_not_conforming"
    # A newer check of the same file supersedes the older one.
    services.case_material_check(case=case, material=form, verdict=CONFORMING, actor=huangpu_clerk)
    assert services.acceptance_gaps(case).ready


def test_only_a_clerk_of_the_accepting_district_checks_and_only_while_the_case_waits_there(
    citizen: User, huangpu_clerk: User, shushan_clerk: User, item: ItemVersion
) -> None:
    case = f.submitted_case(applicant=citizen, version=item)
    form = upload_of(case, "M-FORM")
    for outsider in (citizen, shushan_clerk, f.make_user("clerk", code=f.GUSU)):
        with pytest.raises(NotAllowed):
            services.case_material_check(case=case, material=form, verdict=CONFORMING, actor=outsider)
        with pytest.raises(NotAllowed):
            services.case_identity_check(case=case, method="video", actor=outsider)
    with pytest.raises(Invalid) as spared:
        services.case_material_check(
            case=case, material=upload_of(case, "M-IDCARD"), verdict=CONFORMING, actor=huangpu_clerk
        )
    assert spared.value.code == "material_not_checkable"
    with pytest.raises(Invalid):
        services.case_identity_check(case=case, method="telepathy", actor=huangpu_clerk)
    draft = services.case_draft_create(applicant=citizen, item_version=item, actor=citizen)
    f.upload_required(draft, citizen)
    with pytest.raises(services.TransitionNotAllowed):
        services.case_material_check(
            case=draft, material=upload_of(draft, "M-FORM"), verdict=CONFORMING, actor=huangpu_clerk
        )
    assert not MaterialCheck.objects.exists() and not IdentityCheck.objects.exists()


def test_a_correction_lists_exactly_the_failing_materials_with_their_reasons(
    citizen: User, huangpu_clerk: User, two_files: ItemVersion
) -> None:
    case = f.submitted_case(applicant=citizen, version=two_files)
    form, id_card = upload_of(case, "M-FORM"), upload_of(case, "M-IDCARD")
    with pytest.raises(Invalid) as nothing:
        services.case_request_correction(case=case, actor=huangpu_clerk, reason="请补正")
    assert nothing.value.code == "nothing_to_correct"
    services.case_material_check(case=case, material=form, verdict=CONFORMING, actor=huangpu_clerk)
    services.case_material_check(
        case=case, material=id_card, verdict=NOT_CONFORMING, reason="照片模糊", actor=huangpu_clerk
    )
    # A material checked as conforming cannot be named.
    with pytest.raises(Invalid) as conforming:
        services.case_request_correction(
            case=case, actor=huangpu_clerk, materials=[material(two_files, "M-FORM")], reason="请补正"
        )
    assert conforming.value.code == "material_conforming"
    case = services.case_request_correction(case=case, actor=huangpu_clerk, reason="请按告知补正")
    assert case.state == CaseState.CORRECTION_REQUESTED
    event = case.events.get(action="correction_requested")
    assert event.data["materials"] == ["M-IDCARD"] and event.reason == "请按告知补正"
    assert event.data["items"] == [
        {
            "item_material": id_card.item_material_id,
            "code": "M-IDCARD",
            "name": "居民身份证",
            "material": id_card.pk,
            "sha256": id_card.sha256,
            "reason": "照片模糊",
        }
    ]


def test_a_re_upload_after_a_correction_needs_a_new_check(
    citizen: User,
    huangpu_clerk: User,
    two_files: ItemVersion,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    case = f.submitted_case(applicant=citizen, version=two_files)
    f.record_checks(case, huangpu_clerk)
    services.case_material_check(
        case=case, material=upload_of(case, "M-IDCARD"), verdict=NOT_CONFORMING, reason="过期", actor=huangpu_clerk
    )
    case = services.case_request_correction(case=case, actor=huangpu_clerk, reason="请补正")
    services.case_material_add(
        case=case,
        item_material=material(two_files, "M-IDCARD"),
        uploaded_file=f.pdf_upload("new.pdf", size=256),
        actor=citizen,
    )
    case = services.case_submit(case=case, actor=citizen)
    gaps = services.acceptance_gaps(case)
    assert [m.material_type.code for m in gaps.unchecked] == ["M-IDCARD"]  # the form keeps its check
    assert not gaps.failing and not gaps.identity_missing  # the old file's failed check no longer counts
    with pytest.raises(Invalid) as refused:
        services.case_accept(case=case, actor=huangpu_clerk)
    assert refused.value.code == "materials_unchecked"
    services.case_material_check(
        case=case, material=upload_of(case, "M-IDCARD"), verdict=CONFORMING, actor=huangpu_clerk
    )
    with django_capture_on_commit_callbacks(execute=False):
        assert services.case_accept(case=case, actor=huangpu_clerk).state == CaseState.ACCEPTED


def test_every_check_is_an_event_of_the_case_chain_with_its_structured_record(
    citizen: User, huangpu_clerk: User, item: ItemVersion
) -> None:
    case = f.submitted_case(applicant=citizen, version=item)
    form = upload_of(case, "M-FORM")
    check = services.case_material_check(
        case=case, material=form, verdict=NOT_CONFORMING, reason="未签名", actor=huangpu_clerk, request_id="r-1"
    )
    identity = services.case_identity_check(case=case, method="video", note="视频核验", actor=huangpu_clerk)
    event = case.events.get(seq=check.event_seq)
    assert event.action == life_cycle.MATERIAL_CHECKED and event.request_id == "r-1"
    assert (event.actor_id, event.district_code, event.created_at) == (huangpu_clerk.pk, f.HUANGPU, check.checked_at)
    assert event.data == {
        "material": form.pk,
        "item_material": form.item_material_id,
        "code": "M-FORM",
        "name": "申请表",
        "sha256": form.sha256,
        "verdict": "not_conforming",
        "reason": "未签名",
        "clerk": huangpu_clerk.pk,
        "district": f.HUANGPU,
    }
    identity_event = case.events.get(seq=identity.event_seq)
    assert identity_event.action == life_cycle.IDENTITY_CHECKED
    assert identity_event.data["method"] == "video" and identity_event.data["note"] == "视频核验"
    assert chain_verify(case=case).ok


# --- the API ----------------------------------------------------------------------------------------


def test_the_api_records_checks_refuses_outsiders_and_accepts_once_they_are_complete(
    citizen: User,
    huangpu_clerk: User,
    item: ItemVersion,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    case = f.submitted_case(applicant=citizen, version=item)
    form = upload_of(case, "M-FORM")
    url = f"/api/cases/{case.reference}/checks/"
    refused = api(huangpu_clerk).post(f"/api/cases/{case.reference}/accept/")
    assert refused.status_code == 400 and refused.json()["code"] == "materials_unchecked"
    body = {"material": form.pk, "verdict": "not_conforming", "reason": ""}
    missing = api(huangpu_clerk).post(url + "materials/", body, format="json")
    assert missing.status_code == 400 and missing.json()["code"] == "reason_required"
    assert api(citizen).post(url + "materials/", body, format="json").json()["code"] == "not_your_side"
    gusu = f.make_user("clerk", code=f.GUSU)
    assert api(gusu).post(url + "materials/", {**body, "reason": "x"}, format="json").status_code == 404
    assert api(huangpu_clerk).post(url + "materials/", {**body, "material": 999999}, format="json").status_code == 404
    made = api(huangpu_clerk).post(url + "materials/", {**body, "verdict": "conforming"}, format="json")
    assert made.status_code == 201, made.content
    assert made.json()["sha256"] == form.sha256 and made.json()["clerk"] == huangpu_clerk.pk
    bad = api(huangpu_clerk).post(url + "identity/", {"method": "fax"}, format="json")
    assert bad.status_code == 400
    assert api(huangpu_clerk).post(url + "identity/", {"method": "video"}, format="json").status_code == 201
    state = api(citizen).get(url).json()
    assert state["acceptance"] == {
        "ready": True,
        "missing": [],
        "unchecked": [],
        "failing": [],
        "identity_missing": False,
    }
    assert [c["verdict"] for c in state["materials"]] == ["conforming"] and state["identity"][0]["method"] == "video"
    with django_capture_on_commit_callbacks(execute=False):
        assert api(huangpu_clerk).post(f"/api/cases/{case.reference}/accept/").status_code == 200


def test_the_api_correction_without_materials_lists_the_failed_checks(
    citizen: User, huangpu_clerk: User, item: ItemVersion
) -> None:
    case = f.submitted_case(applicant=citizen, version=item)
    services.case_material_check(
        case=case, material=upload_of(case, "M-FORM"), verdict=NOT_CONFORMING, reason="缺页", actor=huangpu_clerk
    )
    response = api(huangpu_clerk).post(
        f"/api/cases/{case.reference}/request-correction/", {"reason": "请补正"}, format="json"
    )
    assert response.status_code == 200, response.content
    correction = api(citizen).get(f"/api/cases/{case.reference}/checks/").json()["correction"]
    assert [(c["item_material"], c["reason"]) for c in correction] == [(material(item, "M-FORM").pk, "缺页")]


def test_the_approving_district_reads_the_accepting_districts_checks_beside_each_document(
    citizen: User,
    huangpu_clerk: User,
    shushan_clerk: User,
    two_files: ItemVersion,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    case = f.submitted_case(applicant=citizen, version=two_files)
    with django_capture_on_commit_callbacks(execute=False):
        f.accept_checked(case, huangpu_clerk)
    services.case_route(case_id=case.pk, transfer_number=1)
    detail = api(shushan_clerk).get(f"/api/cases/{case.reference}/").json()
    checks = {m["material_code"]: m["check"] for m in detail["materials"]}
    assert checks["M-FORM"]["verdict"] == checks["M-IDCARD"]["verdict"] == "conforming"
    assert checks["M-FORM"]["district"] == f.HUANGPU and checks["M-FORM"]["clerk"] == huangpu_clerk.pk
    assert checks["M-FORM"]["sha256"] == upload_of(case, "M-FORM").sha256
    assert detail["identity_check"]["method"] == "id_card_in_person"
    page = page_for(shushan_clerk).get(reverse("cases-detail", args=[case.reference])).content.decode()
    assert page.count('data-verdict="conforming"') == 2 and str(huangpu_clerk) in page
    assert "data-check-form" not in page and "cases-check" not in page  # it reads them; it does not check


def test_the_schema_documents_the_check_endpoints() -> None:
    schema = APIClient().get("/api/schema/?format=json").json()
    paths = schema["paths"]
    assert "post" in paths["/api/cases/{reference}/checks/materials/"]
    assert "post" in paths["/api/cases/{reference}/checks/identity/"]
    assert "get" in paths["/api/cases/{reference}/checks/"]
    assert "check" in schema["components"]["schemas"]["CaseMaterial"]["properties"]


# --- the case page ----------------------------------------------------------------------------------


def test_the_case_page_lets_the_accepting_clerk_check_and_shows_the_applicant_why_to_correct(
    citizen: User, huangpu_clerk: User, two_files: ItemVersion
) -> None:
    case = f.submitted_case(applicant=citizen, version=two_files)
    clerk_page = page_for(huangpu_clerk)
    detail = reverse("cases-detail", args=[case.reference])
    page = clerk_page.get(detail).content.decode()
    assert page.count("data-check-form=") == 2 and 'class="identity-form"' in page and 'id="acceptance"' in page
    assert "data-check-form" not in page_for(citizen).get(detail).content.decode()
    id_card = upload_of(case, "M-IDCARD")
    clerk_page.post(
        reverse("cases-check-material", args=[case.reference]),
        {"material": id_card.pk, "verdict": "not_conforming", "reason": "照片模糊"},
    )
    clerk_page.post(
        reverse("cases-check-material", args=[case.reference]),
        {"material": upload_of(case, "M-FORM").pk, "verdict": "conforming"},
    )
    clerk_page.post(reverse("cases-check-identity", args=[case.reference]), {"method": "id_card_in_person"})
    assert MaterialCheck.objects.filter(case=case).count() == 2 and IdentityCheck.objects.filter(case=case).exists()
    page = clerk_page.get(detail).content.decode()
    assert f'data-failing="{id_card.item_material_id}"' in page  # the correction form says what it will list
    clerk_page.post(reverse("cases-step", args=[case.reference, "request_correction"]), {"reason": "请补正"})
    assert Case.objects.get(pk=case.pk).state == CaseState.CORRECTION_REQUESTED
    mine = page_for(citizen).get(detail).content.decode()
    row = mine.split(f'id="material-{id_card.item_material_id}"')[1].split("</tr>")[0]
    assert "照片模糊" in row and 'name="file"' in row  # the reason beside the upload that replaces it
    other = mine.split(f'id="material-{material(two_files, "M-FORM").pk}"')[1].split("</tr>")[0]
    assert "data-correction" not in other


def test_the_case_page_shows_the_standards_acceptance_standard_and_the_required_reasons(
    citizen: User, huangpu_clerk: User
) -> None:
    version = f.make_item()
    ItemVersion.objects.filter(pk=version.pk).update(status=ItemVersion.Status.DRAFT)
    ItemMaterial.objects.filter(version=version, material_type__code="M-FORM").update(
        acceptance_standard="须本人签名，内容完整"
    )
    ItemVersion.objects.filter(pk=version.pk).update(status=ItemVersion.Status.PUBLISHED)
    case = f.submitted_case(applicant=citizen, version=version)
    page = page_for(huangpu_clerk).get(reverse("cases-detail", args=[case.reference])).content.decode()
    assert "须本人签名，内容完整" in page and "受理标准" in page
    assert page.count("reason-required") == 2  # 补正 and 不予受理 need a reason; 受理 does not
    assert 'id="keyboard-hint"' in page


def test_the_correction_notice_goes_once_the_replacing_file_is_checked(
    citizen: User, huangpu_clerk: User, two_files: ItemVersion
) -> None:
    from cases.selectors import material_rows

    case = f.submitted_case(applicant=citizen, version=two_files)
    f.record_checks(case, huangpu_clerk)
    services.case_material_check(
        case=case, material=upload_of(case, "M-IDCARD"), verdict=NOT_CONFORMING, reason="过期", actor=huangpu_clerk
    )
    case = services.case_request_correction(case=case, actor=huangpu_clerk, reason="请补正")

    def notices() -> dict[str, tuple[str, bool]]:
        rows = material_rows(Case.objects.get(pk=case.pk))
        return {r.item_material.material_type.code: (r.correction.reason, r.replaced) for r in rows if r.correction}

    assert notices() == {"M-IDCARD": ("过期", False)}
    services.case_material_add(
        case=case,
        item_material=material(two_files, "M-IDCARD"),
        uploaded_file=f.pdf_upload("new.pdf", size=256),
        actor=citizen,
    )
    assert notices() == {"M-IDCARD": ("过期", True)}
    case = services.case_submit(case=case, actor=citizen)
    assert notices() == {"M-IDCARD": ("过期", True)}  # the window still sees what was asked for
    services.case_material_check(
        case=case, material=upload_of(case, "M-IDCARD"), verdict=CONFORMING, actor=huangpu_clerk
    )
    assert notices() == {}


def test_a_required_material_never_uploaded_is_missing_not_unchecked(
    citizen: User, huangpu_clerk: User, item: ItemVersion
) -> None:
    draft = services.case_draft_create(applicant=citizen, item_version=item, actor=citizen)
    case = Case.objects.get(pk=draft.pk)
    Case.objects.filter(pk=case.pk).update(state=CaseState.SUBMITTED)  # as if submitted without its form
    case.refresh_from_db()
    services.case_identity_check(case=case, method="video", actor=huangpu_clerk)
    gaps = services.acceptance_gaps(case)
    assert [m.material_type.code for m in gaps.missing] == ["M-FORM"] and not gaps.unchecked
    with pytest.raises(Invalid) as refused:
        services.case_accept(case=case, actor=huangpu_clerk)
    assert refused.value.code == "materials_missing"
    page = page_for(huangpu_clerk).get(reverse("cases-detail", args=[case.reference])).content.decode()
    assert "缺少“申请表”" in page
