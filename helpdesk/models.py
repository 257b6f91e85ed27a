"""One-click response (一键呼应): assistance requests, clerk presence, offers and call sessions.

The queue is the set of requests in state `waiting`; an `Offer` is the reservation of one
request for one clerk with a ring deadline stored here, in the database, so that ring
timers survive any worker restart. Partial unique indexes make "one ringing offer per
clerk" and "one ringing offer per request" hold whatever process writes.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class PriorityReason(models.TextChoices):
    NONE = "none", _("None")
    APPOINTMENT = "appointment", _("Appointment holder")
    ELDERLY = "elderly", _("Elderly")
    DISABLED = "disabled", _("Disabled")


# Higher goes first; priority beats waiting time.
PRIORITY_OF_REASON = {
    PriorityReason.NONE: 0,
    PriorityReason.APPOINTMENT: 1,
    PriorityReason.ELDERLY: 2,
    PriorityReason.DISABLED: 2,
}


class Language(models.TextChoices):
    MANDARIN = "zh", _("Mandarin")
    SHANGHAINESE = "wuu-sh", _("Shanghainese")
    SUZHOUNESE = "wuu-sz", _("Suzhou dialect")
    HANGZHOUNESE = "wuu-hz", _("Hangzhou dialect")
    NINGBONESE = "wuu-nb", _("Ningbo dialect")
    JIANGHUAI = "jianghuai", _("Jianghuai Mandarin (Nanjing, Hefei)")
    ENGLISH = "en", _("English (spoken)")
    SIGN = "csl", _("Chinese sign language")


class AssistRequest(models.Model):
    class State(models.TextChoices):
        WAITING = "waiting", pgettext_lazy("assistance request", "Waiting")
        OFFERED = "offered", _("Ringing a clerk")
        CONNECTED = "connected", _("Connected")
        CALLBACK = "callback", _("Callback requested")
        CANCELLED = "cancelled", _("Cancelled")
        ABANDONED = "abandoned", _("Abandoned")
        DONE = "done", _("Done")

    OPEN_STATES = (State.WAITING, State.OFFERED)

    citizen = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="assist_requests")
    firm = models.ForeignKey("accounts.Firm", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    item = models.ForeignKey(
        "standards.ServiceItem", on_delete=models.PROTECT, null=True, blank=True, related_name="assist_requests"
    )
    item_version = models.ForeignKey(
        "standards.ItemVersion", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The sector of the item (skill routing); empty when the citizen called from the home page.
    sector = models.CharField(_("sector"), max_length=30, blank=True)
    # The reference of the case the citizen called about (e.g. C93101012026112600A1B2; the cases app
    # owns cases, and a reference never changes); empty when they called from another page.
    case_ref = models.CharField(_("case"), max_length=32, blank=True, default="")
    district = models.ForeignKey(
        "standards.District", on_delete=models.PROTECT, null=True, blank=True, related_name="assist_requests"
    )
    language = models.CharField(
        _("language or dialect"), max_length=12, choices=Language.choices, default=Language.MANDARIN
    )
    priority_reason = models.CharField(
        _("priority"), max_length=12, choices=PriorityReason.choices, default=PriorityReason.NONE
    )
    priority = models.PositiveSmallIntegerField(default=0)
    state = models.CharField(_("state"), max_length=12, choices=State.choices, default=State.WAITING)
    callback_phone = models.CharField(_("callback phone"), max_length=20, blank=True)
    callback_offered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(_("created at"))
    closed_at = models.DateTimeField(null=True, blank=True)
    # When the citizen's queue socket closed; the sweep abandons the request if they do not return.
    citizen_left_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-priority", "created_at", "id"]
        verbose_name = _("assistance request")
        verbose_name_plural = _("assistance requests")
        indexes = [models.Index(fields=["state", "-priority", "created_at"], name="assist_queue_order")]
        constraints = [
            # A citizen waits in the queue once: a second click while waiting returns the same request.
            models.UniqueConstraint(
                fields=["citizen"], condition=Q(state__in=["waiting", "offered"]), name="one_open_request_per_citizen"
            )
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.citizen} ({self.get_state_display()})"


class ClerkProfile(models.Model):
    """A clerk's presence and skills for video assistance."""

    class Status(models.TextChoices):
        OFFLINE = "offline", _("Offline")
        AVAILABLE = "available", _("Available")
        RINGING = "ringing", _("Ringing")
        IN_CALL = "in_call", _("In a call")
        WRAP_UP = "wrap_up", _("Wrap-up")
        AWAY = "away", _("Away")

    clerk = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="assist_profile")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OFFLINE)
    status_since = models.DateTimeField(null=True, blank=True)
    last_heartbeat = models.DateTimeField(null=True, blank=True)
    # Since when the clerk has been available without a call: the longest-idle clerk is chosen first.
    idle_since = models.DateTimeField(null=True, blank=True)
    # Skills: sectors (topics) and items; both empty means a generalist who takes every item.
    sectors = models.JSONField(_("sectors"), default=list, blank=True)
    items = models.ManyToManyField("standards.ServiceItem", blank=True, related_name="+", verbose_name=_("items"))
    languages = models.JSONField(_("languages and dialects"), default=list, blank=True)

    class Meta:
        verbose_name = _("clerk assistance profile")
        verbose_name_plural = _("clerk assistance profiles")

    def __str__(self) -> str:
        return f"{self.clerk} ({self.get_status_display()})"

    @property
    def spoken_languages(self) -> list[str]:
        return self.languages or [Language.MANDARIN]


