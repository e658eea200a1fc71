"""A PgBouncer in transaction pooling mode for a test run (`make test-pgbouncer`): Debian's
`pgbouncer` started as an unprivileged process, its configuration written to a temporary
directory, in front of the PostgreSQL that DATABASE_URL names.

    python -m testsupport.pgbouncer [--port 6432] -- python -m pytest tests/integration

runs the command with DATABASE_URL pointing at the pooler, DB_POOLER=pgbouncer (the
settings transaction pooling needs) and DATABASE_DIRECT_URL the PostgreSQL itself, where
tests/conftest.py creates and drops the test databases: a DROP DATABASE through PgBouncer
fails while the pool still holds server connections to it. The pooler is stopped after.
"""

import argparse
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

#: Roles the integration tests connect as (test_database_roles.py makes the last two).
#: auth_type=trust still requires each user to be listed in the auth file.
USERS = ("postgres", "disclosure_owner", "disclosure_app")

CONFIG = """\
[databases]
; any database name (the test databases, the scratch database of the roles test, postgres)
* = host={host} port={port}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {listen_port}
unix_socket_dir =
auth_type = trust
auth_file = {dir}/userlist.txt
admin_users = {admin}
pool_mode = transaction
; a few connections per test process and worker, two test databases (-n 2)
default_pool_size = 20
max_client_conn = 200
logfile = {dir}/pgbouncer.log
pidfile = {dir}/pgbouncer.pid
"""


def _listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
        return True
    except OSError:
        return False


def with_port(url: str, port: int) -> str:
    parts = urlsplit(url)
    netloc = parts.netloc.rsplit("@", 1)
    host = netloc[-1].rsplit(":", 1)[0] if ":" in netloc[-1] else netloc[-1]
    netloc[-1] = f"{host}:{port}"
    return urlunsplit(parts._replace(netloc="@".join(netloc)))


def _binary() -> str | None:
    return shutil.which("pgbouncer") or next(
        (p for p in ("/usr/sbin/pgbouncer",) if os.access(p, os.X_OK)), None)


def installed() -> bool:
    return _binary() is not None


class PgBouncer:
    def __init__(self, direct_url: str, port: int = 6432):
        parts = urlsplit(direct_url)
        self.direct_url = direct_url
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 5432
        self.user = parts.username or "postgres"
        self.listen_port = port
        self.dir = Path(tempfile.mkdtemp(prefix="pgbouncer-"))

    @property
    def url(self) -> str:
        return with_port(self.direct_url, self.listen_port)

    def start(self):
        binary = _binary() or "pgbouncer"
        if _listening(self.listen_port):  # e.g. the packaged service: not ours, not our config
            raise RuntimeError(f"port {self.listen_port} is taken; choose another with --port")
        users = dict.fromkeys((self.user, *USERS))
        (self.dir / "userlist.txt").write_text("".join(f'"{u}" ""\n' for u in users))
        (self.dir / "pgbouncer.ini").write_text(CONFIG.format(
            host=self.host, port=self.port, listen_port=self.listen_port, dir=self.dir,
            admin=self.user))
        command = [binary, "-d", str(self.dir / "pgbouncer.ini")]
        if os.geteuid() == 0:  # PgBouncer refuses to run as root
            shutil.chown(self.dir, "nobody")
            for path in self.dir.iterdir():
                shutil.chown(path, "nobody")
            command[1:1] = ["-u", "nobody"]
        done = subprocess.run(command, capture_output=True, text=True, timeout=30)
        deadline = time.time() + 10
        while time.time() < deadline:
            if (self.dir / "pgbouncer.pid").exists() and _listening(self.listen_port):
                return self
            time.sleep(0.05)
        raise RuntimeError(f"pgbouncer did not start: {done.stderr}{self.log()}")

    def log(self) -> str:
        path = self.dir / "pgbouncer.log"
        return path.read_text() if path.exists() else ""

    def cpu_seconds(self) -> float:
        try:
            pid = int((self.dir / "pgbouncer.pid").read_text())
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, ValueError):
            return float("nan")
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime

    def stop(self):
        pidfile = self.dir / "pgbouncer.pid"
        if pidfile.exists():
            pid = int(pidfile.read_text())
            os.kill(pid, 15)
            deadline = time.time() + 10
            while time.time() < deadline and pidfile.exists():
                time.sleep(0.05)
        shutil.rmtree(self.dir, ignore_errors=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=6432)
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    direct = os.environ.get("DATABASE_URL", "")
    if not direct.startswith(("postgres://", "postgresql://")) or not command:
        parser.error("needs a PostgreSQL DATABASE_URL and a command to run")
    if not installed():
        if os.environ.get("REQUIRE_SERVICES") == "1":
            parser.exit(2, "pgbouncer is not installed (apt-get install pgbouncer), and "
                           "REQUIRE_SERVICES=1 asks for the run through it\n")
        print("pgbouncer is not installed (apt-get install pgbouncer): running the command "
              "directly on PostgreSQL", file=sys.stderr)
        return subprocess.run(command).returncode
    bouncer = PgBouncer(direct, args.port).start()
    started = time.monotonic()
    try:
        env = {**os.environ, "DATABASE_URL": bouncer.url, "DATABASE_DIRECT_URL": direct,
               "DB_POOLER": "pgbouncer"}
        return subprocess.run(command, env=env).returncode
    finally:
        # wall clock beside CPU time: on a shared machine the first alone says little
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        print(f"pgbouncer run: {time.monotonic() - started:.0f} s wall, "
              f"{usage.ru_utime + usage.ru_stime:.0f} s CPU (the command and its children), "
              f"{bouncer.cpu_seconds():.1f} s CPU (pgbouncer), "
              f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}", file=sys.stderr)
        bouncer.stop()


if __name__ == "__main__":
    sys.exit(main())
