"""Release delivery throughput: the outbox worked by real Celery workers over Redis.

A standalone script, not a test. It works in its own database (lib.bootstrap), starts its
own redis-server and `celery -A config worker` subprocesses (lib.workers) and serves a
loopback webhook receiver that verifies every signature and counts each webhook-id, so it
sees duplicates (lib.receiver). Everything it starts is stopped at the end, on errors and
SIGTERM too.

Phase 1  for each worker configuration (--variants): N approved items with one pending
         webhook release each (one through the services, N - 1 copies: lib.data), then
         one `deliver_release.delay(pk)` per release, whose send time is taken as the
         approval time. Measured: deliveries/s from the first dispatch to the last
         `published_at`, duplicates, approval → published p50/p95, CPU per delivery by
         process group, pg_stat_activity samples (who waits for the audit-chain head
         lock); then every release published once and the audit chain verified.
Phase 2  if the target is missed (or --profile always): one more run whose workers time
         each delivery step (lib.probes, through this script's --worker-shim).
Phase 3  --through-services M items through the real service layer while two workers
         (prefork-2x1) deliver: approval (Release.created_at) → published.
Phase 4  --paced-approvals RATE: final approvals through the services at a steady RATE/s
         (open loop, from forked driver processes) for --paced-seconds, items spread over
         --paced-agencies agencies, delivered by --paced-variant workers (default solo-2x1,
         the production command): approval commit → published p50/p95/p99/max, and where
         the time of the slow ones went (lib.paced). --paced-only skips phases 1–3.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python benchmarks/release_throughput.py --quick

The in-process cost of one delivery (statements, steps) is release_delivery.py's.
See benchmarks/README.md.
"""

import argparse
import json
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from lib import bootstrap
from lib import paced as lp
from lib.bootstrap import REPO_ROOT, RESULTS_DIR
from lib.pipeline import (
    WEBHOOK_CHANNEL,
    Pipeline,
    approved_with_pending_releases,
    webhook_agency,
)
from lib.probes import STEP_HOLD, STEP_LOCK_WAIT, print_steps, read_probes, summarise
from lib.receiver import CountingReceiver
from lib.sampling import OWN, ActivitySampler, CpuTracker, db_sessions
from lib.timing import RunClock, pct
from lib.workers import (
    PROCESSES,
    Workers,
    delivering_processes,
    describe,
    parse_variant,
    start_redis,
)

TARGET_DELIVERIES_PER_S = 200.0
TARGET_DUPLICATES = 0


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--releases", type=int, default=None,
                        help="releases delivered per worker configuration (default 10000)")
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: 1000 releases, 50 through the services")
    parser.add_argument("--through-services", type=int, default=None, metavar="M",
                        help="items pushed through the real service layer while 2 workers "
                             "deliver (default 200, --quick 50; 0 skips)")
    parser.add_argument("--variants", default="prefork-2x1,threads-2x8",
                        help="worker configurations, comma-separated POOL-WORKERSxCONCURRENCY "
                             "(prefork|threads|solo): prefork-2x1 is 2 `celery worker` "
                             "processes with 1 pool process each (default "
                             "prefork-2x1,threads-2x8)")
    parser.add_argument("--prefetch", type=int, default=None,
                        help="worker --prefetch-multiplier (default: the project's setting, "
                             "CELERY_WORKER_PREFETCH_MULTIPLIER)")
    parser.add_argument("--rate", type=float, default=0,
                        help="pace the dispatch at this many releases/s (default 0: a burst)")
    parser.add_argument("--profile", choices=("auto", "always", "never"), default="auto",
                        help="a run with timed delivery steps in the workers: auto = only if "
                             "the target is missed (default)")
    parser.add_argument("--profile-releases", type=int, default=None,
                        help="releases of the profiled run (default min(releases, 3000))")
    parser.add_argument("--profile-variant", default=None,
                        help="worker configuration of the profiled run (default: the first)")
    parser.add_argument("--worker-root", default=str(REPO_ROOT),
                        help="code tree the workers run from (default: this repository), "
                             "e.g. a scratch copy holding a prototype change")
    parser.add_argument("--paced-approvals", type=float, default=0, metavar="RATE",
                        help="phase 4: final approvals per second through the services "
                             "(default 0: skipped)")
    parser.add_argument("--paced-seconds", type=float, default=40,
                        help="phase 4: how long approvals go on (default 40)")
    parser.add_argument("--paced-agencies", type=int, default=10,
                        help="phase 4: agencies the items are spread over (default 10)")
    parser.add_argument("--paced-drivers", type=int, default=4,
                        help="phase 4: driver processes approving (default 4)")
    parser.add_argument("--paced-variant", default="solo-2x1",
                        help="phase 4: worker configuration (default solo-2x1, as in "
                             "docker-compose.yml)")
    parser.add_argument("--paced-mail-ms", type=float, default=0, metavar="MS",
                        help="phase 4: everyone has an e-mail address and each message takes "
                             "the workers MS ms, as a real mail server would (lib.slowmail; "
                             "default 0: nobody has an address, as in phases 1-3)")
    parser.add_argument("--paced-only", action="store_true",
                        help="run phase 4 only")
    bootstrap.add_database_options(parser, "bench_release")
    args = parser.parse_args(argv)
    args.releases = args.releases or (1000 if args.quick else 10_000)
    if args.through_services is None:
        args.through_services = 50 if args.quick else 200
    if args.profile_releases is None:
        args.profile_releases = min(args.releases, 3000)
    args.variant_list = []
    for name in filter(None, (v.strip() for v in args.variants.split(","))):
        variant = parse_variant(name)
        if variant is None:
            parser.error(f"bad variant {name!r}: use e.g. prefork-2x1 or threads-2x8")
        args.variant_list.append(variant)
    if not args.variant_list:
        parser.error("--variants names no configuration")
    args.profile_variant_spec = parse_variant(args.profile_variant or
                                              args.variant_list[0]["name"])
    if args.profile_variant_spec is None:
        parser.error(f"bad --profile-variant {args.profile_variant!r}")
    args.paced_variant_spec = parse_variant(args.paced_variant)
    if args.paced_variant_spec is None:
        parser.error(f"bad --paced-variant {args.paced_variant!r}")
    if args.paced_only and not args.paced_approvals:
        parser.error("--paced-only needs --paced-approvals RATE")
    if args.releases < 1 or args.through_services < 0:
        parser.error("--releases must be >= 1, --through-services >= 0")
    bootstrap.check_database_name(parser, args)
    args.worker_root = str(Path(args.worker_root).resolve())
    return args


