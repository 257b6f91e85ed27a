from __future__ import annotations

import pytest

from tests import factories as f


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def item(db):
    return f.make_item()


@pytest.fixture
def huangpu_clerk(db):
    return f.make_user("clerk", code=f.HUANGPU)


@pytest.fixture
def shushan_clerk(db):
    return f.make_user("clerk", code=f.SHUSHAN)


@pytest.fixture
def citizen(db):
    return f.make_user("citizen")
