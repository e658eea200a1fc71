"""A provincial platform on one installation, under load: 1,000 agencies, 1,000,000 items
in every state, 50,000 open review tasks, 100,000 applications; then 200 reviewers
claiming and approving, drafters creating and submitting and citizens reading the public
column, through gunicorn with 4 workers and the production settings.

A standalone script, not a test. It works in its own database (`--database`,
`bench_platform`), which it keeps for reruns (`--reuse`: building is the slow part).

Building, without the services, from the builders the other benchmarks share (each step
timed, then `VACUUM ANALYZE`):

* the agencies with their office section, categories and channels, and released items
  over five years, with their releases, abolitions, 1 % retracted and 5 % noise (drafts,
  items in review without a round, returned, withheld, withdrawn, approved with releases
  pending or failed) (`lib.released`, in SQL);
* the people: a construction section, two application handlers and a leader covering both
  (`lib.register.staff`), a drafter and a head per section and two confidentiality
  reviewers (`reminder_sweep.review_staff`), a publisher; one password for everyone (its
  hash computed once) and an API token each (`accounts.ApiToken`: only the SHA-256 of the
  key is stored; the key is `bench-platform-<user id>`, so reruns need no file);
* `--open` items in review, each at one step of 三审 with its viewflow `Process` +
  `ReviewProcess`, the start task, a done task per tier passed and its open task, 40 %
  claimed (`reminder_sweep.ItemRows`, by COPY), here with the content fingerprint the
  services compute, their target channel (the agency's 公开专栏) and, past the section
  head, the pre-scan report of their content (as the scan on entering the confidentiality
  review leaves it); drafts and returned items; approved items with all their tasks;
* the 依申请公开 register (`lib.register`, `--applications`).

The load: a private redis-server, 2 Celery workers (`--pool solo`, real processes: they
deliver the releases the final approvals create and run the pre-scans), gunicorn with
`--web-workers` (4) sync workers on 127.0.0.1 with `config.settings.production` (DEBUG off,
PostgreSQL, Redis cache), and locust (`lib/platform_load.py`, headless, in its own process)
with `--reviewers` (200) reviewers of `--reviewer-agencies` agencies (the large agency
first), `--drafters` (20) and `--citizens` (50). Each request carries
`X-Forwarded-Proto: https`, as the TLS proxy would. Statistics are reset when every user
has started; then `--duration` seconds are measured.

Printed: p50 / p95 / p99 per action and page (locust's percentiles: exact to 1 ms below
100 ms, to 10 ms above), the ms inside a web worker per route (gunicorn's access log: without
the wait for a free worker), errors (the target is 0; a 409 to a claim another reviewer won is
counted apart, as the answer to competing reviewers), CPU seconds per group of processes
from /proc (gunicorn, PostgreSQL backends of the bench database, Celery workers, locust,
redis, the rest of the machine), and **CPU ms per approval and per fully approved item
(gunicorn + PostgreSQL backends)** over the whole locust run, beside wall-clock figures;
the machine line, load average and commit.

Targets (issue 15): queue p95 ≤ 30 ms and approve p95 ≤ 50 ms under the 200-reviewer load
at platform size, 0 errors.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python benchmarks/platform_scale.py             # build (minutes), load
    ... benchmarks/platform_scale.py --reuse                       # load only, same data
    ... benchmarks/platform_scale.py --quick                       # 100 agencies, 50,000 items

See benchmarks/README.md.
"""

import argparse
import base64
import csv
import datetime as dt
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import reminder_sweep as rs
from lib import bootstrap, register, released
from lib.bootstrap import RESULTS_DIR
from lib.data import copy_rows
from lib.sampling import BACKENDS, CpuTracker
from lib.timing import RunClock, Steps
from lib.workers import PROCESSES, Workers, start_redis

