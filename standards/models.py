from __future__ import annotations

import datetime as dt
from typing import Any, Protocol

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from standards.forms import validate_application_form
from standards.vocabulary import CompetentDistrictRule, Sector

# A value not known for certain is stored and shown as this, never guessed (docs/catalogue.md).
UNVERIFIED = "待核实"
# The fields of a version that can be 待核实 (listed in `ItemVersion.unverified_fields`); the text ones
# also hold UNVERIFIED itself, the numbers keep a placeholder (the statutory limit of the law or
# the longest plausible one) that pages and the API show as 待核实.
VERIFIABLE_FIELDS = (
    "legal_basis_law",
    "legal_basis_article",
    "legal_basis_text",
    "statutory_limit",
    "promised_limit",
    "result_name",
    "fees",
    "acceptance_conditions",
    "result_sample",
)

division_code_validator = RegexValidator(r"^\d{6}$", _("A division code has six digits."))


def promise_exceeds_statute(statutory: int | None, promised: int | None) -> bool:
    """The one rule on time limits: the limit promised to applicants never exceeds the statutory one.

    The model, the services, the API serializer and the import each refuse with their own message.
    """
    return statutory is not None and promised is not None and promised > statutory


class _BilingualNamed(Protocol):
    name: str
    name_en: str


class BilingualNameMixin:
    """`display_name` picks the English name when the page is in English."""

    @property
    def display_name(self: _BilingualNamed) -> str:
        if (get_language() or "").startswith("en") and self.name_en:
            return self.name_en
        return self.name


class Province(BilingualNameMixin, models.Model):
    code = models.CharField(_("division code"), max_length=6, unique=True, validators=[division_code_validator])
    name = models.CharField(_("name"), max_length=50)
    name_en = models.CharField(_("English name"), max_length=50, blank=True)
    short_name = models.CharField(_("short name"), max_length=4, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("province")
        verbose_name_plural = _("provinces")

    def __str__(self) -> str:
        return self.name


class District(BilingualNameMixin, models.Model):
    """A C9 member district, keyed by its GB/T 2260 division code."""

    division_code = models.CharField(
        _("division code"), max_length=6, unique=True, validators=[division_code_validator]
    )
    name = models.CharField(_("name"), max_length=50)
    name_en = models.CharField(_("English name"), max_length=50, blank=True)
    city = models.CharField(_("city"), max_length=50)
    city_en = models.CharField(_("English city name"), max_length=50, blank=True)
    province = models.ForeignKey(Province, on_delete=models.PROTECT, related_name="districts")

    class Meta:
        ordering = ["division_code"]
        verbose_name = _("district")
        verbose_name_plural = _("districts")

    def __str__(self) -> str:
        return f"{self.city}{self.name}"

    @property
    def display_city(self) -> str:
        if (get_language() or "").startswith("en") and self.city_en:
            return self.city_en
        return self.city

    def names(self) -> tuple[str, str]:
        """The full name in Chinese ("上海市黄浦区") and in English ("Huangpu, Shanghai"; the Chinese one when no
        English name is known): for messages pushed to readers of either language."""
        english = f"{self.name_en}, {self.city_en}" if self.name_en and self.city_en else self.name_en
        return str(self), english or str(self)

    @property
    def display_full(self) -> str:
        """The full name in the page's language."""
        chinese, english = self.names()
        return english if (get_language() or "").startswith("en") else chinese


class ServiceWindow(BilingualNameMixin, models.Model):
    class Kind(models.TextChoices):
        YRD_ZONE = "yrd_zone", _("Yangtze River Delta zone")
        GENERAL = "general", _("General acceptance")
        ENTERPRISE = "enterprise", _("Enterprise service")

    code = models.CharField(_("code"), max_length=20, unique=True)
    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="windows")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.GENERAL)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    address = models.CharField(_("address"), max_length=200)
    # ISO weekdays the window opens, e.g. "12345" for Monday to Friday.
    open_weekdays = models.CharField(
        _("open weekdays"),
        max_length=7,
        default="12345",
        validators=[RegexValidator(r"^[1-7]{1,7}$", _("Use ISO weekday digits 1-7, e.g. 12345."))],
    )
    opens_at = models.TimeField(_("opens at"), default=dt.time(9, 0))
    closes_at = models.TimeField(_("closes at"), default=dt.time(17, 0))
    # Where to ask and where to complain about this window's service; 待核实 until a district confirms them.
    enquiry_phone = models.CharField(_("enquiry phone"), max_length=40, default=UNVERIFIED)
    complaint_phone = models.CharField(_("complaint phone"), max_length=40, default=UNVERIFIED)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["district__division_code", "code"]
        verbose_name = _("service window")
        verbose_name_plural = _("service windows")

    def __str__(self) -> str:
        return f"{self.district} · {self.name}"

    @property
    def open_days(self) -> str:
        """The open weekdays, translated ("Mon, Tue …" / "周一、周二 …")."""
        from django.utils.dates import WEEKDAYS_ABBR

        return "、".join(str(WEEKDAYS_ABBR[int(day) - 1]) for day in self.open_weekdays if day in "1234567")

    def is_open_at(self, moment: dt.datetime) -> bool:
        """Whether the window is open at an aware local time (holidays are the calendar's business)."""
        return (
            self.active
            and str(moment.isoweekday()) in self.open_weekdays
            and self.opens_at <= moment.timetz().replace(tzinfo=None) < self.closes_at
        )


