#!/usr/bin/env python
"""Benchmark of release delivery: the outbox worked by real Celery workers over Redis.

A standalone script, not a test. Like review_pipeline.py it works on its own
PostgreSQL database (dropped and re-created at every start, then migrated) on the
server of $DATABASE_URL. It also starts its own redis-server on a free loopback
port and `celery -A config worker` subprocesses, and serves a loopback webhook
receiver (ThreadingHTTPServer) that verifies every Standard Webhooks signature
and counts each `webhook-id`, so it sees duplicates. Everything it starts is
stopped at the end, on errors too.

Phase 1  SQL per delivery: `releases.delivery.deliver(pk)` called in-process for a
         sample of releases (no worker), captured with CaptureQueriesContext:
         statements by type and shape, time per step.
Phase 2  throughput: for each worker configuration (--variants), N approved items
         with one pending webhook release each are created in bulk (ORM bulk_create:
         publications, channel links, pending Release rows and their
         `release_created` audit events through audit.services.record, as final
         approval leaves them; the review pipeline itself is not run), then one
         `deliver_release.delay(pk)` per release is sent and its send time is taken
         as the approval time. Measured: deliveries/s from the first dispatch to the
         last `published_at`, duplicates seen by the receiver, p50/p95 approval →
         published, CPU per delivery by process, pg_stat_activity samples (who waits
         for the audit-chain head lock).
Phase 3  if the target is missed (or --profile): one more run whose workers time the
         steps of every delivery (claim, idempotency record, HTTP, chain-lock wait
         and hold) — the same celery worker, started through a shim that wraps
         releases.delivery's functions with timers.
Phase 4  --through-services M items through the real service layer (create, submit,
         approve ×3; the final approval creates the release and dispatches on
         commit) while 2 workers deliver: approval → published latency.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_release \\
        .venv/bin/python benchmarks/release_throughput.py --quick

See benchmarks/README.md.
"""

import argparse
import functools
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = Path(__file__).resolve().parent
RESULTS_DIR = BENCH_DIR / "results"

TARGET_DELIVERIES_PER_S = 200.0
TARGET_DUPLICATES = 0

VARIANT_RE = re.compile(r"^(prefork|threads|solo)-(\d+)x(\d+)$")
CHANNEL_CODE = "bench_hook"
FORMED_ON = "2024-03-01"
BODY = "".join(
    f"<p>（{n}）为切实加强建筑施工安全管理，有效防范和坚决遏制较大及以上生产安全事故发生，"
    "根据上级有关文件精神，现就开展建筑施工安全大检查有关事项通知如下。</p>"
    for n in range(1, 9))


# --------------------------------------------------------------------------- options

def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--releases", type=int, default=None,
                        help="releases delivered per worker configuration (default 10000)")
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: 1000 releases, 50 through the services")
    parser.add_argument("--through-services", type=int, default=None, metavar="M",
                        help="items pushed through the real service layer while 2 workers "
                             "deliver, for approval→published latency (default 200, "
                             "--quick 50; 0 skips)")
    parser.add_argument("--variants", default="prefork-2x1,threads-2x8",
                        help="worker configurations, comma-separated POOL-WORKERSxCONCURRENCY "
                             "(prefork|threads|solo), e.g. prefork-2x1 (2 `celery worker` "
                             "processes, 1 pool process each), prefork-1x2, threads-2x8 "
                             "(default prefork-2x1,threads-2x8)")
    parser.add_argument("--prefetch", type=int, default=4,
                        help="worker --prefetch-multiplier (default 4, Celery's default)")
    parser.add_argument("--rate", type=float, default=0,
                        help="pace the dispatch at this many releases/s (default 0: all at "
                             "once, as a burst of approvals would)")
    parser.add_argument("--sql-sample", type=int, default=50,
                        help="releases delivered in-process for the SQL count (default 50)")
    parser.add_argument("--profile", choices=("auto", "always", "never"), default="auto",
                        help="phase 3, a run with timed delivery steps inside the workers: "
                             "auto = only if the target is missed (default)")
    parser.add_argument("--profile-releases", type=int, default=None,
                        help="releases of the profiled run (default min(releases, 3000))")
    parser.add_argument("--profile-variant", default=None,
                        help="worker configuration of the profiled run (default: the first "
                             "of --variants)")
    parser.add_argument("--worker-root", default=str(REPO_ROOT),
                        help="code tree the workers run from (default: this repository); "
                             "point it at a scratch copy to measure a prototype change")
    parser.add_argument("--database", default="bench_release",
                        help="name of the dedicated benchmark database (default "
                             "bench_release); it is DROPPED and re-created at start")
    parser.add_argument("--any-name", action="store_true",
                        help="allow a --database name not starting with 'bench' "
                             "(it is dropped!)")
    args = parser.parse_args(argv)
    if args.releases is None:
        args.releases = 1000 if args.quick else 10_000
    if args.through_services is None:
        args.through_services = 50 if args.quick else 200
    if args.profile_releases is None:
        args.profile_releases = min(args.releases, 3000)
    args.variant_list = []
    for name in filter(None, (v.strip() for v in args.variants.split(","))):
        m = VARIANT_RE.match(name)
        if not m:
            parser.error(f"bad variant {name!r}: use e.g. prefork-2x1 or threads-2x8")
        args.variant_list.append({"name": name, "pool": m[1], "workers": int(m[2]),
                                  "concurrency": int(m[3])})
    if not args.variant_list:
        parser.error("--variants names no configuration")
    if args.profile_variant is None:
        args.profile_variant = args.variant_list[0]["name"]
    m = VARIANT_RE.match(args.profile_variant)
    if not m:
        parser.error(f"bad --profile-variant {args.profile_variant!r}")
    args.profile_variant_spec = {"name": args.profile_variant, "pool": m[1],
                                 "workers": int(m[2]), "concurrency": int(m[3])}
    if args.releases < 1 or args.sql_sample < 1 or args.through_services < 0:
        parser.error("--releases and --sql-sample must be >= 1, --through-services >= 0")
    if not args.database.startswith("bench") and not args.any_name:
        parser.error(f"refusing to drop database {args.database!r}: its name does not start "
                     "with 'bench' (pass --any-name if you really mean it)")
    args.worker_root = str(Path(args.worker_root).resolve())
    return args


def describe(variant) -> str:
    w, c = variant["workers"], variant["concurrency"]
    if variant["pool"] == "prefork":
        return (f"{w} × `celery worker --pool prefork --concurrency {c}` "
                f"= {w * c} pool process{'es' if w * c > 1 else ''} doing the work")
    if variant["pool"] == "solo":
        return (f"{w} × `celery worker --pool solo` = {w} process{'es' if w > 1 else ''} "
                "executing tasks themselves (no pool processes)")
    return (f"{w} × `celery worker --pool threads --concurrency {c}` "
            f"= {w} process{'es' if w > 1 else ''}, {w * c} threads")


