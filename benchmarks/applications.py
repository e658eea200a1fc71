"""依申请公开 on PostgreSQL: the handler's deadline-sorted queue, the overdue list, and the
reminder sweep over every open application.

A standalone script, not a test. It works in its own database (lib.bootstrap) and builds,
with bulk_create, --applications applications across --agencies agencies (one large agency
holds --large-share of them, the rest share the remainder evenly), each agency with an
office and a construction section, two application handlers and a leader covering both.
Statuses and dates are spread as a county bureau's register would hold them on the day of
the run (about a third open; of those most with a running clock, some stopped by a 补正
notice, a consultation or a fee notice, some overdue, some due within 5 working days, and
— near a year's end — some whose deadline runs past the holiday table), with the clock
events that explain them; the stored deadline of each is what `applications.clock`
computes from those events. No audit events (nothing measured writes or reads them).

Measured, after VACUUM ANALYZE:

* `GET /api/v1/applications/?ordering=deadline` (the agency's open applications by
  deadline, as a handler sees them), `?ordering=deadline&mine=true` (the handler's own
  queue), `?overdue=true` (the overdue list), for a handler of the large agency and of a few
  ordinary ones, and the leader's queue: APIClient + force_authenticate, so no session
  query; page size 50. Wall-clock and CPU p50/p95 and the PostgreSQL backend's CPU, the
  statements per request. Target: p95 ≤ 30 ms.
* `applications.reminders.sweep` over all open applications: the first sweep (it writes
  the reminders due today) and a second one the same day (it must write none). Target:
  ≤ 5 s.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python benchmarks/applications.py            # 100,000 applications
    ... benchmarks/applications.py --quick                       # 10,000

See benchmarks/README.md.
"""

import argparse
import datetime as dt
import gc
import json
import random
import sys
import time

from lib import bootstrap
from lib.bootstrap import RESULTS_DIR
from lib.queries import Capture
from lib.timing import Clock, RunClock, Samples

LIST_TARGET_MS = 30.0
SWEEP_TARGET_S = 5.0
# (status, share of all applications)
STATUSES = [("pending_confirmation", 0.01), ("received", 0.20), ("awaiting_correction", 0.02),
            ("consulting_third_party", 0.02), ("awaiting_fee", 0.01),
            ("reply_pending_approval", 0.03), ("replied", 0.66), ("closed", 0.05)]
OUTCOMES = [("disclosed", 40), ("partly_disclosed", 15), ("unable_not_held", 15),
            ("withheld_third_party", 4), ("withheld_process_info", 4), ("unable_unclear", 3),
            ("not_processed_repeat", 4), ("not_processed_petition", 3),
            ("other_no_correction", 6), ("other_no_fee", 1), ("other", 5)]
PATHS = [("queue", "?ordering=deadline"), ("own queue", "?ordering=deadline&mine=true"),
         ("overdue", "?overdue=true")]


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--applications", type=int, default=None,
                        help="applications (default 100,000; --quick 10,000)")
    parser.add_argument("--agencies", type=int, default=None,
                        help="agencies (default 1,000; --quick 100)")
    parser.add_argument("--large-share", type=float, default=0.05,
                        help="share of the applications in the one large agency (0.05)")
    parser.add_argument("--runs", type=int, default=50, help="timed requests per list (50)")
    parser.add_argument("--measure-agencies", type=int, default=3,
                        help="ordinary agencies measured besides the large one (3)")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--quick", action="store_true", help="10,000 applications, 100 agencies")
    bootstrap.add_database_options(parser, "bench_applications")
    args = parser.parse_args(argv)
    if args.applications is None:
        args.applications = 10_000 if args.quick else 100_000
    if args.agencies is None:
        args.agencies = 100 if args.quick else 1_000
    if args.agencies < 2 or args.applications < 10 * args.agencies or args.runs < 1:
        parser.error("need --agencies >= 2, --applications >= 10 × --agencies, --runs >= 1")
    bootstrap.check_database_name(parser, args)
    return args


# ------------------------------------------------------------------------ building

