import os
import uuid
from urllib.parse import urlsplit

import pytest
from django.db import connection, connections
from django.db.models.signals import post_migrate
from django.dispatch import receiver

from testsupport.factories import make_org
from testsupport.workers import RedisServer, reconnect

#: PostgreSQL itself when DATABASE_URL names a pooler (set by testsupport.pgbouncer)
DIRECT_URL = os.environ.get("DATABASE_DIRECT_URL", "")


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


def _connect_to(url: str) -> None:
    """Point the default database's host and port at `url`; the next query reconnects."""
    parts = urlsplit(url)
    connection.close()
    connection.settings_dict["HOST"] = parts.hostname or ""
    connection.settings_dict["PORT"] = str(parts.port or "")


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings):
    """With DATABASE_DIRECT_URL (`make test-pgbouncer`), the test databases are created on
    PostgreSQL itself: through PgBouncer, DROP DATABASE fails while the pool holds server
    connections to it."""
    if DIRECT_URL:
        _connect_to(DIRECT_URL)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """...and the tests, and the workers they start (testsupport.workers.database_url), go
    through the pooler. At the end the pool's idle server connections to the test database
    are ended (PgBouncer keeps them for server_idle_timeout), so that it can be dropped."""
    if not DIRECT_URL:
        yield
        return
    with django_db_blocker.unblock():
        _connect_to(os.environ["DATABASE_URL"])
    yield
    with django_db_blocker.unblock():
        _connect_to(DIRECT_URL)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                           "WHERE datname = current_database() AND pid <> pg_backend_pid()")


@pytest.fixture
def committed_db(transactional_db):
    """Real commits (for tests across connections), and a clean database afterwards.

    The audit table refuses TRUNCATE, which is how the test database is emptied after such
    a test; the table owner lifts that guard for the clean-up and puts it back after.
    """
    yield
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_event_no_truncate")


@receiver(post_migrate)
def _restore_after_flush(sender, using="default", **kwargs):
    """The database flush after a `committed_db` test ends with post_migrate: re-arm the
    audit guard, and put back the holiday calendar a data migration seeded."""
    conn = connections[using]
    if conn.vendor == "postgresql" and sender.label == "audit":
        with conn.cursor() as cursor:
            cursor.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER audit_event_no_truncate")
    if sender.label == "workdays":
        from workdays.holiday_data import seed
        from workdays.models import Holiday, HolidayYear

        seed(Holiday, HolidayYear)


@pytest.fixture
def org(db):
    return make_org()


@pytest.fixture
def other_org(db):
    return make_org(code="other_agency", prefix="other_")


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.AUDIT_CHECKPOINT_DIR = tmp_path / "checkpoints"


@pytest.fixture(autouse=True)
def _no_quiet_hours(settings):
    """Quiet hours off unless a test turns them on: what is e-mailed must not depend on the
    hour the suite runs at (tests/notifications/test_quiet_hours.py turns them on)."""
    settings.NOTIFICATION_QUIET_HOURS = False


@pytest.fixture(autouse=True)
def _own_cache(settings):
    """Each test its own cache namespace: the column's cached pages (publicsite.cache) and
    the abuse counters of one test's rows must not answer in the next test, whose database
    was rolled back. Not `cache.clear()`: on Redis that empties the database other test
    workers share."""
    default = settings.CACHES["default"]
    settings.CACHES = {**settings.CACHES,
                       "default": {**default, "KEY_PREFIX": f"test-{uuid.uuid4().hex}"}}
    """Each test starts in the site's language: a request made by an earlier test in English
    leaves English active in the thread, as it would in a server's worker thread."""
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _tasks_in_process():
    """Tasks run where they are dispatched, unless a test starts a real worker."""
    from config.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


@pytest.fixture
def redis_server(tmp_path):
    """A private redis-server on a free loopback port: stopping it hurts no other test."""
    server = RedisServer(tmp_path).start()
    yield server
    server.stop()


@pytest.fixture
def broker(redis_server):
    """Point this process's Celery app at the private Redis, publishing for real."""
    from config.celery import app

    saved = (app.conf.broker_url, app.conf.task_always_eager)
    app.conf.broker_url = redis_server.url
    app.conf.task_always_eager = False
    reconnect(app)
    yield app
    app.conf.broker_url, app.conf.task_always_eager = saved
    reconnect(app)
