"""Notices: a person's inbox entries, their deliveries by email and SMS, and the person's choice of channels."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Notice(models.Model):
    """One entry of a person's inbox: what happened (`kind`, `data`), where to look (`link`), read or not.

    `key` says what the notice is about (a case's step taken, a case's condition such as one deadline due
    soon): a person gets at most one notice per key, however often the step's task or the scan runs.
    The text is drawn from `kind` and `data` when shown (notices.kinds), in the reader's language.
    """

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notices", verbose_name=_("recipient")
    )
    kind = models.CharField(_("kind"), max_length=40)
    key = models.CharField(_("key"), max_length=120)
    data = models.JSONField(_("data"), default=dict, blank=True)
    link = models.CharField(_("link"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    # When the worker wrote its deliveries (one per channel the person chose); empty until then.
    planned_at = models.DateTimeField(_("deliveries planned at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        ordering = ["-created_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["recipient", "key"], name="one_notice_per_recipient_and_key")]
        indexes = [
            # The unread count in every page's header.
            models.Index(fields=["recipient", "read_at"], name="notice_recipient_unread"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.recipient_id}"


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")


class NoticeDelivery(models.Model):
    """One notice sent through one channel: at most one row per (notice, channel), sent exactly once.

    The worker writes the rows of a notice once the step has committed (the channels the person chose then),
    and sends each (notices.services.delivery_send), counting each attempt and its error; beat's sweep
    queues again what a lost message or a killed worker left unplanned or pending.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed (gave up)")
        SKIPPED = "skipped", _("skipped (no address or channel turned off)")

    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("notice"))
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    # When the next attempt is due: the sweep queues pending rows whose time has passed by a margin.
    next_attempt_at = models.DateTimeField(_("next attempt at"))
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    # Where it went, masked (138****8000, z***@example.com), and the gateway's id for it.
    sent_to = models.CharField(_("sent to"), max_length=120, blank=True)
    gateway_id = models.CharField(_("gateway id"), max_length=120, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("notice delivery")
        verbose_name_plural = _("notice deliveries")
        constraints = [models.UniqueConstraint(fields=["notice", "channel"], name="one_delivery_per_notice_channel")]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="notice_delivery_due")]

    def __str__(self) -> str:
        return f"{self.notice_id}/{self.channel}: {self.status}"

    @property
    def idempotency_key(self) -> str:
        """The same for every attempt: the file backends (and any gateway that takes one) send it once."""
        return f"c9-notice-{self.notice_id}-{self.channel}"


class NoticePreference(models.Model):
    """The channels a person chose besides the inbox (always on). No row: the defaults of their role."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="notice_preference",
        verbose_name=_("user"),
    )
    email = models.BooleanField(_("by email"))
    sms = models.BooleanField(_("by SMS"))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("notice preference")
        verbose_name_plural = _("notice preferences")

    def __str__(self) -> str:
        return f"{self.user_id}: email={self.email} sms={self.sms}"