class Clocks:
    """The stored clock of a pattern of events, computed once per pattern."""

    def __init__(self, today):
        from workdays.calendar import WorkingCalendar

        self.calendar, self.today, self.cache = WorkingCalendar(), today, {}

    def of(self, facts):
        from applications import clock

        key = tuple((kind, on) for kind, on, _data in facts)
        if key not in self.cache:
            self.cache[key] = clock.compute(
                [clock.Fact(kind, on, data) for kind, on, data in facts],
                calendar=self.calendar, today=self.today)
        return self.cache[key]

    def working_days_before(self, day, n):
        counted = 0
        while counted < n:
            day -= dt.timedelta(days=1)
            counted += self.calendar.is_working_day(day)
        return day


def build(args, today) -> dict:
    from django.db import connection, transaction

    from agencies.models import Agency, Role, Section, User
    from applications.fees import compute_fee
    from applications.models import Application, ClockEvent

    rng = random.Random(args.seed)
    clocks = Clocks(today)
    timings = {}

    def timed(label, fn):
        t0 = time.perf_counter()
        with transaction.atomic():
            rows = fn()
        timings[label] = time.perf_counter() - t0
        print(f"  {label:<38} {rows:>10,} rows  {timings[label]:6.1f} s", flush=True)
        return rows

    a = args.agencies
    print(f"building: {args.applications:,} applications, {a:,} agencies "
          f"({args.large_share:.0%} in the large one), as of {today}")
    agencies, people = [], {}

    def organisation():
        agencies.extend(Agency.objects.bulk_create(
            [Agency(code=f"bench_{i:05d}", name=f"机关 {i}") for i in range(1, a + 1)]))
        sections = Section.objects.bulk_create(
            [Section(agency=g, code=code, name=name) for g in agencies
             for code, name in (("office", "办公室"), ("construction", "建筑业管理股"))])
        users = User.objects.bulk_create(
            [User(username=f"{role}_{i}", agency=g, section=sections[2 * i],
                  roles=[str(r) for r in roles], password="!")
             for i, g in enumerate(agencies)
             for role, roles in (("handler_a", [Role.APPLICATION_HANDLER]),
                                 ("handler_b", [Role.APPLICATION_HANDLER]),
                                 ("leader", [Role.LEADER]))])
        for i, g in enumerate(agencies):
            people[g.pk] = {"sections": sections[2 * i:2 * i + 2],
                            "handlers": users[3 * i:3 * i + 2], "leader": users[3 * i + 2]}
        Section.leaders.through.objects.bulk_create(
            [Section.leaders.through(section_id=s.pk, user_id=people[g.pk]["leader"].pk)
             for g in agencies for s in people[g.pk]["sections"]])
        return len(agencies) + len(sections) + len(users)

    timed("agencies, sections, people", organisation)

    large = round(args.applications * args.large_share)
    owners = [agencies[0]] * large + [agencies[1 + i % (a - 1)]
                                      for i in range(args.applications - large)]
    statuses = rng.choices([s for s, _w in STATUSES], [w for _s, w in STATUSES],
                           k=args.applications)
    outcomes = [o for o, _w in OUTCOMES]
    outcome_weights = [w for _o, w in OUTCOMES]
    fee = compute_fee("per_page", 150).to_data()
    rows, events = [], []
    for n, (agency, status) in enumerate(zip(owners, statuses, strict=True)):
        org = people[agency.pk]
        facts, extra = [], {}
        if status == "pending_confirmation":
            received = None
        elif status in ("replied", "closed"):
            received = today - dt.timedelta(days=rng.randint(40, 730))
        elif status in ("received", "reply_pending_approval"):
            # up to ~5 weeks back: most on time, some overdue, some due within 5 days, and
            # one in twenty extended (near a year's end: past the holiday table)
            received = today - dt.timedelta(days=rng.randint(0, 33))
            if rng.random() < 0.05:
                extra["extended"] = True
        else:
            received = clocks.working_days_before(today, rng.randint(3, 12))
        if received is not None:
            facts.append(("received", received, {}))
        if extra.pop("extended", False):
            facts.append(("extended", min(received + dt.timedelta(days=10), today),
                          {"days": 20, "reason": "需调取档案"}))
        if status == "awaiting_correction":
            facts.append(("correction_requested",
                          clocks.working_days_before(today, rng.randint(0, 2)),
                          {"items": "请写明所需信息的年份", "period_days": 15}))
        elif status == "consulting_third_party":
            # one in ten unanswered past its 15 working days: the sweep recomputes it
            back = rng.randint(17, 25) if rng.random() < 0.1 else rng.randint(0, 2)
            facts = [("received", clocks.working_days_before(today, back + 3), {}),
                     ("consultation_sent", clocks.working_days_before(today, back),
                      {"third_party": "某公司"})]
        elif status == "awaiting_fee":
            facts.append(("fee_notice", clocks.working_days_before(today, rng.randint(0, 2)),
                          {"fee": fee, "period_days": 20}))
        elif status == "replied":
            extra["outcome"] = rng.choices(outcomes, outcome_weights)[0]
            extra["replied_on"] = received + dt.timedelta(days=rng.randint(3, 30))
            facts.append(("replied", extra["replied_on"], {"outcome": extra["outcome"]}))
        elif status == "closed":
            extra["outcome"], extra["closed_on"] = "other", received + dt.timedelta(days=5)
            facts.append(("closed", extra["closed_on"], {"reason": "申请人撤回"}))
        # the stored clock as the services would leave it; a consultation past its limit
        # as it was when last written (on the day it was sent)
        if status == "consulting_third_party":
            stored = {"deadline": None, "deadline_beyond_known": False,
                      "clock_stopped_by": "consultation"}
        elif facts:
            c = clocks.of(facts)
            stored = {"deadline": c.deadline, "deadline_beyond_known": c.beyond_known,
                      "clock_stopped_by": c.stopped_by, "extended": c.extended}
        else:
            stored = {}
        handler = None if status == "pending_confirmation" or rng.random() < 0.03 else \
            org["handlers"][n % 2]
        # a third in the construction section
        section = (None if status == "pending_confirmation"
                   else org["sections"][1 if n % 3 == 0 else 0])
        rows.append(Application(
            agency=agency, tracking_code=f"YSQ-B{n:08d}", status=status,
            received_via=rng.choice(["in_person", "post", "online", "email"]),
            received_on=facts[0][1] if facts else None, applicant_type=rng.choices(
                ["natural_person", "commercial", "research", "legal_service", "other"],
                [70, 15, 5, 7, 3])[0],
            applicant_name=f"申请人{n}", applicant_id_number=f"41082519880512{n % 10000:04d}",
            contact_phone=f"139{n:08d}", contact_address="河南省焦作市温县温泉街道人民路 88 号",
            content=f"关于第 {n} 号项目的审批材料和验收资料", section=section, handler=handler,
            **stored, **extra))
        events.append(facts)

    def applications():
        Application.objects.bulk_create(rows, batch_size=5000)
        return len(rows)

    def clock_events():
        made = [ClockEvent(application_id=row.pk, kind=kind, on=on, data=data)
                for row, facts in zip(rows, events, strict=True) for kind, on, data in facts]
        ClockEvent.objects.bulk_create(made, batch_size=5000)
        return len(made)

    timed("applications", applications)
    timed("clock events", clock_events)
    with connection.cursor() as cur:
        t0 = time.perf_counter()
        cur.execute("VACUUM ANALYZE")
        timings["vacuum analyze"] = time.perf_counter() - t0
        cur.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
        size = cur.fetchone()[0]
    from applications.models import OPEN_STATUSES
    from applications.selectors import overdue_filter

    open_ = Application.objects.filter(status__in=OPEN_STATUSES)
    counts = {
        "applications": Application.objects.count(), "clock_events": ClockEvent.objects.count(),
        "open": open_.count(), "overdue": overdue_filter(open_, on=today).count(),
        "stopped": open_.exclude(clock_stopped_by="").count(),
        "beyond_known": open_.filter(deadline_beyond_known=True).count(),
        "by_status": dict(sorted(
            (s, Application.objects.filter(status=s).count()) for s, _w in STATUSES)),
    }
    print(f"  {'vacuum analyze':<38} {'':>10}       {timings['vacuum analyze']:6.1f} s")
    return {"timings_s": timings, "database_size": size, "build_s": sum(timings.values()),
            "agencies": [g.pk for g in agencies], "people": people, **counts}


