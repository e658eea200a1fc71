"""In production the application connects as a role that owns nothing: it cannot disable
the audit table's trigger, rewrite or delete events, or change the schema, and it can run
the whole application. The roles and grants are those of docker-compose
(deploy/postgres/), applied here to a scratch database on the real PostgreSQL.

The roles are cluster-wide: the test creates and drops `disclosure_owner` and
`disclosure_app`, so run it against a test cluster, not one that serves the application.
"""

import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from django.conf import settings

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[2]
INIT = ROOT / "deploy" / "postgres"
GRANTS = INIT / "20-grants.sql"
OWNER, APP = "disclosure_owner", "disclosure_app"


def url(user, dbname):
    db = settings.DATABASES["default"]
    return f"postgres://{user}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{dbname}"


def manage(*args, user, dbname, var_dir):
    env = {**os.environ, "DATABASE_URL": url(user, dbname),
           "DJANGO_SETTINGS_MODULE": "config.settings.base", "VAR_DIR": str(var_dir)}
    env.pop("REDIS_URL", None)  # tasks in-process: nothing left queued in a shared Redis
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture
def scratch_database(tmp_path):
    """A database prepared as the postgres image's entrypoint does with deploy/postgres/:
    it creates $POSTGRES_DB, runs 10-roles.sh, then applies 20-grants.sql with psql."""
    db = settings.DATABASES["default"]
    superuser = db["USER"]
    name = f"{db['NAME']}_roles"
    with psycopg.connect(url(superuser, "postgres"), autocommit=True) as su:
        _drop(su, name)
        su.execute(f'CREATE DATABASE "{name}"')
    env = {**os.environ, "POSTGRES_USER": superuser, "POSTGRES_DB": name,
           "PGHOST": db["HOST"] or "127.0.0.1", "PGPORT": str(db["PORT"] or 5432),
           "DB_OWNER_PASSWORD": "owner-pw", "DB_APP_PASSWORD": "app-pw"}
    for command in (["sh", str(INIT / "10-roles.sh")],
                    ["psql", "-v", "ON_ERROR_STOP=1", "--no-psqlrc", "--username", superuser,
                     "--dbname", name, "-f", str(GRANTS)]):
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
    yield name
    with psycopg.connect(url(superuser, "postgres"), autocommit=True) as su:
        _drop(su, name)


def _drop(su, name):
    """The scratch database and the roles (cluster-wide: a run before may have left them)."""
    su.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
               [name])
    su.execute(f'DROP DATABASE IF EXISTS "{name}"')
    for role in (OWNER, APP):
        su.execute(f"DROP ROLE IF EXISTS {role}")


def refused(conn, statement, *params) -> str:
    """The error PostgreSQL answers `statement` with (it must refuse it)."""
    with pytest.raises(psycopg.errors.InsufficientPrivilege) as error:
        conn.execute(statement, params or None)
    return str(error.value)


def test_the_application_role_cannot_disable_the_trigger_or_rewrite_events(
        scratch_database, tmp_path):
    migrated = manage("migrate", "--noinput", user=OWNER, dbname=scratch_database,
                      var_dir=tmp_path)
    assert migrated.returncode == 0, migrated.stderr

    # the application runs as its own role: the demo agency's reviews and releases
    seeded = manage("seed_demo", "--password", "x-demo-pass-1", user=APP,
                    dbname=scratch_database, var_dir=tmp_path)
    assert seeded.returncode == 0, seeded.stderr
    verified = manage("verify_audit_trail", user=APP, dbname=scratch_database,
                      var_dir=tmp_path)
    assert verified.returncode == 0, verified.stderr
    assert "wenxian_housing: OK" in verified.stdout

    with psycopg.connect(url(APP, scratch_database), autocommit=True) as app:
        count = app.execute("SELECT count(*) FROM audit_auditevent").fetchone()[0]
        assert count > 0
        # writing an event is what it does all day
        app.execute("INSERT INTO audit_auditevent (agency_id, seq, subject_type, action, "
                    "actor_username, tier, at, fingerprint, comment, data, prev_hash, hash, "
                    "hash_form) SELECT agency_id, max(seq) + 1, '', 'probe', '', '', now(), "
                    "'', '', '{}', '', 'x', 2 FROM audit_auditevent GROUP BY agency_id "
                    "LIMIT 1")
        assert app.execute("SELECT count(*) FROM audit_auditevent").fetchone()[0] == count + 1

        assert "must be owner" in refused(
            app, "ALTER TABLE audit_auditevent DISABLE TRIGGER audit_event_append_only")
        assert "must be owner" in refused(
            app, "ALTER TABLE audit_auditevent DISABLE TRIGGER ALL")
        assert "must be owner" in refused(
            app, "DROP TRIGGER audit_event_append_only ON audit_auditevent")
        assert "append-only" in refused(app, "UPDATE audit_auditevent SET comment = 'x'")
        assert "append-only" in refused(app, "DELETE FROM audit_auditevent")
        refused(app, "TRUNCATE audit_auditevent")
        refused(app, "CREATE TABLE audit_shadow (id int)")
        refused(app, "ALTER TABLE audit_auditchain OWNER TO disclosure_app")
        assert app.execute("SELECT count(*) FROM audit_auditevent").fetchone()[0] == count + 1

    # the owner, who runs migrations, is the one who could: it owns the table
    with psycopg.connect(url(OWNER, scratch_database), autocommit=True) as owner:
        owner_of = owner.execute("SELECT tableowner FROM pg_tables "
                                 "WHERE tablename = 'audit_auditevent'").fetchone()[0]
        assert owner_of == OWNER
