"""The reminder sweeps on PostgreSQL: Art. 26 reminders over every open item
(`workflow.reminders.sweep`) and the 依申请公开 deadline reminders over every open
application (`applications.reminders.sweep`), on 50,000 open review tasks and 100,000
applications across 1,000 agencies.

A standalone script, not a test. It works in its own database (lib.bootstrap) and builds,
without the services (no audit events: neither sweep reads them):

* agencies with an office and a construction section, two application handlers and a
  leader covering both (`lib.register.staff`), and for the review a drafter per section, a
  head per section and two confidentiality reviewers;
* `--open` items in review (one large agency holds `--large-share`, the others share the
  rest), formed up to 40 days before the day measured (some overdue, some due within 5
  working days, some past the holiday table), each at one step of 三审 with the rows
  viewflow and the services write for it: its `Process` + `ReviewProcess`, the start task,
  a done task per tier passed (owned by that tier's reviewer) and the open task of its
  current tier, claimed by its reviewer in 40 % of the items (the rest wait to be claimed,
  so everyone who may take them is reminded); `--drafts` drafts and returned items
  (reminded to their drafter); `--history` approved items with all their done tasks (the
  task table as a year of use leaves it). Written by COPY (`lib.data.copy_rows`): bulk_create
  refuses ReviewProcess, a multi-table child of viewflow's Process;
* the 依申请公开 register of `lib.register` (`--applications`, as `applications.py`).

Then `VACUUM ANALYZE` and each sweep twice on the same day (a working day, 10:00 Beijing
time): the first writes the reminders due, the second must write none. Measured: wall and
CPU time of this process, the PostgreSQL backend's CPU, the statements and the time
inside each. The e-mails the new notices ask for are queued to a stub (in production a
worker sends them; in the embedded mode they would run here): their count is printed.
`EXPLAIN (ANALYZE, BUFFERS)` of every statement of the first sweeps (each run inside a
transaction rolled back) is written to `results/reminder_sweep_plans.txt`.

Targets: the two sweeps together ≤ 10 s.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python benchmarks/reminder_sweep.py           # 50,000 open tasks
    ... benchmarks/reminder_sweep.py --quick                     # 5,000, 10,000, 100 agencies

See benchmarks/README.md.
"""

import argparse
import datetime as dt
import json
import random
import sys

from lib import bootstrap, register
from lib.bootstrap import RESULTS_DIR
from lib.data import copy_rows
from lib.queries import Capture, short_shape
from lib.timing import Clock, RunClock, Steps

SWEEP_TARGET_S = 10.0
STEP_WEIGHTS = (0.5, 0.3, 0.2)  # items at the head's, the secrecy and the leader's step
CLAIMED = 0.4


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--open", type=int, default=None,
                        help="items in review, one open task each (50,000; --quick 5,000)")
    parser.add_argument("--drafts", type=int, default=None,
                        help="drafts and returned items (10 %% of --open)")
    parser.add_argument("--history", type=int, default=None,
                        help="approved items with all their tasks (as many as --open)")
    parser.add_argument("--applications", type=int, default=None,
                        help="applications (100,000; --quick 10,000)")
    parser.add_argument("--agencies", type=int, default=None,
                        help="agencies (1,000; --quick 100)")
    parser.add_argument("--large-share", type=float, default=0.05,
                        help="share of the items and applications in the one large agency")
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--quick", action="store_true",
                        help="5,000 open tasks, 10,000 applications, 100 agencies")
    bootstrap.add_database_options(parser, "bench_reminders")
    args = parser.parse_args(argv)
    if args.open is None:
        args.open = 5_000 if args.quick else 50_000
    if args.applications is None:
        args.applications = 10_000 if args.quick else 100_000
    if args.agencies is None:
        args.agencies = 100 if args.quick else 1_000
    if args.drafts is None:
        args.drafts = args.open // 10
    if args.history is None:
        args.history = args.open
    if args.agencies < 2 or args.applications < 10 * args.agencies or args.open < args.agencies:
        parser.error("need --agencies >= 2, --applications >= 10 × --agencies, "
                     "--open >= --agencies")
    bootstrap.check_database_name(parser, args)
    return args


