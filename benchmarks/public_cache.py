"""A cached page of the public column under citizen traffic, through gunicorn on loopback.

A standalone script, not a test. It works in its own database (lib.bootstrap) and a
private redis-server (the production cache), releases --items items of one agency through
the services and the delivery engine, then for each gunicorn configuration (--configs:
sync workers, or gthread workers × threads) starts gunicorn with the production settings
on a free loopback port, fills the cache with one request and loads one released item page
with `wrk` (--connections, --duration). It prints requests/s, latency p50 / p99, errors
(socket errors and non-2xx/3xx answers), the CPU time of the gunicorn processes (master
and workers), of redis-server and of wrk per request, and the database transactions
during the run (0: every answer came from the cache; PostgreSQL's statistics, so autovacuum
would count too: the build ends with VACUUM ANALYZE). For contrast the first configuration
also loads the same page with a query string the cache ignores, rendered every time.
Target: ≥ 1,000 requests/s for the cached item page on 2 cores.

    apt-get install -y wrk       # Debian's package; the script says so if it is missing
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python benchmarks/public_cache.py            # ~2 min
    ... benchmarks/public_cache.py --configs sync:2 --duration 5   # one quick run

See benchmarks/README.md.
"""

import argparse
import base64
import json
import os
import re
import resource
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from lib import bootstrap
from lib.bootstrap import REPO_ROOT, RESULTS_DIR
from lib.timing import RunClock, proc_cpu_s
from lib.workers import PROCESSES, start_redis

TARGET_RPS = 1000.0
CODE = "bench_column"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=20, help="released items (20)")
    parser.add_argument("--configs", default="sync:2,sync:4,gthread:2x4,gthread:4x2",
                        help="gunicorn configurations: sync:<workers> or gthread:<workers>x"
                             "<threads> (default sync:2,sync:4,gthread:2x4,gthread:4x2)")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections (16)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (2)")
    parser.add_argument("--duration", type=int, default=15, help="seconds per run (15)")
    parser.add_argument("--no-uncached", action="store_true",
                        help="skip the run of the page rendered every time")
    bootstrap.add_database_options(parser, "bench_public_cache")
    args = parser.parse_args(argv)
    bootstrap.check_database_name(parser, args)
    args.configs = [parse_config(parser, c) for c in args.configs.split(",") if c]
    return args


def parse_config(parser, text: str) -> dict:
    match = re.fullmatch(r"(sync):(\d+)|(gthread):(\d+)x(\d+)", text.strip())
    if not match:
        parser.error(f"bad configuration {text!r}: sync:<workers> or gthread:<workers>x<threads>")
    if match.group(1):
        return {"name": text, "worker_class": "sync", "workers": int(match.group(2)),
                "threads": 1}
    return {"name": text, "worker_class": "gthread", "workers": int(match.group(4)),
            "threads": int(match.group(5))}


def build(items: int) -> list[int]:
    """One agency (testsupport's organisation) with `items` items approved through the
    review services and published on its column by the delivery engine."""
    from django.db import transaction
    from lib.pipeline import Pipeline

    from releases import delivery
    from releases.models import Release
    from testsupport.factories import make_org

    with transaction.atomic():
        org = make_org(code=CODE)
    pipeline = Pipeline(org)
    published = []
    for i in range(items):
        publication, _process = pipeline.run_item(i, tag="column", channels=["website"])
        site = Release.objects.get(publication=publication, channel__kind="site")
        delivery.deliver(site.pk)
        published.append(publication.pk)
    assert Release.objects.filter(publication_id__in=published, status="published").count() \
        == items
    from django.db import connection

    with connection.cursor() as cur:  # so that autovacuum stays out of the runs' figures
        cur.execute("VACUUM ANALYZE")
    return published


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def gunicorn_env(db_url: str, redis_url: str, var_dir: str) -> dict:
    return {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "DATABASE_URL": db_url, "REDIS_URL": redis_url, "VAR_DIR": var_dir,
            "SECRET_KEY": secrets.token_urlsafe(50),
            "AUDIT_SIGNING_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
            "ALLOWED_HOSTS": "127.0.0.1", "SECURE_SSL_REDIRECT": "0",
            "LOG_LEVEL": "ERROR", "PYTHONWARNINGS": "ignore"}


