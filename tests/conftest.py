import os

import pytest
from django.db import connection

from .factories import make_org


def pytest_collection_modifyitems(config, items):
    """PostgreSQL-only tests are skipped on SQLite, except in CI where that is an error."""
    on_postgres = connection.vendor == "postgresql"
    if on_postgres:
        return
    if os.environ.get("REQUIRE_SERVICES"):
        raise pytest.UsageError("REQUIRE_SERVICES is set but DATABASE_URL is not PostgreSQL")
    skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def org(db):
    return make_org()


@pytest.fixture
def other_org(db):
    return make_org(code="other_agency", prefix="other_")


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