class Ring(models.Model):
    """A clerk rung until `ring_deadline`: an `Offer` (a request rings a clerk) or a `CallInvite` (a clerk in a
    call rings another). The deadline is stored here, in the database, so that ring timers survive any worker
    restart; `one_ringing` makes "one ringing row per clerk" (and per request or call) hold whatever process
    writes."""

    class Outcome(models.TextChoices):
        RINGING = "ringing", _("Ringing")
        ACCEPTED = "accepted", pgettext_lazy("video call", "Accepted")
        DECLINED = "declined", _("Declined")
        TIMED_OUT = "timed_out", _("Timed out")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    # The reverse accessors: user.assist_offers, user.assist_callinvites.
    clerk = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="assist_%(class)ss")
    created_at = models.DateTimeField()
    ring_deadline = models.DateTimeField(db_index=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.RINGING)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True
        ordering = ["-created_at"]


def one_ringing(field: str, *, name: str) -> models.UniqueConstraint:
    """At most one ringing row per `field` (a partial unique index). The name is given, not derived from
    the model: the constraints' names in the database stay what they were."""
    return models.UniqueConstraint(fields=[field], condition=Q(outcome=Ring.Outcome.RINGING), name=name)


class Offer(Ring):
    """A reservation: one request rings one clerk until `ring_deadline`."""

    request = models.ForeignKey(AssistRequest, on_delete=models.CASCADE, related_name="offers")
    # The routing stage that found the clerk: specialist, district, city, alliance.
    stage = models.CharField(max_length=12)

    class Meta(Ring.Meta):
        verbose_name = _("offer")
        verbose_name_plural = _("offers")
        constraints = [
            one_ringing("clerk", name="one_ringing_offer_per_clerk"),
            one_ringing("request", name="one_ringing_offer_per_request"),
        ]

    def __str__(self) -> str:
        return f"offer #{self.pk} {self.request_id} → {self.clerk_id} ({self.outcome})"


