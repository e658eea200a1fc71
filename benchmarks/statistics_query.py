"""Active-disclosure statistics for one agency-year, on PostgreSQL.

A standalone script, not a test. It works in its own database (lib.bootstrap), builds in
SQL (INSERT … SELECT generate_series, lib.data.insert_select) the released items of
--agencies agencies over --years years, with releases on one to four channels, documents,
abolitions, retracted items and items that must not count (drafts, failed and pending
releases, releases awaiting confirmation), runs VACUUM ANALYZE, then times
`disclosure.selectors.agency_year_statistics` (what GET /api/v1/statistics/ and the
dashboard run) for a few agencies in the last year: median and p95 of --runs calls each,
wall-clock and CPU (this process, and the PostgreSQL backend, which does most of the work),
against the target of 100 ms.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python benchmarks/statistics_query.py            # 1,000,000 items
    ... benchmarks/statistics_query.py --quick                       # 100,000 items

See benchmarks/README.md.
"""

import argparse
import json
import sys

from lib import bootstrap, released
from lib.bootstrap import RESULTS_DIR
from lib.timing import Clock, RunClock, Samples, Steps

TARGET_MS = 100.0
# as created by disclosure/migrations/0003_statistics_indexes.py (for --compare-index)
STATISTICS_INDEXES = {
    "disclosure_release_published": "CREATE INDEX disclosure_release_published ON "
    "releases_release (channel_id, published_on) WHERE status = 'published'",
    "disclosure_publication_documents": "CREATE INDEX disclosure_publication_documents ON "
    "publications_publication (agency_id) WHERE document_type IN ('rule', 'normative_document')",
}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=None,
                        help="released items (default 1,000,000; --quick 100,000)")
    parser.add_argument("--agencies", type=int, default=None,
                        help="agencies (default 1,000; --quick 100)")
    parser.add_argument("--years", type=int, default=5,
                        help="years the items are spread over, ending with --year (default 5)")
    parser.add_argument("--year", type=int, default=2024, help="measured year (default 2024)")
    parser.add_argument("--noise", type=float, default=0.1,
                        help="extra items that must not count, as a share of --items (0.1)")
    parser.add_argument("--runs", type=int, default=20, help="timed runs per agency (20)")
    parser.add_argument("--measure-agencies", type=int, default=5,
                        help="agencies measured (default 5, spread over the id range)")
    parser.add_argument("--quick", action="store_true", help="100,000 items, 100 agencies")
    parser.add_argument("--compare-index", action="store_true",
                        help="also measure without the statistics indexes (see "
                             "disclosure/migrations/0003_statistics_indexes.py)")
    bootstrap.add_database_options(parser, "bench_statistics")
    args = parser.parse_args(argv)
    if args.items is None:
        args.items = 100_000 if args.quick else 1_000_000
    if args.agencies is None:
        args.agencies = 100 if args.quick else 1_000
    if args.items < args.agencies or args.agencies < 1 or args.years < 1 or args.runs < 1:
        parser.error("need --items >= --agencies >= 1, --years >= 1, --runs >= 1")
    bootstrap.check_database_name(parser, args)
    return args


# ------------------------------------------------------------------------ building

def build(args) -> dict:
    from django.db import connection

    steps = Steps()
    print(f"building: {args.items:,} released items + {int(args.items * args.noise):,} that "
          f"must not count, {args.agencies:,} agencies, "
          f"{args.year - args.years + 1}–{args.year}")
    released.organisation(args.agencies, steps)
    publications = released.released_items(
        items=args.items, agencies=args.agencies, years=args.years, year=args.year,
        noise=args.noise, steps=steps)
    size = steps.vacuum_analyze()
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM releases_release")
        release_rows = cur.fetchone()[0]
    return {"timings_s": steps.timings, "publications": publications, "releases": release_rows,
            "database_size": size, "build_s": steps.total_s}


# ----------------------------------------------------------------------- measuring

