"""The annual report (政府信息公开工作年度报告) on PostgreSQL: one agency-year as JSON, every
agency's report in one loop, and the .docx.

A standalone script, not a test. It works in its own database (lib.bootstrap) and builds
the two registers the report counts, over the same --agencies agencies: released items in
SQL (lib.released: about --releases releases over --years years ending with --year, with
documents, abolitions, decisions, fees, retractions and items that must not count) and
applications with bulk_create (lib.register: --applications as a register holds them
today, some with a paid fee, some taken to a reconsideration or a court). --large-agencies
agencies hold --large-share of both on top of their even share of the items. Then VACUUM
ANALYZE, and:

* `GET /api/v1/reports/annual/?agency=&year=` (disclosure.report_api → reports.live_report)
  as a leader of a large agency and of a few ordinary ones: 3 warm-up and --runs timed
  requests each; wall and CPU p50/p95, the PostgreSQL backend's CPU, statements per
  request. Target: ≤ 1 s. `live_report` alone too, for the large agency.
* Every agency's report, one request after the other, each as that agency's leader:
  total wall and CPU. Target: ≤ 60 s.
* `GET …&format=docx` for the large agency (the report computed and written), and
  `report_exports.report_docx` of its report alone. Target: ≤ 2 s. `report_pdf` for
  information.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python benchmarks/annual_report.py            # 1,000,000 releases
    ... benchmarks/annual_report.py --quick                       # 100,000

See benchmarks/README.md.
"""

import argparse
import json
import sys

from lib import bootstrap, register, released
from lib.bootstrap import RESULTS_DIR
from lib.queries import Capture, shape_of, short_shape
from lib.timing import Clock, RunClock, Samples, Steps

REPORT_TARGET_S = 1.0
ALL_TARGET_S = 60.0
DOCX_TARGET_S = 2.0
URL = "/api/v1/reports/annual/"
# releases per released item that lib.released writes (site 1, WeChat 3/5, county app 1/7,
# newspaper 1/10, awaiting confirmation 1/10) and per noise item (1/6 approved, 1 each)
RELEASES_PER_ITEM = 1 + 3 / 5 + 1 / 7 + 1 / 10 + 1 / 10
RELEASES_PER_NOISE_ITEM = 1 / 6


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--releases", type=int, default=None,
                        help="releases platform-wide, about (default 1,000,000; --quick "
                             "100,000)")
    parser.add_argument("--applications", type=int, default=None,
                        help="applications platform-wide (default 100,000; --quick 10,000)")
    parser.add_argument("--agencies", type=int, default=None,
                        help="agencies (default 1,000; --quick 100)")
    parser.add_argument("--large-agencies", type=int, default=5,
                        help="agencies with a large share of items and applications (5)")
    parser.add_argument("--large-share", type=float, default=0.1,
                        help="their share of the items and of the applications (0.1)")
    parser.add_argument("--year", type=int, default=None,
                        help="the report's year (default last year: the report due now)")
    parser.add_argument("--years", type=int, default=5,
                        help="years the items are spread over, ending with --year (5)")
    parser.add_argument("--noise", type=float, default=0.1,
                        help="extra items that must not count, as a share of the items (0.1)")
    parser.add_argument("--fees-paid", type=float, default=0.03,
                        help="share of the replied applications that paid a fee (0.03)")
    parser.add_argument("--cases", type=float, default=0.02,
                        help="share of the replied applications taken to a reconsideration "
                             "or a court (0.02)")
    parser.add_argument("--runs", type=int, default=20, help="timed requests per agency (20)")
    parser.add_argument("--measure-agencies", type=int, default=3,
                        help="ordinary agencies measured besides the large one (3)")
    parser.add_argument("--docx-runs", type=int, default=10, help="timed .docx exports (10)")
    parser.add_argument("--pdf-runs", type=int, default=3, help="timed .pdf exports (3)")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--quick", action="store_true",
                        help="100,000 releases, 10,000 applications, 100 agencies")
    bootstrap.add_database_options(parser, "bench_reports")
    args = parser.parse_args(argv)
    if args.releases is None:
        args.releases = 100_000 if args.quick else 1_000_000
    if args.applications is None:
        args.applications = 10_000 if args.quick else 100_000
    if args.agencies is None:
        args.agencies = 100 if args.quick else 1_000
    args.items = round(args.releases / (RELEASES_PER_ITEM + args.noise * RELEASES_PER_NOISE_ITEM))
    if not (0 < args.large_agencies < args.agencies) or args.items < 10 * args.agencies \
            or args.applications < 10 * args.agencies or args.runs < 1:
        parser.error("need 0 < --large-agencies < --agencies, and at least 10 items and 10 "
                     "applications per agency, --runs >= 1")
    bootstrap.check_database_name(parser, args)
    return args


