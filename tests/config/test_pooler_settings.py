"""DB_POOLER=pgbouncer gives the database settings transaction pooling needs, and a value
the settings do not know is refused at start rather than silently ignored."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROBE = ("import json; from django.conf import settings; d = settings.DATABASES['default']; "
         "print(json.dumps({'cursors_off': d.get('DISABLE_SERVER_SIDE_CURSORS', False), "
         "'options': d.get('OPTIONS', {})}))")


def settings_with(**env):
    environ = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.base", **env}
    return subprocess.run([sys.executable, "-c", "import django; django.setup(); " + PROBE],
                          cwd=ROOT, env=environ, capture_output=True, text=True, timeout=60)


def test_pgbouncer_turns_off_server_side_cursors_and_prepared_statements():
    done = settings_with(DB_POOLER="pgbouncer",
                         DATABASE_URL="postgres://app@127.0.0.1:6432/disclosure")
    assert done.returncode == 0, done.stderr
    database = json.loads(done.stdout)
    assert database["cursors_off"] is True
    assert "prepare_threshold" in database["options"]
    assert database["options"]["prepare_threshold"] is None


def test_without_a_pooler_server_side_cursors_stay_on():
    done = settings_with(DB_POOLER="", DATABASE_URL="postgres://app@127.0.0.1:5432/disclosure")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["cursors_off"] is False


def test_an_unknown_pooler_or_a_pooler_without_postgresql_is_refused():
    unknown = settings_with(DB_POOLER="pgpool",
                            DATABASE_URL="postgres://app@127.0.0.1:6432/disclosure")
    assert unknown.returncode != 0 and "DB_POOLER must be empty or 'pgbouncer'" in unknown.stderr
    sqlite = settings_with(DB_POOLER="pgbouncer", DATABASE_URL="sqlite:////tmp/x.sqlite3")
    assert sqlite.returncode != 0 and "needs a PostgreSQL DATABASE_URL" in sqlite.stderr


def test_without_pgbouncer_installed_make_test_runs_the_integration_tests_directly(
        monkeypatch, capsys):
    from testsupport import pgbouncer

    monkeypatch.setattr(pgbouncer, "_binary", lambda: None)
    monkeypatch.setenv("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test")
    monkeypatch.delenv("REQUIRE_SERVICES", raising=False)
    ran = [sys.executable, "-c", "import os, sys; sys.exit(0 if 'DB_POOLER' not in os.environ "
                                 "else 3)"]
    assert pgbouncer.main(["--", *ran]) == 0
    assert "directly on PostgreSQL" in capsys.readouterr().err

    monkeypatch.setenv("REQUIRE_SERVICES", "1")
    with pytest.raises(SystemExit) as refused:
        pgbouncer.main(["--", *ran])
    assert refused.value.code == 2
    assert "not installed" in capsys.readouterr().err