# --------------------------------------------------------------------------- one run

def approved_batch(label, n, receiver):
    """An agency whose n approved items wait for delivery, with nothing queued yet."""
    from config.celery import app

    org, channel = webhook_agency(label, receiver)
    t = time.perf_counter()
    ids = approved_with_pending_releases(org, n, tag=label, channels=[WEBHOOK_CHANNEL])
    # The template's final approval queued its delivery (and a scan, notice e-mails), and
    # earlier runs may have left notice e-mails: drop them, so that every release is
    # dispatched by the measured burst and nothing else is ahead of it in the queue.
    purged = app.control.purge()
    print(f"  {len(ids)} approved items with a pending webhook release "
          f"({time.perf_counter() - t:.1f} s; 1 through the services, {n - 1} copies; "
          f"{purged} queued messages purged first)", flush=True)
    return org, channel, ids


def poll(channel, n, dispatched, dispatch_done, workers):
    """Published count every 0.2 s until all n are published (or nothing moves)."""
    from releases.models import Release, ReleaseStatus
    from releases.tasks import sweep_outbox

    t_first = time.time()
    timeline, sweeps = [], 0
    deadline = t_first + 120 + n / 10
    last_progress, last_count, next_print = t_first, 0, t_first + 5
    while True:
        done = Release.objects.filter(channel=channel, status=ReleaseStatus.PUBLISHED).count()
        now = time.time()
        timeline.append((now - t_first, done))
        if done >= n:
            break
        if done != last_count:
            last_progress, last_count = now, done
        if now >= next_print:
            print(f"    {now - t_first:6.1f} s: {done}/{n} published, {len(dispatched)} "
                  "dispatched", flush=True)
            next_print = now + 5
        if dispatch_done.is_set() and now - last_progress > 15:
            swept = sweep_outbox()  # what beat would run, called in this process
            sweeps += 1
            print(f"    no progress for 15 s: the sweeper re-dispatched {swept}", flush=True)
            last_progress = now
        if now > deadline:
            print(f"    giving up after {now - t_first:.0f} s", flush=True)
            break
        workers.check_alive()
        time.sleep(0.2)
    return t_first, timeline, sweeps


