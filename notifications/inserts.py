"""Writing notices in one statement: INSERT INTO notifications_notification ... SELECT.

The `notify_*` services run inside every review action's transaction, so each statement
they issue is paid on the hot path. Who is told comes from a query (everyone who may claim
a task, an item's drafter); rather than reading those people into Python and inserting
them back, the query feeds the insert, and RETURNING hands back the new ids for the e-mail
task (PostgreSQL, and SQLite from 3.35; without it, one more SELECT finds them).
"""

from django.db import connection
from django.db.models import Value
from django.db.models.constants import OnConflict
from django.utils import timezone

from .models import Notification


def insert_notices(rows, *, ignore_conflicts=False, **columns) -> list[int]:
    """One notice per row of the queryset `rows`, in one statement; returns the new ids.

    `columns` gives each column written (by attname: recipient_id, kind, ...) as an
    expression over `rows` (e.g. F("pk") for the recipient) or as a plain value; read_at and
    emailed_at stay empty. With `ignore_conflicts`, a row that a unique constraint refuses is
    skipped (ON CONFLICT DO NOTHING; INSERT OR IGNORE on SQLite) and returns no id.
    """
    now = timezone.now()
    columns = {**columns, "created_at": now}
    fields = {name: Notification._meta.get_field(name) for name in columns}
    select = rows.order_by().values(**{
        # prefixed: the names of the source's own fields (a person's agency_id) are taken
        f"new_{name}": (value if hasattr(value, "resolve_expression")
                        else Value(value, output_field=fields[name]))
        for name, value in columns.items()})
    select_sql, params = select.query.sql_with_params()
    ops = connection.ops
    on_conflict = OnConflict.IGNORE if ignore_conflicts else None
    returning = connection.features.can_return_rows_from_bulk_insert
    sql = " ".join(part for part in (
        ops.insert_statement(on_conflict=on_conflict),
        ops.quote_name(Notification._meta.db_table),
        "(" + ", ".join(ops.quote_name(field.column) for field in fields.values()) + ")",
        select_sql,
        ops.on_conflict_suffix_sql(list(fields.values()), on_conflict, None, None),
        ops.return_insert_columns([Notification._meta.pk])[0] if returning else "",
    ) if part)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        if returning:
            return [pk for (pk,) in cursor.fetchall()]
    # No RETURNING: the rows of this statement are those with all its constant columns,
    # its own created_at among them.
    constants = {name: value for name, value in columns.items()
                 if not hasattr(value, "resolve_expression")}
    return list(Notification.objects.filter(**constants).values_list("pk", flat=True))
