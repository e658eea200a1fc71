#!/usr/bin/env python
"""Benchmark of the review pipeline (三审 + 保密审查) on PostgreSQL.

A standalone script, not a test. It works on a dedicated database (dropped and
re-created at every start, then migrated) on the server of $DATABASE_URL and
prints:

Phase 1  N items created, submitted and approved by every tier through the
         service layer: SQL statements per item (by type and per action),
         p50/p95 ms per action, items/s.
Phase 2  history: --history finished items and --open items waiting in review.
         A batch is built through the service layer, the rest is copied at SQL
         level from that batch (rows of every table the services write, and an
         audit trail re-chained with valid hashes). The output says which is which.
         Then GET /api/v1/tasks/ latency and queries/request for a section head,
         the secrecy reviewer and a leader.
Phase 3  a sample of the pipeline again, on the loaded database.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_review \\
        .venv/bin/python benchmarks/review_pipeline.py --quick

See benchmarks/README.md.
"""

import argparse
import json
import math
import os
import re
import statistics
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

REPO_ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = Path(__file__).resolve().parent / "results"

TARGET_STATEMENTS_PER_ITEM = 80
TARGET_QUEUE_MEDIAN_MS = 20.0
TARGET_APPROVE_P95_MS = 40.0

POSTGRES_SCHEMES = ("postgres", "postgresql", "pgsql", "postgis")
KINDS = ("SELECT", "INSERT", "UPDATE", "DELETE", "SAVEPOINT", "RELEASE SAVEPOINT", "other")
ACTIONS = ("create", "submit", "approve section_head", "approve secrecy",
           "approve leadership+release")
APPROVE_ACTIONS = ACTIONS[2:]
QUEUE_USERS = (("section head", "head_office"), ("secrecy reviewer", "secrecy"),
               ("leader", "leader"))


# --------------------------------------------------------------------------- setup

def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=None,
                        help="items taken through the whole pipeline in phase 1 (default 1000)")
    parser.add_argument("--history", type=int, default=None,
                        help="finished items in the database for the queue measurement "
                             "(default 100000)")
    parser.add_argument("--open", type=int, default=None,
                        help="items waiting in review (default 10000)")
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: items 50, history 2000, open 500")
    parser.add_argument("--database", default="bench_review",
                        help="name of the dedicated benchmark database (default bench_review); "
                             "it is DROPPED and re-created at start")
    parser.add_argument("--requests", type=int, default=50,
                        help="measured GET /api/v1/tasks/ requests per user (default 50)")
    parser.add_argument("--recheck", type=int, default=None,
                        help="items for phase 3 on the loaded database (default min(items, 100))")
    parser.add_argument("--verify-audit", action="store_true",
                        help="verify the agency's audit hash chain after building the history "
                             "(always on with --quick)")
    parser.add_argument("--any-name", action="store_true",
                        help="allow a --database name not starting with 'bench' "
                             "(it is dropped!)")
    args = parser.parse_args(argv)
    quick = {"items": 50, "history": 2000, "open": 500}
    full = {"items": 1000, "history": 100_000, "open": 10_000}
    for name, value in (quick if args.quick else full).items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    if args.recheck is None:
        args.recheck = min(args.items, 100)
    if args.quick:
        args.verify_audit = True
    if args.items < 1 or args.history < 0 or args.open < 0 or args.requests < 1:
        parser.error("--items must be >= 1, --history/--open >= 0, --requests >= 1")
    if not args.database.startswith("bench") and not args.any_name:
        parser.error(f"refusing to drop database {args.database!r}: its name does not start "
                     "with 'bench' (pass --any-name if you really mean it)")
    return args


def bench_database_url(base_url: str, name: str) -> str:
    parts = urlsplit(base_url)
    return urlunsplit(parts._replace(path="/" + name))


def recreate_database(url: str, name: str) -> bool:
    """DROP (if it exists) and CREATE the benchmark database on the server of `url`.

    A fresh database rather than a flush: the audit table refuses TRUNCATE and
    DELETE by trigger, as it should. Returns True if it existed before.
    """
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


def setup_django(database: str, *, redis_url: str | None = None) -> tuple[str, str]:
    """Django on a fresh, migrated benchmark database on the server of $DATABASE_URL.

    Shared by the benchmarks. `redis_url`, if given, replaces $REDIS_URL first ("" for
    in-process tasks). Returns (database URL, PostgreSQL server version).
    """
    base_url = os.environ.get("DATABASE_URL", "")
    scheme = urlsplit(base_url).scheme if base_url else ""
    if scheme not in POSTGRES_SCHEMES:
        sys.exit("This benchmark needs PostgreSQL: set DATABASE_URL=postgres://user@host:port/db "
                 "(the server is used; the benchmark works in its own database, "
                 f"--database {database}). Got: {base_url or '(unset)'}")
    url = bench_database_url(base_url, database)
    t0 = time.perf_counter()
    existed = recreate_database(url, database)
    os.environ["DATABASE_URL"] = url
    if redis_url is not None:
        os.environ["REDIS_URL"] = redis_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    sys.path.insert(0, str(REPO_ROOT))

    import warnings

    import django

    warnings.filterwarnings("ignore", message="No directory at")
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
    print(f"database {database!r} on {parts_host(url)} "
          f"({'dropped and re-created' if existed else 'created'}), "
          f"PostgreSQL {server_version}; migrated in {time.perf_counter() - t0:.1f} s")
    return url, server_version