def run_variant(args, variant, *, label, redis, db, n, probe=False):
    """N approved releases delivered by the workers of one configuration."""
    from django.db import connection

    from audit.verification import verify_chain
    from config.celery import app
    from releases.models import ChannelCall, Release, ReleaseStatus
    from releases.tasks import deliver_release

    result = {"variant": variant["name"], "description": describe(variant), "releases": n,
              "probe": probe}
    probe_dir = Path(tempfile.mkdtemp(prefix="bench-release-probe-")) if probe else None
    workers = sampler = None
    receiver = CountingReceiver()
    try:
        org, channel, ids = approved_batch(label, n, receiver)
        workers = Workers(variant, label=label, redis_url=redis.url, database_url=db.url,
                          worker_root=args.worker_root, prefetch=args.prefetch,
                          probe_dir=probe_dir, shim_script=Path(__file__).resolve())
        t = time.perf_counter()
        workers.wait_ready(app)
        result["command"] = workers.command
        print(f"  workers ready in {time.perf_counter() - t:.1f} s: {describe(variant)}"
              f"{' (timing probes on)' if probe else ''}", flush=True)
        connection.close()  # the poller's connection: named so the sampler leaves it out
        connection.settings_dict.setdefault("OPTIONS", {})["application_name"] = "bench-poll"

        dispatched, dispatch_done, dispatch_error = {}, threading.Event(), []

        def dispatch():
            try:
                t0 = time.time()
                for i, pk in enumerate(ids):
                    if args.rate and (wait := t0 + i / args.rate - time.time()) > 0:
                        time.sleep(wait)
                    dispatched[pk] = time.time()
                    deliver_release.delay(pk)
            except Exception as exc:
                dispatch_error.append(exc)
            finally:
                dispatch_done.set()

        sessions_before = db_sessions(db.name)
        cpu = CpuTracker(worker_pgids=workers.pgids, redis_pid=redis.proc.pid,
                         dbname=db.name)
        cpu.start()
        sampler = ActivitySampler(db.url, db.name)
        sampler.start()
        threading.Thread(target=dispatch, daemon=True).start()
        t_first, timeline, sweeps = poll(channel, len(ids), dispatched, dispatch_done, workers)
        cpu_s, busy_s, total_s = cpu.stop()
        sampler.stop()
        time.sleep(1.1)  # cumulative statistics are flushed about once a second
        sessions = db_sessions(db.name) - sessions_before
        dispatch_done.wait(30)
        if dispatch_error:
            raise dispatch_error[0]
        rows = list(Release.objects.filter(channel=channel)
                    .values_list("pk", "status", "published_at", "attempts"))
        published = [(pk, at.timestamp(), attempts) for pk, status, at, attempts in rows
                     if status == ReleaseStatus.PUBLISHED]
        last = max((at for _pk, at, _a in published), default=time.time())
        wall = last - t_first
        latencies = [at - dispatched[pk] for pk, at, _a in published if pk in dispatched]
        # steady state: between 10 % and 90 % of the releases published
        lo = next((t for t, c in timeline if c >= 0.1 * len(ids)), None)
        hi = next((t for t, c in timeline if c >= 0.9 * len(ids)), None)
        steady = 0.8 * len(ids) / (hi - lo) if lo is not None and hi and hi > lo else float("nan")
        own_cpu_s = sum(v for k, v in cpu_s.items() if k in OWN)
        t = time.perf_counter()
        chain = verify_chain(org.agency)
        result.update({
            "published": len(published), "statuses": dict(Counter(r[1] for r in rows)),
            "wall_s": wall, "deliveries_per_s": len(published) / wall if wall > 0 else 0.0,
            "steady_deliveries_per_s": steady,
            "dispatch_s": max(dispatched.values()) - t_first,
            "latency_p50_s": pct(latencies, 50), "latency_p95_s": pct(latencies, 95),
            "latency_max_s": max(latencies, default=float("nan")),
            "retried": sum(1 for _pk, _at, a in published if a > 1),
            "receiver": receiver.stats(), "sweeps": sweeps, "db_sessions_opened": sessions,
            "channel_calls": dict(Counter(ChannelCall.objects.filter(release__channel=channel)
                                          .values_list("outcome", flat=True))),
            "audit_chain": {"ok": chain.ok, "events": chain.events, "problem": chain.problem,
                            "verify_s": time.perf_counter() - t},
            "cpu_ms_per_delivery": {k: 1000 * v / max(len(published), 1)
                                    for k, v in sorted(cpu_s.items(), key=lambda kv: -kv[1])},
            "own_cpu_ms_per_delivery": 1000 * own_cpu_s / max(len(published), 1),
            "cpu_busy_share": busy_s / total_s if total_s else float("nan"),
            "pg_activity": sampler.report(),
            "timeline": [(round(t, 2), c) for t, c in timeline],
        })
        # Each delivery queues a notice e-mail task on the same queue; those the workers had
        # not reached yet are what is left (stopping first: the last probe lines are
        # flushed when the workers end).
        workers.stop()
        result["left_in_queue"] = app.control.purge()
        if probe_dir:
            result["steps_ms"] = summarise(read_probes(probe_dir))
        return result
    finally:
        if sampler is not None and sampler.is_alive():
            sampler.stop()
        if workers is not None:
            workers.stop()
        receiver.close()
        if probe_dir:
            shutil.rmtree(probe_dir, ignore_errors=True)


def print_variant(r):
    rec, chain = r["receiver"], r["audit_chain"]
    ok = r["published"] == r["releases"]
    print(f"  published {r['published']}/{r['releases']} in {r['wall_s']:.1f} s (first dispatch "
          f"→ last published_at): {r['deliveries_per_s']:.1f} deliveries/s; steady state "
          f"(10 %→90 %) {r['steady_deliveries_per_s']:.1f}/s"
          f"{'' if ok else '   NOT ALL PUBLISHED: ' + str(r['statuses'])}")
    cores = os.cpu_count()
    print(f"  CPU of the run's own processes: {r['own_cpu_ms_per_delivery']:.1f} ms per "
          f"delivery, i.e. at most {1000 * cores / r['own_cpu_ms_per_delivery']:.0f} "
          f"deliveries/s on {cores} cores with nothing else running (machine "
          f"{100 * r['cpu_busy_share']:.0f} % busy during the run)")
    print(f"  dispatch of {r['releases']} tasks took {r['dispatch_s']:.1f} s; approval(=dispatch)"
          f" → published p50 {r['latency_p50_s']:.2f} s, p95 {r['latency_p95_s']:.2f} s, max "
          f"{r['latency_max_s']:.2f} s")
    print(f"  receiver: {rec['requests']} requests, {rec['distinct_webhook_ids']} distinct "
          f"webhook-ids, {rec['duplicates']} duplicates, {rec['invalid_signatures']} invalid "
          f"signatures, {rec['publications_with_several_ids']} items under several ids; "
          f"retried releases {r['retried']}, sweeps needed {r['sweeps']}, ChannelCall outcomes "
          f"{r['channel_calls']}")
    print(f"  tasks still queued when the workers stopped: {r['left_in_queue']} (each delivery "
          "queues a notice e-mail on the same queue; the workers ran the others during the run)")
    state = "intact" if chain["ok"] else "BROKEN: " + chain["problem"]
    print(f"  audit chain of the agency: {state} ({chain['events']} events, verified in "
          f"{chain['verify_s']:.1f} s)")
    print(f"  PostgreSQL connections opened during the run: {r['db_sessions_opened']} "
          f"({r['db_sessions_opened'] / max(r['published'], 1):.2f} per delivery)")
    print("  CPU per delivery (ms of CPU time, by process group):")
    for kind, ms in r["cpu_ms_per_delivery"].items():
        if ms >= 0.05:
            print(f"      {ms:7.2f}  {kind}")
    act = r["pg_activity"]
    print(f"  pg_stat_activity of the bench db, {act['samples']} samples every "
          f"{act['interval_s'] * 1000:.0f} ms (mean backends per state):")
    for kind, mean in act["mean_backends_by_state"].items():
        print(f"      {mean:5.2f}  {kind}")
    print(f"      chain-lock waiters: mean {act['mean_chain_lock_waiters']:.2f}, ≥ 1 waiting in "
          f"{100 * act['share_of_samples_with_a_chain_waiter']:.0f} % of samples"
          f"{'  (sampler error: ' + act['error'] + ')' if act['error'] else ''}")
    if r.get("steps_ms"):
        print_steps(r["steps_ms"], wall=r["wall_s"])


