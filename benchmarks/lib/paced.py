"""Final approvals through the services at a steady rate (open loop), delivered by real
workers: approval commit → published for every release, and where the time went for the
slow ones.

Items wait for the leader's approval in several agencies (one per agency through the
services, the rest copies: lib.data). Driver processes (forked, so that the approvals are
not held to one core by the GIL) approve item i at t0 + i / rate whatever happened before
(open loop: a slow approval does not delay the next one's schedule). An approval's commit
time is when its COMMIT returned (the driver's connection.commit is timed), before the
after-commit dispatch runs; on a busy machine `approve_task` returns noticeably later.

The workers run through the probe shim (lib.probes) and log every task they receive and
run, with the lock waits inside it; `analyse` joins that log to the releases. For each
release: broker wait (commit → a worker received the message), wait in the worker's own
prefetch buffer (received → started), the run (started → published), retries and repeat
dispatches; and for the slow ones, what the workers ran meanwhile and whether another
worker sat idle while the release waited behind a busy one (prefetch starvation).
"""

import json
import os
import time
from collections import Counter, defaultdict
from pathlib import Path

from .timing import pct

DELIVER_TASK = "releases.tasks.deliver_release"
SLOW_S = 1.0  # the target: p95 ≤ 1 s


def build(agencies, per_agency, receiver, *, tag="paced"):
    """Items awaiting the leader's approval: [(agency org, [(task id, leader pk)])]."""
    from viewflow.workflow.models import Task

    from workflow.models import OPEN_TASK_STATES

    from .data import ItemCopier
    from .pipeline import WEBHOOK_CHANNEL, Pipeline, webhook_agency

    plan = []
    for k in range(agencies):
        org, _channel = webhook_agency(f"bench_{tag}_{k}", receiver)
        # i = 0: an office item, whose leader is "leader" (Pipeline.reviewers)
        publication, _process = Pipeline(org).run_item(0, upto=2, tag=f"{tag} {k}",
                                                       channels=[WEBHOOK_CHANNEL])
        if per_agency > 1:
            ItemCopier(org.agency, [publication.pk]).copy(per_agency - 1,
                                                          f"items awaiting the leader ({k})")
        tasks = list(Task.objects.filter(process__reviewprocess__agency=org.agency,
                                         status__in=OPEN_TASK_STATES)
                     .order_by("pk").values_list("pk", flat=True))
        assert len(tasks) == per_agency, (len(tasks), per_agency)
        plan.append((org, [(t, org["leader"].pk) for t in tasks]))
    return plan


def schedule(plan):
    """One list, agencies interleaved: (i, task id, leader pk)."""
    queues = [list(tasks) for _org, tasks in plan]
    out = []
    while any(queues):
        for q in queues:
            if q:
                out.append(q.pop(0))
    return [(i, t, u) for i, (t, u) in enumerate(out)]


def _drive(share, t0, rate, out_path):
    """In a forked child: approve this share of the items on their schedule."""
    from agencies.models import User
    from config.celery import app
    from workflow.services import approve_task

    # what Celery does in a forked child: forget the parent's broker connections (closing
    # them would talk on sockets the parent still uses)
    app._after_fork()
    from django.db import connection

    commits = []
    commit = connection.commit

    def timed_commit():  # the outermost atomic() ends here; after-commit hooks run later
        commit()
        commits.append(time.time())

    connection.commit = timed_commit
    rows = []
    for i, task_id, leader_pk in share:
        due = t0 + i / rate
        if (wait := due - time.time()) > 0:
            time.sleep(wait)
        started, cpu0 = time.time(), time.process_time()
        commits.clear()
        error = ""
        try:
            approve_task(user=User.objects.get(pk=leader_pk), task_id=task_id, comment="同意")
        except Exception as exc:  # counted and shown: the run is then not valid
            error = f"{type(exc).__name__}: {exc}"
        returned = time.time()
        rows.append({"i": i, "task": task_id, "due": due, "started": started,
                     "committed": commits[-1] if commits else returned, "returned": returned,
                     "cpu_s": time.process_time() - cpu0, "error": error})
    Path(out_path).write_text(json.dumps(rows))


