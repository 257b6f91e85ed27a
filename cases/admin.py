from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from cases import selectors, services
from cases.models import (
    CalendarGap,
    Case,
    CaseEvent,
    CaseMaterial,
    CaseView,
    ClerkSkill,
    FollowUp,
    FollowUpPolicy,
    Holiday,
    IdentityCheck,
    MaterialCheck,
    Rating,
    ReturnVisit,
)
from govservice.errors import DomainError, error_messages


def _admin_page(request: HttpRequest, site: admin.AdminSite, obj: Any, back_url: str, **context: Any) -> HttpResponse:
    return TemplateResponse(
        request,
        "admin/c9_action.html",
        {**site.each_context(request), "object": obj, "back_url": back_url, **context},
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
        if not obj.applicant_id_number:
            return ""
        url = reverse("admin:cases_case_reveal", args=[obj.pk])
        return format_html(
            '{} <a href="{}">{}</a>', obj.masked_id_number, url, _("Show in full (recorded in the case's history)")
        )

    def get_readonly_fields(self, request: HttpRequest, obj: Case | None = None) -> list[str]:
        return [f.name for f in Case._meta.fields if f.name != "applicant_id_number"] + ["masked_applicant_id_number"]

    def get_urls(self) -> list[URLPattern]:
        reveal = path("<int:case_id>/reveal/", self.admin_site.admin_view(self.reveal_view), name="cases_case_reveal")
        return [reveal, *super().get_urls()]

    def reveal_view(self, request: HttpRequest, case_id: int) -> HttpResponse:
        """POST: the full ID number through the service, which appends the reading to the case's chain."""
        case = get_object_or_404(Case, pk=case_id)
        back = reverse("admin:cases_case_change", args=[case.pk])
        title = _("Applicant's full ID number")
        if request.method != "POST":
            notice = _("Reading the full ID number is recorded in the case's history with your name.")
            submit = _("Show in full")
            return _admin_page(
                request, self.admin_site, case, back, title=title, notice=notice, form=forms.Form(), submit_label=submit
            )
        actor = request.user
        if not isinstance(actor, User):  # admin_view let only a signed-in staff user in
            raise PermissionDenied
        try:
            number = services.case_id_number_reveal(
                case=case, actor=actor, request_id=getattr(request, "request_id", "")
            )
        except DomainError as error:
            raise PermissionDenied(" ".join(error_messages(error))) from error
        return _admin_page(
            request, self.admin_site, case, back, title=title, lines=[(_("applicant ID number"), number)]
        )

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
                    "weekday; open cases with provisional deadlines: %(count)d. Import the year's calendar."
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
                        "Imported %(years)s. Holidays: %(holidays)d; make-up working days: %(makeup)d; "
                        "provisional cases counted again: %(cases)d."
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


class ReturnVisitInline(admin.TabularInline):
    model = ReturnVisit
    extra = 0
    can_delete = False
    fields = ["visited_at", "method", "visitor", "citizen_said"]
    readonly_fields = ["visited_at", "method", "visitor", "citizen_said"]

    def has_add_permission(self, request: HttpRequest, obj: FollowUp | None = None) -> bool:
        return False


@admin.register(FollowUp)
class FollowUpAdmin(admin.ModelAdmin):
    """Read-only: a follow-up is handled on the supervisors' page (or the API), through the services that write
    each change to the case's chain."""

    list_display = ["rating", "district", "status", "due_on", "escalated_at", "handled_by", "created_at"]
    list_filter = ["status", "district"]
    inlines = [ReturnVisitInline]

    def get_readonly_fields(self, request: HttpRequest, obj: FollowUp | None = None) -> list[str]:
        return [f.name for f in FollowUp._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: FollowUp | None = None) -> bool:
        return False

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        follow_up = self.get_object(request, object_id)
        if follow_up is not None and follow_up.status == FollowUp.Status.OPEN:
            url = reverse("cases-follow-up", args=[follow_up.pk])
            messages.info(request, format_html('<a href="{}">{}</a>', url, _("Handle it on the follow-up page")))
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(FollowUpPolicy)
class FollowUpPolicyAdmin(admin.ModelAdmin):
    """A district's deadline for following up bad ratings; districts without one take 5 working days."""

    list_display = ["district", "working_days"]


@admin.register(ClerkSkill)
class ClerkSkillAdmin(admin.ModelAdmin):
    list_display = ["clerk", "sector"]
    list_filter = ["sector"]


@admin.register(CaseView)
class CaseViewAdmin(admin.ModelAdmin):
    """Who looked at which case (the account behind each masked name the applicant sees); read-only."""

    list_display = ["case", "viewed_at", "viewer", "viewer_role", "district", "what", "material", "via"]
    list_select_related = ["case", "viewer", "district", "material"]
    list_filter = ["what", "via", "viewer_role", "district"]
    search_fields = ["case__reference", "viewer__username", "request_id"]
    date_hierarchy = "viewed_at"

    def get_readonly_fields(self, request: HttpRequest, obj: CaseView | None = None) -> list[str]:
        return [f.name for f in CaseView._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: CaseView | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: CaseView | None = None) -> bool:
        return False