# --------------------------------------------------------------------------- services

def through_services(args, *, redis, db, m):
    """M items through the service layer while 2 workers (prefork-2x1) deliver."""
    from config.celery import app
    from releases.models import Release, ReleaseStatus

    receiver = CountingReceiver()
    variant = parse_variant("prefork-2x1")
    workers = None
    try:
        org, channel = webhook_agency("bench_services", receiver)
        pipeline = Pipeline(org)
        # notice e-mails queued by the deliveries of earlier runs would be ahead in the queue
        purged = app.control.purge()
        workers = Workers(variant, label="svc", redis_url=redis.url, database_url=db.url,
                          worker_root=args.worker_root, prefetch=args.prefetch)
        workers.wait_ready(app)
        returned_at = {}
        t0 = time.time()
        for i in range(m):
            # the final approval commits the release and dispatches it on commit
            publication, _process = pipeline.run_item(i, tag="services",
                                                      channels=[WEBHOOK_CHANNEL])
            returned_at[publication.pk] = time.time()
        pipeline_s = time.time() - t0
        deadline = time.time() + 120
        while time.time() < deadline:
            if Release.objects.filter(channel=channel,
                                      status=ReleaseStatus.PUBLISHED).count() >= m:
                break
            workers.check_alive()
            time.sleep(0.2)
        rows = list(Release.objects.filter(channel=channel).values_list(
            "publication_id", "status", "created_at", "published_at"))
        published = [r for r in rows if r[1] == ReleaseStatus.PUBLISHED]
        from_created = [(p - c).total_seconds() for _pub, _s, c, p in published]
        from_return = [p.timestamp() - returned_at[pub] for pub, _s, _c, p in published]
        return {
            "items": m, "published": len(published), "statuses": dict(Counter(r[1] for r in rows)),
            "pipeline_s": pipeline_s, "items_per_s": m / pipeline_s,
            "p50_s": pct(from_created, 50), "p95_s": pct(from_created, 95),
            "max_s": max(from_created, default=float("nan")),
            "from_return_p50_s": pct(from_return, 50), "from_return_p95_s": pct(from_return, 95),
            "receiver": receiver.stats(), "description": describe(variant), "purged": purged,
        }
    finally:
        if workers is not None:
            workers.stop()
        receiver.close()


# --------------------------------------------------------------------------- paced

TARGET_PACED_P95_S = 1.0


