"""What SQL a piece of code sends: statements captured per call, counted by kind and
grouped by shape (literals replaced by ?), with the time of each statement.

`Actions` is the bookkeeping of a benchmark that calls the same actions many times
(create, submit, approve … or deliver): statements per call by kind and shape, wall and
CPU time, time inside execute(), and one call's raw SQL kept as a sample.
"""

import re
import time
from collections import Counter, defaultdict

from .timing import Clock, Samples, pct

KINDS = ("SELECT", "INSERT", "UPDATE", "DELETE", "SAVEPOINT", "RELEASE SAVEPOINT", "other")


def kind_of(sql: str) -> str:
    """SELECT, INSERT, UPDATE, DELETE, SAVEPOINT, RELEASE SAVEPOINT, or other (BEGIN,
    COMMIT, ROLLBACK …)."""
    s = sql.lstrip().upper()
    if s.startswith("RELEASE SAVEPOINT"):
        return "RELEASE SAVEPOINT"
    for kind in ("SAVEPOINT", "SELECT", "INSERT", "UPDATE", "DELETE"):
        if s.startswith(kind):
            return kind
    return "other"


_STRING = re.compile(r"'(?:[^']|'')*'")
_NUMBER = re.compile(r"\b\d+(?:\.\d+)?\b")
_LIST = re.compile(r"\(\?(?:, \?)+\)")
_ROWS = re.compile(r"(\(\?, …\))(?:, \(\?, …\))+")
_SAVEPOINT = re.compile(r'(SAVEPOINT) "[^"]+"')
_SPACES = re.compile(r"\s+")


def shape_of(sql: str) -> str:
    """The statement with literals replaced by ?, so that calls can be grouped."""
    s = _SAVEPOINT.sub(r"\1 ?", sql)
    s = _STRING.sub("?", s)
    s = _NUMBER.sub("?", s)
    s = _LIST.sub("(?, …)", s)
    s = _ROWS.sub(r"\1, …", s)  # multi-row VALUES
    return _SPACES.sub(" ", s).strip()


def short_shape(shape: str, width: int = 230) -> str:
    """Column lists elided: what a reader needs to recognise the statement."""
    s = re.sub(r"^SELECT (DISTINCT )?.*? FROM ", r"SELECT \1… FROM ", shape)
    s = re.sub(r"^(INSERT INTO \S+) \(.*?\) VALUES .*?( RETURNING .*)?$",
               lambda m: f"{m.group(1)} (…) VALUES (…){' RETURNING …' if m.group(2) else ''}", s)
    s = re.sub(r"^(UPDATE \S+ SET) .*? WHERE ", r"\1 … WHERE ", s)
    return s if len(s) <= width else s[: width - 1] + "…"


class Capture:
    """CaptureQueriesContext plus per-statement timing to the microsecond.

    Django stores a captured statement's time rounded to 1 ms; an execute_wrapper times
    each execute precisely. BEGIN/COMMIT do not pass through execute wrappers, so they
    keep Django's rounded time (and are not in `sql_ms`).
    """

    TRANSACTION = ("BEGIN", "COMMIT", "ROLLBACK")

    def __init__(self):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        self.connection = connection
        self.ctx = CaptureQueriesContext(connection)
        self.durations = []

    def _timed(self, execute, sql, params, many, context):
        t0 = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.durations.append((time.perf_counter() - t0) * 1000)

    def __enter__(self):
        # CaptureQueriesContext slices connection.queries_log, a deque capped at 9000
        # entries: once it is full its length stops growing and the slice comes out empty.
        self.connection.queries_log.clear()
        self.ctx.__enter__()
        self._wrapper = self.connection.execute_wrapper(self._timed)
        self._wrapper.__enter__()
        return self

    def __exit__(self, *exc):
        self._wrapper.__exit__(*exc)
        return self.ctx.__exit__(*exc)

    @property
    def queries(self) -> list[dict]:
        """[{"sql", "ms"}] in order."""
        durations = iter(self.durations)
        out = []
        for q in self.ctx.captured_queries:
            if q["sql"] in self.TRANSACTION:
                ms = float(q["time"]) * 1000
            else:
                ms = next(durations, float("nan"))
            out.append({"sql": q["sql"], "ms": ms})
        return out

    @property
    def sql_ms(self) -> float:
        """Time inside execute() (BEGIN/COMMIT excluded)."""
        return sum(self.durations)


