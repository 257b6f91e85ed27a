from __future__ import annotations

from typing import Any

from django.urls import reverse
from rest_framework import serializers

from accounts.models import User
from helpdesk.models import (
    WRAP_UP_OUTCOMES,
    AssistRequest,
    Callback,
    CallRecording,
    CallSession,
    Language,
    PriorityReason,
)


class CaseReferenceField(serializers.CharField):
    """A case reference, or null when none (the models keep an empty string)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(allow_null=True, **kwargs)

    # null for an empty reference (a CharField returns str; this one is allow_null).
    def to_representation(self, value: str) -> str | None:  # type: ignore[override]
        return value or None


class AssistRequestCreateSerializer(serializers.Serializer[Any]):
    item_version = serializers.IntegerField(required=False, allow_null=True, help_text="ItemVersion id of the page")
    case = serializers.CharField(
        required=False,
        allow_null=True,
        allow_blank=True,
        max_length=32,
        help_text="Reference of the case of the page, e.g. C93101012026112600A1B2",
    )
    language = serializers.ChoiceField(choices=Language.choices, default=Language.MANDARIN)
    priority_reason = serializers.ChoiceField(choices=PriorityReason.choices, default=PriorityReason.NONE)


class QueueStatusSerializer(serializers.Serializer[Any]):
    state = serializers.CharField()
    position = serializers.IntegerField(allow_null=True)
    waiting_total = serializers.IntegerField(required=False)
    eligible_clerks = serializers.IntegerField(required=False)
    estimate_seconds = serializers.IntegerField(allow_null=True, help_text="An estimate, not a promise")
    estimate_is_estimate = serializers.BooleanField()
    callback_offered = serializers.BooleanField(required=False)


class AssistRequestSerializer(serializers.ModelSerializer[AssistRequest]):
    # A plain string in the schema: an enum named after "state" would collide with the cases app's.
    state = serializers.CharField(read_only=True, help_text="one of: " + ", ".join(AssistRequest.State.values))
    item_name = serializers.CharField(source="item_version.name", default=None, read_only=True)
    district = serializers.CharField(source="district.division_code", default=None, read_only=True)
    case_ref = CaseReferenceField(read_only=True)
    queue_socket = serializers.SerializerMethodField()
    session = serializers.SerializerMethodField()

    class Meta:
        model = AssistRequest
        fields = [
            "id",
            "state",
            "item",
            "item_name",
            "case_ref",
            "district",
            "language",
            "priority_reason",
            "created_at",
            "callback_offered_at",
            "queue_socket",
            "session",
        ]

    def get_queue_socket(self, obj: AssistRequest) -> str:
        return f"/ws/assist/queue/{obj.pk}/"

    def get_session(self, obj: AssistRequest) -> int | None:
        session = getattr(obj, "session", None) if obj.state in ("connected", "done") else None
        return session.pk if session else None


class CallbackSerializer(serializers.Serializer[Any]):
    phone = serializers.CharField(max_length=20, required=False, allow_blank=True)


class CallSessionSerializer(serializers.ModelSerializer[CallSession]):
    citizen_name = serializers.SerializerMethodField()
    clerk_name = serializers.SerializerMethodField()
    district = serializers.CharField(source="district.division_code", default=None, read_only=True)
    case_ref = CaseReferenceField(read_only=True, help_text="reference of the linked case, null when none")
    recording_url = serializers.SerializerMethodField()
    notes = serializers.SerializerMethodField(
        help_text="the clerks' internal notes on the call (working notes, wrap-up); null for the caller"
    )

    class Meta:
        model = CallSession
        fields = [
            "id",
            "request",
            "citizen_name",
            "clerk_name",
            "district",
            "started_at",
            "ended_at",
            "wait_seconds",
            "talk_seconds",
            "outcome",
            "notes",
            "case_ref",
            "rating",
            "wrapped_up_at",
            "recording_required",
            "recording_url",
        ]

    def get_notes(self, obj: CallSession) -> str | None:
        """Internal: for staff only, never for the caller (whose record this also is)."""
        request = self.context.get("request")
        user = getattr(request, "user", None)
        staff = user is not None and (
            getattr(user, "is_clerk", False) or getattr(user, "is_supervisor", False) or user.is_superuser
        )
        return obj.notes if staff else None

    def get_citizen_name(self, obj: CallSession) -> str:
        return obj.citizen.display_name or obj.citizen.username

    def get_clerk_name(self, obj: CallSession) -> str:
        return obj.clerk.display_name or obj.clerk.username

    def get_recording_url(self, obj: CallSession) -> str | None:
        """The page that plays the call's recordings (each member's, every playback audited), for those who
        may play them; null otherwise. Never a plain media link."""
        from helpdesk.services.recordings import may_play_recordings

        user = getattr(self.context.get("request"), "user", None)
        if not isinstance(user, User) or not may_play_recordings(user):
            return None
        kept = getattr(obj, "recordings_kept", None)  # annotated by the list and detail views
        if not (obj.recordings.exclude(file="").exists() if kept is None else kept):
            return None
        return reverse("helpdesk:recordings", args=[obj.pk])


class CallRecordingSerializer(serializers.ModelSerializer[CallRecording]):
    """One member's recording of a call (their camera and microphone, from their join to their leave)."""

    member = serializers.CharField(source="peer", help_text="the member's address in the call: citizen, clerk-<id>")
    role = serializers.CharField(read_only=True, help_text="citizen (the caller), clerk (holding the call) or guest")
    name = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField(help_text="the file; every fetch is audited")

    class Meta:
        model = CallRecording
        fields = ["id", "member", "role", "name", "started_at", "ended_at", "sha256", "url"]

    def get_name(self, obj: CallRecording) -> str:
        return obj.user.display_name or obj.user.username

    def get_url(self, obj: CallRecording) -> str:
        return reverse("helpdesk:api-recording-file", args=[obj.pk])


