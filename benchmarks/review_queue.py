"""The review queues at platform size: `GET /api/v1/tasks/` and the page `/app/review/` for
the section head, the confidentiality reviewer and the leader of the one large agency and of
an ordinary one, with 50,000 open review tasks across 1,000 agencies and a history of
approved items with all their tasks.

A standalone script, not a test. It builds its data with the rows of `reminder_sweep.py`
(`ItemRows`: items, their viewflow Process + ReviewProcess, the done task of every tier
passed and the open task of the current one, 40 % claimed), written by COPY, then
`VACUUM ANALYZE`. `--reuse` measures an existing database again without rebuilding it.

Measured per person and endpoint, after 5 warm-up requests: wall and CPU time of this
process (Django's test client with a logged-in session, no network), the PostgreSQL
backend's CPU (mean), the statements per request and the time inside them. `EXPLAIN
(ANALYZE, BUFFERS)` of every SELECT of one request is written to
`results/review_queue_plans.txt`.

Targets: p50 ≤ 15 ms and p95 ≤ 30 ms for every queue, the same (within noise) at 1,000
open tasks (`--open 1000`) as at 50,000; one count per page.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python benchmarks/review_queue.py                 # 50,000 open tasks
    ... benchmarks/review_queue.py --open 1000 --database bench_queue_small
    ... benchmarks/review_queue.py --reuse                          # measure again

See benchmarks/README.md.
"""

import argparse
import json
import sys
from types import SimpleNamespace

import reminder_sweep as rs
from lib import bootstrap
from lib.bootstrap import RESULTS_DIR
from lib.queries import Capture, kind_of, shape_of, short_shape
from lib.timing import Clock, RunClock, Samples

P50_TARGET_MS, P95_TARGET_MS = 15.0, 30.0
PEOPLE = ("head_office", "secrecy_a", "leader")
ENDPOINTS = ("/api/v1/tasks/", "/app/review/")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--open", type=int, default=50_000,
                        help="items in review, one open task each (default 50,000)")
    parser.add_argument("--history", type=int, default=200_000,
                        help="approved items with all their tasks (default 200,000)")
    parser.add_argument("--agencies", type=int, default=1_000)
    parser.add_argument("--large-share", type=float, default=0.05,
                        help="share of the items in the one large agency (default 5 %%)")
    parser.add_argument("--requests", type=int, default=60,
                        help="measured requests per person and endpoint (default 60)")
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--reuse", action="store_true",
                        help="measure the existing --database again (migrated), without "
                             "rebuilding it")
    bootstrap.add_database_options(parser, "bench_queue")
    args = parser.parse_args(argv)
    if args.open < args.agencies:
        parser.error("need --open >= --agencies")
    bootstrap.check_database_name(parser, args)
    return args


def build(args):
    day, now = rs.measured_day()
    built = rs.build(SimpleNamespace(
        open=args.open, drafts=args.open // 10, history=args.history, agencies=args.agencies,
        applications=10 * args.agencies, large_share=args.large_share, seed=args.seed),
        day, now)
    print(f"built in {built['build_s']:.0f} s; database {built['database_size']}")
    return built


def people_of(agency_code):
    from agencies.models import User

    return {name: User.objects.get(username=f"{name}_{pk}") for name in PEOPLE
            for pk in [User.objects.filter(agency__code=agency_code)
                       .values_list("agency_id", flat=True).first()]}


def measure(person, path, requests):
    from django.test import Client

    client = Client()
    client.force_login(person)
    for _ in range(5):
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
    samples, counts, sql_ms = Samples(), set(), []
    for _ in range(requests):
        with Capture() as capture, Clock(db=True) as clock:
            response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        samples.add(clock)
        counts.add(len(capture.queries))
        sql_ms.append(capture.sql_ms)
    sql_ms.sort()
    return {**samples.as_dict(), "queries": sorted(counts),
            "sql_p50_ms": sql_ms[len(sql_ms) // 2], "sample": capture.queries}


def queue_length(person):
    from workflow.selectors import actionable_tasks

    return actionable_tasks(user=person).count()


def explain(label, sample, out):
    from django.db import connection

    for number, q in enumerate(sample, 1):
        if kind_of(q["sql"]) != "SELECT" or "viewflow_task" not in q["sql"]:
            continue
        with connection.cursor() as cur:
            cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + q["sql"])
            plan = "\n".join(row[0] for row in cur.fetchall())
        out.append(f"===== {label}: statement {number}\n{q['sql']}\n\n{plan}\n")


def main(argv=None) -> int:
    args = parse_args(argv)
    run = RunClock()
    db = bootstrap.setup_django(args.database, redis_url="", reuse=args.reuse)
    info = bootstrap.machine(db.server_version)
    print(bootstrap.machine_line(info))
    built = None if db.kept else build(args)

    from viewflow.workflow.models import Task

    from workflow.models import OPEN_TASK_STATES

    open_tasks = Task.objects.filter(status__in=OPEN_TASK_STATES).count()
    all_tasks = Task.objects.count()
    print(f"{open_tasks:,} open tasks of {all_tasks:,}; load average {bootstrap.load_avg()}")
    results, plans, ok = {}, [], True
    for agency, code in (("large", "bench_00001"), ("ordinary", "bench_00500")):
        for name, person in people_of(code).items():
            length = queue_length(person)
            for path in ENDPOINTS:
                label = f"{agency} {name} {path}"
                r = measure(person, path, args.requests)
                r["queue_length"] = length
                met = r["wall_p50_ms"] <= P50_TARGET_MS and r["wall_p95_ms"] <= P95_TARGET_MS
                ok &= met
                print(f"  {label:40s} queue {length:5d}: wall p50 {r['wall_p50_ms']:6.2f} / "
                      f"p95 {r['wall_p95_ms']:6.2f} ms, CPU p50 {r['cpu_p50_ms']:6.2f} / p95 "
                      f"{r['cpu_p95_ms']:6.2f} ms, PostgreSQL CPU mean "
                      f"{r['db_cpu_mean_ms']:.2f} ms; {r['queries']} statements, SQL p50 "
                      f"{r['sql_p50_ms']:.2f} ms {'OK' if met else 'MISS'}", flush=True)
                explain(label, r["sample"], plans)
                results[label] = r
    slowest = max(results.items(), key=lambda kv: kv[1]["sql_p50_ms"])
    print(f"\nslowest SQL ({slowest[0]}):")
    for q in slowest[1]["sample"]:
        print(f"  {q['ms']:7.3f} ms  {short_shape(shape_of(q['sql']), 150)}")
    info["load_avg_end"] = bootstrap.load_avg()
    print(f"\nSUMMARY review queues, {open_tasks:,} open tasks of {all_tasks:,}, "
          f"{args.agencies:,} agencies: target p50 ≤ {P50_TARGET_MS:.0f} ms, p95 ≤ "
          f"{P95_TARGET_MS:.0f} ms: {'MET' if ok else 'NOT MET'}; load at the end "
          f"{info['load_avg_end']}; run: {run.line()}")
    RESULTS_DIR.mkdir(exist_ok=True)
    (RESULTS_DIR / "review_queue_plans.txt").write_text("\n".join(plans))
    (RESULTS_DIR / "review_queue.json").write_text(json.dumps(
        {"args": vars(args), "machine": info, "build": built, "open_tasks": open_tasks,
         "tasks": all_tasks, "results": results}, ensure_ascii=False, indent=2, default=str))
    print(f"results: {RESULTS_DIR / 'review_queue.json'}, plans: "
          f"{RESULTS_DIR / 'review_queue_plans.txt'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
