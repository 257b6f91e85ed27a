"""Filling the application form together in a call (issue 14 item 2): with the caller's consent (the share), the
clerks in the call fill fields, each marked with who filled it; every screen gets the new values in the change
event itself; only the caller submits, or the clerk who filed the case at their counter."""

from __future__ import annotations

from typing import Any

import pytest

from cases import life_cycle
from cases.models import CaseEvent, CaseFormValue
from cases.services import case_counter_intake, case_draft_create
from helpdesk import services
from helpdesk.models import ClerkProfile
from tests.factories import HUANGPU, SHUSHAN, T0, id_number, make_clerk, make_item, upload_required, with_form
from tests.helpdesk.test_api import api
from tests.helpdesk.test_call_members import a_call

pytestmark = pytest.mark.django_db

ID = id_number(8642)


@pytest.fixture
def pushed(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """The payloads the call's screens are sent."""
    from govservice import events

    sent: list[dict[str, Any]] = []
    original = events.send_on_commit

    def record(groups: Any, payload: dict[str, Any], **kwargs: Any) -> None:
        sent.append(payload)
        original(groups, payload, **kwargs)

    monkeypatch.setattr(events, "send_on_commit", record)
    return sent


def test_clerks_in_the_call_fill_the_form_only_after_the_callers_consent_and_every_screen_gets_the_values(
    pushed: list[dict[str, Any]],
) -> None:
    version = with_form(make_item(accept_in=(HUANGPU,), approve_in=(SHUSHAN,)))
    session = a_call(version)
    citizen, host = session.citizen, session.clerk
    draft = case_draft_create(applicant=citizen, item_version=version, actor=citizen)
    guest = make_clerk(SHUSHAN, status=ClerkProfile.Status.AVAILABLE, idle_since=T0)
    services.call_invite_accept(invite_id=services.call_invite_create(session=session, clerk=host).pk, clerk=guest)
    url = f"/api/assist/sessions/{session.pk}/draft/form/"

    # Not shared yet (no consent): nothing to fill. A clerk outside the call: refused.
    assert api(host).post(url, {"values": {"name": "王小明"}}, format="json").status_code == 404
    assert api(make_clerk(HUANGPU)).post(url, {"values": {"name": "王小明"}}, format="json").status_code == 403
    assert not CaseFormValue.objects.filter(case=draft).exists()

    assert api(citizen).post(f"/api/assist/sessions/{session.pk}/draft/", {}, format="json").status_code == 201
    filled = api(host).post(url, {"values": {"name": "王小明", "id_number": ID}}, format="json")
    assert filled.status_code == 200, filled.json()
    form = {row["key"]: row for row in filled.json()["form"]}
    assert form["name"]["filled"]["by"] == host.display_name and form["name"]["filled"]["by_clerk"] is True
    assert form["id_number"]["value"] == ID[:6] + "********" + ID[-4:]  # masked on every screen of the call
    assert "联系电话" in filled.json()["form_missing"] and "姓名" not in filled.json()["form_missing"]
    # The change event carries the new values, so the other screens need no read.
    kinds = [p["type"] for p in pushed]
    # The call's screens are sent the change ahead of the case's own announcement.
    assert kinds[-2:] == ["draft.changed", "case.updated"]
    event = pushed[-2]
    assert event["by"] == host.display_name
    assert event["form"]["name"]["value"] == "王小明" and event["form"]["name"]["filled"]["by_clerk"] is True
    assert event["form"]["id_number"]["value"] == ID[:6] + "********" + ID[-4:] and ID not in str(event)

    # The approving district's clerk (a third district) fills with the caller's right too.
    assert api(guest).post(url, {"values": {"phone": "13812345678"}}, format="json").status_code == 200
    fills = CaseEvent.objects.filter(case=draft, action=life_cycle.FORM_FILLED).order_by("seq")
    assert [(e.actor, e.data["on_behalf_of"], e.data["call"]) for e in fills] == [
        (host, citizen.pk, session.pk),
        (guest, citizen.pk, session.pk),
    ]
    # A bad value is refused and named.
    bad = api(guest).post(url, {"values": {"born": "yesterday"}}, format="json")
    assert bad.status_code == 400 and "born" in bad.json()["fields"]

    # The clerks cannot submit; the caller can, once the materials are there.
    upload_required(draft, citizen)
    assert api(host).post(f"/api/assist/sessions/{session.pk}/draft/submit/").status_code == 403
    submitted = api(citizen).post(f"/api/assist/sessions/{session.pk}/draft/submit/")
    assert submitted.status_code == 200, submitted.json()
    draft.refresh_from_db()
    assert draft.state == "submitted"
    who = {v.key: v.filled_by for v in draft.form_values.filter(current=True)}
    assert who == {"name": host, "id_number": host, "phone": guest}
    # Still open after submission until acceptance, like the materials.
    assert api(host).post(url, {"values": {"name": "王大明"}}, format="json").status_code == 200


def test_submission_from_the_call_names_the_empty_required_fields(pushed: list[dict[str, Any]]) -> None:
    version = with_form(make_item(accept_in=(HUANGPU,), approve_in=(SHUSHAN,)))
    session = a_call(version)
    draft = case_draft_create(applicant=session.citizen, item_version=version, actor=session.citizen)
    upload_required(draft, session.citizen)
    api(session.citizen).post(f"/api/assist/sessions/{session.pk}/draft/", {}, format="json")
    refused = api(session.citizen).post(f"/api/assist/sessions/{session.pk}/draft/submit/")
    assert refused.status_code == 409 and "姓名" in refused.json()["detail"]


def test_the_clerk_who_filed_the_case_at_the_counter_submits_it_from_the_call() -> None:
    version = with_form(make_item(accept_in=(HUANGPU,), approve_in=(SHUSHAN,)))
    session = a_call(version)
    citizen, host = session.citizen, session.clerk
    case = case_counter_intake(clerk=host, item_version=version, id_number=citizen.id_number, consent=True)
    assert case.applicant == citizen and case.counter_clerk == host
    shared = api(citizen).post(f"/api/assist/sessions/{session.pk}/draft/", {"case": case.reference}, format="json")
    assert shared.status_code == 201, shared.json()
    assert api(host).get(f"/api/assist/sessions/{session.pk}/draft/").json()["may_submit"] is True
    values = {"name": "王小明", "id_number": ID, "phone": "13812345678"}
    filled = api(host).post(f"/api/assist/sessions/{session.pk}/draft/form/", {"values": values}, format="json")
    assert filled.status_code == 200, filled.json()
    upload_required(case, host)
    other = make_clerk(SHUSHAN, status=ClerkProfile.Status.AVAILABLE, idle_since=T0)
    services.call_invite_accept(invite_id=services.call_invite_create(session=session, clerk=host).pk, clerk=other)
    assert api(other).get(f"/api/assist/sessions/{session.pk}/draft/").json()["may_submit"] is False
    assert api(other).post(f"/api/assist/sessions/{session.pk}/draft/submit/").status_code == 403
    submitted = api(host).post(f"/api/assist/sessions/{session.pk}/draft/submit/")
    assert submitted.status_code == 200, submitted.json()
    case.refresh_from_db()
    assert case.state == "submitted"
    assert CaseEvent.objects.filter(case=case, action="submitted").get().actor == host
