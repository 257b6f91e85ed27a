"""The competent approving district: chosen at the draft by the item's rule, shown before submission, and
changed by the accepting clerk with a reason before the transfer only."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import User
from cases import life_cycle, services
from cases.competence_rules import OUTSIDE
from cases.models import Case, CaseEvent
from govservice.errors import Invalid, NotAllowed
from standards.models import ItemVersion
from tests import factories as f

pytestmark = pytest.mark.django_db


def person(household_district: str = "", insured_district: str = "") -> User:
    return f.make_user(
        "citizen",
        household_district=f.district(household_district) if household_district else None,
        insured_district=f.district(insured_district) if insured_district else None,
    )


def three_approvers(rule: str) -> ItemVersion:
    # Gusu first in division-code order, Shushan last: the list's order must not decide.
    return f.make_item(approve_in=(f.GUSU, f.SHUSHAN, f.HUANGPU), competent_district_rule=rule)


def draft(applicant: User, version: ItemVersion, place: str = "") -> Case:
    return services.case_draft_create(applicant=applicant, item_version=version, actor=applicant, approving_place=place)


def refused(applicant: User, version: ItemVersion, place: str = "") -> Invalid:
    with pytest.raises(Invalid) as caught:
        draft(applicant, version, place)
    return caught.value


def test_the_household_rule_sends_the_case_where_the_applicant_is_registered() -> None:
    case = draft(person(household_district=f.SHUSHAN, insured_district=f.GUSU), three_approvers("household"))
    assert (case.approving_district.division_code, case.approving_basis) == (f.SHUSHAN, "household")
    first = CaseEvent.objects.get(case=case, seq=1)
    assert first.data["approving_district"] == f.SHUSHAN and first.data["approving_basis"] == "household"


def test_the_social_insurance_rule_reads_the_insured_district() -> None:
    case = draft(person(household_district=f.SHUSHAN, insured_district=f.GUSU), three_approvers("social_insurance"))
    assert (case.approving_district.division_code, case.approving_basis) == (f.GUSU, "social_insurance")


def test_the_registered_address_rule_reads_the_firms_registered_district() -> None:
    firm = f.make_firm(f.SHUSHAN)
    representative = f.make_user("firm", firm=firm)
    case = draft(representative, three_approvers("registered"))
    assert (case.approving_district.division_code, case.approving_basis) == (f.SHUSHAN, "registered")


def test_the_applicant_chooses_among_the_approving_districts() -> None:
    version = three_approvers("applicant_choice")
    case = draft(person(), version, f.SHUSHAN)
    assert (case.approving_district.division_code, case.approving_basis) == (f.SHUSHAN, "applicant_choice")
    error = refused(person(), version)
    assert error.code == "approving_choice_required" and "approving_place" in error.fields
    assert refused(person(), version, f.LUYANG).code == "approving_choice_not_approving"


def test_one_approving_district_is_the_applicants_only_choice() -> None:
    case = draft(person(), f.make_item())
    assert (case.approving_district.division_code, case.approving_basis) == (f.SHUSHAN, "only_district")


def test_a_place_the_account_does_not_record_is_asked_for_and_then_taken_from_the_form() -> None:
    version = three_approvers("household")
    error = refused(person(), version)
    assert error.code == "approving_place_required" and "户籍地" in error.message
    assert draft(person(), version, f.GUSU).approving_district.division_code == f.GUSU


def test_a_place_that_does_not_approve_the_item_is_refused_as_not_cross_province_here() -> None:
    version = f.make_item(approve_in=(f.SHUSHAN,), competent_district_rule="household")
    error = refused(person(household_district=f.LUYANG), version)
    assert error.code == "not_cross_province_here"
    assert "庐阳" in error.message and "通办" in error.message
    assert refused(person(), version, OUTSIDE).code == "not_cross_province_here"


def test_a_rule_for_the_other_kind_of_applicant_is_refused_with_its_reason() -> None:
    representative = f.make_user("firm", firm=f.make_firm(f.SHUSHAN))
    assert refused(representative, three_approvers("household")).code == "competence_rule_not_for_applicant"


def test_an_agents_application_takes_the_principals_place_from_the_form() -> None:
    agent = person()
    version = f.make_item(
        approve_in=(f.GUSU, f.SHUSHAN), agent_materials=True, competent_district_rule="social_insurance"
    )
    case = services.case_agent_draft_create(
        agent=agent,
        item_version=version,
        principal_name="王五",
        principal_id_number=f.id_number(901),
        approving_place=f.GUSU,
    )
    assert case.approving_district.division_code == f.GUSU


# --- the clerk's change --------------------------------------------------------------------------


@pytest.fixture
def submitted() -> Case:
    applicant = person()
    case = draft(applicant, three_approvers("applicant_choice"), f.SHUSHAN)
    f.upload_required(case, applicant)
    return services.case_submit(case=case, actor=applicant)


def test_the_accepting_clerk_changes_the_district_with_a_reason_and_the_chain_records_it(
    submitted: Case, huangpu_clerk: User
) -> None:
    case = services.case_approving_district_change(
        case=submitted, actor=huangpu_clerk, district=f.district(f.GUSU), reason="户口簿显示户籍在姑苏区"
    )
    case.refresh_from_db()
    assert (case.approving_district.division_code, case.approving_basis) == (f.GUSU, "clerk")
    event = CaseEvent.objects.filter(case=case).order_by("-seq").first()
    assert event is not None and event.action == life_cycle.APPROVING_DISTRICT_CHANGED
    assert event.reason == "户口簿显示户籍在姑苏区" and event.data == {"from": f.SHUSHAN, "to": f.GUSU}
    assert event.actor == huangpu_clerk and event.district_code == f.HUANGPU


def test_the_change_needs_a_reason_a_district_that_approves_and_the_accepting_side(
    submitted: Case, huangpu_clerk: User, shushan_clerk: User
) -> None:
    gusu = f.district(f.GUSU)
    with pytest.raises(Invalid) as no_reason:
        services.case_approving_district_change(case=submitted, actor=huangpu_clerk, district=gusu, reason=" ")
    assert no_reason.value.code == "reason_required"
    with pytest.raises(Invalid) as not_approving:
        services.case_approving_district_change(
            case=submitted, actor=huangpu_clerk, district=f.district(f.LUYANG), reason="x"
        )
    assert not_approving.value.code == "not_approving"
    for outsider in (shushan_clerk, submitted.applicant):
        assert outsider is not None
        with pytest.raises(NotAllowed):
            services.case_approving_district_change(case=submitted, actor=outsider, district=gusu, reason="x")
    submitted.refresh_from_db()
    assert submitted.approving_district.division_code == f.SHUSHAN


def test_the_change_is_refused_once_accepted_and_after_the_transfer(
    submitted: Case, huangpu_clerk: User, shushan_clerk: User
) -> None:
    # In the test's transaction the after-commit enqueue never runs: routing is called below.
    f.accept_checked(submitted, huangpu_clerk)
    gusu = f.district(f.GUSU)
    for state in ("accepted", "transferred"):
        submitted.refresh_from_db()
        assert submitted.state == state
        with pytest.raises(services.TransitionNotAllowed) as caught:
            services.case_approving_district_change(case=submitted, actor=huangpu_clerk, district=gusu, reason="x")
        assert caught.value.code == "approving_district_fixed"
        if state == "accepted":
            services.case_route(case_id=submitted.pk, transfer_number=submitted.transfer_number)
    # Returned to the accepting window after the approving district saw it: still fixed.
    services.case_review_start(case=submitted, actor=shushan_clerk)
    services.case_return(case=submitted, actor=shushan_clerk, reason="材料需补充")
    submitted.refresh_from_db()
    with pytest.raises(services.TransitionNotAllowed):
        services.case_approving_district_change(case=submitted, actor=huangpu_clerk, district=gusu, reason="x")


# --- shown before submission ------------------------------------------------------------------------


def test_the_draft_page_and_the_api_show_the_approving_district_and_why() -> None:
    applicant = person(household_district=f.SHUSHAN)
    case = draft(applicant, three_approvers("household"))
    client = Client()
    client.force_login(applicant)
    page = client.get(f"/cases/{case.reference}/").content.decode()
    assert "蜀山区" in page and 'data-approving-basis="household"' in page and "户籍地" in page
    api = APIClient()
    api.force_authenticate(applicant)
    body = api.get(f"/api/cases/{case.reference}/").json()
    assert body["approving_district"] == f.SHUSHAN and body["approving_basis"] == "household"
    assert "户籍地" in body["approving_basis_label"]


def test_the_api_creates_a_draft_with_a_choice_and_answers_a_missing_one_with_its_code() -> None:
    applicant = person()
    version = three_approvers("applicant_choice")
    api = APIClient()
    api.force_authenticate(applicant)
    missing = api.post("/api/cases/", {"item_version": version.pk}, format="json")
    assert missing.status_code == 400 and missing.json()["code"] == "approving_choice_required"
    assert "approving_place" in missing.json()["fields"]
    made = api.post("/api/cases/", {"item_version": version.pk, "approving_place": f.GUSU}, format="json")
    assert made.status_code == 201 and made.json()["approving_district"] == f.GUSU


def test_the_item_page_asks_for_the_choice_and_the_apply_form_uses_it() -> None:
    applicant = person()
    version = three_approvers("applicant_choice")
    client = Client()
    client.force_login(applicant)
    page = client.get(f"/items/{version.item.code}/").content.decode()
    assert 'name="approving_place"' in page and f'value="{f.GUSU}"' in page
    client.post(f"/cases/apply/{version.pk}/", {"approving_place": f.GUSU})
    case = Case.objects.get(applicant=applicant)
    assert case.approving_district.division_code == f.GUSU


def test_the_accepting_clerk_changes_the_district_from_the_case_page(submitted: Case, huangpu_clerk: User) -> None:
    client = Client()
    client.force_login(huangpu_clerk)
    page = client.get(f"/cases/{submitted.reference}/").content.decode()
    assert f"/cases/{submitted.reference}/approving-district/" in page
    client.post(f"/cases/{submitted.reference}/approving-district/", {"district": f.GUSU, "reason": "参保地核实"})
    submitted.refresh_from_db()
    assert submitted.approving_district.division_code == f.GUSU


def test_the_api_change_answers_409_after_acceptance(submitted: Case, huangpu_clerk: User) -> None:
    api = APIClient()
    api.force_authenticate(huangpu_clerk)
    url = f"/api/cases/{submitted.reference}/approving-district/"
    ok = api.post(url, {"district": f.GUSU, "reason": "参保地核实"}, format="json")
    assert ok.status_code == 200 and ok.json()["approving_basis"] == "clerk"
    f.accept_checked(submitted, huangpu_clerk)
    late = api.post(url, {"district": f.SHUSHAN, "reason": "x"}, format="json")
    assert late.status_code == 409 and late.json()["code"] == "approving_district_fixed"
