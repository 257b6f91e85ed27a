"""撤回: the applicant withdraws before a decision, with a reason; nothing is deleted."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import User
from cases import life_cycle, services
from cases.models import Case, CaseState
from govservice.errors import Conflict, Invalid
from tests import factories as f

if TYPE_CHECKING:
    from pytest_django.fixtures import DjangoCaptureOnCommitCallbacks

pytestmark = pytest.mark.django_db


def accepted_case(applicant: User, clerk: User, capture: DjangoCaptureOnCommitCallbacks) -> Case:
    case = f.submitted_case(applicant=applicant)
    with capture(execute=False):
        return f.accept_checked(case, clerk)


def test_the_applicant_withdraws_an_accepted_case_and_its_routing_message_then_does_nothing(
    cast: dict[str, User], django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    case = accepted_case(cast["citizen"], cast["huangpu_clerk"], django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=False) as pushes:
        case = services.case_withdraw(case=case, actor=cast["citizen"], reason="已在本地办理")
    assert case.state == CaseState.WITHDRAWN and case.outcome_reason == "已在本地办理"
    assert pushes  # both districts' workbenches and the applicant's pages hear of it
    outcome = services.case_route(case_id=case.pk, transfer_number=case.transfer_number)
    assert outcome.status == "already"
    case.refresh_from_db()
    assert case.state == CaseState.WITHDRAWN
    event = case.events.order_by("-seq").first()
    assert event is not None and (event.action, event.reason) == ("withdrawn", "已在本地办理")
    assert case.materials.exists()  # nothing is deleted


@pytest.mark.parametrize("decided", [CaseState.APPROVED, CaseState.REFUSED, CaseState.DELIVERED, CaseState.CLOSED])
def test_withdrawal_is_refused_after_a_decision(cast: dict[str, User], decided: str) -> None:
    case = f.submitted_case(applicant=cast["citizen"])
    Case.objects.filter(pk=case.pk).update(state=decided)
    with pytest.raises(Conflict):
        services.case_withdraw(case=case, actor=cast["citizen"], reason="不想办了")
    api = APIClient()
    api.force_authenticate(cast["citizen"])
    response = api.post(f"/api/cases/{case.reference}/withdraw/", {"reason": "不想办了"}, format="json")
    assert response.status_code == 409 and response.json()["code"] == "transition_not_allowed"


def test_only_the_applicant_side_withdraws_and_only_with_a_reason(
    cast: dict[str, User], django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    case = accepted_case(cast["citizen"], cast["huangpu_clerk"], django_capture_on_commit_callbacks)
    api = APIClient()
    api.force_authenticate(cast["huangpu_clerk"])
    refused = api.post(f"/api/cases/{case.reference}/withdraw/", {"reason": "x"}, format="json")
    assert refused.status_code == 403 and refused.json()["code"] == "not_your_side"
    with pytest.raises(Invalid):
        services.case_withdraw(case=case, actor=cast["citizen"], reason="  ")


def test_the_case_page_offers_withdrawal_with_a_reason_and_shows_the_state(
    cast: dict[str, User], django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    case = accepted_case(cast["citizen"], cast["huangpu_clerk"], django_capture_on_commit_callbacks)
    client = Client()
    client.force_login(cast["citizen"])
    page = client.get(reverse("cases-detail", args=[case.reference])).content.decode()
    assert 'data-step="withdraw"' in page and "撤回申请" in page
    with django_capture_on_commit_callbacks(execute=False):
        client.post(reverse("cases-step", args=[case.reference, "withdraw"]), {"reason": "材料准备不全"})
    page = client.get(reverse("cases-detail", args=[case.reference])).content.decode()
    assert "已撤回" in page and 'data-step="withdraw"' not in page
    clerk = Client()
    clerk.force_login(cast["huangpu_clerk"])
    assert "已撤回" in clerk.get(reverse("cases-detail", args=[case.reference])).content.decode()


def test_withdrawal_leaves_from_every_state_before_a_decision_and_from_none_after() -> None:
    step = life_cycle.STEPS["withdraw"]
    decided = {CaseState.APPROVED, CaseState.REFUSED, CaseState.DELIVERED, CaseState.CLOSED, CaseState.RATED}
    assert not decided & set(step.sources)
    assert CaseState.DRAFT not in step.sources and CaseState.NOT_ACCEPTED not in step.sources
