"""The migrations of this change keep the data: a call recorded before (one file, the caller's) becomes the
caller's CallRecording and back again; Offer and CallInvite on the shared Ring model keep their constraints'
names. Run on SQLite and on PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from helpdesk.models import CallRecording
from tests.factories import T0, make_citizen, make_clerk

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("helpdesk", "0008_offer_and_invite_share_the_ring_model")]
AFTER = [("helpdesk", "0009_a_recording_per_call_member")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def test_a_call_recorded_with_one_file_becomes_the_callers_recording_and_goes_back_unchanged():
    citizen, clerk = make_citizen(), make_clerk()
    try:
        old = migrate(BEFORE)
        AssistRequest, CallSession = (
            old.get_model("helpdesk", "AssistRequest"),
            old.get_model("helpdesk", "CallSession"),
        )

        def a_call(**recording):
            request = AssistRequest.objects.create(citizen_id=citizen.pk, created_at=T0, state="done")
            return CallSession.objects.create(
                request=request,
                citizen_id=citizen.pk,
                clerk_id=clerk.pk,
                started_at=T0,
                ended_at=T0 + dt.timedelta(minutes=5),
                wait_seconds=3.0,
                **recording,
            )

        kept = a_call(recording="assist/recordings/call1.mp4", recording_sha256="a" * 64)
        swept = a_call(recording="", recording_sha256="b" * 64, recording_deleted_at=T0 + dt.timedelta(days=181))
        unrecorded = a_call()

        migrate(AFTER)
        rows = {r.session_id: r for r in CallRecording.objects.all()}
        assert set(rows) == {kept.pk, swept.pk}  # a call never recorded has none
        assert (rows[kept.pk].peer, rows[kept.pk].role, rows[kept.pk].user_id) == ("citizen", "citizen", citizen.pk)
        assert (rows[kept.pk].file.name, rows[kept.pk].sha256, rows[kept.pk].deleted_at) == (
            "assist/recordings/call1.mp4",
            "a" * 64,
            None,
        )
        assert (rows[kept.pk].started_at, rows[kept.pk].ended_at) == (T0, T0 + dt.timedelta(minutes=5))
        assert (rows[swept.pk].file.name, rows[swept.pk].sha256) == ("", "b" * 64)
        assert rows[swept.pk].deleted_at == T0 + dt.timedelta(days=181)

        back = migrate(BEFORE)
        sessions = {s.pk: s for s in back.get_model("helpdesk", "CallSession").objects.all()}
        assert (sessions[kept.pk].recording.name, sessions[kept.pk].recording_sha256) == (
            "assist/recordings/call1.mp4",
            "a" * 64,
        )
        assert (sessions[swept.pk].recording.name, sessions[swept.pk].recording_deleted_at) == (
            "",
            T0 + dt.timedelta(days=181),
        )
        assert (sessions[unrecorded.pk].recording.name, sessions[unrecorded.pk].recording_sha256) == ("", "")
    finally:
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes("helpdesk"))


def test_offer_and_invite_keep_their_one_ringing_constraints_under_their_names():
    with connection.cursor() as cursor:
        offer = connection.introspection.get_constraints(cursor, "helpdesk_offer")
        invite = connection.introspection.get_constraints(cursor, "helpdesk_callinvite")
    for constraints, names in (
        (offer, ("one_ringing_offer_per_clerk", "one_ringing_offer_per_request")),
        (invite, ("one_ringing_invite_per_clerk", "one_ringing_invite_per_call")),
    ):
        for name in names:
            assert name in constraints, (name, sorted(constraints))
            assert constraints[name]["unique"], name