def bootstrap(args):
    _url, server_version = setup_django(args.database)
    # Background jobs (the automatic pre-scan when an item enters the confidentiality
    # review) go to an in-memory queue nobody consumes; the pipeline runs them itself, as
    # a worker would, and measures them apart from the review actions.
    from config.celery import app

    app.conf.task_always_eager = False
    app.conf.broker_url = "memory://localhost/"
    return server_version


def parts_host(url):
    parts = urlsplit(url)
    return f"{parts.hostname}:{parts.port or 5432}"


# ------------------------------------------------------------------ measurement helpers

def kind_of(sql: str) -> str:
    s = sql.lstrip().upper()
    if s.startswith("RELEASE SAVEPOINT"):
        return "RELEASE SAVEPOINT"
    if s.startswith("SAVEPOINT"):
        return "SAVEPOINT"
    for kind in ("SELECT", "INSERT", "UPDATE", "DELETE"):
        if s.startswith(kind):
            return kind
    return "other"


_STRING = re.compile(r"'(?:[^']|'')*'")
_NUMBER = re.compile(r"\b\d+(?:\.\d+)?\b")
_LIST = re.compile(r"\(\?(?:, \?)+\)")
_SAVEPOINT = re.compile(r'(SAVEPOINT) "[^"]+"')
_SPACES = re.compile(r"\s+")


def shape_of(sql: str) -> str:
    """The statement with literals replaced by ?, for grouping."""
    s = _SAVEPOINT.sub(r"\1 ?", sql)
    s = _STRING.sub("?", s)
    s = _NUMBER.sub("?", s)
    s = _LIST.sub("(?, …)", s)
    s = re.sub(r"(\(\?, …\))(?:, \(\?, …\))+", r"\1, …", s)  # multi-row VALUES
    return _SPACES.sub(" ", s).strip()


def short_shape(shape: str, width: int = 230) -> str:
    """Column lists elided: what a reader needs to recognise the statement."""
    s = re.sub(r"^SELECT (DISTINCT )?.*? FROM ", r"SELECT \1… FROM ", shape)
    s = re.sub(r"^(INSERT INTO \S+) \(.*?\) VALUES .*?( RETURNING .*)?$",
               lambda m: f"{m.group(1)} (…) VALUES (…){' RETURNING …' if m.group(2) else ''}", s)
    s = re.sub(r"^(UPDATE \S+ SET) .*? WHERE ", r"\1 … WHERE ", s)
    return s if len(s) <= width else s[: width - 1] + "…"


def pct(values, p):
    if not values:
        return float("nan")
    data = sorted(values)
    k = (len(data) - 1) * p / 100
    lo, hi = math.floor(k), math.ceil(k)
    return data[lo] + (data[hi] - data[lo]) * (k - lo)


class Capture:
    """CaptureQueriesContext plus precise per-statement timing (execute_wrapper).

    Django stores a captured statement's time rounded to 1 ms; the wrapper times
    each execute to the microsecond. BEGIN/COMMIT do not pass through execute
    wrappers, so they keep Django's rounded time.
    """

    TRANSACTION = ("BEGIN", "COMMIT", "ROLLBACK")

    def __init__(self):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        self.connection = connection
        self.ctx = CaptureQueriesContext(connection)
        self.durations = []

    def _timed(self, execute, sql, params, many, context):
        t0 = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.durations.append((time.perf_counter() - t0) * 1000)

    def __enter__(self):
        # CaptureQueriesContext slices connection.queries_log, a deque capped at
        # 9000 entries: once full, its length stops growing and the slice is empty.
        self.connection.queries_log.clear()
        self.ctx.__enter__()
        self._wrapper = self.connection.execute_wrapper(self._timed)
        self._wrapper.__enter__()
        return self

    def __exit__(self, *exc):
        self._wrapper.__exit__(*exc)
        return self.ctx.__exit__(*exc)

    @property
    def queries(self):
        """[{'sql', 'ms'}] in order."""
        durations = iter(self.durations)
        out = []
        for q in self.ctx.captured_queries:
            if q["sql"] in self.TRANSACTION:
                ms = float(q["time"]) * 1000
            else:
                ms = next(durations, float("nan"))
            out.append({"sql": q["sql"], "ms": ms})
        return out

    def sql_ms(self):
        """Time inside execute() of the statements (BEGIN/COMMIT excluded)."""
        return sum(self.durations)


class Recorder:
    """Statements and timings per action, summed over items."""

    def __init__(self):
        self.ms = defaultdict(list)
        self.sql_ms = defaultdict(list)              # action -> ms inside execute() per call
        self.kinds = defaultdict(Counter)            # action -> kind -> statements (total)
        self.counts = defaultdict(list)              # action -> statements per call
        self.shapes = defaultdict(Counter)           # action -> shape -> statements (total)
        self.samples = {}                            # action -> captured queries of one call
        self.items = 0
        self.scan_jobs = []                          # (statements, ms) of each background scan

    def add(self, action, elapsed_ms, queries, sql_ms, keep_sample=False):
        assert queries, f"{action}: no statement captured (capture broken?)"
        self.ms[action].append(elapsed_ms)
        self.sql_ms[action].append(sql_ms)
        self.counts[action].append(len(queries))
        for q in queries:
            self.kinds[action][kind_of(q["sql"])] += 1
            self.shapes[action][shape_of(q["sql"])] += 1
        if keep_sample:
            self.samples[action] = list(queries)

    def per_item(self, action=None):
        actions = [action] if action else ACTIONS
        return sum(sum(self.counts[a]) for a in actions) / max(self.items, 1)

    def kinds_per_item(self, action=None):
        actions = [action] if action else ACTIONS
        total = Counter()
        for a in actions:
            total.update(self.kinds[a])
        return {k: total[k] / max(self.items, 1) for k in KINDS}


