"""The daily digest (每日待办, `workflow.digest`) at platform size: 20,000 people in 1,000
agencies, 50,000 open review tasks, written and e-mailed by 2 real Celery worker processes.

A standalone script, not a test. It works in its own database (lib.bootstrap) and builds,
without the services (the digest reads no audit events), with the rows of
`reminder_sweep.py` (its `ItemRows`, written by COPY):

* per agency 20 people: 8 drafters (4 per section), 2 section heads per section, 4
  confidentiality reviewers, 2 leaders covering both sections, 2 application handlers
  (who have nothing to read: no digest), each with an e-mail address;
* `--open` items in review, each at one step of 三审 with its open task (40 % claimed),
  formed up to 40 days back (overdue, due within 5 working days, or not yet due);
  `--drafts` drafts and returned items; `--history` approved items with all their tasks;
* `--outcomes` notices of the day before to the drafters about their own items
  (released, not released, returned), which the digest reports.

Then `VACUUM ANALYZE`, and the beat's task (`workflow.tasks.send_daily_digests`) is sent
once to 2 × `celery worker --pool solo` (own redis-server, `EMAIL_BACKEND` locmem: every
e-mail is rendered and handed to the backend, none leaves the machine). Measured: wall
time from the dispatch to the last digest written and to the last e-mail sent
(`emailed_at`), CPU of the workers and of the bench database's PostgreSQL backends (from
/proc), the digests and e-mails. Then the task is sent again: it must write nothing.

`--in-process` instead runs `workflow.tasks.sweep_digests` in this process with tasks eager (the
embedded mode; e-mails sent here to locmem), statements counted.

Target: every digest written and e-mailed ≤ 60 s with 2 workers.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
        nice -n 10 .venv/bin/python benchmarks/digest.py          # 20,000 people
    ... benchmarks/digest.py --quick                               # 100 agencies, 2,000

Run on a working day after the agencies' digest time (08:30 Beijing time) and before
their quiet hours (20:00). See benchmarks/README.md.
"""

import argparse
import datetime as dt
import json
import os
import random
import shutil
import signal
import sys
import time

import reminder_sweep as rs
from lib import bootstrap, register
from lib.bootstrap import RESULTS_DIR
from lib.data import copy_rows
from lib.queries import Capture, short_shape
from lib.sampling import BACKENDS, WORKERS, CpuTracker
from lib.timing import Clock, RunClock, Steps
from lib.workers import PROCESSES, Workers, start_redis

TARGET_S = 60.0
DRAFTERS = 4  # per section
EXTRA = [("head_office_2", "SECTION_HEAD", 0), ("head_construction_2", "SECTION_HEAD", 1),
         ("secrecy_c", "SECRECY_REVIEWER", 0), ("secrecy_d", "SECRECY_REVIEWER", 0),
         ("leader_b", "LEADER", 0)]


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--agencies", type=int, default=None, help="1,000; --quick 100")
    parser.add_argument("--open", type=int, default=None,
                        help="items in review, one open task each (50,000; --quick 5,000)")
    parser.add_argument("--drafts", type=int, default=None, help="10 %% of --open")
    parser.add_argument("--history", type=int, default=None, help="half of --open")
    parser.add_argument("--outcomes", type=int, default=None,
                        help="yesterday's notices about the drafters' items (20 %% of --open)")
    parser.add_argument("--large-share", type=float, default=0.05)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--in-process", action="store_true",
                        help="the sweep in this process, tasks eager (the embedded mode)")
    parser.add_argument("--seed", type=int, default=23)
    parser.add_argument("--quick", action="store_true")
    bootstrap.add_database_options(parser, "bench_digest")
    args = parser.parse_args(argv)
    if args.agencies is None:
        args.agencies = 100 if args.quick else 1_000
    if args.open is None:
        args.open = 5_000 if args.quick else 50_000
    if args.drafts is None:
        args.drafts = args.open // 10
    if args.history is None:
        args.history = args.open // 2
    if args.outcomes is None:
        args.outcomes = args.open // 5
    bootstrap.check_database_name(parser, args)
    return args


# ------------------------------------------------------------------------ building

class Items(rs.ItemRows):
    """reminder_sweep's rows, the drafter any of the section's drafters."""

    def items(self, owners, status, formed_back):
        from publications.models import Publication

        rows = []
        for agency in owners:
            org = self.people[agency.pk]
            k = self.rng.randrange(2)
            rows.append(Publication(
                agency_id=agency.pk, section=org["sections"][k],
                drafter=self.rng.choice(org["drafters"][k]), category=org["category"],
                title=f"关于{agency.pk}号机关工作的通知", body="<p>正文</p>", status=status,
                document_type="", document_number="", decision_type="", round=1,
                fingerprint="f" * 64,
                formed_on=self.day - dt.timedelta(days=self.rng.randint(*formed_back))))
        copy_rows(Publication, rs._fields(Publication), rows)
        return rows


