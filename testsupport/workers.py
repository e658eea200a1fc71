"""Real services for integration tests: a private redis-server on a free loopback port,
`celery worker` subprocesses against the test database, and the Celery app of this
process pointed at that Redis (see the `redis_server` and `broker` fixtures in
tests/conftest.py)."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent  # the project, where `celery -A config` runs


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RedisServer:
    def __init__(self, tmp_path):
        self.port = free_port()
        self.dir = tmp_path
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(
            [shutil.which("redis-server"), "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--dir", str(self.dir)],
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
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}/0"


def database_url() -> str:
    db = settings.DATABASES["default"]
    return (f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/"
            f"{db['NAME']}")


def direct_database_url() -> str:
    """The test database on PostgreSQL itself, bypassing a pooler if the run has one
    (`make test-pgbouncer`): for what an operator does to the server, such as terminating
    backends, which must not land on a pooled connection of the tests' own."""
    direct = os.environ.get("DATABASE_DIRECT_URL")
    if not direct:
        return database_url()
    parts = urlsplit(direct)
    return urlunsplit(parts._replace(path="/" + settings.DATABASES["default"]["NAME"]))


def worker_queues() -> str:
    """The queues a worker consumes, deliveries first, as in docker-compose.yml (the
    prefetch multiplier, 1, and the read order come from the settings)."""
    return ",".join(q.name for q in settings.CELERY_TASK_QUEUES)


class Worker:
    def __init__(self, redis_url, name, concurrency=2, pool="prefork", env=None):
        env = {**os.environ, "DATABASE_URL": database_url(), "REDIS_URL": redis_url,
               "RELEASE_LEASE_SECONDS": "4", "RELEASE_RETRY_BASE_SECONDS": "0.5",
               "RELEASE_RETRY_MAX_SECONDS": "2", "PYTHONUNBUFFERED": "1",
               # as tests/conftest.py sets for the test process: without it a worker started
               # in an agency's quiet hours (evenings in Beijing) holds every e-mail
               "NOTIFICATION_QUIET_HOURS": "0", **(env or {})}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", pool,
             "--concurrency", str(concurrency), "--loglevel", "WARNING", "-n",
             f"{name}@%h", "--without-gossip", "--without-mingle", "-Q", worker_queues()],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True)

    def children(self):
        out = subprocess.run(["pgrep", "-P", str(self.proc.pid)], capture_output=True,
                             text=True).stdout
        return [int(pid) for pid in out.split()]

    def stop(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)


def reconnect(app):
    """Drop pooled broker connections so the next publish connects afresh."""
    from kombu import pools

    pools.reset()
    app._pool = None
    app.amqp._producer_pool = None