def worker_processes(variant) -> int:
    """Processes that deliver: pool children for prefork, the workers for threads."""
    if variant["pool"] == "prefork":
        return variant["workers"] * variant["concurrency"]
    return variant["workers"]


# --------------------------------------------------------------------------- subprocesses

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Processes:
    """Everything this script starts, each in its own process group, stopped at exit."""

    def __init__(self):
        self.procs = []  # (label, Popen)

    def start(self, label, cmd, **kwargs):
        proc = subprocess.Popen(cmd, start_new_session=True, **kwargs)
        self.procs.append((label, proc))
        return proc

    def stop(self, proc, timeout=20):
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                proc.wait(5)
        # a prefork child may outlive its parent for a moment: reap the whole group
        try:
            os.killpg(proc.pid, 0)
        except ProcessLookupError:
            pass
        else:
            time.sleep(0.5)
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.procs = [(lbl, p) for lbl, p in self.procs if p is not proc]

    def stop_all(self):
        for _label, proc in reversed(list(self.procs)):
            self.stop(proc)


PROCESSES = Processes()


class RedisServer:
    def __init__(self):
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="bench-release-redis-")
        self.proc = None

    def start(self):
        exe = shutil.which("redis-server")
        if not exe:
            sys.exit("redis-server is not on PATH (apt-get install redis-server)")
        self.proc = PROCESSES.start(
            "redis-server",
            [exe, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", self.dir],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self):
        if self.proc is not None:
            PROCESSES.stop(self.proc)
        shutil.rmtree(self.dir, ignore_errors=True)

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}/0"


class Workers:
    """`celery -A config worker` subprocesses of one configuration."""

    def __init__(self, variant, *, label, redis_url, database_url, worker_root, prefetch,
                 probe_dir=None):
        self.variant, self.label = variant, label
        self.procs = []
        self.logs = []
        env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis_url,
               "DJANGO_SETTINGS_MODULE": "config.settings.base", "PYTHONUNBUFFERED": "1",
               "LOG_LEVEL": "WARNING", "PYTHONPATH": worker_root}
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        for i in range(variant["workers"]):
            celery_args = ["-A", "config", "worker", "--pool", variant["pool"],
                           "--concurrency", str(variant["concurrency"]),
                           "--loglevel", "WARNING", "-n", f"{label}_w{i + 1}@%h",
                           "--without-gossip", "--without-mingle",
                           "--prefetch-multiplier", str(prefetch)]
            if probe_dir:
                cmd = [sys.executable, str(Path(__file__).resolve()), "--worker-shim",
                       str(probe_dir), *celery_args]
            else:
                cmd = [sys.executable, "-m", "celery", *celery_args]
            log_path = RESULTS_DIR / f"release_worker_{label}_w{i + 1}.log"
            log = log_path.open("w")
            self.logs.append((log_path, log))
            self.procs.append(PROCESSES.start(f"worker {label}_w{i + 1}", cmd, cwd=worker_root,
                                              env=env, stdout=log, stderr=subprocess.STDOUT))
        self.command = "celery " + " ".join(celery_args).replace(
            f"{label}_w{variant['workers']}@%h", f"{label}_w<i>@%h")

    def wait_ready(self, app, timeout=90):
        deadline = time.time() + timeout
        while time.time() < deadline:
            self.check_alive()
            replies = app.control.ping(timeout=0.5) or []
            names = {name for reply in replies for name in reply}
            if sum(1 for n in names if n.startswith(self.label)) >= len(self.procs):
                return
            time.sleep(0.2)
        raise RuntimeError(f"workers {self.label} not ready after {timeout} s; see "
                           f"{', '.join(str(p) for p, _ in self.logs)}")

    def check_alive(self):
        for proc, (path, _log) in zip(self.procs, self.logs, strict=True):
            if proc.poll() is not None:
                tail = path.read_text()[-2000:]
                raise RuntimeError(f"worker exited with {proc.returncode}; log {path}:\n{tail}")

    @property
    def pgids(self):
        return {p.pid for p in self.procs}

    def stop(self):
        for proc in self.procs:
            PROCESSES.stop(proc)
        for _path, log in self.logs:
            log.close()


# --------------------------------------------------------------------------- receiver

