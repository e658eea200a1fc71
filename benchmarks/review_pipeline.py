"""The review pipeline (三审 + 保密审查) and the task queue, on PostgreSQL.

A standalone script, not a test. It works in its own database (lib.bootstrap) and prints:

Phase 1  N items created, submitted and approved by every tier through the service layer:
         SQL statements per item (by kind and per action), wall and CPU p50/p95 per action.
Phase 2  history: --history finished items and --open items waiting in review. A batch is
         built through the service layer, the rest are copies of it (lib.data.ItemCopier:
         the rows those services wrote, copied through the ORM, audit events recorded
         again by audit.services.record). Then GET /api/v1/tasks/ median and p95, wall
         and CPU, and queries per request, for a section head, the secrecy reviewer and a
         leader.
Phase 3  a sample of the pipeline again, on the loaded database.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python benchmarks/review_pipeline.py --quick

See benchmarks/README.md.
"""

import argparse
import json
import math
import sys
import time

from lib import bootstrap
from lib.bootstrap import RESULTS_DIR
from lib.data import ItemCopier
from lib.pipeline import ACTIONS, APPROVE_ACTIONS, SCAN_JOB, Pipeline
from lib.queries import KINDS, Actions, Capture, kind_of, shape_of, short_shape
from lib.timing import Clock, RunClock, Samples, pct

TARGET_STATEMENTS_PER_ITEM = 50
TARGET_QUEUE_MEDIAN_MS = 20.0
TARGET_APPROVE_P95_MS = 40.0

QUEUE_USERS = (("section head", "head_office"), ("secrecy reviewer", "secrecy"),
               ("leader", "leader"))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=None,
                        help="items taken through the whole pipeline in phase 1 (default 1000)")
    parser.add_argument("--history", type=int, default=None,
                        help="finished items in the database for the queue (default 100000)")
    parser.add_argument("--open", type=int, default=None,
                        help="items waiting in review (default 10000)")
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: items 50, history 2000, open 500")
    parser.add_argument("--requests", type=int, default=50,
                        help="measured GET /api/v1/tasks/ requests per user (default 50)")
    parser.add_argument("--recheck", type=int, default=None,
                        help="items for phase 3 on the loaded database (default min(items, 100))")
    parser.add_argument("--verify-audit", action="store_true",
                        help="verify the agency's audit hash chain after building the history "
                             "(always on with --quick)")
    bootstrap.add_database_options(parser, "bench_review")
    args = parser.parse_args(argv)
    sizes = {"items": 50, "history": 2000, "open": 500} if args.quick else \
        {"items": 1000, "history": 100_000, "open": 10_000}
    for name, value in sizes.items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    if args.recheck is None:
        args.recheck = min(args.items, 100)
    args.verify_audit = args.verify_audit or args.quick
    if args.items < 1 or args.history < 0 or args.open < 0 or args.requests < 1:
        parser.error("--items must be >= 1, --history/--open >= 0, --requests >= 1")
    bootstrap.check_database_name(parser, args)
    return args


# ------------------------------------------------------------------ phases 1 and 3