class WrapUpSerializer(serializers.Serializer[Any]):
    notes = serializers.CharField(allow_blank=True, max_length=4000)
    outcome = serializers.ChoiceField(choices=WRAP_UP_OUTCOMES)
    case = serializers.CharField(
        required=False, allow_null=True, allow_blank=True, max_length=32, help_text="reference of the caller's case"
    )
    new_draft_case = serializers.BooleanField(default=False, help_text="start a draft case for the call's item")
    then_available = serializers.BooleanField(default=True)


class RatingSerializer(serializers.Serializer[Any]):
    rating = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(required=False, allow_blank=True, max_length=300)


class SnapshotSerializer(serializers.Serializer[Any]):
    image = serializers.FileField()
    case = serializers.CharField(
        required=False, allow_null=True, allow_blank=True, max_length=32, help_text="reference of the caller's case"
    )
    item_material = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, help_text="file the still as this material of the case"
    )


class InviteCreateSerializer(serializers.Serializer[Any]):
    district = serializers.CharField(
        required=False, allow_blank=True, max_length=6, help_text="division code; empty: the approving district"
    )
    kind = serializers.ChoiceField(choices=["join", "transfer"], default="join")
    note = serializers.CharField(required=False, allow_blank=True, max_length=500)


class InviteSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    district = serializers.CharField()
    outcome = serializers.CharField()
    ring_deadline = serializers.DateTimeField()


class InviteDistrictsSerializer(serializers.Serializer[Any]):
    approving = serializers.ListField(child=serializers.DictField())
    districts = serializers.ListField(child=serializers.DictField())


class CallMemberSerializer(serializers.Serializer[Any]):
    peer = serializers.CharField()
    role = serializers.CharField()
    name = serializers.CharField()
    district = serializers.CharField(allow_null=True)
    district_en = serializers.CharField(allow_null=True, help_text="the district's English name")


class SidePanelSerializer(serializers.Serializer[Any]):
    item = serializers.DictField(allow_null=True)
    cases = serializers.ListField(child=serializers.DictField())
    notes = serializers.CharField(allow_blank=True)
    may_write_notes = serializers.BooleanField()
    caller = serializers.DictField(help_text="district, earlier_calls, last_call_at (before this call)")


class NotesSerializer(serializers.Serializer[Any]):
    notes = serializers.CharField(allow_blank=True, max_length=5000)


class ShareDraftSerializer(serializers.Serializer[Any]):
    case = serializers.CharField(required=False, allow_blank=True, max_length=32)


class SharedDraftSerializer(serializers.Serializer[Any]):
    case = serializers.CharField()
    item = serializers.CharField()
    state = serializers.CharField()
    materials = serializers.ListField(child=serializers.DictField())
    missing = serializers.ListField(child=serializers.CharField())
    form = serializers.ListField(
        child=serializers.DictField(), help_text="the application form's fields and values (ID numbers masked)"
    )
    form_missing = serializers.ListField(child=serializers.CharField(), help_text="required fields still empty")
    may_submit = serializers.BooleanField(help_text="the requester may submit from the call")


class DraftFormSerializer(serializers.Serializer[Any]):
    values = serializers.DictField(
        child=serializers.CharField(allow_blank=True, max_length=2000, trim_whitespace=False),
        help_text="field key → value; an empty value clears the field",
    )


class DraftFormAnswerSerializer(serializers.Serializer[Any]):
    changed = serializers.ListField(child=serializers.CharField(), help_text="the keys whose value changed")
    form = serializers.ListField(
        child=serializers.DictField(), help_text="the application form's fields and values (ID numbers masked)"
    )
    form_missing = serializers.ListField(child=serializers.CharField(), help_text="required fields still empty")


