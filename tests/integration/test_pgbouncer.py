"""The run of `make test-pgbouncer` really goes through a PgBouncer in transaction pooling
mode, so the integration tests prove what they claim about it: a connection of this run is
not pinned to one server session, and session state set on it turns up in another client's
transaction, which is why the code sets none (docs/operations.md#pgbouncer).

Directly on PostgreSQL, or through a pooler in session mode, no other client can ever get
our server session and the test fails; in statement mode the other client's transaction is
refused. It runs whenever DB_POOLER=pgbouncer, which testsupport.pgbouncer sets.
"""

import psycopg
import pytest
from django.conf import settings
from django.db import connection

from testsupport.workers import database_url

pytestmark = [
    pytest.mark.postgres, pytest.mark.usefixtures("committed_db"),
    pytest.mark.skipif(settings.DB_POOLER != "pgbouncer",
                       reason="only through PgBouncer (make test-pgbouncer)"),
]

PROBE = "SELECT pg_backend_pid(), current_setting('disclosure.probe', true)"


def test_a_connection_goes_back_to_the_pool_after_each_transaction_with_its_session_state():
    with connection.cursor() as cursor:
        # session-level, on purpose: what the code must never do under transaction pooling
        cursor.execute("SET disclosure.probe = 'set by the tests'")
        cursor.execute("SELECT pg_backend_pid()")
        ours = cursor.fetchone()[0]
    others = []
    try:
        # other clients open transactions (each holds a server) until one holds the server
        # session our connection has just used; the pool hands out the last one freed first
        for _ in range(15):
            other = psycopg.connect(database_url())  # not autocommit: stays in a transaction
            others.append(other)
            pid, probe = other.execute(PROBE).fetchone()
            if pid == ours:
                break
        else:
            pytest.fail(f"no other client got server session {ours}: not pooled per "
                        "transaction (is DATABASE_URL the pooler?)")
        assert probe == "set by the tests"  # our session state, in someone else's transaction
        with connection.cursor() as cursor:
            cursor.execute(PROBE)
            now, mine = cursor.fetchone()
        assert now != ours  # the same client connection, on another server session
        assert mine != "set by the tests"
        other.execute("RESET disclosure.probe")  # leave the pooled session as it was
        # What PgBouncer tracks per client (TimeZone, which Django sets when it connects;
        # client_encoding, DateStyle, application_name) is put back on whatever server
        # session the client lands on: here the one another client just changed.
        other.execute("SET TimeZone = 'Asia/Shanghai'")
        other.commit()
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('TimeZone')")
            assert cursor.fetchone()[0] == "UTC"
    finally:
        for other in others:
            other.close()