# ------------------------------------------------------------------ the pipeline

class Pipeline:
    """Drives items through the service layer with fresh user objects per call."""

    def __init__(self, org):
        self.org = org

    def user(self, username):
        # A fresh instance per call, as a request would have: nothing cached from before.
        from agencies.models import User

        return User.objects.get(pk=self.org[username].pk)

    @staticmethod
    def reviewers(i, section):
        """Spread the work over several people, as an agency would."""
        alt = (i // 2) % 2
        if section == "office":
            head = ("head_office", "head_office_2")[alt]
            leader = "leader"
        else:
            head = "head_construction"
            leader = ("leader", "leader_construction")[alt]
        return head, ("secrecy", "secrecy_2")[alt], leader

    @staticmethod
    def open_task_id(process_id):
        from viewflow.workflow.models import Task
        from viewflow.workflow.status import STATUS

        return (Task.objects.filter(process_id=process_id,
                                    status__in=(STATUS.NEW, STATUS.ASSIGNED))
                .values_list("pk", flat=True).get())

    @staticmethod
    def background_scan(publication_id, recorder):
        """What the worker does when an item enters the confidentiality review."""
        from scanning.services import scan_if_missing

        with Capture() as capture:
            t0 = time.perf_counter()
            scan_if_missing(publication_id)
            elapsed = (time.perf_counter() - t0) * 1000
        if recorder is not None:
            recorder.scan_jobs.append((len(capture.queries), elapsed))

    def run_item(self, i, *, recorder=None, upto=3, tag="bench", keep_sample=False):
        """create, submit, then approve `upto` tiers (3 = fully approved, releases created)."""
        from publications.services import create_publication
        from testsupport.factories import item_data
        from workflow import services as review

        section = ("office", "construction")[i % 2]
        drafter = f"drafter_{section}"
        reviewers = self.reviewers(i, section)
        data = item_data(section=section, title=f"关于开展建筑施工安全大检查的通知（{tag} {i}）",
                         article20_item=1 + i % 15)

        def call(action, fn):
            if recorder is None:
                return fn()
            with Capture() as capture:
                t0 = time.perf_counter()
                result = fn()
                elapsed = (time.perf_counter() - t0) * 1000
            recorder.add(action, elapsed, capture.queries, capture.sql_ms(),
                         keep_sample=keep_sample)
            return result

        user = self.user(drafter)
        publication = call("create", lambda: create_publication(user=user, data=data))
        user = self.user(drafter)
        process = call("submit", lambda: review.submit_publication(
            user=user, publication_id=publication.pk))
        for tier in range(upto):
            task_id = self.open_task_id(process.pk)
            reviewer = self.user(reviewers[tier])
            call(APPROVE_ACTIONS[tier], lambda reviewer=reviewer, task_id=task_id:
                 review.approve_task(user=reviewer, task_id=task_id, comment="同意"))
            if tier == 0:
                self.background_scan(publication.pk, recorder)
        if recorder is not None and upto == 3:
            recorder.items += 1
        return publication, process


def run_phase(pipeline, n, label, tag, sample_index=None, progress=True):
    recorder = Recorder()
    t0 = time.perf_counter()
    step = max(n // 10, 1)
    for i in range(n):
        pipeline.run_item(i, recorder=recorder, tag=tag, keep_sample=(i == sample_index))
        if progress and ((i + 1) % step == 0 or i + 1 == n):
            elapsed = time.perf_counter() - t0
            print(f"  [{round(100 * (i + 1) / n):3d}%] {label}: {i + 1}/{n} items "
                  f"({(i + 1) / elapsed:.1f} items/s)", flush=True)
    recorder.wall_s = time.perf_counter() - t0
    return recorder


def print_pipeline(recorder, title):
    n = recorder.items
    service_s = sum(sum(v) for v in recorder.ms.values()) / 1000
    print(f"\n{title}: {n} items fully approved in {recorder.wall_s:.1f} s wall "
          f"({n / recorder.wall_s:.1f} items/s overall; {n / service_s:.1f} items/s counting "
          "only the service calls)")
    header = f"  {'action':28s} {'stmts':>6s} " + " ".join(f"{k[:9]:>9s}" for k in KINDS)
    print(header + f" {'p50 ms':>8s} {'p95 ms':>8s} {'max ms':>8s} {'sql p50':>8s}")
    for action in ACTIONS:
        kinds = recorder.kinds_per_item(action)
        counts = recorder.counts[action]
        spread = "" if min(counts) == max(counts) else f" ({min(counts)}–{max(counts)})"
        print(f"  {action:28s} {recorder.per_item(action):6.1f} "
              + " ".join(f"{kinds[k]:9.1f}" for k in KINDS)
              + f" {pct(recorder.ms[action], 50):8.2f} {pct(recorder.ms[action], 95):8.2f}"
              + f" {max(recorder.ms[action]):8.2f} {pct(recorder.sql_ms[action], 50):8.2f}"
              + spread)
    kinds = recorder.kinds_per_item()
    print(f"  {'TOTAL per item':28s} {recorder.per_item():6.1f} "
          + " ".join(f"{kinds[k]:9.1f}" for k in KINDS))
    other = Counter()
    for action in ACTIONS:
        for shape, count in recorder.shapes[action].items():
            if kind_of(shape) == "other":
                other[shape.split()[0]] += count
    if other:
        print("  'other' is: " + ", ".join(f"{k} {v / n:.1f}/item" for k, v in other.items()))
    print("  (sql p50: time inside execute() of the statements, BEGIN/COMMIT excluded; "
          "the rest of a call is Python and COMMIT)")
    if recorder.scan_jobs:
        statements = [s for s, _ms in recorder.scan_jobs]
        print(f"  background pre-scan job (worker, not a review action): "
              f"{sum(statements) / len(statements):.1f} statements, "
              f"p50 {pct([ms for _s, ms in recorder.scan_jobs], 50):.2f} ms, "
              f"p95 {pct([ms for _s, ms in recorder.scan_jobs], 95):.2f} ms")


def write_query_report(recorder, path, title):
    """The SQL of one fully approved item, statement by statement, and shapes over all items."""
    path.parent.mkdir(parents=True, exist_ok=True)
    n = max(recorder.items, 1)
    with path.open("w") as out:
        out.write(f"# {title}\n# Part 1: every statement of one item (raw SQL, as captured)\n\n")
        for action in ACTIONS:
            queries = recorder.samples.get(action, [])
            kinds = Counter(kind_of(q["sql"]) for q in queries)
            out.write(f"===== {action}: {len(queries)} statements "
                      f"({', '.join(f'{k} {v}' for k, v in kinds.items())})\n")
            for number, q in enumerate(queries, 1):
                out.write(f"-- [{number:2d}] {kind_of(q['sql'])} {q['ms']:.3f} ms\n"
                          f"{q['sql']}\n")
            out.write("\n")
        out.write(f"\n# Part 2: statement shapes per action, statements per item over {n} items\n")
        for action in ACTIONS:
            out.write(f"\n===== {action}: {recorder.per_item(action):.1f} statements/item\n")
            for shape, count in recorder.shapes[action].most_common():
                out.write(f"{count / n:5.1f}  {shape}\n")
    return path


def print_shapes(recorder, limit=40):
    n = max(recorder.items, 1)
    print("\nStatement shapes per action (statements per item; column lists elided):")
    for action in ACTIONS:
        print(f"  {action}: {recorder.per_item(action):.1f}")
        for shape, count in recorder.shapes[action].most_common(limit):
            print(f"    {count / n:4.1f}  {short_shape(shape)}")


# ------------------------------------------------------------------ history: SQL copies

class Cloner:
    """Copies whole items (publication, its rounds, tasks, releases, audit events) in SQL.

    Each copy gets new ids from the tables' own sequences, with every foreign
    key between copied rows mapped to the copy, and audit events appended to
    the agency's chain with valid seq / prev_hash / hash.
    """

    def __init__(self, agency):
        from django.db import connection
        from viewflow.workflow.models import Process, Task

        from audit.models import AuditEvent
        from publications.models import Publication
        from releases.models import Release
        from workflow.models import ReviewProcess

        self.agency = agency
        self.connection = connection
        self.q = connection.ops.quote_name
        self.Publication, self.Process, self.ReviewProcess = Publication, Process, ReviewProcess
        self.Task, self.Release, self.AuditEvent = Task, Release, AuditEvent

    def seq(self, model):
        with self.connection.cursor() as cur:
            cur.execute("SELECT pg_get_serial_sequence(%s, %s)",
                        [model._meta.db_table, model._meta.pk.column])
            return cur.fetchone()[0]

    @staticmethod
    def columns(model):
        return [f.column for f in model._meta.local_concrete_fields]

    def clone_rows(self, cur, model, *, driver, driver_col, remap=(), text_remap=()):
        """INSERT a copy of each row whose `driver_col` is an old id in map table `driver`.

        `driver_col` gets the new id; columns in `remap` (column -> map table) are
        mapped per copy; `text_remap` the same for ids stored as text. The primary
        key, unless it is the driver column, is left to its default (the sequence).
        """
        q = self.q
        remap, text_remap = dict(remap), dict(text_remap)
        table = model._meta.db_table
        pk = model._meta.pk.column
        insert_cols, exprs, joins = [], [], []
        for n, col in enumerate(self.columns(model)):
            if col == pk and col != driver_col:
                continue
            insert_cols.append(q(col))
            if col == driver_col:
                exprs.append("d.new_id")
            elif col in remap:
                joins.append(f"LEFT JOIN {remap[col]} r{n} ON r{n}.old_id = t.{q(col)} "
                             f"AND r{n}.c = d.c")
                exprs.append(f"CASE WHEN t.{q(col)} IS NULL THEN NULL ELSE r{n}.new_id END")
            elif col in text_remap:
                joins.append(f"LEFT JOIN {text_remap[col]} r{n} "
                             f"ON r{n}.old_id = NULLIF(t.{q(col)}, '')::bigint AND r{n}.c = d.c")
                exprs.append(f"CASE WHEN t.{q(col)} IS NULL THEN NULL "
                             f"ELSE r{n}.new_id::text END")
            else:
                exprs.append(f"t.{q(col)}")
        cur.execute(f"INSERT INTO {q(table)} ({', '.join(insert_cols)}) "
                    f"SELECT {', '.join(exprs)} FROM {q(table)} t "
                    f"JOIN {driver} d ON d.old_id = t.{q(driver_col)} {' '.join(joins)}")
        return cur.rowcount

    def prepare(self, template_ids):
        """Remember the template items and their audit events."""
        template_ids = sorted(template_ids)
        self.n_templates = len(template_ids)
        with self.connection.cursor() as cur:
            cur.execute("DROP TABLE IF EXISTS bench_tpl")
            cur.execute("CREATE TEMP TABLE bench_tpl (id bigint PRIMARY KEY, rn int NOT NULL)")
            cur.execute("INSERT INTO bench_tpl (id, rn) "
                        "SELECT id, row_number() OVER (ORDER BY id) FROM unnest(%s::bigint[]) id",
                        [template_ids])
            cur.execute("ANALYZE bench_tpl")
            # Sanity: nothing we do not map.
            t, p = self.Task._meta.db_table, self.Process._meta.db_table
            rp = self.ReviewProcess._meta.db_table
            cur.execute(f"""
                SELECT count(*) FILTER (WHERE pr.parent_task_id IS NOT NULL
                                          OR pr.artifact_object_id IS NOT NULL
                                          OR pr.seed_object_id IS NOT NULL),
                       count(*) FILTER (WHERE tk.owner_permission_obj_pk IS NOT NULL
                                          AND tk.owner_permission_obj_pk <> pr.id::text)
                FROM {rp} r JOIN bench_tpl b ON b.id = r.publication_id
                JOIN {p} pr ON pr.id = r.process_ptr_id
                LEFT JOIN {t} tk ON tk.process_id = pr.id""")
            unmapped, foreign_perm = cur.fetchone()
            assert unmapped == 0 and foreign_perm == 0, (unmapped, foreign_perm)
        events = defaultdict(list)
        for event in (self.AuditEvent.objects.filter(publication_id__in=template_ids)
                      .order_by("seq").values()):
            events[event["publication_id"]].append(event)
        self.template_events = events

    def clone_chunk(self, start, end):
        """Copies number start..end-1 (copy g is template g % n, in its copy g // n)."""
        from django.db import transaction

        from audit.hashing import event_hash
        from audit.models import AuditAction, AuditChain

        q, n = self.q, self.n_templates
        pub_t = self.Publication._meta.db_table
        channels_through = self.Publication.channels.through
        previous_through = self.Task.previous.through
        from_col = previous_through._meta.get_field("from_task").column
        to_col = previous_through._meta.get_field("to_task").column
        rows = Counter()
        with transaction.atomic(), self.connection.cursor() as cur:
            for name in ("pub", "proc", "task", "rel"):
                cur.execute(f"CREATE TEMP TABLE bench_map_{name} "
                            "(old_id bigint NOT NULL, c int NOT NULL, new_id bigint NOT NULL) "
                            "ON COMMIT DROP")
            cur.execute("INSERT INTO bench_map_pub (old_id, c, new_id) "
                        "SELECT b.id, g.c, nextval(%s) FROM bench_tpl b "
                        "CROSS JOIN generate_series(%s, %s) AS g(c) "
                        "WHERE g.c * %s + b.rn - 1 >= %s AND g.c * %s + b.rn - 1 < %s "
                        "ORDER BY g.c, b.rn",
                        [self.seq(self.Publication), start // n, (end - 1) // n,
                         n, start, n, end])
            rp = self.ReviewProcess._meta.db_table
            cur.execute(f"INSERT INTO bench_map_proc SELECT r.process_ptr_id, m.c, nextval(%s) "
                        f"FROM {rp} r JOIN bench_map_pub m ON m.old_id = r.publication_id "
                        f"ORDER BY m.c, r.process_ptr_id", [self.seq(self.Process)])
            cur.execute(f"INSERT INTO bench_map_task SELECT t.id, m.c, nextval(%s) "
                        f"FROM {self.Task._meta.db_table} t "
                        f"JOIN bench_map_proc m ON m.old_id = t.process_id "
                        f"ORDER BY m.c, t.id", [self.seq(self.Task)])
            cur.execute(f"INSERT INTO bench_map_rel SELECT r.id, m.c, nextval(%s) "
                        f"FROM {self.Release._meta.db_table} r "
                        f"JOIN bench_map_pub m ON m.old_id = r.publication_id "
                        f"ORDER BY m.c, r.id", [self.seq(self.Release)])
            for name in ("pub", "proc", "task", "rel"):
                cur.execute(f"CREATE INDEX ON bench_map_{name} (old_id, c)")
                cur.execute(f"ANALYZE bench_map_{name}")

            rows[pub_t] = self.clone_rows(cur, self.Publication, driver="bench_map_pub",
                                          driver_col="id")
            rows[channels_through._meta.db_table] = self.clone_rows(
                cur, channels_through, driver="bench_map_pub", driver_col="publication_id")
            rows[self.Process._meta.db_table] = self.clone_rows(
                cur, self.Process, driver="bench_map_proc", driver_col="id")
            rows[rp] = self.clone_rows(cur, self.ReviewProcess, driver="bench_map_proc",
                                       driver_col="process_ptr_id",
                                       remap={"publication_id": "bench_map_pub"})
            rows[self.Task._meta.db_table] = self.clone_rows(
                cur, self.Task, driver="bench_map_task", driver_col="id",
                remap={"process_id": "bench_map_proc"},
                text_remap={"owner_permission_obj_pk": "bench_map_proc"})
            rows[previous_through._meta.db_table] = self.clone_rows(
                cur, previous_through, driver="bench_map_task", driver_col=from_col,
                remap={to_col: "bench_map_task"})
            rows[self.Release._meta.db_table] = self.clone_rows(
                cur, self.Release, driver="bench_map_rel", driver_col="id",
                remap={"publication_id": "bench_map_pub"})

            # The audit trail: appended to the chain, hashes computed as audit.services does.
            cur.execute("SELECT old_id, c, new_id FROM bench_map_rel")
            release_map = {(old, c): new for old, c, new in cur.fetchall()}
            cur.execute("SELECT old_id, c, new_id FROM bench_map_pub ORDER BY c, old_id")
            copies = cur.fetchall()
            chain = AuditChain.objects.select_for_update().get(agency=self.agency)
            seq, prev = chain.last_seq, chain.last_hash
            cols = ("agency_id", "seq", "publication_id", "action", "actor_id", "actor_username",
                    "tier", "round", "at", "fingerprint", "comment", "data", "prev_hash", "hash")
            raw = self.connection.connection
            with raw.cursor() as raw_cur, raw_cur.copy(
                    f"COPY {q(self.AuditEvent._meta.db_table)} "
                    f"({', '.join(q(c) for c in cols)}) FROM STDIN") as copy:
                for old, c, new in copies:
                    for e in self.template_events.get(old, ()):
                        data = e["data"]
                        if e["action"] == AuditAction.RELEASE_CREATED and "release" in data:
                            data = {**data, "release": release_map[(data["release"], c)]}
                        seq += 1
                        digest = event_hash(
                            agency_id=e["agency_id"], seq=seq, publication_id=new,
                            action=e["action"], actor_username=e["actor_username"],
                            tier=e["tier"], round=e["round"], at=e["at"],
                            fingerprint=e["fingerprint"], comment=e["comment"], data=data,
                            prev_hash=prev)
                        copy.write_row((e["agency_id"], seq, new, e["action"], e["actor_id"],
                                        e["actor_username"], e["tier"], e["round"], e["at"],
                                        e["fingerprint"], e["comment"],
                                        json.dumps(data, ensure_ascii=False), prev, digest))
                        prev = digest
                        rows[self.AuditEvent._meta.db_table] += 1
            AuditChain.objects.filter(pk=chain.pk).update(last_seq=seq, last_hash=prev)
        return rows

    def clone(self, template_ids, count, label, progress_base=0, progress_total=None):
        """`count` copies of the template items, in 10 steps with progress lines."""
        self.prepare(template_ids)
        total = Counter()
        t0 = time.perf_counter()
        bounds = sorted({round(count * k / 10) for k in range(11)})
        for start, end in zip(bounds, bounds[1:], strict=False):
            total.update(self.clone_chunk(start, end))
            elapsed = time.perf_counter() - t0
            print(f"  [{round(100 * end / count):3d}%] {label}: {end}/{count} items copied at SQL "
                  f"level ({elapsed:.1f} s, {end / elapsed:.0f} items/s)", flush=True)
        return total


def seed_open_items(pipeline, org, count):
    """Items waiting at every step and in both sections, some claimed by a colleague."""
    from workflow import services as review

    # who may have claimed a waiting task (not the people whose queue is measured)
    claimers = {(0, "office"): "head_office_2", (1, "office"): "secrecy_2",
                (1, "construction"): "secrecy_2", (2, "construction"): "leader_construction"}
    t0 = time.perf_counter()
    ids, claimed = [], 0
    step = max(count // 10, 1)
    for k in range(count):
        stage = (k // 2) % 3            # 0 waiting for the section head, 1 secrecy, 2 leader
        i = 1_000_000 + k                # item numbers apart from phase 1's
        section = ("office", "construction")[i % 2]
        publication, process = pipeline.run_item(i, upto=stage, tag="open")
        ids.append(publication.pk)
        claimer = claimers.get((stage, section))
        if claimer and k % 10 < 2:
            review.claim_task(user=pipeline.user(claimer),
                              task_id=pipeline.open_task_id(process.pk))
            claimed += 1
        if (k + 1) % step == 0 or k + 1 == count:
            print(f"  [{round(100 * (k + 1) / count):3d}%] open items through the service layer: "
                  f"{k + 1}/{count} ({time.perf_counter() - t0:.1f} s)", flush=True)
    return ids, claimed


def database_census(agency):
    from django.db.models import Count
    from viewflow.workflow.models import Task
    from viewflow.workflow.status import STATUS

    from audit.models import AuditEvent
    from publications.models import Publication
    from releases.models import Release

    pubs = dict(Publication.objects.filter(agency=agency).values_list("status")
                .annotate(n=Count("pk")).values_list("status", "n"))
    tasks = Counter()
    for flow_task, status, n in (Task.objects.filter(status__in=(STATUS.NEW, STATUS.ASSIGNED))
                                 .values_list("flow_task", "status").annotate(n=Count("pk"))
                                 .values_list("flow_task", "status", "n")):
        tasks[(flow_task.name, str(status))] += n
    return {
        "publications": pubs,
        "open_tasks": {f"{step}/{status}": n for (step, status), n in sorted(tasks.items())},
        "tasks_total": Task.objects.count(),
        "releases": Release.objects.count(),
        "audit_events": AuditEvent.objects.filter(agency=agency).count(),
    }


# ------------------------------------------------------------------ task queue

def measure_queue(org, requests):
    from rest_framework.test import APIClient

    from agencies.models import User

    results = {}
    for label, username in QUEUE_USERS:
        client = APIClient()
        client.force_authenticate(User.objects.get(pk=org[username].pk))
        for _ in range(5):  # warm-up
            response = client.get("/api/v1/tasks/")
            assert response.status_code == 200, (response.status_code, response.content[:500])
        times, counts, sql_times = [], [], []
        sample = None
        for _ in range(requests):
            with Capture() as capture:
                t0 = time.perf_counter()
                response = client.get("/api/v1/tasks/")
                times.append((time.perf_counter() - t0) * 1000)
            assert response.status_code == 200, response.status_code
            counts.append(len(capture.queries))
            sql_times.append(capture.sql_ms())
            sample = capture.queries
        results[label] = {
            "username": username, "queue_length": response.data["count"],
            "page_rows": len(response.data["results"]),
            "median_ms": statistics.median(times), "p95_ms": pct(times, 95),
            "max_ms": max(times), "queries": sorted(set(counts)),
            "sql_median_ms": statistics.median(sql_times),
            "sample_sql": [q["sql"] for q in sample],
            "sample_sql_ms": [q["ms"] for q in sample],
        }
    return results


def explain_queue(queue):
    """EXPLAIN (ANALYZE, BUFFERS) of the exact statements one queue request issued."""
    from django.db import connection

    plans = {}
    for label, r in queue.items():
        plans[label] = []
        for sql in r["sample_sql"]:
            if kind_of(sql) != "SELECT":
                continue
            with connection.cursor() as cur:
                cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)  # literal SQL, no params
                plans[label].append((sql, "\n".join(row[0] for row in cur.fetchall())))
    return plans


# ------------------------------------------------------------------ main

def load_avg():
    try:
        return "/".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


def verdict(ok):
    return "OK  " if ok else "MISS"


def main(argv=None):
    args = parse_args(argv)
    started = time.perf_counter()
    load_start = load_avg()
    server_version = bootstrap(args)

    from django.db import connection

    from audit.verification import verify_chain
    from testsupport.factories import make_org

    org = make_org(code="bench_agency")
    pipeline = Pipeline(org)
    timings = {}
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)

    # Phase 1 ------------------------------------------------------------------
    print(f"\nPhase 1: {args.items} items through the service layer "
          "(create, submit, approve ×3; the last approve creates the releases)")
    for i in range(min(5, args.items)):   # warm-up: imports, caches, prepared code paths
        pipeline.run_item(10_000_000 + i, tag="warm-up")
    t = time.perf_counter()
    phase1 = run_phase(pipeline, args.items, "pipeline", "bench",
                       sample_index=args.items // 2)
    timings["phase 1"] = time.perf_counter() - t
    print_pipeline(phase1, "Phase 1 (database holding only these items)")
    query_file = write_query_report(
        phase1, RESULTS_DIR / "pipeline_queries.txt",
        f"Phase 1 of benchmarks/review_pipeline.py, item #{args.items // 2} of {args.items}")
    print_shapes(phase1)
    print(f"\n  raw SQL of one item, statement by statement: {query_file}")

    # Phase 2 ------------------------------------------------------------------
    from publications.models import Publication
    from publications.models import PublicationStatus as S

    print(f"\nPhase 2: history of {args.history} finished items and {args.open} items in review")
    t = time.perf_counter()
    cloner = Cloner(org.agency)
    finished_templates = list(Publication.objects.filter(agency=org.agency, status=S.APPROVED)
                              .values_list("pk", flat=True))
    have_finished = len(finished_templates)
    history_note = []
    finished_copies = max(args.history - have_finished, 0)
    history_note.append(f"{have_finished} finished items built through the service layer "
                        f"(phase 1 + {min(5, args.items)} warm-up)")
    if finished_copies:
        cloner.clone(finished_templates, finished_copies, "finished history")
        history_note.append(f"{finished_copies} finished items copied at SQL level from those "
                            f"{have_finished} ({math.ceil(finished_copies / have_finished)} "
                            "copies of each at most)")
    seed = min(args.open, max(60, args.open // 30))
    open_ids, claimed = seed_open_items(pipeline, org, seed) if seed else ([], 0)
    history_note.append(f"{seed} items in review built through the service layer "
                        f"({claimed} of them claimed by a colleague of the measured users)")
    open_copies = args.open - seed
    if open_copies:
        cloner.clone(open_ids, open_copies, "items in review")
        history_note.append(f"{open_copies} items in review copied at SQL level from those {seed}")
    with connection.cursor() as cur:
        t_an = time.perf_counter()
        cur.execute("ANALYZE")
    history_note.append(f"then ANALYZE ({time.perf_counter() - t_an:.1f} s), "
                        "as autovacuum would after such a load")
    timings["phase 2 build"] = time.perf_counter() - t
    census = database_census(org.agency)
    print("  how the history was built:")
    for line in history_note:
        print(f"    - {line}")
    print(f"  database now: publications {census['publications']}, "
          f"tasks {census['tasks_total']}, releases {census['releases']}, "
          f"audit events {census['audit_events']}")
    print(f"  open tasks: {census['open_tasks']}")
    if args.verify_audit:
        t_v = time.perf_counter()
        report = verify_chain(org.agency)
        state = "intact" if report.ok else "BROKEN: " + report.problem
        print(f"  audit chain verification: {state} ({report.events} events, "
              f"{time.perf_counter() - t_v:.1f} s)")
        assert report.ok, report

    print(f"\nTask queue: GET /api/v1/tasks/ ({args.requests} requests per user after 5 warm-up; "
          "APIClient + force_authenticate, so no authentication query)")
    t = time.perf_counter()
    queue = measure_queue(org, args.requests)
    timings["queue"] = time.perf_counter() - t
    for label, r in queue.items():
        print(f"  {label:17s} ({r['username']}): queue {r['queue_length']:6d} tasks, "
              f"median {r['median_ms']:6.2f} ms, p95 {r['p95_ms']:6.2f} ms, "
              f"max {r['max_ms']:6.2f} ms, queries/request {r['queries']}, "
              f"of which SQL {r['sql_median_ms']:.2f} ms (median)")
        for sql, ms in zip(r["sample_sql"], r["sample_sql_ms"], strict=True):
            print(f"      {ms:7.3f} ms  {short_shape(shape_of(sql), 150)}")
    plans = explain_queue(queue)
    with (RESULTS_DIR / "queue_plans.txt").open("w") as out:
        for label, statements in plans.items():
            for number, (sql, plan) in enumerate(statements, 1):
                out.write(f"===== {label}: statement {number}\n{sql}\n\n{plan}\n\n")
    print(f"  EXPLAIN ANALYZE of the queue queries: {RESULTS_DIR / 'queue_plans.txt'}")

    # Phase 3 ------------------------------------------------------------------
    phase3 = None
    if args.recheck:
        print(f"\nPhase 3: {args.recheck} more items through the service layer, "
              "on the loaded database")
        t = time.perf_counter()
        phase3 = run_phase(pipeline, args.recheck, "pipeline on loaded db", "recheck",
                           progress=False)
        timings["phase 3"] = time.perf_counter() - t
        print_pipeline(phase3, "Phase 3 (loaded database)")

    # Summary ------------------------------------------------------------------
    total_s = time.perf_counter() - started
    per_item = phase1.per_item()
    kinds = phase1.kinds_per_item()
    lines = [
        "=" * 100,
        f"SUMMARY  review pipeline benchmark — items {args.items}, history {args.history}, "
        f"open {args.open}{' (--quick)' if args.quick else ''}",
        f"         PostgreSQL {server_version}, database {args.database}, "
        f"{os.cpu_count()} CPUs, total run {total_s:.0f} s "
        f"({', '.join(f'{k} {v:.0f} s' for k, v in timings.items())})",
        f"         load average at start {load_start}, at end {load_avg()} "
        "(other work on the machine makes the ms figures noisy)",
        "-" * 100,
        f"{'figure':52s} {'measured':>14s} {'target':>12s}  verdict",
        f"{'SQL statements per fully approved item':52s} {per_item:14.1f} "
        f"{'≤ ' + str(TARGET_STATEMENTS_PER_ITEM):>12s}  "
        f"{verdict(per_item <= TARGET_STATEMENTS_PER_ITEM)}",
        "    by type: " + ", ".join(f"{k} {kinds[k]:.1f}" for k in KINDS),
        "    by action: " + ", ".join(f"{a} {phase1.per_item(a):.1f}" for a in ACTIONS),
    ]
    for a in APPROVE_ACTIONS:
        p95 = pct(phase1.ms[a], 95)
        lines.append(f"{a + ' p95 ms':52s} {p95:14.2f} {'≤ ' + str(TARGET_APPROVE_P95_MS):>12s}  "
                     f"{verdict(p95 <= TARGET_APPROVE_P95_MS)}")
    if phase3 is not None:
        for a in APPROVE_ACTIONS:
            p95 = pct(phase3.ms[a], 95)
            lines.append(f"{a + ' p95 ms, loaded db (phase 3)':52s} {p95:14.2f} "
                         f"{'≤ ' + str(TARGET_APPROVE_P95_MS):>12s}  "
                         f"{verdict(p95 <= TARGET_APPROVE_P95_MS)}")
        lines.append(f"{'SQL statements per item, loaded db (phase 3)':52s} "
                     f"{phase3.per_item():14.1f} {'≤ ' + str(TARGET_STATEMENTS_PER_ITEM):>12s}  "
                     f"{verdict(phase3.per_item() <= TARGET_STATEMENTS_PER_ITEM)}")
    for a in ACTIONS[:2]:
        lines.append(f"{a + ' p50 / p95 ms':52s} "
                     f"{pct(phase1.ms[a], 50):6.2f} / {pct(phase1.ms[a], 95):5.2f} "
                     f"{'—':>12s}")
    lines.append(f"{'items/s, whole pipeline, one process':52s} "
                 f"{phase1.items / phase1.wall_s:14.1f} {'—':>12s}")
    for label, r in queue.items():
        constant = len(r["queries"]) == 1
        name = f"task queue median ms, {label} ({r['queue_length']} tasks)"
        lines.append(f"{name:52s} "
                     f"{r['median_ms']:14.2f} {'≤ ' + str(TARGET_QUEUE_MEDIAN_MS):>12s}  "
                     f"{verdict(r['median_ms'] <= TARGET_QUEUE_MEDIAN_MS)}"
                     f"   (p95 {r['p95_ms']:.2f}, SQL {r['sql_median_ms']:.2f})")
        lines.append(f"{'    queries/request, ' + label:52s} "
                     f"{'/'.join(map(str, r['queries'])):>14s} {'constant':>12s}  "
                     f"{verdict(constant)}")
    lines.append("history: " + "; ".join(history_note))
    lines.append("=" * 100)
    print("\n" + "\n".join(lines))

    result = {
        "args": vars(args), "server_version": server_version, "total_s": total_s,
        "timings_s": timings,
        "phase1": {
            "items": phase1.items, "statements_per_item": per_item, "kinds_per_item": kinds,
            "per_action": {a: {"statements": phase1.per_item(a),
                               "kinds": phase1.kinds_per_item(a),
                               "p50_ms": pct(phase1.ms[a], 50), "p95_ms": pct(phase1.ms[a], 95)}
                           for a in ACTIONS},
            "items_per_s": phase1.items / phase1.wall_s,
        },
        "phase3": None if phase3 is None else {
            a: {"statements": phase3.per_item(a), "p50_ms": pct(phase3.ms[a], 50),
                "p95_ms": pct(phase3.ms[a], 95)} for a in ACTIONS},
        "queue": {k: {kk: vv for kk, vv in v.items() if not kk.startswith("sample")}
                  for k, v in queue.items()},
        "census": census, "history": history_note,
    }
    (RESULTS_DIR / "review_pipeline.json").write_text(
        json.dumps(result, ensure_ascii=False, indent=2, default=str))
    (RESULTS_DIR / "summary.txt").write_text("\n".join(lines) + "\n")
    print(f"results: {RESULTS_DIR / 'review_pipeline.json'}, {RESULTS_DIR / 'summary.txt'}")


if __name__ == "__main__":
    main()
