"""Several writes in one SQL statement (PostgreSQL data-modifying CTEs), for the hot
paths whose statements are counted (docs/statements.md).

`insert_sql` gives the INSERT Django itself would send for model instances (its own
compiler: columns, defaults, auto_now_add, value preparation), so that a caller can put
it in a `WITH … AS (…)` next to the write that depends on it and send both at once.
Only PostgreSQL runs such statements: `combined_writes()` says whether to, and callers
keep the plain ORM path for the embedded SQLite mode.
"""

from django.db import connections
from django.db.models.sql import InsertQuery, UpdateQuery


def combined_writes(using="default") -> bool:
    """Whether the database takes INSERT/UPDATE inside WITH (PostgreSQL) and returns the
    rows of a multi-row INSERT (the combined INSERTs read their ids back); elsewhere the
    callers keep the plain ORM path."""
    connection = connections[using]
    return (connection.vendor == "postgresql"
            and connection.features.can_return_rows_from_bulk_insert)


def insert_sql(objs, *, model=None, returning=True, using="default") -> tuple[str, tuple]:
    """(sql, params) of one INSERT of `objs` (instances of one model, not yet saved) into
    the table of `model` (default: theirs; a parent model for multi-table inheritance),
    RETURNING the columns Django reads back after an insert (the id) when `returning`."""
    model = model or type(objs[0])
    meta = model._meta
    fields = [f for f in meta.local_concrete_fields
              if not (f is meta.auto_field and all(o.pk is None for o in objs))]
    query = InsertQuery(model)
    query.insert_values(fields, objs)
    compiler = query.get_compiler(using=using)
    compiler.returning_fields = meta.db_returning_fields if returning else None
    [(sql, params)] = compiler.as_sql()
    return sql, tuple(params)


def saved(objs, rows, using="default"):
    """Mark `objs` as inserted, with the values RETURNING gave (one row per object)."""
    meta = type(objs[0])._meta
    for obj, row in zip(objs, rows, strict=True):
        for field, value in zip(meta.db_returning_fields, row, strict=True):
            setattr(obj, field.attname, value)
        obj._state.adding = False
        obj._state.db = using
    return objs


def insert_child_sql(obj, *, parent_alias: str, using="default") -> tuple[str, tuple]:
    """(sql, params) of the INSERT of `obj`'s own table under multi-table inheritance,
    its link to the parent row taken from the `id` of the CTE `parent_alias` (the parent's
    INSERT … RETURNING id), RETURNING that link."""
    meta = type(obj)._meta
    connection = connections[using]
    qn = connection.ops.quote_name
    link = meta.pk
    fields = [f for f in meta.local_concrete_fields if f is not link]
    values = tuple(f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields)
    columns = ", ".join(qn(f.column) for f in (link, *fields))
    placeholders = ", ".join(["%s"] * len(fields))
    sql = (f"INSERT INTO {qn(meta.db_table)} ({columns}) SELECT id, {placeholders} "
           f"FROM {parent_alias} RETURNING {qn(link.column)}")
    return sql, values


def update_sql(queryset, **values) -> tuple[str, tuple]:
    """(sql, params) of `queryset.update(**values)` (fields of the queryset's own table)."""
    query = queryset.query.chain(UpdateQuery)
    query.add_update_values(values)
    assert not query.related_updates, "only fields of the model's own table"
    sql, params = query.get_compiler(queryset.db).as_sql()
    return sql, tuple(params)


def together(*statements, using="default") -> list:
    """Send (sql, params) writes as one statement on PostgreSQL (all but the last as CTEs;
    they see the same snapshot, so none may depend on another's effect), one by one
    elsewhere. Returns the rows of the last, if it returns any."""
    connection = connections[using]
    with connection.cursor() as cursor:
        if not combined_writes(using):
            for sql, params in statements:
                cursor.execute(sql, params)
        else:
            *first, (last, last_params) = statements
            ctes = ", ".join(f"w{i} AS ({sql})" for i, (sql, _params) in enumerate(first))
            params = tuple(p for _sql, ps in first for p in ps) + tuple(last_params)
            cursor.execute(f"WITH {ctes} {last}" if first else last, params)
        return cursor.fetchall() if cursor.description else []
