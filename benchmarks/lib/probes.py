"""Timers around the steps of one delivery (releases.delivery), in this process or in
celery workers.

`install_probes` wraps releases.delivery's functions with timers by monkeypatching, in
the process that calls it only: the application code is not changed. In workers it is
installed by the shim (`run_worker_shim`): the same `celery worker`, started through a
script that installs the probes before the pool forks, so prefork children inherit them.
Worker processes append their samples to JSON-lines files that `read_probes` collects.
The shim also logs every task a worker receives and runs (`TaskLog`: received, started,
ended, the lock waits inside it), for lib.paced.

This module imports nothing of the benchmark's bootstrap: in the shim, the workers'
code tree (maybe a prototype copy) must be the one on sys.path.
"""

import functools
import json
import os
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path

from .timing import pct

STEP_DELIVER = "deliver() total"
STEP_CLAIM = "txn 1: _claim (lock row, lease, ChannelCall)"
STEP_CALL = "  of which _call (ChannelCall get or create)"
STEP_SEND = "adapter: build, sign, POST (WebhookAdapter._send)"
STEP_CLIENT = "  of which shared_http_client()"
STEP_RECORD_DELIVERY = "txn 2: _record_delivery (incl. COMMIT)"
STEP_LOCK_WAIT = "  chain head SELECT … FOR UPDATE (lock wait)"
STEP_RECORD = "  record() (lock + INSERT event + UPDATE head)"
STEP_AFTER_RECORD = "  after record() until COMMIT done (notice, COMMIT)"
STEP_HOLD = "chain head lock held (lock granted → COMMIT done)"
STEP_ORDER = (STEP_DELIVER, STEP_CLAIM, STEP_CALL, STEP_SEND, STEP_CLIENT, STEP_RECORD_DELIVERY,
              STEP_LOCK_WAIT, STEP_RECORD, STEP_AFTER_RECORD, STEP_HOLD)


class Probe:
    """Timer samples per step; with `out_dir`, also appended to a file per process."""

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


#: Statements of a delivery that may wait for a lock, by what they wait for.
LOCK_STATEMENTS = (("pg_advisory_xact_lock", "summary advisory lock"),
                   ("audit_auditchain", "chain head lock"),
                   ("releases_release", "release row lock"))

#: Lock waits of the task running in this thread (TaskLog resets and reads them).
TASK_WAITS = threading.local()


def install_probes(probe):
    """Wrap releases.delivery's steps with timers; returns a function that undoes it."""
    from django.db import connection

    from releases import adapters
    from releases import delivery as d

    local = threading.local()

    def lock_waits(execute, sql, params, many, context):
        t0 = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            waits = getattr(TASK_WAITS, "waits", None)
            if waits is not None and ("FOR UPDATE" in sql or "advisory" in sql):
                for marker, kind in LOCK_STATEMENTS:
                    if marker in sql:
                        waits[kind] = waits.get(kind, 0.0) + time.perf_counter() - t0
                        break

    def deliver(*a, **kw):
        with connection.execute_wrapper(lock_waits):
            return saved["deliver"](*a, **kw)
    saved = {"deliver": d.deliver, "_claim": d._claim, "_call": d._call,
             "_record_delivery": d._record_delivery, "record": d.record}
    saved_send = adapters.WebhookAdapter._send
    saved_client = adapters.shared_http_client

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

    d.deliver = functools.wraps(saved["deliver"])(
        timed(STEP_DELIVER, deliver, after=probe.delivery_done))
    d._claim = timed(STEP_CLAIM, saved["_claim"])
    d._call = timed(STEP_CALL, saved["_call"])
    d._record_delivery = record_delivery
    d.record = record
    adapters.WebhookAdapter._send = timed(STEP_SEND, saved_send)
    adapters.shared_http_client = timed(STEP_CLIENT, saved_client)

    def uninstall():
        for name, fn in saved.items():
            setattr(d, name, fn)
        adapters.WebhookAdapter._send = saved_send
        adapters.shared_http_client = saved_client

    return uninstall


