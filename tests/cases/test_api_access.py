"""Every endpoint against a fixed cast: owner, colleague, outsiders, clerks of the two districts, supervisor."""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from cases import services
from cases.models import Case, CaseState
from tests import factories as f

if TYPE_CHECKING:
    from pytest_django.fixtures import DjangoCaptureOnCommitCallbacks

pytestmark = pytest.mark.django_db

READ_ENDPOINTS = ["", "events/", "chain/"]
STEPS = [
    "submit",
    "accept",
    "not-accept",
    "request-correction",
    "recognise",
    "return",
    "special-procedure-start",
    "special-procedure-end",
    "approve",
    "refuse",
    "deliver",
    "close",
    "rate",
    "materials",
]


@pytest.fixture
def firm_case(cast: dict[str, User], django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks) -> Case:
    """A firm's case accepted in Huangpu and routed to Shushan: both districts' clerks are involved."""
    case = f.submitted_case(applicant=cast["owner"], version=f.make_item())
    with django_capture_on_commit_callbacks(execute=False):
        case = f.accept_checked(case, cast["huangpu_clerk"])
    services.case_route(case_id=case.pk, transfer_number=case.transfer_number)
    return Case.objects.get(pk=case.pk)


def client_for(user: User | None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


SEES = {"owner", "colleague", "huangpu_clerk", "shushan_clerk", "supervisor"}
OUTSIDERS = {"other_firm", "citizen", "agent", "gusu_clerk", "standards_admin"}


@pytest.fixture
def agent_case(cast: dict[str, User]) -> Case:
    """代办: the cast's agent (a citizen) applies for the owner's firm by its credit code, and submits."""
    version = f.make_item(agent_materials=True)
    case = services.case_agent_draft_create(
        agent=cast["agent"], item_version=version, principal_credit_code=f.firm_of(cast["owner"]).credit_code
    )
    f.upload_required(case, cast["agent"])  # the power of attorney among them
    return services.case_submit(case=case, actor=cast["agent"])


# Submitted, not yet transferred: the approving district (Shushan) does not see it yet.
AGENT_CASE_SEES = {"agent", "owner", "colleague", "huangpu_clerk", "supervisor"}
AGENT_CASE_OUTSIDERS = {"other_firm", "citizen", "shushan_clerk", "gusu_clerk", "standards_admin"}


@pytest.mark.parametrize("who", sorted(SEES | OUTSIDERS))
@pytest.mark.parametrize("endpoint", READ_ENDPOINTS)
def test_a_case_and_its_log_are_seen_only_by_those_involved(
    cast: dict[str, User], firm_case: Case, who: str, endpoint: str
) -> None:
    response = client_for(cast[who]).get(f"/api/cases/{firm_case.reference}/{endpoint}")
    assert response.status_code == (200 if who in SEES else 404)


@pytest.mark.parametrize("who", sorted(SEES | OUTSIDERS))
def test_the_list_shows_exactly_the_visible_cases(cast: dict[str, User], firm_case: Case, who: str) -> None:
    own_case_of_citizen = f.submitted_case(applicant=cast["citizen"])
    response = client_for(cast[who]).get("/api/cases/")
    assert response.status_code == 200
    references = {row["reference"] for row in response.json()["results"]}
    assert (firm_case.reference in references) == (who in SEES)
    if who in {"owner", "colleague", "other_firm"}:
        assert own_case_of_citizen.reference not in references


@pytest.mark.parametrize("who", sorted(OUTSIDERS))
@pytest.mark.parametrize("step", STEPS)
def test_an_outsider_gets_404_for_every_step(cast: dict[str, User], firm_case: Case, who: str, step: str) -> None:
    response = client_for(cast[who]).post(f"/api/cases/{firm_case.reference}/{step}/", {}, format="json")
    assert response.status_code == 404
    firm_case.refresh_from_db()
    assert firm_case.state == CaseState.TRANSFERRED


@pytest.mark.parametrize("who", sorted(AGENT_CASE_SEES | AGENT_CASE_OUTSIDERS))
@pytest.mark.parametrize("endpoint", READ_ENDPOINTS)
def test_an_agents_case_is_seen_by_the_agent_and_the_principal_firm_and_nobody_else(
    cast: dict[str, User], agent_case: Case, who: str, endpoint: str
) -> None:
    response = client_for(cast[who]).get(f"/api/cases/{agent_case.reference}/{endpoint}")
    assert response.status_code == (200 if who in AGENT_CASE_SEES else 404)
    listed = {row["reference"] for row in client_for(cast[who]).get("/api/cases/").json()["results"]}
    assert (agent_case.reference in listed) == (who in AGENT_CASE_SEES)


@pytest.mark.parametrize("who", sorted(AGENT_CASE_OUTSIDERS - {"shushan_clerk"}))
@pytest.mark.parametrize("step", STEPS)
def test_an_outsider_gets_404_for_every_step_of_an_agents_case(
    cast: dict[str, User], agent_case: Case, who: str, step: str
) -> None:
    response = client_for(cast[who]).post(f"/api/cases/{agent_case.reference}/{step}/", {}, format="json")
    assert response.status_code == 404
    agent_case.refresh_from_db()
    assert agent_case.state == CaseState.SUBMITTED


def test_the_agent_and_the_principal_act_on_the_case_and_the_agents_id_number_stays_masked(
    cast: dict[str, User], agent_case: Case, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    agent = cast["agent"]
    for who in AGENT_CASE_SEES:
        for path in [f"/api/cases/{agent_case.reference}/", "/api/cases/"]:
            body = client_for(cast[who]).get(path).content.decode()
            assert agent.id_number not in body and agent.id_number[:6] in body
    assert client_for(agent).post(f"/api/cases/{agent_case.reference}/accept/").status_code == 403
    with django_capture_on_commit_callbacks(execute=False):
        f.accept_checked(agent_case, cast["huangpu_clerk"])
    case = Case.objects.get(pk=agent_case.pk)
    services.case_route(case_id=case.pk, transfer_number=case.transfer_number)
    services.case_review_start(case=case, actor=cast["shushan_clerk"])
    services.case_approve(case=case, actor=cast["shushan_clerk"])
    services.case_deliver(case=case, actor=cast["huangpu_clerk"], method="elicence")
    assert client_for(agent).post(f"/api/cases/{case.reference}/close/").status_code == 200
    rate = {"score": 5, "attitude": 5, "speed": 5, "convenience": 5}
    assert (
        client_for(cast["colleague"]).post(f"/api/cases/{case.reference}/rate/", rate, format="json").status_code == 200
    )


@pytest.mark.parametrize(
    ("who", "step"),
    [
        ("owner", "accept"),
        ("colleague", "not-accept"),
        ("shushan_clerk", "accept"),
        ("supervisor", "accept"),
        ("huangpu_clerk", "submit"),
        ("huangpu_clerk", "rate"),
    ],
)
def test_someone_involved_in_the_wrong_role_gets_403(
    cast: dict[str, User], firm_case: Case, who: str, step: str
) -> None:
    body = {"reason": "x", "score": 5, "attitude": 5, "speed": 5, "convenience": 5}
    response = client_for(cast[who]).post(f"/api/cases/{firm_case.reference}/{step}/", body, format="json")
    assert response.status_code == 403, response.content


def test_the_approving_district_sees_an_application_only_once_it_is_transferred(cast: dict[str, User]) -> None:
    case = f.submitted_case(applicant=cast["owner"], version=f.make_item())
    assert client_for(cast["shushan_clerk"]).get(f"/api/cases/{case.reference}/").status_code == 404
    assert client_for(cast["huangpu_clerk"]).get(f"/api/cases/{case.reference}/").status_code == 200


def test_anonymous_callers_are_refused_everywhere(firm_case: Case) -> None:
    for path in [
        "/api/cases/",
        f"/api/cases/{firm_case.reference}/",
        "/api/cases/queues/",
        "/api/cases/figures/",
        "/api/cases/follow-ups/",
        "/api/cases/holidays/",
    ]:
        assert client_for(None).get(path).status_code in (401, 403)


def test_the_id_number_is_masked_in_every_output_and_full_only_with_permission(
    cast: dict[str, User], firm_case: Case
) -> None:
    from django.contrib.auth.models import Permission

    full = cast["owner"].id_number
    for who in SEES:
        client = client_for(cast[who])
        for path in [f"/api/cases/{firm_case.reference}/", f"/api/cases/{firm_case.reference}/events/", "/api/cases/"]:
            body = client.get(path).content.decode()
            assert full not in body
            assert full[:6] in body or path.endswith("events/")
    clerk = cast["huangpu_clerk"]
    assert client_for(clerk).get(f"/api/cases/{firm_case.reference}/id-number/").status_code == 403
    clerk.user_permissions.add(Permission.objects.get(codename="view_full_id_number"))
    clerk = type(clerk).objects.get(pk=clerk.pk)
    response = client_for(clerk).get(f"/api/cases/{firm_case.reference}/id-number/", HTTP_X_REQUEST_ID="audit-req-001")
    assert response.json()["applicant_id_number"] == full
    event = firm_case.events.get(action="id_number_revealed")
    assert event.actor == clerk and event.request_id == "audit-req-001"
    # The permission does not widen what the clerk may see.
    gusu = cast["gusu_clerk"]
    gusu.user_permissions.add(Permission.objects.get(codename="view_full_id_number"))
    gusu = type(gusu).objects.get(pk=gusu.pk)
    assert client_for(gusu).get(f"/api/cases/{firm_case.reference}/id-number/").status_code == 404


@pytest.mark.parametrize(
    ("who", "expected"),
    [("supervisor", 200), ("huangpu_clerk", 200), ("owner", 403), ("citizen", 403), ("standards_admin", 403)],
)
def test_queues_and_figures_are_for_clerks_and_supervisors(cast: dict[str, User], who: str, expected: int) -> None:
    for path in ["/api/cases/queues/", "/api/cases/figures/"]:
        assert client_for(cast[who]).get(path).status_code == expected


def test_a_clerk_sees_their_own_queue_and_the_supervisor_every_queue(cast: dict[str, User]) -> None:
    queues = client_for(cast["shushan_clerk"]).get("/api/cases/queues/").json()
    assert [q["division_code"] for q in queues] == [f.SHUSHAN]
    assert len(client_for(cast["supervisor"]).get("/api/cases/queues/").json()) == 9
    figures = client_for(cast["supervisor"]).get("/api/cases/figures/").json()
    assert "alliance" in figures and len(figures["districts"]) == 9
    assert "alliance" not in client_for(cast["shushan_clerk"]).get("/api/cases/figures/").json()


def test_the_whole_loop_over_the_api(
    cast: dict[str, User], django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    owner, hp, ss = cast["owner"], cast["huangpu_clerk"], cast["shushan_clerk"]
    version = f.make_item()
    response = client_for(owner).post("/api/cases/", {"item_version": version.pk}, format="json")
    assert response.status_code == 201, response.content
    reference = response.json()["reference"]
    assert response.json()["firm_credit_code"] == f.firm_of(owner).credit_code
    form = version.materials.get(material_type__code="M-FORM")
    bad = client_for(owner).post(
        f"/api/cases/{reference}/materials/",
        {"item_material": form.pk, "file": f.fake_pdf_upload()},
        format="multipart",
    )
    assert bad.status_code == 400
    good = client_for(owner).post(
        f"/api/cases/{reference}/materials/", {"item_material": form.pk, "file": f.pdf_upload()}, format="multipart"
    )
    assert good.status_code == 201
    assert client_for(owner).post(f"/api/cases/{reference}/submit/").status_code == 200
    assert client_for(owner).post(f"/api/cases/{reference}/submit/").status_code == 409
    f.record_checks(Case.objects.get(reference=reference), hp)
    with django_capture_on_commit_callbacks(execute=False):
        assert client_for(hp).post(f"/api/cases/{reference}/accept/").status_code == 200
    case = Case.objects.get(reference=reference)
    services.case_route(case_id=case.pk, transfer_number=case.transfer_number)
    assert client_for(ss).post(f"/api/cases/{reference}/recognise/").status_code == 200
    assert client_for(ss).post(f"/api/cases/{reference}/refuse/", {}, format="json").status_code == 400
    assert client_for(ss).post(f"/api/cases/{reference}/approve/", {}, format="json").status_code == 200
    assert (
        client_for(hp).post(f"/api/cases/{reference}/deliver/", {"method": "pickup"}, format="json").status_code == 200
    )
    assert client_for(owner).post(f"/api/cases/{reference}/close/").status_code == 200
    rate = {"score": 1, "attitude": 1, "speed": 2, "convenience": 1, "comment": "等太久"}
    assert client_for(cast["colleague"]).post(f"/api/cases/{reference}/rate/", rate, format="json").status_code == 200
    assert client_for(owner).post(f"/api/cases/{reference}/rate/", rate, format="json").status_code == 409
    follow_ups = client_for(cast["supervisor"]).get("/api/cases/follow-ups/").json()["results"]
    assert [row["reference"] for row in follow_ups] == [reference]
    assert client_for(cast["gusu_clerk"]).get("/api/cases/follow-ups/").json()["results"] == []
    supervisor = client_for(cast["supervisor"])
    base = f"/api/cases/follow-ups/{follow_ups[0]['id']}"
    early = supervisor.post(f"{base}/close/", {"note": "已处理"}, format="json")
    assert early.status_code == 409 and early.json()["code"] == "visit_required"
    visit = {"visited_at": timezone.now().isoformat(), "method": "phone", "citizen_said": "等了太久"}
    assert supervisor.post(f"{base}/visit/", {**visit, "method": "fax"}, format="json").status_code == 400
    assert supervisor.post(f"{base}/visit/", visit, format="json").status_code == 200
    rectify = {"rectification": "增派窗口人员", "rectified_by": "黄浦区长三角专窗"}
    assert supervisor.post(f"{base}/rectify/", rectify, format="json").json()["rectified_by"] == "黄浦区长三角专窗"
    done = supervisor.post(f"{base}/close/", {"note": "已电话回访并增派人员"}, format="json")
    assert done.status_code == 200 and done.json()["status"] == "done" and done.json()["standing"] == "closed"
    assert [v["method"] for v in done.json()["visits"]] == ["phone"]
    told = client_for(owner).get(f"/api/cases/{reference}/").json()["rating"]["follow_up"]
    assert told["status"] == "done" and told["result"] == "已电话回访并增派人员"
    events = client_for(owner).get(f"/api/cases/{reference}/events/").json()
    assert [e["action"] for e in events if e["to_state"]][-6:] == [
        "transferred",
        "recognised",
        "approved",
        "delivered",
        "closed",
        "rated",
    ]
    assert all(e["prev_hash"] == p["hash"] for p, e in itertools.pairwise(events))
    figures = client_for(cast["supervisor"]).get("/api/cases/figures/").json()
    assert figures["alliance"]["ratings"]["bad"] == 1
    # Two on-site visits in the standard, one made to pick up the result.
    assert figures["alliance"]["trips_saved"] == 1
    assert client_for(owner).get(f"/api/cases/{reference}/chain/").json()["ok"] is True


def test_firm_recommendations_and_specialists(cast: dict[str, User]) -> None:
    firm = f.firm_of(cast["owner"])
    matching = f.make_item(growth_stages=["startup", "growth"])
    f.make_item(growth_stages=["mature"])
    response = client_for(cast["owner"]).get(f"/api/cases/firms/{firm.pk}/recommendations/")
    assert response.status_code == 200
    assert [row["id"] for row in response.json()] == [matching.pk]
    assert client_for(cast["other_firm"]).get(f"/api/cases/firms/{firm.pk}/recommendations/").status_code == 404
    assign = {"district": f.HUANGPU, "clerk": cast["huangpu_clerk"].pk}
    assert client_for(cast["huangpu_clerk"]).post(f"/api/cases/firms/{firm.pk}/specialists/", assign).status_code == 403
    wrong = {"district": f.SHUSHAN, "clerk": cast["huangpu_clerk"].pk}
    assert client_for(cast["supervisor"]).post(f"/api/cases/firms/{firm.pk}/specialists/", wrong).status_code == 400
    first = client_for(cast["supervisor"]).post(f"/api/cases/firms/{firm.pk}/specialists/", assign)
    assert first.status_code == 201
    second_clerk = f.make_user("clerk", code=f.HUANGPU)
    again = {"district": f.HUANGPU, "clerk": second_clerk.pk}
    assert client_for(cast["supervisor"]).post(f"/api/cases/firms/{firm.pk}/specialists/", again).status_code == 201
    active = client_for(cast["owner"]).get(f"/api/cases/firms/{firm.pk}/specialists/").json()
    assert [row["clerk"] for row in active] == [second_clerk.pk]
