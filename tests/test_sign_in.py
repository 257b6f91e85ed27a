"""Signing in under attack: lockout per account and per address, sessions that end, tokens that expire."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest
import websockets
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.forms import PasswordChangeForm
from django.core.cache import cache
from django.test import Client, RequestFactory
from django.utils import timezone
from rest_framework.authtoken.models import Token
from websockets.exceptions import ConnectionClosed
from websockets.typing import Origin

from accounts.models import User
from govservice.client_ip import client_ip, parse_networks
from govservice.sessions import LAST_SEEN, SIGNED_IN
from tests.factories import make_user

if TYPE_CHECKING:
    from pytest_django.fixtures import SettingsWrapper

    from tests.conftest import LiveStack

PASSWORD = "c9-Strong-pass-2026"
LIMIT = settings.AXES_FAILURE_LIMIT


@pytest.fixture(autouse=True)
def _no_leftover_throttle() -> Iterator[None]:
    # The token endpoint's rate is counted in the shared Redis cache per address: leave none behind.
    cache.delete("throttle_login_127.0.0.1")
    yield
    cache.delete("throttle_login_127.0.0.1")


@pytest.fixture(autouse=True)
def _fast_hashes(request: pytest.FixtureRequest, settings: SettingsWrapper) -> None:
    # A password check costs ~2 s with the production hasher on a busy machine, and these tests make
    # dozens; the live server keeps the production hasher (its users are made with it).
    if "live_stack" not in request.fixturenames:
        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def sign_in(client: Client, path: str, username: str, password: str) -> Any:
    return client.post(path, {"username": username, "password": password, "next": "/"})


# --- Lockout (django-axes) --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_wrong_passwords_lock_the_account_and_the_right_one_then_does_not_sign_in() -> None:
    user = make_user(password=PASSWORD)
    client = Client()
    for _ in range(LIMIT):
        sign_in(client, "/accounts/login/", user.username, "wrong")
    answer = sign_in(client, "/accounts/login/", user.username, PASSWORD)
    assert answer.status_code == 429
    assert "_auth_user_id" not in client.session
    assert "登录失败次数过多" in answer.content.decode()
    assert int(answer["Retry-After"]) == settings.AXES_COOLOFF_TIME.total_seconds()
    english = Client()
    english.cookies["django_language"] = "en"
    english_answer = sign_in(english, "/accounts/login/", user.username, PASSWORD)
    assert english_answer.status_code == 429
    assert "Too many failed sign-in attempts" in english_answer.content.decode()


@pytest.mark.django_db
def test_the_admin_login_locks_too() -> None:
    admin = make_user("supervisor", password=PASSWORD, is_staff=True, is_superuser=True)
    client = Client()
    for _ in range(LIMIT):
        sign_in(client, "/admin/login/", admin.username, "wrong")
    answer = sign_in(client, "/admin/login/", admin.username, PASSWORD)
    assert answer.status_code == 429
    assert client.get("/admin/").status_code == 302  # still not signed in


@pytest.mark.django_db
def test_failures_spread_over_accounts_lock_the_address() -> None:
    victims = [make_user(password=PASSWORD) for _ in range(LIMIT)]
    client = Client()
    for victim in victims:
        sign_in(client, "/accounts/login/", victim.username, "wrong")
    fresh = make_user(password=PASSWORD)
    assert sign_in(client, "/accounts/login/", fresh.username, PASSWORD).status_code == 429
    # Another address is not locked: the same account signs in from there.
    other = Client(REMOTE_ADDR="10.1.2.3")
    assert sign_in(other, "/accounts/login/", fresh.username, PASSWORD).status_code == 302


@pytest.mark.django_db
def test_the_lock_ends_after_the_cool_off_and_a_supervisor_can_lift_it_sooner() -> None:
    user = make_user(password=PASSWORD)
    client = Client()
    for _ in range(LIMIT):
        sign_in(client, "/accounts/login/", user.username, "wrong")
    assert sign_in(client, "/accounts/login/", user.username, PASSWORD).status_code == 429

    # A superuser lifts it in the admin (Access attempts: delete).
    admin = make_user("supervisor", is_staff=True, is_superuser=True)
    admin_client = Client(REMOTE_ADDR="10.9.9.9")
    admin_client.force_login(admin)
    ids = [str(pk) for pk in AccessAttempt.objects.values_list("pk", flat=True)]
    lifted = admin_client.post(
        "/admin/axes/accessattempt/", {"action": "delete_selected", "_selected_action": ids, "post": "yes"}
    )
    assert lifted.status_code == 302
    assert sign_in(client, "/accounts/login/", user.username, PASSWORD).status_code == 302

    # Locked again, then the cool-off passes.
    client.logout()
    for _ in range(LIMIT):
        sign_in(client, "/accounts/login/", user.username, "wrong")
    assert sign_in(client, "/accounts/login/", user.username, PASSWORD).status_code == 429
    AccessAttempt.objects.update(attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME - timedelta(seconds=1))
    assert sign_in(client, "/accounts/login/", user.username, PASSWORD).status_code == 302


@pytest.mark.django_db
def test_the_token_endpoint_answers_locked_out_with_the_error_body() -> None:
    user = make_user(password=PASSWORD)
    client = Client()
    for n in range(LIMIT):
        # Each from another address (no trusted proxy: X-Forwarded-For is not believed), past the rate limit.
        cache.delete("throttle_login_127.0.0.1")
        client.post(
            "/api/auth/token/", {"username": user.username, "password": "wrong"}, HTTP_X_FORWARDED_FOR=f"10.0.0.{n}"
        )
    cache.delete("throttle_login_127.0.0.1")
    answer = client.post("/api/auth/token/", {"username": user.username, "password": PASSWORD})
    assert answer.status_code == 429
    body = answer.json()
    assert body["code"] == "locked_out"
    assert body["detail"]
    assert not Token.objects.filter(user=user).exists()


def test_x_forwarded_for_is_believed_only_from_a_trusted_proxy(settings: SettingsWrapper) -> None:
    factory = RequestFactory()
    spoofed = factory.get("/", REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_FOR="1.2.3.4")
    settings.TRUSTED_PROXIES = ()
    assert client_ip(spoofed) == "203.0.113.7"
    settings.TRUSTED_PROXIES = parse_networks("TRUSTED_PROXIES", ["10.0.0.0/8", "192.0.2.1"])
    assert client_ip(spoofed) == "203.0.113.7"  # not from a proxy of ours
    # Through two proxies of ours: the right-most address that is not ours; the client's own claim is ignored.
    proxied = factory.get("/", REMOTE_ADDR="192.0.2.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.4, 10.1.1.1")
    assert client_ip(proxied) == "198.51.100.4"


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_a_new_x_forwarded_for_each_time_does_not_escape_the_limits_of_the_live_server(live_stack: LiveStack) -> None:
    # Guesses spread over many account names, each claiming another address: the address is still the
    # peer's (no trusted proxy configured), so it is the one throttled and locked.
    user = make_user(password=PASSWORD)

    def token(username: str, password: str, n: int) -> tuple[int, dict[str, Any]]:
        request = urllib.request.Request(
            live_stack.url("/api/auth/token/"),
            data=json.dumps({"username": username, "password": password}).encode(),
            headers={"Content-Type": "application/json", "X-Forwarded-For": f"198.51.100.{n}"},
        )
        try:
            with urllib.request.urlopen(request, timeout=15) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())

    answers = [token(f"nobody-{n}", "wrong", n) for n in range(LIMIT + 1)]
    assert answers[-1][0] == 429, answers[-1]
    status, body = token(user.username, PASSWORD, 200)
    assert status == 429, body
    assert body["code"] in {"locked_out", "throttled"}
    assert "token" not in body


# --- Sessions: idle timeout and absolute lifetime -----------------------------------------------------------


@pytest.mark.django_db
def test_a_session_idle_longer_than_the_timeout_is_signed_out() -> None:
    client = Client()
    client.force_login(make_user())
    assert client.get("/api/me/").status_code == 200
    session = client.session
    session[LAST_SEEN] = time.time() - settings.SESSION_IDLE_SECONDS - 5
    session.save()
    assert client.get("/api/me/").status_code == 403
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_an_active_session_stays_and_ends_at_its_absolute_lifetime() -> None:
    client = Client()
    client.force_login(make_user())
    session = client.session
    session[LAST_SEEN] = time.time() - settings.SESSION_IDLE_SECONDS + 120
    session.save()
    assert client.get("/api/me/").status_code == 200
    assert client.session[LAST_SEEN] > time.time() - 10  # the request counted as activity
    session = client.session
    session[SIGNED_IN] = time.time() - settings.SESSION_COOKIE_AGE - 5
    session.save()
    assert client.get("/api/me/").status_code == 403


def test_the_limits_are_thirty_minutes_idle_and_twelve_hours_in_all_by_default() -> None:
    assert settings.SESSION_IDLE_SECONDS == 30 * 60
    assert settings.SESSION_COOKIE_AGE == 12 * 3600


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_a_socket_opened_with_an_idle_session_is_anonymous(live_stack: LiveStack) -> None:
    user = make_user()
    client = Client()
    client.force_login(user)
    store = client.session
    store[LAST_SEEN] = time.time() - settings.SESSION_IDLE_SECONDS - 5
    store.save()

    async def connect() -> None:
        async with websockets.connect(
            live_stack.ws("/ws/events/"),
            additional_headers={"Cookie": f"sessionid={store.session_key}"},
            origin=Origin(live_stack.http_url),
        ) as socket:
            await asyncio.wait_for(socket.recv(), 10)

    with pytest.raises(ConnectionClosed):
        asyncio.run(connect())


# --- API tokens: expiry and revocation ---------------------------------------------------------------------


def token_for(client: Client, user: User) -> str:
    answer = client.post("/api/auth/token/", {"username": user.username, "password": PASSWORD})
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["expires_at"]
    key: str = body["token"]
    return key


def refused(client: Client, key: str) -> bool:
    answer = client.get("/api/me/", HTTP_AUTHORIZATION=f"Token {key}")
    return answer.status_code == 403 and answer.json()["code"] == "authentication_failed"


@pytest.mark.django_db
def test_a_token_expires_and_the_endpoint_then_issues_a_new_one() -> None:
    user = make_user(password=PASSWORD)
    client = Client()
    key = token_for(client, user)
    Token.objects.filter(key=key).update(created=timezone.now() - settings.API_TOKEN_TTL - timedelta(seconds=1))
    refused = client.get("/api/me/", HTTP_AUTHORIZATION=f"Token {key}")
    # 403, not 401: the session is the first way in and sends no WWW-Authenticate challenge (DRF).
    assert refused.status_code == 403
    assert refused.json()["code"] == "token_expired"
    fresh = token_for(client, user)
    assert fresh != key
    assert client.get("/api/me/", HTTP_AUTHORIZATION=f"Token {fresh}").status_code == 200


@pytest.mark.django_db
def test_logging_out_through_the_api_revokes_the_token() -> None:
    user = make_user(password=PASSWORD)
    client = Client()
    key = token_for(client, user)
    assert client.post("/api/auth/logout/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 204
    assert refused(client, key)


@pytest.mark.django_db
def test_logging_out_of_the_pages_revokes_the_token_too() -> None:
    user = make_user(password=PASSWORD)
    key = token_for(Client(), user)
    browser = Client()
    browser.force_login(user)
    browser.post("/accounts/logout/")
    assert refused(Client(), key)


@pytest.mark.django_db
def test_a_password_change_revokes_the_token() -> None:
    user = make_user(password=PASSWORD)
    key = token_for(Client(), user)
    form = PasswordChangeForm(
        user, {"old_password": PASSWORD, "new_password1": "An0ther-long-pass", "new_password2": "An0ther-long-pass"}
    )
    assert form.is_valid(), form.errors
    form.save()
    assert refused(Client(), key)


@pytest.mark.django_db
def test_the_schema_documents_the_token_answer_and_the_logout(client: Client) -> None:
    schema = client.get("/api/schema/?format=json").json()
    token = schema["paths"]["/api/auth/token/"]["post"]["responses"]
    assert {"200", "429"} <= set(token)
    assert "/api/auth/logout/" in schema["paths"]
    assert "expires_at" in json.dumps(schema["components"]["schemas"]["TokenAnswer"])
