"""代办: applying through an agent for a person (ID number) or a firm (credit code), against a fixed cast."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from django.core.exceptions import ValidationError as DjangoValidationError
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.identifiers import mask_id_number, normalize_id_number, validate_id_number
from accounts.models import User
from cases import selectors, services
from cases.models import Case, CaseState
from govservice.errors import Invalid
from standards.models import ItemMaterial, ItemVersion
from tests import factories as f

if TYPE_CHECKING:
    from pytest_django.fixtures import DjangoCaptureOnCommitCallbacks

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast(db: None) -> dict[str, User]:
    """The agent (a citizen), the person they act for, the firm they act for, and those who must see nothing."""
    agent_firm = f.make_firm()
    principal_firm = f.make_firm()
    return {
        "agent": f.make_user("citizen"),
        "principal": f.make_user("citizen"),
        "namesake": f.make_user("citizen"),  # another citizen: an outsider
        "firm_agent": f.make_user("firm", firm=agent_firm, id_number=f.id_number(601)),
        "firm_agent_colleague": f.make_user("firm", firm=agent_firm),
        "principal_firm_rep": f.make_user("firm", firm=principal_firm),
        "principal_firm_colleague": f.make_user("firm", firm=principal_firm),
        "other_firm": f.make_user("firm"),
        "huangpu_clerk": f.make_user("clerk", code=f.HUANGPU),
        "gusu_clerk": f.make_user("clerk", code=f.GUSU),
        "supervisor": f.make_user("supervisor"),
    }


@pytest.fixture
def item(db: None) -> ItemVersion:
    return f.make_item(agent_materials=True)


def api(user: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def power_of_attorney(version: ItemVersion) -> ItemMaterial:
    return version.materials.get(material_type__code=services.POWER_OF_ATTORNEY)


def agent_case(cast: dict[str, User], item: ItemVersion, *, agent: str = "agent", **given: str) -> Case:
    principal = given or {"id_number": cast["principal"].id_number, "name": "王五"}
    response = api(cast[agent]).post("/api/cases/", {"item_version": item.pk, "principal": principal}, format="json")
    assert response.status_code == 201, response.content
    return Case.objects.get(reference=response.json()["reference"])


def upload_form(case: Case, actor: User) -> None:
    """The application form only (factories.upload_required would upload the power of attorney as well)."""
    form = case.item_version.materials.get(material_type__code="M-FORM")
    services.case_material_add(case=case, item_material=form, uploaded_file=f.pdf_upload(), actor=actor)


def submit_with_power_of_attorney(case: Case, actor: User) -> Case:
    upload_form(case, actor)
    services.case_material_add(
        case=case,
        item_material=power_of_attorney(case.item_version),
        uploaded_file=f.pdf_upload("poa.pdf"),
        actor=actor,
    )
    return services.case_submit(case=case, actor=actor)


def test_it_starts_a_draft_for_a_person_recording_the_agent_with_every_id_number_masked(
    cast: dict[str, User], item: ItemVersion
) -> None:
    agent, principal = cast["agent"], cast["principal"]
    response = api(agent).post(
        "/api/cases/",
        {"item_version": item.pk, "principal": {"id_number": principal.id_number.lower(), "name": "王五"}},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["applicant_kind"] == "person"
    # The principal's own account is found by the ID number, but the agent is never told whether it exists.
    assert body["applicant"] is None
    assert body["agent"] == agent.pk and body["agent_name"] == str(agent)
    assert body["applicant_name"] == "王五"
    assert body["applicant_id_number"] == mask_id_number(principal.id_number)
    assert body["agent_id_number"] == mask_id_number(agent.id_number)
    case = Case.objects.get(reference=body["reference"])
    assert case.applicant_id_number == principal.id_number and case.agent == agent and case.applicant == principal
    event = case.events.get(action="draft_created")
    assert event.actor == agent and event.data["agent"] == agent.pk and event.data["principal"] == "person"
    for who in ("agent", "principal"):
        for path in ["", "events/", "chain/"]:
            text = api(cast[who]).get(f"/api/cases/{case.reference}/{path}").content.decode()
            assert principal.id_number not in text and agent.id_number not in text
        listing = api(cast[who]).get("/api/cases/").content.decode()
        assert case.reference in listing and principal.id_number not in listing and agent.id_number not in listing


PERSON_CASE_SEES = {"agent", "principal", "huangpu_clerk", "supervisor"}
PERSON_CASE_OUTSIDERS = {
    "namesake",
    "firm_agent",
    "firm_agent_colleague",
    "principal_firm_rep",
    "other_firm",
    "gusu_clerk",
}


@pytest.mark.parametrize("who", sorted(PERSON_CASE_SEES | PERSON_CASE_OUTSIDERS))
def test_an_agents_case_for_a_person_is_seen_by_the_agent_the_principal_and_the_districts_only(
    cast: dict[str, User], item: ItemVersion, who: str
) -> None:
    case = submit_with_power_of_attorney(agent_case(cast, item), cast["agent"])
    client = api(cast[who])
    assert client.get(f"/api/cases/{case.reference}/").status_code == (200 if who in PERSON_CASE_SEES else 404)
    listed = {row["reference"] for row in client.get("/api/cases/").json()["results"]}
    assert (case.reference in listed) == (who in PERSON_CASE_SEES)
    if who not in PERSON_CASE_SEES:
        response = client.post(f"/api/cases/{case.reference}/submit/", {}, format="json")
        assert response.status_code == 404


def test_a_firm_agents_colleagues_do_not_see_what_the_agent_files_for_a_person(
    cast: dict[str, User], item: ItemVersion
) -> None:
    case = agent_case(cast, item, agent="firm_agent", id_number=cast["principal"].id_number, name="王五")
    assert case.firm is None and case.agent == cast["firm_agent"]
    assert api(cast["firm_agent"]).get(f"/api/cases/{case.reference}/").status_code == 200
    assert api(cast["firm_agent_colleague"]).get(f"/api/cases/{case.reference}/").status_code == 404
    assert api(cast["principal"]).get(f"/api/cases/{case.reference}/").status_code == 200


FIRM_CASE_SEES = {"agent", "principal_firm_rep", "principal_firm_colleague", "supervisor"}
FIRM_CASE_OUTSIDERS = {"principal", "namesake", "firm_agent", "firm_agent_colleague", "other_firm", "gusu_clerk"}


@pytest.mark.parametrize("who", sorted(FIRM_CASE_SEES | FIRM_CASE_OUTSIDERS))
def test_an_agents_case_for_a_firm_is_seen_by_the_agent_and_every_representative_of_that_firm(
    cast: dict[str, User], item: ItemVersion, who: str
) -> None:
    firm = f.firm_of(cast["principal_firm_rep"])
    case = agent_case(cast, item, credit_code=firm.credit_code, name="随便写的名字")
    assert case.firm == firm and case.applicant is None
    assert case.applicant_name == firm.name, "the register's name wins over what the agent typed"
    response = api(cast[who]).get(f"/api/cases/{case.reference}/")
    assert response.status_code == (200 if who in FIRM_CASE_SEES else 404)
    if response.status_code == 200:
        assert response.json()["applicant_kind"] == "firm"
        assert response.json()["firm_credit_code"] == firm.credit_code


def test_the_principal_and_the_agent_both_act_but_the_agents_colleague_cannot(
    cast: dict[str, User], item: ItemVersion
) -> None:
    firm = f.firm_of(cast["principal_firm_rep"])
    case = agent_case(cast, item, agent="firm_agent", credit_code=firm.credit_code)
    assert "submit" in selectors.case_steps_for(case=case, user=cast["firm_agent"])
    assert "submit" in selectors.case_steps_for(case=case, user=cast["principal_firm_colleague"])
    assert selectors.case_steps_for(case=case, user=cast["firm_agent_colleague"]) == []
    # The principal firm's representative uploads the power of attorney, the agent submits.
    services.case_material_add(
        case=case, item_material=power_of_attorney(item), uploaded_file=f.pdf_upload(), actor=cast["principal_firm_rep"]
    )
    upload_form(case, cast["firm_agent"])
    assert api(cast["firm_agent"]).post(f"/api/cases/{case.reference}/submit/").status_code == 200


def test_a_principal_who_opens_an_account_later_finds_the_case_by_their_id_number(
    cast: dict[str, User], item: ItemVersion
) -> None:
    number = f.id_number(4321)
    case = agent_case(cast, item, id_number=number, name="赵六")
    assert case.applicant is None
    newcomer = f.make_user("citizen", id_number=number)
    assert api(newcomer).get(f"/api/cases/{case.reference}/").status_code == 200
    assert case.reference in {row["reference"] for row in api(newcomer).get("/api/cases/").json()["results"]}
    # A firm account of the same person does not open a person's case.
    assert api(f.make_user("firm", id_number=number)).get(f"/api/cases/{case.reference}/").status_code == 404


def test_a_firm_registered_after_the_agent_applied_finds_the_case_by_its_credit_code(
    cast: dict[str, User], item: ItemVersion
) -> None:
    code = f.credit_code(98765)
    case = agent_case(cast, item, credit_code=code, name="后来注册的企业")
    assert case.firm is None and case.applicant_credit_code == code and case.applicant_name == "后来注册的企业"
    assert api(cast["other_firm"]).get(f"/api/cases/{case.reference}/").status_code == 404
    from accounts.models import Firm

    rep = f.make_user("firm", firm=Firm.objects.create(name="后来注册的企业", credit_code=code))
    assert api(rep).get(f"/api/cases/{case.reference}/").json()["firm_credit_code"] == code


def test_an_agents_case_cannot_be_submitted_without_a_power_of_attorney_checked_by_its_content(
    cast: dict[str, User],
    item: ItemVersion,
    huangpu_clerk: User,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    agent = cast["agent"]
    case = agent_case(cast, item)
    upload_form(case, agent)
    refused = api(agent).post(f"/api/cases/{case.reference}/submit/")
    assert refused.status_code == 400 and "授权委托书" in refused.content.decode()
    fake = api(agent).post(
        f"/api/cases/{case.reference}/materials/",
        {"item_material": power_of_attorney(item).pk, "file": f.fake_pdf_upload()},
        format="multipart",
    )
    assert fake.status_code == 400, "a text file named .pdf is refused by its bytes"
    pdf = api(agent).post(
        f"/api/cases/{case.reference}/materials/",
        {"item_material": power_of_attorney(item).pk, "file": f.pdf_upload()},
        format="multipart",
    )
    assert pdf.status_code == 201
    assert api(agent).post(f"/api/cases/{case.reference}/submit/").status_code == 200
    case.refresh_from_db()
    assert case.state == CaseState.SUBMITTED
    # The agent's ID card is an electronic licence: spared, not asked for.
    assert case.materials.get(item_material__material_type__code="AGENT_ID").spared_by_elicence
    # The accepting clerk accepts it like any other case.
    f.record_checks(case, huangpu_clerk)
    with django_capture_on_commit_callbacks(execute=False):
        assert api(huangpu_clerk).post(f"/api/cases/{case.reference}/accept/").status_code == 200


def test_an_applicant_in_their_own_name_needs_no_power_of_attorney(item: ItemVersion) -> None:
    case = f.submitted_case(version=item)
    assert case.state == CaseState.SUBMITTED and case.agent is None


def typo(code: str) -> str:
    """The same code with a wrong last (check) character."""
    return code[:-1] + ("1" if code[-1] != "1" else "2")


@pytest.mark.parametrize(
    ("principal", "field"),
    [
        ({"id_number": typo(f.id_number(5)), "name": "王五"}, "id_number"),
        ({"id_number": "31010119900101", "name": "王五"}, "id_number"),
        ({"credit_code": typo(f.credit_code(5)), "name": "某公司"}, "credit_code"),
        ({"name": "王五"}, "non_field_errors"),
        ({"id_number": f.id_number(5), "credit_code": f.credit_code(5), "name": "x"}, "non_field_errors"),
    ],
)
def test_a_malformed_principal_is_refused(
    cast: dict[str, User], item: ItemVersion, principal: dict[str, str], field: str
) -> None:
    response = api(cast["agent"]).post("/api/cases/", {"item_version": item.pk, "principal": principal}, format="json")
    assert response.status_code == 400
    # The nested serializer's errors arrive as "<field>: <message>" under fields.principal.
    assert any(message.split(":")[0] == field for message in response.json()["fields"]["principal"])
    assert not Case.objects.exists()


def test_what_an_agent_may_not_do(cast: dict[str, User], item: ItemVersion) -> None:
    agent = cast["agent"]
    own = api(agent).post(
        "/api/cases/",
        {"item_version": item.pk, "principal": {"id_number": agent.id_number, "name": "我"}},
        format="json",
    )
    assert own.status_code == 400 and "principal_id_number" in own.json()["fields"]
    firm_agent = cast["firm_agent"]
    own_firm = api(firm_agent).post(
        "/api/cases/",
        {"item_version": item.pk, "principal": {"credit_code": f.firm_of(firm_agent).credit_code}},
        format="json",
    )
    assert own_firm.status_code == 400 and "principal_credit_code" in own_firm.json()["fields"]
    nameless = api(agent).post(
        "/api/cases/", {"item_version": item.pk, "principal": {"id_number": f.id_number(99)}}, format="json"
    )
    assert nameless.status_code == 400 and "principal_name" in nameless.json()["fields"]
    principal = {"id_number": cast["principal"].id_number, "name": "王五"}
    clerk = api(cast["huangpu_clerk"]).post(
        "/api/cases/", {"item_version": item.pk, "principal": principal}, format="json"
    )
    assert clerk.status_code == 403
    # The standard decides: an item whose materials list no power of attorney takes no agents.
    plain = f.make_item()
    no_poa = api(agent).post("/api/cases/", {"item_version": plain.pk, "principal": principal}, format="json")
    assert no_poa.status_code == 400 and "授权委托书" in no_poa.content.decode()
    persons_only = f.make_item(agent_materials=True, for_legal_person=False)
    firm = {"credit_code": f.firm_of(cast["principal_firm_rep"]).credit_code}
    response = api(agent).post("/api/cases/", {"item_version": persons_only.pk, "principal": firm}, format="json")
    assert response.status_code == 400
    assert not Case.objects.exists()


def test_the_schema_documents_the_principal() -> None:
    schema = APIClient().get("/api/schema/?format=json").json()
    create = schema["components"]["schemas"]["CaseCreateRequest"]["properties"]
    assert "principal" in create
    case = schema["components"]["schemas"]["CaseDetail"]["properties"]
    assert {"agent", "agent_name", "agent_id_number", "applicant_kind"} <= set(case)


# --- pages -------------------------------------------------------------------------------------------


def page_client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_item_page_offers_the_agent_form_only_when_the_standard_lists_a_power_of_attorney(
    cast: dict[str, User], item: ItemVersion
) -> None:
    agent = page_client(cast["agent"])
    page = agent.get(reverse("standards-item", args=[item.item.code])).content.decode()
    assert reverse("cases-apply-agent", args=[item.pk]) in page and "委托代办" in page
    plain = f.make_item()
    assert (
        reverse("cases-apply-agent", args=[plain.pk])
        not in agent.get(reverse("standards-item", args=[plain.item.code])).content.decode()
    )


def test_an_agent_applies_from_the_item_page_and_both_sides_see_who_acts_for_whom(
    cast: dict[str, User], item: ItemVersion
) -> None:
    principal = cast["principal"]
    agent = page_client(cast["agent"])
    bad = agent.post(
        reverse("cases-apply-agent", args=[item.pk]),
        {"principal_kind": "person", "principal_code": typo(principal.id_number), "principal_name": "王五"},
        HTTP_REFERER="/items/x/",
    )
    assert bad.status_code == 302 and bad["Location"] == "/items/x/" and not Case.objects.exists()
    response = agent.post(
        reverse("cases-apply-agent", args=[item.pk]),
        {"principal_kind": "person", "principal_code": principal.id_number, "principal_name": "王五"},
    )
    case = Case.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("cases-detail", args=[case.reference])
    assert case.agent == cast["agent"] and case.applicant == principal
    detail = agent.get(response["Location"]).content.decode()
    assert "代办" in detail and mask_id_number(cast["agent"].id_number) in detail
    assert principal.id_number not in detail and cast["agent"].id_number not in detail
    assert "委托代办时必须提交" in detail, "the power of attorney is required on the agent's case"
    mine = page_client(principal).get(reverse("cases-mine")).content.decode()
    assert case.reference in mine and str(cast["agent"]) in mine
    assert case.reference in agent.get(reverse("cases-mine")).content.decode()
    assert case.reference not in page_client(cast["namesake"]).get(reverse("cases-mine")).content.decode()


def test_an_agent_cannot_tell_whether_the_principal_holds_an_account(cast: dict[str, User], item: ItemVersion) -> None:
    """No oracle: the answer for a registered principal and for one unknown here carries the same fields."""
    registered = api(cast["agent"]).post(
        "/api/cases/",
        {"item_version": item.pk, "principal": {"id_number": cast["principal"].id_number, "name": "王五"}},
        format="json",
    )
    unknown = api(cast["agent"]).post(
        "/api/cases/",
        {"item_version": item.pk, "principal": {"id_number": f.id_number(412), "name": "赵六"}},
        format="json",
    )
    assert registered.status_code == unknown.status_code == 201
    assert registered.json()["applicant"] is None and unknown.json()["applicant"] is None
    reference = registered.json()["reference"]
    assert Case.objects.get(reference=reference).applicant == cast["principal"]  # still found, for the principal
    for path in (f"/api/cases/{reference}/", "/api/cases/"):
        assert str(cast["principal"].pk) not in [str(v) for v in _values(api(cast["agent"]).get(path).json())]
    # The principal and the clerk still see the account.
    assert api(cast["principal"]).get(f"/api/cases/{reference}/").json()["applicant"] == cast["principal"].pk


def _values(body: object) -> list[object]:
    """Every `applicant` value in an answer (a case, or a page of cases)."""
    if isinstance(body, dict):
        if "results" in body:
            return [case.get("applicant") for case in body["results"]]
        return [body.get("applicant")]
    return []


FULL_WIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


def test_a_full_width_id_number_is_stored_in_ascii_and_finds_the_principal(
    cast: dict[str, User], item: ItemVersion
) -> None:
    principal = cast["principal"]
    typed = principal.id_number.translate(FULL_WIDTH)
    assert typed != principal.id_number
    response = api(cast["agent"]).post(
        "/api/cases/", {"item_version": item.pk, "principal": {"id_number": typed, "name": "王五"}}, format="json"
    )
    assert response.status_code == 201, response.content
    case = Case.objects.get(reference=response.json()["reference"])
    assert case.applicant_id_number == principal.id_number and case.applicant_id_number.isascii()
    assert case in selectors.cases_visible_to(principal)


def test_other_scripts_digits_in_an_id_number_are_refused_and_never_stored(
    cast: dict[str, User], item: ItemVersion
) -> None:
    typed = cast["principal"].id_number.translate(ARABIC_INDIC)
    response = api(cast["agent"]).post(
        "/api/cases/", {"item_version": item.pk, "principal": {"id_number": typed, "name": "王五"}}, format="json"
    )
    assert response.status_code == 400
    assert not Case.objects.exists()
    with pytest.raises(Invalid):
        services.case_agent_draft_create(
            agent=cast["agent"], item_version=item, principal_name="王五", principal_id_number=typed
        )


def test_the_id_number_validator_takes_ascii_digits_and_x_only() -> None:
    good = f.id_number(7)
    validate_id_number(good)
    for bad in (good.translate(FULL_WIDTH), good.translate(ARABIC_INDIC), good + "\n", " " + good):
        with pytest.raises(DjangoValidationError):
            validate_id_number(bad)
    assert normalize_id_number(good.translate(FULL_WIDTH)) == good
    citizen = f.make_user("citizen", id_number=good.translate(FULL_WIDTH))
    with pytest.raises(DjangoValidationError):
        citizen.full_clean()
