"""Wall-clock and CPU time side by side, and percentiles.

The benchmarks run on a shared 2-core machine where a test suite may run at the same time.
Wall-clock figures move with that load; the CPU time a piece of work used moves much less.
So every figure is taken both ways: wall (`time.perf_counter`) and the CPU time of this
process (`time.process_time`), and, where the work is mostly SQL, the CPU time of this
process's PostgreSQL backend, read from /proc (the server runs on this machine; elsewhere
that figure is absent). /proc counts in clock ticks (10 ms), so backend CPU is reported
as a mean over many calls, never per call.
"""

import math
import os
import resource
import time

CLK_TCK = os.sysconf("SC_CLK_TCK")


def pct(values, p: float) -> float:
    """The p-th percentile, linear between closest ranks; nan for no values."""
    if not values:
        return float("nan")
    data = sorted(values)
    k = (len(data) - 1) * p / 100
    lo, hi = math.floor(k), math.ceil(k)
    return data[lo] + (data[hi] - data[lo]) * (k - lo)


def proc_cpu_s(pid: int) -> float | None:
    """User + system CPU seconds of process `pid` so far (None if /proc cannot tell)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            data = f.read()
    except OSError:
        return None
    fields = data[data.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def backend_cpu_s(connection=None) -> float | None:
    """CPU seconds used so far by the PostgreSQL backend of Django's connection.

    The backend's pid comes from libpq (no statement is sent, so nothing shows up in a
    query capture); None when the server is not on this machine.
    """
    if connection is None:
        from django.db import connection
    connection.ensure_connection()
    return proc_cpu_s(connection.connection.info.backend_pid)


class Clock:
    """Times one block: `wall_ms` and `cpu_ms` (this process), and, with `db=True`, the
    CPU seconds of the PostgreSQL backend (`db_cpu_s`, tick resolution)."""

    def __init__(self, db: bool = False):
        self.db = db
        self.wall_ms = self.cpu_ms = float("nan")
        self.db_cpu_s = None

    def __enter__(self):
        self._db0 = backend_cpu_s() if self.db else None
        self._cpu0 = time.process_time()
        self._wall0 = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.wall_ms = (time.perf_counter() - self._wall0) * 1000
        self.cpu_ms = (time.process_time() - self._cpu0) * 1000
        if self._db0 is not None:
            after = backend_cpu_s()
            self.db_cpu_s = None if after is None else after - self._db0
        return False


class Samples:
    """Wall and CPU ms of repeated calls (and backend CPU, summed)."""

    def __init__(self):
        self.wall, self.cpu = [], []
        self.db_cpu_s, self.db_calls = 0.0, 0

    def add(self, clock: Clock) -> None:
        self.wall.append(clock.wall_ms)
        self.cpu.append(clock.cpu_ms)
        if clock.db_cpu_s is not None:
            self.db_cpu_s += clock.db_cpu_s
            self.db_calls += 1

    def __len__(self):
        return len(self.wall)

    def p(self, q: float, kind: str = "wall") -> float:
        return pct(self.wall if kind == "wall" else self.cpu, q)

    @property
    def db_cpu_mean_ms(self) -> float:
        return 1000 * self.db_cpu_s / self.db_calls if self.db_calls else float("nan")

    def as_dict(self) -> dict:
        return {"n": len(self), "wall_p50_ms": self.p(50), "wall_p95_ms": self.p(95),
                "wall_max_ms": max(self.wall, default=float("nan")),
                "cpu_p50_ms": self.p(50, "cpu"), "cpu_p95_ms": self.p(95, "cpu"),
                "db_cpu_mean_ms": self.db_cpu_mean_ms}

    def line(self) -> str:
        db = (f"; PostgreSQL backend CPU mean {self.db_cpu_mean_ms:.2f}"
              if self.db_calls else "")
        return (f"wall p50 {self.p(50):.2f} / p95 {self.p(95):.2f} ms, "
                f"CPU p50 {self.p(50, 'cpu'):.2f} / p95 {self.p(95, 'cpu'):.2f} ms{db}")


class RunClock:
    """A whole run: wall seconds, CPU seconds of this process and of its reaped children."""

    def __init__(self):
        self.wall0 = time.perf_counter()
        self.self0 = resource.getrusage(resource.RUSAGE_SELF)
        self.children0 = resource.getrusage(resource.RUSAGE_CHILDREN)

    def report(self) -> dict:
        me = resource.getrusage(resource.RUSAGE_SELF)
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        return {
            "wall_s": time.perf_counter() - self.wall0,
            "cpu_s": (me.ru_utime + me.ru_stime) - (self.self0.ru_utime + self.self0.ru_stime),
            "children_cpu_s": (children.ru_utime + children.ru_stime)
            - (self.children0.ru_utime + self.children0.ru_stime),
        }

    def line(self) -> str:
        r = self.report()
        children = (f" + {r['children_cpu_s']:.0f} s in child processes"
                    if r["children_cpu_s"] >= 0.5 else "")
        return f"wall {r['wall_s']:.0f} s, CPU {r['cpu_s']:.0f} s (this process){children}"


class Steps:
    """The steps of building a benchmark's data: each in its own transaction, timed and
    printed with the rows it wrote (`steps(label, fn)`, `fn` returning the rows)."""

    def __init__(self):
        self.timings = {}

    def __call__(self, label: str, fn) -> int:
        from django.db import transaction

        t0 = time.perf_counter()
        with transaction.atomic():
            rows = fn()
        self.timings[label] = time.perf_counter() - t0
        print(f"  {label:<38} {rows:>10,} rows  {self.timings[label]:6.1f} s", flush=True)
        return rows

    def vacuum_analyze(self) -> str:
        """VACUUM ANALYZE (timed); the database's size."""
        from django.db import connection

        with connection.cursor() as cur:
            t0 = time.perf_counter()
            cur.execute("VACUUM ANALYZE")
            self.timings["vacuum analyze"] = time.perf_counter() - t0
            print(f"  {'vacuum analyze':<38} {'':>10}       "
                  f"{self.timings['vacuum analyze']:6.1f} s", flush=True)
            cur.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
            return cur.fetchone()[0]

    @property
    def total_s(self) -> float:
        return sum(self.timings.values())
