"""Search in Chinese, by code and by pinyin initials, with filters and ranking — the same on both databases."""

from __future__ import annotations

import pytest

from standards import services
from standards.models import ItemVersion, ServiceItem
from standards.search import catalogue_search
from standards.selectors import today

pytestmark = pytest.mark.django_db


def names(results, limit=None):
    return [r.entry.name for r in results[:limit]]


@pytest.mark.parametrize("query", ["营业执照", "公积金", "婚姻"])
def test_a_chinese_substring_finds_items_with_it_in_their_name_first(catalogue, query):
    results = catalogue_search(query=query)
    name_hits = [r for r in results if r.match != "guide"]
    assert len(name_hits) >= 5
    assert all(query in r.entry.name for r in name_hits)
    # every item that has the word in its name is found
    expected = set(ItemVersion.objects.filter(status="published", name__contains=query).values_list("name", flat=True))
    assert expected == {r.entry.name for r in name_hits if query in r.entry.name}


def test_pinyin_initials_find_the_chinese_names(catalogue):
    yyzz = catalogue_search(query="yyzz")
    assert len(yyzz) >= 5 and all("营业执照" in name for name in names(yyzz, 5))
    gjj = names(catalogue_search(query="gjj"), 10)
    assert gjj and all("公积金" in name for name in gjj)
    assert names(catalogue_search(query="YYZZ")) == names(yyzz)  # case does not matter


def test_an_item_code_finds_exactly_that_item_first(catalogue):
    item = ServiceItem.objects.order_by("code")[1500]
    results = catalogue_search(query=item.code)
    assert results[0].entry.code == item.code.lower() and results[0].match == "exact"
    prefix = catalogue_search(query=item.code[:7])
    assert item.code in [r.entry.summary["code"] for r in prefix]


def test_ranking_is_exact_then_prefix_then_substring_then_guide(catalogue):
    results = catalogue_search(query="营业执照打印")
    assert results[0].entry.name == "营业执照打印" and results[0].match == "exact"
    results = catalogue_search(query="营业执照")
    ranks = [r.rank for r in results]
    assert ranks == sorted(ranks)
    matches = [r.match for r in results]
    assert matches.index("prefix") < matches.index("guide")
    assert {"prefix", "guide"} <= set(matches)
    substring = catalogue_search(query="提取住房公积金")
    assert substring[0].entry.name.endswith("提取住房公积金") and substring[0].match == "substring"


def test_filters_narrow_the_results(catalogue):
    online = catalogue_search(query="公积金", cross_province_mode="fully_online")
    assert online and all(r.entry.cross_province_mode == "fully_online" for r in online)
    startup = catalogue_search(query="", growth_stage="startup", item_type="licensing")
    assert startup and all("startup" in r.entry.growth_stages and r.entry.item_type == "licensing" for r in startup)
    shushan = catalogue_search(query="", approving_district="340104")
    assert shushan and all("340104" in r.entry.approving for r in shushan)
    assisted = catalogue_search(query="婚姻", handling_form="assisted")
    assert all("assisted" in r.entry.handling_forms for r in assisted)
    from standards.models import Department

    department = Department.objects.get(district__division_code="310101", sector="housing_fund")
    by_department = catalogue_search(query="", department=str(department.pk))
    assert by_department and all(r.entry.sector == "housing_fund" for r in by_department)
    assert catalogue_search(query="营业执照", district="999999") == []


def test_a_published_version_is_searchable_at_once(catalogue, std_admin, django_capture_on_commit_callbacks):
    item = ServiceItem.objects.get(versions__name="营业执照打印", versions__status="published")
    with django_capture_on_commit_callbacks(execute=True):
        draft = services.item_draft_create(actor=std_admin, item=item)
        services.item_draft_update(actor=std_admin, draft=draft, fields={"name": "营业执照自助打印"})
        services.item_version_publish(actor=std_admin, draft=draft, effective_from=today())
    assert names(catalogue_search(query="营业执照自助打印"))[0] == "营业执照自助打印"
    assert "营业执照打印" not in names(catalogue_search(query="营业执照打印"))
