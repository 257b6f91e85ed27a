"""Cases (办件): accepted in one district, approved in another, delivered back.

A case's history is its append-only, hash-chained event log (CaseEvent); the `state`
column is a cache of the newest event's `to_state`, changed only by cases.services
in the same transaction as the event.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.identifiers import mask_id_number
from standards.vocabulary import Sector


class CaseState(models.TextChoices):
    """The states' values and labels (the database's choices); their groups, badges and the steps
    between them are declared in cases.life_cycle."""

    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    ACCEPTED = "accepted", _("Accepted")
    NOT_ACCEPTED = "not_accepted", _("Not accepted")
    CORRECTION_REQUESTED = "correction_requested", _("Correction requested")
    TRANSFERRED = "transferred", _("Transferred")
    IN_REVIEW = "in_review", _("In review")
    RETURNED = "returned", _("Returned to the accepting window")
    SPECIAL_PROCEDURE = "special_procedure", _("Special procedure")
    APPROVED = "approved", _("Approved")
    REFUSED = "refused", _("Refused")
    DELIVERED = "delivered", _("Result delivered")
    CLOSED = "closed", _("Closed")
    RATED = "rated", _("Rated")
    # pgettext: the helpdesk has its own "Withdrawn" (a ring withdrawn from a clerk).
    WITHDRAWN = "withdrawn", pgettext_lazy("case state", "Withdrawn")


class DeliveryMethod(models.TextChoices):
    ELICENCE = "elicence", _("Electronic licence")
    COURIER = "courier", _("Courier")
    PICKUP = "pickup", _("Pick-up at the accepting window")


class Case(models.Model):
    reference = models.CharField(_("reference number"), max_length=32, unique=True)
    item_version = models.ForeignKey(
        "standards.ItemVersion", verbose_name=_("item version"), on_delete=models.PROTECT, related_name="cases"
    )
    # The applicant's (principal's) account. Empty when an agent applied for someone who has no
    # account here; they are identified by applicant_id_number or applicant_credit_code instead.
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("applicant"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
    )
    firm = models.ForeignKey(
        "accounts.Firm", verbose_name=_("firm"), on_delete=models.PROTECT, null=True, blank=True, related_name="cases"
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("agent"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases_as_agent",
    )
    # Stored in full for the departments; every output masks it unless a permission allows
    # the full number, and each such reading is written to the case's event chain.
    applicant_id_number = models.CharField(_("applicant ID number"), max_length=18, blank=True)
    applicant_name = models.CharField(_("applicant name"), max_length=200, blank=True)
    # The applying firm's unified social credit code (also when the firm has no account here).
    applicant_credit_code = models.CharField(_("applicant credit code"), max_length=18, blank=True)

    accepting_district = models.ForeignKey(
        "standards.District",
        verbose_name=_("accepting district"),
        on_delete=models.PROTECT,
        related_name="cases_accepted",
    )
    accepting_window = models.ForeignKey(
        "standards.ServiceWindow",
        verbose_name=_("accepting window"),
        on_delete=models.PROTECT,
        related_name="cases_accepted",
    )
    accepting_clerk = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("accepting clerk"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    approving_district = models.ForeignKey(
        "standards.District",
        verbose_name=_("approving district"),
        on_delete=models.PROTECT,
        related_name="cases_approved",
    )
    approving_window = models.ForeignKey(
        "standards.ServiceWindow",
        verbose_name=_("approving window"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases_approved",
    )
    approving_clerk = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approving clerk"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases_to_approve",
    )

    state = models.CharField(_("state"), max_length=24, choices=CaseState.choices, default=CaseState.DRAFT)
    state_changed_at = models.DateTimeField(_("state changed at"), auto_now_add=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    routed_at = models.DateTimeField(_("arrived at approving district"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    # Deadlines (working or calendar days per the pinned version), moved on by stopped clocks.
    promised_due = models.DateField(_("promised deadline"), null=True, blank=True)
    statutory_due = models.DateField(_("statutory deadline"), null=True, blank=True)
    clock_stopped_since = models.DateField(_("clock stopped since"), null=True, blank=True)
    stopped_days = models.PositiveIntegerField(_("days the clock stood still"), default=0)
    due_soon_notified = models.BooleanField(default=False)
    overdue_notified = models.BooleanField(default=False)

    delivery_method = models.CharField(_("delivery method"), max_length=10, choices=DeliveryMethod.choices, blank=True)
    delivery_detail = models.CharField(_("delivery detail"), max_length=300, blank=True)
    outcome_reason = models.TextField(_("reason"), blank=True)
    onsite_visits_made = models.PositiveSmallIntegerField(_("on-site visits made"), default=0)

    # Routing: one transfer per acceptance; a redelivered message carrying an older
    # transfer number, or arriving after the move, does nothing.
    transfer_number = models.PositiveIntegerField(default=0)
    routed_transfer_number = models.PositiveIntegerField(default=0)
    routing_attempts = models.PositiveSmallIntegerField(_("routing attempts"), default=0)
    routing_poisoned = models.BooleanField(_("routing stopped (poison)"), default=False)
    routing_error = models.CharField(_("routing error"), max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        permissions = [("view_full_id_number", _("Can read applicants' full ID numbers (audited)"))]
        indexes = [
            models.Index(fields=["state", "approving_district"]),
            models.Index(fields=["state", "accepting_district"]),
            models.Index(fields=["state", "promised_due"]),
            # The routing task counts each approving clerk's load.
            models.Index(fields=["approving_district", "state", "approving_clerk"]),
            # A principal's account finds the cases an agent filed in their name (selectors.cases_visible_to).
            models.Index(fields=["applicant_id_number"], name="case_principal_id_number"),
            models.Index(fields=["applicant_credit_code"], name="case_principal_credit_code"),
        ]

    # The head of the event chain, read with the locked row by cases.chain.with_chain_head (and kept
    # current by event_append); not set on other instances, so event_append reads the chain then.
    chain_head_seq: int | None
    chain_head_hash: str | None

    def __str__(self) -> str:
        return self.reference

    @property
    def masked_id_number(self) -> str:
        return mask_id_number(self.applicant_id_number)

    @property
    def principal_kind(self) -> str:
        """Who applies: a natural person ("person") or a legal person ("firm")."""
        return "firm" if self.firm_id or self.applicant_credit_code else "person"

    @property
    def principal_credit_code(self) -> str:
        if self.applicant_credit_code:
            return self.applicant_credit_code
        return self.firm.credit_code if self.firm is not None else ""

    @property
    def masked_agent_id_number(self) -> str:
        return mask_id_number(self.agent.id_number) if self.agent is not None else ""

    @property
    def clock_stopped(self) -> bool:
        from cases.life_cycle import CLOCK_STOPPED_STATES

        return self.state in CLOCK_STOPPED_STATES


def material_upload_path(instance: CaseMaterial, filename: str) -> str:
    return f"cases/{instance.case.reference}/{instance.item_material_id}-{instance.sha256[:12]}.{instance.extension}"


class CaseMaterial(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="materials")
    item_material = models.ForeignKey("standards.ItemMaterial", on_delete=models.PROTECT, related_name="+")
    file = models.FileField(_("file"), upload_to=material_upload_path, blank=True)
    original_name = models.CharField(_("file name"), max_length=200, blank=True)
    content_type = models.CharField(_("content type (by bytes)"), max_length=100, blank=True)
    extension = models.CharField(max_length=10, blank=True)
    size = models.PositiveIntegerField(_("size (bytes)"), default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    spared_by_elicence = models.BooleanField(_("spared by an electronic licence"), default=False)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)
    # A newer upload for the same material replaces this one; the old row stays for the record.
    current = models.BooleanField(default=True)

    class Meta:
        ordering = ["item_material__position", "id"]
        verbose_name = _("case material")
        verbose_name_plural = _("case materials")

    def __str__(self) -> str:
        return f"{self.case} · {self.item_material}"


class MaterialCheck(models.Model):
    """形式审查: the accepting clerk's verdict on one uploaded file, named by its SHA-256.

    Append-only: a later check of the same file supersedes an earlier one, and a new upload (a new
    CaseMaterial row) needs a check of its own. Each check is also an event of the case's chain
    (`event_seq`), so the accepting district's record travels with the case to the approving district.
    """

    class Verdict(models.TextChoices):
        CONFORMING = "conforming", _("Conforming")
        NOT_CONFORMING = "not_conforming", _("Not conforming")

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="material_checks")
    material = models.ForeignKey(CaseMaterial, on_delete=models.PROTECT, related_name="checks")
    sha256 = models.CharField(max_length=64)
    verdict = models.CharField(_("verdict"), max_length=16, choices=Verdict.choices)
    reason = models.TextField(_("reason"), blank=True)
    clerk = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("clerk"), on_delete=models.PROTECT, related_name="+"
    )
    district = models.ForeignKey("standards.District", on_delete=models.PROTECT, related_name="+")
    checked_at = models.DateTimeField(_("checked at"))
    event_seq = models.PositiveIntegerField(_("chain event"))

    class Meta:
        ordering = ["checked_at", "id"]
        verbose_name = _("material check")
        verbose_name_plural = _("material checks")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(verdict="conforming") | ~models.Q(reason=""),
                name="failed_material_check_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} · {self.material_id} · {self.verdict}"

    @property
    def conforming(self) -> bool:
        return self.verdict == self.Verdict.CONFORMING


class IdentityCheck(models.Model):
    """身份核验: how the accepting clerk verified the applicant's identity (the newest one counts)."""

    class Method(models.TextChoices):
        ID_CARD_IN_PERSON = "id_card_in_person", _("In person, with the ID card")
        VIDEO = "video", _("By video")
        ELECTRONIC_ID = "electronic_id", _("Electronic ID")

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="identity_checks")
    method = models.CharField(_("method"), max_length=20, choices=Method.choices)
    note = models.CharField(_("note"), max_length=300, blank=True)
    clerk = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("clerk"), on_delete=models.PROTECT, related_name="+"
    )
    district = models.ForeignKey("standards.District", on_delete=models.PROTECT, related_name="+")
    checked_at = models.DateTimeField(_("checked at"))
    event_seq = models.PositiveIntegerField(_("chain event"))

    class Meta:
        ordering = ["checked_at", "id"]
        verbose_name = _("identity check")
        verbose_name_plural = _("identity checks")

    def __str__(self) -> str:
        return f"{self.case_id} · {self.method}"


