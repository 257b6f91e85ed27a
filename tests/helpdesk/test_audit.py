"""The audit trail: every kind declared once (AssistEvent.Kind), every row written by one writer."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import helpdesk
from helpdesk import services
from helpdesk.models import AssistEvent, ClerkProfile, Offer
from helpdesk.services.audit import assist_audit
from tests.factories import T0, make_citizen, make_clerk

pytestmark = pytest.mark.django_db

Kind = AssistEvent.Kind


def test_the_writer_refuses_a_kind_that_is_not_declared():
    with pytest.raises(ValueError, match="undeclared audit kind"):
        assist_audit(kind="request.teleported", at=T0)  # type: ignore[arg-type]  # undeclared on purpose
    assert not AssistEvent.objects.exists()
    event = assist_audit(kind=Kind.CLERK_AWAY, at=T0, note="x")
    assert (event.kind, event.data) == ("clerk.away", {"note": "x"})


def test_no_module_writes_audit_rows_beside_the_writer():
    """One writer: no other helpdesk module creates AssistEvent rows or builds a kind from a string."""
    root = Path(helpdesk.__file__).parent
    writer = root / "services" / "audit.py"
    for path in root.rglob("*.py"):
        if "migrations" in path.parts or path == writer:
            continue
        text = path.read_text()
        assert not re.search(r"AssistEvent\.objects\.(create|bulk_create)|(?<!class )AssistEvent\(", text), path
        assert not re.search(r"""kind=f["']""", text), path


def test_a_day_of_calls_writes_only_declared_kinds_with_their_stable_names(clock):
    first = make_clerk("310101", status=ClerkProfile.Status.AVAILABLE, idle_since=T0)
    second = make_clerk("310101", status=ClerkProfile.Status.AVAILABLE, idle_since=clock())
    citizen = make_citizen(code="310101")
    request = services.assist_request_create(citizen=citizen, now=clock())
    offer = Offer.objects.get(request=request, outcome=Offer.Outcome.RINGING)
    services.assist_offer_decline(offer_id=offer.pk, clerk=offer.clerk, now=clock())  # rings the other clerk
    offer = Offer.objects.get(request=request, outcome=Offer.Outcome.RINGING)
    session = services.assist_offer_accept(offer_id=offer.pk, clerk=offer.clerk, now=clock())
    services.call_session_end(session=session, actor=citizen, now=clock.advance(60))
    session = services.call_session_wrap_up(
        session=session, clerk=offer.clerk, notes="", outcome="resolved", then_available=False, now=clock()
    )
    services.call_session_rate(session=session, citizen=citizen, rating=5, now=clock())
    services.clerk_presence_set(clerk=first, status="away", now=clock())
    services.clerk_presence_set(clerk=second, status="away", now=clock())
    other = services.assist_request_create(citizen=make_citizen(code="310101"), now=clock())
    services.assist_request_cancel(request=other, actor=other.citizen, now=clock())
    asking = services.assist_request_create(citizen=make_citizen(code="310101"), now=clock())
    services.assist_request_callback(request=asking, actor=asking.citizen, now=clock())
    callback = asking.callback
    services.callback_claim(callback_id=callback.pk, clerk=first, now=clock())
    services.callback_done(callback_id=callback.pk, clerk=first, outcome="reached", now=clock())
    services.clerk_console_closed(clerk=second, now=clock())

    kinds = set(AssistEvent.objects.values_list("kind", flat=True))
    assert kinds <= set(Kind.values)
    assert kinds == {
        "request.created",
        "offer.ringing",
        "offer.declined",
        "call.started",
        "call.member_joined",
        "call.member_left",
        "call.ended",
        "call.wrapped_up",
        "clerk.away",
        "call.rated",
        "request.cancelled",
        "request.callback",
        "callback.claimed",
        "callback.number_shown",
        "callback.reached",
        "clerk.offline",
    }
