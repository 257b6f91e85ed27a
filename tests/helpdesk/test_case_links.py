"""A call's links to the cases app: a snapshot filed as a case material, a new draft case from the wrap-up."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from cases.models import Case, CaseMaterial
from cases.services import case_draft_create
from helpdesk import services
from helpdesk.models import ClerkProfile, Offer
from tests.factories import T0, make_citizen, make_clerk, make_item
from tests.helpdesk.test_api import api, png_bytes

pytestmark = pytest.mark.django_db


def call_about(version, *, case=None):
    clerk = make_clerk("310101", status=ClerkProfile.Status.AVAILABLE, idle_since=T0)
    citizen = case.applicant if case else make_citizen(code="310101")
    request = services.assist_request_create(
        citizen=citizen, item_version=version, case_ref=case.reference if case else ""
    )
    offer = Offer.objects.get(request=request, outcome=Offer.Outcome.RINGING)
    return services.assist_offer_accept(offer_id=offer.pk, clerk=clerk)


def test_a_snapshot_of_the_document_is_filed_as_a_material_of_the_callers_case(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    version = make_item()  # accepted in Huangpu
    citizen = make_citizen(code="310101")
    case = case_draft_create(applicant=citizen, item_version=version, actor=citizen)
    session = call_about(version, case=case)
    form = version.materials.get(name="申请表")
    clerk = api(session.clerk)
    listed = clerk.get(f"/api/assist/sessions/{session.pk}/case-materials/?case={case.reference}").json()
    assert form.pk in [m["id"] for m in listed["materials"]]
    response = clerk.post(
        f"/api/assist/sessions/{session.pk}/snapshots/",
        {"image": SimpleUploadedFile("s.png", png_bytes()), "item_material": form.pk},
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["filed_as_case_material"] is True
    material = CaseMaterial.objects.get(case=case, item_material=form, current=True)
    assert (material.content_type, material.uploaded_by) == ("image/png", session.clerk)


def test_a_clerk_cannot_file_into_someone_elses_case():
    version = make_item()
    stranger = make_citizen(code="310101")
    other_case = case_draft_create(applicant=stranger, item_version=version, actor=stranger)
    session = call_about(version)
    clerk = api(session.clerk)
    assert (
        clerk.get(f"/api/assist/sessions/{session.pk}/case-materials/?case={other_case.reference}").status_code == 409
    )
    material = version.materials.first()
    assert material is not None
    response = clerk.post(
        f"/api/assist/sessions/{session.pk}/snapshots/",
        {
            "image": SimpleUploadedFile("s.png", png_bytes()),
            "case": other_case.reference,
            "item_material": material.pk,
        },
        format="multipart",
    )
    assert response.json()["filed_as_case_material"] is False
    assert "不属于" in response.json()["case_error"] or "does not belong" in response.json()["case_error"]
    assert not CaseMaterial.objects.filter(case=other_case).exists()


def test_the_wrap_up_can_start_a_new_draft_case_for_the_item_of_the_call():
    version = make_item()
    session = call_about(version)
    response = api(session.clerk).post(
        f"/api/assist/sessions/{session.pk}/wrap-up/",
        {"notes": "已代为创建草稿", "outcome": "case_created", "new_draft_case": True},
        format="json",
    )
    assert response.status_code == 200, response.json()
    case = Case.objects.get(reference=response.json()["case_ref"])
    assert (case.applicant, case.item_version, case.state) == (session.citizen, version, "draft")


def test_a_call_from_an_agent_links_the_case_they_file_for_someone_else():
    from cases.services import case_agent_draft_create
    from tests import factories as cf

    version = cf.make_item(agent_materials=True)
    agent = make_citizen(code="310101")
    principal = cf.make_user("citizen")
    case = case_agent_draft_create(
        agent=agent, item_version=version, principal_name="王五", principal_id_number=principal.id_number
    )
    assert case.applicant_id != agent.pk
    clerk = make_clerk("310101", status=ClerkProfile.Status.AVAILABLE, idle_since=T0)
    request = services.assist_request_create(citizen=agent, item_version=version, case_ref=case.reference)
    offer = Offer.objects.get(request=request, outcome=Offer.Outcome.RINGING)
    session = services.assist_offer_accept(offer_id=offer.pk, clerk=clerk)
    assert services.call_case_for(session=session, case_ref=case.reference) == case
    session = services.call_session_wrap_up(
        session=session, clerk=clerk, notes="代办材料", outcome="resolved", case_ref=case.reference
    )
    assert session.case_ref == case.reference