def measured_day():
    """The last working day up to today, 10:00 Beijing time (reminders go out from 08:00)."""
    from django.utils import timezone

    from workdays.calendar import WorkingCalendar

    calendar, day = WorkingCalendar(), timezone.localdate()
    while not calendar.is_working_day(day):
        day -= dt.timedelta(days=1)
    return day, timezone.make_aware(dt.datetime.combine(day, dt.time(10)))


# ------------------------------------------------------------------------ building

def review_staff(agencies, people, *, categories=None) -> int:
    """A drafter and a head per section and two confidentiality reviewers per agency; the
    items' category from `categories` ({agency id: Category}), else one made per agency."""
    from agencies.models import Role, Section, User
    from publications.models import Category

    specs = [("drafter_office", [Role.DRAFTER], 0), ("drafter_construction", [Role.DRAFTER], 1),
             ("head_office", [Role.SECTION_HEAD], 0),
             ("head_construction", [Role.SECTION_HEAD], 1),
             ("secrecy_a", [Role.SECRECY_REVIEWER], 0), ("secrecy_b", [Role.SECRECY_REVIEWER], 0)]
    users = iter(User.objects.bulk_create(
        [User(username=f"{name}_{g.pk}", agency=g, section=people[g.pk]["sections"][k],
              roles=[str(r) for r in roles], password="!")
         for g in agencies for name, roles, k in specs]))
    for g in agencies:
        people[g.pk].update({name: next(users) for name, _r, _k in specs})
    Section.heads.through.objects.bulk_create(
        [Section.heads.through(section_id=people[g.pk]["sections"][k].pk,
                               user_id=people[g.pk][f"head_{code}"].pk)
         for g in agencies for k, code in enumerate(("office", "construction"))])
    made = 0
    if categories is None:
        categories = dict(zip([g.pk for g in agencies], Category.objects.bulk_create(
            [Category(agency=g, code="work_updates", name="工作动态") for g in agencies]),
            strict=True))
        made = len(agencies)
    for g in agencies:
        people[g.pk]["category"] = categories[g.pk]
    return len(agencies) * (len(specs) + 2) + made


