"""The declared life cycle (cases/life_cycle.py) is the one the services, pages, API and docs follow."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import User
from cases import life_cycle, services
from cases.life_cycle import Input, Side, Step
from cases.models import Case, CaseState
from cases.selectors import case_steps_for
from govservice.errors import Invalid
from standards.models import ItemVersion
from tests import factories as f

if TYPE_CHECKING:
    from pytest_django.fixtures import DjangoCaptureOnCommitCallbacks

DOC = Path(__file__).resolve().parents[2] / "docs" / "life_cycle.md"
USER_STEPS = life_cycle.api_steps()


# --- the declaration itself (no database) -----------------------------------------------------------


def test_every_state_is_declared_once_and_every_step_joins_declared_states() -> None:
    assert list(life_cycle.STATES) == list(CaseState.values)
    for step in life_cycle.STEPS.values():
        assert step.target in life_cycle.STATES
        assert step.sources and all(source in life_cycle.STATES for source in step.sources)
        assert step.sides and callable(getattr(services, step.service))
        assert step.target not in step.sources


def test_every_state_but_the_first_is_reached_and_only_the_final_ones_have_no_way_out() -> None:
    reached = {life_cycle.INITIAL_STATE} | {step.target for step in life_cycle.STEPS.values()}
    assert reached == set(life_cycle.STATES)
    final = {value for value in life_cycle.STATES if not life_cycle.steps_from(value)}
    # A case not accepted can still be rated (好差评), so only rating and withdrawal end a case.
    assert final == {CaseState.RATED, CaseState.WITHDRAWN}


def test_the_api_paths_and_names_are_unique_and_only_routing_has_none() -> None:
    paths = [step.url_path for step in USER_STEPS]
    assert len(paths) == len(set(paths))
    assert [step.name for step in life_cycle.STEPS.values() if step.url_path is None] == ["transfer"]
    assert all(step.sides == (Side.SYSTEM,) for step in life_cycle.STEPS.values() if step.url_path is None)


def test_the_clock_stops_where_the_declared_states_say_it_stands_still() -> None:
    for step in life_cycle.STEPS.values():
        into_stopped = step.target in life_cycle.CLOCK_STOPPED_STATES
        assert (step.clock == life_cycle.Clock.STOP) == into_stopped, step.name
        if any(source in life_cycle.CLOCK_STOPPED_STATES for source in step.sources):
            assert step.clock == life_cycle.Clock.RESUME, step.name


def test_a_required_reason_is_an_input() -> None:
    for step in life_cycle.STEPS.values():
        if step.reason_required:
            assert Input.REASON in step.inputs, step.name


def test_the_committed_diagram_is_the_generated_one() -> None:
    """docs/life_cycle.md is the command's output: run `manage.py life_cycle_diagram` after editing the declaration."""
    assert DOC.read_text(encoding="utf-8") == life_cycle.diagram_markdown()


def test_the_command_prints_the_diagram() -> None:
    import io

    from django.core.management import call_command

    out = io.StringIO()
    call_command("life_cycle_diagram", stdout=out)
    assert out.getvalue() == life_cycle.diagram_markdown()
    assert out.getvalue().startswith("# The case life cycle") and "stateDiagram-v2" in out.getvalue()


# --- the services walk every declared step -----------------------------------------------------------


@pytest.fixture
def cast(db: None) -> dict[str, User]:
    return {
        Side.APPLICANT: f.make_user("citizen"),
        Side.ACCEPTING_CLERK: f.make_user("clerk", code=f.HUANGPU),
        Side.APPROVING_CLERK: f.make_user("clerk", code=f.SHUSHAN),
        "outsider": f.make_user("clerk", code=f.GUSU),
    }


def case_in(state: str, *, applicant: User, version: ItemVersion | None = None) -> Case:
    """A submitted case put straight into `state` (the chain stays valid: only the state column moves)."""
    case = f.submitted_case(applicant=applicant, version=version)
    Case.objects.filter(pk=case.pk).update(state=state, transfer_number=1)
    return Case.objects.get(pk=case.pk)


def inputs_for(step: Step, case: Case) -> dict[str, Any]:
    kwargs: dict[str, Any] = {}
    for kind in step.inputs:
        if kind == Input.REASON:
            kwargs["reason"] = "理由"
        elif kind == Input.MATERIALS:
            kwargs["materials"] = list(case.item_version.materials.all()[:1])
        elif kind == Input.DELIVERY:
            kwargs.update(method="courier", detail="SF1")
        elif kind == Input.RATING:
            kwargs.update(score=5, attitude=5, speed=5, convenience=5)
    return kwargs