class CountingReceiver:
    """Loopback Standard Webhooks receiver: verifies each signature (with the
    independent implementation in tests/webhook_receiver.py), counts every
    webhook-id and answers 200 at once (HTTP/1.1, keep-alive allowed)."""

    def __init__(self):
        from testsupport.webhook_receiver import SECRET, signature_ok

        self.secret = SECRET
        self.lock = threading.Lock()
        self.seen = Counter()            # webhook-id -> requests accepted
        self.publications = defaultdict(set)  # publication id -> webhook-ids
        self.first_at = {}               # webhook-id -> time.time() of the first request
        self.invalid = 0
        self.requests = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                headers = {k.lower(): v for k, v in self.headers.items()}
                try:
                    valid = signature_ok(receiver.secret, headers, body)
                    publication = json.loads(body)["data"]["id"]
                except (KeyError, ValueError):
                    valid, publication = False, None
                now = time.time()
                with receiver.lock:
                    receiver.requests += 1
                    if valid:
                        wid = headers["webhook-id"]
                        receiver.seen[wid] += 1
                        receiver.first_at.setdefault(wid, now)
                        receiver.publications[publication].add(wid)
                    else:
                        receiver.invalid += 1
                self.send_response(200 if valid else 401)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            request_queue_size = 256  # the default backlog of 5 drops bursts of connects

        self.server = Server(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def close(self):
        self.server.shutdown()
        self.server.server_close()

    def stats(self):
        with self.lock:
            accepted = sum(self.seen.values())
            return {
                "requests": self.requests,
                "accepted": accepted,
                "distinct_webhook_ids": len(self.seen),
                "duplicates": accepted - len(self.seen),
                "invalid_signatures": self.invalid,
                "publications_with_several_ids": sum(
                    1 for ids in self.publications.values() if len(ids) > 1),
            }


# --------------------------------------------------------------------------- probes

class Probe:
    """Timers of the delivery steps, per process; optionally appended to a file
    (JSON lines, only the new samples each time) so the benchmark can read what
    worker processes measured."""

    def __init__(self, out_dir=None):
        self.out_dir = Path(out_dir) if out_dir else None
        self.lock = threading.Lock()
        self.samples = defaultdict(list)
        self.pending = defaultdict(list)
        self.last_flush = time.time()

    def add(self, name, seconds):
        with self.lock:
            self.samples[name].append(seconds)
            if self.out_dir:
                self.pending[name].append(seconds)

    def delivery_done(self):
        if self.out_dir and time.time() - self.last_flush > 0.25:
            self.flush()

    def flush(self):
        with self.lock:
            pending, self.pending = self.pending, defaultdict(list)
            self.last_flush = time.time()
        if pending:
            with (self.out_dir / f"probe_{os.getpid()}.jsonl").open("a") as out:
                out.write(json.dumps(pending) + "\n")


STEP_DELIVER = "deliver() total"
STEP_CLAIM = "txn 1: _claim (lock row, lease)"
STEP_CALL = "txn 2: _call (ChannelCall get_or_create)"
STEP_SEND = "adapter: build, sign, POST (WebhookAdapter._send)"
STEP_CLIENT = "  of which httpx.Client() construction"
STEP_RECORD_DELIVERY = "txn 3: _record_delivery (incl. COMMIT)"
STEP_LOCK_WAIT = "  chain head SELECT … FOR UPDATE (lock wait)"
STEP_RECORD = "  record() (lock + INSERT event + UPDATE head)"
STEP_AFTER_RECORD = "  after record() until COMMIT done"
STEP_HOLD = "chain head lock held (lock granted → COMMIT done)"
STEP_ORDER = (STEP_DELIVER, STEP_CLAIM, STEP_CALL, STEP_SEND, STEP_CLIENT, STEP_RECORD_DELIVERY,
              STEP_LOCK_WAIT, STEP_RECORD, STEP_AFTER_RECORD, STEP_HOLD)


def install_probes(probe):
    """Wrap releases.delivery's steps with timers (monkeypatching, in this process
    only; the app code is unchanged). Returns a function that undoes it."""
    from django.db import connection

    from releases import adapters
    from releases import delivery as d
    from releases.channels.webhooks import WebhookSender

    local = threading.local()
    saved = {"deliver": d.deliver, "_claim": d._claim, "_call": d._call,
             "_record_delivery": d._record_delivery, "record": d.record}
    saved_send = adapters.WebhookAdapter._send
    saved_init = WebhookSender.__init__

    def timed(name, fn, after=None):
        @functools.wraps(fn)
        def wrapper(*a, **kw):
            t0 = time.perf_counter()
            try:
                return fn(*a, **kw)
            finally:
                probe.add(name, time.perf_counter() - t0)
                if after:
                    after()
        return wrapper

    def chain_lock_timer(execute, sql, params, many, context):
        t0 = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            if "audit_auditchain" in sql and "FOR UPDATE" in sql:
                local.lock_granted = time.perf_counter()
                probe.add(STEP_LOCK_WAIT, local.lock_granted - t0)

    def record(**kwargs):
        t0 = time.perf_counter()
        with connection.execute_wrapper(chain_lock_timer):
            result = saved["record"](**kwargs)
        probe.add(STEP_RECORD, time.perf_counter() - t0)
        local.record_end = time.perf_counter()
        return result

    def record_delivery(*a, **kw):
        local.record_end = local.lock_granted = None
        t0 = time.perf_counter()
        result = saved["_record_delivery"](*a, **kw)
        t1 = time.perf_counter()
        probe.add(STEP_RECORD_DELIVERY, t1 - t0)
        if local.record_end is not None:
            probe.add(STEP_AFTER_RECORD, t1 - local.record_end)
        if local.lock_granted is not None:
            probe.add(STEP_HOLD, t1 - local.lock_granted)
        return result

    d.deliver = timed(STEP_DELIVER, saved["deliver"], after=probe.delivery_done)
    d._claim = timed(STEP_CLAIM, saved["_claim"])
    d._call = timed(STEP_CALL, saved["_call"])
    d._record_delivery = record_delivery
    d.record = record
    adapters.WebhookAdapter._send = timed(STEP_SEND, saved_send)
    WebhookSender.__init__ = timed(STEP_CLIENT, saved_init)

    def uninstall():
        for name, fn in saved.items():
            setattr(d, name, fn)
        adapters.WebhookAdapter._send = saved_send
        WebhookSender.__init__ = saved_init

    return uninstall


def run_worker_shim(argv):
    """`release_throughput.py --worker-shim DIR <celery args>`: the celery worker with
    probes installed before the pool forks (prefork children inherit them)."""
    probe_dir, celery_args = argv[0], argv[1:]
    sys.path.insert(0, os.getcwd())
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    import django

    django.setup()
    install_probes(Probe(probe_dir))
    from celery.__main__ import main as celery_main

    sys.argv = ["celery", *celery_args]
    celery_main()


def read_probes(probe_dir):
    samples = defaultdict(list)
    for path in Path(probe_dir).glob("probe_*.jsonl"):
        for line in path.read_text().splitlines():
            for name, values in json.loads(line).items():
                samples[name].extend(values)
    return samples


# --------------------------------------------------------------------------- setup

def bootstrap(args, redis_url):
    import review_pipeline as rp

    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.base"
    url, server_version = rp.setup_django(args.database, redis_url=redis_url)
    from config.celery import app

    # this process publishes to the real broker
    assert app.conf.broker_url == redis_url and not app.conf.task_always_eager
    return url, server_version


def make_agency(code, receiver):
    """An agency (tests.factories.make_org) with one webhook channel to the receiver."""
    from agencies.models import Channel, ChannelKind
    from testsupport.factories import make_org

    org = make_org(code=code, prefix=f"{code}_")
    channel = Channel.objects.create(agency=org.agency, code=CHANNEL_CODE, name="温县发布（压测）",
                                     kind=ChannelKind.WEBHOOK,
                                     config={"url": receiver.url, "secret": receiver.secret})
    return org, channel


def create_approved_batch(org, channel, n, tag, chunk=2000):
    """n approved items, one pending webhook release each, as final approval leaves them.

    Bulk, at ORM level: publications (status approved, content fingerprint computed as
    the app does), their channel link, the pending Release rows, and one
    `release_created` audit event per release appended to the agency's chain through
    audit.services.record (so the chain stays verifiable). The review rounds, tasks and
    approve events of the pipeline are not created: delivery never reads them.
    """
    import datetime as dt

    from django.db import transaction

    from audit.models import AuditAction
    from audit.services import Event, record
    from publications.fingerprint import compute_fingerprint
    from publications.models import Category, Publication, PublicationStatus
    from releases.models import Release

    formed_on = dt.date.fromisoformat(FORMED_ON)
    section = org.sections["office"]
    category = Category.objects.get(agency=org.agency, code="work_updates")
    drafter = org["drafter_office"]
    through = Publication.channels.through
    ids = []
    for start in range(0, n, chunk):
        with transaction.atomic():
            publications = []
            for i in range(start, min(n, start + chunk)):
                title = f"关于开展建筑施工安全大检查的通知（{tag} {i + 1}）"
                item = 1 + i % 15
                fingerprint = compute_fingerprint(
                    title=title, body=BODY, attachment_hashes=[], section_code=section.code,
                    category_code=category.code, article20_item=item, document_type="",
                    document_number="", effective_on=None, abolished_on=None, decision_type="",
                    decision_count=1, fee_amount_yuan=None, formed_on=formed_on,
                    channel_codes=[channel.code])
                publications.append(Publication(
                    agency=org.agency, section=section, drafter=drafter, title=title, body=BODY,
                    category=category, article20_item=item, formed_on=formed_on,
                    status=PublicationStatus.APPROVED, round=1, fingerprint=fingerprint))
            Publication.objects.bulk_create(publications)
            through.objects.bulk_create([through(publication_id=p.pk, channel_id=channel.pk)
                                         for p in publications])
            releases = Release.objects.bulk_create([
                Release(publication=p, channel=channel, round=1, fingerprint=p.fingerprint)
                for p in publications])
            record(agency_id=org.agency.pk, events=[
                Event(AuditAction.RELEASE_CREATED, subject=p, round=1,
                      fingerprint=r.fingerprint, data={"channel": channel.code, "release": r.pk})
                for p, r in zip(publications, releases, strict=True)])
            ids.extend(r.pk for r in releases)
    return ids


# --------------------------------------------------------------------------- CPU accounting

CLK_TCK = os.sysconf("SC_CLK_TCK")


def _proc_stat(pid):
    """pgrp, own CPU ticks (utime + stime), ticks of reaped children (cutime + cstime)."""
    with open(f"/proc/{pid}/stat") as f:
        data = f.read()
    fields = data[data.rindex(")") + 2:].split()
    return int(fields[2]), int(fields[11]) + int(fields[12]), int(fields[13]) + int(fields[14])


def _cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def cpu_snapshot(*, worker_pgids, redis_pid, dbname):
    """CPU ticks per process, classified; and the machine's busy/total ticks."""
    per = {}
    me = os.getpid()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        pid = int(entry)
        try:
            pgrp, ticks, reaped = _proc_stat(pid)
        except (OSError, ValueError, IndexError):
            continue
        if pgrp in worker_pgids:
            kind = "celery workers"
        elif pid == redis_pid:
            kind = "redis-server"
        elif pid == me:
            kind = "this script (dispatch, receiver, polling)"
        else:
            cmd = _cmdline(pid)
            if cmd.startswith("postgres:") and f" {dbname} " in cmd:
                kind = "postgres backends of the bench db"
            elif cmd.startswith("postgres:"):
                kind = "postgres, other (wal writer, other dbs)"
            elif cmd.split(" ")[0].endswith("/postgres"):
                # the postmaster: its reaped children are the backends that have exited
                per[-pid] = ("postgres backends that exited during the run (any db)", reaped)
                kind = "postgres, other (wal writer, other dbs)"
            else:
                kind = "other processes"
        per[pid] = (kind, ticks)
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:]]
    total = sum(values[:8])
    idle = values[3] + values[4]
    return {"per": per, "busy": total - idle, "total": total}


