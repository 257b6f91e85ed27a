"""The sheets and their columns, declared once: names, kinds of cell, allowed values, defaults.

Reading, checking and export all follow these declarations. Item columns are the version's
content fields (`selectors.VERSION_CONTENT_FIELDS`) plus the item code, the districts and the
effective date; material columns are the material's content fields plus the item code and the
material type code. Allowed values come from the domain's vocabularies.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from standards.models import VERIFIABLE_FIELDS, ItemMaterial, ItemVersion
from standards.selectors import MATERIAL_CONTENT_FIELDS, VERSION_CONTENT_FIELDS
from standards.vocabulary import CompetentDistrictRule, GrowthStage, HandlingForm, Sector

ITEM_COLUMNS = [
    "code",
    *VERSION_CONTENT_FIELDS,
    "accepting_districts",
    "approving_districts",
    "effective_from",
]
MATERIAL_COLUMNS = ["item_code", "material_type", *MATERIAL_CONTENT_FIELDS]
LIST_FIELDS = {
    "handling_forms",
    "life_events",
    "growth_stages",
    "formats",
    "accepting_districts",
    "approving_districts",
    "unverified_fields",
    "process_steps",
}
JSON_FIELDS = {"fees", "faq", "application_form"}
BOOL_FIELDS = {
    "for_natural_person",
    "for_legal_person",
    "appointment_available",
    "courier_delivery",
    "online_payment",
    "result_is_licence",
    "result_elicence",
    "elicence_exempt",
}
INT_FIELDS = {
    "statutory_limit",
    "promised_limit",
    "online_depth",
    "onsite_visits",
    "position",
    "originals",
    "copies",
    "max_size_mb",
}
OPTIONAL_ITEM = {
    "name_en",
    "topic",
    "legal_basis_law",
    "legal_basis_article",
    "legal_basis_text",
    "acceptance_conditions",
    "cross_province_mode",
    "competent_district_rule",
    "fees",
    "result_name",
    "assistance_guide",
    "faq",
    "life_events",
    "growth_stages",
    "approving_districts",
    "effective_from",
    "handling_forms",
    "online_depth",
    "onsite_visits",
    "appointment_available",
    "courier_delivery",
    "online_payment",
    "result_is_licence",
    "result_elicence",
    "for_natural_person",
    "for_legal_person",
    "handling_kind",
    "limit_unit",
    "unverified_fields",
    "process_steps",
    "result_sample",
    "application_form",
    "application_form_source",
}
OPTIONAL_MATERIAL = {
    "name_en",
    "position",
    "condition",
    "issuing_body",
    "acceptance_standard",
    "formats",
    "copies",
    "originals",
    "max_size_mb",
    "medium",
    "source",
    "elicence_exempt",
    "requirement",
    "name",
}
CHOICES = {
    "item_type": ItemVersion.ItemType.values,
    "sector": Sector.values,
    "handling_kind": ItemVersion.HandlingKind.values,
    "limit_unit": ItemVersion.LimitUnit.values,
    "cross_province_mode": ["", *ItemVersion.CrossProvinceMode.values],
    "competent_district_rule": CompetentDistrictRule.values,
    "requirement": ItemMaterial.Requirement.values,
    "medium": ItemMaterial.Medium.values,
    "source": ItemMaterial.Source.values,
}
LIST_CHOICES = {
    "handling_forms": HandlingForm.values,
    "unverified_fields": list(VERIFIABLE_FIELDS),
    "growth_stages": GrowthStage.values,
}
SHEET_NAMES = {"items": ("items", "事项"), "materials": ("materials", "材料")}
SHEET_LABELS = {
    "items": gettext_lazy("items sheet"),
    "materials": gettext_lazy("materials sheet"),
    "file": gettext_lazy("file"),
}
TRUE_WORDS = {"1", "true", "yes", "y", "是", "t"}
FALSE_WORDS = {"0", "false", "no", "n", "否", "f", ""}

DEFAULTS = {
    "handling_kind": ItemVersion.HandlingKind.PROMISED,
    "limit_unit": ItemVersion.LimitUnit.WORKING_DAYS,
    "competent_district_rule": CompetentDistrictRule.APPLICANT_CHOICE,
    "online_depth": 1,
    "onsite_visits": 1,
    "requirement": ItemMaterial.Requirement.REQUIRED,
    "medium": ItemMaterial.Medium.EITHER,
    "source": ItemMaterial.Source.APPLICANT,
    "originals": 1,
    "copies": 0,
    "max_size_mb": 10,
}


def column_label(column: str) -> str:
    for model in (ItemVersion, ItemMaterial):
        try:
            field = model._meta.get_field(column)
        except FieldDoesNotExist:
            continue
        if isinstance(field, models.Field):  # not a reverse relation (no verbose name)
            return str(field.verbose_name)
    return {
        "code": _("basic code"),
        "item_code": _("item code"),
        "material_type": _("material type"),
        "accepting_districts": _("accepting districts"),
        "approving_districts": _("approving districts"),
        "effective_from": _("effective from"),
    }.get(column, column)


@dataclass
class ImportError_:
    """One line of the import report: a problem at a sheet, row and column (row and column may be empty)."""

    sheet: str
    row: int | None
    column: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "sheet": self.sheet,
            "sheet_label": str(SHEET_LABELS.get(self.sheet, self.sheet)),
            "row": self.row,
            "column": self.column,
            "column_label": column_label(self.column) if self.column else "",
            "message": self.message,
        }
