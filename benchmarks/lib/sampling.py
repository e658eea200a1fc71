"""What the machine did during a throughput run: CPU time per group of processes, read
from /proc, and samples of pg_stat_activity (who waits for the audit-chain head lock,
who is in COMMIT, who is idle in a transaction).

Everything shares the same cores (PostgreSQL, redis, the receiver, the dispatcher and the
workers), so CPU milliseconds per delivery, per group, say where the work goes better
than a rate does.
"""

import os
import threading
from collections import Counter

from .timing import CLK_TCK

WORKERS = "celery workers"
SCRIPT = "this script (dispatch, receiver, polling, its driver processes)"
BACKENDS = "postgres backends of the bench db"
OTHER = "other processes (other jobs on the machine)"
OWN = (WORKERS, SCRIPT, BACKENDS, "redis-server")  # what the run itself spends


def _proc_stat(pid):
    """pgrp and CPU ticks (utime + stime) of a process."""
    return _stat(pid)[1:]


def _stat(pid):
    """(ppid, pgrp, CPU ticks) of a process."""
    with open(f"/proc/{pid}/stat") as f:
        data = f.read()
    fields = data[data.rindex(")") + 2:].split()
    return int(fields[1]), int(fields[2]), int(fields[11]) + int(fields[12])


def _cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _classify(pid, pgrp, *, worker_pgids, redis_pid, dbname, groups):
    for label, pgids in groups.items():
        if pgrp in pgids:
            return label
    if pgrp in worker_pgids:
        return WORKERS
    if pid == redis_pid:
        return "redis-server"
    if pid == os.getpid():
        return SCRIPT
    try:
        if _stat(pid)[0] == os.getpid():  # forked by this script (lib.paced's drivers)
            return SCRIPT
    except (OSError, ValueError, IndexError):
        pass
    cmd = _cmdline(pid)
    if cmd.startswith("postgres:") and f" {dbname} " in cmd:
        return BACKENDS
    if cmd.startswith("postgres:") or cmd.split(" ")[0].endswith("/postgres"):
        return "postgres, other (wal writer, checkpointer, other databases)"
    return OTHER


class CpuTracker(threading.Thread):
    """CPU time per group of processes over a run, from /proc every `interval` s.

    Sampling (rather than reading once before and once after) also counts the processes
    that end during the run up to their last sample: a PostgreSQL backend is closed after
    CELERY_DB_REUSE_MAX tasks, and its CPU would otherwise be lost (or mixed with every
    other database's backends in the postmaster's reaped-children total).
    """

    def __init__(self, *, worker_pgids, redis_pid, dbname, interval=1.0, groups=None):
        super().__init__(daemon=True)
        # groups: more process groups by label ({"gunicorn": {pgid}}), looked at first
        self.classify = dict(worker_pgids=worker_pgids, redis_pid=redis_pid, dbname=dbname,
                             groups=groups or {})
        self.interval = interval
        self.stop_event = threading.Event()
        self.base, self.last = {}, {}  # pid -> (kind, ticks)
        self.started = False
        self._sample()  # the baseline: what every process had used before the run
        self.machine0 = self._machine()

    @staticmethod
    def _machine():
        with open("/proc/stat") as f:
            values = [int(v) for v in f.readline().split()[1:]]
        return sum(values[:8]), values[3] + values[4]  # total, idle

    def _sample(self):
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            pid = int(entry)
            try:
                pgrp, ticks = _proc_stat(pid)
            except (OSError, ValueError, IndexError):
                continue
            if pid not in self.last:
                kind = _classify(pid, pgrp, **self.classify)
                # a process born during the run: all of its CPU belongs to the run
                self.base[pid] = (kind, ticks if not self.started else 0)
            self.last[pid] = (self.base[pid][0], ticks)

    def run(self):
        self.started = True
        while not self.stop_event.wait(self.interval):
            self._sample()

    def stop(self) -> tuple[dict, float, float]:
        """(CPU seconds by kind, busy seconds of all cores, total seconds of all cores)."""
        self.stop_event.set()
        self.join(5)
        self.started = True
        self._sample()
        by_kind = Counter()
        for pid, (kind, ticks) in self.last.items():
            by_kind[kind] += ticks - self.base[pid][1]
        total1, idle1 = self._machine()
        total = (total1 - self.machine0[0]) / CLK_TCK
        busy = total - (idle1 - self.machine0[1]) / CLK_TCK
        return {k: v / CLK_TCK for k, v in by_kind.items() if v}, busy, total


def db_sessions(dbname) -> int | None:
    """Connections ever opened to the database (pg_stat_database.sessions, PostgreSQL 14+)."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT sessions FROM pg_stat_database WHERE datname = %s", [dbname])
        row = cur.fetchone()
    return row[0] if row else None


class ActivitySampler(threading.Thread):
    """Samples pg_stat_activity of the bench database every `interval` s (own connection;
    connections named bench-poll*, the benchmark's own poller, are left out)."""

    def __init__(self, url, dbname, interval=0.05):
        super().__init__(daemon=True)
        self.url, self.dbname, self.interval = url, dbname, interval
        self.stop_event = threading.Event()
        self.samples = 0
        self.states = Counter()          # state class -> backend-samples
        self.chain_waiters = Counter()   # backends waiting for the chain head -> samples
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

    def report(self) -> dict:
        n = max(self.samples, 1)
        return {
            "samples": self.samples, "interval_s": self.interval,
            "mean_backends_by_state": {k: v / n for k, v in self.states.most_common()},
            "mean_chain_lock_waiters": sum(k * v for k, v in self.chain_waiters.items()) / n,
            "share_of_samples_with_a_chain_waiter": 1 - self.chain_waiters[0] / n,
            "error": self.error,
        }