# ----------------------------------------------------------------------- measuring

class GcPauses:
    """The garbage collector's pauses while measuring: a full (generation 2) collection of
    this process's heap takes tens of ms and lands in whichever request triggers it."""

    def __init__(self):
        self.pauses, self._t0 = [], None

    def __call__(self, phase, info):
        if phase == "start":
            self._t0 = time.perf_counter()
        elif self._t0 is not None:
            self.pauses.append((info["generation"], (time.perf_counter() - self._t0) * 1000))

    def __enter__(self):
        gc.callbacks.append(self)
        return self

    def __exit__(self, *exc):
        gc.callbacks.remove(self)

    def summary(self) -> dict:
        full = [ms for generation, ms in self.pauses if generation == 2]
        return {"collections": len(self.pauses), "full": len(full),
                "full_max_ms": max(full, default=0.0), "all_ms": sum(ms for _g, ms in self.pauses)}


def measure_lists(args, built) -> list[dict]:
    from rest_framework.test import APIClient

    from agencies.models import User

    ids = built["agencies"]
    step = max((len(ids) - 1) // args.measure_agencies, 1)
    measured = [("large agency", ids[0])] + [
        (f"agency {pk}", pk) for pk in ids[1::step][: args.measure_agencies]]
    results = []
    for label, agency_id in measured:
        org = built["people"][agency_id]
        readers = [("handler", org["handlers"][0], PATHS),
                   ("leader", org["leader"], PATHS[:1])]
        for role, user, paths in readers:
            client = APIClient()
            client.force_authenticate(User.objects.get(pk=user.pk))
            for name, query in paths:
                path = f"/api/v1/applications/{query}"
                for _ in range(5):  # warm-up: plans and buffers
                    response = client.get(path)
                    assert response.status_code == 200, (response.status_code,
                                                          response.content[:300])
                samples, statements = Samples(), set()
                with GcPauses() as pauses:
                    for _ in range(args.runs):
                        with Capture() as capture, Clock(db=True) as clock:
                            response = client.get(path)
                        samples.add(clock)
                        statements.add(len(capture.queries))
                gc_pauses = pauses.summary()
                results.append({"agency": label, "reader": role, "list": name, "path": path,
                                "total": response.data["count"],
                                "rows": len(response.data["results"]),
                                "statements": sorted(statements), **samples.as_dict(),
                                "gc": gc_pauses, "sample": capture.queries})
                print(f"  {label:<13} {role:<7} {name:<9} {response.data['count']:>6} open, "
                      f"{len(response.data['results']):>2} shown, {sorted(statements)} "
                      f"statements; {samples.line()}; full GC {gc_pauses['full']}× (max "
                      f"{gc_pauses['full_max_ms']:.0f} ms)", flush=True)
    return results


def measure_sweep(today) -> dict:
    from applications import reminders
    from notifications.models import Notification

    runs = {}
    for label in ("first", "second"):
        with Capture() as capture, Clock(db=True) as clock:
            counts = reminders.sweep(on=today)
        runs[label] = {"wall_s": clock.wall_ms / 1000, "cpu_s": clock.cpu_ms / 1000,
                       "db_cpu_s": clock.db_cpu_s, "statements": len(capture.queries),
                       "written": counts}
        db = f", PostgreSQL backend {clock.db_cpu_s:.2f} s" if clock.db_cpu_s is not None else ""
        print(f"  {label} sweep: wall {clock.wall_ms / 1000:.2f} s, CPU {clock.cpu_ms / 1000:.2f} s"
              f"{db}; {len(capture.queries)} statements; written {counts}", flush=True)
    runs["notices"] = Notification.objects.count()
    return runs


def explain(lists, path) -> None:
    """EXPLAIN (ANALYZE, BUFFERS) of the statements of the large agency's lists."""
    from django.db import connection

    out = []
    with connection.cursor() as cur:
        for r in lists:
            if r["agency"] != "large agency" or r["reader"] != "handler":
                continue
            for q in r["sample"]:
                if not q["sql"].lstrip().upper().startswith("SELECT"):
                    continue
                cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + q["sql"])
                out.append(f"-- {r['list']}: {r['path']}\n{q['sql']}\n\n"
                           + "\n".join(row[0] for row in cur.fetchall()) + "\n")
    path.write_text(("\n" + "=" * 100 + "\n").join(out))


