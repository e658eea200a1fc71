"""依申请公开 on PostgreSQL: the handler's deadline-sorted queue, the overdue list, and the
reminder sweep over every open application.

A standalone script, not a test. It works in its own database (lib.bootstrap) and builds
(lib.register), with bulk_create, --applications applications across --agencies agencies
(one large agency holds --large-share of them, the rest share the remainder evenly), each
agency with an office and a construction section, two application handlers and a leader
covering both. Statuses and dates are spread as a county bureau's register would hold them
on the day of the run (about a third open; of those most with a running clock, some
stopped by a 补正 notice, a consultation or a fee notice, some overdue, some due within 5
working days, and — near a year's end — some whose deadline runs past the holiday table),
with the clock events that explain them; the stored deadline of each is what
`applications.clock` computes from those events. No audit events (nothing measured writes
or reads them).

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
import gc
import json
import sys
import time

from lib import bootstrap, register
from lib.bootstrap import RESULTS_DIR
from lib.queries import Capture
from lib.timing import Clock, RunClock, Samples, Steps

LIST_TARGET_MS = 30.0
SWEEP_TARGET_S = 5.0
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

def build(args, today) -> dict:
    from agencies.models import Agency

    steps = Steps()
    a = args.agencies
    print(f"building: {args.applications:,} applications, {a:,} agencies "
          f"({args.large_share:.0%} in the large one), as of {today}")
    agencies, people = [], {}

    def organisation():
        agencies.extend(Agency.objects.bulk_create(
            [Agency(code=f"bench_{i:05d}", name=f"机关 {i}") for i in range(1, a + 1)]))
        staffed, written = register.staff(agencies)
        people.update(staffed)
        return len(agencies) + written

    steps("agencies, sections, people", organisation)
    register.applications(agencies=agencies, people=people, count=args.applications,
                          today=today, seed=args.seed, steps=steps,
                          large_agencies=1, large_share=args.large_share)
    size = steps.vacuum_analyze()
    return {"timings_s": steps.timings, "database_size": size, "build_s": steps.total_s,
            "agencies": [g.pk for g in agencies], "people": people, **register.counts(today)}


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
