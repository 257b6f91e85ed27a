"""Read-only admin of the registry, the signed records, the anchors and the verifications: keys are created and
rotated by `manage.py district_keys`, records and anchors only by their services."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from trust.models import Anchor, DistrictKey, SignedRecord, Verification


class ReadOnlyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(DistrictKey)
class DistrictKeyAdmin(ReadOnlyAdmin):
    list_display = ["key_id", "district", "valid_from", "valid_until"]
    list_filter = ["district"]


@admin.register(SignedRecord)
class SignedRecordAdmin(ReadOnlyAdmin):
    list_display = ["case", "event_seq", "kind", "district_code", "key_id", "signed_at"]
    list_filter = ["kind", "district_code"]
    search_fields = ["case__reference"]


@admin.register(Anchor)
class AnchorAdmin(ReadOnlyAdmin):
    list_display = ["district_code", "seq", "key_id", "anchored_at"]
    list_filter = ["district_code"]


@admin.register(Verification)
class VerificationAdmin(ReadOnlyAdmin):
    list_display = ["case", "ok", "district_code", "checked_by", "checked_at"]
    list_filter = ["ok", "district_code"]
    search_fields = ["case__reference"]