# ------------------------------------------------------------------------ building

def build(args, today) -> dict:
    from django.db import connection

    from agencies.models import Agency, Section

    steps = Steps()
    print(f"building: about {args.releases:,} releases ({args.items:,} released items + "
          f"{int(args.items * args.noise):,} that must not count, "
          f"{args.year - args.years + 1}–{args.year}) and {args.applications:,} applications "
          f"(as of {today}), {args.agencies:,} agencies, {args.large_agencies} of them holding "
          f"{args.large_share:.0%} of both")
    released.organisation(args.agencies, steps)
    released.released_items(items=args.items, agencies=args.agencies, years=args.years,
                            year=args.year, noise=args.noise, steps=steps,
                            large_agencies=args.large_agencies, large_share=args.large_share)
    agencies = list(Agency.objects.order_by("pk"))
    people = {}

    def staff():
        offices = {s.agency_id: s for s in Section.objects.filter(code="office")}
        staffed, written = register.staff(agencies, offices=offices)
        people.update(staffed)
        return written

    steps("sections and people for applications", staff)
    register.applications(agencies=agencies, people=people, count=args.applications,
                          today=today, seed=args.seed, steps=steps,
                          large_agencies=args.large_agencies, large_share=args.large_share,
                          fees_paid=args.fees_paid, cases=args.cases)
    size = steps.vacuum_analyze()
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM publications_publication")
        publications = cur.fetchone()[0]
        cur.execute("SELECT count(*), count(*) FILTER (WHERE status = 'published') "
                    "FROM releases_release")
        releases, published = cur.fetchone()
        cur.execute("SELECT count(*) FROM applications_case")
        cases = cur.fetchone()[0]
    return {"timings_s": steps.timings, "database_size": size, "build_s": steps.total_s,
            "publications": publications, "releases": releases, "published": published,
            "cases": cases, **register.counts(today),
            "agencies": [g.pk for g in agencies], "people": people}


# ----------------------------------------------------------------------- measuring

def client_for(user):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(user)
    return client


def get_report(client, agency, year, fmt=None):
    query = f"?agency={agency.code}&year={year}" + (f"&format={fmt}" if fmt else "")
    response = client.get(URL + query)
    assert response.status_code == 200, (response.status_code, response.content[:300])
    return response


def outline(report: dict) -> dict:
    """What the report says, in a line: the figures a reader would check first."""
    t3, t4 = report["table3"]["rows"], report["table4"]
    return {"released": sum(report["released_by_channel"].values()),
            "new": t3["new"][-1], "carried_over": t3["carried_over"][-1],
            "results": t3["results_total"][-1], "carried_forward": t3["carried_forward"][-1],
            "cases": sum(cells["total"] for cells in t4.values()),
            "fees": report["fees_charged"]["count"],
            "failing": sorted(c["rule"] for c in report["checks"]
                              if not c["ok"] and c["severity"] == "error")}


