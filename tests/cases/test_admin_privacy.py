"""The superuser's admin: ID numbers and phones masked, every full reading recorded; follow-ups closed
through the service."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from django.contrib.admin.models import LogEntry
from django.test import Client

from accounts.admin import REVEAL_MESSAGE
from accounts.identifiers import mask_phone
from cases.models import FollowUp, Rating
from govservice.errors import Invalid
from tests import factories as f

if TYPE_CHECKING:
    from accounts.models import User
    from standards.models import ItemVersion

pytestmark = pytest.mark.django_db

PHONE = "13812345678"


@pytest.fixture
def superuser_client() -> tuple[Client, User]:
    admin = f.make_user("supervisor", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(admin)
    return client, admin


def test_the_user_pages_mask_the_id_number_and_phone(superuser_client: tuple[Client, User], citizen: User) -> None:
    client, _admin = superuser_client
    citizen.phone = PHONE
    citizen.save()
    for page in (f"/admin/accounts/user/{citizen.pk}/change/", f"/admin/accounts/user/?q={citizen.username}"):
        html = client.get(page).content.decode()
        assert citizen.id_number not in html, page
        assert PHONE not in html, page
    assert mask_phone(PHONE) in client.get(f"/admin/accounts/user/{citizen.pk}/change/").content.decode()


def test_showing_them_in_full_is_a_recorded_step(superuser_client: tuple[Client, User], citizen: User) -> None:
    client, admin = superuser_client
    citizen.phone = PHONE
    citizen.save()
    url = f"/admin/accounts/user/{citizen.pk}/reveal/"
    asked = client.get(url).content.decode()
    assert citizen.id_number not in asked  # asking shows nothing and records nothing
    assert not LogEntry.objects.filter(object_id=str(citizen.pk)).exists()
    shown = client.post(url).content.decode()
    assert citizen.id_number in shown and PHONE in shown
    entry = LogEntry.objects.get(object_id=str(citizen.pk))
    assert entry.user_id == admin.pk and entry.change_message == REVEAL_MESSAGE


def test_a_case_applicants_id_number_is_read_through_the_service_into_the_chain(
    superuser_client: tuple[Client, User], citizen: User, item: ItemVersion
) -> None:
    client, admin = superuser_client
    case = f.submitted_case(applicant=citizen, version=item)
    page = client.get(f"/admin/cases/case/{case.pk}/change/").content.decode()
    assert citizen.id_number not in page
    shown = client.post(f"/admin/cases/case/{case.pk}/reveal/").content.decode()
    assert citizen.id_number in shown
    event = case.events.get(action="id_number_revealed")
    assert event.actor == admin


def test_the_admin_shows_a_follow_up_read_only_and_sends_to_its_page(
    superuser_client: tuple[Client, User], citizen: User, item: ItemVersion
) -> None:
    client, _admin = superuser_client
    case = f.submitted_case(applicant=citizen, version=item)
    rating = Rating.objects.create(case=case, rater=citizen, score=1, attitude=1, speed=1, convenience=1)
    follow_up = FollowUp.objects.create(rating=rating, district=case.accepting_district)
    # The change form cannot set the status by itself.
    client.post(f"/admin/cases/followup/{follow_up.pk}/change/", {"status": "done", "note": "x"})
    follow_up.refresh_from_db()
    assert follow_up.status == "open"
    page = client.get(f"/admin/cases/followup/{follow_up.pk}/change/").content.decode()
    assert f"/cases/follow-ups/{follow_up.pk}/" in page
    assert not case.events.filter(action__startswith="follow_up").exists()


def test_an_id_number_and_phone_are_corrected_through_a_recorded_step(
    superuser_client: tuple[Client, User], citizen: User
) -> None:
    from accounts.services import user_identifiers_correct

    client, admin = superuser_client
    citizen.phone = PHONE
    citizen.save()
    old_id = citizen.id_number
    url = f"/admin/accounts/user/{citizen.pk}/correct/"
    assert url in client.get(f"/admin/accounts/user/{citizen.pk}/change/").content.decode()
    asked = client.get(url).content.decode()
    assert old_id not in asked and PHONE not in asked  # the form shows the current values masked only
    assert citizen.masked_id_number in asked
    # Without a reason nothing changes and nothing is recorded.
    new_id = f.id_number(4242)
    refused = client.post(url, {"id_number": new_id, "phone": "13900001111", "reason": ""})
    assert refused.status_code == 200
    citizen.refresh_from_db()
    assert (citizen.id_number, citizen.phone) == (old_id, PHONE)
    assert not LogEntry.objects.filter(object_id=str(citizen.pk)).exists()
    # A malformed ID number is refused with its message.
    bad = client.post(url, {"id_number": "31010119900101123", "reason": "证件号码录入错误"}).content.decode()
    citizen.refresh_from_db()
    assert citizen.id_number == old_id and "errorlist" in bad
    # The correction: saved, and recorded with who, why, and the old and new values masked (never in full).
    done = client.post(url, {"id_number": new_id, "phone": "13900001111", "reason": "证件号码录入错误"})
    assert done.status_code == 302
    citizen.refresh_from_db()
    assert (citizen.id_number, citizen.phone) == (new_id, "13900001111")
    entry = LogEntry.objects.get(object_id=str(citizen.pk))
    assert entry.user_id == admin.pk
    message = entry.change_message
    assert "证件号码录入错误" in message and mask_phone(PHONE) in message and mask_phone("13900001111") in message
    assert old_id not in message and new_id not in message and PHONE not in message
    # The same values again: nothing to correct, nothing recorded.
    with pytest.raises(Invalid) as unchanged:
        user_identifiers_correct(user=citizen, actor=admin, reason="again", id_number=new_id)
    assert unchanged.value.code == "unchanged"
    assert LogEntry.objects.filter(object_id=str(citizen.pk)).count() == 1
