from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from accounts.identifiers import mask_phone
from helpdesk.models import (
    AssistEvent,
    AssistRequest,
    Callback,
    CallInvite,
    CallMember,
    CallRecording,
    CallSession,
    CannedReply,
    ClerkProfile,
    Offer,
    PreCheck,
    Snapshot,
)

if TYPE_CHECKING:
    from django.db.models import ForeignKey, QuerySet
    from django.forms import ModelChoiceField

    _ModelAdmin = admin.ModelAdmin[Any]
    _ClerkProfileAdmin = admin.ModelAdmin[ClerkProfile]
    _Tabular = admin.TabularInline[Any, Any]
else:  # ModelAdmin is generic only in the stubs (django-stubs-ext is not installed in production)
    _ModelAdmin = _ClerkProfileAdmin = admin.ModelAdmin
    _Tabular = admin.TabularInline


@admin.register(ClerkProfile)
class ClerkProfileAdmin(_ClerkProfileAdmin):
    list_display = ["clerk", "status", "status_since", "last_heartbeat", "idle_since"]
    list_filter = ["status", "clerk__district"]
    filter_horizontal = ["items"]
    # Presence is driven by the console's heartbeat; administrators edit skills only.
    readonly_fields = ["status", "status_since", "last_heartbeat", "idle_since"]


class ReadOnlyAdmin(_ModelAdmin):
    """Records of the queue and calls change through services only (with their audit rows)."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(AssistRequest)
class AssistRequestAdmin(ReadOnlyAdmin):
    list_display = ["id", "citizen", "state", "priority_reason", "district", "language", "created_at"]
    list_filter = ["state", "district", "priority_reason"]
    # The admin shows phone numbers masked; the clerk who claims the callback reads it in full (audited).
    exclude = ["callback_phone"]
    readonly_fields = ["masked_callback_phone"]

    @admin.display(description=_("callback phone"))
    def masked_callback_phone(self, obj: AssistRequest) -> str:
        return mask_phone(obj.callback_phone)


@admin.register(Offer)
class OfferAdmin(ReadOnlyAdmin):
    list_display = ["id", "request", "clerk", "stage", "outcome", "created_at", "ring_deadline"]
    list_filter = ["outcome", "stage"]


class _ReadOnlyInline(_Tabular):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class CallMemberInline(_ReadOnlyInline):
    """Every member's stay in the call: who joined when, left when, and why."""

    model = CallMember
    fields = ["user", "role", "district", "joined_at", "left_at", "left_because", "invite"]


class CallInviteInline(_ReadOnlyInline):
    model = CallInvite
    fk_name = "session"
    fields = ["kind", "invited_by", "clerk", "district", "note", "created_at", "outcome", "answered_at"]


class PreCheckInline(_ReadOnlyInline):
    model = PreCheck
    fields = ["case_ref", "item_material", "verdict", "reason", "valid_until", "clerk", "district", "at"]


class CallRecordingInline(_ReadOnlyInline):
    """Each member's recording: whose, from when to when, its SHA-256 (the file only through the audited
    playback page, never a plain media link)."""

    model = CallRecording
    fields = ["peer", "role", "user", "started_at", "ended_at", "sha256", "deleted_at"]


@admin.register(CallSession)
class CallSessionAdmin(ReadOnlyAdmin):
    inlines = [CallMemberInline, CallInviteInline, PreCheckInline, CallRecordingInline]
    readonly_fields = ["playback"]

    @admin.display(description=_("recordings"))
    def playback(self, obj: CallSession) -> str:
        if not obj.recordings.exclude(file="").exists():
            return "–"
        url = reverse("helpdesk:recordings", args=[obj.pk])
        return format_html('<a href="{}" target="_blank" rel="noopener">{}</a>', url, _("Play (logged)"))

    list_display = [
        "id",
        "citizen",
        "clerk",
        "district",
        "started_at",
        "wait_seconds",
        "talk_seconds",
        "outcome",
        "rating",
    ]
    list_filter = ["outcome", "district"]


@admin.register(Callback)
class CallbackAdmin(ReadOnlyAdmin):
    list_display = ["id", "request", "status", "attempts", "claimed_by", "created_at", "closed_at"]
    list_filter = ["status", "request__district"]


admin.site.register(Snapshot, ReadOnlyAdmin)
admin.site.register(AssistEvent, ReadOnlyAdmin)


@admin.register(CannedReply)
class CannedReplyAdmin(_ModelAdmin):
    """常用语 of a district, kept by its administrators (staff with a district see and change their
    district's only); clerks keep their own replies from the console."""

    list_display = ["text", "district", "position"]
    list_filter = ["district"]
    list_editable = ["position"]
    fields = ["district", "text", "position"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[CannedReply]:
        replies = super().get_queryset(request).filter(owner__isnull=True)
        user = request.user
        if getattr(user, "is_superuser", False):
            return replies
        return replies.filter(district_id=getattr(user, "district_id", None))

    def formfield_for_foreignkey(
        self, db_field: ForeignKey[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> ModelChoiceField[Any] | None:
        user = request.user
        if db_field.name == "district":
            from standards.models import District

            # A district's reply names its district (a reply of nobody's would be nobody's to keep).
            kwargs["required"] = True
            if not getattr(user, "is_superuser", False):
                district_id = getattr(user, "district_id", None)
                kwargs["queryset"] = District.objects.filter(pk=district_id) if district_id else District.objects.none()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
