"""The lists of the web UI at platform size: how long each page takes, and what PostgreSQL
reads for it (EXPLAIN ANALYZE of the page's query), for the largest agency and an
ordinary one.

Builds (in SQL, minutes): 1,000 agencies, 1,000,000 released items with their releases
(`lib/released.py`; agency 1 holds a large share), and 2,000,000 audit events (400,000 of
them agency 1's). Then, for a person holding the reading roles in each of the two agencies,
times the agency-wide item list, the drafter's list, the publisher's published queue and
the auditor's trail (first page, a deep page by cursor, filtered by action): p50 / p95
wall clock with CPU time of this process and of its PostgreSQL backend, statements per
page, and the rows and buffers the page's query reads.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python benchmarks/list_pages.py [--quick] [--database bench_lists]
"""

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.lib import bootstrap, released  # noqa: E402
from benchmarks.lib.data import insert_select  # noqa: E402
from benchmarks.lib.timing import Steps, backend_cpu_s, pct  # noqa: E402

ACTIONS = ("create", "submit", "claim", "approve", "approve", "approve", "release_created",
           "scan", "edit", "claim")


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    bootstrap.add_database_options(parser, "bench_lists")
    parser.add_argument("--quick", action="store_true", help="a tenth of the data")
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    bootstrap.check_database_name(parser, args)
    return args


def build(args, steps):
    from django.db import connection

    from audit.models import AuditEvent

    scale = 10 if args.quick else 1
    agencies, items, events = 1_000, 1_000_000 // scale, 2_000_000 // scale
    released.organisation(agencies, steps)
    released.released_items(items=items, agencies=agencies, years=5, year=2026, noise=0.0,
                            steps=steps, large_agencies=1, large_share=0.05)
    actions = "ARRAY[" + ", ".join(f"'{a}'" for a in ACTIONS) + "]"
    # one event in five is agency 1's; seq counts up per agency as the chain does
    source = f"""(SELECT g, a, row_number() OVER (PARTITION BY a ORDER BY g) AS s
                  FROM (SELECT g, CASE WHEN g % 5 = 0 THEN 1 ELSE 1 + g % {agencies} END AS a
                        FROM generate_series(1, {events}::bigint) AS g) AS raw) AS t"""
    steps("audit events", lambda: insert_select(AuditEvent, {
        "agency_id": "a", "seq": "s", "subject_type": "'publications.publication'",
        "subject_id": f"a + {agencies} * (s / 12)", "action": f"({actions})[1 + s % 10]",
        "actor_id": "a", "actor_username": "'drafter_' || a",
        "at": "TIMESTAMPTZ '2022-01-01 08:00+08' + s * INTERVAL '5 minutes'",
        "hash": "md5(g::text)"}, source))
    with connection.cursor() as cur:
        cur.execute("INSERT INTO audit_auditchain (agency_id, last_seq, last_hash) "
                    "SELECT agency_id, max(seq), '' FROM audit_auditevent GROUP BY agency_id")
    return steps.vacuum_analyze()


def reader(agency_id):
    from agencies.models import Role, Section, User

    section = Section.objects.get(agency_id=agency_id, code="office")
    user = User.objects.create(
        username=f"reader_{agency_id}", agency_id=agency_id, section=section,
        roles=[str(r) for r in (Role.LEADER, Role.AUDITOR, Role.PUBLISHER, Role.DRAFTER)])
    section.leaders.add(user)
    return user


def time_page(client, url, runs):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    walls, cpus, backends, statements = [], [], [], 0
    for _ in range(runs):
        b0, c0, t0 = backend_cpu_s(connection), time.process_time(), time.perf_counter()
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
        b1 = backend_cpu_s(connection)
        if b0 is not None and b1 is not None:
            backends.append(b1 - b0)
        assert response.status_code == 200, (url, response.status_code)
        statements = len(queries)
    return {"p50_ms": 1000 * pct(walls, 50), "p95_ms": 1000 * pct(walls, 95),
            "cpu_p50_ms": 1000 * statistics.median(cpus),
            "backend_p50_ms": 1000 * statistics.median(backends) if backends else None,
            "statements": statements}