def more_people(agencies, people) -> int:
    """Besides reminder_sweep's: 3 more drafters per section, a second head per section,
    two more confidentiality reviewers and a second leader (20 people an agency)."""
    from django.db.models import Value
    from django.db.models.functions import Concat

    from agencies.models import Role, Section, User

    specs = [(f"drafter_{code}_{n}", "DRAFTER", k) for k, code in
             enumerate(("office", "construction")) for n in range(2, DRAFTERS + 1)] + EXTRA
    made = iter(User.objects.bulk_create(
        [User(username=f"{name}_{g.pk}", agency=g, section=people[g.pk]["sections"][k],
              roles=[str(Role[role])], password="!")
         for g in agencies for name, role, k in specs]))
    for g in agencies:
        org = people[g.pk]
        org.update({name: next(made) for name, _r, _k in specs})
        org["drafters"] = [[org[f"drafter_{code}"]] + [org[f"drafter_{code}_{n}"]
                                                       for n in range(2, DRAFTERS + 1)]
                           for code in ("office", "construction")]
    Section.heads.through.objects.bulk_create(
        [Section.heads.through(section_id=people[g.pk]["sections"][k].pk,
                               user_id=people[g.pk][name].pk)
         for g in agencies for k, name in enumerate(("head_office_2", "head_construction_2"))])
    Section.leaders.through.objects.bulk_create(
        [Section.leaders.through(section_id=s.pk, user_id=people[g.pk]["leader_b"].pk)
         for g in agencies for s in people[g.pk]["sections"]])
    User.objects.update(email=Concat("username", Value("@bench.example.gov.cn")))
    return len(agencies) * (len(specs) + 4)


def outcomes(items, count, day, seed) -> int:
    """Notices of the previous working day to drafters about their items (the digest's
    released / failed / returned), already e-mailed."""
    from django.utils import timezone

    from notifications.kinds import NotificationKind as NK
    from notifications.models import Notification

    rng = random.Random(seed)
    kinds = [(NK.RELEASED, "公开专栏：已发布"), (NK.NOT_RELEASED, "微信公众号：连接失败"),
             (NK.RETURNED, "请补充依据")]
    chosen = rng.sample(items, min(count, len(items)))
    Notification.objects.bulk_create(
        [Notification(recipient_id=p.drafter_id, agency_id=p.agency_id, kind=kind,
                      publication_id=p.pk, round=1, title=p.title, message=message)
         for p in chosen for kind, message in [rng.choice(kinds)]], batch_size=5_000)
    yesterday = day - dt.timedelta(days=1)
    at = timezone.make_aware(dt.datetime.combine(yesterday, dt.time(15)))
    Notification.objects.update(created_at=at, emailed_at=at)
    return len(chosen)


def build(args, day, now) -> dict:
    from agencies.models import Agency
    from publications.models import PublicationStatus as S

    steps = Steps()
    print(f"building: {args.agencies:,} agencies × 20 people, {args.open:,} items in review, "
          f"{args.drafts:,} drafts and returned, {args.history:,} approved, "
          f"{args.outcomes:,} outcome notices, as of {day}")
    agencies, people, counts = [], {}, {"claimed": 0, "tasks": 0}

    def organisation():
        agencies.extend(Agency.objects.bulk_create(
            [Agency(code=f"bench_{i:05d}", name=f"机关 {i}")
             for i in range(1, args.agencies + 1)]))
        staffed, written = register.staff(agencies)
        people.update(staffed)
        return (len(agencies) + written + rs.review_staff(agencies, people)
                + more_people(agencies, people))

    steps("agencies, sections, people", organisation)
    rows = Items(people, day, now, args.seed)
    chunk, mine = 10_000, []
    owners = rs._owners(agencies, args.open, args.large_share)

    def in_review(lo, hi):
        items = rows.items(owners[lo:hi], S.IN_REVIEW, (0, 40))
        mine.extend(items)
        written, claimed = rows.tasks(rows.rounds(items, done=False), history=False)
        counts["claimed"] += claimed
        counts["tasks"] += written
        return (hi - lo) * 3 + written

    for lo in range(0, args.open, chunk):
        hi = min(args.open, lo + chunk)
        steps(f"in review {lo:,}–{hi:,} (+ rounds, tasks)", lambda lo=lo, hi=hi: in_review(lo, hi))

    def drafts():
        owned = rs._owners(agencies, args.drafts, args.large_share)
        half = len(owned) // 2
        mine.extend(rows.items(owned[:half], S.DRAFT, (0, 40)))
        mine.extend(rows.items(owned[half:], S.RETURNED, (0, 40)))
        return len(owned)

    if args.drafts:
        steps("drafts and returned items", drafts)
    history = rs._owners(agencies, args.history, args.large_share)
    for lo in range(0, args.history, chunk):
        hi = min(args.history, lo + chunk)
        steps(f"approved {lo:,}–{hi:,} (+ rounds, tasks)", lambda lo=lo, hi=hi: rows.tasks(
            rows.rounds(rows.items(history[lo:hi], S.APPROVED, (60, 400)), done=True),
            history=True)[0] + 3 * (hi - lo))
    if args.outcomes:
        steps("outcome notices (yesterday)", lambda: outcomes(mine, args.outcomes, day,
                                                              args.seed))
    size = steps.vacuum_analyze()
    from agencies.models import User

    return {"timings_s": steps.timings, "database_size": size, "build_s": steps.total_s,
            "people": User.objects.count(), "claimed": counts["claimed"],
            "item_tasks": counts["tasks"]}


