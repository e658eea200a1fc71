"""Real services for the release benchmark: a private redis-server and `celery worker`
subprocesses, every one of them stopped when the benchmark ends, on errors too.

redis-server is testsupport.workers.RedisServer (a free loopback port, no persistence).
The workers here differ from testsupport's: the pool, concurrency and prefetch are what
is being measured, each worker logs to benchmarks/results/, can run from another code
tree (a prototype), and can be started through the probe shim (lib.probes).
"""

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RESULTS_DIR = Path(__file__).resolve().parent.parent / "results"


class Processes:
    """Everything the benchmark starts; those in their own session are stopped with their
    whole process group (a prefork worker's pool children with it)."""

    def __init__(self):
        self.procs = []  # (label, Popen, own process group)

    def start(self, label, cmd, **kwargs):
        proc = subprocess.Popen(cmd, start_new_session=True, **kwargs)
        self.procs.append((label, proc, True))
        return proc

    def adopt(self, label, proc):
        self.procs.append((label, proc, False))
        return proc

    def _signal(self, proc, group, sig):
        try:
            if group:
                os.killpg(proc.pid, sig)
            else:
                proc.send_signal(sig)
        except ProcessLookupError:
            pass

    def stop(self, proc, timeout=20):
        group = next((g for _l, p, g in self.procs if p is proc), False)
        if proc.poll() is None:
            self._signal(proc, group, signal.SIGTERM)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self._signal(proc, group, signal.SIGKILL)
                proc.wait(5)
        if group:  # a prefork child may outlive its parent for a moment
            try:
                os.killpg(proc.pid, 0)
            except ProcessLookupError:
                pass
            else:
                time.sleep(0.5)
                self._signal(proc, True, signal.SIGKILL)
        self.procs = [(lbl, p, g) for lbl, p, g in self.procs if p is not proc]

    def stop_all(self):
        for _label, proc, _group in reversed(list(self.procs)):
            self.stop(proc)


PROCESSES = Processes()


def start_redis():
    """A private redis-server (testsupport's), registered to be stopped at the end."""
    from testsupport.workers import RedisServer

    redis = RedisServer(tempfile.mkdtemp(prefix="bench-redis-")).start()
    PROCESSES.adopt("redis-server", redis.proc)
    return redis


def parse_variant(name: str) -> dict | None:
    """'prefork-2x1' → {"name", "pool", "workers", "concurrency"} (None if malformed)."""
    import re

    m = re.fullmatch(r"(prefork|threads|solo)-(\d+)x(\d+)", name)
    if not m:
        return None
    return {"name": name, "pool": m[1], "workers": int(m[2]), "concurrency": int(m[3])}


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


def delivering_processes(variant) -> int:
    """Processes that deliver: pool children for prefork, the workers otherwise."""
    if variant["pool"] == "prefork":
        return variant["workers"] * variant["concurrency"]
    return variant["workers"]


class Workers:
    """`celery -A config worker` subprocesses of one configuration."""

    def __init__(self, variant, *, label, redis_url, database_url, worker_root, prefetch,
                 probe_dir=None, shim_script=None, extra_args=()):
        self.variant, self.label = variant, label
        self.procs, self.logs = [], []
        env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis_url,
               "DJANGO_SETTINGS_MODULE": "config.settings.base", "PYTHONUNBUFFERED": "1",
               "LOG_LEVEL": "WARNING", "PYTHONPATH": str(worker_root)}
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        for i in range(variant["workers"]):
            celery_args = ["-A", "config", "worker", "--pool", variant["pool"],
                           "--concurrency", str(variant["concurrency"]),
                           "--loglevel", "WARNING", "-n", f"{label}_w{i + 1}@%h",
                           "--without-gossip", "--without-mingle", *extra_args]
            if prefetch is not None:  # None: the project's setting
                celery_args += ["--prefetch-multiplier", str(prefetch)]
            if probe_dir:
                cmd = [sys.executable, str(shim_script), "--worker-shim", str(probe_dir),
                       *celery_args]
            else:
                cmd = [sys.executable, "-m", "celery", *celery_args]
            log_path = RESULTS_DIR / f"release_worker_{label}_w{i + 1}.log"
            log = log_path.open("w")
            self.logs.append((log_path, log))
            self.procs.append(PROCESSES.start(f"worker {label}_w{i + 1}", cmd,
                                              cwd=worker_root, env=env, stdout=log,
                                              stderr=subprocess.STDOUT))
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
    def pgids(self) -> set[int]:
        return {p.pid for p in self.procs}

    def stop(self):
        for proc in self.procs:
            PROCESSES.stop(proc)
        for _path, log in self.logs:
            log.close()
