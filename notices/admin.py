"""The notices in the admin: what was sent to whom and how each channel fared (read only; addresses masked)."""

from __future__ import annotations

from django.contrib import admin

from notices.models import Notice, NoticeDelivery, NoticePreference


class DeliveryInline(admin.TabularInline):
    model = NoticeDelivery
    extra = 0
    can_delete = False
    fields = ("channel", "status", "attempts", "last_error", "next_attempt_at", "sent_at", "sent_to")
    readonly_fields = fields


@admin.register(Notice)
class NoticeAdmin(admin.ModelAdmin):
    list_display = ("created_at", "kind", "recipient", "key", "read_at")
    list_filter = ("kind",)
    search_fields = ("key",)
    readonly_fields = ("recipient", "kind", "key", "data", "link", "created_at", "read_at", "planned_at")
    inlines = [DeliveryInline]

    def has_add_permission(self, request: object) -> bool:
        return False


@admin.register(NoticeDelivery)
class NoticeDeliveryAdmin(admin.ModelAdmin):
    list_display = ("notice", "channel", "status", "attempts", "last_error", "sent_at", "sent_to")
    list_filter = ("status", "channel")
    readonly_fields = (
        "notice",
        "channel",
        "status",
        "attempts",
        "last_error",
        "next_attempt_at",
        "sent_at",
        "sent_to",
        "gateway_id",
        "created_at",
    )

    def has_add_permission(self, request: object) -> bool:
        return False


@admin.register(NoticePreference)
class NoticePreferenceAdmin(admin.ModelAdmin):
    list_display = ("user", "email", "sms", "updated_at")