# --- The catalogue -------------------------------------------------------------------------


class Department(BilingualNameMixin, models.Model):
    """An implementing body of a district (e.g. 黄浦区市场监督管理局)."""

    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="departments")
    sector = models.CharField(_("sector"), max_length=30, choices=Sector.choices)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=150, blank=True)
    credit_code = models.CharField(_("unified social credit code"), max_length=18, unique=True)

    class Meta:
        ordering = ["district__division_code", "sector"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        constraints = [models.UniqueConstraint(fields=["district", "sector"], name="one_department_per_sector")]

    def __str__(self) -> str:
        return self.name


class MaterialType(BilingualNameMixin, models.Model):
    """A kind of document with a stable identifier, shared across items so districts recognise each other's checks."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("English name"), max_length=200, blank=True)
    # The electronic licence that can stand in for this material (电子证照), if any.
    elicence_name = models.CharField(_("electronic licence"), max_length=100, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("material type")
        verbose_name_plural = _("material types")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class ServiceItem(models.Model):
    """The stable identity of an alliance-standard item; its content lives in versions."""

    code = models.CharField(_("basic code"), max_length=40, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("service item")
        verbose_name_plural = _("service items")

    def __str__(self) -> str:
        return self.code


class ItemVersion(BilingualNameMixin, models.Model):
    """One version of an item's standard. Drafts are edited; published versions never change.

    Publishing gives a version its effective date and ends the previous one the day
    before, so at most one version is in force on any day. A draft may carry its planned
    effective date. A correction published on the day the version in force took effect
    (with its reason) replaces that version from the same day: the replaced one is marked
    corrected. Cases pin the version they were accepted under.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        SUPERSEDED = "superseded", _("Superseded")
        # Replaced on the day it took effect by a correction (never in force again; pinned cases keep it).
        CORRECTED = "corrected", _("Corrected the same day")

    class ItemType(models.TextChoices):
        LICENSING = "licensing", _("Administrative licensing")
        CONFIRMATION = "confirmation", _("Administrative confirmation")
        BENEFIT = "benefit", _("Administrative benefit")
        OTHER_POWER = "other_power", _("Other administrative power")
        PUBLIC_SERVICE = "public_service", _("Public service")

    class LimitUnit(models.TextChoices):
        WORKING_DAYS = "working_days", _("working days")
        CALENDAR_DAYS = "calendar_days", _("calendar days")

    class HandlingKind(models.TextChoices):
        IMMEDIATE = "immediate", _("Done on the spot")
        PROMISED = "promised", _("Promised within a limit")

    class CrossProvinceMode(models.TextChoices):
        FULLY_ONLINE = "fully_online", _("Fully online")
        ACCEPT_ON_BEHALF = "accept_on_behalf", _("Accepted elsewhere on behalf")
        JOINT = "joint", _("Joint handling by several places")

    item = models.ForeignKey(ServiceItem, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.DRAFT)
    effective_from = models.DateField(_("effective from"), null=True, blank=True)
    effective_to = models.DateField(_("effective to"), null=True, blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    published_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    # Why this version corrects the one that took effect the same day (required for such a correction).
    correction_reason = models.TextField(_("reason for a same-day correction"), blank=True)

    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("English name"), max_length=300, blank=True)
    item_type = models.CharField(_("item type"), max_length=20, choices=ItemType.choices)
    sector = models.CharField(_("sector"), max_length=30, choices=Sector.choices)
    for_natural_person = models.BooleanField(_("for natural persons"), default=True)
    for_legal_person = models.BooleanField(_("for legal persons"), default=False)
    topic = models.CharField(_("topic"), max_length=100, blank=True)
    legal_basis_law = models.CharField(_("legal basis: law"), max_length=200, blank=True)
    legal_basis_article = models.CharField(_("legal basis: article"), max_length=100, blank=True)
    legal_basis_text = models.TextField(_("legal basis: text"), blank=True)
    acceptance_conditions = models.TextField(_("acceptance conditions"), blank=True)
    handling_kind = models.CharField(
        _("handling kind"), max_length=12, choices=HandlingKind.choices, default=HandlingKind.PROMISED
    )
    limit_unit = models.CharField(
        _("time limit unit"), max_length=15, choices=LimitUnit.choices, default=LimitUnit.WORKING_DAYS
    )
    statutory_limit = models.PositiveIntegerField(_("statutory time limit"))
    promised_limit = models.PositiveIntegerField(_("promised time limit"))
    # Subsets of vocabulary.HandlingForm values.
    handling_forms = models.JSONField(_("handling forms"), default=list, blank=True)
    online_depth = models.PositiveSmallIntegerField(_("online depth (1-4)"), default=1)
    onsite_visits = models.PositiveSmallIntegerField(_("required on-site visits"), default=1)
    appointment_available = models.BooleanField(_("appointment available"), default=True)
    courier_delivery = models.BooleanField(_("courier delivery"), default=False)
    online_payment = models.BooleanField(_("online payment"), default=False)
    cross_province_mode = models.CharField(
        _("cross-province mode"), max_length=20, choices=CrossProvinceMode.choices, blank=True
    )
    # Which approving district is competent for an applicant (cases.competence_rules); never "the first listed".
    competent_district_rule = models.CharField(
        _("competent approving district"),
        max_length=20,
        choices=CompetentDistrictRule.choices,
        default=CompetentDistrictRule.APPLICANT_CHOICE,
    )
    # [{"name", "standard", "basis", "reduction"}]; empty means free of charge.
    fees = models.JSONField(_("fees"), default=list, blank=True)
    result_name = models.CharField(_("result"), max_length=200, blank=True)
    # What the result looks like (a sample's description), 待核实 where unknown.
    result_sample = models.CharField(_("result sample"), max_length=300, blank=True)
    # The handling process (办理流程) as the applicant meets it, step by step.
    process_steps = models.JSONField(_("handling process (steps)"), default=list, blank=True)
    result_is_licence = models.BooleanField(_("result is a licence or certificate"), default=False)
    result_elicence = models.BooleanField(_("result issued as electronic licence"), default=False)
    assistance_guide = models.TextField(_("assistance guide for clerks"), blank=True)
    faq = models.JSONField(_("FAQ"), default=list, blank=True)  # [{"q", "a"}]
    # Subsets of vocabulary.LifeEvent and vocabulary.GrowthStage values.
    life_events = models.JSONField(_("life event tags"), default=list, blank=True)
    growth_stages = models.JSONField(_("firm growth stage tags"), default=list, blank=True)
    # The application form (申请表) as fields to fill in (standards.forms); empty when the item has none
    # declared (its 申请表 may still be a material to upload). Where the declaration comes from.
    application_form = models.JSONField(
        _("application form fields"), default=list, blank=True, validators=[validate_application_form]
    )
    application_form_source = models.CharField(_("application form source"), max_length=300, blank=True)
    # Names of VERIFIABLE_FIELDS whose value is not known for certain: shown as 待核实 (UNVERIFIED).
    unverified_fields = models.JSONField(_("values to be verified (待核实)"), default=list, blank=True)
    # Pinyin initials of the name ("营业执照" -> "yyzz"), kept for search; filled on save.
    name_initials = models.CharField(_("pinyin initials"), max_length=200, blank=True, editable=False)

    class Meta:
        ordering = ["item__code", "-number"]
        verbose_name = _("item version")
        verbose_name_plural = _("item versions")
        constraints = [
            models.UniqueConstraint(fields=["item", "number"], name="unique_item_version_number"),
            models.UniqueConstraint(fields=["item"], condition=models.Q(status="draft"), name="one_draft_per_item"),
            models.CheckConstraint(
                condition=models.Q(promised_limit__lte=models.F("statutory_limit")),
                name="promised_within_statutory",
            ),
            models.CheckConstraint(
                condition=models.Q(effective_to__isnull=True)
                | models.Q(effective_from__isnull=True)
                | models.Q(effective_to__gte=models.F("effective_from")),
                name="version_ends_after_it_starts",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item.code} v{self.number} {self.name}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # A published version is the law cases were accepted under: it never changes.
        # Only a draft may be saved (publishing is the draft's last save); ending a
        # superseded version's validity goes through a queryset update in the service.
        if self.pk is not None and not kwargs.get("force_insert"):
            stored = ItemVersion.objects.filter(pk=self.pk).values_list("status", flat=True).first()
            if stored is not None and stored != self.Status.DRAFT:
                raise ValidationError(_("A published version cannot be changed: create a new draft instead."))
        self._limits_check()
        from standards.text import pinyin_initials

        self.name_initials = pinyin_initials(self.name)
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "name_initials"}
        super().save(*args, **kwargs)

    def clean(self) -> None:
        super().clean()
        self._limits_check()

    def _limits_check(self) -> None:
        """The promise to the applicant never exceeds the law's limit (forms, the API, imports and saves)."""
        if promise_exceeds_statute(self.statutory_limit, self.promised_limit):
            raise ValidationError({"promised_limit": _("The promised time limit cannot exceed the statutory one.")})

    def is_unverified(self, field: str) -> bool:
        return field in (self.unverified_fields or [])

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        if self.status != self.Status.DRAFT:
            raise ValidationError(_("A published version cannot be deleted."))
        return super().delete(*args, **kwargs)

    @property
    def is_draft(self) -> bool:
        return self.status == self.Status.DRAFT


class ItemMaterial(BilingualNameMixin, models.Model):
    """A material a version of an item asks for, with its acceptance standard."""

    class Requirement(models.TextChoices):
        REQUIRED = "required", _("Required")
        CONDITIONAL = "conditional", _("Conditional")

    class Medium(models.TextChoices):
        PAPER = "paper", _("Paper")
        ELECTRONIC = "electronic", _("Electronic")
        EITHER = "either", _("Paper or electronic")

    class Source(models.TextChoices):
        APPLICANT = "applicant", _("Prepared by the applicant")
        DEPARTMENT = "department", _("Issued by a department")
        ELICENCE = "elicence", _("Electronic licence")

    version = models.ForeignKey(ItemVersion, on_delete=models.CASCADE, related_name="materials")
    material_type = models.ForeignKey(MaterialType, on_delete=models.PROTECT, related_name="uses")
    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("English name"), max_length=300, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    requirement = models.CharField(
        _("requirement"), max_length=12, choices=Requirement.choices, default=Requirement.REQUIRED
    )
    condition = models.CharField(_("condition"), max_length=300, blank=True)
    medium = models.CharField(_("medium"), max_length=12, choices=Medium.choices, default=Medium.EITHER)
    originals = models.PositiveSmallIntegerField(_("originals"), default=1)
    copies = models.PositiveSmallIntegerField(_("copies"), default=0)
    # File extensions accepted for an electronic copy, e.g. ["pdf", "jpg", "png"].
    formats = models.JSONField(_("accepted formats"), default=list, blank=True)
    max_size_mb = models.PositiveSmallIntegerField(_("maximum size (MB)"), default=10)
    source = models.CharField(_("source"), max_length=12, choices=Source.choices, default=Source.APPLICANT)
    issuing_body = models.CharField(_("issuing body"), max_length=200, blank=True)
    elicence_exempt = models.BooleanField(_("spared by an electronic licence"), default=False)
    acceptance_standard = models.TextField(_("acceptance standard"), blank=True)

    class Meta:
        ordering = ["version", "position", "id"]
        verbose_name = _("item material")
        verbose_name_plural = _("item materials")
        constraints = [
            models.UniqueConstraint(fields=["version", "material_type"], name="material_type_once_per_version"),
            models.CheckConstraint(
                condition=~models.Q(requirement="conditional") | ~models.Q(condition=""),
                name="conditional_material_states_condition",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        self._guard_draft()
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        self._guard_draft()
        return super().delete(*args, **kwargs)

    def _guard_draft(self) -> None:
        status = ItemVersion.objects.filter(pk=self.version_id).values_list("status", flat=True).first()
        if status is not None and status != ItemVersion.Status.DRAFT:
            raise ValidationError(_("The materials of a published version cannot be changed."))


class ItemImplementation(models.Model):
    """A district's implementation of an item: who handles it there, and whether it accepts, approves or both."""

    item = models.ForeignKey(ServiceItem, on_delete=models.CASCADE, related_name="implementations")
    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="implementations")
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="implementations")
    window = models.ForeignKey(ServiceWindow, on_delete=models.PROTECT, related_name="implementations")
    implementation_code = models.CharField(_("implementation code"), max_length=80, unique=True)
    can_accept = models.BooleanField(_("may accept"), default=True)
    can_approve = models.BooleanField(_("may approve"), default=False)
    active = models.BooleanField(_("active"), default=True)
    # Where this implementation's data comes from (e.g. inferred from the item's nature, or a district's list).
    source_note = models.CharField(_("source of the data"), max_length=200, blank=True)

    class Meta:
        ordering = ["item__code", "district__division_code"]
        verbose_name = _("item implementation")
        verbose_name_plural = _("item implementations")
        constraints = [
            models.UniqueConstraint(fields=["item", "district"], name="one_implementation_per_district"),
            models.CheckConstraint(
                condition=models.Q(can_accept=True) | models.Q(can_approve=True),
                name="implementation_accepts_or_approves",
            ),
        ]

    def __str__(self) -> str:
        return self.implementation_code


class CatalogueChange(models.Model):
    """Append-only audit trail of every write to the catalogue: who, when, what changed."""

    class Action(models.TextChoices):
        ITEM_CREATE = "item_create", _("Item created")
        DRAFT_CREATE = "draft_create", _("Draft created")
        DRAFT_UPDATE = "draft_update", _("Draft edited")
        DRAFT_DELETE = "draft_delete", _("Draft discarded")
        PUBLISH = "publish", _("Version published")
        IMPLEMENTATION = "implementation", _("Implementation changed")
        IMPORT = "import", _("Catalogue imported")
        REFERENCE = "reference", _("Department or material type changed")
        SYNONYM = "synonym", _("Search synonym changed")

    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        "accounts.User", verbose_name=_("by"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    item = models.ForeignKey(
        ServiceItem, verbose_name=_("item"), on_delete=models.CASCADE, null=True, blank=True, related_name="changes"
    )
    version = models.ForeignKey(
        ItemVersion, verbose_name=_("version"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    summary = models.CharField(_("summary"), max_length=300, blank=True)
    # {"field": {"from": ..., "to": ...}} or a version diff (see selectors.version_diff).
    changes = models.JSONField(_("changes"), default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("catalogue change")
        verbose_name_plural = _("catalogue changes")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.get_action_display()} {self.summary}"


class CatalogueImport(models.Model):
    """An uploaded catalogue file: validated into a preview, then applied all-or-nothing by a worker."""

    class Status(models.TextChoices):
        INVALID = "invalid", _("Rejected: see the errors")
        READY = "ready", _("Checked: ready to apply")
        QUEUED = "queued", _("Queued")
        APPLYING = "applying", _("Applying")
        DONE = "done", _("Applied")
        FAILED = "failed", _("Failed: nothing was changed")

    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    created_by = models.ForeignKey(
        "accounts.User",
        verbose_name=_("uploaded by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    file_name = models.CharField(_("file name"), max_length=200)
    file_format = models.CharField(_("format"), max_length=10)  # xlsx | csv
    content = models.BinaryField(_("content"))
    materials_content = models.BinaryField(_("materials CSV content"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.READY)
    errors = models.JSONField(_("errors"), default=list, blank=True)
    preview = models.JSONField(_("preview"), default=dict, blank=True)
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    processed_rows = models.PositiveIntegerField(_("rows applied"), default=0)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("catalogue import")
        verbose_name_plural = _("catalogue imports")

    def __str__(self) -> str:
        return f"{self.file_name} ({self.get_status_display()})"


class SearchSynonym(models.Model):
    """A pair of words that mean the same to the search, in both directions (身份证 ↔ 居民身份证).

    Maintained by standards administrators in the admin (audited in CatalogueChange); every search
    checks a fingerprint of this table, so a change applies to the next search in every process.
    """

    word = models.CharField(_("word people use"), max_length=50)
    synonym = models.CharField(_("official or equivalent word"), max_length=50)
    note = models.CharField(_("note"), max_length=200, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["word", "synonym"]
        verbose_name = _("search synonym")
        verbose_name_plural = _("search synonyms")
        constraints = [models.UniqueConstraint(fields=["word", "synonym"], name="one_synonym_pair")]

    def __str__(self) -> str:
        return f"{self.word} ↔ {self.synonym}"

    def clean(self) -> None:
        from standards.text import normalise

        self.word, self.synonym = normalise(self.word), normalise(self.synonym)
        if not self.word or not self.synonym:
            raise ValidationError(_("Both words need letters, digits or Chinese characters."))
        if self.word == self.synonym:
            raise ValidationError(_("A word is not a synonym of itself."))


class SearchMiss(models.Model):
    """A search that found nothing: the query, how often and when last — no user, no session, no address."""

    query = models.CharField(_("query"), max_length=100, unique=True)
    count = models.PositiveIntegerField(_("times"), default=1)
    first_seen = models.DateTimeField(_("first seen"), auto_now_add=True)
    last_seen = models.DateTimeField(_("last seen"), db_index=True)

    class Meta:
        ordering = ["-count", "-last_seen"]
        verbose_name = _("search without results")
        verbose_name_plural = _("searches without results")

    def __str__(self) -> str:
        return f"{self.query} ×{self.count}"