class ItemRows:
    """Items and the rows the review wrote for them, as the services write them."""

    def __init__(self, people, day, now, seed):
        from django.contrib.contenttypes.models import ContentType

        from workflow.models import ReviewProcess

        self.people, self.day, self.now = people, day, now
        self.rng = random.Random(seed)
        self.round_type = ContentType.objects.get_for_model(ReviewProcess)

    def items(self, owners, status, formed_back):
        from publications.models import Publication

        rows = []
        for agency in owners:
            org = self.people[agency.pk]
            k = self.rng.randrange(2)
            rows.append(Publication(
                agency_id=agency.pk, section=org["sections"][k],
                drafter=org["drafter_office" if k == 0 else "drafter_construction"],
                category=org["category"], title=f"关于{agency.pk}号机关工作的通知",
                body="<p>正文</p>", status=status, document_type="", document_number="",
                decision_type="", round=1, fingerprint="f" * 64,
                formed_on=self.day - dt.timedelta(days=self.rng.randint(*formed_back))))
        copy_rows(Publication, _fields(Publication), rows)
        return rows

    def rounds(self, publications, *, done: bool):
        from viewflow.workflow.models import Process
        from viewflow.workflow.status import PROCESS

        from workflow.flows import ReviewFlow
        from workflow.models import ReviewProcess, RoundOutcome

        processes, started = [], []
        for p in publications:
            created = _moment(p.formed_on) + dt.timedelta(hours=2)
            started.append(created)
            processes.append(Process(
                flow_class=ReviewFlow, status=PROCESS.DONE if done else PROCESS.NEW,
                created=created, finished=created + dt.timedelta(days=6) if done else None))
        copy_rows(Process, _fields(Process), processes)
        children = [ReviewProcess(
            process_ptr_id=proc.pk, publication_id=p.pk, agency_id=p.agency_id,
            section_id=p.section_id, drafter_id=p.drafter_id, round=1,
            fingerprint=p.fingerprint,
            outcome=RoundOutcome.APPROVED if done else RoundOutcome.OPEN)
            for p, proc in zip(publications, processes, strict=True)]
        copy_rows(ReviewProcess, list(ReviewProcess._meta.local_concrete_fields), children,
                  pk_given=True)
        return list(zip(publications, processes, started, strict=True))

    def tasks(self, rounds, *, history: bool) -> tuple[int, int]:
        """The start task, a done task per tier passed, and (open items) the current tier's
        open task: (tasks written, open tasks claimed)."""
        from viewflow.workflow.models import Task
        from viewflow.workflow.status import STATUS

        from workflow.flows import ReviewFlow
        from workflow.permissions import REVIEW_STEPS

        tasks, claimed = [], 0
        for publication, process, started in rounds:
            org = self.people[publication.agency_id]
            reviewers = [org["head_office" if publication.section_id == org["sections"][0].pk
                             else "head_construction"],
                         org["secrecy_a" if self.rng.random() < 0.5 else "secrecy_b"],
                         org["leader"]]
            at = 3 if history else self.rng.choices(range(3), STEP_WEIGHTS)[0]
            tasks.append(Task(flow_task=ReviewFlow.start, flow_task_type="START",
                              process_id=process.pk, status=STATUS.DONE, created=started,
                              started=started, finished=started, owner=publication.drafter))
            moment = started
            for k, step in enumerate(REVIEW_STEPS[:at + 1]):
                node = getattr(ReviewFlow, step)
                permission = {"owner_permission": f"workflow.{step}",
                              "owner_permission_content_type": self.round_type,
                              "owner_permission_obj_pk": str(process.pk)}
                if k < at:
                    decided = moment + dt.timedelta(hours=self.rng.randint(1, 40))
                    tasks.append(Task(flow_task=node, flow_task_type="HUMAN",
                                      process_id=process.pk, status=STATUS.DONE, created=moment,
                                      assigned=decided, started=decided, finished=decided,
                                      owner=reviewers[k], data={
                                          "decision": "approve", "comment": "",
                                          "fingerprint": publication.fingerprint},
                                      **permission))
                    moment = decided
                else:
                    moment = min(moment, self.now - dt.timedelta(minutes=5))
                    holder = reviewers[k] if self.rng.random() < CLAIMED else None
                    claimed += holder is not None
                    tasks.append(Task(flow_task=node, flow_task_type="HUMAN",
                                      process_id=process.pk,
                                      status=STATUS.ASSIGNED if holder else STATUS.NEW,
                                      created=moment, assigned=moment if holder else None,
                                      owner=holder, **permission))
        copy_rows(Task, _fields(Task), tasks)
        return len(tasks), claimed


def _fields(model):
    return [f for f in model._meta.concrete_fields if not f.primary_key]


def _moment(day):
    from django.utils import timezone

    return timezone.make_aware(dt.datetime.combine(day, dt.time(9)))


def _owners(agencies, count, large_share):
    large = round(count * large_share)
    rest = agencies[1:]
    return [agencies[0]] * large + [rest[i % len(rest)] for i in range(count - large)]


