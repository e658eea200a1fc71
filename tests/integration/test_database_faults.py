"""PostgreSQL dropping connections (a failover, a restart, `pg_terminate_backend`) while
approvals and deliveries run: workers and web processes reconnect by themselves.

Observed on main before the fix: after the worker's connection was terminated, every later
delivery task failed with "the connection is closed" until the worker was restarted, and
a web process answered 500 once per dead pooled connection.
"""

import io
import json

import psycopg
import pytest
from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.db import connection

from accounts.services import issue_token
from audit.verification import verify_chain
from testsupport.factories import make_org, submitted_item
from testsupport.workers import Worker, direct_database_url

from .helpers import approve_items, org_with_webhook, wait_until_published

pytestmark = [pytest.mark.postgres, pytest.mark.usefixtures("committed_db")]


def terminate(*, but=()) -> int:
    """pg_terminate_backend on every connection to the test database except `but`, from a
    connection of its own; returns how many were terminated."""
    with psycopg.connect(direct_database_url(), autocommit=True) as admin:
        rows = admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid() AND NOT pid = ANY(%s)",
            [settings.DATABASES["default"]["NAME"], list(but)]).fetchall()
    return len(rows)


def own_backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def test_a_worker_whose_connection_was_terminated_delivers_on_without_a_restart(
        broker, receiver):
    org = org_with_webhook(receiver)
    worker = Worker(broker.conf.broker_url, "w1", concurrency=1, pool="solo")
    try:
        approve_items(org, 3)
        wait_until_published(3)
        assert terminate(but=[own_backend_pid()]) >= 1  # the worker's pooled connection
        approve_items(org, 5)
        wait_until_published(8, timeout=60, sweep_every=3)
        assert terminate(but=[own_backend_pid()]) >= 1  # and once more, mid-stream
        approve_items(org, 4)
        wait_until_published(12, timeout=60, sweep_every=3)
        assert worker.proc.poll() is None  # the same worker process did it all
    finally:
        worker.stop()
    assert len({e["body"]["data"]["id"] for e in receiver.accepted("publication.released")}
               ) == 12
    assert verify_chain(org.agency).ok


def wsgi_get(path, token) -> tuple[str, bytes]:
    """A request through Django's WSGI handler, as gunicorn makes it (the test client
    switches off the per-request connection handling this is about)."""
    answer = {}

    def start_response(status, headers, exc_info=None):
        answer["status"] = status

    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": path, "QUERY_STRING": "",
               "SERVER_NAME": "testserver", "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1",
               "wsgi.input": io.BytesIO(b""), "wsgi.errors": io.StringIO(),
               "wsgi.url_scheme": "http", "HTTP_AUTHORIZATION": f"Token {token}"}
    body = b"".join(WSGIHandler()(environ, start_response))
    return answer["status"], body


def test_a_web_request_on_a_terminated_pooled_connection_is_served(settings):
    settings.DEBUG_PROPAGATE_EXCEPTIONS = False
    org = make_org()
    submitted_item(org)
    token, _ = issue_token(user=org["head_office"])
    status, _body = wsgi_get("/api/v1/tasks/", token)
    assert status.startswith("200")
    pid = own_backend_pid()  # the pooled connection the next request reuses
    with psycopg.connect(direct_database_url(), autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])
    status, body = wsgi_get("/api/v1/tasks/", token)
    assert status.startswith("200"), body[:300]
    assert json.loads(body)["count"] == 1
    assert own_backend_pid() != pid
