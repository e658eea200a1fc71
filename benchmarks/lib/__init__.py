"""Code shared by the benchmark scripts in benchmarks/ (which are not tests).

A script is run by path (`.venv/bin/python benchmarks/NAME.py`), so Python puts
benchmarks/ first on sys.path and `from lib import …` finds this package;
`lib.bootstrap` adds the repository root for the project's own modules.

    bootstrap  Django on a dedicated PostgreSQL database; machine, date and commit
    timing     percentiles; wall-clock and CPU time side by side; timed build steps
    queries    SQL capture: statements per call, by kind and by shape
    pipeline   items driven through the service layer, as people would
    data       bulk history: copies of items that the real services wrote; rows in SQL
    released   released items at scale, in SQL (statistics, the annual report's table 二)
    register   the 依申请公开 register at scale (queues, the annual report's tables 三, 四)
    corpus     generated agency prose for the pre-scan benchmark
    receiver   loopback webhook receiver that counts every webhook-id
    workers    a private redis-server and `celery worker` subprocesses
    probes     timers around the steps of releases.delivery (in-process or in workers)
    sampling   CPU per process group from /proc, pg_stat_activity samples
"""
