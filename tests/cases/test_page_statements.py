"""The lists a person reads every day stay a page long and cost the same statements however many cases there are
(issue 16: the main pages' server time with 10,000 cases; bench/pages_bench.py measures it)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import User
from cases.models import Case
from cases.views import MY_CASES_PER_PAGE
from standards.generation import catalogue_changed
from standards.models import ItemVersion
from tests import factories as f

pytestmark = pytest.mark.django_db


def copies(case: Case, n: int, batch: str) -> None:
    """`n` more cases like `case` (their own references), straight into the table."""
    fields = {
        field.attname: getattr(case, field.attname)
        for field in Case._meta.concrete_fields
        if field.attname not in {"id", "reference"}
    }
    Case.objects.bulk_create([Case(reference=f"{case.reference}-{batch}{i:03d}", **fields) for i in range(n)])


def statements(client: Client, url: str, **query: str) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as captured:
        page = client.get(url, query).content.decode()
    return len(captured), page


def statements_after_the_catalogue_changed(client: Client, url: str) -> tuple[int, str]:
    """The statements of a page once the catalogue's generation has caught up with the items made since (the
    values kept per generation are then read once, before the count)."""
    catalogue_changed()
    client.get(url)
    return statements(client, url)


def test_my_cases_lists_fifty_a_page_in_the_same_statements_for_two_cases_or_a_hundred(
    citizen: User, item: ItemVersion
) -> None:
    case = f.submitted_case(applicant=citizen, version=item)
    client = Client()
    client.force_login(citizen)
    client.get(reverse("cases-mine"))  # the session's first read
    copies(case, 1, "a")
    few, page = statements(client, reverse("cases-mine"))
    assert page.count("<tr data-reference=") == 2 and "下一页" not in page
    copies(case, 2 * MY_CASES_PER_PAGE, "b")
    many, page = statements(client, reverse("cases-mine"))
    assert page.count("<tr data-reference=") == MY_CASES_PER_PAGE
    assert many == few  # never one per row
    assert "第 1 页，共 3 页" in page and 'page=2">下一页' in page
    last = client.get(reverse("cases-mine"), {"page": "3"}).content.decode()
    assert last.count("<tr data-reference=") == 2 and "上一页" in last
    # The state filter is kept from page to page.
    filtered = client.get(reverse("cases-mine"), {"state": case.state}).content.decode()
    assert f'state={case.state}&amp;page=2">下一页' in filtered


def test_the_firm_page_ranks_its_recommendations_without_loading_every_item(lihua_like: User) -> None:
    for _ in range(5):
        f.make_item()
    client = Client()
    client.force_login(lihua_like)
    url = reverse("cases-firm", args=[lihua_like.firm_id])
    few, _page = statements_after_the_catalogue_changed(client, url)
    for _ in range(20):
        f.make_item()
    many, page = statements_after_the_catalogue_changed(client, url)
    assert many == few
    assert 'id="recommendations"' in page


def test_a_firms_cases_page_shows_its_recommended_items_with_their_apply_forms_in_statements_that_do_not_grow(
    lihua_like: User,
) -> None:
    f.make_item(growth_stages=["growth"])
    client = Client()
    client.force_login(lihua_like)
    url = reverse("cases-mine")
    one, page = statements_after_the_catalogue_changed(client, url)
    assert page.count('class="form cases-apply"') == 1
    for _ in range(5):
        f.make_item(growth_stages=["growth"], agent_materials=True)
    six, page = statements_after_the_catalogue_changed(client, url)
    assert page.count('class="form cases-apply"') == 6 and page.count('class="form cases-agent-form"') == 5
    assert six == one  # the cards' implementations, districts and materials are read for all of them at once


@pytest.fixture
def lihua_like(db: None) -> User:
    return f.make_user("firm", firm=f.make_firm(growth_stage="growth"))