QUEUE_P95_MS, APPROVE_P95_MS = 30.0, 50.0
NOISE = 0.05  # of the released items: items that must not count (lib.released)
WEB = "gunicorn (web workers)"
LOCUST = "locust (the load)"
MARK = "bench_platform_build"  # a table holding what was built, written last
PASSWORD = "bench-platform-password"
# fixed, so that the web processes and this one compute the same session and token hashes
SECRET_KEY = "bench-platform-secret-key-not-for-production-" + "x" * 20
SIGNING_KEY = base64.b64encode(b"bench-platform-audit-signing-key"[:32]).decode()
REVIEWER_SPECS = ("head_office", "head_construction", "secrecy_a", "secrecy_b", "leader")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    size = parser.add_argument_group("the platform (built once; --reuse keeps it)")
    size.add_argument("--agencies", type=int, default=None, help="1,000; --quick 100")
    size.add_argument("--items", type=int, default=None,
                      help="items in every state (1,000,000; --quick 50,000)")
    size.add_argument("--open", type=int, default=None,
                      help="items in review, one open task each (50,000; --quick 5,000)")
    size.add_argument("--applications", type=int, default=None,
                      help="100,000; --quick 10,000")
    size.add_argument("--large-share", type=float, default=0.05,
                      help="share of the items and applications in the one large agency")
    size.add_argument("--seed", type=int, default=31)
    size.add_argument("--reuse", action="store_true",
                      help="keep the database if a complete build is there (else build it)")
    load = parser.add_argument_group("the load")
    load.add_argument("--reviewers", type=int, default=None, help="200; --quick 50")
    load.add_argument("--reviewer-agencies", type=int, default=None,
                      help="agencies whose reviewers act (5 reviewers each: reviewers / 5)")
    load.add_argument("--drafters", type=int, default=None, help="20; --quick 6")
    load.add_argument("--citizens", type=int, default=None, help="50; --quick 10")
    load.add_argument("--duration", type=int, default=None,
                      help="seconds measured after every user started (300; --quick 60)")
    load.add_argument("--spawn-rate", type=float, default=10.0, help="users started per s")
    load.add_argument("--think", type=float, default=1.0,
                      help="scales every think time of lib/platform_load.py")
    load.add_argument("--web-queue-every", type=int, default=4,
                      help="a reviewer opens the web queue page every N rounds")
    load.add_argument("--web-workers", type=int, default=4)
    load.add_argument("--workers", type=int, default=2, help="Celery workers (--pool solo)")
    load.add_argument("--no-load", action="store_true", help="build only")
    parser.add_argument("--quick", action="store_true",
                        help="100 agencies, 50,000 items, 5,000 open tasks, 10,000 "
                             "applications; 50 reviewers for 60 s")
    bootstrap.add_database_options(parser, "bench_platform")
    args = parser.parse_args(argv)
    q = args.quick
    defaults = {"agencies": (1_000, 100), "items": (1_000_000, 50_000), "open": (50_000, 5_000),
                "applications": (100_000, 10_000), "reviewers": (200, 50),
                "drafters": (20, 6), "citizens": (50, 10), "duration": (300, 60)}
    for name, (full, quick) in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, quick if q else full)
    if args.reviewer_agencies is None:
        args.reviewer_agencies = -(-args.reviewers // len(REVIEWER_SPECS))
    args.drafts, args.history = args.open // 10, args.open
    args.released = round((args.items - args.open - args.drafts - args.history) / (1 + NOISE))
    if args.released < args.agencies * 10 or args.reviewer_agencies > args.agencies:
        parser.error("too few --items for --open, or more --reviewer-agencies than agencies")
    bootstrap.check_database_name(parser, args)
    return args


def token_key(user_id: int) -> str:
    return f"bench-platform-{user_id}"


# ------------------------------------------------------------------------ building

class PlatformItems(rs.ItemRows):
    """reminder_sweep's rows with what the final approval and the public column need: the
    content fingerprint the services compute and the agency's 公开专栏 as target channel."""

    def __init__(self, people, day, now, seed, *, website):
        super().__init__(people, day, now, seed)
        self.website = website  # agency id -> its site channel

    def items(self, owners, status, formed_back):
        from publications.fingerprint import compute_fingerprint
        from publications.models import Publication

        rows = []
        for agency in owners:
            org = self.people[agency.pk]
            k = self.rng.randrange(2)
            section, category = org["sections"][k], org["category"]
            title = f"关于{agency.pk}号机关{self.rng.randrange(10_000)}号工作的通知"
            body = "<p>现将有关事项通知如下。</p>"
            formed_on = self.day - dt.timedelta(days=self.rng.randint(*formed_back))
            fingerprint = compute_fingerprint(
                title=title, body=body, attachment_hashes=[], section_code=section.code,
                category_code=category.code, article20_item=None, document_type="",
                document_number="", effective_on=None, abolished_on=None, decision_type="",
                decision_count=1, fee_amount_yuan=None, formed_on=formed_on,
                channel_codes=[self.website[agency.pk].code])
            rows.append(Publication(
                agency_id=agency.pk, section=section,
                drafter=org["drafter_office" if k == 0 else "drafter_construction"],
                category=category, title=title, body=body, status=status, document_type="",
                document_number="", decision_type="", decision_count=1, round=1,
                fingerprint=fingerprint, formed_on=formed_on))
        copy_rows(Publication, rs._fields(Publication), rows)
        links = Publication.channels.through
        copy_rows(links, [links._meta.get_field("publication"),
                          links._meta.get_field("channel")],
                  [links(publication_id=p.pk, channel_id=self.website[p.agency_id].pk)
                   for p in rows])
        return rows


def scan_reports() -> int:
    """The pre-scan report of each item past the section head's step (its current content,
    the agency's rules: no word lists here), as the scan on entering the confidentiality
    review writes it; the item at the section head's step is scanned by a worker when the
    head approves it."""
    from viewflow.workflow.models import Task
    from viewflow.workflow.status import STATUS

    from publications.models import Publication
    from scanning.models import ScanReport, ScanStatus
    from scanning.services import rules_of
    from workflow.flows import ReviewFlow

    past_head = Task.objects.filter(
        status__in=[STATUS.NEW, STATUS.ASSIGNED],
        flow_task__in=[ReviewFlow.secrecy_review, ReviewFlow.leadership_review])
    items = Publication.objects.filter(
        pk__in=past_head.values("process__reviewprocess__publication_id")).only(
        "pk", "fingerprint", "agency_id")
    signatures = {}
    reports = []
    for p in items.iterator(chunk_size=5_000):
        if p.agency_id not in signatures:
            signatures[p.agency_id] = rules_of(p.agency_id)[0]
        reports.append(ScanReport(publication_id=p.pk, fingerprint=p.fingerprint,
                                  status=ScanStatus.COMPLETE, run=1,
                                  rules_signature=signatures[p.agency_id]))
    copy_rows(ScanReport, rs._fields(ScanReport), reports)
    return len(reports)


def more_people(agencies, people) -> int:
    """A publisher per agency; one password for everyone; an API token each."""
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from accounts.models import ApiToken, digest_of
    from agencies.models import Role, User

    publishers = User.objects.bulk_create(
        [User(username=f"publisher_{g.pk}", agency=g, section=people[g.pk]["sections"][0],
              roles=[str(Role.PUBLISHER)], password="!") for g in agencies])
    for g, publisher in zip(agencies, publishers, strict=True):
        people[g.pk]["publisher"] = publisher
    hashed = make_password(PASSWORD)  # once: PBKDF2 is slow by design
    User.objects.update(password=hashed)
    session_hash = User(password=hashed).get_session_auth_hash()
    now = timezone.now()
    ids = list(User.objects.values_list("pk", flat=True))
    copy_rows(ApiToken, [f for f in ApiToken._meta.concrete_fields],
              [ApiToken(digest=digest_of(token_key(pk)), user_id=pk, created=now,
                        last_used=now, password_hash=session_hash) for pk in ids],
              pk_given=True)
    return len(publishers) + 2 * len(ids)


def build(args, day, now) -> dict:
    from django.db import connection

    from agencies.models import Agency, Channel
    from publications.models import Category
    from publications.models import PublicationStatus as S

    steps = Steps()
    print(f"building: {args.agencies:,} agencies; {args.items:,} items: {args.released:,} "
          f"released (1 % retracted) + {int(args.released * NOISE):,} noise, "
          f"{args.open:,} in review, {args.drafts:,} drafts and returned, {args.history:,} "
          f"approved with their rounds; {args.applications:,} applications; as of {day}",
          flush=True)
    released.organisation(args.agencies, steps)
    released.released_items(items=args.released, agencies=args.agencies, years=5,
                            year=day.year, noise=NOISE, steps=steps, large_agencies=1,
                            large_share=args.large_share)
    agencies = list(Agency.objects.order_by("pk"))
    people, counts = {}, {"claimed": 0, "tasks": 0}

    def organisation():
        from agencies.models import Section

        offices = {s.agency_id: s for s in Section.objects.filter(code="office")}
        staffed, written = register.staff(agencies, offices=offices)
        people.update(staffed)
        categories = {c.agency_id: c for c in Category.objects.filter(code="work_updates")}
        return (written + rs.review_staff(agencies, people, categories=categories)
                + more_people(agencies, people))

    steps("people, sections, tokens", organisation)
    website = {c.agency_id: c for c in Channel.objects.filter(code="website")}
    rows = PlatformItems(people, day, now, args.seed, website=website)
    chunk = 10_000
    owners = rs._owners(agencies, args.open, args.large_share)

    def in_review(lo, hi):
        written, claimed = rows.tasks(rows.rounds(rows.items(owners[lo:hi], S.IN_REVIEW,
                                                             (0, 40)), done=False),
                                      history=False)
        counts["claimed"] += claimed
        counts["tasks"] += written
        return (hi - lo) * 4 + written

    for lo in range(0, args.open, chunk):
        hi = min(args.open, lo + chunk)
        steps(f"in review {lo:,}–{hi:,} (+ rounds, tasks)", lambda lo=lo, hi=hi: in_review(lo, hi))
    steps("pre-scan reports (past the head)", scan_reports)

    def drafts():
        owned = rs._owners(agencies, args.drafts, args.large_share)
        half = len(owned) // 2
        rows.items(owned[:half], S.DRAFT, (0, 40))
        rows.items(owned[half:], S.RETURNED, (0, 40))
        return 2 * len(owned)

    if args.drafts:
        steps("drafts and returned items", drafts)
    history = rs._owners(agencies, args.history, args.large_share)
    for lo in range(0, args.history, chunk):
        hi = min(args.history, lo + chunk)
        steps(f"approved {lo:,}–{hi:,} (+ rounds, tasks)", lambda lo=lo, hi=hi: rows.tasks(
            rows.rounds(rows.items(history[lo:hi], S.APPROVED, (60, 400)), done=True),
            history=True)[0] + 4 * (hi - lo))
    register.applications(agencies=agencies, people=people, count=args.applications,
                          today=day, seed=args.seed, steps=steps, large_agencies=1,
                          large_share=args.large_share)
    size = steps.vacuum_analyze()
    built = {"args": {k: v for k, v in vars(args).items()
                      if k in ("agencies", "items", "open", "applications", "large_share",
                               "seed", "released", "drafts", "history")},
             "day": day.isoformat(), "timings_s": steps.timings, "build_s": steps.total_s,
             "database_size": size, "claimed": counts["claimed"], "item_tasks": counts["tasks"],
             "commit": bootstrap.commit()}
    with connection.cursor() as cur:
        cur.execute(f"CREATE TABLE {MARK} (built jsonb NOT NULL)")
        cur.execute(f"INSERT INTO {MARK} VALUES (%s)", [json.dumps(built, default=str)])
    return built


def built_before():
    """What a complete earlier build wrote (None: no complete build in this database)."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT to_regclass(%s)", [MARK])
        if cur.fetchone()[0] is None:
            return None
        cur.execute(f"SELECT built FROM {MARK}")
        row = cur.fetchone()
    return row and (json.loads(row[0]) if isinstance(row[0], str) else row[0])


def counts_now() -> dict:
    """What the platform holds at this moment (it changes with every load run)."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("""
            SELECT (SELECT count(*) FROM agencies_agency),
                   (SELECT count(*) FROM publications_publication),
                   (SELECT count(*) FROM viewflow_task WHERE status IN ('NEW', 'ASSIGNED')),
                   (SELECT count(*) FROM viewflow_task WHERE status = 'ASSIGNED'),
                   (SELECT count(*) FROM applications_application),
                   (SELECT count(*) FROM releases_release)""")
        a, items, open_, claimed, apps, releases = cur.fetchone()
        cur.execute("SELECT status, count(*) FROM publications_publication GROUP BY 1 "
                    "ORDER BY 2 DESC")
        by_status = dict(cur.fetchall())
    return {"agencies": a, "items": items, "open_tasks": open_, "claimed": claimed,
            "applications": apps, "releases": releases, "items_by_status": by_status}


# ----------------------------------------------------------------------- the load

def plan(args, day) -> dict:
    """Who acts in the load, with their tokens and fresh web sessions."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.utils import timezone

    from accounts.middleware import LAST_ACTIVITY
    from accounts.models import ApiToken
    from agencies.models import Agency, User

    # tokens of an earlier run would have ended (idle timeout): as if everyone logged in now
    now = timezone.now()
    ApiToken.objects.update(created=now, last_used=now)
    agencies = list(Agency.objects.order_by("pk").values_list("pk", "code"))
    stride = max(1, (len(agencies) - 1) // max(1, args.reviewer_agencies - 1))
    chosen = [agencies[0]] + agencies[1::stride][:args.reviewer_agencies - 1]
    # (agency, what the builders call the person): `head_office_<agency id>` and the like
    # (reminder_sweep.review_staff); `leader_<n>` (lib.register.staff)
    users = {(u.agency_id, u.username.rsplit("_", 1)[0]): u
             for u in User.objects.filter(agency_id__in=[pk for pk, _c in chosen])}
    reviewers = []
    for spec in REVIEWER_SPECS:  # by role first, so that a short list still has every tier
        for pk, _code in chosen:
            user = users[pk, spec]
            session = SessionStore()
            session.update({SESSION_KEY: str(user.pk),
                            BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend",
                            HASH_SESSION_KEY: user.get_session_auth_hash(),
                            LAST_ACTIVITY: time.time()})
            session.create()
            reviewers.append({"username": user.username, "token": token_key(user.pk),
                              "session": session.session_key})
    reviewers = sorted(reviewers[:args.reviewers], key=lambda r: r["username"])
    drafters = [{"username": u.username, "token": token_key(u.pk),
                 "section": "office" if "office" in spec else "construction",
                 "category": "work_updates"}
                for pk, _c in chosen for spec in ("drafter_office", "drafter_construction")
                for u in [users[pk, spec]]][:args.drafters]
    rng = random.Random(args.seed)
    # released items of the first batch (lib.released): item g is agency 1 + (g - 1) % A's;
    # ids ≡ 7 (mod 100) are retracted (410), left out
    a = len(agencies)
    first_batch = round(args.released * (1 - args.large_share))
    public_items = []
    while len(public_items) < 2_000:
        g = rng.randint(1, first_batch)
        if g % 100 != 7:
            public_items.append((agencies[(g - 1) % a][1], g))
    return {"counts": {"reviewers": len(reviewers), "drafters": len(drafters),
                       "citizens": args.citizens},
            "reviewers": reviewers, "drafters": drafters, "today": day.isoformat(),
            "channels": ["website"], "web_queue_every": args.web_queue_every,
            "public_items": public_items,
            # the large agency's index is timed apart (large_index): seconds, every time
            "public_agencies": [code for _pk, code in rng.sample(agencies[1:],
                                                                 min(100, a - 1))],
            "reviewer_agencies": [code for _pk, code in chosen]}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_env(db, redis, var_dir) -> dict:
    """The production settings on loopback: DEBUG off, PostgreSQL, Redis (cache, broker)."""
    return {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "DATABASE_URL": db.url, "REDIS_URL": redis.url, "SECRET_KEY": SECRET_KEY,
            "AUDIT_SIGNING_KEY": SIGNING_KEY, "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "VAR_DIR": str(var_dir), "AUDIT_CHECKPOINT_DIR": str(var_dir / "checkpoints"),
            "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
            "LOG_LEVEL": "WARNING", "PYTHONPATH": str(bootstrap.REPO_ROOT)}


def start_gunicorn(args, env) -> tuple[subprocess.Popen, str, Path]:
    import httpx

    port = free_port()
    log = RESULTS_DIR / "platform_gunicorn.log"
    (RESULTS_DIR / "platform_access.log").unlink(missing_ok=True)  # gunicorn appends
    cmd = [sys.executable, "-m", "gunicorn", "config.wsgi:application", "--workers",
           str(args.web_workers), "--bind", f"127.0.0.1:{port}", "--backlog", "2048",
           "--timeout", "120", "--log-level", "warning",
           # the time each request spent in a web worker (µs), without the wait in the
           # listen backlog, which locust's figures include
           "--access-logfile", str(RESULTS_DIR / "platform_access.log"),
           "--access-logformat", "%(m)s %(U)s %(s)s %(D)s"]
    # gunicorn's own log and Django's (a 500 is logged by django.request) in one file
    with open(log, "w") as out:
        proc = PROCESSES.start("gunicorn", cmd, cwd=bootstrap.REPO_ROOT, env=env,
                               stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 90
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {proc.returncode}; see {log}")
        try:  # an ordinary agency's index (the large agency's takes seconds: see below)
            answer = httpx.get(f"{url}/gk/bench_00002/", headers={"X-Forwarded-Proto": "https"},
                               timeout=30)
            if answer.status_code == 200:
                return proc, url, log
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"gunicorn not answering after 90 s; see {log}")


def read_stats(prefix: Path) -> tuple[list[dict], list[dict]]:
    with open(f"{prefix}_stats.csv", newline="") as f:
        stats = list(csv.DictReader(f))
    failures = []
    if Path(f"{prefix}_failures.csv").exists():
        with open(f"{prefix}_failures.csv", newline="") as f:
            failures = list(csv.DictReader(f))
    return stats, failures


def large_index(url, code, runs=3) -> list[float]:
    """The public index of the large agency through gunicorn, before the load (ms),
    rendered every time (a query string the column's cache neither answers nor keeps):
    before the column's partial indexes its queries read every released item of the
    agency."""
    import httpx

    times = []
    for n in range(runs):
        t0 = time.perf_counter()
        httpx.get(f"{url}/gk/{code}/?uncached={n}", headers={"X-Forwarded-Proto": "https"},
                  timeout=120).raise_for_status()
        times.append((time.perf_counter() - t0) * 1000)
    return times


def server_times(path: Path) -> dict:
    """Per method and route (ids and agency codes folded), the ms the requests spent in a
    web worker (gunicorn's access log, the whole locust run)."""
    import re

    from lib.timing import pct

    times = {}
    if not path.exists():
        return {}
    for line in path.read_text().splitlines():
        parts = line.split()
        if len(parts) != 4 or not parts[3].isdigit():
            continue
        method, url, status, micros = parts
        route = re.sub(r"/\d+", "/<id>", re.sub(r"/bench_\d+", "/<agency>", url))
        times.setdefault(f"{method} {route} {status}", []).append(int(micros) / 1000)
    return {k: {"n": len(v), "p50_ms": pct(v, 50), "p95_ms": pct(v, 95)}
            for k, v in sorted(times.items())}


def decided_since(t0) -> dict:
    """Review decisions and releases written since `t0` (an aware datetime)."""
    from django.db.models import Count
    from viewflow.workflow.models import Task
    from viewflow.workflow.status import STATUS

    from releases.models import Release, ReleaseStatus

    done = (Task.objects.filter(status=STATUS.DONE, flow_task_type="HUMAN", finished__gte=t0)
            .values_list("flow_task").annotate(n=Count("pk")))
    by_step = {getattr(node, "name", str(node)): n for node, n in done}
    made = Release.objects.filter(created_at__gte=t0)
    return {"by_step": by_step, "approvals": sum(by_step.values()),
            "fully_approved": by_step.get("leadership_review", 0),
            "releases": made.count(),
            "published": made.filter(status=ReleaseStatus.PUBLISHED).count()}


def load(args, db, redis, day) -> dict:
    from django.db import connection
    from django.utils import timezone

    from config.celery import app

    the_plan = plan(args, day)
    RESULTS_DIR.mkdir(exist_ok=True)
    plan_path = RESULTS_DIR / "platform_plan.json"
    plan_path.write_text(json.dumps(the_plan, ensure_ascii=False))
    var_dir = Path(tempfile.mkdtemp(prefix="bench-platform-var-"))
    env = server_env(db, redis, var_dir)
    os.environ.update({k: env[k] for k in ("EMAIL_BACKEND", "VAR_DIR", "AUDIT_CHECKPOINT_DIR")})
    workers = Workers({"name": f"solo-{args.workers}x1", "pool": "solo",
                       "workers": args.workers, "concurrency": 1}, label="platform",
                      redis_url=redis.url, database_url=db.url,
                      worker_root=bootstrap.REPO_ROOT, prefetch=1)
    web, url, web_log = start_gunicorn(args, env)
    workers.wait_ready(app)
    print(f"  gunicorn {args.web_workers} workers at {url} (config.settings.production); "
          f"{workers.command} ×{args.workers}; redis {redis.url}", flush=True)
    large = large_index(url, the_plan["reviewer_agencies"][0])
    print(f"  public index of the large agency ({the_plan['reviewer_agencies'][0]}), alone, "
          f"before the load, rendered each time: {', '.join(f'{t:.0f}' for t in large)} ms",
          flush=True)
    c = the_plan["counts"]
    users = c["reviewers"] + c["drafters"] + c["citizens"]
    spawn_s = users / args.spawn_rate
    prefix = RESULTS_DIR / "platform_locust"
    locust_log = RESULTS_DIR / "platform_locust.log"
    cmd = [str(Path(sys.executable).parent / "locust"), "-f",
           str(bootstrap.BENCH_DIR / "lib" / "platform_load.py"), "--headless",
           "--users", str(users), "--spawn-rate", str(args.spawn_rate),
           "--run-time", f"{int(spawn_s + args.duration)}s", "--host", url,
           "--csv", str(prefix), "--reset-stats", "--only-summary", "--loglevel", "WARNING",
           "--stop-timeout", "20", "--exit-code-on-error", "0"]
    print(f"  locust: {c['reviewers']} reviewers of {len(the_plan['reviewer_agencies'])} "
          f"agencies, {c['drafters']} drafters, {c['citizens']} citizens; started over "
          f"{spawn_s:.0f} s, then {args.duration} s measured (load average "
          f"{bootstrap.load_avg()})", flush=True)
    connection.close()
    t0 = timezone.now()
    cpu = CpuTracker(worker_pgids=workers.pgids, redis_pid=redis.proc.pid, dbname=db.name,
                     groups={WEB: {web.pid}})
    with open(locust_log, "w") as log:
        crowd = PROCESSES.start("locust", cmd, cwd=bootstrap.REPO_ROOT, stdout=log,
                                stderr=subprocess.STDOUT,
                                env={**os.environ, "PLATFORM_PLAN": str(plan_path),
                                     "PLATFORM_THINK": str(args.think)})
        cpu.classify["groups"][LOCUST] = {crowd.pid}
        cpu.start()
        wall0 = time.perf_counter()
        crowd.wait(timeout=spawn_s + args.duration + 120)
        wall_s = time.perf_counter() - wall0
    cpu_s, busy_s, total_s = cpu.stop()
    load_end = bootstrap.load_avg()
    time.sleep(3)  # the releases of the last approvals
    decided = decided_since(t0)
    PROCESSES.stop(crowd)
    PROCESSES.stop(web)
    workers.stop()
    shutil.rmtree(var_dir, ignore_errors=True)
    stats, failures = read_stats(prefix)
    server_errors = web_log.read_text().count("Internal Server Error") if web_log.exists() else 0
    in_worker = server_times(RESULTS_DIR / "platform_access.log")
    return {"plan": {k: the_plan[k] for k in ("counts", "reviewer_agencies")},
            "stats": stats, "failures": failures, "cpu_s": cpu_s, "busy_s": busy_s,
            "machine_s": total_s, "wall_s": wall_s, "decided": decided,
            "load_avg_end": load_end, "server_errors_logged": server_errors,
            "in_worker": in_worker, "large_index_ms": large,
            "logs": {"gunicorn": str(web_log), "locust": str(locust_log)}}


# ----------------------------------------------------------------------- reporting

def figures(result, args) -> tuple[list[str], dict]:
    rows = [r for r in result["stats"] if r["Name"] != "Aggregated"]
    lines, by_name = [], {}
    lines.append(f"  {'action / page':<44} {'requests':>8} {'errors':>6} {'p50':>6} "
                 f"{'p95':>6} {'p99':>6} {'max':>7} {'req/s':>6}")
    for r in sorted(rows, key=lambda r: r["Name"]):
        n, failed = int(r["Request Count"]), int(r["Failure Count"])
        p50, p95, p99 = (float(r[k]) if r[k] not in ("N/A", "") else float("nan")
                         for k in ("50%", "95%", "99%"))
        by_name[r["Name"]] = {"n": n, "errors": failed, "p50_ms": p50, "p95_ms": p95,
                              "p99_ms": p99, "max_ms": float(r["Max Response Time"]),
                              "rps": float(r["Requests/s"])}
        lines.append(f"  {r['Type'] + ' ' + r['Name']:<44} {n:>8,} {failed:>6} {p50:>6.0f} "
                     f"{p95:>6.0f} {p99:>6.0f} {float(r['Max Response Time']):>7.0f} "
                     f"{float(r['Requests/s']):>6.1f}")
    return lines, by_name


def main(argv=None) -> int:
    args = parse_args(argv)
    run = RunClock()
    bootstrap.use_repository()
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda signum, frame: sys.exit(128 + signum))
    os.environ["SECRET_KEY"] = SECRET_KEY  # the token and session hashes the web will check
    redis = start_redis()
    try:
        db = bootstrap.setup_django(args.database, redis_url=redis.url, reuse=args.reuse)
        from django.utils import timezone

        info = bootstrap.machine(db.server_version)
        print(bootstrap.machine_line(info))
        day = timezone.localdate()
        built = built_before() if db.kept else None
        if db.kept and built is None:
            sys.exit(f"{args.database} holds no complete build: run without --reuse")
        if built is None:
            now = timezone.now()
            built = build(args, day, now)
            print(f"built in {built['build_s']:.0f} s ({built['build_s'] / 60:.1f} min); "
                  f"database {built['database_size']}", flush=True)
        else:
            print(f"reusing the build of {built['day']} (commit {built['commit']}, "
                  f"{built['build_s'] / 60:.1f} min, {built['database_size']})")
        held = counts_now()
        print(f"the platform now: {held['agencies']:,} agencies, {held['items']:,} items "
              f"{held['items_by_status']}, {held['open_tasks']:,} open tasks "
              f"({held['claimed']:,} claimed), {held['applications']:,} applications, "
              f"{held['releases']:,} releases", flush=True)
        result = None
        if not args.no_load:
            print(f"\nload (load average {bootstrap.load_avg()})", flush=True)
            result = load(args, db, redis, day)
    finally:
        PROCESSES.stop_all()
        shutil.rmtree(redis.dir, ignore_errors=True)
    info["load_avg_end"] = bootstrap.load_avg()
    b = built["args"]
    lines = ["SUMMARY  the platform at scale under load (platform_scale.py)",
             f"  {bootstrap.machine_line(info)}",
             f"  built: {b['agencies']:,} agencies, {b['items']:,} items ({b['released']:,} "
             f"released, {b['open']:,} in review, {b['drafts']:,} drafts/returned, "
             f"{b['history']:,} approved with rounds, the rest noise), {b['applications']:,} "
             f"applications; in {built['build_s']:.0f} s ({built['build_s'] / 60:.1f} min), "
             f"{built['database_size']}, on {built['day']}, commit {built['commit']}",
             f"  now: {held['items']:,} items, {held['open_tasks']:,} open tasks "
             f"({held['claimed']:,} claimed), {held['releases']:,} releases"]
    ok = True
    if result is not None:
        table, by_name = figures(result, args)
        c = result["plan"]["counts"]
        acting = len(result["plan"]["reviewer_agencies"])
        lines.append(f"  load: {c['reviewers']} reviewers ({acting} agencies), "
                     f"{c['drafters']} drafters, {c['citizens']} citizens; "
                     f"{args.duration} s measured after {args.spawn_rate:g} users/s started; "
                     f"think ×{args.think:g}; gunicorn {args.web_workers} sync workers "
                     f"(production settings), {args.workers} Celery workers (solo); "
                     f"load average at the end {result['load_avg_end']}")
        lines.append("  wall-clock ms, per request (locust, measured part):")
        lines += table
        lines.append("  ms inside a web worker (gunicorn's access log, whole run; without the "
                     "wait for a free worker):")
        for route, t in result["in_worker"].items():
            lines.append(f"    {route:<58} {t['n']:>7,}  p50 {t['p50_ms']:7.1f}  "
                         f"p95 {t['p95_ms']:7.1f}")
        lines.append(f"  public index of the large agency, alone before the load, rendered each "
                     f"time: "
                     f"{', '.join(f'{t:.0f}' for t in result['large_index_ms'])} ms (not in "
                     f"the citizens' mix)")
        errors = sum(r["errors"] for r in by_name.values())
        races = sum(r["n"] for name, r in by_name.items() if "409" in name)
        lines.append(f"  errors: {errors} (target 0); 409 answered to competing reviewers "
                     f"(not errors): {races}; 500s in the gunicorn log: "
                     f"{result['server_errors_logged']}")
        for f in result["failures"][:10]:
            lines.append(f"    {f['Occurrences']}× {f['Method']} {f['Name']}: {f['Error'][:150]}")
        cpu, d = result["cpu_s"], result["decided"]
        spent = cpu.get(WEB, 0) + cpu.get(BACKENDS, 0)
        lines.append(f"  whole locust run {result['wall_s']:.0f} s: {d['approvals']:,} approvals "
                     f"{d['by_step']}, {d['fully_approved']:,} items fully approved, "
                     f"{d['releases']:,} releases ({d['published']:,} published)")
        lines.append("  CPU s: " + ", ".join(f"{k} {v:.1f}" for k, v in
                                              sorted(cpu.items(), key=lambda kv: -kv[1])) +
                     f"; cores busy {result['busy_s']:.0f} of {result['machine_s']:.0f} s")
        if d["approvals"]:
            lines.append(f"  CPU ms per approval (gunicorn + PostgreSQL backends, all traffic "
                         f"of the run included): {1000 * spent / d['approvals']:.1f} "
                         f"(web {1000 * cpu.get(WEB, 0) / d['approvals']:.1f} + PostgreSQL "
                         f"{1000 * cpu.get(BACKENDS, 0) / d['approvals']:.1f}); per fully "
                         f"approved item {1000 * spent / max(1, d['fully_approved']):.1f}")
        queue = by_name.get("queue (API)", {}).get("p95_ms", float("nan"))
        approve = max((r["p95_ms"] for name, r in by_name.items()
                       if name.startswith("approve:") and "409" not in name),
                      default=float("nan"))
        met_q, met_a = queue <= QUEUE_P95_MS, approve <= APPROVE_P95_MS
        ok = met_q and met_a and errors == 0
        lines.append(f"  targets: queue (API) p95 {queue:.0f} ≤ {QUEUE_P95_MS:.0f} ms: "
                     f"{'MET' if met_q else 'NOT MET'}; approve p95 (slowest tier) "
                     f"{approve:.0f} ≤ {APPROVE_P95_MS:.0f} ms: {'MET' if met_a else 'NOT MET'}; "
                     f"0 errors: {'MET' if errors == 0 else 'NOT MET'}")
    lines.append(f"  run: {run.line()}")
    print("\n" + "\n".join(lines))
    RESULTS_DIR.mkdir(exist_ok=True)
    (RESULTS_DIR / "platform_scale.json").write_text(json.dumps(
        {"args": vars(args), "machine": info, "build": built, "held": held, "load": result,
         "met": ok, "run": run.report()}, ensure_ascii=False, indent=2, default=str))
    (RESULTS_DIR / "platform_scale_summary.txt").write_text("\n".join(lines) + "\n")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
