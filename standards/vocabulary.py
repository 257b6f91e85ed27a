"""The catalogue's vocabularies, each declared once (see docs/domain.md).

Models, serializers, page views, templates, search filters, the import/export columns and the
seed catalogue all read these. The stored value is the enum's value; the label is what people
read (translated). Plain Django, no model import, so `accounts.models` can use it too.

Vocabularies that belong to one model field live on their model instead (e.g.
`ItemVersion.ItemType`, `ItemVersion.CrossProvinceMode`, `Firm.BusinessMode`).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Sector(models.TextChoices):
    """The implementing bodies' fields of work (a district has one department per sector).

    The seed catalogue numbers sectors in this order inside item codes: add new ones at the end.
    """

    MARKET = "market", _("Market regulation")
    HR_SOCIAL = "hr_social", _("Human resources and social security")
    MEDICAL_INSURANCE = "medical_insurance", _("Medical insurance")
    HOUSING_FUND = "housing_fund", _("Housing provident fund")
    CIVIL_AFFAIRS = "civil_affairs", _("Civil affairs")
    PUBLIC_SECURITY = "public_security", _("Public security")
    TAX = "tax", _("Taxation")
    HEALTH = "health", _("Health")
    EDUCATION = "education", _("Education")
    HOUSING = "housing", _("Housing and construction")
    TRANSPORT = "transport", _("Transport")
    CULTURE_TOURISM = "culture_tourism", _("Culture and tourism")
    ECOLOGY = "ecology", _("Ecology and environment")
    NATURAL_RESOURCES = "natural_resources", _("Natural resources")
    JUSTICE = "justice", _("Justice")
    ARCHIVES = "archives", _("Archives")
    OTHER = "other", _("Other")
    VETERANS = "veterans", _("Veterans affairs")
    DISABLED_PERSONS = "disabled_persons", _("Disabled persons' federation")


class HandlingForm(models.TextChoices):
    """Where an applicant can hand in an item (`ItemVersion.handling_forms` holds a subset)."""

    WINDOW = "window", _("At the window")
    SELF_SERVICE = "self_service", _("Self-service terminal")
    ONLINE = "online", _("Online")
    ASSISTED = "assisted", _("Assisted (帮办)")


class GrowthStage(models.TextChoices):
    """A firm's growth stage: a firm's own (`Firm.growth_stage`) and the stages an item is tagged for."""

    STARTUP = "startup", _("Start-up")
    GROWTH = "growth", _("Growth")
    EXPANSION = "expansion", _("Expansion")
    MATURE = "mature", _("Mature")


class LifeEvent(models.TextChoices):
    """A citizen's life event an item belongs to (一件事, `ItemVersion.life_events`)."""

    BIRTH = "birth", pgettext_lazy("life event", "Birth")
    SCHOOLING = "schooling", pgettext_lazy("life event", "Schooling")
    EMPLOYMENT = "employment", pgettext_lazy("life event", "Employment")
    MARRIAGE = "marriage", pgettext_lazy("life event", "Marriage and children")
    HOUSING = "housing", pgettext_lazy("life event", "Housing")
    MEDICAL = "medical", pgettext_lazy("life event", "Medical care")
    RETIREMENT = "retirement", pgettext_lazy("life event", "Retirement")
    RELOCATION = "relocation", pgettext_lazy("life event", "Moving")
    TRAVEL = "travel", pgettext_lazy("life event", "Travel")
    BEREAVEMENT = "bereavement", pgettext_lazy("life event", "Bereavement")
    STARTING_BUSINESS = "starting_business", pgettext_lazy("life event", "Starting a business")


class CompetentDistrictRule(models.TextChoices):
    """How an item's standard names the competent approving district (审批地) among those that approve it
    (`ItemVersion.competent_district_rule`; the choice itself is cases.competence_rules)."""

    HOUSEHOLD = "household", _("The applicant's household registration (户籍地)")
    SOCIAL_INSURANCE = "social_insurance", _("The applicant's social-insurance place (参保地)")
    REGISTERED = "registered", _("The firm's registered address (住所地/注册地)")
    APPLICANT_CHOICE = "applicant_choice", _("The applicant's choice among the districts that approve it")


class ServiceObject(models.TextChoices):
    """Whom an item serves: the search filter over `for_natural_person` / `for_legal_person`."""

    PERSON = "person", pgettext_lazy("service object", "Natural person")
    LEGAL_PERSON = "legal_person", pgettext_lazy("service object", "Legal person")


def label_of(choices: type[models.TextChoices], value: str) -> str:
    """The label of a stored value; an unknown value (an old tag) shows as itself."""
    try:
        return str(choices(value).label)
    except ValueError:
        return value
