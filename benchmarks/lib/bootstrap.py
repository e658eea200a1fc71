"""Django on a dedicated PostgreSQL benchmark database, and where a figure was measured.

`DATABASE_URL` names only the server: each script works in its own database (`--database`,
e.g. `bench_review`), which is DROPPED and re-created at every start (unless a script offers
to keep it, `reuse`) and then migrated. A fresh database rather than a flush, because the
audit table refuses TRUNCATE and DELETE by trigger, as it should. Names that do not start
with `bench` are refused unless `--any-name` is given, and the test suite's databases never
(it runs concurrently on the same server).
"""

import datetime as dt
import os
import platform
import subprocess
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BENCH_DIR = Path(__file__).resolve().parent.parent
REPO_ROOT = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"  # ignored by git (benchmarks/.gitignore)

POSTGRES_SCHEMES = ("postgres", "postgresql", "pgsql", "postgis")
# used by the test suite (pytest-xdist workers), possibly at this very moment
TEST_DATABASES = frozenset({"test", "test_test", "test_test_gw0", "test_test_gw1"})


def use_repository() -> None:
    """Put the repository root on sys.path, for the project's modules (and testsupport)."""
    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(1, str(REPO_ROOT))


def add_database_options(parser, default: str) -> None:
    parser.add_argument("--database", default=default,
                        help=f"dedicated benchmark database (default {default}); it is DROPPED "
                             "and re-created at start")
    parser.add_argument("--any-name", action="store_true",
                        help="allow a --database name not starting with 'bench' (it is dropped!)")


def check_database_name(parser, args) -> None:
    if args.database in TEST_DATABASES or args.database.startswith("test_"):
        parser.error(f"refusing {args.database!r}: the test suite uses it")
    if not args.database.startswith("bench") and not args.any_name:
        parser.error(f"refusing to drop database {args.database!r}: its name does not start "
                     "with 'bench' (pass --any-name if you really mean it)")


def database_url(base_url: str, name: str) -> str:
    return urlunsplit(urlsplit(base_url)._replace(path="/" + name))


def recreate_database(url: str, name: str) -> bool:
    """DROP (if it exists) and CREATE `name` on the server of `url`; True if it existed."""
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    last_error = None
    for maintenance_db in ("postgres", "template1"):
        server = urlunsplit(parts._replace(scheme="postgresql", path="/" + maintenance_db))
        try:
            with psycopg.connect(server, autocommit=True) as conn:
                existed = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                                       [name]).fetchone() is not None
                if existed:
                    conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)")
                                 .format(sql.Identifier(name)))
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
                return existed
        except psycopg.OperationalError as exc:
            last_error = exc
    sys.exit(f"Cannot connect to the PostgreSQL server of DATABASE_URL to create {name!r}: "
             f"{last_error}")


@dataclass
class Database:
    name: str
    url: str
    server_version: str
    kept: bool = False  # `reuse`: the database was there and kept


def database_exists(url: str, name: str) -> bool:
    import psycopg

    server = urlunsplit(urlsplit(url)._replace(scheme="postgresql", path="/postgres"))
    with psycopg.connect(server, autocommit=True) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                            [name]).fetchone() is not None


def setup_django(database: str, *, redis_url: str | None = None,
                 reuse: bool = False) -> Database:
    """Django on a fresh, migrated `database` on the server of $DATABASE_URL.

    `redis_url`, if given, replaces $REDIS_URL first ("" for the embedded mode: tasks
    in-process, local-memory cache). `reuse`: keep the database if it exists (migrated
    all the same), for a benchmark whose data takes long to build.
    """
    if database in TEST_DATABASES:
        sys.exit(f"refusing {database!r}: the test suite uses it")
    base_url = os.environ.get("DATABASE_URL", "")
    scheme = urlsplit(base_url).scheme if base_url else ""
    if scheme not in POSTGRES_SCHEMES:
        sys.exit("This benchmark needs PostgreSQL: set DATABASE_URL=postgres://user@host:port/db "
                 "(only the server is used; the benchmark works in its own database, "
                 f"--database {database}). Got: {base_url or '(unset)'}")
    url = database_url(base_url, database)
    t0 = time.perf_counter()
    kept = reuse and database_exists(url, database)
    existed = kept or recreate_database(url, database)
    os.environ["DATABASE_URL"] = url
    if redis_url is not None:
        os.environ["REDIS_URL"] = redis_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    use_repository()

    import django

    warnings.filterwarnings("ignore", message="No directory at")  # no collected static files
    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    db = settings.DATABASES["default"]
    assert db["ENGINE"] == "django.db.backends.postgresql", db["ENGINE"]
    assert db["NAME"] == database, (db["NAME"], database)
    call_command("migrate", interactive=False, verbosity=0)
    with connection.cursor() as cur:
        cur.execute("SHOW server_version")
        server_version = cur.fetchone()[0]
    parts = urlsplit(url)
    print(f"database {database!r} on {parts.hostname}:{parts.port or 5432} "
          f"({'kept' if kept else 'dropped and re-created' if existed else 'created'}), "
          f"PostgreSQL {server_version}; migrated in {time.perf_counter() - t0:.1f} s",
          flush=True)
    return Database(database, url, server_version, kept)


# ------------------------------------------------------------------------- the machine

def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def git(*args) -> str:
    # --no-optional-locks: reading must never touch the index another engineer is using
    try:
        return subprocess.run(["git", "--no-optional-locks", *args], cwd=REPO_ROOT,
                              capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def commit() -> str:
    """Short HEAD, and the files outside tests/, benchmarks/ and docs that differ from it.

    $BENCH_COMMIT, if set, is taken as is: for a run on an exported copy of a commit
    (`git archive`), which is no repository.
    """
    if os.environ.get("BENCH_COMMIT"):
        return os.environ["BENCH_COMMIT"]
    head = git("rev-parse", "--short", "HEAD") or "unknown"
    changed = git("diff", "--name-only", "HEAD", "--", ".", ":!tests", ":!benchmarks",
                  ":!docs", ":!*.md").split()
    if not changed:
        return head
    shown = ", ".join(changed[:3]) + (f" and {len(changed) - 3} more" if len(changed) > 3 else "")
    return f"{head} (uncommitted: {shown})"


def load_avg() -> str:
    try:
        return "/".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


def machine(server_version: str | None = None) -> dict:
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": commit(),
        "nproc": os.cpu_count(),
        "cpu": cpu_model(),
        "python": platform.python_version(),
        "postgresql": server_version,
        "load_avg": load_avg(),
    }


def machine_line(info: dict) -> str:
    pg = f", PostgreSQL {info['postgresql']}" if info.get("postgresql") else ""
    return (f"{info['date']}, commit {info['commit']}; {info['nproc']} CPUs ({info['cpu']}), "
            f"Python {info['python']}{pg}; load average {info['load_avg']}")
