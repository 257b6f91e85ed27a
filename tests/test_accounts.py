"""Users, roles, identifiers and the two ways into the API."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.test import Client
from rest_framework.authtoken.models import Token

from accounts.identifiers import mask_id_number, validate_credit_code, validate_id_number
from accounts.models import User
from seed.demo_accounts import DEMO_CITIZEN_ID, DEMO_PASSWORD, demo_accounts_load
from standards.models import District, ServiceWindow


def test_it_accepts_a_valid_id_number_and_catches_a_typo() -> None:
    validate_id_number(DEMO_CITIZEN_ID)
    typo = DEMO_CITIZEN_ID[:-1] + ("1" if DEMO_CITIZEN_ID[-1] != "1" else "2")
    with pytest.raises(ValidationError) as error:
        validate_id_number(typo)
    assert error.value.code == "check"
    with pytest.raises(ValidationError) as error:
        validate_id_number("12345")
    assert error.value.code == "format"


def test_it_checks_the_credit_code_check_character() -> None:
    validate_credit_code("91350100M000100Y43")  # a published example code
    with pytest.raises(ValidationError) as error:
        validate_credit_code("91350100M000100Y44")
    assert error.value.code == "check"
    with pytest.raises(ValidationError) as error:
        validate_credit_code("91350100M000100YI3")  # I is not in the alphabet
    assert error.value.code == "format"


def test_it_masks_id_numbers_to_region_and_last_four() -> None:
    assert mask_id_number("310101199003071230") == "310101********1230"
    assert mask_id_number("") == ""


@pytest.mark.django_db
def test_a_clerk_must_have_a_district_and_a_window_of_that_district() -> None:
    huangpu = District.objects.get(division_code="310101")
    shushan_window = ServiceWindow.objects.get(code="340104-YRD")
    clerk = User(username="c", role=User.Role.CLERK, district=huangpu, window=shushan_window)
    with pytest.raises(ValidationError) as error:
        clerk.full_clean()
    assert "window" in error.value.message_dict
    with pytest.raises(IntegrityError):
        User.objects.create(username="nowhere", role=User.Role.CLERK)


@pytest.mark.django_db
def test_the_demo_load_makes_one_account_per_role_and_clerks_everywhere_and_can_run_twice() -> None:
    demo_accounts_load()
    demo_accounts_load()
    roles = set(User.objects.values_list("role", flat=True))
    assert roles == {choice.value for choice in User.Role}
    clerk_districts = set(User.objects.filter(role="clerk").values_list("district__division_code", flat=True))
    assert len(clerk_districts) == 9
    assert User.objects.filter(username="zhangsan").count() == 1


@pytest.mark.django_db
def test_the_login_page_signs_in_and_shows_the_user(client: Client) -> None:
    from django.test import Client

    demo_accounts_load()
    page = client.get("/accounts/login/")
    assert page.status_code == 200
    response = client.post("/accounts/login/", {"username": "zhangsan", "password": DEMO_PASSWORD}, follow=True)
    assert response.status_code == 200
    assert "张三" in response.content.decode()
    wrong = Client().post("/accounts/login/", {"username": "zhangsan", "password": "nope"})
    assert wrong.status_code == 200
    assert "not right" in wrong.content.decode() or "不正确" in wrong.content.decode()


@pytest.mark.django_db
def test_the_api_knows_a_session_user_and_masks_the_id_number(client: Client) -> None:
    demo_accounts_load()
    assert client.get("/api/me/").status_code in (401, 403)
    client.force_login(User.objects.get(username="zhangsan"))
    body = client.get("/api/me/").json()
    assert body["role"] == "citizen"
    assert body["id_number"] == mask_id_number(DEMO_CITIZEN_ID)
    assert DEMO_CITIZEN_ID not in str(body)


@pytest.mark.django_db
def test_the_api_exchanges_a_password_for_a_token_and_accepts_it(client: Client) -> None:
    demo_accounts_load()
    bad = client.post("/api/auth/token/", {"username": "clerk_huangpu", "password": "wrong"})
    assert bad.status_code == 400
    good = client.post("/api/auth/token/", {"username": "clerk_huangpu", "password": DEMO_PASSWORD})
    assert good.status_code == 200
    key = good.json()["token"]
    assert Token.objects.get(key=key).user.username == "clerk_huangpu"
    me = client.get("/api/me/", HTTP_AUTHORIZATION=f"Token {key}").json()
    assert me["district"] == "310101" and me["window"] == "310101-YRD"
