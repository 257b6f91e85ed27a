"""The standard catalogue: ≥3000 real-looking items over the nine districts, loaded once and idempotently."""

from __future__ import annotations

import re

import pytest
from django.db.models import Count, Max

from accounts.identifiers import validate_credit_code
from seed.catalogue import catalogue_load, catalogue_specs
from standards.districts import DIVISION_CODES
from standards.models import (
    Department,
    ItemImplementation,
    ItemMaterial,
    ItemVersion,
    MaterialType,
    ServiceItem,
)

pytestmark = pytest.mark.django_db


def test_the_catalogue_holds_over_3000_items_with_unique_codes(catalogue):
    codes = list(ServiceItem.objects.values_list("code", flat=True))
    assert len(codes) >= 3000
    assert len(set(codes)) == len(codes)
    in_force = ItemVersion.objects.filter(status=ItemVersion.Status.PUBLISHED)
    assert in_force.count() == len(codes)  # exactly one current version per item
    assert not ItemVersion.objects.filter(status=ItemVersion.Status.PUBLISHED, effective_to__isnull=False).exists()


def test_items_are_spread_over_all_nine_districts_with_approval_elsewhere(catalogue):
    per_district = dict(
        ItemImplementation.objects.values_list("district__division_code")
        .annotate(n=Count("id"))
        .values_list("district__division_code", "n")
    )
    assert set(per_district) == set(DIVISION_CODES)
    assert min(per_district.values()) >= 3000  # every district accepts every item
    approving = dict(
        ItemImplementation.objects.filter(can_approve=True)
        .values_list("district__division_code")
        .annotate(n=Count("id"))
        .values_list("district__division_code", "n")
    )
    assert set(approving) == set(DIVISION_CODES) and min(approving.values()) >= 100
    # Many items are accepted in one district and approved in another (e.g. accepted in 黄浦, approved in 蜀山).
    accept_only = ItemImplementation.objects.filter(can_accept=True, can_approve=False)
    assert accept_only.values("item").distinct().count() > 2000
    huangpu_accepts_shushan_approves = ServiceItem.objects.filter(
        implementations__district__division_code="310101",
        implementations__can_approve=False,
    ).filter(implementations__district__division_code="340104", implementations__can_approve=True)
    assert huangpu_accepts_shushan_approves.exists()


def test_names_are_real_chinese_item_names_with_english_names(catalogue):
    names = list(ItemVersion.objects.values_list("name", "name_en"))
    assert not any(re.search(r"(?i)\bitem\s*\d+", en) or re.search(r"事项\s*\d+", zh) for zh, en in names)
    assert all(re.search(r"[\u4e00-\u9fff]{2}", zh) and en for zh, en in names)
    expected = {
        "婚姻登记记录证明（内地居民）",
        "购房提取住房公积金",
        "住房公积金转移接续",
        "异地就医登记备案（异地长期居住人员）",
        "无犯罪记录证明开具",
        "机动车驾驶证公证",
        "排污许可申请（重点管理）",
        "营业执照遗失补领",
    }
    assert expected <= {zh for zh, _en in names}


def test_departments_and_material_types_are_plausible(catalogue):
    assert Department.objects.filter(name="黄浦区市场监督管理局", district__division_code="310101").exists()
    for code in Department.objects.values_list("credit_code", flat=True):
        validate_credit_code(code)
    assert MaterialType.objects.get(code="ID_CARD").elicence_name == "居民身份证电子证照"
    assert MaterialType.objects.get(code="BUSINESS_LICENCE").name == "营业执照"
    assert ItemMaterial.objects.filter(elicence_exempt=True).count() > 1000
    assert ItemVersion.objects.filter(status=ItemVersion.Status.SUPERSEDED).count() > 50  # some items have history


def test_a_second_load_changes_nothing(catalogue):
    def state():
        return (
            ServiceItem.objects.aggregate(n=Count("id"), top=Max("id")),
            ItemVersion.objects.aggregate(n=Count("id"), top=Max("id")),
            ItemMaterial.objects.aggregate(n=Count("id"), top=Max("id")),
            ItemImplementation.objects.aggregate(n=Count("id"), top=Max("id")),
            Department.objects.count(),
            MaterialType.objects.count(),
        )

    before = state()
    created = catalogue_load()
    assert set(created.values()) == {0}
    assert state() == before


def test_the_generator_is_deterministic():
    first, second = catalogue_specs(), catalogue_specs()
    assert [(s.code, s.name) for s in first] == [(s.code, s.name) for s in second]
    assert len(first) >= 3000
