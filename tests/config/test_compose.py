"""The compose stack's wiring (docker-compose.yml, parsed: there is no Docker engine here) and
its PgBouncer (deploy/pgbouncer/), whose entrypoint and configuration are run for real with
Debian's pgbouncer in front of the test database."""

import os
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest
import yaml
from django.conf import settings

from testsupport.workers import free_port

ROOT = Path(__file__).resolve().parents[2]
PGBOUNCER = ROOT / "deploy" / "pgbouncer"


@pytest.fixture(scope="module")
def services():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]


def address(url: str) -> str:
    """user@host:port of a compose DATABASE_URL, its ${PASSWORD:?...} left out."""
    parts = urlsplit(re.sub(r"\$\{[^}]*\}", "secret", url))
    return f"{parts.username}@{parts.hostname}:{parts.port}"


def test_web_worker_and_beat_reach_postgres_through_pgbouncer_in_transaction_mode(services):
    assert services["pgbouncer"]["build"] == "deploy/pgbouncer"
    for name in ("web", "worker", "beat"):
        env = services[name]["environment"]
        assert address(env["DATABASE_URL"]) == "disclosure_app@pgbouncer:6432", name
        assert env["DB_POOLER"] == "pgbouncer", name
        assert services[name]["depends_on"]["pgbouncer"]["condition"] == "service_healthy"
    assert "pool_mode = transaction" in (PGBOUNCER / "pgbouncer.ini").read_text()


def test_migrations_connect_to_postgres_directly_as_the_owner(services):
    env = services["migrate"]["environment"]
    assert address(env["DATABASE_URL"]) == "disclosure_owner@postgres:5432"
    assert env["DB_POOLER"] == ""


@pytest.fixture
def deployed_pgbouncer(db):
    """deploy/pgbouncer/entrypoint.sh as the image runs it (unprivileged), pointed at the
    PostgreSQL of the tests, with a password for the application role."""
    if not (shutil.which("pgbouncer") or os.path.exists("/usr/sbin/pgbouncer")):
        if os.environ.get("REQUIRE_SERVICES"):
            pytest.fail("REQUIRE_SERVICES is set but pgbouncer is not installed")
        pytest.skip("needs Debian's pgbouncer (apt-get install pgbouncer)")
    db = settings.DATABASES["default"]
    direct = urlsplit(os.environ.get("DATABASE_DIRECT_URL") or "")
    port = free_port()
    # a directory of its own that the unprivileged user can reach (the checkout and pytest's
    # tmp_path may not be), with copies of the two files the image holds
    home = Path(tempfile.mkdtemp(prefix="pgbouncer-deploy-"))
    for name in ("entrypoint.sh", "pgbouncer.ini"):
        shutil.copy(PGBOUNCER / name, home / name)
    run_dir = home / "run"
    env = {"PATH": os.environ["PATH"], "DB_APP_PASSWORD": 'pw "with" quotes',
           "DB_USER": db["USER"], "DB_NAME": db["NAME"],
           "DB_HOST": direct.hostname or db["HOST"] or "127.0.0.1",
           "DB_PORT": str(direct.port or db["PORT"] or 5432), "LISTEN_ADDR": "127.0.0.1",
           "LISTEN_PORT": str(port), "RUN_DIR": str(run_dir),
           "TEMPLATE": str(home / "pgbouncer.ini")}
    env["PATH"] += ":/usr/sbin"  # where Debian puts pgbouncer
    command = ["sh", str(home / "entrypoint.sh")]
    if os.geteuid() == 0:  # the image runs it as the package's user; PgBouncer refuses root
        command = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", *command]
        for path in (home, *home.iterdir()):
            shutil.chown(path, "nobody")
    proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.time() + 10
        while time.time() < deadline and proc.poll() is None:
            try:
                psycopg.connect(host="127.0.0.1", port=port, dbname="nonexistent",
                                user="nobody", password="x", connect_timeout=1).close()
            except psycopg.OperationalError as error:
                if "refused" not in str(error):
                    break  # it answers
            time.sleep(0.1)
        assert proc.poll() is None, proc.stdout.read()
        yield {"host": "127.0.0.1", "port": port, "dbname": db["NAME"], "user": db["USER"]}
    finally:
        proc.terminate()
        proc.wait(10)
        shutil.rmtree(home, ignore_errors=True)


@pytest.mark.postgres
def test_the_deployed_pgbouncer_admits_the_application_role_with_its_password_only(
        deployed_pgbouncer):
    with psycopg.connect(**deployed_pgbouncer, password='pw "with" quotes') as conn:
        assert conn.execute("SELECT current_database()").fetchone()[0] == settings.DATABASES[
            "default"]["NAME"]
    with pytest.raises(psycopg.OperationalError, match="SASL authentication failed"):
        psycopg.connect(**deployed_pgbouncer, password="wrong").close()
