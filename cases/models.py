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


class ApprovingBasis(models.TextChoices):
    """Why the case's approving district is competent: the item standard's rule as applied
    (cases.competence_rules), or the accepting clerk's change with a reason (in the event chain)."""

    HOUSEHOLD = "household", _("the applicant's household registration (户籍地) is there")
    SOCIAL_INSURANCE = "social_insurance", _("the applicant's social-insurance place (参保地) is there")
    REGISTERED = "registered", _("the firm's registered address (住所地/注册地) is there")
    APPLICANT_CHOICE = "applicant_choice", _("the applicant chose it among the districts that approve the item")
    ONLY_DISTRICT = "only_district", _("it is the only district that approves the item")
    CLERK = "clerk", _("the accepting clerk changed it, with a reason")


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
    # Why approving_district is the competent one (blank on cases started before the rule was recorded).
    approving_basis = models.CharField(
        _("why this approving district"), max_length=20, choices=ApprovingBasis.choices, blank=True
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

    # 窗口收件: the clerk who registered a walk-in applicant and filed the case at their window (the case's
    # accepting window); None for applications made online. The applicant's phone, given at the counter.
    counter_clerk = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("filed at the counter by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    applicant_phone = models.CharField(_("applicant phone"), max_length=20, blank=True)

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
    # A working-day count ran through a year the holiday calendar does not hold yet (every weekday of it
    # counted as a working day): the deadlines are provisional until that year's calendar is imported.
    deadline_provisional = models.BooleanField(_("deadlines provisional"), default=False)
    due_soon_notified = models.BooleanField(default=False)
    overdue_notified = models.BooleanField(default=False)
    statutory_overdue_notified = models.BooleanField(default=False)

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
            # The figures over a period (the dashboard: submitted, delivered; the home page: applications started)
            # read that period's cases, not the years of finished cases before it.
            models.Index(fields=["submitted_at"], name="case_submitted_at"),
            models.Index(fields=["delivered_at"], name="case_delivered_at"),
            models.Index(fields=["created_at"], name="case_created_at"),
        ]

    # The head of the event chain, read right after the row is locked by cases.chain.chain_head_attach (and kept
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


class CaseMaterialQuerySet(models.QuerySet["CaseMaterial"]):
    def current_files(self) -> CaseMaterialQuerySet:
        """The current upload of each material, those with a file (one spared by an electronic licence has none)."""
        return self.filter(current=True).exclude(file="")


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

    objects = CaseMaterialQuerySet.as_manager()

    class Meta:
        ordering = ["item_material__position", "id"]
        verbose_name = _("case material")
        verbose_name_plural = _("case materials")

    def __str__(self) -> str:
        return f"{self.case} · {self.item_material}"


class CaseFormValue(models.Model):
    """One field of the case's application form (standards.forms) as filled: what, by whom and when.

    A change adds a row and the previous one stops being current (kept for the record, like materials);
    the change is also an event of the case's chain (`form_filled`, the value's SHA-256, never the value).
    `on_behalf_of`: the applicant whose consent let a clerk fill it in a video assistance call.
    """

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="form_values")
    key = models.CharField(_("field"), max_length=40)
    value = models.TextField(_("value"), blank=True)
    filled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("filled in by"), on_delete=models.PROTECT, related_name="+"
    )
    filled_at = models.DateTimeField(_("filled in at"))
    on_behalf_of = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    current = models.BooleanField(default=True)

    class Meta:
        ordering = ["case", "key", "filled_at", "id"]
        verbose_name = _("application form value")
        verbose_name_plural = _("application form values")
        constraints = [
            models.UniqueConstraint(
                fields=["case", "key"], condition=models.Q(current=True), name="one_current_form_value"
            )
        ]

    def __str__(self) -> str:
        return f"{self.case_id} · {self.key}"


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


class CalendarGap(models.Model):
    """A year a deadline reached before the holiday calendar held it: supervisors are alerted once per year,
    and the gap is closed when that year's calendar is imported."""

    year = models.PositiveSmallIntegerField(pgettext_lazy("calendar", "year"), unique=True)
    first_seen_at = models.DateTimeField(_("first reached at"), auto_now_add=True)
    first_case_reference = models.CharField(_("first case"), max_length=32, blank=True)
    closed_at = models.DateTimeField(_("calendar imported at"), null=True, blank=True)

    class Meta:
        ordering = ["year"]
        verbose_name = _("missing calendar year")
        verbose_name_plural = _("missing calendar years")

    def __str__(self) -> str:
        return str(self.year)


