from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from accounts.models import Firm, User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ["username", "display_name", "role", "district", "window", "firm", "is_active"]
    list_filter = ["role", "district", "is_active", "is_staff"]
    search_fields = ["username", "display_name", "phone"]
    fieldsets = (
        *(DjangoUserAdmin.fieldsets or ()),
        (
            _("C9 role"),
            {
                "fields": [
                    "role",
                    "display_name",
                    "id_number",
                    "phone",
                    "household_district",
                    "insured_district",
                    "firm",
                    "district",
                    "window",
                ]
            },
        ),
    )
    add_fieldsets = (
        *DjangoUserAdmin.add_fieldsets,
        (_("C9 role"), {"fields": ["role", "display_name", "firm", "district", "window"]}),
    )


@admin.register(Firm)
class FirmAdmin(admin.ModelAdmin):
    list_display = ["name", "credit_code", "registered_district"]
    search_fields = ["name", "credit_code"]
