"""The Celery app. Without REDIS_URL, tasks run eagerly in-process (embedded mode)."""

import os

from celery import Celery
from celery.signals import task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")

app = Celery("disclosure")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_prerun.connect(dispatch_uid="config.celery.check_connections")
def check_connections(task=None, **kwargs):
    """Before each task, as Django does before each request: a connection with errors or
    past its age is closed, and the next use checks the one kept (CONN_HEALTH_CHECKS), so a
    connection PostgreSQL dropped is replaced. Celery's own fixup, reusing connections
    (CELERY_DB_REUSE_MAX), checks nothing for a thousand tasks."""
    from django.db import close_old_connections

    if task is not None and getattr(task.request, "is_eager", False):
        return  # in-process (embedded mode, tests): the caller's connection, maybe mid-transaction
    close_old_connections()
