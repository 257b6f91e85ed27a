"""The seed catalogue: real items only, honest counts, 待核实 where unknown, rows checked before loading."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.management import call_command
from django.db.models import Count, Max

from accounts.identifiers import validate_credit_code
from seed import catalogue_data
from seed.catalogue import catalogue_check, catalogue_load, catalogue_specs
from standards.consistency import CatalogueDataError, code_problems, implementation_problems, version_problems
from standards.districts import DIVISION_CODES
from standards.models import (
    UNVERIFIED,
    Department,
    ItemImplementation,
    ItemMaterial,
    ItemVersion,
    MaterialType,
    ServiceItem,
)
from standards.selectors import catalogue_counts

pytestmark = pytest.mark.django_db

CASE_ACTIONS = ("撤回", "进度查询", "结果复核", "兑付查询", "年度复核")


def test_only_real_items_no_actions_on_a_case_and_no_district_templates(catalogue):
    names = list(ItemVersion.objects.values_list("name", "name_en"))
    assert len(names) == len(catalogue_data.ITEMS)
    assert not [zh for zh, _en in names if any(action in zh for action in CASE_ACTIONS)]
    district_names = ("黄浦", "上城", "鼓楼", "鄞州", "姑苏", "庐阳", "蜀山", "梁溪", "崇川")
    assert not [zh for zh, _en in names if any(d in zh for d in district_names)]
    assert all(re.search(r"[\u4e00-\u9fff]{2}", zh) and en for zh, en in names)
    expected = {
        "居民身份证补领",
        "购房提取住房公积金",
        "住房公积金异地转移接续",
        "异地就医登记备案（异地长期居住人员）",
        "无犯罪记录证明开具",
        "内地居民结婚登记",
        "企业设立登记",
        "营业执照遗失补领",
    }
    assert expected <= {zh for zh, _en in names}
    # No invented 实施办法 and no one article cited everywhere.
    assert not ItemVersion.objects.filter(legal_basis_law__contains="实施办法").exists()


def test_unknown_values_are_stored_and_flagged_as_unverified(catalogue):
    marriage = ItemVersion.objects.get(name="内地居民结婚登记")
    assert marriage.legal_basis_law == "《中华人民共和国民法典》"
    assert marriage.legal_basis_article == "第一千零四十九条"
    assert "legal_basis_article" not in marriage.unverified_fields
    no_article = ItemVersion.objects.get(name="无犯罪记录证明开具")
    assert no_article.legal_basis_article == UNVERIFIED and "legal_basis_article" in no_article.unverified_fields
    # Promised limits are the districts' own promises: none is known, all are flagged, never above the law.
    for version in ItemVersion.objects.all():
        assert version.promised_limit <= version.statutory_limit
        if version.handling_kind == "promised":
            assert "promised_limit" in version.unverified_fields
    food = ItemVersion.objects.get(name="食品经营许可证核发")
    assert food.statutory_limit == 20 and "statutory_limit" not in food.unverified_fields


def test_counts_are_items_and_district_implementations_separately(catalogue, client):
    counts = catalogue_counts()
    assert counts["items"] == len(catalogue_data.ITEMS)
    assert counts["implementations"] == ItemImplementation.objects.count() == counts["items"] * 9
    assert counts["districts"] == 9
    assert 0 < counts["unverified_share"] < 1
    assert client.get("/api/catalogue/counts/").json()["items"] == counts["items"]
    home = client.get("/").content.decode()
    assert f"{counts['items']} " in home and f"{counts['implementations']} " in home and "待核实" in home


def test_the_loader_reports_both_counts_and_the_unverified_share(catalogue, capsys):
    call_command("load_catalogue")
    out = capsys.readouterr().out
    assert f"{len(catalogue_data.ITEMS)} distinct standardised items" in out
    assert "district implementations" in out and "待核实" in out and "%" in out


def test_implementations_name_their_source_and_every_accepted_item_is_approved_somewhere(catalogue):
    per_district = dict(
        ItemImplementation.objects.values_list("district__division_code")
        .annotate(n=Count("id"))
        .values_list("district__division_code", "n")
    )
    assert set(per_district) == set(DIVISION_CODES)
    assert not ItemImplementation.objects.filter(source_note="").exists()
    accepted = set(ItemImplementation.objects.filter(can_accept=True).values_list("item_id", flat=True))
    approved = set(ItemImplementation.objects.filter(can_approve=True).values_list("item_id", flat=True))
    assert accepted <= approved


def test_materials_and_departments_are_consistent(catalogue):
    assert Department.objects.filter(name="黄浦区市场监督管理局", district__division_code="310101").exists()
    for code in Department.objects.values_list("credit_code", flat=True):
        validate_credit_code(code)
    assert MaterialType.objects.get(code="ID_CARD").elicence_name == "居民身份证电子证照"
    assert ItemMaterial.objects.filter(elicence_exempt=True).exists()
    assert not ItemMaterial.objects.filter(elicence_exempt=True, copies__gt=0).exists()


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


def test_the_loader_is_deterministic():
    first, second = catalogue_specs(), catalogue_specs()
    assert [(s.code, s.name) for s in first] == [(s.code, s.name) for s in second]


def test_the_consistency_rules_each_catch_their_case():
    assert version_problems({"statutory_limit": 5, "promised_limit": 6}, [])
    assert version_problems({}, [{"material_type": "ID_CARD", "source": "elicence", "copies": 2}])
    assert not version_problems({"statutory_limit": 5, "promised_limit": 5}, [{"source": "applicant", "copies": 2}])
    assert implementation_problems([("310101", True, False), ("340104", True, False)]) == [
        "accepted but approved nowhere"
    ]
    assert not implementation_problems([("310101", True, False), ("340104", False, True)])
    assert code_problems(["C9-KS-0001", "C9-KS-0001", "X-1"], catalogue_data.CODE_PATTERN) == [
        "code 'X-1' does not match ^C9-(KS|CSJ|JC)-\\d{4}$",
        "code 'C9-KS-0001' is used 2 times",
    ]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"statutory": 3, "promised": 5}, "promised time limit 5 exceeds the statutory 3"),
        ({"code": "C9-XX-1"}, "does not match"),
    ],
)
def test_a_broken_row_stops_the_load_naming_the_row(monkeypatch, change, message):
    broken: dict[str, Any] = dict(catalogue_data.ITEMS[0])
    broken.update(change)
    monkeypatch.setattr(catalogue_data, "ITEMS", [broken, *catalogue_data.ITEMS[1:]])
    with pytest.raises(CatalogueDataError, match=message) as raised:
        catalogue_check()
    assert broken["code"] in str(raised.value) or "ITEMS" in str(raised.value)


def test_a_duplicated_code_stops_the_load(monkeypatch):
    monkeypatch.setattr(catalogue_data, "ITEMS", [*catalogue_data.ITEMS, dict(catalogue_data.ITEMS[0], name="别的")])
    with pytest.raises(CatalogueDataError, match="C9-KS-0001' is used 2 times"):
        catalogue_check()


def test_a_material_type_code_longer_than_its_column_fails_the_check_loudly(monkeypatch):
    # SQLite stores it anyway; PostgreSQL refuses it in the middle of the load: the check names it first.
    longest = MaterialType._meta.get_field("code").max_length or 0
    monkeypatch.setattr(catalogue_data, "MATERIAL_TYPES", [("X" * (longest + 1), "名", "name", "")])
    with pytest.raises(CatalogueDataError, match="X" * (longest + 1)):
        catalogue_check()
