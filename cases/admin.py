from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from cases.models import (
    Case,
    CaseEvent,
    CaseMaterial,
    ClerkSkill,
    FollowUp,
    Holiday,
    IdentityCheck,
    MaterialCheck,
    Rating,
)

_EVENT_FIELDS = (
    "seq",
    "created_at",
    "action",
    "from_state",
    "to_state",
    "actor",
    "actor_role",
    "district_code",
    "window_code",
    "reason",
    "request_id",
    "hash",
)
_MATERIAL_FIELDS = (
    "item_material",
    "original_name",
    "content_type",
    "size",
    "spared_by_elicence",
    "current",
    "uploaded_at",
)


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Case | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Case | None = None) -> bool:
        return False


class CaseEventInline(ReadOnlyInline):
    model = CaseEvent
    fields = _EVENT_FIELDS
    readonly_fields = _EVENT_FIELDS
    ordering = ["seq"]


class CaseMaterialInline(ReadOnlyInline):
    model = CaseMaterial
    fields = _MATERIAL_FIELDS
    readonly_fields = _MATERIAL_FIELDS


class MaterialCheckInline(ReadOnlyInline):
    model = MaterialCheck
    fields = ("material", "sha256", "verdict", "reason", "clerk", "district", "checked_at", "event_seq")
    readonly_fields = fields


class IdentityCheckInline(ReadOnlyInline):
    model = IdentityCheck
    fields = ("method", "note", "clerk", "district", "checked_at", "event_seq")
    readonly_fields = fields


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    """Read-only: every change goes through the services so that it is audited."""

    list_display = [
        "reference",
        "item_version",
        "state",
        "accepting_district",
        "approving_district",
        "promised_due",
        "routing_poisoned",
    ]
    list_filter = ["state", "accepting_district", "approving_district", "routing_poisoned"]
    search_fields = ["reference", "applicant__username", "agent__username", "firm__name", "applicant_credit_code"]
    inlines = [CaseMaterialInline, MaterialCheckInline, IdentityCheckInline, CaseEventInline]
    exclude = ["applicant_id_number"]
    readonly_fields = ["masked_applicant_id_number"]

    @admin.display(description=_("applicant ID number"))
    def masked_applicant_id_number(self, obj: Case) -> str:
        return obj.masked_id_number

    def get_readonly_fields(self, request: HttpRequest, obj: Case | None = None) -> list[str]:
        return [f.name for f in Case._meta.fields if f.name != "applicant_id_number"] + ["masked_applicant_id_number"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Case | None = None) -> bool:
        return False


@admin.register(CaseEvent)
class CaseEventAdmin(admin.ModelAdmin):
    list_display = ["case", "seq", "action", "from_state", "to_state", "actor", "district_code", "created_at"]
    list_select_related = ["case", "actor"]
    list_filter = ["action", "district_code"]
    search_fields = ["case__reference", "request_id"]

    def get_readonly_fields(self, request: HttpRequest, obj: CaseEvent | None = None) -> list[str]:
        return [f.name for f in CaseEvent._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: CaseEvent | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: CaseEvent | None = None) -> bool:
        return False


@admin.register(Holiday)
class HolidayAdmin(admin.ModelAdmin):
    list_display = ["date", "kind", "name"]
    list_filter = ["kind"]
    date_hierarchy = "date"


@admin.register(Rating)
class RatingAdmin(admin.ModelAdmin):
    list_display = ["case", "score", "attitude", "speed", "convenience", "created_at"]
    list_filter = ["score"]

    def get_readonly_fields(self, request: HttpRequest, obj: Rating | None = None) -> list[str]:
        return [f.name for f in Rating._meta.fields]


@admin.register(FollowUp)
class FollowUpAdmin(admin.ModelAdmin):
    list_display = ["rating", "district", "status", "handled_by", "created_at"]
    list_filter = ["status", "district"]


@admin.register(ClerkSkill)
class ClerkSkillAdmin(admin.ModelAdmin):
    list_display = ["clerk", "sector"]
    list_filter = ["sector"]