def drive(items, *, rate, drivers, out_dir):
    """Fork `drivers` processes that approve `items` at `rate`/s between them; returns
    (t0, their pids, a function that waits for them and returns the rows)."""
    from django.db import connections

    connections.close_all()  # a forked child must not share the parent's connection
    t0 = time.time() + 1.0
    pids = []
    for d in range(drivers):
        share = items[d::drivers]
        out = Path(out_dir) / f"driver_{d}.json"
        pid = os.fork()
        if pid == 0:  # the child
            code = 0
            try:
                _drive(share, t0, rate, out)
            except BaseException:  # noqa: BLE001 - report and leave without the parent's cleanup
                import traceback

                traceback.print_exc()
                code = 1
            finally:
                os._exit(code)
        pids.append(pid)

    def wait():
        codes = [os.waitpid(pid, 0)[1] for pid in pids]
        rows = []
        for d in range(drivers):
            path = Path(out_dir) / f"driver_{d}.json"
            if path.exists():
                rows.extend(json.loads(path.read_text()))
        return codes, sorted(rows, key=lambda r: r["i"])

    return t0, pids, wait


# --------------------------------------------------------------------------- analysis

def read_task_log(probe_dir):
    """{task id: {name, release, received, started, ended, pid, waits}} from the workers."""
    tasks = defaultdict(dict)
    for path in Path(probe_dir).glob("tasks_*.jsonl"):
        for line in path.read_text().splitlines():
            for rec in json.loads(line):
                tasks[rec.pop("id")].update(rec)
    return dict(tasks)


def _overlap(a0, a1, b0, b1):
    return max(0.0, min(a1, b1) - max(a0, b0))


