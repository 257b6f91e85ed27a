from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from cases import selectors, services
from cases.models import CalendarGap, Case, CaseEvent, CaseMaterial, ClerkSkill, FollowUp, Holiday, Rating
from govservice.errors import DomainError

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
    inlines = [CaseMaterialInline, CaseEventInline]
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


class CalendarImportForm(forms.Form):
    table = forms.FileField(
        label=_("Calendar table (CSV)"),
        help_text=_(
            "One row per day: date (YYYY-MM-DD), kind (holiday / 休, or makeup_workday / 班), name. "
            "The years in the table replace what the calendar holds for them; one bad row refuses the whole table."
        ),
    )


@admin.register(Holiday)
class HolidayAdmin(admin.ModelAdmin):
    list_display = ["date", "kind", "name"]
    list_filter = ["kind"]
    date_hierarchy = "date"
    change_list_template = "admin/cases/holiday/change_list.html"

    def get_urls(self) -> list[URLPattern]:
        own = [path("import/", self.admin_site.admin_view(self.import_view), name="cases_holiday_import")]
        return own + super().get_urls()

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        coverage = selectors.calendar_coverage()
        if coverage.missing:
            self.message_user(
                request,
                _(
                    "The calendar holds %(years)s. Missing: %(missing)s — working days in those years count every "
                    "weekday; %(count)d open cases have provisional deadlines. Import the year's calendar."
                )
                % {
                    "years": ", ".join(map(str, coverage.years)) or "—",
                    "missing": ", ".join(map(str, coverage.missing)),
                    "count": coverage.provisional_cases,
                },
                messages.WARNING,
            )
        return super().changelist_view(request, {**(extra_context or {}), "coverage": coverage})

    def import_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_add_permission(request) or not self.has_delete_permission(request):
            raise PermissionDenied
        form = CalendarImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["table"]
            try:
                text = upload.read(1_000_000).decode("utf-8")
                report = services.holiday_calendar_import(
                    text=text, actor=request.user if isinstance(request.user, User) else None
                )
            except UnicodeDecodeError:
                form.add_error("table", _("The table is not UTF-8 text."))
            except DomainError as exc:
                for message in exc.messages:
                    form.add_error("table", message)
            else:
                self.message_user(
                    request,
                    _(
                        "Imported %(years)s: %(holidays)d holidays, %(makeup)d make-up working days; "
                        "%(cases)d provisional cases counted again."
                    )
                    % {
                        "years": ", ".join(map(str, report.years)),
                        "holidays": report.holidays,
                        "makeup": report.makeup_workdays,
                        "cases": report.cases_recomputed,
                    },
                    messages.SUCCESS,
                )
                return redirect("admin:cases_holiday_changelist")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Import the holiday calendar"),
            "form": form,
        }
        return TemplateResponse(request, "admin/cases/holiday/import.html", context)


@admin.register(CalendarGap)
class CalendarGapAdmin(admin.ModelAdmin):
    list_display = ["year", "first_seen_at", "first_case_reference", "closed_at"]
    readonly_fields = ["year", "first_seen_at", "first_case_reference", "closed_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: CalendarGap | None = None) -> bool:
        return False


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