def take(step: Step, case: Case, actor: User | None) -> None:
    service = getattr(services, step.service)
    if step.name == "accept" and actor is not None:
        f.record_checks(case, actor)  # 形式审查 and 身份核验: what acceptance needs
    if step.sides == (Side.SYSTEM,):
        assert service(case_id=case.pk, transfer_number=case.transfer_number).status in ("routed", "held")
    else:
        service(case=case, actor=actor, **inputs_for(step, case))


@pytest.mark.parametrize(
    ("name", "source"),
    [(step.name, source) for step in life_cycle.STEPS.values() for source in step.sources],
)
def test_every_declared_transition_moves_the_case_and_writes_its_event(
    cast: dict[str, User], name: str, source: str, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    step = life_cycle.STEPS[name]
    case = case_in(source, applicant=cast[Side.APPLICANT])
    with django_capture_on_commit_callbacks(execute=False):
        for side in step.sides:
            if side == Side.SYSTEM:
                take(step, case, None)
                break
            take(step, case, cast[side])
            break
    case.refresh_from_db()
    assert case.state == step.target
    event = case.events.order_by("-seq").first()
    assert event is not None
    assert (event.action, event.from_state, event.to_state) == (step.action, source, step.target)


@pytest.mark.parametrize("name", [step.name for step in USER_STEPS])
def test_a_step_by_the_wrong_side_is_refused_with_403_and_from_a_wrong_state_with_409(
    cast: dict[str, User], name: str
) -> None:
    step = life_cycle.STEPS[name]
    source = step.sources[0]
    case = case_in(source, applicant=cast[Side.APPLICANT])
    url = f"/api/cases/{case.reference}/{step.url_path}/"
    body = inputs_for(step, case)
    if "materials" in body:
        body["materials"] = [m.pk for m in body["materials"]]
    for side in (Side.APPLICANT, Side.ACCEPTING_CLERK, Side.APPROVING_CLERK):
        if side in step.sides:
            continue
        client = APIClient()
        client.force_authenticate(cast[side])
        response = client.post(url, body, format="json")
        # The approving clerk does not see a case that was never routed: 404 before 403.
        assert response.status_code in (403, 404), (side, response.content)
        if response.status_code == 403:
            assert response.json()["code"] == "not_your_side"
    wrong = next(value for value in life_cycle.STATES if value not in step.sources and value != CaseState.DRAFT)
    Case.objects.filter(pk=case.pk).update(state=wrong, routed_at=case.created_at)
    client = APIClient()
    client.force_authenticate(cast[step.sides[0]])
    response = client.post(url, body, format="json")
    assert response.status_code == 409, response.content
    assert response.json()["code"] == "transition_not_allowed"
    assert set(response.json()) == {"code", "detail", "fields"}


def test_a_missing_reason_is_a_field_error_wherever_the_step_requires_one(cast: dict[str, User]) -> None:
    for step in (s for s in USER_STEPS if s.reason_required):
        case = case_in(step.sources[0], applicant=cast[Side.APPLICANT])
        with pytest.raises(Invalid) as error:
            getattr(services, step.service)(
                case=case, actor=cast[step.sides[0]], **{**inputs_for(step, case), "reason": " "}
            )
        assert error.value.code == "reason_required" and "reason" in error.value.fields, step.name


# --- what each side is offered is what the declaration says ----------------------------------------------


@pytest.mark.parametrize("state", list(life_cycle.STATES))
def test_the_steps_offered_to_each_side_are_the_declared_ones(cast: dict[str, User], state: str) -> None:
    case = case_in(state, applicant=cast[Side.APPLICANT])
    for who, user in cast.items():
        declared = [step.name for step in life_cycle.steps_from(state) if step.url_path and who in step.sides]
        if "submit" in declared:
            declared.insert(0, life_cycle.MATERIAL)
        assert case_steps_for(case=case, user=user) == declared, (state, who)


@pytest.mark.parametrize("state", [s for s in life_cycle.STATES if life_cycle.steps_from(s)])
def test_the_case_page_shows_one_form_per_offered_step(cast: dict[str, User], state: str) -> None:
    case = case_in(state, applicant=cast[Side.APPLICANT])
    Case.objects.filter(pk=case.pk).update(routed_at=case.created_at)
    for who in (Side.APPLICANT, Side.ACCEPTING_CLERK, Side.APPROVING_CLERK):
        client = Client()
        client.force_login(cast[who])
        page = client.get(reverse("cases-detail", args=[case.reference])).content.decode()
        offered = [s for s in case_steps_for(case=case, user=cast[who]) if s in life_cycle.STEPS]
        for name in offered:
            assert f'data-step="{name}"' in page, (state, who, name)
        assert page.count("data-step=") == len(offered), (state, who)
