"""A call ending while the clerk rung to join it answers: one of the two wins, cleanly (PostgreSQL row locks)."""

from __future__ import annotations

import pytest
from django.db import connection

from govservice.errors import Conflict
from helpdesk import services
from helpdesk.models import CallInvite, CallMember, CallSession, ClerkProfile
from tests.factories import HUANGPU, SHUSHAN, T0, make_clerk
from tests.helpdesk.test_call_members import a_call
from tests.races import run_together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("attempt", range(5))
def test_an_answer_racing_the_end_of_the_call_leaves_no_guest_in_an_ended_call(attempt):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    session = a_call()
    guest = make_clerk(SHUSHAN, status=ClerkProfile.Status.AVAILABLE, idle_since=T0)
    invite = services.call_invite_create(session=session, clerk=session.clerk)
    # Whichever gets there second is refused cleanly (a Conflict), never with an error.
    run_together(
        lambda: services.call_invite_accept(invite_id=invite.pk, clerk=guest),
        lambda: services.call_hang_up(session=session, actor=session.citizen),
        expected=(Conflict,),
        timeout=30,
    )
    session.refresh_from_db()
    assert session.ended_at is not None
    assert not CallMember.objects.filter(session=session, left_at__isnull=True).exists()
    assert CallInvite.objects.get(pk=invite.pk).outcome in ("accepted", "withdrawn")
    # Whoever won, the rung clerk is free again (not left ringing or in a call that is over).
    assert ClerkProfile.objects.get(clerk=guest).status == "available"
    assert CallSession.objects.filter(pk=session.pk, clerk__district__division_code=HUANGPU).exists()
