"""A synonym added in the admin applies to the very next search served by another process (a real uvicorn server)."""

from __future__ import annotations

import json
import urllib.parse
import urllib.request

import pytest
from django.test import Client

from standards.models import SearchMiss

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def served_names(live_stack, query: str) -> list[str]:
    url = live_stack.url("/api/items/?" + urllib.parse.urlencode({"q": query}))
    with urllib.request.urlopen(url, timeout=30) as response:
        return [row["name"] for row in json.loads(response.read())["results"]]


def test_a_synonym_added_in_the_admin_applies_to_the_next_search_in_another_process(
    live_stack, published_item, std_admin
):
    assert served_names(live_stack, "测试事项营业执照遗失补领") == ["测试事项营业执照遗失补领"]  # the index is built
    assert served_names(live_stack, "小本本") == []
    assert SearchMiss.objects.get(query="小本本").count == 1  # counted by the server process
    std_admin.is_staff = True
    std_admin.save(update_fields=["is_staff"])
    admin = Client()
    admin.force_login(std_admin)
    response = admin.post("/admin/standards/searchsynonym/add/", {"word": "小本本", "synonym": "测试事项", "note": ""})
    assert response.status_code == 302
    # No restart and no wait: the server checks the synonyms on every search.
    assert served_names(live_stack, "小本本") == ["测试事项营业执照遗失补领"]
    assert not SearchMiss.objects.filter(query="小本本").exists()
