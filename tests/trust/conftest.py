from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from accounts.models import User
from standards.models import ItemVersion
from tests import factories as f

if TYPE_CHECKING:
    from pytest_django.fixtures import SettingsWrapper


@pytest.fixture(autouse=True)
def _media_in_tmp(settings: SettingsWrapper, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def item(db: None) -> ItemVersion:
    return f.make_item()


@pytest.fixture
def huangpu_clerk(db: None) -> User:
    return f.make_user("clerk", code=f.HUANGPU)


@pytest.fixture
def shushan_clerk(db: None) -> User:
    return f.make_user("clerk", code=f.SHUSHAN)


@pytest.fixture
def citizen(db: None) -> User:
    return f.make_user("citizen")
