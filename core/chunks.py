"""Reading a long, ordered queryset a chunk at a time by keyset: each chunk is one ordinary
query (`WHERE key > last ORDER BY key LIMIT n`), so memory stays bounded and no cursor
outlives a statement.

Why not `QuerySet.iterator()`: on PostgreSQL it reads through a server-side cursor, which a
PgBouncer in transaction pooling mode cannot keep between transactions (DB_POOLER=pgbouncer
switches those cursors off); without one, psycopg fetches the whole result at once, and an
agency's audit chain runs to millions of events.
"""

from collections.abc import Iterator

from django.db.models import QuerySet


def keyset_chunks(queryset: QuerySet, *, key: str, size: int) -> Iterator:
    """The rows of `queryset` ordered by `key` ("seq", or "-seq" for descending), read `size`
    at a time. `key` must be unique within the queryset (an agency's `seq`), or rows that
    share a value at a chunk's edge would be skipped."""
    field = key.lstrip("-")
    after = f"{field}__lt" if key.startswith("-") else f"{field}__gt"
    ordered = queryset.order_by(key)
    chunk = list(ordered[:size])
    while chunk:
        yield from chunk
        if len(chunk) < size:
            return
        chunk = list(ordered.filter(**{after: getattr(chunk[-1], field)})[:size])