class Rating(models.Model):
    """好差评: once per case, when the life cycle's `rate` step allows it (cases.life_cycle)."""

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


class FollowUpPolicy(models.Model):
    """A district's policy for following up bad ratings: how many working days a follow-up may take.

    A district without a row uses `FOLLOW_UP_DEFAULT_WORKING_DAYS` (cases.services.follow_ups)."""

    district = models.OneToOneField(
        "standards.District", verbose_name=_("district"), on_delete=models.PROTECT, related_name="follow_up_policy"
    )
    working_days = models.PositiveSmallIntegerField(
        _("working days to follow up"), default=5, validators=[MinValueValidator(1), MaxValueValidator(60)]
    )

    class Meta:
        verbose_name = _("follow-up policy")
        verbose_name_plural = _("follow-up policies")

    def __str__(self) -> str:
        return f"{self.district}: {self.working_days}"


class FollowUp(models.Model):
    """A bad rating (≤ 2) must be followed up (好差评 整改) by the district's supervisor: return visits
    (回访), the rectification taken (整改) and a closing whose result the applicant is told. Overdue
    ones are escalated to the alliance supervisor, once."""

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("follow-up", "Open")
        DONE = "done", pgettext_lazy("follow-up", "Closed")

    rating = models.OneToOneField(Rating, on_delete=models.PROTECT, related_name="follow_up")
    district = models.ForeignKey("standards.District", on_delete=models.PROTECT, related_name="follow_ups")
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.OPEN)
    # The closing's result, as the applicant is told it.
    note = models.TextField(_("result told to the applicant"), blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # The last day to close it (the district's policy in working days; null on follow-ups opened before).
    due_on = models.DateField(_("follow up by"), null=True, blank=True)
    # 整改: what was done about the complaint, and by whom.
    rectification = models.TextField(_("rectification taken"), blank=True)
    rectified_by = models.CharField(_("rectified by"), max_length=100, blank=True)
    rectified_at = models.DateTimeField(null=True, blank=True)
    # Set once by the escalation scan (cases.services.follow_ups.follow_ups_escalate).
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        indexes = [models.Index(fields=["status", "due_on"])]

    def __str__(self) -> str:
        return f"{self.rating.case} ({self.get_status_display()})"


class ReturnVisit(models.Model):
    """回访: one contact with the applicant about their bad rating."""

    class Method(models.TextChoices):
        PHONE = "phone", _("Phone call")
        VISIT = "visit", _("Visit in person")
        ONLINE = "online", _("Online")
        SMS = "sms", _("SMS")

    follow_up = models.ForeignKey(FollowUp, on_delete=models.PROTECT, related_name="visits")
    visited_at = models.DateTimeField(_("when"))
    method = models.CharField(_("how"), max_length=8, choices=Method.choices)
    visitor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("who"), on_delete=models.PROTECT, related_name="+"
    )
    citizen_said = models.TextField(_("what the applicant said"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["visited_at", "pk"]
        verbose_name = _("return visit")
        verbose_name_plural = _("return visits")

    def __str__(self) -> str:
        return f"{self.follow_up_id} {self.get_method_display()} {self.visited_at:%Y-%m-%d}"


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


class PaperKind(models.TextChoices):
    """The documents a case produces (文书), each issued by a declared step (cases.life_cycle.Step.paper)."""

    RECEIPT = "receipt", _("Acceptance notice (受理通知书)")
    CORRECTION_NOTICE = "correction_notice", _("One-time notice of corrections (一次性告知书)")
    NOT_ACCEPTED = "not_accepted", _("Decision not to accept (不予受理决定书)")
    DECISION = "decision", _("Decision notice (准予 / 不予)")
    DELIVERY_RECORD = "delivery_record", _("Delivery record (送达回证)")


def paper_upload_path(instance: CasePaper, filename: str) -> str:
    return f"papers/{instance.case.reference}/{instance.number}.pdf"


class CasePaper(models.Model):
    """A PDF a step of the case issued: its number, date and SHA-256 are on the case's event chain, and its
    QR code opens a public check page (by an unguessable token) that shows those and nothing about the person."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="papers")
    kind = models.CharField(pgettext_lazy("paper", "document"), max_length=20, choices=PaperKind.choices)
    # The chain event of the step that issued it: one document per step taken (a retried task issues none).
    event_seq = models.PositiveIntegerField(_("issued by event"))
    number = models.CharField(_("document number"), max_length=48, unique=True)
    verify_token = models.CharField(max_length=43, unique=True, editable=False)
    file = models.FileField(_("file"), upload_to=paper_upload_path)
    size = models.PositiveIntegerField(_("size (bytes)"), default=0)
    sha256 = models.CharField(max_length=64)
    issued_at = models.DateTimeField(_("issued at"))
    district_code = models.CharField(_("issuing district"), max_length=6)
    window_code = models.CharField(_("issuing window"), max_length=20, blank=True)

    class Meta:
        ordering = ["case", "issued_at", "id"]
        verbose_name = _("case document issued")
        verbose_name_plural = _("case documents issued")
        constraints = [models.UniqueConstraint(fields=["case", "kind", "event_seq"], name="one_paper_per_step_taken")]

    def __str__(self) -> str:
        return self.number


class CaseView(models.Model):
    """One look at a case by staff (谁查看了我的办件): the case page or its API answer, a material, the full ID number.

    Written after the response has been sent (cases.services.case_views: a bulk insert when the response
    closes), so recording never delays the page. Append-only like the event chain; the applicant side reads
    it on the case page and at `GET /api/cases/<reference>/views/` (PIPL: a person may ask who processed
    their data).
    """

    class What(models.TextChoices):
        CASE = "case", pgettext_lazy("case view", "Case page")
        MATERIAL = "material", pgettext_lazy("case view", "Material")
        ID_NUMBER = "id_number", pgettext_lazy("case view", "Full ID number")

    class Via(models.TextChoices):
        PAGE = "page", pgettext_lazy("case view", "Web page")
        API = "api", pgettext_lazy("case view", "API")

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="views")
    viewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("who"), on_delete=models.PROTECT, related_name="+"
    )
    viewer_role = models.CharField(_("role"), max_length=20)
    # The viewer's district when they looked (a clerk's); empty for alliance-wide roles.
    district = models.ForeignKey(
        "standards.District",
        verbose_name=_("district"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    what = models.CharField(pgettext_lazy("case view", "what"), max_length=12, choices=What.choices)
    material = models.ForeignKey(
        CaseMaterial,
        verbose_name=_("case material"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    via = models.CharField(pgettext_lazy("case view", "via"), max_length=4, choices=Via.choices)
    viewed_at = models.DateTimeField(_("when"))
    request_id = models.CharField(_("request id"), max_length=64, blank=True)

    class Meta:
        ordering = ["-viewed_at", "-id"]
        verbose_name = pgettext_lazy("case view", "case view")
        verbose_name_plural = pgettext_lazy("case view", "case views")
        indexes = [models.Index(fields=["case", "-viewed_at"], name="case_view_by_case")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(what="material", material__isnull=False)
                | (~models.Q(what="material") & models.Q(material__isnull=True)),
                name="case_view_material_iff_what_material",
            )
        ]

    def __str__(self) -> str:
        return f"{self.case_id} · {self.viewer_id} · {self.what} · {self.viewed_at:%Y-%m-%d %H:%M}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ValidationError("Case views are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ValidationError("Case views are append-only.")


class MaterialRemoval(models.Model):
    """A file a person took out of "my materials" (我的材料), by its SHA-256: the uploads of that file made up to
    `removed_at` are no longer offered for reuse. The case materials themselves stay: a submitted case's files
    are part of its hash-chained record, and a draft's are replaced or left on the draft's own page."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    sha256 = models.CharField(max_length=64)
    removed_at = models.DateTimeField(_("removed at"))

    class Meta:
        verbose_name = _("material removed from my materials")
        verbose_name_plural = _("materials removed from my materials")
        constraints = [models.UniqueConstraint(fields=["user", "sha256"], name="one_material_removal_per_file")]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.sha256[:12]}"
