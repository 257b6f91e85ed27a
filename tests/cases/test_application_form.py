"""The application form (申请表): declared per item version with the standard, filled in per case (validated per
kind, who and when, audited on the chain), required fields needed to submit, shown masked to clerks."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import translation
from rest_framework.test import APIClient

from accounts.models import User
from cases import life_cycle, services
from cases.models import Case, CaseEvent, CaseFormValue
from cases.services import TransitionNotAllowed
from govservice.errors import Invalid, NotAllowed
from standards import services as standards_services
from standards.forms import validate_application_form
from standards.models import ItemVersion
from tests import factories as f

pytestmark = pytest.mark.django_db

ID = f.id_number(4321)
FILLED = {"name": "王小明", "id_number": ID, "phone": "13812345678"}


@pytest.fixture(autouse=True)
def _chinese() -> Iterator[None]:
    """The services' messages in the site's default language, whatever an earlier test left active."""
    with translation.override("zh-hans"):
        yield


@pytest.fixture
def version() -> ItemVersion:
    return f.with_form(f.make_item())


@pytest.fixture
def draft(version: ItemVersion, citizen: User) -> Case:
    return services.case_draft_create(applicant=citizen, item_version=version, actor=citizen)


# --- the declaration -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("form", "says"),
    [
        ({"key": "x"}, "list"),
        ([{"key": "Bad key", "label": "甲", "kind": "text"}], "key"),
        ([{"key": "a", "label": "甲", "kind": "text"}, {"key": "a", "label": "乙", "kind": "text"}], "twice"),
        ([{"key": "a", "label": "甲", "kind": "colour"}], "kind"),
        ([{"key": "a", "label": "", "kind": "text"}], "Chinese label"),
        ([{"key": "a", "label": "甲", "kind": "choice"}], "choices"),
        ([{"key": "a", "label": "甲", "kind": "choice", "choices": [{"value": "x", "label": ""}]}], "label"),
        ([{"key": "a", "label": "甲", "kind": "text", "choices": []}], "only a choice"),
        ([{"key": "a", "label": "甲", "kind": "text", "max_length": 0}], "max_length"),
        ([{"key": "a", "label": "甲", "kind": "text", "colour": "red"}], "unknown"),
    ],
)
def test_a_form_declaration_that_is_not_well_formed_is_refused_and_says_why(form: object, says: str) -> None:
    with translation.override("en"), pytest.raises(ValidationError) as error:
        validate_application_form(form)
    assert says in " ".join(error.value.messages)


def test_the_sample_form_is_well_formed_and_an_empty_one_too() -> None:
    validate_application_form(f.SAMPLE_FORM)
    validate_application_form([])


def test_the_form_is_edited_in_a_draft_copied_into_the_next_one_and_frozen_by_publication(
    version: ItemVersion,
) -> None:
    draft = standards_services.item_draft_create(actor=None, item=version.item)
    assert draft.application_form == f.SAMPLE_FORM  # carried into the new draft like the rest of the standard
    fields = [*f.SAMPLE_FORM, {"key": "email", "label": "电子邮箱", "kind": "text"}]
    standards_services.item_draft_update(actor=None, draft=draft, fields={"application_form": fields})
    draft.refresh_from_db()
    assert draft.application_form[-1]["key"] == "email"
    with pytest.raises(ValidationError):
        standards_services.item_draft_update(
            actor=None, draft=draft, fields={"application_form": [{"key": "x", "label": "甲", "kind": "?"}]}
        )
    version.application_form = []
    with pytest.raises(ValidationError):
        version.save()  # a published version never changes


# --- the values -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "raw", "stored"),
    [
        ("name", "  王 小明 ", "王 小明"),
        ("id_number", ID.lower(), ID.upper()),
        ("phone", "021-63211234", "021-63211234"),
        ("born", "1990-01-02", "1990-01-02"),
        ("household", "3", "3"),
        ("kind", "renew", "renew"),
        ("name", "", ""),
    ],
)
def test_each_kind_stores_a_good_value_in_its_form(draft: Case, citizen: User, key: str, raw: str, stored: str) -> None:
    services.case_form_fill(case=draft, values={key: raw}, actor=citizen)
    value = CaseFormValue.objects.filter(case=draft, key=key, current=True).first()
    assert (value.value if value else "") == stored


@pytest.mark.parametrize(
    ("key", "raw"),
    [
        ("id_number", ID[:-1] + ("0" if ID[-1] != "0" else "1")),  # a wrong check digit
        ("phone", "call me"),
        ("born", "02/01/1990"),
        ("household", "three"),
        ("kind", "other"),
        ("name", "长" * 21),  # the declaration's max_length is 20
        ("note", "第一行\x00"),  # PostgreSQL could not store it
    ],
)
def test_a_bad_value_is_refused_with_its_field_named_and_nothing_is_written(
    draft: Case, citizen: User, key: str, raw: str
) -> None:
    with pytest.raises(Invalid) as error:
        services.case_form_fill(case=draft, values={"name": "王小明", key: raw}, actor=citizen)
    assert key in error.value.fields
    assert not CaseFormValue.objects.filter(case=draft).exists()  # all or nothing
    assert not CaseEvent.objects.filter(case=draft, action=life_cycle.FORM_FILLED).exists()


def test_unknown_keys_are_refused(draft: Case, citizen: User) -> None:
    with pytest.raises(Invalid, match="nickname"):
        services.case_form_fill(case=draft, values={"nickname": "小王"}, actor=citizen)


def test_each_change_records_who_and_when_keeps_the_old_value_and_puts_a_hash_not_the_value_on_the_chain(
    draft: Case, citizen: User, huangpu_clerk: User
) -> None:
    services.case_form_fill(case=draft, values=FILLED, actor=citizen)
    # The same values again change nothing and add no event.
    assert services.case_form_fill(case=draft, values=FILLED, actor=citizen) == []
    changed = services.case_form_fill(case=draft, values={"phone": "13900001111"}, actor=huangpu_clerk)
    assert [(row.key, row.filled_by) for row in changed] == [("phone", huangpu_clerk)]
    rows = CaseFormValue.objects.filter(case=draft, key="phone").order_by("id")
    assert [(r.value, r.current, r.filled_by) for r in rows] == [
        ("13812345678", False, citizen),
        ("13900001111", True, huangpu_clerk),
    ]
    events = list(CaseEvent.objects.filter(case=draft, action=life_cycle.FORM_FILLED).order_by("seq"))
    assert [(e.actor, sorted(e.data["fields"])) for e in events] == [
        (citizen, ["id_number", "name", "phone"]),
        (huangpu_clerk, ["phone"]),
    ]
    assert events[0].data["fields"]["id_number"] == hashlib.sha256(ID.encode()).hexdigest()
    assert ID not in str([e.data for e in events])


def test_only_the_applicant_side_the_accepting_district_or_a_clerk_with_the_applicants_consent_fills_it(
    draft: Case, citizen: User, shushan_clerk: User
) -> None:
    stranger = f.make_user("citizen")
    for actor in (stranger, shushan_clerk):
        with pytest.raises(NotAllowed):
            services.case_form_fill(case=draft, values={"name": "王小明"}, actor=actor)
    with pytest.raises(NotAllowed):  # a consent given by someone else than the applicant counts for nothing
        services.case_form_fill(case=draft, values={"name": "王小明"}, actor=shushan_clerk, consented_by=stranger)
    [row] = services.case_form_fill(case=draft, values={"name": "王小明"}, actor=shushan_clerk, consented_by=citizen)
    assert (row.filled_by, row.on_behalf_of) == (shushan_clerk, citizen)
    event = CaseEvent.objects.get(case=draft, action=life_cycle.FORM_FILLED)
    assert event.data["on_behalf_of"] == citizen.pk


def test_required_fields_are_needed_to_submit_named_with_the_missing_materials_and_then_the_form_is_closed(
    draft: Case, citizen: User, huangpu_clerk: User
) -> None:
    with pytest.raises(Invalid) as error:
        services.case_submit(case=draft, actor=citizen)
    assert set(error.value.fields) == {"materials", "form"}
    assert "姓名" in error.value.message and "联系电话" in error.value.message
    f.upload_required(draft, citizen)
    services.case_form_fill(case=draft, values={"name": "王小明", "id_number": ID}, actor=citizen)
    with pytest.raises(Invalid) as error:
        services.case_submit(case=draft, actor=citizen)
    assert set(error.value.fields) == {"form"} and error.value.code == "form_incomplete"
    assert "联系电话" in error.value.message and "姓名" not in error.value.message
    services.case_form_fill(case=draft, values={"phone": "13812345678"}, actor=citizen)
    services.case_submit(case=draft, actor=citizen)
    # Like the materials: open until acceptance (the accepting window may still help), closed after it.
    services.case_form_fill(case=draft, values={"phone": "13900001111"}, actor=citizen)
    f.accept_checked(draft, huangpu_clerk)
    with pytest.raises(TransitionNotAllowed):
        services.case_form_fill(case=draft, values={"phone": "13900001111"}, actor=citizen)


def test_an_item_without_a_form_submits_as_before(citizen: User) -> None:
    case = f.submitted_case(applicant=citizen)
    assert case.state == "submitted"
    with pytest.raises(Invalid):
        services.case_form_fill(case=case, values={"name": "王小明"}, actor=citizen)


# --- pages and API ----------------------------------------------------------------------------------


def test_the_draft_page_saves_the_form_and_shows_what_is_missing(draft: Case, citizen: User) -> None:
    client = Client()
    client.force_login(citizen)
    page = client.get(f"/cases/{draft.reference}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="application-form"' in html and 'name="id_number"' in html and "联系电话" in html
    response = client.post(f"/cases/{draft.reference}/form/", {"name": "王小明", "phone": "no"})
    assert response.status_code == 302
    assert not CaseFormValue.objects.filter(case=draft).exists()
    assert "联系电话" in client.get(response["Location"]).content.decode()  # the message names the field
    client.post(f"/cases/{draft.reference}/form/", {"name": "王小明", "phone": "13812345678", "id_number": ID})
    assert {v.key: v.value for v in draft.form_values.filter(current=True)} == FILLED
    html = client.get(f"/cases/{draft.reference}/").content.decode()
    assert f'value="{ID}"' in html  # the applicant reads their own number in full


def test_clerks_see_the_values_with_the_id_number_masked_on_the_page_and_in_the_api(
    draft: Case, citizen: User, huangpu_clerk: User
) -> None:
    services.case_form_fill(case=draft, values={**FILLED, "kind": "renew"}, actor=citizen)
    f.upload_required(draft, citizen)
    services.case_submit(case=draft, actor=citizen)
    client = Client()
    client.force_login(huangpu_clerk)
    html = client.get(f"/cases/{draft.reference}/").content.decode()
    masked = ID[:6] + "********" + ID[-4:]
    assert masked in html
    assert ID not in html
    assert "换领" in html and 'name="name"' not in html  # read, not filled in, on the case page
    api = APIClient()
    api.force_authenticate(huangpu_clerk)
    form = {row["key"]: row for row in api.get(f"/api/cases/{draft.reference}/").json()["form"]}
    assert form["id_number"]["value"] == masked and form["kind"]["shown"] == "换领"
    assert form["name"]["filled"]["by_clerk"] is False and form["born"]["filled"] is None
    api.force_authenticate(citizen)
    form = {row["key"]: row for row in api.get(f"/api/cases/{draft.reference}/").json()["form"]}
    assert form["id_number"]["value"] == ID


def test_the_api_fills_the_form_and_names_each_bad_field(draft: Case, citizen: User, shushan_clerk: User) -> None:
    api = APIClient()
    api.force_authenticate(citizen)
    bad = api.post(f"/api/cases/{draft.reference}/form/", {"values": {"born": "tomorrow"}}, format="json")
    assert bad.status_code == 400 and "born" in bad.json()["fields"]
    good = api.post(f"/api/cases/{draft.reference}/form/", {"values": FILLED}, format="json")
    assert good.status_code == 200
    assert {row["key"]: row["value"] for row in good.json()}["phone"] == "13812345678"
    api.force_authenticate(shushan_clerk)  # the approving district's clerk does not see the draft at all
    assert api.post(f"/api/cases/{draft.reference}/form/", {"values": FILLED}, format="json").status_code == 404


def test_the_receipt_says_how_many_fields_of_the_form_were_filled_in(
    draft: Case, citizen: User, huangpu_clerk: User
) -> None:
    import datetime as dt

    from cases.services.paperwork import paper_content, paper_html

    services.case_form_fill(case=draft, values=FILLED, actor=citizen)
    f.upload_required(draft, citizen)
    services.case_submit(case=draft, actor=citizen)
    case = f.accept_checked(draft, huangpu_clerk)
    accepted = CaseEvent.objects.get(case=case, action="accepted")
    content = paper_content(case, accepted, kind="receipt", number="T-1", token="t", issued_at=dt.datetime.now(dt.UTC))
    assert "已在线填写 3 项（共 8 项" in paper_html(content)
    assert ID not in paper_html(content)


def test_the_counter_clerk_fills_the_form_on_the_counter_page_and_submits_for_the_applicant(
    version: ItemVersion, huangpu_clerk: User
) -> None:
    case = services.case_counter_intake(
        clerk=huangpu_clerk, item_version=version, id_number=ID, consent=True, name="赵六", phone="13912345678"
    )
    client = Client()
    client.force_login(huangpu_clerk)
    page = client.get(f"/cases/counter/{case.reference}/").content.decode()
    assert 'id="application-form"' in page and 'name="next" value="counter"' in page
    answer = client.post(f"/cases/{case.reference}/form/", {**FILLED, "next": "counter"})
    assert answer["Location"] == f"/cases/counter/{case.reference}/#application-form"
    rows = CaseFormValue.objects.filter(case=case, current=True)
    assert {(r.key, r.filled_by) for r in rows} == {(key, huangpu_clerk) for key in FILLED}
    f.upload_required(case, huangpu_clerk)
    services.case_submit(case=case, actor=huangpu_clerk)
    case.refresh_from_db()
    assert case.state == "submitted"


def test_the_items_page_lists_the_forms_fields_with_its_source(version: ItemVersion) -> None:
    page = Client().get(f"/items/{version.item.code}/").content.decode()
    assert 'id="application-form"' in page and "测试用表单" in page
    assert "公民身份号码" in page and "新办、换领" in page