def cpu_delta(before, after):
    by_kind = Counter()
    for pid, (kind, ticks) in after["per"].items():
        old = before["per"].get(pid)
        by_kind[kind] += ticks - (old[1] if old and old[0] == kind else 0)
    seconds = {k: v / CLK_TCK for k, v in by_kind.items()}
    busy = (after["busy"] - before["busy"]) / CLK_TCK
    total = (after["total"] - before["total"]) / CLK_TCK
    return seconds, busy, total


# --------------------------------------------------------------------------- pg sampling

class ActivitySampler(threading.Thread):
    """Samples pg_stat_activity of the bench database every `interval` s (own connection)."""

    def __init__(self, url, dbname, interval=0.05):
        super().__init__(daemon=True)
        self.url, self.dbname, self.interval = url, dbname, interval
        self.stop_event = threading.Event()
        self.samples = 0
        self.states = Counter()          # state class -> backend-samples
        self.chain_waiters = Counter()   # number of backends waiting for the chain head -> samples
        self.error = None

    @staticmethod
    def classify(state, wait_type, wait_event, query):
        q = (query or "").lower()
        if wait_type == "Lock":
            if "audit_auditchain" in q:
                return "waiting for the audit chain head lock"
            return f"waiting for another lock ({wait_event})"
        if wait_event and wait_event.startswith("WAL"):
            return f"COMMIT: WAL flush ({wait_event})"
        if state == "active":
            if wait_type in (None, "", "CPU"):
                return "active (running a statement)"
            return f"active, waiting on {wait_type}:{wait_event}"
        if state == "idle in transaction":
            return "idle in transaction (client working mid-transaction)"
        return "idle (client outside a transaction: Python, HTTP, waiting for tasks)"

    def run(self):
        import psycopg

        try:
            with psycopg.connect(self.url.replace("postgres://", "postgresql://", 1),
                                 autocommit=True) as conn:
                while not self.stop_event.is_set():
                    rows = conn.execute(
                        "SELECT state, wait_event_type, wait_event, query FROM pg_stat_activity "
                        "WHERE datname = %s AND pid <> pg_backend_pid() "
                        "AND backend_type = 'client backend' "
                        "AND application_name NOT LIKE 'bench-poll%%'", [self.dbname]).fetchall()
                    waiters = 0
                    for row in rows:
                        kind = self.classify(*row)
                        self.states[kind] += 1
                        waiters += kind.startswith("waiting for the audit")
                    self.chain_waiters[waiters] += 1
                    self.samples += 1
                    self.stop_event.wait(self.interval)
        except Exception as exc:  # sampling must never break the run
            self.error = f"{type(exc).__name__}: {exc}"

    def stop(self):
        self.stop_event.set()
        self.join(5)

    def report(self):
        n = max(self.samples, 1)
        return {
            "samples": self.samples, "interval_s": self.interval,
            "mean_backends_by_state": {k: v / n for k, v in self.states.most_common()},
            "mean_chain_lock_waiters": sum(k * v for k, v in self.chain_waiters.items()) / n,
            "share_of_samples_with_a_chain_waiter": 1 - self.chain_waiters[0] / n,
            "error": self.error,
        }


# --------------------------------------------------------------------------- phase 1