def build(args, day, now) -> dict:
    from agencies.models import Agency
    from publications.models import PublicationStatus as S

    steps = Steps()
    a = args.agencies
    print(f"building: {args.open:,} items in review, {args.drafts:,} drafts and returned, "
          f"{args.history:,} approved, {args.applications:,} applications, {a:,} agencies "
          f"({args.large_share:.0%} in the large one), as of {day}")
    agencies, people, counts = [], {}, {}

    def organisation():
        agencies.extend(Agency.objects.bulk_create(
            [Agency(code=f"bench_{i:05d}", name=f"机关 {i}") for i in range(1, a + 1)]))
        staffed, written = register.staff(agencies)
        people.update(staffed)
        return len(agencies) + written + review_staff(agencies, people)

    steps("agencies, sections, people", organisation)
    rows = ItemRows(people, day, now, args.seed)
    chunk = 10_000
    owners = _owners(agencies, args.open, args.large_share)

    def in_review(lo, hi):
        written, claimed = rows.tasks(rows.rounds(rows.items(owners[lo:hi], S.IN_REVIEW,
                                                             (0, 40)), done=False),
                                      history=False)
        counts["claimed"] = counts.get("claimed", 0) + claimed
        counts["tasks"] = counts.get("tasks", 0) + written
        return (hi - lo) * 3 + written

    for lo in range(0, args.open, chunk):
        hi = min(args.open, lo + chunk)
        steps(f"in review {lo:,}–{hi:,} (+ rounds, tasks)", lambda lo=lo, hi=hi: in_review(lo, hi))

    def drafts():
        owned = _owners(agencies, args.drafts, args.large_share)
        half = len(owned) // 2
        rows.items(owned[:half], S.DRAFT, (0, 40))
        rows.items(owned[half:], S.RETURNED, (0, 40))
        return len(owned)

    if args.drafts:
        steps("drafts and returned items", drafts)
    history = _owners(agencies, args.history, args.large_share)
    for lo in range(0, args.history, chunk):
        hi = min(args.history, lo + chunk)
        steps(f"approved {lo:,}–{hi:,} (+ rounds, tasks)", lambda lo=lo, hi=hi: rows.tasks(
            rows.rounds(rows.items(history[lo:hi], S.APPROVED, (60, 400)), done=True),
            history=True)[0] + 3 * (hi - lo))
    register.applications(agencies=agencies, people=people, count=args.applications,
                          today=day, seed=args.seed, steps=steps,
                          large_agencies=1, large_share=args.large_share)
    size = steps.vacuum_analyze()
    return {"timings_s": steps.timings, "database_size": size, "build_s": steps.total_s,
            "claimed": counts.get("claimed", 0), "item_tasks": counts.get("tasks", 0),
            **register.counts(day)}


# ----------------------------------------------------------------------- measuring

class QueuedEmails:
    """Stands in for the e-mail task: counts the notices handed to it."""

    def __init__(self):
        self.calls = self.notices = 0

    def delay(self, ids, **kwargs):
        self.calls += 1
        self.notices += len(ids)


def measure(name, call, *, explain_to: list) -> dict:
    from django.db import connection, transaction

    from notifications import services

    runs = {}
    for label in ("first", "second"):
        emails = QueuedEmails()
        real, services.send_notification_emails = services.send_notification_emails, emails
        try:
            with Capture() as capture, Clock(db=True) as clock:
                counts = call()
        finally:
            services.send_notification_emails = real
        statements = [{"ms": ms, "shape": short_shape(q["sql"], 160), "sql": q["sql"]}
                      for q, ms in zip(capture.queries, capture.durations, strict=False)]
        runs[label] = {"wall_s": clock.wall_ms / 1000, "cpu_s": clock.cpu_ms / 1000,
                       "db_cpu_s": clock.db_cpu_s, "statements": len(capture.queries),
                       "written": counts, "emails_queued": emails.notices,
                       "slowest": sorted(statements, key=lambda s: -s["ms"])[:5]}
        db = f", PostgreSQL backend {clock.db_cpu_s:.2f} s" if clock.db_cpu_s is not None else ""
        print(f"  {name} ({label}): wall {clock.wall_ms / 1000:.2f} s, CPU "
              f"{clock.cpu_ms / 1000:.2f} s{db}; {len(capture.queries)} statements; written "
              f"{counts}; e-mails queued for {emails.notices:,} notices", flush=True)
        for s in runs[label]["slowest"][:3]:
            print(f"      {s['ms']:8.1f} ms  {s['shape']}")
        if label == "first":
            with connection.cursor() as cur:
                for s in statements:
                    if s["sql"].split(None, 1)[0].upper() not in ("SELECT", "INSERT", "UPDATE"):
                        continue
                    with transaction.atomic():
                        cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + s["sql"])
                        plan = "\n".join(row[0] for row in cur.fetchall())
                        transaction.set_rollback(True)
                    explain_to.append(f"-- {name}: {s['ms']:.1f} ms in the sweep\n{s['sql']}\n\n"
                                      f"{plan}\n")
        for s in runs[label]["slowest"]:
            s.pop("sql")
    return runs