def measure(args, label: str) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from agencies.models import Agency
    from disclosure.selectors import agency_year_statistics

    step = max(args.agencies // args.measure_agencies, 1)
    ids = list(range(1, args.agencies + 1, step))[: args.measure_agencies]
    agencies = list(Agency.objects.filter(pk__in=ids).order_by("pk"))
    everything, per_agency = Samples(), []
    for agency in agencies:
        for _ in range(3):  # warm-up: plans and buffers
            stats = agency_year_statistics(agency=agency, year=args.year)
        with CaptureQueriesContext(connection) as ctx:
            agency_year_statistics(agency=agency, year=args.year)
        samples = Samples()
        for _ in range(args.runs):
            with Clock(db=True) as clock:
                agency_year_statistics(agency=agency, year=args.year)
            samples.add(clock)
            everything.add(clock)
        figures = stats.as_api()
        per_agency.append({
            "agency": agency.code, "queries": len(ctx), **samples.as_dict(),
            "released_items": figures["timeliness"]["released"],
            "released_by_channel": figures["released_by_channel"],
            "retracted": figures["retracted"], "table2": figures["table2"],
            "timeliness": figures["timeliness"]})
        print(f"  [{label}] {agency.code}: {figures['timeliness']['released']:>5} items first "
              f"released in {args.year}, {len(ctx)} queries; {samples.line()}")
    return {"label": label, **everything.as_dict(), "agencies": per_agency,
            "sample": per_agency[0]}


def explain(args, path) -> None:
    """EXPLAIN (ANALYZE, BUFFERS) of every statement of one call, for the first agency."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from agencies.models import Agency
    from disclosure.selectors import agency_year_statistics

    agency = Agency.objects.order_by("pk").first()
    with CaptureQueriesContext(connection) as ctx:
        agency_year_statistics(agency=agency, year=args.year)
    out = []
    with connection.cursor() as cur:
        for q in ctx.captured_queries:
            cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + q["sql"])
            out.append(q["sql"] + "\n\n" + "\n".join(r[0] for r in cur.fetchall()) + "\n")
    path.write_text(("\n" + "=" * 100 + "\n").join(out))


def main(argv=None) -> int:
    args = parse_args(argv)
    run = RunClock()
    db = bootstrap.setup_django(args.database, redis_url="")
    info = bootstrap.machine(db.server_version)
    print(bootstrap.machine_line(info))
    built = build(args)
    print(f"built {built['publications']:,} publications and {built['releases']:,} releases "
          f"in {built['build_s']:.0f} s; database {built['database_size']}")
    from django.db import connection

    print(f"measuring agency_year_statistics(year={args.year}), {args.runs} runs per agency:")
    runs = [measure(args, "with the statistics indexes")]
    if args.compare_index:
        with connection.cursor() as cur:
            for name in STATISTICS_INDEXES:
                cur.execute(f"DROP INDEX {name}")
        runs.append(measure(args, "without the statistics indexes"))
        with connection.cursor() as cur:
            for create in STATISTICS_INDEXES.values():
                cur.execute(create)
    RESULTS_DIR.mkdir(exist_ok=True)
    explain(args, RESULTS_DIR / "statistics_plans.txt")
    main_run = runs[0]
    ok = main_run["wall_p95_ms"] <= TARGET_MS
    lines = [
        "SUMMARY  statistics for one agency-year",
        f"  {bootstrap.machine_line(info)}",
        f"  data: {built['publications']:,} publications ({args.items:,} released, "
        f"{built['publications'] - args.items:,} that must not count), "
        f"{built['releases']:,} releases, {args.agencies:,} agencies, "
        f"{args.years} years; built in {built['build_s']:.0f} s ({built['database_size']})",
        f"  queries per call: {main_run['sample']['queries']}",
    ]
    for r in runs:
        lines.append(f"  {r['label']}: wall median {r['wall_p50_ms']:.1f} ms, p95 "
                     f"{r['wall_p95_ms']:.1f} ms, max {r['wall_max_ms']:.1f} ms; CPU per call: "
                     f"this process p50 {r['cpu_p50_ms']:.1f} ms, PostgreSQL backend mean "
                     f"{r['db_cpu_mean_ms']:.1f} ms; over {len(r['agencies'])} agencies × "
                     f"{args.runs} runs")
    lines.append(f"  target p95 ≤ {TARGET_MS:.0f} ms (wall): {'MET' if ok else 'NOT MET'}")
    lines.append(f"  run: {run.line()}")
    print("\n" + "\n".join(lines))
    (RESULTS_DIR / "statistics_query.json").write_text(json.dumps(
        {"args": vars(args), "machine": info, "build": built, "runs": runs,
         "target_ms": TARGET_MS, "target_met": ok, "run": run.report()},
        ensure_ascii=False, indent=2, default=str))
    (RESULTS_DIR / "statistics_summary.txt").write_text("\n".join(lines) + "\n")
    print(f"results: {RESULTS_DIR / 'statistics_query.json'}, plans: "
          f"{RESULTS_DIR / 'statistics_plans.txt'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
