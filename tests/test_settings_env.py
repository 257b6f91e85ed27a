"""The settings read typed environment variables and refuse bad values loudly."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from govservice.env import env_bool, env_choice, env_int, env_list, env_str
from govservice.redis_urls import kombu_url, validate_redis_url

BASE_DIR = Path(__file__).resolve().parent.parent


def test_it_reads_booleans_and_refuses_anything_else(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLAG", "yes")
    assert env_bool("FLAG", False) is True
    monkeypatch.setenv("FLAG", "off")
    assert env_bool("FLAG", True) is False
    monkeypatch.setenv("FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="FLAG"):
        env_bool("FLAG", False)


def test_it_uses_the_default_for_unset_or_blank(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NUMBER", raising=False)
    assert env_int("NUMBER", 7) == 7
    monkeypatch.setenv("NUMBER", "  ")
    assert env_int("NUMBER", 7) == 7
    assert env_list("NUMBER", ["a"]) == ["a"]


def test_it_refuses_integers_out_of_range_or_malformed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NUMBER", "12x")
    with pytest.raises(ImproperlyConfigured, match="not an integer"):
        env_int("NUMBER", 1)
    monkeypatch.setenv("NUMBER", "5")
    with pytest.raises(ImproperlyConfigured, match="below the minimum"):
        env_int("NUMBER", 1, minimum=10)


def test_it_requires_variables_without_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MUST", raising=False)
    with pytest.raises(ImproperlyConfigured, match="MUST is required"):
        env_str("MUST")


def test_it_splits_lists_and_checks_choices(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOSTS", "a.example, b.example,,")
    assert env_list("HOSTS", []) == ["a.example", "b.example"]
    monkeypatch.setenv("LEVEL", "LOUD")
    with pytest.raises(ImproperlyConfigured, match="LEVEL"):
        env_choice("LEVEL", "INFO", ("INFO", "DEBUG"))


def test_it_translates_the_embedded_socket_url_for_kombu() -> None:
    assert kombu_url("unix:///srv/var/redis.sock?db=0") == "redis+socket:///srv/var/redis.sock?virtual_host=0"
    assert kombu_url("redis://127.0.0.1:6379/3") == "redis://127.0.0.1:6379/3"
    with pytest.raises(ImproperlyConfigured):
        validate_redis_url("http://127.0.0.1:6379")
    with pytest.raises(ImproperlyConfigured):
        validate_redis_url("redis://")


def _check(env_overrides: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "HTTPS", "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "manage.py", "check", *args], cwd=BASE_DIR, env=env, capture_output=True, text=True
    )


def test_a_bad_variable_stops_the_start_with_its_name() -> None:
    result = _check({"DEBUG": "sometimes"})
    assert result.returncode != 0
    assert "DEBUG='sometimes' is not a boolean" in result.stderr


def test_a_bad_database_url_stops_the_start() -> None:
    result = _check({"DATABASE_URL": "nosuchdb://x"})
    assert result.returncode != 0
    assert "DATABASE_URL" in result.stderr


def test_the_production_settings_pass_the_deploy_check() -> None:
    result = _check(
        {
            "SECRET_KEY": "k" * 20 + "Q8v!x2#Lm@9zR4t&Yp7wN1cS5dF0gH3j",
            "ALLOWED_HOSTS": "tongban.example.gov.cn",
            "HTTPS": "true",
            "DEBUG": "false",
        },
        "--deploy",
        "--fail-level",
        "WARNING",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_the_laptop_defaults_are_refused_by_the_deploy_check() -> None:
    result = _check({"HTTPS": "false"}, "--deploy", "--fail-level", "WARNING")
    assert result.returncode != 0
    assert "security.W008" in result.stderr + result.stdout  # SECURE_SSL_REDIRECT off


def test_the_migrations_match_the_models() -> None:
    result = subprocess.run(
        [sys.executable, "manage.py", "makemigrations", "--check", "--dry-run"],
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
