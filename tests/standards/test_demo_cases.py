"""The demo cases `make run` loads: one in each main state, made through the services, once."""

from __future__ import annotations

import pytest

from cases.chain import chain_verify
from cases.models import Case, CaseState, FollowUp
from seed.demo_accounts import demo_accounts_load
from seed.demo_cases import demo_cases_load

pytestmark = pytest.mark.django_db


def test_the_demo_cases_cover_the_desk_once_each_with_an_intact_chain(catalogue):
    demo_accounts_load()
    rows = demo_cases_load()
    states = {case.item_version.name: case.state for case in Case.objects.select_related("item_version")}
    assert states == {
        "补领结婚证": CaseState.SUBMITTED,
        "不动产权证书补发": CaseState.CORRECTION_REQUESTED,
        "教师资格认定": CaseState.IN_REVIEW,
        "营业执照遗失补领": CaseState.RATED,
        "个人所得税纳税记录开具": CaseState.RATED,
    }
    assert len(rows) == 5
    assert FollowUp.objects.filter(rating__case__item_version__name="个人所得税纳税记录开具").exists()
    for case in Case.objects.all():
        assert chain_verify(case=case).ok, case.reference
    assert all(case.accepting_district.division_code == "310101" for case in Case.objects.all())
    assert demo_cases_load() == []  # idempotent: the second start makes nothing
    assert Case.objects.count() == 5
