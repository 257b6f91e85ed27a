"""窗口收件: a clerk registers a walk-in applicant, files the case at their window, submits it on their behalf;
the applicant's own account (by ID number) sees it; nobody outside the accepting district does before routing."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from rest_framework.test import APIClient

from accounts.identifiers import validate_id_number
from accounts.models import User
from cases import life_cycle, selectors, services
from cases.models import Case, CaseEvent
from govservice.errors import Invalid, NotAllowed
from standards.models import ItemVersion
from tests import factories as f

pytestmark = pytest.mark.django_db

WALKIN_ID = f.id_number(955)


def intake(clerk: User, version: ItemVersion, **fields: object) -> Case:
    values: dict[str, object] = {"id_number": WALKIN_ID, "consent": True, "name": "赵六", "phone": "13912345678"}
    values.update(fields)
    return services.case_counter_intake(clerk=clerk, item_version=version, **values)  # type: ignore[arg-type]


def test_a_clerk_finds_an_applicant_by_id_number_and_sees_it_only_masked(huangpu_clerk: User) -> None:
    holder = f.make_user("citizen", id_number=WALKIN_ID, display_name="赵六", phone="13912345678")
    found = selectors.counter_lookup(clerk=huangpu_clerk, id_number=WALKIN_ID.lower())
    assert found.has_account and found.name == "赵六" and found.phone_on_record
    assert found.masked_id_number == WALKIN_ID[:6] + "********" + WALKIN_ID[-4:]
    assert WALKIN_ID not in repr(found)
    assert not selectors.counter_lookup(clerk=huangpu_clerk, id_number=f.id_number(956)).has_account
    with pytest.raises(NotAllowed):
        selectors.counter_lookup(clerk=holder, id_number=WALKIN_ID)


@pytest.mark.parametrize(
    "number",
    [
        "３１０１０１１９９００１０１９５５X",  # full-width digits: not ASCII
        WALKIN_ID[:17] + ("0" if WALKIN_ID[17] != "0" else "1"),  # wrong check digit
        WALKIN_ID[:9] + " " + WALKIN_ID[9:17],
        WALKIN_ID[:10],
    ],
)
def test_an_id_number_is_ascii_digits_with_a_right_check_digit(huangpu_clerk: User, number: str) -> None:
    with pytest.raises(Invalid) as caught:
        selectors.counter_lookup(clerk=huangpu_clerk, id_number=number)
    assert "id_number" in caught.value.fields


def test_the_id_number_check_refuses_a_final_newline_that_a_dollar_anchor_would_let_through() -> None:
    with pytest.raises(ValidationError):
        validate_id_number(WALKIN_ID + "\n")
    validate_id_number(WALKIN_ID)


def test_a_walkin_without_an_account_is_recorded_with_consent_at_the_clerks_window(huangpu_clerk: User) -> None:
    case = intake(huangpu_clerk, f.make_item())
    assert case.state == "draft" and case.applicant is None
    assert (case.applicant_id_number, case.applicant_name, case.applicant_phone) == (WALKIN_ID, "赵六", "13912345678")
    assert case.accepting_window == huangpu_clerk.window and case.counter_clerk == huangpu_clerk
    first = CaseEvent.objects.get(case=case, seq=1)
    assert first.action == life_cycle.COUNTER_INTAKE and first.actor == huangpu_clerk
    assert first.data["consent"] is True and first.data["window"] == huangpu_clerk.window.code
    assert WALKIN_ID not in str(first.data) and "13912345678" not in str(first.data)


def test_without_consent_name_or_phone_nothing_is_filed(huangpu_clerk: User) -> None:
    version = f.make_item()
    cases: list[tuple[dict[str, object], str, str]] = [
        ({"consent": False}, "consent_required", "consent"),
        ({"name": " "}, "invalid", "name"),
        ({"phone": ""}, "invalid", "phone"),
        ({"phone": "１３９１２３４５６７８"}, "invalid", "phone"),
    ]
    for fields, code, field in cases:
        with pytest.raises(Invalid) as caught:
            intake(huangpu_clerk, version, **fields)
        assert caught.value.code == code and field in caught.value.fields
    assert not Case.objects.exists()


def test_only_a_clerk_files_at_the_counter(citizen: User) -> None:
    with pytest.raises(NotAllowed):
        intake(citizen, f.make_item())


def test_an_applicant_with_an_account_becomes_the_cases_applicant_and_their_places_count(huangpu_clerk: User) -> None:
    holder = f.make_user(
        "citizen", id_number=WALKIN_ID, display_name="赵六", phone="13900000000", household_district=f.district(f.GUSU)
    )
    version = f.make_item(approve_in=(f.SHUSHAN, f.GUSU), competent_district_rule="household")
    case = intake(huangpu_clerk, version, name="", phone="")
    assert case.applicant == holder and case.applicant_name == "赵六" and case.applicant_phone == "13900000000"
    assert (case.approving_district.division_code, case.approving_basis) == (f.GUSU, "household")


def test_the_clerk_uploads_and_submits_for_the_walkin_and_may_then_accept(huangpu_clerk: User) -> None:
    case = intake(huangpu_clerk, f.make_item())
    assert "submit" in selectors.case_steps_for(case=case, user=huangpu_clerk)
    f.upload_required(case, huangpu_clerk)
    case = services.case_submit(case=case, actor=huangpu_clerk)
    assert case.state == "submitted"
    assert f.accept_checked(case, huangpu_clerk).state == "accepted"


def test_a_clerk_may_not_submit_an_online_application_nor_see_an_applicants_draft(
    huangpu_clerk: User, citizen: User
) -> None:
    online = services.case_draft_create(applicant=citizen, item_version=f.make_item(), actor=citizen)
    f.upload_required(online, citizen)
    assert not selectors.cases_visible_to(huangpu_clerk).filter(pk=online.pk).exists()
    with pytest.raises(NotAllowed):
        services.case_submit(case=online, actor=huangpu_clerk)


def test_the_walkin_sees_the_case_from_their_own_account_by_id_number_and_others_do_not(
    huangpu_clerk: User, shushan_clerk: User
) -> None:
    case = intake(huangpu_clerk, f.make_item())
    # The applicant opens an account later; administrators set the verified ID number on it.
    own = f.make_user("citizen", id_number=WALKIN_ID)
    stranger = f.make_user("citizen")
    other_district = f.make_user("clerk", code=f.GUSU)
    colleague = f.make_user("clerk", code=f.HUANGPU)
    assert selectors.cases_visible_to(own).filter(pk=case.pk).exists()
    assert selectors.cases_visible_to(colleague).filter(pk=case.pk).exists()  # the counter's draft, in its district
    for outsider in (stranger, other_district, shushan_clerk):
        assert not selectors.cases_visible_to(outsider).filter(pk=case.pk).exists()
    # The applicant may act on it as on their own (e.g. withdraw once submitted).
    f.upload_required(case, huangpu_clerk)
    services.case_submit(case=case, actor=huangpu_clerk)
    assert services.case_withdraw(case=case, actor=own, reason="不再需要").state == "withdrawn"


def test_the_counter_pages_find_register_and_photograph_then_submit(huangpu_clerk: User) -> None:
    version = f.make_item()
    client = Client()
    client.force_login(huangpu_clerk)
    assert client.get("/cases/counter/").status_code == 200
    found = client.post("/cases/counter/", {"action": "lookup", "id_number": WALKIN_ID, "item": version.item.code})
    page = found.content.decode()
    assert WALKIN_ID not in page and WALKIN_ID[-4:] in page and 'name="consent"' in page
    refused = client.post("/cases/counter/", {"action": "register", "name": "赵六", "phone": "13912345678"})
    assert refused.status_code == 200 and not Case.objects.exists()  # no consent: the form again
    filed = client.post(
        "/cases/counter/", {"action": "register", "name": "赵六", "phone": "13912345678", "consent": "yes"}
    )
    case = Case.objects.get()
    assert filed["Location"] == f"/cases/counter/{case.reference}/"
    counter_page = client.get(filed["Location"]).content.decode()
    assert "camera.js" in counter_page and 'data-action="camera-capture"' in counter_page
    assert "<script>" not in counter_page  # no inline scripts (CSP)
    for material in version.materials.filter(elicence_exempt=False):
        client.post(
            f"/cases/{case.reference}/do/material/",
            {"item_material": material.pk, "file": f.pdf_upload(), "next": "counter"},
        )
    done = client.post(f"/cases/{case.reference}/do/submit/", {"next": "counter"})
    assert done["Location"] == f"/cases/counter/{case.reference}/"
    case.refresh_from_db()
    assert case.state == "submitted"


def test_the_counter_pages_are_for_clerks_only(citizen: User, huangpu_clerk: User) -> None:
    client = Client()
    client.force_login(citizen)
    assert client.get("/cases/counter/").status_code == 403
    case = intake(huangpu_clerk, f.make_item())
    gusu = Client()
    gusu.force_login(f.make_user("clerk", code=f.GUSU))
    assert gusu.get(f"/cases/counter/{case.reference}/").status_code == 404
    assert gusu.get(f"/cases/{case.reference}/").status_code == 404


def test_the_api_looks_up_and_files_at_the_counter(huangpu_clerk: User) -> None:
    version = f.make_item()
    api = APIClient()
    api.force_authenticate(huangpu_clerk)
    looked = api.post("/api/cases/counter/lookup/", {"id_number": WALKIN_ID}, format="json")
    assert looked.status_code == 200 and looked.json()["has_account"] is False
    assert WALKIN_ID not in looked.content.decode()
    body = {"item_version": version.pk, "id_number": WALKIN_ID, "name": "赵六", "phone": "13912345678"}
    no_consent = api.post("/api/cases/counter/", {**body, "consent": False}, format="json")
    assert no_consent.status_code == 400 and no_consent.json()["code"] == "consent_required"
    made = api.post("/api/cases/counter/", {**body, "consent": True}, format="json")
    assert made.status_code == 201
    data = made.json()
    assert huangpu_clerk.window is not None
    assert data["filed_at_counter"] is True and data["accepting_window"] == huangpu_clerk.window.code
    assert WALKIN_ID not in made.content.decode()
    citizen_api = APIClient()
    citizen_api.force_authenticate(f.make_user("citizen"))
    assert citizen_api.post("/api/cases/counter/lookup/", {"id_number": WALKIN_ID}, format="json").status_code == 403