class PreCheckSerializer(serializers.Serializer[Any]):
    item_material = serializers.IntegerField(min_value=1)
    verdict = serializers.ChoiceField(choices=["conforming", "not_conforming"])
    reason = serializers.CharField(required=False, allow_blank=True, max_length=300)
    valid_until = serializers.DateField(required=False, allow_null=True)


class DraftUploadSerializer(serializers.Serializer[Any]):
    item_material = serializers.IntegerField(min_value=1)
    file = serializers.FileField()


class IdentityCheckSerializer(serializers.Serializer[Any]):
    result = serializers.ChoiceField(choices=["match", "no_match"])
    note = serializers.CharField(required=False, allow_blank=True, max_length=300)


class IdentityCheckResultSerializer(serializers.Serializer[Any]):
    result = serializers.CharField()
    case_error = serializers.CharField(allow_null=True)


class SnapshotResultSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    url = serializers.CharField()
    filed_as_case_material = serializers.BooleanField()
    case_error = serializers.CharField(allow_null=True)


class CaseMaterialChoiceSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    requirement = serializers.CharField()


class CaseMaterialsSerializer(serializers.Serializer[Any]):
    case = serializers.CharField(help_text="the case reference")
    reference = serializers.CharField()
    materials = CaseMaterialChoiceSerializer(many=True)


class IceServerSerializer(serializers.Serializer[Any]):
    urls = serializers.ListField(child=serializers.CharField())
    username = serializers.CharField(required=False)
    credential = serializers.CharField(required=False)


class IceServersSerializer(serializers.Serializer[Any]):
    ice_servers = IceServerSerializer(many=True)
    ttl = serializers.IntegerField()


class LiveFiguresSerializer(serializers.Serializer[Any]):
    at = serializers.DateTimeField()
    district = serializers.CharField(allow_null=True)
    waiting_now = serializers.IntegerField()
    longest_wait_seconds = serializers.IntegerField()
    clerks_by_status = serializers.DictField(child=serializers.IntegerField())
    available_clerks_by_district = serializers.DictField(child=serializers.IntegerField())
    open_callbacks = serializers.IntegerField(help_text="callbacks not yet closed (open or claimed)")
    open_callbacks_by_district = serializers.DictField(
        child=serializers.IntegerField(), help_text="open callbacks by the citizen's district (division code)"
    )


class PeriodFiguresSerializer(serializers.Serializer[Any]):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    district = serializers.CharField(allow_null=True)
    requests = serializers.IntegerField()
    answered = serializers.IntegerField()
    answered_within_20s = serializers.IntegerField()
    answered_within_20s_ratio = serializers.FloatField(allow_null=True)
    average_wait_seconds = serializers.FloatField(allow_null=True)
    longest_wait_seconds = serializers.FloatField(allow_null=True)
    average_handling_seconds = serializers.FloatField(allow_null=True)
    abandoned = serializers.IntegerField()
    cancelled = serializers.IntegerField()
    callbacks = serializers.IntegerField()
    offers_timed_out = serializers.IntegerField()
    offers_declined = serializers.IntegerField()
    average_rating = serializers.FloatField(allow_null=True)


class CallbackItemSerializer(serializers.Serializer[Any]):
    """A callback in a clerk's list; the phone number only for the clerk who has claimed it."""

    id = serializers.IntegerField()
    request = serializers.IntegerField()
    status = serializers.CharField(help_text="one of: " + ", ".join(Callback.Status.values))
    scope = serializers.CharField(help_text="how near the citizen is: specialist, district, city or alliance")
    citizen = serializers.CharField()
    firm = serializers.CharField(allow_null=True)
    district = serializers.CharField(allow_null=True, help_text="the citizen's district (division code)")
    district_name = serializers.CharField(allow_null=True)
    item = serializers.CharField(allow_null=True)
    case = serializers.CharField(allow_null=True, help_text="reference of the case the citizen called about")
    language = serializers.CharField()
    priority = serializers.CharField(allow_null=True)
    requested_at = serializers.DateTimeField()
    attempts = serializers.IntegerField()
    max_attempts = serializers.IntegerField()
    last_attempt_at = serializers.DateTimeField(allow_null=True)
    last_note = serializers.CharField(allow_blank=True)
    claimed_by_me = serializers.BooleanField()
    claimed_at = serializers.DateTimeField(allow_null=True)
    phone = serializers.CharField(allow_null=True, help_text="only once you have claimed the callback")


class CallbackDoneSerializer(serializers.Serializer[Any]):
    outcome = serializers.ChoiceField(choices=Callback.Outcome.choices)
    note = serializers.CharField(required=False, allow_blank=True, max_length=500)