def main(argv=None) -> int:
    args = parse_args(argv)
    run = RunClock()
    db = bootstrap.setup_django(args.database, redis_url="")
    info = bootstrap.machine(db.server_version)
    print(bootstrap.machine_line(info))
    from applications.services import today as today_

    today = today_()
    built = build(args, today)
    print(f"built {built['applications']:,} applications ({built['open']:,} open: "
          f"{built['overdue']:,} overdue, {built['stopped']:,} with a stopped clock, "
          f"{built['beyond_known']:,} past the holiday table) and {built['clock_events']:,} "
          f"clock events in {built['build_s']:.0f} s; database {built['database_size']}")
    # what the build left for the collector, so that a full collection in a measured request
    # walks this process's own heap only (reported: objects tracked)
    gc.collect()
    built["gc_objects"] = len(gc.get_objects())
    print(f"objects tracked by the garbage collector after the build: {built['gc_objects']:,}")
    print(f"\nlists: GET /api/v1/applications/…, {args.runs} requests each after 5 warm-up "
          f"(load average {bootstrap.load_avg()})")
    lists = measure_lists(args, built)
    print(f"\nreminder sweep over {built['open']:,} open applications "
          f"(load average {bootstrap.load_avg()})")
    sweep = measure_sweep(today)
    RESULTS_DIR.mkdir(exist_ok=True)
    explain(lists, RESULTS_DIR / "applications_plans.txt")

    worst = max(lists, key=lambda r: r["wall_p95_ms"])
    lists_ok = worst["wall_p95_ms"] <= LIST_TARGET_MS
    sweep_ok = sweep["first"]["wall_s"] <= SWEEP_TARGET_S
    idempotent = not any(sweep["second"]["written"].values())
    info["load_avg_end"] = bootstrap.load_avg()
    lines = [
        "SUMMARY  依申请公开: queues, overdue list, reminder sweep",
        f"  {bootstrap.machine_line(info)}; at the end {info['load_avg_end']}",
        f"  data: {built['applications']:,} applications across {args.agencies:,} agencies "
        f"({args.large_share:.0%} in one), {built['open']:,} open ({built['overdue']:,} "
        f"overdue, {built['stopped']:,} stopped, {built['beyond_known']:,} past the holiday "
        f"table), {built['clock_events']:,} clock events; built in {built['build_s']:.0f} s "
        f"({built['database_size']})",
    ]
    for r in lists:
        lines.append(f"  {r['agency']:<13} {r['reader']:<7} {r['list']:<9} ({r['total']:>5} "
                     f"listed, {r['rows']} shown, {'/'.join(map(str, r['statements']))} "
                     f"statements): wall p50 {r['wall_p50_ms']:.1f} / p95 {r['wall_p95_ms']:.1f}"
                     f" ms, CPU p50 {r['cpu_p50_ms']:.1f} / p95 {r['cpu_p95_ms']:.1f} ms, "
                     f"PostgreSQL {r['db_cpu_mean_ms']:.1f} ms; full GC {r['gc']['full']}×")
    lines.append(f"  lists: worst p95 {worst['wall_p95_ms']:.1f} ms ({worst['agency']}, "
                 f"{worst['reader']}, {worst['list']}); target p95 ≤ {LIST_TARGET_MS:.0f} ms: "
                 f"{'MET' if lists_ok else 'NOT MET'}")
    for label in ("first", "second"):
        s = sweep[label]
        db_cpu = f", PostgreSQL {s['db_cpu_s']:.2f} s" if s["db_cpu_s"] is not None else ""
        lines.append(f"  sweep ({label}): wall {s['wall_s']:.2f} s, CPU {s['cpu_s']:.2f} s"
                     f"{db_cpu}, {s['statements']} statements, written {s['written']}")
    lines.append(f"  sweep: target ≤ {SWEEP_TARGET_S:.0f} s: {'MET' if sweep_ok else 'NOT MET'};"
                 f" second sweep wrote nothing: {'yes' if idempotent else 'NO'}")
    lines.append(f"  run: {run.line()}")
    print("\n" + "\n".join(lines))
    for r in lists:
        r.pop("sample")
    built.pop("people")
    built.pop("agencies")
    (RESULTS_DIR / "applications.json").write_text(json.dumps(
        {"args": vars(args), "machine": info, "build": built, "lists": lists, "sweep": sweep,
         "targets": {"list_p95_ms": LIST_TARGET_MS, "sweep_s": SWEEP_TARGET_S},
         "met": {"lists": lists_ok, "sweep": sweep_ok, "idempotent": idempotent},
         "run": run.report()}, ensure_ascii=False, indent=2, default=str))
    (RESULTS_DIR / "applications_summary.txt").write_text("\n".join(lines) + "\n")
    print(f"results: {RESULTS_DIR / 'applications.json'}, plans: "
          f"{RESULTS_DIR / 'applications_plans.txt'}")
    return 0 if lists_ok and sweep_ok and idempotent else 1


if __name__ == "__main__":
    sys.exit(main())