class CallSession(models.Model):
    class Outcome(models.TextChoices):
        ONGOING = "ongoing", _("Ongoing")
        RESOLVED = "resolved", _("Resolved")
        CASE_CREATED = "case_created", _("Case created or linked")
        FOLLOW_UP = "follow_up", _("Follow-up needed")
        DROPPED = "dropped", _("Dropped")

    request = models.OneToOneField(AssistRequest, on_delete=models.PROTECT, related_name="session")
    citizen = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="assist_calls")
    clerk = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="assist_answered")
    district = models.ForeignKey("standards.District", on_delete=models.PROTECT, null=True, related_name="+")
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    wrapped_up_at = models.DateTimeField(null=True, blank=True)
    wait_seconds = models.FloatField()
    talk_seconds = models.FloatField(null=True, blank=True)
    outcome = models.CharField(max_length=14, choices=Outcome.choices, default=Outcome.ONGOING)
    notes = models.TextField(_("wrap-up notes"), blank=True)
    # The reference of the caller's case linked to the call; empty when none.
    case_ref = models.CharField(_("linked case"), max_length=32, blank=True, default="")
    rating = models.PositiveSmallIntegerField(_("rating"), null=True, blank=True)
    rating_comment = models.CharField(max_length=300, blank=True)
    recording_required = models.BooleanField(default=False)
    # The recordings themselves: `recordings` (a CallRecording per member's media).
    # The caller's application shared with the clerks in the call (their consent, asked on their screen).
    shared_case_ref = models.CharField(_("application shared in the call"), max_length=32, blank=True)
    shared_at = models.DateTimeField(null=True, blank=True)
    # The caller's answer to the recording notice: nothing is recorded before they agree; a refusal is
    # accepted only where policy allows it (ASSIST_RECORDING_REFUSABLE).
    recording_consent = models.CharField(
        _("recording consent"),
        max_length=8,
        choices=[("given", _("Agreed to the recording")), ("refused", _("Refused the recording"))],
        blank=True,
    )
    # 人证比对 in the call: a clerk compared the caller's face with the ID card held to the camera.
    identity_result = models.CharField(
        _("identity check by video"),
        max_length=10,
        choices=[("match", _("Face matches the ID card")), ("no_match", _("Face does not match the ID card"))],
        blank=True,
    )
    identity_checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    identity_checked_at = models.DateTimeField(null=True, blank=True)
    # When a member's socket dropped; a rejoin within the grace period clears it.
    citizen_left_at = models.DateTimeField(null=True, blank=True)
    clerk_left_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("call session")
        verbose_name_plural = _("call sessions")
        constraints = [
            models.UniqueConstraint(fields=["clerk"], condition=Q(ended_at__isnull=True), name="one_call_per_clerk"),
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5), name="assist_rating_1_to_5"
            ),
        ]

    def __str__(self) -> str:
        return f"call #{self.pk} {self.citizen} ↔ {self.clerk}"

    def is_member(self, user_id: int) -> bool:
        return self.role_of(user_id) is not None

    def role_of(self, user_id: int) -> str | None:
        """ "citizen", "clerk" (the clerk who holds the call and writes its wrap-up), "guest" (a clerk
        brought in, still in the call), or None."""
        if user_id == self.citizen_id:
            return "citizen"
        if user_id == self.clerk_id:
            return "clerk"
        if self.members.filter(user_id=user_id, role=CallMember.Role.GUEST, left_at__isnull=True).exists():
            return "guest"
        return None


def peer_id(*, role: str, user_id: int) -> str:
    """A member's address in the call's signalling: the citizen and the recorder are one each, clerks
    are many (the host and any guests), so a clerk is addressed by their user id."""
    return role if role in ("citizen", "recorder") else f"clerk-{user_id}"


