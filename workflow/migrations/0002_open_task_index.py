"""A partial index on viewflow's task table covering only open tasks.

Queues read open tasks of one step oldest first; without it PostgreSQL walks the
`created` index past every finished task in history (measured: ~90 ms with 500k
tasks). The included columns let the queue filter without visiting the table.
"""

from django.db import migrations

CREATE = """
CREATE INDEX IF NOT EXISTS workflow_open_review_tasks
    ON viewflow_task (flow_task, created, id) INCLUDE (process_id, owner_id, status)
    WHERE status IN ('NEW', 'ASSIGNED')
"""
CREATE_SQLITE = """
CREATE INDEX IF NOT EXISTS workflow_open_review_tasks
    ON viewflow_task (flow_task, created, id, process_id, owner_id, status)
    WHERE status IN ('NEW', 'ASSIGNED')
"""
DROP = "DROP INDEX IF EXISTS workflow_open_review_tasks"


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor in ("postgresql", "sqlite"):
        schema_editor.execute(CREATE if vendor == "postgresql" else CREATE_SQLITE, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor in ("postgresql", "sqlite"):
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("workflow", "0001_initial"), ("viewflow", "0015_task_scheduled")]
    operations = [migrations.RunPython(forwards, backwards)]