def paced(args, *, redis, db):
    """Phase 4: final approvals at a steady rate through the services (lib.paced)."""
    from config.celery import app
    from releases.models import Release, ReleaseStatus
    from releases.tasks import sweep_outbox

    n = max(1, round(args.paced_approvals * args.paced_seconds))
    per_agency = -(-n // args.paced_agencies)
    n = per_agency * args.paced_agencies
    variant = args.paced_variant_spec
    receiver = CountingReceiver()
    probe_dir = Path(tempfile.mkdtemp(prefix="bench-paced-"))
    workers = sampler = None
    try:
        t = time.perf_counter()
        plan = lp.build(args.paced_agencies, per_agency, receiver)
        items = lp.schedule(plan)
        if args.paced_mail_ms:
            from django.db.models import Value
            from django.db.models.functions import Concat

            from agencies.models import User

            User.objects.filter(agency__in=[org.agency for org, _ in plan]).update(
                email=Concat("username", Value("@bench.example.gov.cn")))
            # read by the workers' settings: every notice is mailed, at once (no quiet hours)
            os.environ.update({"EMAIL_BACKEND": "lib.slowmail.SlowMailBackend",
                               "BENCH_MAIL_MS": str(args.paced_mail_ms),
                               "NOTIFICATION_QUIET_HOURS": "0"})
        purged = app.control.purge()  # the templates' scan and notice tasks
        print(f"  {n} items awaiting the leader's approval in {args.paced_agencies} agencies "
              f"({time.perf_counter() - t:.1f} s; one per agency through the services, the "
              f"rest copies; {purged} queued messages purged)", flush=True)
        workers = Workers(variant, label="paced", redis_url=redis.url, database_url=db.url,
                          worker_root=args.worker_root, prefetch=args.prefetch,
                          probe_dir=probe_dir, shim_script=Path(__file__).resolve())
        workers.wait_ready(app)
        prefetch = (args.prefetch if args.prefetch is not None
                    else app.conf.worker_prefetch_multiplier)
        print(f"  workers ready: {describe(variant)}; `{workers.command}` (prefetch "
              f"multiplier {prefetch}); {args.paced_drivers} driver processes approve "
              f"{args.paced_approvals:g}/s for {n / args.paced_approvals:.0f} s; "
              + (f"each e-mail takes {args.paced_mail_ms:g} ms" if args.paced_mail_ms else
                 "nobody has an e-mail address"), flush=True)
        from agencies.models import Channel

        channels = list(Channel.objects.filter(agency__in=[org.agency for org, _ in plan],
                                               code=WEBHOOK_CHANNEL))
        cpu = CpuTracker(worker_pgids=workers.pgids, redis_pid=redis.proc.pid,
                         dbname=db.name)
        cpu.start()
        sampler = ActivitySampler(db.url, db.name)
        sampler.start()
        t0, _pids, wait = lp.drive(items, rate=args.paced_approvals,
                                   drivers=args.paced_drivers, out_dir=probe_dir)
        # poll until every release is published; a sweep, as beat would, after 15 s
        # without progress once the approvals are done
        deadline = t0 + args.paced_seconds + 120 + n / 10
        last, last_change, sweeps = -1, time.time(), 0
        schedule_end = t0 + n / args.paced_approvals
        next_print = time.time() + 5
        while time.time() < deadline:
            done = Release.objects.filter(channel__in=channels,
                                          status=ReleaseStatus.PUBLISHED).count()
            now = time.time()
            if done >= n:
                break
            if done != last:
                last, last_change = done, now
            if now >= next_print:
                print(f"    {now - t0:6.1f} s: {done}/{n} published", flush=True)
                next_print = now + 5
            if now > schedule_end + 5 and now - last_change > 15:
                print(f"    no progress for 15 s: the sweeper re-dispatched {sweep_outbox()}",
                      flush=True)
                sweeps += 1
                last_change = now
            workers.check_alive()
            time.sleep(0.2)
        codes, rows = wait()
        cpu_s, busy_s, total_s = cpu.stop()
        sampler.stop()
        workers.stop()  # flushes the task log
        left = app.control.purge()
        errors = [r["error"] for r in rows if r["error"]]
        releases = list(Release.objects.filter(channel__in=channels).values_list(
            "pk", "publication_id", "created_at", "published_at", "attempts", "status"))
        from viewflow.workflow.models import Task
        task_pub = dict(Task.objects.filter(pk__in=[r["task"] for r in rows]).values_list(
            "pk", "process__reviewprocess__publication_id"))
        approvals = {task_pub[r["task"]]: r["committed"] for r in rows if not r["error"]}
        figures = lp.analyse(
            approvals,
            [(pk, pub, c.timestamp(), p.timestamp() if p else None, a)
             for pk, pub, c, p, a, _s in releases],
            lp.read_task_log(probe_dir))
        # the notice e-mails wait while deliveries go first: how long, from the notice
        from notifications.models import Notification

        mailed = [(e - c).total_seconds() for c, e in Notification.objects.filter(
            agency__in=[org.agency for org, _ in plan], emailed_at__isnull=False,
            created_at__gte=datetime.fromtimestamp(t0, tz=UTC)).values_list(
            "created_at", "emailed_at")]
        late = [r["started"] - r["due"] for r in rows]
        approve = [r["returned"] - r["started"] for r in rows]
        hooks = [r["returned"] - r["committed"] for r in rows]
        approve_cpu = [r["cpu_s"] for r in rows]
        span = max((r["committed"] for r in rows), default=t0) - t0
        published = sum(1 for *_x, st in releases if st == ReleaseStatus.PUBLISHED)
        own = sum(v for k, v in cpu_s.items() if k in OWN)
        return {
            "items": n, "rate": args.paced_approvals, "agencies": args.paced_agencies,
            "mail_ms": args.paced_mail_ms,
            "drivers": args.paced_drivers, "driver_exit_codes": codes,
            "variant": variant["name"], "command": workers.command, "prefetch": prefetch,
            "approved": len(rows) - len(errors), "errors": errors[:5],
            "error_count": len(errors), "published": published,
            "statuses": dict(Counter(st for *_x, st in releases)),
            "achieved_rate": len(rows) / span if span > 0 else float("nan"),
            "schedule_lag_p95_s": pct(late, 95),
            "approve_p50_ms": 1000 * pct(approve, 50), "approve_p95_ms": 1000 * pct(approve, 95),
            "approve_cpu_p50_ms": 1000 * pct(approve_cpu, 50),
            "commit_to_return_p95_ms": 1000 * pct(hooks, 95),
            "emails_sent": len(mailed), "email_p50_s": pct(mailed, 50) if mailed else None,
            "email_p95_s": pct(mailed, 95) if mailed else None,
            "latency": figures, "sweeps": sweeps, "left_in_queue": left,
            "receiver": receiver.stats(),
            "cpu_ms_per_item": {k: 1000 * v / max(published, 1)
                                for k, v in sorted(cpu_s.items(), key=lambda kv: -kv[1])},
            "own_cpu_ms_per_item": 1000 * own / max(published, 1),
            "cpu_busy_share": busy_s / total_s if total_s else float("nan"),
            "pg_activity": sampler.report(),
        }
    finally:
        if sampler is not None and sampler.is_alive():
            sampler.stop()
        if workers is not None:
            workers.stop()
        receiver.close()
        shutil.rmtree(probe_dir, ignore_errors=True)


def print_paced(r):
    f = r["latency"]
    slow = f["slow"]
    print(f"  {r['approved']}/{r['items']} approved at {r['achieved_rate']:.1f}/s (schedule "
          f"lag p95 {r['schedule_lag_p95_s'] * 1000:.0f} ms; approve p50 "
          f"{r['approve_p50_ms']:.0f} ms, p95 {r['approve_p95_ms']:.0f} ms wall, CPU p50 "
          f"{r['approve_cpu_p50_ms']:.0f} ms; COMMIT → return p95 "
          f"{r['commit_to_return_p95_ms']:.0f} ms); {r['error_count']} errors"
          f"{' ' + str(r['errors']) if r['errors'] else ''}; {r['published']} published "
          f"{r['statuses']}")
    print(f"  approval COMMIT → published: p50 {f['p50_s'] * 1000:.0f} ms, p95 "
          f"{f['p95_s'] * 1000:.0f} ms, p99 {f['p99_s'] * 1000:.0f} ms, max "
          f"{f['max_s'] * 1000:.0f} ms; {f['over_1s']} over 1 s")
    print(f"    p95 by tenth of the run (s): {f['by_decile']}")
    print(f"    broker wait (commit → received) p50/p95 {f['broker_wait_p50_s'] * 1000:.0f}/"
          f"{f['broker_wait_p95_s'] * 1000:.0f} ms; in the worker's prefetch buffer "
          f"(received → started) {f['buffer_wait_p50_s'] * 1000:.0f}/"
          f"{f['buffer_wait_p95_s'] * 1000:.0f} ms; run (started → published) "
          f"{f['run_p50_s'] * 1000:.0f}/{f['run_p95_s'] * 1000:.0f} ms, of which lock waits "
          f"p95 {f['lock_wait_p95_s'] * 1000:.1f} ms "
          f"({', '.join(f'{k} {v:.1f}' for k, v in f['lock_wait_p95_ms_by_kind'].items())})")
    if slow["count"]:
        print(f"    the {slow['count']} over 1 s: {slow['causes']}; mean broker wait "
              f"{slow['broker_wait_mean_s']:.2f} s, buffer wait {slow['buffer_wait_mean_s']:.2f}"
              f" s, run {slow['run_mean_s']:.3f} s, lock waits {slow['lock_wait_mean_s']:.3f} s;"
              f" another worker idle meanwhile, mean "
              f"{slow['other_worker_idle_while_waiting_mean_s']:.2f} s")
        print(f"    worker time (s) spent on other tasks while they waited: "
              f"{ {k: round(v, 1) for k, v in slow['worker_time_while_waiting_s'].items()} }")
    print(f"  tasks run: {f['tasks_run']}; seconds: {f['task_seconds']}; p95 ms: "
          f"{ {k: round(v) for k, v in f['task_ms_p95'].items()} }")
    print(f"  between tasks in a worker (its own work per task, and waiting for a core): p50 "
          f"{f['gap_p50_ms']:.1f} ms, p95 {f['gap_p95_ms']:.1f} ms, {f['gap_sum_s']:.1f} s in all")
    if r["emails_sent"]:
        print(f"  notice e-mails: {r['emails_sent']} sent, notice → e-mailed p50 "
              f"{r['email_p50_s']:.2f} s, p95 {r['email_p95_s']:.2f} s")
    rec = r["receiver"]
    print(f"  receiver: {rec['duplicates']} duplicates, {rec['invalid_signatures']} invalid "
          f"signatures; sweeps {r['sweeps']}; {r['left_in_queue']} tasks left queued")
    top = ", ".join(f"{kind} {ms:.1f}" for kind, ms in list(r["cpu_ms_per_item"].items())[:5])
    print(f"  CPU ms per approved and published item: {top}; the run's own "
          f"{r['own_cpu_ms_per_item']:.1f} ms (machine {100 * r['cpu_busy_share']:.0f} % busy)")


def paced_lines(r):
    f = r["latency"]
    met = f["p95_s"] <= TARGET_PACED_P95_S and r["published"] == r["items"]
    return [
        f"{'paced: approval commit → published p95 (s)':58s} {f['p95_s']:12.3f} "
        f"{'≤ 1':>10s}  {verdict(met)}",
        f"    {r['approved']} final approvals at {r['achieved_rate']:.1f}/s over "
        f"{r['agencies']} agencies, workers {r['variant']} prefetch {r['prefetch']}, e-mail "
        f"{r['mail_ms']:g} ms: p50 "
        f"{f['p50_s'] * 1000:.0f} ms, p95 {f['p95_s'] * 1000:.0f}, p99 {f['p99_s'] * 1000:.0f},"
        f" max {f['max_s'] * 1000:.0f} ms; {f['over_1s']} over 1 s; duplicates "
        f"{r['receiver']['duplicates']}",
        f"    CPU ms per item, the run's own processes {r['own_cpu_ms_per_item']:.1f} "
        f"(machine {100 * r['cpu_busy_share']:.0f} % busy); approve p95 "
        f"{r['approve_p95_ms']:.0f} ms wall, CPU p50 {r['approve_cpu_p50_ms']:.0f} ms",
    ], met


def run_paced_only(args, redis, run_clock, db, info):
    print(f"\nPhase 4: {args.paced_approvals:g} final approvals/s through the services for "
          f"{args.paced_seconds:g} s, workers {args.paced_variant}", flush=True)
    r = paced(args, redis=redis, db=db)
    print_paced(r)
    lines, met = paced_lines(r)
    lines = ["=" * 104,
             f"SUMMARY  release delivery under paced approvals"
             f"{' (--quick)' if args.quick else ''}, webhook channel, loopback receiver",
             f"         {bootstrap.machine_line(info)}",
             f"         {run_clock.line()}; postgres, redis, receiver, drivers and workers "
             "share the CPUs",
             f"         workers' code: {args.worker_root}", "-" * 104, *lines, "=" * 104]
    print("\n" + "\n".join(lines))
    out = {"args": vars(args), "machine": info, "run": run_clock.report(), "paced": r}
    (RESULTS_DIR / "release_paced.json").write_text(
        json.dumps(out, ensure_ascii=False, indent=2, default=str))
    print(f"results: {RESULTS_DIR}/release_paced.json")
    return 0 if met and r["receiver"]["duplicates"] == 0 else 1


# --------------------------------------------------------------------------- main

def verdict(ok):
    return "OK  " if ok else "MISS"


def summary(args, info, run, results, best, met, duplicates, all_published, profiled,
            services):
    import celery

    prototype = Path(args.worker_root) != REPO_ROOT
    lines = [
        "=" * 104,
        f"SUMMARY  release throughput — {args.releases} releases per configuration"
        f"{' (--quick)' if args.quick else ''}, webhook channel, loopback receiver, Celery "
        f"{celery.__version__}",
        f"         {bootstrap.machine_line(info)}",
        f"         {run.line()}; postgres, redis, receiver and workers share the CPUs",
        f"         workers' code: {args.worker_root}"
        + ("  — A SCRATCH COPY (prototype), NOT THIS REPOSITORY'S CODE" if prototype else
           " (this repository)"),
        "         approval = dispatch: one deliver_release.delay(pk) per release, its send time "
        "taken as the approval time"
        + (f"; paced at {args.rate:.0f}/s" if args.rate else
           "; one burst, so latency includes the backlog"),
        "-" * 104,
        f"{'figure':58s} {'measured':>12s} {'target':>10s}  verdict",
        f"{'deliveries/s, best 2-process configuration (wall)':58s} "
        f"{best['deliveries_per_s']:12.1f} {'≥ ' + str(int(TARGET_DELIVERIES_PER_S)):>10s}  "
        f"{verdict(met)}",
        f"    configuration: {best['variant']} = {best['description']}, prefetch "
        f"{args.prefetch}",
        f"{'    CPU ms per delivery, the run’s own processes':58s} "
        f"{best['own_cpu_ms_per_delivery']:12.1f} {'—':>10s}",
        f"{'duplicates seen by the receiver (all runs)':58s} {duplicates:12d} "
        f"{TARGET_DUPLICATES:>10d}  {verdict(duplicates == TARGET_DUPLICATES)}",
        f"{'every release published exactly once':58s} "
        f"{'yes' if all_published else 'NO':>12s} {'yes':>10s}  {verdict(all_published)}",
    ]
    for r in results:
        lines.append(f"  {r['variant']:12s} {r['deliveries_per_s']:7.1f} deliveries/s (steady "
                     f"{r['steady_deliveries_per_s']:.1f}), CPU {r['own_cpu_ms_per_delivery']:.1f}"
                     f" ms/delivery, approval→published p50 {r['latency_p50_s']:.2f} s, p95 "
                     f"{r['latency_p95_s']:.2f} s, duplicates {r['receiver']['duplicates']}, "
                     f"chain {'intact' if r['audit_chain']['ok'] else 'BROKEN'} "
                     f"({r['audit_chain']['events']} events)")
        top = ", ".join(f"{kind} {ms:.1f}"
                        for kind, ms in list(r["cpu_ms_per_delivery"].items())[:3])
        lines.append(f"      PostgreSQL connections opened per delivery "
                     f"{r['db_sessions_opened'] / max(r['published'], 1):.2f}; CPU ms per "
                     f"delivery: {top}")
    if profiled and profiled.get("steps_ms"):
        hold = profiled["steps_ms"].get(STEP_HOLD)
        wait = profiled["steps_ms"].get(STEP_LOCK_WAIT)
        if hold and wait:
            lines.append(f"{'chain head lock: wait p50/p95, hold mean ms (profile)':58s} "
                         f"{wait['p50']:.2f}/{wait['p95']:.2f}, {hold['mean']:.2f}")
            lines.append(f"{'chain head lock busy share of wall time (profile)':58s} "
                         f"{100 * hold['sum_s'] / profiled['wall_s']:11.0f}%")
    if services:
        lines.append(f"{'through services: approval→published p50 / p95 ms':58s} "
                     f"{services['p50_s'] * 1000:5.0f} / {services['p95_s'] * 1000:4.0f}   "
                     f"({services['published']}/{services['items']} items, "
                     f"{services['items_per_s']:.1f} approvals/s)")
    lines.append("=" * 104)
    return lines


def run(args, redis, run_clock):
    db = bootstrap.setup_django(args.database, redis_url=redis.url)
    info = bootstrap.machine(db.server_version)
    print(bootstrap.machine_line(info))
    from config.celery import app

    assert app.conf.broker_url == redis.url and not app.conf.task_always_eager
    if args.paced_only:
        return run_paced_only(args, redis, run_clock, db, info)
    print(f"redis-server on 127.0.0.1:{redis.port} (private, stopped at the end); workers run "
          f"from {args.worker_root}")
    timings, results = {}, []
    for variant in args.variant_list:
        print(f"\nPhase 1: {args.releases} releases, workers {variant['name']}: "
              f"{describe(variant)}, prefetch multiplier {args.prefetch}"
              f"{f', dispatch paced at {args.rate:.0f}/s' if args.rate else ''}", flush=True)
        t = time.perf_counter()
        r = run_variant(args, variant, label="bench_" + variant["name"].replace("-", "_"),
                        redis=redis, db=db, n=args.releases)
        timings[f"phase 1 {variant['name']}"] = time.perf_counter() - t
        results.append(r)
        print_variant(r)

    two = [r for r, v in zip(results, args.variant_list, strict=True)
           if delivering_processes(v) == 2]
    best = max(two or results, key=lambda r: r["deliveries_per_s"])
    duplicates = sum(r["receiver"]["duplicates"] for r in results)
    all_published = all(r["published"] == r["releases"] for r in results)
    met = best["deliveries_per_s"] >= TARGET_DELIVERIES_PER_S

    profiled = None
    if args.profile == "always" or (args.profile == "auto" and not met):
        variant = args.profile_variant_spec
        print(f"\nPhase 2: profile — {args.profile_releases} releases, workers "
              f"{variant['name']} with timers around each delivery step (lib.probes)",
              flush=True)
        t = time.perf_counter()
        profiled = run_variant(args, variant, label="bench_profile", redis=redis, db=db,
                               n=args.profile_releases, probe=True)
        timings["phase 2"] = time.perf_counter() - t
        print_variant(profiled)
        duplicates += profiled["receiver"]["duplicates"]

    services = None
    if args.through_services:
        print(f"\nPhase 3: {args.through_services} items through the service layer (create, "
              "submit, approve ×3; the final approval creates the release and dispatches it "
              "on commit) while workers prefork-2x1 deliver", flush=True)
        t = time.perf_counter()
        services = through_services(args, redis=redis, db=db, m=args.through_services)
        timings["phase 3"] = time.perf_counter() - t
        print(f"  {services['published']}/{services['items']} published; pipeline "
              f"{services['items_per_s']:.1f} items/s (one process); {services['purged']} "
              "queued messages purged before the workers started")
        print(f"  approval (Release.created_at, in the final approval's transaction) → "
              f"published: p50 {services['p50_s'] * 1000:.0f} ms, p95 "
              f"{services['p95_s'] * 1000:.0f} ms, max {services['max_s'] * 1000:.0f} ms; "
              f"from approve_task() returning: p50 {services['from_return_p50_s'] * 1000:.0f} "
              f"ms, p95 {services['from_return_p95_s'] * 1000:.0f} ms")
        print(f"  receiver: {services['receiver']['duplicates']} duplicates, "
              f"{services['receiver']['invalid_signatures']} invalid signatures")
        duplicates += services["receiver"]["duplicates"]

    paced_result = None
    if args.paced_approvals:
        print(f"\nPhase 4: {args.paced_approvals:g} final approvals/s through the services "
              f"for {args.paced_seconds:g} s, workers {args.paced_variant}", flush=True)
        t = time.perf_counter()
        paced_result = paced(args, redis=redis, db=db)
        timings["phase 4"] = time.perf_counter() - t
        print_paced(paced_result)
        duplicates += paced_result["receiver"]["duplicates"]

    lines = summary(args, info, run_clock, results, best, met, duplicates, all_published,
                    profiled, services)
    if paced_result:
        paced_summary, paced_met = paced_lines(paced_result)
        lines[-1:-1] = paced_summary
        met = met and paced_met
    print("\n" + "\n".join(lines))
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    out = {"args": {k: v for k, v in vars(args).items()}, "machine": info,
           "run": run_clock.report(), "timings_s": timings, "variants": results,
           "profile": profiled, "services": services, "paced": paced_result,
           "duplicates": duplicates,
           "best": {"variant": best["variant"], "deliveries_per_s": best["deliveries_per_s"]}}
    (RESULTS_DIR / "release_throughput.json").write_text(
        json.dumps(out, ensure_ascii=False, indent=2, default=str))
    (RESULTS_DIR / "release_summary.txt").write_text("\n".join(lines) + "\n")
    print(f"results: {RESULTS_DIR}/release_throughput.json, {RESULTS_DIR}/release_summary.txt, "
          f"worker logs {RESULTS_DIR}/release_worker_*.log")
    return 0 if (met and duplicates == 0 and all_published) else 1


def main(argv=None) -> int:
    args = parse_args(argv)
    run_clock = RunClock()
    bootstrap.use_repository()
    # SIGTERM / SIGHUP end the run through the finally blocks (workers, redis stopped)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda signum, frame: sys.exit(128 + signum))
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    redis = start_redis()
    try:
        return run(args, redis, run_clock)
    finally:
        PROCESSES.stop_all()
        shutil.rmtree(redis.dir, ignore_errors=True)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--worker-shim"]:
        from lib.probes import run_worker_shim

        run_worker_shim(sys.argv[2:])
    else:
        sys.exit(main())
