"""Calls of more than two: bringing in a clerk of another district (three-way), a warm transfer,
members leaving, and the record of every member's join and leave.

A clerk in a call asks for a district (by default the approving district of the call's item or
linked case); the longest-idle available clerk of that district with the skill for the call is
rung on their console, with the call's context and the note. The ring is a row (`CallInvite`) with
its deadline, reserved by compare-and-set on the clerk's presence (`available → ringing`) as the
routing pass does, so a clerk is never rung by a queue request and an invitation at once.

Accepting a three-way invitation adds a guest member; accepting a transfer makes the new clerk the
one holding the call (they write its wrap-up) while the first clerk leaves: the caller stays on
the line throughout. Every change is pushed to all the call's sockets (`members`) after commit,
so that each browser opens or closes its peer connections (a full mesh).
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.models import User
from govservice import events
from govservice.errors import Conflict, NotAllowed, Unavailable
from helpdesk import router, selectors
from helpdesk.conf import conf
from helpdesk.models import CallInvite, CallMember, CallSession, ClerkProfile, peer_id
from helpdesk.realtime import call_everyone_group, call_group, clerk_group
from helpdesk.router_inputs import clerk_views, request_view_of
from helpdesk.services.audit import Kind, assist_audit
from helpdesk.services.clock import current
from standards.models import District

Status = ClerkProfile.Status
Outcome = CallInvite.Outcome


def call_member_add(
    *, session: CallSession, user: User, role: str, now: dt.datetime, invite: CallInvite | None = None
) -> CallMember:
    """Record a member's join (inside the caller's transaction)."""
    member = CallMember.objects.create(
        session=session, user=user, role=role, district_id=user.district_id, joined_at=now, invite=invite
    )
    assist_audit(
        kind=Kind.CALL_MEMBER_JOINED, at=now, actor_id=user.pk, session_id=session.pk, role=role, member=member.pk
    )
    return member


def _member_close(*, session_id: int, user_id: int, because: str, now: dt.datetime) -> bool:
    closed = CallMember.objects.filter(session_id=session_id, user_id=user_id, left_at__isnull=True).update(
        left_at=now, left_because=because
    )
    if closed:
        assist_audit(kind=Kind.CALL_MEMBER_LEFT, at=now, actor_id=user_id, session_id=session_id, because=because)
    return bool(closed)


def _members_changed_on_commit(session_id: int) -> None:
    """Tell every socket of the call who is in it now (each browser opens or closes its connections)."""

    def send() -> None:
        payload = {"type": "members", "members": selectors.call_members(session_id=session_id)}
        events.send_now([call_everyone_group(session_id)], payload, handler=events.ASSIST_PUSH)

    transaction.on_commit(send)


def call_members_close_all(*, session: CallSession, now: dt.datetime) -> None:
    """The call ended (inside `call_session_end`'s transaction): every stay ends, guests are free again,
    a ringing invitation is withdrawn."""
    for invite in CallInvite.objects.filter(session=session, outcome=Outcome.RINGING):
        _invite_release(invite=invite, outcome=Outcome.WITHDRAWN, now=now)
    guests = list(
        CallMember.objects.filter(session=session, role=CallMember.Role.GUEST, left_at__isnull=True).values_list(
            "user_id", flat=True
        )
    )
    for user_id in CallMember.objects.filter(session=session, left_at__isnull=True).values_list("user_id", flat=True):
        _member_close(session_id=session.pk, user_id=user_id, because=CallMember.LeftBecause.CALL_ENDED, now=now)
    for user_id in guests:
        _clerk_free(clerk_id=user_id, now=now)


def _clerk_free(*, clerk_id: int, now: dt.datetime) -> None:
    """A clerk who left a call they did not hold has no wrap-up to write: available again at once."""
    if ClerkProfile.objects.filter(clerk_id=clerk_id, status=Status.IN_CALL).update(
        status=Status.AVAILABLE, status_since=now, idle_since=now
    ):
        events.send_on_commit(
            [clerk_group(clerk_id)],
            handler=events.ASSIST_PUSH,
            payload={"type": "presence", "status": Status.AVAILABLE},
        )


def _pick_clerk(*, session: CallSession, district: District, exclude: set[int]) -> router.ClerkView | None:
    """The longest-idle available clerk of the district with the skill for the call (as routing chooses)."""
    request_view = request_view_of(session.request)
    candidates = [
        clerk
        for clerk in clerk_views(firms=False, items=session.request.item_id is not None)
        if clerk.available
        and clerk.district_id == district.pk
        and clerk.user_id not in exclude
        and clerk.has_skill(request_view)
    ]
    if not candidates:
        return None
    far_past = dt.datetime.min.replace(tzinfo=dt.UTC)
    return min(candidates, key=lambda c: (c.idle_since or far_past, c.user_id))


def call_invite_create(
    *,
    session: CallSession,
    clerk: User,
    district_code: str = "",
    kind: str = CallInvite.Kind.JOIN,
    note: str = "",
    now: dt.datetime | None = None,
) -> CallInvite:
    """The clerk holding the call rings a clerk of `district_code` (by default the approving district
    of the call's case or item) to join the call, or to take it over (`kind` transfer)."""
    now = current(now)
    if session.clerk_id != clerk.pk:
        raise NotAllowed(_("Only the clerk holding the call brings in another clerk."), code="forbidden")
    if session.ended_at is not None:
        raise Conflict(_("This call has ended."), code="call_ended")
    if kind not in CallInvite.Kind.values:
        raise Conflict(_("Choose a three-way call or a transfer."), code="bad_kind")
    if district_code:
        district = District.objects.filter(division_code=district_code).first()
        if district is None:
            raise Conflict(_("Choose a district from the list."), code="bad_district")
    else:
        approving = selectors.call_approving_districts(session=session)
        if len(approving) != 1:
            raise Conflict(_("Choose the district whose clerk to bring in."), code="district_required")
        district = approving[0]
    in_call = set(
        CallMember.objects.filter(session=session, left_at__isnull=True).values_list("user_id", flat=True)
    ) | {session.clerk_id, session.citizen_id}
    chosen = _pick_clerk(session=session, district=district, exclude=in_call)
    if chosen is None:
        raise Unavailable(
            _("No clerk of %(district)s is available for this call now.") % {"district": district}, code="no_clerk"
        )
    deadline = now + dt.timedelta(seconds=conf().ring_timeout)
    try:
        with transaction.atomic():
            if not ClerkProfile.objects.filter(pk=chosen.profile_id, status=Status.AVAILABLE).update(
                status=Status.RINGING, status_since=now
            ):
                raise Unavailable(_("That clerk was just taken by another call: try again."), code="clerk_taken")
            invite = CallInvite.objects.create(
                session=session,
                invited_by=clerk,
                clerk_id=chosen.user_id,
                district=district,
                kind=kind,
                note=note[:500],
                created_at=now,
                ring_deadline=deadline,
            )
            assist_audit(
                kind=Kind.INVITE_RINGING,
                at=now,
                actor_id=clerk.pk,
                session_id=session.pk,
                invite=invite.pk,
                clerk=chosen.user_id,
                district=district.division_code,
                invite_kind=kind,
            )
            events.send_on_commit(
                [clerk_group(chosen.user_id)],
                handler=events.ASSIST_PUSH,
                payload={"type": "invite", **selectors.invite_context(invite)},
            )
            _invite_status_on_commit(invite)
    except IntegrityError as exc:  # the call already rings someone (one ringing invitation per call)
        raise Conflict(_("A clerk is already being rung for this call."), code="already_ringing") from exc
    return invite


def _invite_status_on_commit(invite: CallInvite) -> None:
    events.send_on_commit(
        [call_everyone_group(invite.session_id)],
        handler=events.ASSIST_PUSH,
        payload={
            "type": "invite.status",
            "invite": invite.pk,
            "outcome": invite.outcome,
            "kind": invite.kind,
            **selectors.district_names(invite.district),
        },
    )


INVITE_RELEASE_KINDS = {
    Outcome.DECLINED: Kind.INVITE_DECLINED,
    Outcome.TIMED_OUT: Kind.INVITE_TIMED_OUT,
    Outcome.WITHDRAWN: Kind.INVITE_WITHDRAWN,
}


def _invite_release(*, invite: CallInvite, outcome: str, now: dt.datetime, reason: str = "") -> bool:
    """End a ring nobody answered (inside a transaction); False when it was answered meanwhile."""
    if not CallInvite.objects.filter(pk=invite.pk, outcome=Outcome.RINGING).update(outcome=outcome, answered_at=now):
        return False
    invite.outcome = outcome
    # A ring left to time out means the clerk is not at the desk; a refusal or a withdrawal does not.
    status = Status.AWAY if outcome == Outcome.TIMED_OUT else Status.AVAILABLE
    ClerkProfile.objects.filter(clerk_id=invite.clerk_id, status=Status.RINGING).update(status=status, status_since=now)
    assist_audit(
        kind=INVITE_RELEASE_KINDS[Outcome(outcome)],
        at=now,
        actor_id=invite.clerk_id,
        session_id=invite.session_id,
        invite=invite.pk,
        reason=reason or None,
    )
    for payload in ({"type": "invite.cancelled", "invite": invite.pk}, {"type": "presence", "status": status}):
        events.send_on_commit([clerk_group(invite.clerk_id)], handler=events.ASSIST_PUSH, payload=payload)
    _invite_status_on_commit(invite)
    return True


def call_invite_decline(
    *, invite_id: int, clerk: User, now: dt.datetime | None = None, reason: str = "declined"
) -> None:
    now = current(now)
    with transaction.atomic():
        invite = CallInvite.objects.filter(pk=invite_id, clerk=clerk).select_related("district").first()
        if invite is None or not _invite_release(invite=invite, outcome=Outcome.DECLINED, now=now, reason=reason):
            raise Conflict(_("This call is no longer ringing for you."), code="not_ringing")


def call_invites_expire(*, now: dt.datetime | None = None) -> int:
    """Ring deadlines are rows: the beat's sweep ends the overdue ones."""
    now = current(now)
    count = 0
    for invite in CallInvite.objects.filter(outcome=Outcome.RINGING, ring_deadline__lte=now).select_related("district"):
        with transaction.atomic():
            count += _invite_release(invite=invite, outcome=Outcome.TIMED_OUT, now=now)
    return count


def call_invite_accept(*, invite_id: int, clerk: User, now: dt.datetime | None = None) -> CallSession:
    """The rung clerk answers: they join the call (three-way), or take it over (transfer) while the
    first clerk leaves and the caller stays on the line."""
    now = current(now)
    session_id = CallInvite.objects.filter(pk=invite_id, clerk=clerk).values_list("session_id", flat=True).first()
    if session_id is None:
        raise Conflict(_("This call is no longer ringing for you."), code="not_ringing")
    with transaction.atomic():
        # The call's row first, then the invitation's: the order in which the call's end takes them (it
        # updates the call, then withdraws a ringing invitation), so the two never wait for each other.
        session = CallSession.objects.select_for_update().select_related("citizen").get(pk=session_id)
        if session.ended_at is not None:
            raise Conflict(_("This call has ended."), code="call_ended")
        if not CallInvite.objects.filter(
            pk=invite_id, clerk=clerk, outcome=Outcome.RINGING, ring_deadline__gt=now
        ).update(outcome=Outcome.ACCEPTED, answered_at=now):
            raise Conflict(_("This call is no longer ringing for you."), code="not_ringing")
        invite = CallInvite.objects.select_related("district").get(pk=invite_id)
        ClerkProfile.objects.filter(clerk=clerk).update(status=Status.IN_CALL, status_since=now, idle_since=None)
        assist_audit(kind=Kind.INVITE_ACCEPTED, at=now, actor_id=clerk.pk, session_id=session.pk, invite=invite.pk)
        previous_clerk_id = session.clerk_id
        if invite.kind == CallInvite.Kind.TRANSFER:
            if previous_clerk_id != invite.invited_by_id:
                raise Conflict(_("The call was handed over meanwhile."), code="call_transferred")
            _member_close(
                session_id=session.pk,
                user_id=previous_clerk_id,
                because=CallMember.LeftBecause.TRANSFERRED,
                now=now,
            )
            CallSession.objects.filter(pk=session.pk).update(clerk=clerk, clerk_left_at=None)
            call_member_add(session=session, user=clerk, role=CallMember.Role.CLERK, now=now, invite=invite)
            assist_audit(
                kind=Kind.CALL_TRANSFERRED,
                at=now,
                actor_id=previous_clerk_id,
                session_id=session.pk,
                to=clerk.pk,
                note=invite.note,
            )
            _clerk_free(clerk_id=previous_clerk_id, now=now)
            events.send_on_commit(
                [call_group(session.pk, peer_id(role="clerk", user_id=previous_clerk_id))],
                handler=events.ASSIST_PUSH,
                payload={"type": "hangup", "by": "transfer"},
            )
        else:
            call_member_add(session=session, user=clerk, role=CallMember.Role.GUEST, now=now, invite=invite)
        citizen = session.citizen
        events.send_on_commit(
            [clerk_group(clerk.pk)],
            handler=events.ASSIST_PUSH,
            payload={
                "type": "call.start",
                "session": session.pk,
                "peer": citizen.display_name or citizen.username,
                "invite": invite.pk,
            },
        )
        _invite_status_on_commit(invite)
        _members_changed_on_commit(session.pk)
    session.refresh_from_db()
    return session


def call_member_leave(*, session: CallSession, user: User, now: dt.datetime | None = None) -> None:
    """A clerk brought into the call leaves it; the call goes on for the others."""
    now = current(now)
    with transaction.atomic():
        if not CallMember.objects.filter(
            session=session, user=user, role=CallMember.Role.GUEST, left_at__isnull=True
        ).exists():
            raise Conflict(_("You are not a guest of this call."), code="not_a_guest")
        _member_close(session_id=session.pk, user_id=user.pk, because=CallMember.LeftBecause.LEFT, now=now)
        _clerk_free(clerk_id=user.pk, now=now)
        events.send_on_commit(
            [call_group(session.pk, peer_id(role="guest", user_id=user.pk))],
            handler=events.ASSIST_PUSH,
            payload={"type": "hangup", "by": "guest"},
        )
        _members_changed_on_commit(session.pk)