class CaseEventQuerySet(models.QuerySet["CaseEvent"]):
    def update(self, **kwargs: Any) -> int:
        raise ValidationError("Case events are append-only.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise ValidationError("Case events are append-only.")


class CaseEvent(models.Model):
    """One entry of a case's tamper-evident history: each carries the hash of the one before."""

    GENESIS = "0" * 64

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="events")
    seq = models.PositiveIntegerField(_("sequence"))
    action = models.CharField(_("action"), max_length=40)
    from_state = models.CharField(_("from"), max_length=24, blank=True)
    to_state = models.CharField(_("to"), max_length=24, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("who"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    actor_role = models.CharField(_("role"), max_length=20)
    district_code = models.CharField(_("district"), max_length=6, blank=True)
    window_code = models.CharField(_("window"), max_length=20, blank=True)
    reason = models.TextField(_("why"), blank=True)
    data = models.JSONField(_("details"), default=dict, blank=True)
    request_id = models.CharField(_("request id"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("when"))
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    objects = CaseEventQuerySet.as_manager()

    class Meta:
        ordering = ["case", "seq"]
        verbose_name = _("case event")
        verbose_name_plural = _("case events")
        constraints = [models.UniqueConstraint(fields=["case", "seq"], name="one_event_per_case_seq")]

    def __str__(self) -> str:
        # By reference: the id is internal (and can come back on SQLite); people name a case by its reference.
        return f"{self.case.reference}#{self.seq} {self.action}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ValidationError("Case events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ValidationError("Case events are append-only.")

    def canonical(self) -> bytes:
        body = {
            "case": self.case.reference,
            "seq": self.seq,
            "action": self.action,
            "from": self.from_state,
            "to": self.to_state,
            "actor": self.actor_id,
            "role": self.actor_role,
            "district": self.district_code,
            "window": self.window_code,
            "reason": self.reason,
            "data": self.data,
            "request_id": self.request_id,
            "at": self.created_at.isoformat(timespec="microseconds"),
            "prev": self.prev_hash,
        }
        return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()

    def compute_hash(self) -> str:
        return hashlib.sha256(self.canonical()).hexdigest()


class Holiday(models.Model):
    """The working-day calendar: public holidays, and weekend days made working days (调休)."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("Public holiday")
        MAKEUP_WORKDAY = "makeup_workday", _("Make-up working day")

    date = models.DateField(_("date"), unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.HOLIDAY)
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        ordering = ["date"]
        verbose_name = _("holiday calendar day")
        verbose_name_plural = _("holiday calendar")

    def __str__(self) -> str:
        return f"{self.date} {self.name}"


class Rating(models.Model):
    """好差评: once per closed case."""

    class Score(models.IntegerChoices):
        VERY_SATISFIED = 5, _("Very satisfied")
        SATISFIED = 4, _("Satisfied")
        FAIRLY_SATISFIED = 3, _("Fairly satisfied")
        DISSATISFIED = 2, _("Dissatisfied")
        VERY_DISSATISFIED = 1, _("Very dissatisfied")

    score_validators = [MinValueValidator(1), MaxValueValidator(5)]

    case = models.OneToOneField(Case, on_delete=models.PROTECT, related_name="rating")
    rater = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    score = models.PositiveSmallIntegerField(_("overall"), choices=Score.choices, validators=score_validators)
    attitude = models.PositiveSmallIntegerField(_("service attitude"), validators=score_validators)
    speed = models.PositiveSmallIntegerField(_("speed"), validators=score_validators)
    convenience = models.PositiveSmallIntegerField(_("convenience"), validators=score_validators)
    comment = models.TextField(_("comment"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("rating")
        verbose_name_plural = _("ratings")
        constraints = [
            models.CheckConstraint(condition=models.Q(score__gte=1, score__lte=5), name="rating_score_1_to_5"),
        ]

    def __str__(self) -> str:
        return f"{self.case} {self.score}"


class FollowUp(models.Model):
    """A bad rating (≤ 2) must be followed up by the district's supervisor."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        DONE = "done", _("Done")

    rating = models.OneToOneField(Rating, on_delete=models.PROTECT, related_name="follow_up")
    district = models.ForeignKey("standards.District", on_delete=models.PROTECT, related_name="follow_ups")
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.OPEN)
    note = models.TextField(_("note"), blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")

    def __str__(self) -> str:
        return f"{self.rating.case} ({self.get_status_display()})"


class ClerkSkill(models.Model):
    """A clerk's field of work: routing prefers skilled clerks for an item's sector when the district has any."""

    clerk = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="case_skills")
    sector = models.CharField(_("sector"), max_length=30, choices=Sector.choices)

    class Meta:
        verbose_name = _("clerk skill")
        verbose_name_plural = _("clerk skills")
        constraints = [models.UniqueConstraint(fields=["clerk", "sector"], name="one_skill_per_clerk_sector")]

    def __str__(self) -> str:
        return f"{self.clerk} · {self.get_sector_display()}"