def db_sessions(dbname):
    """Connections ever opened to the database (pg_stat_database.sessions, PostgreSQL 14+)."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT sessions FROM pg_stat_database WHERE datname = %s", [dbname])
        row = cur.fetchone()
    return row[0] if row else None


def connect_ms(n=30):
    """ms to open a new PostgreSQL connection with Django (connect + session setup)."""
    from django.db import connection

    times = []
    for _ in range(n):
        connection.close()
        t0 = time.perf_counter()
        connection.ensure_connection()
        times.append((time.perf_counter() - t0) * 1000)
    return times


def commit_latency(n=200):
    """ms per COMMIT of a one-row UPDATE (a WAL flush): the floor of a transaction."""
    from django.db import connection, transaction

    with connection.cursor() as cur:
        cur.execute("CREATE TABLE IF NOT EXISTS bench_commit_probe (id int PRIMARY KEY, n int)")
        cur.execute("INSERT INTO bench_commit_probe VALUES (1, 0) ON CONFLICT DO NOTHING")
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute("UPDATE bench_commit_probe SET n = n + 1 WHERE id = 1")
        times.append((time.perf_counter() - t0) * 1000)
    return times


def client_construction_ms(n=50):
    """ms to build and close one httpx.Client, as WebhookSender does per delivery."""
    import httpx

    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        httpx.Client(timeout=10).close()
        times.append((time.perf_counter() - t0) * 1000)
    return times


def sql_sample(args, receiver):
    """Deliver a sample in-process (no worker): statements and time per delivery."""
    import review_pipeline as rp

    from releases.delivery import deliver
    from releases.models import Release

    org, channel = make_agency("bench_sql", receiver)
    warm = 5
    ids = create_approved_batch(org, channel, args.sql_sample + warm, "sql")
    probe = Probe()
    uninstall = install_probes(probe)
    counts, kinds, shapes, times, sql_ms, transactions = [], Counter(), Counter(), [], [], []
    sample_sql = None
    try:
        for pk in ids[:warm]:
            deliver(pk)
        probe.samples.clear()
        for pk in ids[warm:]:
            with rp.Capture() as capture:
                t0 = time.perf_counter()
                deliver(pk)
                times.append((time.perf_counter() - t0) * 1000)
            queries = capture.queries
            counts.append(len(queries))
            sql_ms.append(capture.sql_ms())
            transactions.append(sum(1 for q in queries if q["sql"] == "COMMIT"))
            for q in queries:
                kinds[rp.kind_of(q["sql"])] += 1
                shapes[rp.shape_of(q["sql"])] += 1
            sample_sql = queries
    finally:
        uninstall()
    published = Release.objects.filter(pk__in=ids, status="published").count()
    assert published == len(ids), f"in-process sample: {published} of {len(ids)} published"
    n = len(counts)
    steps = {name: [s * 1000 for s in probe.samples.get(name, [])] for name in STEP_ORDER}
    return {
        "releases": n, "statements": sum(counts) / n, "min": min(counts), "max": max(counts),
        "kinds": {k: kinds[k] / n for k in rp.KINDS if kinds[k]},
        "shapes": [(count / n, shape) for shape, count in shapes.most_common()],
        "transactions": sum(transactions) / n,
        "ms_p50": rp.pct(times, 50), "ms_p95": rp.pct(times, 95),
        "sql_ms_p50": rp.pct(sql_ms, 50),
        "steps_ms": {k: {"n": len(v), "mean": sum(v) / len(v), "p50": rp.pct(v, 50),
                         "p95": rp.pct(v, 95)} for k, v in steps.items() if v},
        "sample_sql": sample_sql,
    }


# --------------------------------------------------------------------------- phase 2

def run_variant(args, variant, *, label, redis, db_url, n, probe=False):
    """N bulk-approved releases delivered by the workers of one configuration."""
    import review_pipeline as rp
    from django.db import connection

    from audit.verification import verify_chain
    from config.celery import app
    from releases.delivery import sweep
    from releases.models import ChannelCall, Release
    from releases.tasks import deliver_release

    receiver = CountingReceiver()
    result = {"variant": variant["name"], "description": describe(variant), "releases": n,
              "probe": probe}
    probe_dir = None
    workers = None
    sampler = None
    try:
        org, channel = make_agency(label, receiver)
        t = time.perf_counter()
        ids = create_approved_batch(org, channel, n, label)
        result["create_s"] = time.perf_counter() - t
        print(f"  {n} approved items with a pending webhook release created in bulk "
              f"({result['create_s']:.1f} s)", flush=True)
        if probe:
            probe_dir = Path(tempfile.mkdtemp(prefix="bench-release-probe-"))
        workers = Workers(variant, label=label, redis_url=redis.url, database_url=db_url,
                          worker_root=args.worker_root, prefetch=args.prefetch,
                          probe_dir=probe_dir)
        t = time.perf_counter()
        workers.wait_ready(app)
        result["worker_start_s"] = time.perf_counter() - t
        result["command"] = workers.command
        print(f"  workers ready in {result['worker_start_s']:.1f} s: {describe(variant)}"
              f"{' (timing probes on)' if probe else ''}", flush=True)
        connection.close()  # the poller's connection: named so the sampler skips it
        connection.settings_dict.setdefault("OPTIONS", {})["application_name"] = "bench-poll"

        dispatched = {}
        dispatch_done = threading.Event()
        dispatch_error = []

        def dispatch():
            try:
                t0 = time.time()
                for i, pk in enumerate(ids):
                    if args.rate:
                        wait = t0 + i / args.rate - time.time()
                        if wait > 0:
                            time.sleep(wait)
                    dispatched[pk] = time.time()
                    deliver_release.delay(pk)
            except Exception as exc:
                dispatch_error.append(exc)
            finally:
                dispatch_done.set()

        snapshot = functools.partial(cpu_snapshot, worker_pgids=workers.pgids,
                                     redis_pid=redis.proc.pid, dbname=args.database)
        sessions_before = db_sessions(args.database)
        cpu_before = snapshot()
        sampler = ActivitySampler(db_url, args.database)
        sampler.start()
        t_first = time.time()
        dispatcher = threading.Thread(target=dispatch, daemon=True)
        dispatcher.start()
        timeline = []
        sweeps = 0
        deadline = t_first + 120 + n / 10
        last_progress, last_count, next_print = t_first, 0, t_first + 5
        while True:
            done = Release.objects.filter(channel=channel, status="published").count()
            now = time.time()
            timeline.append((now - t_first, done))
            if done >= n:
                break
            if done != last_count:
                last_progress, last_count = now, done
            if now >= next_print:
                print(f"    {now - t_first:6.1f} s: {done}/{n} published, "
                      f"{len(dispatched)} dispatched", flush=True)
                next_print = now + 5
            if dispatch_done.is_set() and now - last_progress > 15:
                swept = sweep()
                sweeps += 1
                print(f"    no progress for 15 s: sweep() re-dispatched {swept}", flush=True)
                last_progress = now
            if now > deadline:
                print(f"    giving up after {now - t_first:.0f} s", flush=True)
                break
            workers.check_alive()
            time.sleep(0.2)
        cpu_after = snapshot()
        sampler.stop()
        time.sleep(1.1)  # cumulative statistics are flushed about once a second
        sessions = db_sessions(args.database) - sessions_before
        dispatch_done.wait(30)
        if dispatch_error:
            raise dispatch_error[0]
        t_dispatch_end = max(dispatched.values())
        rows = list(Release.objects.filter(channel=channel)
                    .values_list("pk", "status", "published_at", "attempts"))
        published = [(pk, at.timestamp(), attempts) for pk, status, at, attempts in rows
                     if status == "published"]
        last = max(at for _pk, at, _a in published) if published else time.time()
        wall = last - t_first
        latencies = [at - dispatched[pk] for pk, at, _a in published if pk in dispatched]
        # steady state: between 10 % and 90 % of the releases published
        lo = next((t for t, c in timeline if c >= 0.1 * n), None)
        hi = next((t for t, c in timeline if c >= 0.9 * n), None)
        steady = (0.8 * n / (hi - lo)) if lo is not None and hi and hi > lo else float("nan")
        cpu_s, busy_s, total_s = cpu_delta(cpu_before, cpu_after)
        calls = Counter(ChannelCall.objects.filter(release__channel=channel)
                        .values_list("outcome", flat=True))
        t = time.perf_counter()
        chain = verify_chain(org.agency)
        result.update({
            "published": len(published), "statuses": dict(Counter(r[1] for r in rows)),
            "wall_s": wall, "deliveries_per_s": len(published) / wall if wall > 0 else 0.0,
            "steady_deliveries_per_s": steady,
            "dispatch_s": t_dispatch_end - t_first,
            "latency_p50_s": rp.pct(latencies, 50), "latency_p95_s": rp.pct(latencies, 95),
            "latency_max_s": max(latencies) if latencies else float("nan"),
            "retried": sum(1 for _pk, _at, a in published if a > 1),
            "receiver": receiver.stats(), "sweeps": sweeps,
            "db_sessions_opened": sessions,
            "channel_calls": dict(calls),
            "audit_chain": {"ok": chain.ok, "events": chain.events, "problem": chain.problem,
                            "verify_s": time.perf_counter() - t},
            "cpu_s_per_delivery_ms": {k: 1000 * v / max(len(published), 1)
                                      for k, v in sorted(cpu_s.items(), key=lambda kv: -kv[1])},
            "cpu_busy_share": busy_s / total_s if total_s else float("nan"),
            "cpu_cores": os.cpu_count(),
            "pg_activity": sampler.report(),
            "timeline": [(round(t, 2), c) for t, c in timeline],
        })
        if probe_dir:
            workers.stop()   # stop first: the last probe lines are flushed by then or lost
            samples = read_probes(probe_dir)
            steps = {}
            for name in STEP_ORDER:
                v = [s * 1000 for s in samples.get(name, [])]
                if v:
                    steps[name] = {"n": len(v), "mean": sum(v) / len(v), "p50": rp.pct(v, 50),
                                   "p95": rp.pct(v, 95), "sum_s": sum(v) / 1000}
            result["steps_ms"] = steps
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
    rec = r["receiver"]
    ok = r["published"] == r["releases"]
    print(f"  published {r['published']}/{r['releases']} in {r['wall_s']:.1f} s "
          f"(first dispatch → last published_at): {r['deliveries_per_s']:.1f} deliveries/s"
          f"; steady state (10 %→90 %) {r['steady_deliveries_per_s']:.1f}/s"
          f"{'' if ok else '   NOT ALL PUBLISHED: ' + str(r['statuses'])}")
    print(f"  dispatch of {r['releases']} tasks took {r['dispatch_s']:.1f} s; "
          f"approval(=dispatch) → published p50 {r['latency_p50_s']:.2f} s, "
          f"p95 {r['latency_p95_s']:.2f} s, max {r['latency_max_s']:.2f} s")
    print(f"  receiver: {rec['requests']} requests, {rec['distinct_webhook_ids']} distinct "
          f"webhook-ids, {rec['duplicates']} duplicates, {rec['invalid_signatures']} invalid "
          f"signatures, {rec['publications_with_several_ids']} items under several ids; "
          f"retried releases {r['retried']}, sweeps needed {r['sweeps']}, "
          f"ChannelCall outcomes {r['channel_calls']}")
    chain = r["audit_chain"]
    state = "intact" if chain["ok"] else "BROKEN: " + chain["problem"]
    print(f"  audit chain of the agency: {state} ({chain['events']} events, "
          f"verified in {chain['verify_s']:.1f} s)")
    print(f"  PostgreSQL connections opened during the run: {r['db_sessions_opened']} "
          f"({r['db_sessions_opened'] / max(r['published'], 1):.2f} per delivery)")
    print(f"  CPU per delivery (ms of CPU time; machine {r['cpu_cores']} cores, "
          f"{100 * r['cpu_busy_share']:.0f} % busy during the run):")
    for kind, ms in r["cpu_s_per_delivery_ms"].items():
        if ms >= 0.05:
            print(f"      {ms:7.2f}  {kind}")
    act = r["pg_activity"]
    print(f"  pg_stat_activity of the bench db, {act['samples']} samples every "
          f"{act['interval_s'] * 1000:.0f} ms (mean backends per state):")
    for kind, mean in act["mean_backends_by_state"].items():
        print(f"      {mean:5.2f}  {kind}")
    print(f"      chain-lock waiters: mean {act['mean_chain_lock_waiters']:.2f}, "
          f"≥ 1 waiting in {100 * act['share_of_samples_with_a_chain_waiter']:.0f} % of samples"
          f"{'  (sampler error: ' + act['error'] + ')' if act['error'] else ''}")
    if r.get("steps_ms"):
        print_steps(r["steps_ms"], wall=r["wall_s"], deliveries=r["published"])


def print_steps(steps, *, wall=None, deliveries=None):
    print(f"      {'step':58s} {'n':>6s} {'mean ms':>8s} {'p50':>7s} {'p95':>7s}")
    for name in STEP_ORDER:
        s = steps.get(name)
        if s:
            print(f"      {name:58s} {s['n']:6d} {s['mean']:8.2f} {s['p50']:7.2f} "
                  f"{s['p95']:7.2f}")
    hold = steps.get(STEP_HOLD)
    if hold and wall:
        busy = hold["sum_s"] / wall if "sum_s" in hold else float("nan")
        print(f"      chain head lock busy {100 * busy:.0f} % of the wall time "
              f"(sum of hold times / wall); one agency's deliveries cannot exceed "
              f"≈ {1000 / hold['mean']:.0f}/s at this mean hold time")


# --------------------------------------------------------------------------- phase 4

def through_services(args, *, redis, db_url, m):
    """M items through the service layer while 2 workers (prefork-2x1) deliver."""
    import review_pipeline as rp

    from agencies.models import User
    from config.celery import app
    from publications.services import create_publication
    from releases.models import Release
    from testsupport.factories import item_data
    from workflow import services as review

    receiver = CountingReceiver()
    variant = {"name": "prefork-2x1", "pool": "prefork", "workers": 2, "concurrency": 1}
    workers = None
    try:
        org, channel = make_agency("bench_services", receiver)
        workers = Workers(variant, label="svc", redis_url=redis.url, database_url=db_url,
                          worker_root=args.worker_root, prefetch=args.prefetch)
        workers.wait_ready(app)

        def user(name):
            return User.objects.get(pk=org[name].pk)

        approved_at = {}
        approve_ms = []
        t0 = time.time()
        for i in range(m):
            reviewers = rp.Pipeline.reviewers(i, "office")
            data = item_data(section="office", channels=[CHANNEL_CODE],
                             title=f"关于开展建筑施工安全大检查的通知（services {i + 1}）",
                             article20_item=1 + i % 15)
            publication = create_publication(user=user("drafter_office"), data=data)
            process = review.submit_publication(user=user("drafter_office"),
                                                publication_id=publication.pk)
            for tier, name in enumerate(reviewers):
                task_id = rp.Pipeline.open_task_id(process.pk)
                t = time.perf_counter()
                review.approve_task(user=user(name), task_id=task_id, comment="同意")
                if tier == 2:
                    approve_ms.append((time.perf_counter() - t) * 1000)
            approved_at[publication.pk] = time.time()
        pipeline_s = time.time() - t0
        deadline = time.time() + 120
        while time.time() < deadline:
            if Release.objects.filter(channel=channel, status="published").count() >= m:
                break
            workers.check_alive()
            time.sleep(0.2)
        rows = list(Release.objects.filter(channel=channel).values_list(
            "publication_id", "status", "created_at", "published_at"))
        published = [r for r in rows if r[1] == "published"]
        from_created = [(p - c).total_seconds() for _pub, _s, c, p in published]
        from_return = [p.timestamp() - approved_at[pub] for pub, _s, _c, p in published]
        return {
            "items": m, "published": len(published), "statuses": dict(Counter(r[1] for r in rows)),
            "pipeline_s": pipeline_s, "items_per_s": m / pipeline_s,
            "final_approve_ms_p50": rp.pct(approve_ms, 50),
            "p50_s": rp.pct(from_created, 50), "p95_s": rp.pct(from_created, 95),
            "max_s": max(from_created) if from_created else float("nan"),
            "from_return_p50_s": rp.pct(from_return, 50),
            "from_return_p95_s": rp.pct(from_return, 95),
            "receiver": receiver.stats(), "description": describe(variant),
        }
    finally:
        if workers is not None:
            workers.stop()
        receiver.close()


# --------------------------------------------------------------------------- main

def main(argv=None):
    args = parse_args(argv)
    sys.path.insert(0, str(BENCH_DIR))
    import review_pipeline as rp

    # SIGTERM / SIGHUP end the run through the finally blocks (workers, redis stopped)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda signum, frame: sys.exit(128 + signum))
    started = time.perf_counter()
    load_start = rp.load_avg()
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    redis = RedisServer().start()
    try:
        return run(args, redis, started, load_start)
    finally:
        PROCESSES.stop_all()
        redis.stop()


def run(args, redis, started, load_start):
    import celery
    import django
    import review_pipeline as rp

    db_url, server_version = bootstrap(args, redis.url)
    print(f"redis-server on 127.0.0.1:{redis.port} (private, stopped at the end); "
          f"workers run from {args.worker_root}")
    timings = {}

    # Phase 1 ------------------------------------------------------------------
    print(f"\nPhase 1: SQL per delivery — deliver(pk) in-process for {args.sql_sample} "
          "releases (+5 warm-up), webhook to a loopback receiver, no worker")
    t = time.perf_counter()
    commit_ms = commit_latency()
    client_ms = client_construction_ms()
    conn_ms = connect_ms()
    receiver = CountingReceiver()
    try:
        sql = sql_sample(args, receiver)
    finally:
        receiver.close()
    timings["phase 1"] = time.perf_counter() - t
    print(f"  {sql['statements']:.1f} statements per delivery ({sql['min']}–{sql['max']}), "
          f"in {sql['transactions']:.1f} transactions: "
          + ", ".join(f"{k} {v:.1f}" for k, v in sql["kinds"].items()))
    print(f"  in-process delivery p50 {sql['ms_p50']:.2f} ms, p95 {sql['ms_p95']:.2f} ms "
          f"(time inside execute() p50 {sql['sql_ms_p50']:.2f} ms)")
    print(f"  COMMIT of a one-row update (WAL flush, synchronous_commit on) p50 "
          f"{rp.pct(commit_ms, 50):.2f} ms, p95 {rp.pct(commit_ms, 95):.2f} ms; "
          f"httpx.Client() build+close p50 {rp.pct(client_ms, 50):.2f} ms; new PostgreSQL "
          f"connection (Django) p50 {rp.pct(conn_ms, 50):.2f} ms")
    print("  statement shapes per delivery:")
    for count, shape in sql["shapes"]:
        print(f"    {count:4.1f}  {rp.short_shape(shape, 150)}")
    print("  time per step (in-process, no contention):")
    print_steps(sql["steps_ms"])
    (RESULTS_DIR / "release_delivery_queries.txt").write_text(
        "\n".join(f"-- [{n:2d}] {rp.kind_of(q['sql'])} {q['ms']:.3f} ms\n{q['sql']}"
                  for n, q in enumerate(sql["sample_sql"], 1)) + "\n")

    # Phase 2 ------------------------------------------------------------------
    results = []
    for variant in args.variant_list:
        print(f"\nPhase 2: {args.releases} releases, workers {variant['name']}: "
              f"{describe(variant)}, prefetch multiplier {args.prefetch}"
              f"{f', dispatch paced at {args.rate:.0f}/s' if args.rate else ''}", flush=True)
        t = time.perf_counter()
        label = "bench_" + variant["name"].replace("-", "_")
        r = run_variant(args, variant, label=label, redis=redis, db_url=db_url,
                        n=args.releases, probe=False)
        timings[f"phase 2 {variant['name']}"] = time.perf_counter() - t
        results.append(r)
        print_variant(r)

    two_process = [r for r, v in zip(results, args.variant_list, strict=True)
                   if worker_processes(v) == 2]
    best = max(two_process or results, key=lambda r: r["deliveries_per_s"])
    duplicates = sum(r["receiver"]["duplicates"] for r in results)
    all_published = all(r["published"] == r["releases"] for r in results)
    met = best["deliveries_per_s"] >= TARGET_DELIVERIES_PER_S

    # Phase 3 ------------------------------------------------------------------
    profiled = None
    if args.profile == "always" or (args.profile == "auto" and not met):
        variant = args.profile_variant_spec
        n = args.profile_releases
        print(f"\nPhase 3: profile — {n} releases, workers {variant['name']} with timing "
              "probes around each delivery step (same celery worker, started through a shim "
              "that wraps releases.delivery's functions)", flush=True)
        t = time.perf_counter()
        profiled = run_variant(args, variant, label="bench_profile", redis=redis,
                               db_url=db_url, n=n, probe=True)
        timings["phase 3"] = time.perf_counter() - t
        print_variant(profiled)
        duplicates += profiled["receiver"]["duplicates"]

    # Phase 4 ------------------------------------------------------------------
    services = None
    if args.through_services:
        print(f"\nPhase 4: {args.through_services} items through the service layer (create, "
              "submit, approve ×3; the final approval creates the release and dispatches it "
              "on commit) while workers prefork-2x1 deliver", flush=True)
        t = time.perf_counter()
        services = through_services(args, redis=redis, db_url=db_url, m=args.through_services)
        timings["phase 4"] = time.perf_counter() - t
        print(f"  {services['published']}/{services['items']} published; pipeline "
              f"{services['items_per_s']:.1f} items/s (one process), final approve p50 "
              f"{services['final_approve_ms_p50']:.1f} ms")
        print(f"  approval (Release.created_at, in the final approval's transaction) → "
              f"published: p50 {services['p50_s'] * 1000:.0f} ms, p95 "
              f"{services['p95_s'] * 1000:.0f} ms, max {services['max_s'] * 1000:.0f} ms; "
              f"from approve_task() returning: p50 {services['from_return_p50_s'] * 1000:.0f} ms, "
              f"p95 {services['from_return_p95_s'] * 1000:.0f} ms")
        print(f"  receiver: {services['receiver']['duplicates']} duplicates, "
              f"{services['receiver']['invalid_signatures']} invalid signatures")
        duplicates += services["receiver"]["duplicates"]

    # Summary ------------------------------------------------------------------
    total_s = time.perf_counter() - started
    dup_ok = duplicates == TARGET_DUPLICATES
    prototype = Path(args.worker_root) != REPO_ROOT
    lines = [
        "=" * 100,
        f"SUMMARY  release throughput benchmark — {args.releases} releases per configuration"
        f"{' (--quick)' if args.quick else ''}, webhook channel, loopback receiver",
        f"         PostgreSQL {server_version}, database {args.database}, Celery "
        f"{celery.__version__}, Django {django.get_version()}, {os.cpu_count()} CPUs "
        "(postgres, redis, receiver and workers share them), "
        f"total run {total_s:.0f} s",
        f"         load average at start {load_start}, at end {rp.load_avg()}",
        f"         workers' code: {args.worker_root}"
        + ("  — A SCRATCH COPY (prototype), NOT THIS REPOSITORY'S CODE" if prototype else
           " (this repository)"),
        "         approval = dispatch: items and pending releases created in bulk (ORM), one "
        "deliver_release.delay(pk) each, its send time taken as the approval time"
        + (f"; dispatch paced at {args.rate:.0f}/s" if args.rate else
           "; all dispatched at once (a burst), so latency includes the backlog"),
        "-" * 100,
        f"{'figure':58s} {'measured':>12s} {'target':>10s}  verdict",
        f"{'deliveries/s, best 2-process configuration':58s} "
        f"{best['deliveries_per_s']:12.1f} {'≥ ' + str(int(TARGET_DELIVERIES_PER_S)):>10s}  "
        f"{rp.verdict(met)}",
        f"    configuration: {best['variant']} = {best['description']}, prefetch "
        f"{args.prefetch}",
        f"{'duplicates seen by the receiver (all runs)':58s} {duplicates:12d} "
        f"{TARGET_DUPLICATES:>10d}  {rp.verdict(dup_ok)}",
        f"{'every release published exactly once':58s} "
        f"{'yes' if all_published else 'NO':>12s} {'yes':>10s}  {rp.verdict(all_published)}",
    ]
    for r in results:
        lines.append(f"  {r['variant']:12s} {r['deliveries_per_s']:7.1f} deliveries/s "
                     f"(steady {r['steady_deliveries_per_s']:.1f}), approval→published p50 "
                     f"{r['latency_p50_s']:.2f} s, p95 {r['latency_p95_s']:.2f} s, duplicates "
                     f"{r['receiver']['duplicates']}, chain "
                     f"{'intact' if r['audit_chain']['ok'] else 'BROKEN'}")
        top = ", ".join(f"{kind} {ms:.1f}" for kind, ms in
                        list(r["cpu_s_per_delivery_ms"].items())[:3])
        lines.append(f"      PostgreSQL connections opened per delivery "
                     f"{r['db_sessions_opened'] / max(r['published'], 1):.2f}; CPU ms per "
                     f"delivery: {top}")
    lines.append(f"{'SQL statements per delivery (in-process sample)':58s} "
                 f"{sql['statements']:12.1f} {'—':>10s}")
    lines.append("    by type: " + ", ".join(f"{k} {v:.1f}" for k, v in sql["kinds"].items())
                 + f"; {sql['transactions']:.0f} transactions (COMMITs)")
    lines.append(f"{'in-process delivery p50 / p95 ms':58s} "
                 f"{sql['ms_p50']:5.2f} / {sql['ms_p95']:5.2f}")
    if profiled:
        hold = profiled.get("steps_ms", {}).get(STEP_HOLD)
        wait = profiled.get("steps_ms", {}).get(STEP_LOCK_WAIT)
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
    lines.append("=" * 100)
    print("\n" + "\n".join(lines))

    out = {
        "args": {k: v for k, v in vars(args).items()}, "server_version": server_version,
        "total_s": total_s, "timings_s": timings,
        "sql": {k: v for k, v in sql.items() if k != "sample_sql"},
        "commit_ms_p50": rp.pct(commit_ms, 50),
        "client_construction_ms_p50": rp.pct(client_ms, 50), "connect_ms_p50": rp.pct(conn_ms, 50),
        "variants": results, "profile": profiled, "services": services,
        "best": {"variant": best["variant"], "deliveries_per_s": best["deliveries_per_s"]},
        "duplicates": duplicates,
    }
    (RESULTS_DIR / "release_throughput.json").write_text(
        json.dumps(out, ensure_ascii=False, indent=2, default=str))
    (RESULTS_DIR / "release_summary.txt").write_text("\n".join(lines) + "\n")
    print(f"results: {RESULTS_DIR / 'release_throughput.json'}, "
          f"{RESULTS_DIR / 'release_summary.txt'}, "
          f"{RESULTS_DIR / 'release_delivery_queries.txt'} (SQL of one delivery)")
    return 0 if (met and dup_ok and all_published) else 1


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--worker-shim":
        run_worker_shim(sys.argv[2:])
    else:
        sys.exit(main())