def analyse(approvals, releases, tasks):
    """approvals: {publication id: commit time}; releases: [(pk, publication id, created_at
    ts, published_at ts or None, attempts)]; tasks: read_task_log(). Returns the figures."""
    runs = [t for t in tasks.values() if "started" in t and "ended" in t]
    by_pid = defaultdict(list)
    for t in runs:
        by_pid[t["pid"]].append(t)
    deliver_runs = defaultdict(list)
    for t in tasks.values():
        if t.get("name") == DELIVER_TASK and t.get("release") is not None:
            deliver_runs[t["release"]].append(t)
    for lst in deliver_runs.values():
        lst.sort(key=lambda t: t.get("started", t.get("received", 0)))

    rows = []
    for pk, pub, _created, published, attempts in releases:
        committed = approvals.get(pub)
        if committed is None or published is None:
            continue
        mine = deliver_runs.get(pk, [])
        first = mine[0] if mine else {}
        # the run that published it: the last one started before published_at
        winner = next((t for t in reversed(mine) if t.get("started", 1e18) <= published + 1e-3),
                      first)
        row = {"release": pk, "latency": published - committed, "attempts": attempts,
               "tasks": len(mine), "committed": committed, "published": published,
               "pid": winner.get("pid")}
        if first.get("received") is not None:
            row["broker_wait"] = max(0.0, first["received"] - committed)
        if first.get("received") is not None and first.get("started") is not None:
            row["buffer_wait"] = max(0.0, first["started"] - first["received"])
        if winner.get("started") is not None:
            row["before_winner"] = max(0.0, winner["started"] - committed)
            row["run"] = max(0.0, published - winner["started"])
            row["lock_wait"] = sum(winner.get("waits", {}).values())
            row["waits"] = winner.get("waits", {})
        rows.append(row)

    lat = [r["latency"] for r in rows]
    slow = [r for r in rows if r["latency"] > SLOW_S]
    causes = Counter()
    busy_by_name = Counter()
    idle_other = []
    for r in slow:
        start = r["committed"] + r.get("before_winner", r["latency"])
        # the largest part of its time
        parts = {"waited in the broker queue (all workers busy)": r.get("broker_wait"),
                 "waited in a worker's prefetch buffer": r.get("buffer_wait"),
                 "the run itself (started → published)": r.get("run")}
        parts = {k: v for k, v in parts.items() if v is not None}
        if r["attempts"] > 1 or r["tasks"] > 1:
            causes["retried or dispatched again (attempts > 1 or several tasks)"] += 1
        elif r.get("lock_wait", 0) > 0.5 * r["latency"]:
            causes["lock waits inside the delivery"] += 1
        elif parts:
            causes[max(parts, key=parts.get)] += 1
        else:
            causes["no task log for it"] += 1
        # what the workers ran while it waited, and idle time of the others
        for pid, lst in by_pid.items():
            busy = 0.0
            for t in lst:
                o = _overlap(r["committed"], start, t["started"], t["ended"])
                if o:
                    busy_by_name[_short(t["name"])] += o
                    busy += o
            if pid != r.get("pid"):
                idle_other.append(max(0.0, (start - r["committed"]) - busy))
    # between one task's end and the next one's start in the same process: the worker's own
    # work per task (ack, fetch, decode) and, on a busy machine, waiting for a core
    gaps = []
    for lst in by_pid.values():
        lst.sort(key=lambda t: t["started"])
        gaps += [b["started"] - a["ended"] for a, b in zip(lst, lst[1:], strict=False)]
    names = Counter()
    seconds = Counter()
    for t in runs:
        names[_short(t["name"])] += 1
        seconds[_short(t["name"])] += t["ended"] - t["started"]

    def p(key, q, among=rows):
        v = [r[key] for r in among if key in r]
        return pct(v, q) if v else float("nan")

    return {
        "releases": len(rows), "p50_s": pct(lat, 50), "p95_s": pct(lat, 95),
        "p99_s": pct(lat, 99), "max_s": max(lat, default=float("nan")),
        "over_1s": len(slow),
        "broker_wait_p50_s": p("broker_wait", 50), "broker_wait_p95_s": p("broker_wait", 95),
        "buffer_wait_p50_s": p("buffer_wait", 50), "buffer_wait_p95_s": p("buffer_wait", 95),
        "run_p50_s": p("run", 50), "run_p95_s": p("run", 95),
        "lock_wait_p95_s": p("lock_wait", 95),
        "lock_wait_p95_ms_by_kind": {
            kind: 1000 * pct([r["waits"].get(kind, 0.0) for r in rows if "waits" in r], 95)
            for kind in sorted({k for r in rows for k in r.get("waits", {})})},
        "slow": {
            "count": len(slow), "causes": dict(causes.most_common()),
            "broker_wait_mean_s": _mean(r.get("broker_wait") for r in slow),
            "buffer_wait_mean_s": _mean(r.get("buffer_wait") for r in slow),
            "run_mean_s": _mean(r.get("run") for r in slow),
            "lock_wait_mean_s": _mean(r.get("lock_wait") for r in slow),
            "worker_time_while_waiting_s": dict(busy_by_name.most_common()),
            "other_worker_idle_while_waiting_mean_s": _mean(idle_other),
        },
        "gap_p50_ms": 1000 * pct(gaps, 50) if gaps else float("nan"),
        "gap_p95_ms": 1000 * pct(gaps, 95) if gaps else float("nan"),
        "gap_sum_s": sum(gaps),
        "tasks_run": dict(names.most_common()),
        "task_seconds": {k: round(v, 2) for k, v in seconds.most_common()},
        "task_ms_p95": {k: 1000 * pct([t["ended"] - t["started"] for t in runs
                                       if _short(t["name"]) == k], 95) for k in names},
        "by_decile": _deciles(rows),
    }


def _deciles(rows):
    """p95 latency of the releases approved in each tenth of the run (a growing backlog
    shows as a rising series)."""
    if not rows:
        return []
    rows = sorted(rows, key=lambda r: r["committed"])
    n = len(rows)
    return [round(pct([r["latency"] for r in rows[k * n // 10:(k + 1) * n // 10]], 95), 3)
            for k in range(10) if rows[k * n // 10:(k + 1) * n // 10]]


def _mean(values):
    v = [x for x in values if x is not None]
    return sum(v) / len(v) if v else float("nan")


def _short(name):
    return (name or "?").rsplit(".", 1)[-1]
