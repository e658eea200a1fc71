"""What one release delivery costs in-process: SQL statements, transactions, time per step.

A standalone script, not a test. It works in its own database (lib.bootstrap), builds
approved items with one pending webhook release each (one through the services, the rest
copies of it: lib.pipeline.approved_with_pending_releases), then calls
`releases.delivery.deliver(pk)` in this process (no worker) for each, against a loopback
receiver (lib.receiver). Printed: statements per delivery by kind and shape, COMMITs,
wall and CPU p50/p95, time inside execute(), the time of each step (lib.probes), and the
floors under a delivery: a one-row COMMIT, building an httpx.Client, opening a Django
connection to PostgreSQL. For deliveries by real workers see release_throughput.py.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python benchmarks/release_delivery.py --releases 50

See benchmarks/README.md.
"""

import argparse
import json
import sys

from lib import bootstrap
from lib.bootstrap import RESULTS_DIR
from lib.pipeline import WEBHOOK_CHANNEL, approved_with_pending_releases, webhook_agency
from lib.probes import Probe, install_probes, print_steps, summarise
from lib.queries import Actions, kind_of
from lib.receiver import CountingReceiver
from lib.timing import Clock, RunClock, Samples

WARM_UP = 5


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--releases", type=int, default=50,
                        help="releases delivered in-process and measured (default 50)")
    bootstrap.add_database_options(parser, "bench_delivery")
    args = parser.parse_args(argv)
    if args.releases < 1:
        parser.error("--releases must be >= 1")
    bootstrap.check_database_name(parser, args)
    return args


def floors() -> dict:
    """What any delivery pays at least: a COMMIT, an HTTP client, a database connection."""
    import httpx
    from django.db import connection, transaction

    with connection.cursor() as cur:
        cur.execute("CREATE TABLE IF NOT EXISTS bench_commit_probe (id int PRIMARY KEY, n int)")
        cur.execute("INSERT INTO bench_commit_probe VALUES (1, 0) ON CONFLICT DO NOTHING")
    commit, client, connect = Samples(), Samples(), Samples()
    for _ in range(200):  # a one-row UPDATE and its COMMIT (WAL flush, synchronous_commit on)
        with Clock() as clock, transaction.atomic(), connection.cursor() as cur:
            cur.execute("UPDATE bench_commit_probe SET n = n + 1 WHERE id = 1")
        commit.add(clock)
    for _ in range(50):  # what a WebhookSender without a shared client would build
        with Clock() as clock:
            httpx.Client(timeout=10).close()
        client.add(clock)
    for _ in range(30):  # a new connection and Django's session set-up
        connection.close()
        with Clock() as clock:
            connection.ensure_connection()
        connect.add(clock)
    return {"one-row COMMIT": commit, "httpx.Client() build + close": client,
            "new PostgreSQL connection (Django)": connect}


def main(argv=None) -> int:
    args = parse_args(argv)
    run = RunClock()
    db = bootstrap.setup_django(args.database, redis_url="")
    info = bootstrap.machine(db.server_version)
    print(bootstrap.machine_line(info))
    # Final approval dispatches delivery after commit: to an in-memory queue nobody
    # consumes, so the releases stay pending until this script delivers them.
    from config.celery import app

    app.conf.task_always_eager = False
    app.conf.broker_url = "memory://localhost/"
    from releases import delivery
    from releases.models import Release, ReleaseStatus

    with CountingReceiver() as receiver:
        org, _channel = webhook_agency("bench_delivery", receiver)
        ids = approved_with_pending_releases(org, args.releases + WARM_UP, tag="delivery",
                                             channels=[WEBHOOK_CHANNEL])
        print(f"\n{len(ids)} approved items with a pending webhook release; delivering "
              f"{WARM_UP} (warm-up), then {args.releases} measured, in-process")
        probe = Probe()
        uninstall = install_probes(probe)
        actions = Actions(["deliver"])
        try:
            # through the module, so that the probe around deliver() is the one called
            for pk in ids[:WARM_UP]:
                delivery.deliver(pk)
            probe.samples.clear()
            for n, pk in enumerate(ids[WARM_UP:]):
                actions.call("deliver", lambda pk=pk: delivery.deliver(pk),
                             keep_sample=(n == 0))
                actions.units += 1
        finally:
            uninstall()
        received = receiver.stats()
    published = Release.objects.filter(pk__in=ids, status=ReleaseStatus.PUBLISHED).count()
    assert published == len(ids), f"{published} of {len(ids)} published"
    commits = actions.shapes["deliver"]["COMMIT"] / actions.units
    print()
    actions.print_table(unit="delivery")
    print(f"  {commits:.0f} transactions (COMMITs) per delivery; receiver: "
          f"{received['accepted']} accepted, {received['duplicates']} duplicates, "
          f"{received['invalid_signatures']} invalid signatures")
    actions.print_shapes(unit="delivery")
    steps = summarise(probe.samples)
    print("\nTime per step (in-process, wall ms, no contention from workers):")
    print_steps(steps)
    bottoms = floors()
    print("\nFloors:")
    for label, samples in bottoms.items():
        print(f"  {label:36s} {samples.line()}")

    t = actions.times["deliver"]
    lines = [
        "=" * 100,
        f"SUMMARY  one release delivery, in-process — {args.releases} webhook releases, "
        "loopback receiver",
        f"         {bootstrap.machine_line(info)}",
        f"         {run.line()}",
        "-" * 100,
        f"SQL statements per delivery                 {actions.per_unit():6.1f} "
        f"({', '.join(f'{k} {v:.1f}' for k, v in actions.kinds_per_unit().items() if v)}); "
        f"{commits:.0f} transactions",
        f"delivery p50 / p95 ms                       wall {t.p(50):.2f} / {t.p(95):.2f}, "
        f"CPU {t.p(50, 'cpu'):.2f} / {t.p(95, 'cpu'):.2f}; PostgreSQL backend CPU mean "
        f"{t.db_cpu_mean_ms:.2f}",
        f"duplicates seen by the receiver             {received['duplicates']}",
        "=" * 100,
    ]
    print("\n" + "\n".join(lines))
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    (RESULTS_DIR / "release_delivery_queries.txt").write_text(
        "\n".join(f"-- [{n:2d}] {kind_of(q['sql'])} {q['ms']:.3f} ms\n{q['sql']}"
                  for n, q in enumerate(actions.samples["deliver"], 1)) + "\n")
    (RESULTS_DIR / "release_delivery.json").write_text(json.dumps(
        {"args": vars(args), "machine": info, "run": run.report(), **actions.as_dict(),
         "transactions": commits, "steps_ms": steps, "receiver": received,
         "floors": {k: v.as_dict() for k, v in bottoms.items()}},
        ensure_ascii=False, indent=2, default=str))
    print(f"results: {RESULTS_DIR}/release_delivery.json, "
          f"{RESULTS_DIR}/release_delivery_queries.txt (SQL of one delivery)")
    return 0 if received["duplicates"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
