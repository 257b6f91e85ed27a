from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from accounts import services
from accounts.identifiers import mask_phone
from accounts.models import Firm, User
from govservice.errors import DomainError

# What the admin log records when a full ID number and phone are shown (kept in English: it is data).
REVEAL_MESSAGE = "Revealed the full ID number and phone in the admin."


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """ID numbers and phones are masked; showing them in full is a separate, recorded step."""

    list_display = ["username", "display_name", "role", "district", "window", "firm", "is_active"]
    list_filter = ["role", "district", "is_active", "is_staff"]
    search_fields = ["username", "display_name", "phone"]
    fieldsets = (
        *(DjangoUserAdmin.fieldsets or ()),
        (
            _("C9 role"),
            {
                "fields": [
                    *("role", "display_name", "masked_id_number", "masked_phone", "reveal"),
                    *("household_district", "insured_district"),
                    *("firm", "district", "window"),
                ]
            },
        ),
    )
    add_fieldsets = (
        *DjangoUserAdmin.add_fieldsets,
        (_("C9 role"), {"fields": ["role", "display_name", "firm", "district", "window"]}),
    )
    readonly_fields = ["masked_id_number", "masked_phone", "reveal"]

    @admin.display(description=_("resident ID number"))
    def masked_id_number(self, obj: User) -> str:
        return obj.masked_id_number

    @admin.display(description=_("phone"))
    def masked_phone(self, obj: User) -> str:
        return mask_phone(obj.phone)

    @admin.display(description=_("full values"))
    def reveal(self, obj: User) -> str:
        if obj.pk is None:
            return ""
        correct = reverse("admin:accounts_user_correct", args=[obj.pk])
        correct_link = format_html('<a href="{}">{}</a>', correct, _("Correct the ID number or phone (recorded)"))
        if not (obj.id_number or obj.phone):
            return correct_link
        url = reverse("admin:accounts_user_reveal", args=[obj.pk])
        return format_html('<a href="{}">{}</a> · {}', url, _("Show in full (the access is recorded)"), correct_link)

    def get_urls(self) -> list[URLPattern]:
        reveal = path(
            "<int:user_id>/reveal/", self.admin_site.admin_view(self.reveal_view), name="accounts_user_reveal"
        )
        correct = path(
            "<int:user_id>/correct/", self.admin_site.admin_view(self.correct_view), name="accounts_user_correct"
        )
        return [reveal, correct, *super().get_urls()]

    def correct_view(self, request: HttpRequest, user_id: int) -> HttpResponse:
        """A recorded correction of the ID number and/or phone (accounts.services.user_identifiers_correct): the
        form never shows the current values; the user's history records who, when, why, old and new masked."""
        person = get_object_or_404(User, pk=user_id)
        if not self.has_change_permission(request, person):
            raise PermissionDenied
        back_url = reverse("admin:accounts_user_change", args=[person.pk])
        form = IdentifiersCorrectionForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            try:
                services.user_identifiers_correct(user=person, actor=signed_in(request), **form.cleaned_data)
            except DomainError as exc:
                for field, messages_ in exc.fields.items():
                    form.add_error(field if field in form.fields else None, messages_)
                if not exc.fields:
                    form.add_error(None, exc.message)
            else:
                messages.success(request, _("The correction is saved and recorded in this user's history."))
                return HttpResponseRedirect(back_url)
        context: dict[str, Any] = {
            **self.admin_site.each_context(request),
            "title": _("Correct the ID number or phone"),
            "object": person,
            "back_url": back_url,
            "notice": _(
                "Current values: %(id_number)s, %(phone)s. Leave a field empty to keep it. The correction, its reason "
                "and your name are recorded in this user's history."
            )
            % {"id_number": person.masked_id_number or "-", "phone": mask_phone(person.phone) or "-"},
            "form": form,
            "submit_label": _("Save the correction"),
        }
        return TemplateResponse(request, "admin/c9_action.html", context)

    def reveal_view(self, request: HttpRequest, user_id: int) -> HttpResponse:
        """GET asks; POST records the access in the admin's log (the object's history), then shows."""
        person = get_object_or_404(User, pk=user_id)
        if not self.has_change_permission(request, person):
            raise PermissionDenied
        context: dict[str, Any] = {
            **self.admin_site.each_context(request),
            "title": _("Full ID number and phone"),
            "object": person,
            "back_url": reverse("admin:accounts_user_change", args=[person.pk]),
        }
        if request.method == "POST":
            LogEntry.objects.log_actions(
                user_id=int(request.user.pk or 0),
                queryset=[person],
                action_flag=CHANGE,
                change_message=REVEAL_MESSAGE,
                single_object=True,
            )
            context["lines"] = [(_("resident ID number"), person.id_number), (_("phone"), person.phone)]
        else:
            context["notice"] = _("Showing the full values is recorded in this user's history with your name.")
            context["form"] = forms.Form()
            context["submit_label"] = _("Show in full")
        return TemplateResponse(request, "admin/c9_action.html", context)


class IdentifiersCorrectionForm(forms.Form):
    id_number = forms.CharField(label=_("new resident ID number"), required=False, max_length=40)
    phone = forms.CharField(label=_("new phone"), required=False, max_length=40)
    reason = forms.CharField(label=_("reason"), widget=forms.Textarea(attrs={"rows": 3}), max_length=200)


def signed_in(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User):  # admin_view has already required a signed-in staff member
        raise PermissionDenied
    return user


@admin.register(Firm)
class FirmAdmin(admin.ModelAdmin):
    list_display = ["name", "credit_code", "registered_district", "growth_stage", "business_mode", "industry"]
    list_filter = ["growth_stage", "business_mode", "industry"]
    search_fields = ["name", "credit_code"]