class CallMember(models.Model):
    """Who was in a call and when: one row per stay (a clerk transferred away and back has two).

    The call's signalling addresses members by `peer_id`; the session record keeps every join and leave.
    """

    class Role(models.TextChoices):
        CITIZEN = "citizen", _("Caller")
        CLERK = "clerk", _("Clerk holding the call")
        GUEST = "guest", _("Clerk brought in")

    class LeftBecause(models.TextChoices):
        LEFT = "left", _("Left the call")
        TRANSFERRED = "transferred", _("Handed the call over")
        CALL_ENDED = "call_ended", _("The call ended")

    session = models.ForeignKey(CallSession, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    role = models.CharField(max_length=8, choices=Role.choices)
    district = models.ForeignKey("standards.District", on_delete=models.PROTECT, null=True, related_name="+")
    joined_at = models.DateTimeField()
    left_at = models.DateTimeField(null=True, blank=True)
    left_because = models.CharField(max_length=12, choices=LeftBecause.choices, blank=True)
    # The invitation that brought a clerk in (none for the caller and the first clerk).
    invite = models.ForeignKey("CallInvite", on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["joined_at", "id"]
        verbose_name = _("call member")
        verbose_name_plural = _("call members")
        constraints = [
            models.UniqueConstraint(
                fields=["session", "user"], condition=Q(left_at__isnull=True), name="one_stay_per_call_member"
            ),
            # A clerk is in one call at a time, as host or guest.
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(left_at__isnull=True) & ~Q(role="citizen"),
                name="one_call_per_clerk_member",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} in call #{self.session_id} ({self.role})"

    @property
    def peer_id(self) -> str:
        return peer_id(role=self.role, user_id=self.user_id)


class CallInvite(Ring):
    """A clerk in a call rings a clerk of another district (the item's approving district, say) to join
    it (three-way), or to take it over (warm transfer: the caller stays on the line)."""

    class Kind(models.TextChoices):
        JOIN = "join", _("Three-way call")
        TRANSFER = "transfer", _("Warm transfer")

    session = models.ForeignKey(CallSession, on_delete=models.CASCADE, related_name="invites")
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    district = models.ForeignKey("standards.District", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.JOIN)
    note = models.CharField(_("note for the clerk"), max_length=500, blank=True)

    class Meta(Ring.Meta):
        verbose_name = _("call invitation")
        verbose_name_plural = _("call invitations")
        constraints = [
            one_ringing("clerk", name="one_ringing_invite_per_clerk"),
            one_ringing("session", name="one_ringing_invite_per_call"),
        ]

    def __str__(self) -> str:
        return f"invite #{self.pk} call #{self.session_id} → {self.clerk_id} ({self.outcome})"


class CallRecording(models.Model):
    """One member's media in a recorded call: each member (the caller, the clerk holding the call, every
    clerk brought in) sends their camera and microphone to the recorder on a connection of their own, and
    the recorder writes each connection to a file of its own, from the member's join to their leave (a
    member who reconnects starts a new file). A file per member rather than one container with a track per
    member: members join and leave at different times, and a container's tracks are fixed when it starts.

    The SHA-256 is also written to the linked case's event chain, and outlives the file: the retention
    sweep empties `file` and sets `deleted_at`.
    """

    session = models.ForeignKey(CallSession, on_delete=models.CASCADE, related_name="recordings")
    # Whose media: the member's user, their address in the call (peer_id) and their role then.
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    peer = models.CharField(max_length=24)
    role = models.CharField(max_length=8, choices=CallMember.Role.choices)
    file = models.FileField(upload_to="assist/recordings/%Y/%m/", max_length=200, blank=True)
    sha256 = models.CharField(max_length=64)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField()
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["started_at", "id"]
        verbose_name = _("call recording")
        verbose_name_plural = _("call recordings")

    def __str__(self) -> str:
        return f"recording #{self.pk} of call #{self.session_id}: {self.peer}"


class PreCheck(models.Model):
    """预审 in the call: a clerk's mark on one uploaded material of the shared application, against the
    pinned version's standard (and the validity date read off the document). Also written to the case's
    event chain, so the submitted case carries every pre-check; the newest mark of a file counts."""

    class Verdict(models.TextChoices):
        CONFORMING = "conforming", _("Conforming")
        NOT_CONFORMING = "not_conforming", _("Not conforming")

    session = models.ForeignKey(CallSession, on_delete=models.CASCADE, related_name="prechecks")
    case_ref = models.CharField(max_length=32)
    # The uploaded file marked (a replacement is a new file, not yet pre-checked).
    case_material_id = models.PositiveBigIntegerField()
    item_material = models.ForeignKey("standards.ItemMaterial", on_delete=models.PROTECT, related_name="+")
    verdict = models.CharField(max_length=16, choices=Verdict.choices)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    valid_until = models.DateField(_("valid until (read off the document)"), null=True, blank=True)
    clerk = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    district = models.ForeignKey("standards.District", on_delete=models.PROTECT, null=True, related_name="+")
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(verdict="conforming") | ~Q(reason=""), name="assist_precheck_failure_has_reason"
            )
        ]

    def __str__(self) -> str:
        return f"{self.case_ref} material {self.case_material_id}: {self.verdict}"