class TaskLog:
    """Every task a worker process receives and runs, appended to tasks_<pid>.jsonl:
    [{id, name, release (the first argument of a release task), received | started,
    ended, pid, waits}]. Received is logged where the message arrives (the worker's main
    process), the run where it runs (a prefork child); lib.paced joins them by id."""

    def __init__(self, out_dir):
        self.out_dir = Path(out_dir)
        self.lock = threading.Lock()
        self.pending = []
        self.last_flush = time.time()
        self.open = {}

    def connect(self):
        from celery.signals import task_postrun, task_prerun, task_received

        task_received.connect(self.received, weak=False)
        task_prerun.connect(self.prerun, weak=False)
        task_postrun.connect(self.postrun, weak=False)

    def _add(self, rec):
        with self.lock:
            self.pending.append(rec)
        if time.time() - self.last_flush > 0.25:
            self.flush()

    def received(self, request=None, **_kw):
        if request is not None:
            self._add({"id": request.id, "name": request.name, "received": time.time(),
                       "release": _release_arg(request.name, request.args)})

    def prerun(self, task_id=None, task=None, args=None, **_kw):
        TASK_WAITS.waits = {}
        self.open[task_id] = time.time()

    def postrun(self, task_id=None, task=None, args=None, **_kw):
        started = self.open.pop(task_id, None)
        waits, TASK_WAITS.waits = getattr(TASK_WAITS, "waits", None) or {}, None
        if started is not None:
            self._add({"id": task_id, "name": task.name, "started": started,
                       "ended": time.time(), "pid": os.getpid(),
                       "release": _release_arg(task.name, args), "waits": waits})

    def flush(self):
        with self.lock:
            pending, self.pending = self.pending, []
            self.last_flush = time.time()
        if pending:
            with (self.out_dir / f"tasks_{os.getpid()}.jsonl").open("a") as out:
                out.write(json.dumps(pending) + "\n")


def _release_arg(name, args):
    if name and name.startswith("releases.tasks.") and args:
        return args[0]
    return None


def run_worker_shim(argv):
    """`SCRIPT --worker-shim DIR <celery args>`: the celery worker with probes installed
    before the pool forks. Runs in the workers' code tree (the current directory)."""
    probe_dir, celery_args = argv[0], argv[1:]
    sys.path.insert(1, os.getcwd())
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    import django

    django.setup()
    probe = Probe(probe_dir)
    install_probes(probe)
    tasks = TaskLog(probe_dir)
    tasks.connect()
    # samples are flushed at most every 0.25 s; the last ones when the process ends
    import atexit

    from celery.signals import worker_process_shutdown, worker_shutdown

    for flush in (probe.flush, tasks.flush):
        atexit.register(flush)
        worker_process_shutdown.connect(lambda flush=flush, **_kw: flush(), weak=False)
        worker_shutdown.connect(lambda flush=flush, **_kw: flush(), weak=False)
    from celery.__main__ import main as celery_main

    sys.argv = ["celery", *celery_args]
    celery_main()


def read_probes(probe_dir) -> dict:
    samples = defaultdict(list)
    for path in Path(probe_dir).glob("probe_*.jsonl"):
        for line in path.read_text().splitlines():
            for name, values in json.loads(line).items():
                samples[name].extend(values)
    return samples


def summarise(samples) -> dict:
    """{step: {n, mean, p50, p95 (ms), sum_s}} in STEP_ORDER."""
    steps = {}
    for name in STEP_ORDER:
        v = [s * 1000 for s in samples.get(name, [])]
        if v:
            steps[name] = {"n": len(v), "mean": sum(v) / len(v), "p50": pct(v, 50),
                           "p95": pct(v, 95), "sum_s": sum(v) / 1000}
    return steps


def print_steps(steps, *, wall=None) -> None:
    print(f"      {'step':58s} {'n':>6s} {'mean ms':>8s} {'p50':>7s} {'p95':>7s}")
    for name in STEP_ORDER:
        s = steps.get(name)
        if s:
            print(f"      {name:58s} {s['n']:6d} {s['mean']:8.2f} {s['p50']:7.2f} "
                  f"{s['p95']:7.2f}")
    hold = steps.get(STEP_HOLD)
    if hold and wall:
        busy = hold["sum_s"] / wall
        print(f"      chain head lock busy {100 * busy:.0f} % of the wall time "
              f"(sum of hold times / wall); one agency's deliveries cannot exceed "
              f"≈ {1000 / hold['mean']:.0f}/s at this mean hold time")
