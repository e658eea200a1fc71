"""A partial index on viewflow's task table: the open tasks of a round.

The queues start from the rounds within a person's reach (their agency's open rounds,
`selectors._among`) and look up those rounds' open tasks here, so a queue reads its own
agency's rows whatever the size of the platform. The included columns let it filter and
order without visiting the table.
"""

from django.db import migrations

CREATE = """
CREATE INDEX IF NOT EXISTS workflow_open_tasks_by_round
    ON viewflow_task (process_id) INCLUDE (id, flow_task, status, owner_id, created)
    WHERE status IN ('NEW', 'ASSIGNED')
"""
CREATE_SQLITE = """
CREATE INDEX IF NOT EXISTS workflow_open_tasks_by_round
    ON viewflow_task (process_id, flow_task, status, owner_id, created)
    WHERE status IN ('NEW', 'ASSIGNED')
"""
DROP = "DROP INDEX IF EXISTS workflow_open_tasks_by_round"


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor in ("postgresql", "sqlite"):
        schema_editor.execute(CREATE if vendor == "postgresql" else CREATE_SQLITE, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor in ("postgresql", "sqlite"):
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("workflow", "0004_substitution")]
    operations = [migrations.RunPython(forwards, backwards)]