class Actions:
    """Statements and time of every call of each action, over many calls."""

    def __init__(self, actions):
        self.actions = tuple(actions)
        self.times = defaultdict(Samples)       # action -> wall/CPU per call
        self.sql_ms = defaultdict(list)         # action -> ms inside execute() per call
        self.counts = defaultdict(list)         # action -> statements per call
        self.kinds = defaultdict(Counter)       # action -> kind -> statements (total)
        self.shapes = defaultdict(Counter)      # action -> shape -> statements (total)
        self.samples = {}                       # action -> the queries of one call
        self.units = 0                          # what "per item" divides by

    def call(self, action, fn, *, keep_sample=False):
        """Run fn() under capture and clocks; returns its result."""
        with Capture() as capture, Clock(db=True) as clock:
            result = fn()
        queries = capture.queries
        assert queries, f"{action}: no statement captured (capture broken?)"
        self.times[action].add(clock)
        self.sql_ms[action].append(capture.sql_ms)
        self.counts[action].append(len(queries))
        for q in queries:
            self.kinds[action][kind_of(q["sql"])] += 1
            self.shapes[action][shape_of(q["sql"])] += 1
        if keep_sample:
            self.samples[action] = queries
        return result

    def per_unit(self, action=None) -> float:
        actions = [action] if action else self.actions
        return sum(sum(self.counts[a]) for a in actions) / max(self.units, 1)

    def kinds_per_unit(self, action=None) -> dict:
        total = Counter()
        for a in [action] if action else self.actions:
            total.update(self.kinds[a])
        return {k: total[k] / max(self.units, 1) for k in KINDS}

    def spread(self, action) -> str:
        counts = self.counts[action]
        return "" if min(counts) == max(counts) else f"{min(counts)}–{max(counts)}"

    def print_table(self, unit="item") -> None:
        """Statements per unit by kind, then wall and CPU percentiles, per action."""
        kinds_header = " ".join(f"{k[:9]:>9s}" for k in KINDS)
        print(f"  {'action':28s} {'stmts':>6s} {kinds_header}")
        for action in self.actions:
            kinds = self.kinds_per_unit(action)
            spread = self.spread(action)
            print(f"  {action:28s} {self.per_unit(action):6.1f} "
                  + " ".join(f"{kinds[k]:9.1f}" for k in KINDS)
                  + (f"  ({spread} per call)" if spread else ""))
        kinds = self.kinds_per_unit()
        print(f"  {'TOTAL per ' + unit:28s} {self.per_unit():6.1f} "
              + " ".join(f"{kinds[k]:9.1f}" for k in KINDS))
        print(f"\n  {'action':28s} {'wall p50':>9s} {'p95':>7s} {'max':>7s}   {'CPU p50':>8s} "
              f"{'p95':>7s}   {'in SQL p50':>10s} {'db CPU':>7s}   (ms)")
        for action in self.actions:
            t = self.times[action]
            print(f"  {action:28s} {t.p(50):9.2f} {t.p(95):7.2f} {max(t.wall):7.2f}   "
                  f"{t.p(50, 'cpu'):8.2f} {t.p(95, 'cpu'):7.2f}   "
                  f"{pct(self.sql_ms[action], 50):10.2f} {t.db_cpu_mean_ms:7.2f}")
        print("  (wall: elapsed; CPU: this process; in SQL: time inside execute(), BEGIN/COMMIT "
              "excluded; db CPU: the PostgreSQL backend, mean per call)")

    def print_shapes(self, limit=40, unit="item") -> None:
        n = max(self.units, 1)
        print(f"\nStatement shapes per action (statements per {unit}; column lists elided):")
        for action in self.actions:
            print(f"  {action}: {self.per_unit(action):.1f}")
            for shape, count in self.shapes[action].most_common(limit):
                print(f"    {count / n:4.1f}  {short_shape(shape)}")

    def write_report(self, path, title) -> None:
        """Every statement of the sampled call of each action, then shapes over all calls."""
        path.parent.mkdir(parents=True, exist_ok=True)
        n = max(self.units, 1)
        with path.open("w") as out:
            out.write(f"# {title}\n# Part 1: every statement of one call (raw SQL, as "
                      "captured)\n\n")
            for action in self.actions:
                queries = self.samples.get(action, [])
                kinds = Counter(kind_of(q["sql"]) for q in queries)
                out.write(f"===== {action}: {len(queries)} statements "
                          f"({', '.join(f'{k} {v}' for k, v in kinds.items())})\n")
                for number, q in enumerate(queries, 1):
                    out.write(f"-- [{number:2d}] {kind_of(q['sql'])} {q['ms']:.3f} ms\n"
                              f"{q['sql']}\n")
                out.write("\n")
            out.write(f"\n# Part 2: statement shapes per action, per unit over {n} units\n")
            for action in self.actions:
                out.write(f"\n===== {action}: {self.per_unit(action):.1f} statements\n")
                for shape, count in self.shapes[action].most_common():
                    out.write(f"{count / n:5.1f}  {shape}\n")

    def as_dict(self) -> dict:
        return {"units": self.units, "statements_per_unit": self.per_unit(),
                "kinds_per_unit": self.kinds_per_unit(),
                "per_action": {a: {"statements": self.per_unit(a),
                                   "kinds": self.kinds_per_unit(a),
                                   "sql_p50_ms": pct(self.sql_ms[a], 50),
                                   **self.times[a].as_dict()} for a in self.actions}}