# ----------------------------------------------------------------------- measuring

def tally() -> dict:
    """Digests written and e-mailed so far, and the moments of the last of each."""
    from django.db.models import Count, Max, Q

    from notifications.kinds import NotificationKind as NK
    from notifications.models import Notification

    return Notification.objects.filter(kind=NK.DAILY_DIGEST).aggregate(
        digests=Count("pk"), emailed=Count("pk", filter=Q(emailed_at__isnull=False)),
        held=Count("pk", filter=Q(email_held_until__isnull=False)),
        last_written=Max("created_at"), last_emailed=Max("emailed_at"))


def wait_idle(app, timeout=900) -> None:
    """Until the queue is empty, nothing is being worked on (acks_late: a message stays
    in `unacked` until its task ends) and every digest is e-mailed, twice in a row."""
    from kombu import Connection

    deadline, quiet = time.time() + timeout, 0
    with Connection(app.conf.broker_url) as conn:
        client = conn.default_channel.client
        while time.time() < deadline:
            t = tally()
            busy = client.llen("celery") or client.hlen("unacked")
            quiet = quiet + 1 if not busy and t["emailed"] + t["held"] >= t["digests"] else 0
            if quiet >= 2:
                return
            time.sleep(0.5)
    raise RuntimeError(f"not idle after {timeout} s: {tally()}")


def with_workers(args, db, redis) -> dict:
    from django.db import connection

    from config.celery import app
    from workflow.tasks import send_daily_digests

    # every e-mail rendered and handed to a backend that keeps it in the worker's memory
    os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
    variant = {"name": f"solo-{args.workers}x1", "pool": "solo", "workers": args.workers,
               "concurrency": 1}
    workers = Workers(variant, label="digest", redis_url=redis.url, database_url=db.url,
                      worker_root=bootstrap.REPO_ROOT, prefetch=1)
    workers.wait_ready(app)
    print(f"  workers ready: {workers.command}", flush=True)
    connection.close()
    runs = {}
    for label in ("first", "second"):
        before = tally()
        cpu = CpuTracker(worker_pgids=workers.pgids, redis_pid=redis.proc.pid,
                         dbname=db.name)
        cpu.start()
        t0 = time.time()
        send_daily_digests.delay()
        wait_idle(app)
        cpu_s, busy_s, total_s = cpu.stop()
        after = tally()
        written = after["digests"] - before["digests"]
        emailed = after["emailed"] - before["emailed"]
        w = (after["last_written"].timestamp() - t0) if written else 0.0
        e = (after["last_emailed"].timestamp() - t0) if emailed else 0.0
        runs[label] = {"digests": written, "emailed": emailed, "held": after["held"],
                       "written_s": w, "emailed_s": e, "cpu_s": cpu_s, "busy_s": busy_s,
                       "machine_s": total_s}
        print(f"  {label}: {written:,} digests, last written after {w:.1f} s; {emailed:,} "
              f"e-mails, last sent after {e:.1f} s; CPU workers {cpu_s.get(WORKERS, 0):.1f} s, "
              f"PostgreSQL backends {cpu_s.get(BACKENDS, 0):.1f} s; cores busy {busy_s:.0f} "
              f"of {total_s:.0f} s (load average {bootstrap.load_avg()})", flush=True)
    workers.stop()
    return runs


