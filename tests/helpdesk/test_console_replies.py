"""常用语 (canned replies): the district's (kept in the admin) and a clerk's own (kept from the console)."""

from __future__ import annotations

import pytest
from django.test import Client

from helpdesk import selectors, services
from helpdesk.models import CannedReply
from seed.demo_replies import DEMO_REPLIES, demo_replies_load
from tests.factories import district, make_citizen, make_clerk, make_user

pytestmark = pytest.mark.django_db


def test_a_clerk_sees_their_districts_replies_then_their_own_never_another_districts_or_clerks():
    clerk = make_clerk("310101")
    CannedReply.objects.create(district=district("310101"), text="您好，请问有什么可以帮您？", position=1)
    CannedReply.objects.create(district=district("320508"), text="别区的常用语")
    services.canned_reply_add(clerk=make_clerk("310101"), text="同事自己的常用语")
    mine = services.canned_reply_add(clerk=clerk, text="  请稍候，我   查一下。 ")
    assert mine.text == "请稍候，我 查一下。"
    rows = selectors.canned_replies_for(clerk=clerk)
    assert [(row["text"], row["personal"]) for row in rows] == [
        ("您好，请问有什么可以帮您？", False),
        ("请稍候，我 查一下。", True),
    ]


def test_a_clerk_deletes_their_own_reply_only():
    clerk = make_clerk("310101")
    theirs = CannedReply.objects.create(district=district("310101"), text="区里的")
    colleague = services.canned_reply_add(clerk=make_clerk("310101"), text="同事的")
    mine = services.canned_reply_add(clerk=clerk, text="我的")
    with pytest.raises(services.AssistError) as refused:
        services.canned_reply_delete(clerk=clerk, reply_id=theirs.pk)
    assert refused.value.code == "district_reply"
    with pytest.raises(services.AssistError) as hidden:
        services.canned_reply_delete(clerk=clerk, reply_id=colleague.pk)
    assert hidden.value.code == "not_found"
    services.canned_reply_delete(clerk=clerk, reply_id=mine.pk)
    assert set(CannedReply.objects.values_list("text", flat=True)) == {"区里的", "同事的"}


@pytest.mark.parametrize(("text", "code"), [("   ", "empty"), ("长" * 301, "too_long")])
def test_an_empty_or_too_long_reply_is_refused(text, code):
    with pytest.raises(services.AssistError) as refused:
        services.canned_reply_add(clerk=make_clerk("310101"), text=text)
    assert refused.value.code == code


def test_a_duplicate_is_refused_and_citizens_keep_no_replies():
    clerk = make_clerk("310101")
    services.canned_reply_add(clerk=clerk, text="请稍候")
    with pytest.raises(services.AssistError) as duplicate:
        services.canned_reply_add(clerk=clerk, text="请稍候")
    assert duplicate.value.code == "duplicate"
    with pytest.raises(services.AssistError) as citizen:
        services.canned_reply_add(clerk=make_citizen(), text="请稍候")
    assert citizen.value.code == "not_a_clerk"


def test_the_api_adds_lists_and_deletes_a_clerks_replies():
    clerk = make_clerk("310101")
    client = Client()
    client.force_login(clerk)
    added = client.post("/api/assist/replies/", {"text": "请把证件对准摄像头"}, content_type="application/json")
    assert added.status_code == 201 and added.json()["personal"] is True
    assert [row["text"] for row in client.get("/api/assist/replies/").json()] == ["请把证件对准摄像头"]
    assert client.delete(f"/api/assist/replies/{added.json()['id']}/").status_code == 204
    assert client.get("/api/assist/replies/").json() == []
    client.force_login(make_citizen())
    assert client.get("/api/assist/replies/").status_code == 403


def test_the_demo_seed_gives_every_district_its_replies_once():
    first = demo_replies_load()
    assert first > 0 and demo_replies_load() == 0
    clerk = make_clerk("320508")
    assert [row["text"] for row in selectors.canned_replies_for(clerk=clerk)] == list(DEMO_REPLIES)


def test_a_district_administrator_keeps_their_districts_replies_only_in_the_admin():
    CannedReply.objects.create(district=district("310101"), text="黄浦的常用语")
    CannedReply.objects.create(district=district("320508"), text="吴中的常用语")
    services.canned_reply_add(clerk=make_clerk("310101"), text="某位办事员自己的")
    admin_user = make_user("supervisor", code="310101", display_name="黄浦管理员")
    admin_user.is_staff = True
    admin_user.save()
    from django.contrib.auth.models import Permission

    admin_user.user_permissions.add(*Permission.objects.filter(codename__endswith="cannedreply"))
    client = Client()
    client.force_login(admin_user)
    page = client.get("/admin/helpdesk/cannedreply/").content.decode()
    assert "黄浦的常用语" in page and "吴中的常用语" not in page and "某位办事员自己的" not in page
