"""Each vocabulary is declared once (standards/vocabulary.py) and everything else reads it."""

from __future__ import annotations

import pytest
from django.utils import translation
from rest_framework import serializers

from accounts.models import Firm
from seed import catalogue_data
from seed.catalogue import catalogue_specs
from standards.api.serializers import ItemSearchQuerySerializer
from standards.departments import DEPARTMENT_NAMES
from standards.importexport.columns import CHOICES, LIST_CHOICES
from standards.models import VERIFIABLE_FIELDS, Department, ItemVersion
from standards.vocabulary import GrowthStage, HandlingForm, LifeEvent, Sector, ServiceObject


def test_the_firm_and_the_item_tags_share_one_growth_stage_vocabulary():
    assert Firm.GrowthStage is GrowthStage
    assert Firm._meta.get_field("growth_stage").choices == GrowthStage.choices


def test_models_serializers_and_import_columns_read_the_vocabulary():
    assert Department._meta.get_field("sector").choices == Sector.choices
    assert ItemVersion._meta.get_field("sector").choices == Sector.choices
    fields = ItemSearchQuerySerializer().fields
    for name, vocabulary in (
        ("handling_form", HandlingForm),
        ("growth_stage", GrowthStage),
        ("service_object", ServiceObject),
    ):
        field = fields[name]
        assert isinstance(field, serializers.ChoiceField)
        assert list(field.choices) == vocabulary.values
    assert {
        "handling_forms": HandlingForm.values,
        "growth_stages": GrowthStage.values,
        "unverified_fields": list(VERIFIABLE_FIELDS),
    } == LIST_CHOICES
    assert CHOICES["sector"] == Sector.values
    assert set(DEPARTMENT_NAMES) == set(Sector.values)


def test_the_seed_catalogue_uses_only_the_domain_vocabulary():
    assert catalogue_data.ITEMS
    for spec in catalogue_specs():
        assert spec.sector in Sector.values
        assert spec.item_type in ItemVersion.ItemType.values
        assert set(spec.events) <= set(LifeEvent.values), spec.code
        assert set(spec.stages) <= set(GrowthStage.values), spec.code


def test_life_event_labels_are_translated():
    with translation.override("zh-hans"):
        assert [str(label) for label in LifeEvent.labels][:3] == ["出生", "上学", "就业"]
        assert str(HandlingForm.WINDOW.label) == "窗口办理"
        assert str(GrowthStage.STARTUP.label) == "初创期"
    with translation.override("en"):
        assert str(LifeEvent.MARRIAGE.label) == "Marriage and children"


@pytest.mark.django_db
def test_a_districts_full_name_follows_the_page_language_and_falls_back_to_chinese() -> None:
    from standards.models import District

    huangpu = District.objects.get(division_code="310101")
    assert huangpu.names() == ("上海黄浦区", "Huangpu, Shanghai")
    with translation.override("en"):
        assert huangpu.display_full == "Huangpu, Shanghai"
    with translation.override("zh-hans"):
        assert huangpu.display_full == "上海黄浦区"
    huangpu.name_en = huangpu.city_en = ""
    assert huangpu.names() == ("上海黄浦区", "上海黄浦区")  # no English name known: the Chinese one, never empty
