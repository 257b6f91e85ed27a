from __future__ import annotations

import datetime as dt

from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

division_code_validator = RegexValidator(r"^\d{6}$", _("A division code has six digits."))


class BilingualNameMixin:
    """`display_name` picks the English name when the page is in English."""

    @property
    def display_name(self) -> str:
        if (get_language() or "").startswith("en") and getattr(self, "name_en", ""):
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
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["district__division_code", "code"]
        verbose_name = _("service window")
        verbose_name_plural = _("service windows")

    def __str__(self) -> str:
        return f"{self.district} · {self.name}"

    def is_open_at(self, moment: dt.datetime) -> bool:
        """Whether the window is open at an aware local time (holidays are the calendar's business)."""
        return (
            self.active
            and str(moment.isoweekday()) in self.open_weekdays
            and self.opens_at <= moment.timetz().replace(tzinfo=None) < self.closes_at
        )
