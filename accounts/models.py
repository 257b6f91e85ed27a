from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.identifiers import mask_id_number, normalize_id_number, validate_credit_code, validate_id_number
from standards.vocabulary import GrowthStage


class Firm(models.Model):
    """A legal person that applies for items; its representatives are users with role `firm`."""

    # The same vocabulary tags items for firms of a stage (standards.vocabulary).
    GrowthStage = GrowthStage

    class BusinessMode(models.TextChoices):
        SINGLE_SITE = "single_site", _("One site")
        BRANCHES = "branches", _("Branches in several provinces")
        HQ_ELSEWHERE = "hq_elsewhere", _("Headquarters in another province")
        SUPPLY_CHAIN = "supply_chain", _("Cross-province supply chain")

    class Industry(models.TextChoices):
        """The firm's main line of business as its representative declares it (drives recommendations)."""

        DIGITAL_TECH = "digital_tech", _("Software and digital technology")
        MANUFACTURING = "manufacturing", _("Manufacturing")
        CONSTRUCTION = "construction", _("Construction")
        RETAIL = "retail", _("Wholesale and retail")
        FOOD_SERVICE = "food_service", _("Food and catering")
        HOSPITALITY = "hospitality", _("Accommodation and personal services")
        CULTURE_ENTERTAINMENT = "culture_entertainment", _("Culture and entertainment")
        EDUCATION = "education", _("Education and training")
        LOGISTICS = "logistics", _("Transport and logistics")
        OTHER = "other", _("Other")

    name = models.CharField(_("name"), max_length=200)
    credit_code = models.CharField(
        _("unified social credit code"), max_length=18, unique=True, validators=[validate_credit_code]
    )
    registered_district = models.ForeignKey(
        "standards.District",
        verbose_name=_("registered district"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="registered_firms",
    )
    growth_stage = models.CharField(
        _("growth stage"), max_length=12, choices=GrowthStage.choices, default=GrowthStage.GROWTH
    )
    business_mode = models.CharField(
        _("business mode across provinces"),
        max_length=15,
        choices=BusinessMode.choices,
        default=BusinessMode.SINGLE_SITE,
    )
    industry = models.CharField(_("industry"), max_length=25, choices=Industry.choices, default=Industry.OTHER)
    # 经营范围 as on the business licence, in the firm's own words: words in it can make an industry's
    # licence relevant (a software firm that also sells pre-packaged food), cases/recommendation_rules.py.
    business_scope = models.TextField(_("business scope (经营范围)"), max_length=2000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("firm")
        verbose_name_plural = _("firms")

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    class Role(models.TextChoices):
        CITIZEN = "citizen", _("Citizen")
        FIRM = "firm", _("Firm representative")
        CLERK = "clerk", _("Window clerk")
        STANDARDS_ADMIN = "standards_admin", _("Standards administrator")
        SUPERVISOR = "supervisor", _("Supervisor")

    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.CITIZEN)
    display_name = models.CharField(_("display name"), max_length=100, blank=True)
    id_number = models.CharField(_("resident ID number"), max_length=18, blank=True, validators=[validate_id_number])
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    firm = models.ForeignKey(
        Firm, verbose_name=_("firm"), on_delete=models.PROTECT, null=True, blank=True, related_name="representatives"
    )
    district = models.ForeignKey(
        "standards.District",
        verbose_name=_("district"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="staff",
    )
    window = models.ForeignKey(
        "standards.ServiceWindow",
        verbose_name=_("window"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="clerks",
    )
    preferred_language = models.CharField(_("preferred language"), max_length=10, default="zh-hans")
    # A citizen's places that can make a C9 district competent for an item (cases.competence_rules): set by
    # administrators from the household register and the social-insurance record, as the ID number is.
    # Empty when unknown or outside the nine districts; the application form then asks.
    household_district = models.ForeignKey(
        "standards.District",
        verbose_name=_("household registration district (户籍地)"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    insured_district = models.ForeignKey(
        "standards.District",
        verbose_name=_("social-insurance district (参保地)"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # 长辈版 (elder-friendly mode): large text, high contrast, fewer elements. Remembered here for the person and
    # in a cookie for the device (govservice.care_mode).
    care_mode = models.BooleanField(_("elder-friendly mode (长辈版)"), default=False)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(role="clerk") | models.Q(district__isnull=False, window__isnull=False),
                name="clerk_has_district_and_window",
            ),
            models.CheckConstraint(
                condition=~models.Q(role="firm") | models.Q(firm__isnull=False),
                name="firm_representative_has_firm",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name or self.username

    @property
    def home_district_id(self) -> int | None:
        """The C9 district the account is at home in, if any: the clerk's district, else the citizen's household
        registration, else their social-insurance place, else the firm's registered district (None: unknown).

        The one answer to "where is this person from" for the nearest accepting district and the helpdesk's
        routing (never a guess: None when the account records no place).
        """
        for place in (self.district_id, self.household_district_id, self.insured_district_id):
            if place is not None:
                return place
        if self.role == self.Role.FIRM and self.firm is not None:
            return self.firm.registered_district_id
        return None

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Every way of changing a password (the admin, the password forms, `changepassword`) ends in
        # set_password() then save(): a changed password ends the user's API tokens (sessions end by
        # themselves: Django's session hash no longer matches).
        # AbstractBaseUser keeps the new raw password in _password until save() (not in the stubs).
        password_changed = getattr(self, "_password", None) is not None and self.pk is not None
        super().save(*args, **kwargs)
        if password_changed:
            from accounts import services

            services.api_tokens_revoke(user=self)

    def clean(self) -> None:
        super().clean()
        if self.role == self.Role.CLERK:
            if not self.district_id or self.window is None:
                raise ValidationError(_("A clerk belongs to a district and a window."))
            if self.window.district_id != self.district_id:
                raise ValidationError({"window": _("The window must belong to the clerk's district.")})
        if self.role == self.Role.FIRM and not self.firm_id:
            raise ValidationError({"firm": _("A firm representative must belong to a firm.")})
        if self.id_number:
            self.id_number = normalize_id_number(self.id_number)

    @property
    def masked_id_number(self) -> str:
        return mask_id_number(self.id_number)

    @property
    def is_clerk(self) -> bool:
        return self.role == self.Role.CLERK

    @property
    def is_supervisor(self) -> bool:
        return self.role == self.Role.SUPERVISOR

    @property
    def is_standards_admin(self) -> bool:
        return self.role == self.Role.STANDARDS_ADMIN


class FirmSpecialist(models.Model):
    """A clerk assigned by a supervisor as a firm's specialist (专员) in one district (精服务)."""

    firm = models.ForeignKey(Firm, on_delete=models.CASCADE, related_name="specialists")
    district = models.ForeignKey("standards.District", on_delete=models.PROTECT, related_name="firm_specialists")
    clerk = models.ForeignKey(User, on_delete=models.PROTECT, related_name="specialist_for")
    assigned_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    assigned_at = models.DateTimeField(auto_now_add=True)
    active = models.BooleanField(default=True)

    class Meta:
        verbose_name = _("firm specialist")
        verbose_name_plural = _("firm specialists")
        constraints = [
            models.UniqueConstraint(
                fields=["firm", "district"],
                condition=models.Q(active=True),
                name="one_active_specialist_per_firm_district",
            )
        ]

    def __str__(self) -> str:
        return f"{self.firm} · {self.district} · {self.clerk}"