def measure_one(args, built) -> list[dict]:
    """The JSON report of the large agency and of a few ordinary ones, repeatedly."""
    from agencies.models import Agency, User

    ids = built["agencies"]
    ordinary = ids[args.large_agencies:]
    step = max(len(ordinary) // args.measure_agencies, 1)
    measured = [("large agency", ids[0])] + [
        (f"agency {pk}", pk) for pk in ordinary[::step][: args.measure_agencies]]
    results = []
    for label, agency_id in measured:
        agency = Agency.objects.get(pk=agency_id)
        client = client_for(User.objects.get(pk=built["people"][agency_id]["leader"].pk))
        for _ in range(3):  # warm-up: plans and buffers
            report = get_report(client, agency, args.year).data
        samples, statements = Samples(), set()
        for _ in range(args.runs):
            with Capture() as capture, Clock(db=True) as clock:
                get_report(client, agency, args.year)
            samples.add(clock)
            statements.add(len(capture.queries))
        results.append({"agency": label, "code": agency.code, "statements": sorted(statements),
                        "report": outline(report), **samples.as_dict(),
                        "sample": capture.queries})
        print(f"  {label:<13} {outline(report)}; {sorted(statements)} statements; "
              f"{samples.line()}", flush=True)
    return results


def measure_live_report(args, built) -> dict:
    """`live_report` without the view, for the large agency: where the time goes."""
    from agencies.models import Agency
    from disclosure.reports import live_report

    agency = Agency.objects.get(pk=built["agencies"][0])
    samples = Samples()
    for _ in range(args.runs):
        with Capture() as capture, Clock(db=True) as clock:
            live_report(agency=agency, year=args.year)
        samples.add(clock)
    statements = sorted(capture.queries, key=lambda q: -q["ms"])
    print(f"  live_report, large agency: {len(capture.queries)} statements, "
          f"{capture.sql_ms:.1f} ms inside execute() (last run); {samples.line()}")
    for q in statements[:5]:
        print(f"    {q['ms']:7.2f} ms  {short_shape(shape_of(q['sql']), 140)}")
    return {**samples.as_dict(), "statements": len(capture.queries), "sql_ms": capture.sql_ms,
            "slowest": [{"ms": q["ms"], "shape": shape_of(q["sql"])} for q in statements[:10]]}


def measure_all(args, built) -> dict:
    """Every agency's report, one after the other, each as that agency's leader."""
    from agencies.models import Agency, User

    agencies = list(Agency.objects.order_by("pk"))
    leaders = User.objects.in_bulk([built["people"][g.pk]["leader"].pk for g in agencies])
    clients = [(g, client_for(leaders[built["people"][g.pk]["leader"].pk])) for g in agencies]
    per_report, statements, failing = Samples(), 0, 0
    with Clock(db=True) as total:
        for agency, client in clients:
            with Capture() as capture, Clock() as clock:
                report = get_report(client, agency, args.year).data
            per_report.add(clock)
            statements += len(capture.queries)
            failing += any(c["rule"] != "narrative_unfinished" for c in report["checks"]
                           if not c["ok"] and c["severity"] == "error")
    result = {"reports": len(agencies), "wall_s": total.wall_ms / 1000,
              "cpu_s": total.cpu_ms / 1000, "db_cpu_s": total.db_cpu_s,
              "statements": statements, "failing_other_than_unfinished": failing,
              "per_report": per_report.as_dict()}
    db = f", PostgreSQL backend {total.db_cpu_s:.1f} s" if total.db_cpu_s is not None else ""
    print(f"  {len(agencies):,} reports: wall {result['wall_s']:.1f} s, CPU "
          f"{result['cpu_s']:.1f} s{db}; {statements:,} statements; per report "
          f"{per_report.line()}; reports failing a check other than the unfinished narrative: "
          f"{failing}", flush=True)
    return result


def measure_exports(args, built) -> dict:
    from agencies.models import Agency, User
    from disclosure.report_api import report_of
    from disclosure.report_exports import report_docx, report_pdf

    agency = Agency.objects.get(pk=built["agencies"][0])
    client = client_for(User.objects.get(pk=built["people"][agency.pk]["leader"].pk))
    report = report_of(agency, args.year)
    out = {}
    for label, runs, fn in (
            ("GET format=docx", args.docx_runs,
             lambda: get_report(client, agency, args.year, "docx").content),
            ("report_docx", args.docx_runs, lambda: report_docx(report)),
            ("report_pdf", args.pdf_runs, lambda: report_pdf(report))):
        if runs < 1:
            continue
        data = fn()  # warm-up: imports, fonts, templates
        samples = Samples()
        for _ in range(runs):
            with Clock() as clock:
                data = fn()
            samples.add(clock)
        out[label] = {**samples.as_dict(), "bytes": len(data)}
        print(f"  {label:<16} {len(data):>9,} bytes; {samples.line()}", flush=True)
    return out


def explain(one, path) -> None:
    """EXPLAIN (ANALYZE, BUFFERS) of the SELECTs of the large agency's report request."""
    from django.db import connection

    out = []
    with connection.cursor() as cur:
        for q in one[0]["sample"]:
            if not q["sql"].lstrip().upper().startswith("SELECT"):
                continue
            cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + q["sql"])
            out.append(f"-- {q['ms']:.2f} ms when measured\n{q['sql']}\n\n"
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
    if args.year is None:
        args.year = today.year - 1
    built = build(args, today)
    print(f"built {built['publications']:,} publications, {built['releases']:,} releases "
          f"({built['published']:,} published), {built['applications']:,} applications "
          f"({built['open']:,} open), {built['clock_events']:,} clock events and "
          f"{built['cases']:,} cases in {built['build_s']:.0f} s; database "
          f"{built['database_size']}")

    print(f"\none report: GET {URL}?agency=…&year={args.year}, {args.runs} requests after 3 "
          f"warm-up (load average {bootstrap.load_avg()})")
    one = measure_one(args, built)
    live = measure_live_report(args, built)
    print(f"\nevery agency's report (load average {bootstrap.load_avg()})")
    every = measure_all(args, built)
    print(f"\nexports of the large agency's report (load average {bootstrap.load_avg()})")
    exports = measure_exports(args, built)
    RESULTS_DIR.mkdir(exist_ok=True)
    explain(one, RESULTS_DIR / "annual_report_plans.txt")

    worst = max(one, key=lambda r: r["wall_p95_ms"])
    docx = exports["GET format=docx"]
    met = {"one": worst["wall_p95_ms"] <= REPORT_TARGET_S * 1000,
           "all": every["wall_s"] <= ALL_TARGET_S,
           "docx": docx["wall_p95_ms"] <= DOCX_TARGET_S * 1000}
    info["load_avg_end"] = bootstrap.load_avg()
    mark = {True: "MET", False: "NOT MET"}
    lines = [
        "SUMMARY  annual report: one agency-year, every agency, .docx",
        f"  {bootstrap.machine_line(info)}; at the end {info['load_avg_end']}",
        f"  data: {built['releases']:,} releases ({built['published']:,} published) of "
        f"{built['publications']:,} items over {args.years} years to {args.year}; "
        f"{built['applications']:,} applications ({built['open']:,} open), "
        f"{built['clock_events']:,} clock events, {built['cases']:,} cases; {args.agencies:,} "
        f"agencies, {args.large_agencies} holding {args.large_share:.0%}; built in "
        f"{built['build_s']:.0f} s ({built['database_size']})",
    ]
    for r in one:
        o = r["report"]
        lines.append(
            f"  {r['agency']:<13} ({o['released']:,} releases in {args.year}, "
            f"{o['new']:,} new applications, {o['results']:,} results, {o['cases']} cases; "
            f"{'/'.join(map(str, r['statements']))} statements): wall p50 "
            f"{r['wall_p50_ms']:.1f} / p95 {r['wall_p95_ms']:.1f} ms, CPU p50 "
            f"{r['cpu_p50_ms']:.1f} / p95 {r['cpu_p95_ms']:.1f} ms, PostgreSQL "
            f"{r['db_cpu_mean_ms']:.1f} ms")
    lines.append(f"  live_report alone, large agency: wall p50 {live['wall_p50_ms']:.1f} / p95 "
                 f"{live['wall_p95_ms']:.1f} ms, CPU p50 {live['cpu_p50_ms']:.1f} ms, "
                 f"{live['statements']} statements, {live['sql_ms']:.1f} ms in SQL")
    lines.append(f"  one report: worst p95 {worst['wall_p95_ms']:.1f} ms ({worst['agency']}); "
                 f"target ≤ {REPORT_TARGET_S * 1000:.0f} ms: {mark[met['one']]}")
    db_cpu = (f", PostgreSQL {every['db_cpu_s']:.1f} s" if every["db_cpu_s"] is not None
              else "")
    lines.append(f"  all {every['reports']:,} reports: wall {every['wall_s']:.1f} s, CPU "
                 f"{every['cpu_s']:.1f} s{db_cpu}, {every['statements']:,} statements; per "
                 f"report p50 {every['per_report']['wall_p50_ms']:.1f} / p95 "
                 f"{every['per_report']['wall_p95_ms']:.1f} ms; failing a check besides the "
                 f"unfinished narrative: {every['failing_other_than_unfinished']}; target ≤ "
                 f"{ALL_TARGET_S:.0f} s: {mark[met['all']]}")
    for label, e in exports.items():
        lines.append(f"  {label}: {e['bytes']:,} bytes, wall p50 {e['wall_p50_ms']:.0f} / p95 "
                     f"{e['wall_p95_ms']:.0f} ms, CPU p50 {e['cpu_p50_ms']:.0f} ms")
    lines.append(f"  .docx (GET format=docx, p95): target ≤ {DOCX_TARGET_S * 1000:.0f} ms: "
                 f"{mark[met['docx']]}")
    lines.append(f"  run: {run.line()}")
    print("\n" + "\n".join(lines))
    for r in one:
        r.pop("sample")
    built.pop("people")
    built.pop("agencies")
    (RESULTS_DIR / "annual_report.json").write_text(json.dumps(
        {"args": vars(args), "machine": info, "build": built, "one": one, "live_report": live,
         "all": every, "exports": exports,
         "targets": {"one_s": REPORT_TARGET_S, "all_s": ALL_TARGET_S, "docx_s": DOCX_TARGET_S},
         "met": met, "run": run.report()}, ensure_ascii=False, indent=2, default=str))
    (RESULTS_DIR / "annual_report_summary.txt").write_text("\n".join(lines) + "\n")
    print(f"results: {RESULTS_DIR / 'annual_report.json'}, plans: "
          f"{RESULTS_DIR / 'annual_report_plans.txt'}")
    return 0 if all(met.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