def run_phase(pipeline, n, label, tag, sample_index=None, progress=True) -> Actions:
    actions = Actions(ACTIONS)
    t0 = time.perf_counter()
    step = max(n // 10, 1)
    for i in range(n):
        pipeline.run_item(i, actions=actions, tag=tag, keep_sample=(i == sample_index))
        if progress and ((i + 1) % step == 0 or i + 1 == n):
            print(f"  [{round(100 * (i + 1) / n):3d}%] {label}: {i + 1}/{n} items "
                  f"({(i + 1) / (time.perf_counter() - t0):.1f} items/s)", flush=True)
    actions.wall_s = time.perf_counter() - t0
    return actions


def print_phase(actions, title):
    n = actions.units
    service_s = sum(sum(actions.times[a].wall) for a in ACTIONS) / 1000
    print(f"\n{title}: {n} items fully approved in {actions.wall_s:.1f} s wall "
          f"({n / actions.wall_s:.1f} items/s overall; {n / service_s:.1f} items/s counting "
          "only the review actions)")
    actions.print_table()
    other = {}
    for a in ACTIONS:
        for shape, count in actions.shapes[a].items():
            if kind_of(shape) == "other":
                other[shape.split()[0]] = other.get(shape.split()[0], 0) + count
    if other:
        print("  'other' is: " + ", ".join(f"{k} {v / n:.1f}/item" for k, v in other.items()))
    scans = actions.times[SCAN_JOB]
    if len(scans):
        print(f"  {SCAN_JOB} (a worker's, not a review action): "
              f"{sum(actions.counts[SCAN_JOB]) / len(scans):.1f} statements, {scans.line()}")


# ------------------------------------------------------------------ history

def seed_open_items(pipeline, count):
    """Items waiting at every step and in both sections, some claimed by a colleague."""
    from workflow import services as review

    # who may have claimed a waiting task (not the people whose queue is measured)
    claimers = {(0, "office"): "head_office_2", (1, "office"): "secrecy_2",
                (1, "construction"): "secrecy_2", (2, "construction"): "leader_construction"}
    ids, claimed = [], 0
    t0 = time.perf_counter()
    step = max(count // 10, 1)
    for k in range(count):
        stage = (k // 2) % 3             # 0 waiting for the section head, 1 secrecy, 2 leader
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


def copy_items(agency, template_ids, count, label, notes):
    copier = ItemCopier(agency, template_ids)
    rows = copier.copy(count, label)
    per_copy = ", ".join(f"{table} {n / count:.1f}" for table, n in rows.items())
    most = math.ceil(count / len(template_ids))
    notes.append(f"{count} {label} copied from those {len(template_ids)} (at most {most} "
                 f"cop{'y' if most == 1 else 'ies'} of each; rows per copy: {per_copy})")
    skipped = copier.skipped()
    if skipped:
        notes.append("not copied (rows of the templates): "
                     + ", ".join(f"{label} {n}" for label, n in skipped.items()))


def build_history(pipeline, org, args, warm_up):
    from django.db import connection

    from publications.models import Publication
    from publications.models import PublicationStatus as S

    notes = []
    finished = list(Publication.objects.filter(agency=org.agency, status=S.APPROVED)
                    .values_list("pk", flat=True))
    notes.append(f"{len(finished)} finished items built through the service layer "
                 f"(phase 1 + {warm_up} warm-up)")
    if args.history > len(finished):
        copy_items(org.agency, finished, args.history - len(finished), "finished items", notes)
    seed = min(args.open, max(60, args.open // 30))
    open_ids, claimed = seed_open_items(pipeline, seed) if seed else ([], 0)
    notes.append(f"{seed} items in review built through the service layer ({claimed} of them "
                 "claimed by a colleague of the measured users)")
    if args.open > seed:
        copy_items(org.agency, open_ids, args.open - seed, "items in review", notes)
    with connection.cursor() as cur, Clock() as clock:
        cur.execute("ANALYZE")
    notes.append(f"then ANALYZE ({clock.wall_ms / 1000:.1f} s), as autovacuum would after "
                 "such a load")
    return notes


def census(agency):
    from django.db.models import Count
    from viewflow.workflow.models import Task

    from audit.models import AuditEvent
    from publications.models import Publication
    from releases.models import Release
    from workflow.models import OPEN_TASK_STATES

    pubs = dict(Publication.objects.filter(agency=agency).values_list("status")
                .annotate(n=Count("pk")).values_list("status", "n"))
    tasks = {}
    for flow_task, status, n in (Task.objects.filter(status__in=OPEN_TASK_STATES)
                                 .values_list("flow_task", "status").annotate(n=Count("pk"))
                                 .values_list("flow_task", "status", "n")):
        key = f"{flow_task.name}/{status}"
        tasks[key] = tasks.get(key, 0) + n
    return {"publications": pubs, "open_tasks": dict(sorted(tasks.items())),
            "tasks_total": Task.objects.count(), "releases": Release.objects.count(),
            "audit_events": AuditEvent.objects.filter(agency=agency).count()}


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
        times, counts, sql_ms = Samples(), set(), []
        for _ in range(requests):
            with Capture() as capture, Clock(db=True) as clock:
                response = client.get("/api/v1/tasks/")
            assert response.status_code == 200, response.status_code
            times.add(clock)
            counts.add(len(capture.queries))
            sql_ms.append(capture.sql_ms)
        results[label] = {
            "username": username, "queue_length": response.data["count"],
            "page_rows": len(response.data["results"]), **times.as_dict(),
            "queries": sorted(counts), "sql_p50_ms": pct(sql_ms, 50),
            "sample": capture.queries,
        }
    return results


def print_queue(queue):
    for label, r in queue.items():
        print(f"  {label:17s} ({r['username']}): queue {r['queue_length']:6d} tasks; wall "
              f"median {r['wall_p50_ms']:6.2f} ms, p95 {r['wall_p95_ms']:6.2f} ms; CPU median "
              f"{r['cpu_p50_ms']:6.2f} ms, p95 {r['cpu_p95_ms']:6.2f} ms; PostgreSQL backend "
              f"CPU mean {r['db_cpu_mean_ms']:.2f} ms; queries/request {r['queries']}, in SQL "
              f"{r['sql_p50_ms']:.2f} ms (median)")
        for q in r["sample"]:
            print(f"      {q['ms']:7.3f} ms  {short_shape(shape_of(q['sql']), 150)}")


def explain_queue(queue, path):
    """EXPLAIN (ANALYZE, BUFFERS) of the exact statements one queue request issued."""
    from django.db import connection

    with path.open("w") as out:
        for label, r in queue.items():
            for number, q in enumerate(r["sample"], 1):
                if kind_of(q["sql"]) != "SELECT":
                    continue
                with connection.cursor() as cur:
                    cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + q["sql"])  # literal SQL
                    plan = "\n".join(row[0] for row in cur.fetchall())
                out.write(f"===== {label}: statement {number}\n{q['sql']}\n\n{plan}\n\n")


# ------------------------------------------------------------------ summary

def verdict(ok):
    return "OK  " if ok else "MISS"


def summary(args, info, run, timings, phase1, phase3, queue, notes):
    target_n = f"≤ {TARGET_STATEMENTS_PER_ITEM}"
    target_ms = f"≤ {TARGET_APPROVE_P95_MS:.0f}"
    per_item, kinds = phase1.per_unit(), phase1.kinds_per_unit()
    lines = [
        "=" * 108,
        f"SUMMARY  review pipeline — items {args.items}, history {args.history}, open "
        f"{args.open}{' (--quick)' if args.quick else ''}, database {args.database}",
        f"         {bootstrap.machine_line(info)}",
        f"         {run.line()}; " + ", ".join(f"{k} {v:.0f} s" for k, v in timings.items()),
        f"         load average at end {bootstrap.load_avg()} (a shared machine: wall-clock "
        "figures move with other work, CPU figures much less)",
        "-" * 108,
        f"{'figure':56s} {'wall':>10s} {'CPU':>8s} {'target':>9s}  verdict",
        f"{'SQL statements per fully approved item':56s} {per_item:10.1f} {'':8s} "
        f"{target_n:>9s}  {verdict(per_item <= TARGET_STATEMENTS_PER_ITEM)}",
        "    by kind: " + ", ".join(f"{k} {kinds[k]:.1f}" for k in KINDS),
        "    by action: " + ", ".join(f"{a} {phase1.per_unit(a):.1f}" for a in ACTIONS),
    ]
    phases = [("", phase1)] + ([(", loaded db (phase 3)", phase3)] if phase3 else [])
    for suffix, actions in phases:
        for a in APPROVE_ACTIONS:
            t = actions.times[a]
            lines.append(f"{a + ' p95 ms' + suffix:56s} {t.p(95):10.2f} {t.p(95, 'cpu'):8.2f} "
                         f"{target_ms:>9s}  {verdict(t.p(95) <= TARGET_APPROVE_P95_MS)}")
    if phase3:
        n3 = phase3.per_unit()
        lines.append(f"{'SQL statements per item, loaded db (phase 3)':56s} {n3:10.1f} {'':8s} "
                     f"{target_n:>9s}  {verdict(n3 <= TARGET_STATEMENTS_PER_ITEM)}")
    for a in ACTIONS[:2]:
        t = phase1.times[a]
        lines.append(f"{a + ' p50 / p95 ms':56s} {t.p(50):5.2f}/{t.p(95):5.2f} "
                     f"{t.p(50, 'cpu'):4.1f}/{t.p(95, 'cpu'):4.1f} {'—':>8s}")
    lines.append(f"{'items/s, whole pipeline, one process':56s} "
                 f"{phase1.units / phase1.wall_s:10.1f} {'':8s} {'—':>9s}")
    for label, r in queue.items():
        name = f"task queue median ms, {label} ({r['queue_length']} tasks)"
        lines.append(f"{name:56s} {r['wall_p50_ms']:10.2f} {r['cpu_p50_ms']:8.2f} "
                     f"{'≤ ' + str(int(TARGET_QUEUE_MEDIAN_MS)):>9s}  "
                     f"{verdict(r['wall_p50_ms'] <= TARGET_QUEUE_MEDIAN_MS)}"
                     f"   (p95 {r['wall_p95_ms']:.2f} wall, {r['cpu_p95_ms']:.2f} CPU; "
                     f"db CPU {r['db_cpu_mean_ms']:.2f})")
        lines.append(f"{'    queries/request, ' + label:56s} "
                     f"{'/'.join(map(str, r['queries'])):>10s} {'':8s} {'constant':>9s}  "
                     f"{verdict(len(r['queries']) == 1)}")
    lines.append("history: " + "; ".join(notes))
    lines.append("=" * 108)
    return lines


def main(argv=None):
    args = parse_args(argv)
    run = RunClock()
    db = bootstrap.setup_django(args.database, redis_url="")
    info = bootstrap.machine(db.server_version)
    print(bootstrap.machine_line(info))
    # Background jobs (the pre-scan when an item enters the confidentiality review, notice
    # e-mails) go to an in-memory queue nobody consumes; the pipeline runs the pre-scan
    # itself, as a worker would, and measures it apart from the review actions.
    from config.celery import app

    app.conf.task_always_eager = False
    app.conf.broker_url = "memory://localhost/"

    from audit.verification import verify_chain
    from testsupport.factories import make_org

    org = make_org(code="bench_agency")
    pipeline = Pipeline(org)
    timings = {}
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)

    print(f"\nPhase 1: {args.items} items through the service layer "
          "(create, submit, approve ×3; the last approve creates the releases)")
    warm_up = min(5, args.items)
    for i in range(warm_up):   # imports, caches, prepared code paths
        pipeline.run_item(10_000_000 + i, tag="warm-up")
    t = time.perf_counter()
    phase1 = run_phase(pipeline, args.items, "pipeline", "bench", sample_index=args.items // 2)
    timings["phase 1"] = time.perf_counter() - t
    print_phase(phase1, "Phase 1 (database holding only these items)")
    phase1.write_report(RESULTS_DIR / "pipeline_queries.txt",
                        f"Phase 1 of benchmarks/review_pipeline.py, item #{args.items // 2} "
                        f"of {args.items}")
    phase1.print_shapes()
    print(f"\n  raw SQL of one item, statement by statement: {RESULTS_DIR}/pipeline_queries.txt")

    print(f"\nPhase 2: history of {args.history} finished items and {args.open} items in review")
    t = time.perf_counter()
    notes = build_history(pipeline, org, args, warm_up)
    timings["phase 2 build"] = time.perf_counter() - t
    counts = census(org.agency)
    print("  how the history was built:\n" + "\n".join(f"    - {line}" for line in notes))
    print(f"  database now: publications {counts['publications']}, tasks "
          f"{counts['tasks_total']}, releases {counts['releases']}, audit events "
          f"{counts['audit_events']}\n  open tasks: {counts['open_tasks']}")
    if args.verify_audit:
        with Clock() as clock:
            report = verify_chain(org.agency)
        state = "intact" if report.ok else "BROKEN: " + report.problem
        print(f"  audit chain verification: {state} ({report.events} events, "
              f"{clock.wall_ms / 1000:.1f} s)")
        assert report.ok, report

    print(f"\nTask queue: GET /api/v1/tasks/ ({args.requests} requests per user after 5 "
          "warm-up; APIClient + force_authenticate, so no authentication query)")
    t = time.perf_counter()
    queue = measure_queue(org, args.requests)
    timings["queue"] = time.perf_counter() - t
    print_queue(queue)
    explain_queue(queue, RESULTS_DIR / "queue_plans.txt")
    print(f"  EXPLAIN ANALYZE of the queue queries: {RESULTS_DIR}/queue_plans.txt")

    phase3 = None
    if args.recheck:
        print(f"\nPhase 3: {args.recheck} more items through the service layer, on the "
              "loaded database")
        t = time.perf_counter()
        phase3 = run_phase(pipeline, args.recheck, "pipeline on loaded db", "recheck",
                           progress=False)
        timings["phase 3"] = time.perf_counter() - t
        print_phase(phase3, "Phase 3 (loaded database)")

    lines = summary(args, info, run, timings, phase1, phase3, queue, notes)
    print("\n" + "\n".join(lines))
    result = {
        "args": vars(args), "machine": info, "run": run.report(), "timings_s": timings,
        "phase1": {**phase1.as_dict(), "items_per_s": phase1.units / phase1.wall_s},
        "phase3": phase3.as_dict() if phase3 else None,
        "queue": {k: {kk: vv for kk, vv in v.items() if kk != "sample"}
                  for k, v in queue.items()},
        "census": counts, "history": notes,
    }
    (RESULTS_DIR / "review_pipeline.json").write_text(
        json.dumps(result, ensure_ascii=False, indent=2, default=str))
    (RESULTS_DIR / "summary.txt").write_text("\n".join(lines) + "\n")
    print(f"results: {RESULTS_DIR}/review_pipeline.json, {RESULTS_DIR}/summary.txt")
    per_item_ok = phase1.per_unit() <= TARGET_STATEMENTS_PER_ITEM
    return 0 if per_item_ok else 1


if __name__ == "__main__":
    sys.exit(main())