def main(argv=None) -> int:
    args = parse_args(argv)
    run = RunClock()
    db = bootstrap.setup_django(args.database, redis_url="")
    info = bootstrap.machine(db.server_version)
    print(bootstrap.machine_line(info))
    day, now = measured_day()
    built = build(args, day, now)
    print(f"built in {built['build_s']:.0f} s; database {built['database_size']}; "
          f"{args.open:,} open tasks ({built['claimed']:,} claimed), {built['open']:,} open "
          f"applications ({built['overdue']:,} overdue)")

    from applications import reminders as application_reminders
    from workflow import reminders as item_reminders

    plans = []
    print(f"\nsweeps on {day} at 10:00 (load average {bootstrap.load_avg()})")
    items = measure("items", lambda: item_reminders.sweep(now=now), explain_to=plans)
    print(f"  (load average {bootstrap.load_avg()})")
    applications = measure("applications", lambda: application_reminders.sweep(on=day),
                           explain_to=plans)
    RESULTS_DIR.mkdir(exist_ok=True)
    (RESULTS_DIR / "reminder_sweep_plans.txt").write_text(("\n" + "=" * 100 + "\n").join(plans))

    total = items["first"]["wall_s"] + applications["first"]["wall_s"]
    ok = total <= SWEEP_TARGET_S
    idempotent = not any(items["second"]["written"].values()) and not any(
        applications["second"]["written"].values())
    info["load_avg_end"] = bootstrap.load_avg()
    lines = [
        "SUMMARY  reminder sweeps: Art. 26 items and 依申请公开 applications",
        f"  {bootstrap.machine_line(info)}; at the end {info['load_avg_end']}",
        f"  data: {args.open:,} items in review with one open task each ({built['claimed']:,} "
        f"claimed; {built['item_tasks']:,} tasks of theirs), {args.drafts:,} drafts and "
        f"returned, {args.history:,} approved with their tasks; {built['applications']:,} "
        f"applications ({built['open']:,} open, {built['overdue']:,} overdue); "
        f"{args.agencies:,} agencies ({args.large_share:.0%} in one); built in "
        f"{built['build_s']:.0f} s ({built['database_size']})",
    ]
    for name, runs in (("items", items), ("applications", applications)):
        for label in ("first", "second"):
            s = runs[label]
            db_cpu = f", PostgreSQL {s['db_cpu_s']:.2f} s" if s["db_cpu_s"] is not None else ""
            lines.append(f"  {name} sweep ({label}): wall {s['wall_s']:.2f} s, CPU "
                         f"{s['cpu_s']:.2f} s{db_cpu}, {s['statements']} statements, written "
                         f"{s['written']}, e-mails queued {s['emails_queued']:,}")
    lines.append(f"  both first sweeps: {total:.2f} s; target ≤ {SWEEP_TARGET_S:.0f} s: "
                 f"{'MET' if ok else 'NOT MET'}; second sweeps wrote nothing: "
                 f"{'yes' if idempotent else 'NO'}")
    lines.append(f"  run: {run.line()}")
    print("\n" + "\n".join(lines))
    (RESULTS_DIR / "reminder_sweep.json").write_text(json.dumps(
        {"args": vars(args), "machine": info, "day": day, "build": built,
         "items": items, "applications": applications,
         "targets": {"sweeps_s": SWEEP_TARGET_S}, "met": {"sweeps": ok, "idempotent": idempotent},
         "run": run.report()}, ensure_ascii=False, indent=2, default=str))
    (RESULTS_DIR / "reminder_sweep_summary.txt").write_text("\n".join(lines) + "\n")
    print(f"results: {RESULTS_DIR / 'reminder_sweep.json'}, plans: "
          f"{RESULTS_DIR / 'reminder_sweep_plans.txt'}")
    return 0 if ok and idempotent else 1


if __name__ == "__main__":
    sys.exit(main())