def start_gunicorn(config: dict, env: dict) -> tuple[subprocess.Popen, int]:
    port = free_port()
    cmd = [str(Path(sys.executable).parent / "gunicorn"), "config.wsgi:application",
           "--bind", f"127.0.0.1:{port}", "--workers", str(config["workers"]),
           "--worker-class", config["worker_class"], "--threads", str(config["threads"]),
           "--log-level", "error"]
    proc = PROCESSES.start(f"gunicorn {config['name']}", cmd, cwd=REPO_ROOT, env=env,
                           stdout=subprocess.DEVNULL)
    deadline = time.time() + 60
    while time.time() < deadline:
        if len(children(proc.pid)) >= config["workers"]:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                return proc, port
            except OSError:
                pass
        if proc.poll() is not None:
            sys.exit(f"gunicorn exited with {proc.returncode}")
        time.sleep(0.1)
    sys.exit("gunicorn did not start within 60 s")


def children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def cpu_of(pids) -> float:
    return sum(proc_cpu_s(pid) or 0.0 for pid in pids)


def db_transactions(db_url: str, dbname: str) -> int:
    """Committed and rolled-back transactions of the benchmark database so far (a SELECT in
    autocommit is one), read from the server's maintenance database so as not to count."""
    from urllib.parse import urlsplit, urlunsplit

    import psycopg

    server = urlunsplit(urlsplit(db_url)._replace(scheme="postgresql", path="/postgres"))
    with psycopg.connect(server, autocommit=True) as conn:
        return conn.execute("SELECT xact_commit + xact_rollback FROM pg_stat_database "
                            "WHERE datname = %s", [dbname]).fetchone()[0]


UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0}


def parse_wrk(out: str) -> dict:
    def latency(p):
        m = re.search(rf"^\s+{p}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        return float(m.group(1)) * UNITS[m.group(2)] if m else float("nan")

    requests = re.search(r"(\d+) requests in ([\d.]+)(ms|s)", out)
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    sockets = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)",
                        out)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"requests": int(requests.group(1)) if requests else 0,
            "rps": float(rps.group(1)) if rps else float("nan"),
            "p50_ms": latency(50), "p99_ms": latency(99),
            "socket_errors": sum(int(x) for x in sockets.groups()) if sockets else 0,
            "non_2xx_3xx": int(non2xx.group(1)) if non2xx else 0}


def children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def load(url: str, args, pids, redis_pid: int, db) -> dict:
    tx0 = db_transactions(db.url, db.name)
    cpu0, redis0 = cpu_of(pids), proc_cpu_s(redis_pid) or 0.0
    wrk0, wall0 = children_cpu_s(), time.perf_counter()
    wrk = subprocess.run(["wrk", "-t", str(args.threads), "-c", str(args.connections),
                          "-d", f"{args.duration}s", "--latency", url],
                         capture_output=True, text=True, check=True)
    out = wrk.stdout
    wall, wrk_cpu = time.perf_counter() - wall0, children_cpu_s() - wrk0
    cpu, redis_cpu = cpu_of(pids) - cpu0, (proc_cpu_s(redis_pid) or 0.0) - redis0
    time.sleep(1.5)  # backends report to pg_stat_database within a second
    result = parse_wrk(out)
    n = max(result["requests"], 1)
    result.update({"wall_s": wall, "gunicorn_cpu_s": cpu, "redis_cpu_s": redis_cpu,
                   "gunicorn_cpu_us_per_request": 1e6 * cpu / n,
                   "redis_cpu_us_per_request": 1e6 * redis_cpu / n,
                   "wrk_cpu_s": wrk_cpu, "db_transactions": db_transactions(db.url, db.name) - tx0,
                   "wrk_output": out})
    return result


def line(label: str, r: dict) -> str:
    return (f"  {label:<34} {r['rps']:8,.0f} req/s  p50 {r['p50_ms']:6.2f} ms  p99 "
            f"{r['p99_ms']:6.2f} ms  errors {r['socket_errors'] + r['non_2xx_3xx']}  "
            f"CPU/request: gunicorn {r['gunicorn_cpu_us_per_request']:5.0f} µs, redis "
            f"{r['redis_cpu_us_per_request']:4.0f} µs, wrk {r['wrk_cpu_s']:.1f} s in all  "
            f"DB transactions {r['db_transactions']:,}")


