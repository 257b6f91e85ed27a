"""The alliance registry of district keys, the signed step records, the anchors and the recognition checks.

Private keys never enter the database (trust.keys); a record stores the exact canonical JSON text that was
signed, so it verifies byte for byte wherever it travels (the case package, c9verify).
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class AppendOnly(models.Model):
    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not getattr(self, "_closing", False):
            raise ValidationError("Signed records and anchors are append-only.")
        super().save(*args, **kwargs)


class DistrictKey(models.Model):
    """One public key of a district in the alliance registry, valid from `valid_from` until `valid_until`
    (empty: the district's current key). A rotation closes the old period and opens a new one."""

    district = models.ForeignKey("standards.District", on_delete=models.PROTECT, related_name="keys")
    key_id = models.CharField(_("key id"), max_length=40, unique=True)
    public_key = models.CharField(_("public key (Ed25519, base64)"), max_length=64)
    valid_from = models.DateTimeField(_("valid from"))
    valid_until = models.DateTimeField(_("valid until"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["district__division_code", "valid_from"]
        verbose_name = _("district key")
        verbose_name_plural = _("district keys")
        constraints = [
            models.UniqueConstraint(
                fields=["district"], condition=models.Q(valid_until__isnull=True), name="one_current_key_per_district"
            )
        ]

    def __str__(self) -> str:
        return self.key_id


class SignedRecord(AppendOnly):
    """A step's record signed by the district that took it: acceptance, return, decision, delivery."""

    class Kind(models.TextChoices):
        ACCEPTANCE = "acceptance", _("Acceptance")
        RETURN = "return", _("Return")
        DECISION = "decision", _("Decision")
        DELIVERY = "delivery", _("Delivery")

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="signed_records")
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    event_seq = models.PositiveIntegerField(_("chain event"))
    district_code = models.CharField(_("district"), max_length=6)
    key_id = models.CharField(_("key id"), max_length=40)
    payload = models.TextField(_("signed payload (canonical JSON)"))
    signature = models.CharField(_("signature (base64)"), max_length=100)
    signed_at = models.DateTimeField(_("signed at"))

    class Meta:
        ordering = ["case", "event_seq"]
        verbose_name = _("signed record")
        verbose_name_plural = _("signed records")
        constraints = [models.UniqueConstraint(fields=["case", "event_seq"], name="one_signed_record_per_event")]

    def __str__(self) -> str:
        return f"{self.case_id}#{self.event_seq} {self.kind}"

    def as_signed(self) -> dict[str, str]:
        """The form c9verify reads: the payload text, the key and the signature."""
        return {"payload": self.payload, "key_id": self.key_id, "signature": self.signature}

    @property
    def data(self) -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads(self.payload)
        return loaded


class Anchor(AppendOnly):
    """A district's signed Merkle root over the heads of the case chains it touched since its last anchor.

    Anchors of one district form a chain of their own (`prev` in the payload); a copy of each is written to
    every member district's store (trust.anchors), where recognition reads it.
    """

    district_code = models.CharField(_("district"), max_length=6)
    seq = models.PositiveIntegerField(_("number"))
    key_id = models.CharField(_("key id"), max_length=40)
    payload = models.TextField(_("signed payload (canonical JSON)"))
    signature = models.CharField(_("signature (base64)"), max_length=100)
    heads = models.JSONField(_("chain heads"), default=list)
    anchored_at = models.DateTimeField(_("anchored at"))

    class Meta:
        ordering = ["district_code", "seq"]
        verbose_name = _("anchor")
        verbose_name_plural = _("anchors")
        constraints = [models.UniqueConstraint(fields=["district_code", "seq"], name="one_anchor_per_district_seq")]

    def __str__(self) -> str:
        return f"{self.district_code}#{self.seq}"

    def as_signed(self) -> dict[str, str]:
        return {"payload": self.payload, "key_id": self.key_id, "signature": self.signature}


class Verification(models.Model):
    """One verification of a case at recognition (互认): what was checked and, if it failed, exactly what."""

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="verifications")
    ok = models.BooleanField(_("verified"))
    checks = models.JSONField(_("checks"), default=list)  # [{"ok", "what", "message"}]
    checked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    district_code = models.CharField(_("district"), max_length=6)
    checked_at = models.DateTimeField(_("checked at"), auto_now_add=True)

    class Meta:
        ordering = ["-checked_at", "-id"]
        verbose_name = _("verification")
        verbose_name_plural = _("verifications")

    def __str__(self) -> str:
        return f"{self.case_id} {'ok' if self.ok else 'failed'}"

    @property
    def failures(self) -> list[dict[str, Any]]:
        return [check for check in self.checks if not check.get("ok")]