# What a clerk records at wrap-up: any outcome but "ongoing", the state of a call in progress.
WRAP_UP_OUTCOMES = [
    (value, label) for value, label in CallSession.Outcome.choices if value != CallSession.Outcome.ONGOING
]


class Snapshot(models.Model):
    """A still of the citizen's video taken by the clerk (a document held to the camera)."""

    session = models.ForeignKey(CallSession, on_delete=models.CASCADE, related_name="snapshots")
    image = models.FileField(upload_to="assist/snapshots/%Y/%m/")
    taken_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    taken_at = models.DateTimeField(auto_now_add=True)
    filed_as_case_material = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"snapshot #{self.pk} of call #{self.session_id}"


class Callback(models.Model):
    """A citizen's "call me back" (the request in state `callback`), worked by clerks from a list.

    A clerk claims it (compare-and-set: one clerk wins), phones the citizen and records the
    outcome: reached closes it; no answer puts it back on the list with one more attempt,
    and after the last allowed attempt it is closed as unreachable.
    """

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("callback", "Open")
        CLAIMED = "claimed", pgettext_lazy("callback", "Claimed")
        REACHED = "reached", pgettext_lazy("callback", "Reached")
        UNREACHABLE = "unreachable", pgettext_lazy("callback", "Unreachable")

    class Outcome(models.TextChoices):
        REACHED = "reached", pgettext_lazy("callback", "Reached")
        NO_ANSWER = "no_answer", pgettext_lazy("callback", "No answer")

    OPEN_STATUSES = (Status.OPEN, Status.CLAIMED)

    request = models.OneToOneField(AssistRequest, on_delete=models.CASCADE, related_name="callback")
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.OPEN)
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("claimed by"),
    )
    claimed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_note = models.CharField(_("last note"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("requested at"))
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("callback")
        verbose_name_plural = _("callbacks")
        indexes = [models.Index(fields=["status", "created_at"], name="assist_callback_list")]
        constraints = [
            # An open callback is nobody's; a claimed one is someone's; a closed one keeps the clerk who closed it.
            models.CheckConstraint(
                condition=Q(status="open", claimed_by__isnull=True)
                | Q(status__in=["claimed", "reached", "unreachable"], claimed_by__isnull=False),
                name="assist_callback_claimed_by_matches_status",
            ),
            # A clerk phones one citizen at a time: no hoarding of the list.
            models.UniqueConstraint(
                fields=["claimed_by"], condition=Q(status="claimed"), name="one_claimed_callback_per_clerk"
            ),
        ]

    def __str__(self) -> str:
        return f"callback #{self.pk} for request {self.request_id} ({self.get_status_display()})"


class AssistEvent(models.Model):
    """Append-only audit trail of every state change (who, what, when).

    Every row is written by `helpdesk.services.audit.assist_audit`, which refuses a kind not declared here.
    """

    class Kind(models.TextChoices):
        REQUEST_CREATED = "request.created", _("Request created")
        REQUEST_CANCELLED = "request.cancelled", _("Request cancelled")
        REQUEST_ABANDONED = "request.abandoned", _("Request abandoned (the citizen left)")
        REQUEST_CALLBACK = "request.callback", _("Callback asked for")
        REQUEST_CALLBACK_OFFERED = "request.callback_offered", _("Callback offered")
        CLERK_AVAILABLE = "clerk.available", _("Clerk available")
        CLERK_AWAY = "clerk.away", _("Clerk away")
        CLERK_OFFLINE = "clerk.offline", _("Clerk offline")
        OFFER_RINGING = "offer.ringing", _("Ringing a clerk")
        OFFER_TIMED_OUT = "offer.timed_out", _("Ring timed out")
        OFFER_DECLINED = "offer.declined", _("Ring declined")
        OFFER_CONSOLE_CLOSED = "offer.console_closed", _("Ring ended: the console closed")
        CALL_STARTED = "call.started", _("Call started")
        CALL_ENDED = "call.ended", _("Call ended")
        CALL_DROPPED = "call.dropped", _("Call dropped")
        CALL_WRAPPED_UP = "call.wrapped_up", _("Call wrapped up")
        CALL_RATED = "call.rated", _("Call rated")
        CALL_SNAPSHOT = "call.snapshot", _("Snapshot taken")
        CALL_SNAPSHOT_FILED = "call.snapshot_filed", _("Snapshot filed as a case material")
        CALL_RECORDED = "call.recorded", _("Call recorded")
        CALL_IDENTITY_CHECKED = "call.identity_checked", _("Identity compared by video in the call")
        CALL_RECORDING_CONSENT = "call.recording_consent", _("The caller answered the recording notice")
        CALL_DRAFT_SHARED = "call.draft_shared", _("The caller shared their application with the clerks")
        CALL_PRECHECKED = "call.prechecked", _("Material pre-checked in the call")
        CALL_DRAFT_UPLOADED = "call.draft_uploaded", _("The caller uploaded a material in the call")
        CALL_DRAFT_SUBMITTED = "call.draft_submitted", _("The caller submitted the shared application")
        CALL_RECORDING_PLAYED = "call.recording_played", _("Call recording played back")
        CALL_RECORDING_DELETED = "call.recording_deleted", _("Call recording deleted after its retention period")
        CALL_NOTES_SAVED = "call.notes_saved", _("Working notes of the call saved")
        CALL_MEMBER_JOINED = "call.member_joined", _("A member joined the call")
        CALL_MEMBER_LEFT = "call.member_left", _("A member left the call")
        CALL_TRANSFERRED = "call.transferred", _("Call handed over to another clerk")
        INVITE_RINGING = "invite.ringing", _("Ringing a clerk to join a call")
        INVITE_ACCEPTED = "invite.accepted", _("Invitation to a call accepted")
        INVITE_DECLINED = "invite.declined", _("Invitation to a call declined")
        INVITE_TIMED_OUT = "invite.timed_out", _("Invitation to a call timed out")
        INVITE_WITHDRAWN = "invite.withdrawn", _("Invitation to a call withdrawn")
        CALLBACK_CLAIMED = "callback.claimed", _("Callback claimed")
        CALLBACK_RELEASED = "callback.released", _("Callback released")
        CALLBACK_REACHED = "callback.reached", _("Callback: reached")
        CALLBACK_NO_ANSWER = "callback.no_answer", _("Callback: no answer")
        CALLBACK_UNREACHABLE = "callback.unreachable", _("Callback closed as unreachable")
        CALLBACK_CLAIM_EXPIRED = "callback.claim_expired", _("Callback claim expired")
        CALLBACK_NUMBER_SHOWN = "callback.number_shown", _("Callback number shown to the clerk")

    request = models.ForeignKey(AssistRequest, on_delete=models.CASCADE, null=True, blank=True, related_name="events")
    session = models.ForeignKey(CallSession, on_delete=models.CASCADE, null=True, blank=True, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=40, choices=Kind.choices)
    data = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.kind}"


class CannedReply(models.Model):
    """常用语: a reply a clerk inserts into the call's chat with one click. A district's (kept by its
    administrators in the admin) or one clerk's own (kept from the console); never both."""

    district = models.ForeignKey(
        "standards.District",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("district"),
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="canned_replies",
        verbose_name=_("clerk (personal reply)"),
    )
    text = models.CharField(_("text"), max_length=300)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("canned reply")
        verbose_name_plural = _("canned replies")
        constraints = [
            models.CheckConstraint(
                condition=Q(district__isnull=False, owner__isnull=True) | Q(district__isnull=True, owner__isnull=False),
                name="assist_canned_reply_district_or_personal",
            )
        ]

    def __str__(self) -> str:
        return self.text[:40]