def check_page(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=120) as response:
        body = response.read()
        return {"status": response.status, "bytes": len(body),
                "headers": dict(response.headers.items())}


def main(argv=None) -> int:
    args = parse_args(argv)
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: `apt-get install -y wrk` (Debian's package), then run "
                 "this again")
    run = RunClock()
    bootstrap.use_repository()
    redis = start_redis()
    try:
        db = bootstrap.setup_django(args.database, redis_url=redis.url)
        info = bootstrap.machine(db.server_version)
        print(bootstrap.machine_line(info), flush=True)
        t0 = time.perf_counter()
        items = build(args.items)
        print(f"released {len(items)} items on /gk/{CODE}/ in {time.perf_counter() - t0:.1f} s",
              flush=True)
        var_dir = tempfile.mkdtemp(prefix="bench-column-")
        env = gunicorn_env(db.url, redis.url, var_dir)
        path = f"/gk/{CODE}/items/{items[len(items) // 2]}/"
        print(f"wrk -t {args.threads} -c {args.connections} -d {args.duration}s on {path}",
              flush=True)
        runs = []
        for i, config in enumerate(args.configs):
            proc, port = start_gunicorn(config, env)
            base = f"http://127.0.0.1:{port}"
            try:
                page = check_page(base + path)  # fills the cache
                assert page["status"] == 200, page
                # an idle backend reports its transactions up to 10 s late (PostgreSQL 15):
                # the fill's must not be counted in the run
                time.sleep(11)
                pids = [proc.pid, *children(proc.pid)]
                cached = load(base + path, args, pids, redis.proc.pid, db)
                runs.append({"config": config, "page": "cached", **cached})
                print(line(f"{config['name']}, cached item page", cached), flush=True)
                if i == 0 and not args.no_uncached:
                    rendered = load(base + path + "?from=bench", args, pids, redis.proc.pid,
                                    db)
                    runs.append({"config": config, "page": "rendered", **rendered})
                    print(line(f"{config['name']}, rendered every time", rendered), flush=True)
            finally:
                PROCESSES.stop(proc)
    finally:
        PROCESSES.stop_all()
    best = max((r for r in runs if r["page"] == "cached"), key=lambda r: r["rps"])
    ok = best["rps"] >= TARGET_RPS and best["socket_errors"] + best["non_2xx_3xx"] == 0
    lines = ["SUMMARY  a cached item page of the public column through gunicorn, wrk on loopback",
             f"  {bootstrap.machine_line(info)}",
             f"  page {path} ({page['bytes']:,} bytes), {args.items} released items; wrk "
             f"-t {args.threads} -c {args.connections} -d {args.duration}s; production "
             "settings, Redis cache"]
    lines += [line(f"{r['config']['name']}, {r['page']}", r) for r in runs]
    per_request = (best["gunicorn_cpu_s"] + best["redis_cpu_s"] + best["wrk_cpu_s"]) / max(
        best["requests"], 1)
    lines.append(f"  CPU per cached request, {best['config']['name']}: gunicorn + redis + wrk "
                 f"{1e3 * per_request:.2f} ms, i.e. ≈ {(os.cpu_count() or 1) / per_request:,.0f} "
                 f"req/s if the {os.cpu_count()} CPUs were this run's alone (derived)")
    lines.append(f"  target ≥ {TARGET_RPS:,.0f} req/s (cached, 0 errors): "
                 f"{'MET' if ok else 'NOT MET'} (best {best['config']['name']}: "
                 f"{best['rps']:,.0f} req/s); load average now {bootstrap.load_avg()}")
    lines.append(f"  run: {run.line()}")
    print("\n" + "\n".join(lines))
    RESULTS_DIR.mkdir(exist_ok=True)
    (RESULTS_DIR / "public_cache.json").write_text(json.dumps(
        {"args": {**vars(args)}, "machine": info, "path": path, "page": page, "runs": runs,
         "target_rps": TARGET_RPS, "target_met": ok, "run": run.report()},
        ensure_ascii=False, indent=2, default=str))
    print(f"results: {RESULTS_DIR / 'public_cache.json'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