def explain(queryset):
    """Rows and shared buffers the query reads, and the indexes it uses."""
    from django.db import connection

    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cur:
        cur.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + sql, params)
        plan = cur.fetchone()[0]
    plan = plan[0] if isinstance(plan, list) else json.loads(plan)[0]
    indexes, rows = set(), 0

    def walk(node):
        nonlocal rows
        if "Index Name" in node:
            indexes.add(node["Index Name"])
        if "Scan" in node["Node Type"]:
            rows += node.get("Actual Rows", 0) * node.get("Actual Loops", 1)
        for child in node.get("Plans", []):
            walk(child)

    walk(plan["Plan"])
    buffers = plan["Plan"].get("Shared Hit Blocks", 0) + plan["Plan"].get("Shared Read Blocks", 0)
    return {"scanned_rows": rows, "buffers": buffers, "indexes": sorted(indexes),
            "ms": plan["Execution Time"]}


def page_queries(user):
    """The page queries of the lists (what ObjectWindowPaginator and keyset_page run)."""
    from django.db.models import Count, Window

    from audit.selectors import agency_trail
    from releases.selectors import release_queue
    from webui.selectors import agency_items, my_items

    def window(qs):
        return qs.annotate(_total=Window(Count("pk"))).values_list("pk", "_total")[:20]

    trail = agency_trail(agency=user.agency)
    return {
        "全部信息 /app/items/all/": window(agency_items(user=user)),
        "我的信息 /app/items/": window(my_items(user=user)),
        "已发布 /app/releases/published/": window(
            release_queue(user=user, queue="published")),
        "审计日志 first page": trail[:51],
        "审计日志 deep page (cursor)": trail.filter(seq__lt=max(trail.count() // 2, 2))[:51],
        "审计日志 action=approve": trail.filter(action="approve")[:51],
    }


def main():
    args = parse_args()
    db = bootstrap.setup_django(args.database)
    info = bootstrap.machine(db.server_version)
    steps = Steps()
    print("building:")
    size = build(args, steps)
    print(f"built in {steps.total_s:.0f} s; database {size}")

    from django.test import Client

    from audit.models import AuditEvent

    results = {}
    for agency_id in (1, 500):
        user = reader(agency_id)
        client = Client()
        client.force_login(user)
        half = AuditEvent.objects.filter(agency_id=agency_id).count() // 2
        urls = {
            "全部信息 /app/items/all/": "/app/items/all/",
            "全部信息 page 50": "/app/items/all/?page=50",
            "我的信息 /app/items/": "/app/items/",
            "已发布 /app/releases/published/": "/app/releases/published/",
            "审计日志 first page": "/app/audit/",
            "审计日志 deep page (cursor)": f"/app/audit/?cursor=before-{half}",
            "审计日志 action=approve": "/app/audit/?action=approve",
        }
        events = AuditEvent.objects.filter(agency_id=agency_id).count()
        print(f"\nagency {agency_id}: {events:,} audit events")
        print(f"  {'page':<36} {'p50':>8} {'p95':>8} {'CPU':>7} {'PG':>7} {'SQL':>4}")
        for label, url in urls.items():
            client.get(url)  # warm
            figures = time_page(client, url, args.runs)
            results[f"{agency_id} {label}"] = figures
            backend = figures["backend_p50_ms"]
            print(f"  {label:<36} {figures['p50_ms']:7.1f}ms {figures['p95_ms']:7.1f}ms "
                  f"{figures['cpu_p50_ms']:6.1f}ms "
                  f"{backend if backend is None else round(backend, 1)!s:>6}ms "
                  f"{figures['statements']:>4}")
        print(f"  {'query (EXPLAIN ANALYZE)':<36} {'rows read':>10} {'buffers':>8} {'ms':>7}"
              "  indexes")
        for label, queryset in page_queries(user).items():
            plan = explain(queryset)
            print(f"  {label:<36} {plan['scanned_rows']:>10,} {plan['buffers']:>8,} "
                  f"{plan['ms']:7.1f}  {', '.join(plan['indexes'])}")
    print("\n" + bootstrap.machine_line(info))


if __name__ == "__main__":
    main()