def in_process(args, now) -> dict:
    from django.core import mail

    from config.celery import app
    from workflow.tasks import sweep_digests

    app.conf.task_always_eager = True
    mail.outbox = []
    runs = {}
    for label in ("first", "second"):
        with Capture() as capture, Clock(db=True) as clock:
            written = sweep_digests(now=now)
        shapes = sorted(zip(capture.durations, capture.queries, strict=False),
                        key=lambda p: -p[0])[:8]
        runs[label] = {"digests": written, "emailed": len(mail.outbox),
                       "wall_s": clock.wall_ms / 1000, "cpu_s": clock.cpu_ms / 1000,
                       "db_cpu_s": clock.db_cpu_s, "statements": len(capture.queries),
                       "slowest": [{"ms": ms, "shape": short_shape(q["sql"], 160)}
                                   for ms, q in shapes]}
        print(f"  {label}: {written:,} digests, {len(mail.outbox):,} e-mails; wall "
              f"{clock.wall_ms / 1000:.2f} s, CPU {clock.cpu_ms / 1000:.2f} s, PostgreSQL "
              f"{clock.db_cpu_s or 0:.2f} s; {len(capture.queries):,} statements", flush=True)
        for s in runs[label]["slowest"][:5]:
            print(f"      {s['ms']:8.1f} ms  {s['shape']}")
        mail.outbox = []
    return runs


def main(argv=None) -> int:
    args = parse_args(argv)
    run = RunClock()
    bootstrap.use_repository()
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda signum, frame: sys.exit(128 + signum))
    redis = None if args.in_process else start_redis()
    try:
        db = bootstrap.setup_django(args.database, redis_url="" if redis is None else redis.url)
        from django.conf import settings
        from django.utils import timezone

        settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
        info = bootstrap.machine(db.server_version)
        print(bootstrap.machine_line(info))
        now = timezone.localtime()
        day = now.date()
        from workdays.calendar import WorkingCalendar

        if not WorkingCalendar().is_working_day(day) or not (
                dt.time(8, 31) <= now.time() <= dt.time(19, 50)):
            sys.exit(f"run on a working day between 08:31 and 19:50 Beijing time (now {now})")
        built = build(args, day, now)
        print(f"built in {built['build_s']:.0f} s; database {built['database_size']}; "
              f"{built['people']:,} people, {args.open:,} open tasks ({built['claimed']:,} "
              f"claimed)")
        print(f"\ndigests of {day} (load average {bootstrap.load_avg()})")
        runs = in_process(args, now) if redis is None else with_workers(args, db, redis)
    finally:
        PROCESSES.stop_all()
        if redis is not None:
            shutil.rmtree(redis.dir, ignore_errors=True)
    first, second = runs["first"], runs["second"]
    took = first.get("emailed_s", first.get("wall_s"))
    ok = took <= TARGET_S and second["digests"] == 0
    info["load_avg_end"] = bootstrap.load_avg()
    mode = "in-process (embedded mode)" if redis is None else f"{args.workers} workers (solo)"
    lines = [f"SUMMARY  daily digest, {mode}",
             f"  {bootstrap.machine_line(info)}; at the end {info['load_avg_end']}",
             f"  data: {built['people']:,} people in {args.agencies:,} agencies, {args.open:,} "
             f"items in review ({built['claimed']:,} claimed; {built['item_tasks']:,} tasks of "
             f"theirs), {args.drafts:,} drafts and returned, {args.history:,} approved, "
             f"{args.outcomes:,} outcome notices; built in {built['build_s']:.0f} s "
             f"({built['database_size']})"]
    for label, r in runs.items():
        if redis is None:
            lines.append(f"  {label}: {r['digests']:,} digests, {r['emailed']:,} e-mails; wall "
                         f"{r['wall_s']:.2f} s, CPU {r['cpu_s']:.2f} s, PostgreSQL "
                         f"{r['db_cpu_s'] or 0:.2f} s, {r['statements']:,} statements")
        else:
            lines.append(f"  {label}: {r['digests']:,} digests written in {r['written_s']:.1f} "
                         f"s, {r['emailed']:,} e-mails sent in {r['emailed_s']:.1f} s (held "
                         f"{r['held']}); CPU workers {r['cpu_s'].get(WORKERS, 0):.1f} s + "
                         f"PostgreSQL backends {r['cpu_s'].get(BACKENDS, 0):.1f} s")
    lines.append(f"  target every digest written and e-mailed ≤ {TARGET_S:.0f} s: "
                 f"{'MET' if took <= TARGET_S else 'NOT MET'} ({took:.1f} s); second run "
                 f"wrote nothing: {'yes' if second['digests'] == 0 else 'NO'}")
    lines.append(f"  run: {run.line()}")
    print("\n" + "\n".join(lines))
    RESULTS_DIR.mkdir(exist_ok=True)
    (RESULTS_DIR / "digest.json").write_text(json.dumps(
        {"args": vars(args), "machine": info, "day": day, "build": built, "runs": runs,
         "met": ok, "run": run.report()}, ensure_ascii=False, indent=2, default=str))
    (RESULTS_DIR / "digest_summary.txt").write_text("\n".join(lines) + "\n")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
