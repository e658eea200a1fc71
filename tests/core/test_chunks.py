"""Long ordered reads a chunk at a time (core.chunks), as the chain walk and the trail's CSV
read them: every row once, in order, one ordinary query per chunk."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.chunks import keyset_chunks
from workdays.models import Holiday

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("key", ["date", "-date"])
@pytest.mark.parametrize("size", [1, 7, 10_000])
def test_every_row_comes_once_and_in_order_across_chunk_edges(key, size):
    rows = Holiday.objects.filter(date__year=2024)
    expected = list(rows.order_by(key).values_list("date", flat=True))
    assert len(expected) > 7  # the seeded calendar: several chunks of 7
    with CaptureQueriesContext(connection) as queries:
        got = [holiday.date for holiday in keyset_chunks(rows, key=key, size=size)]
    assert got == expected
    # a full last chunk costs one more (empty) query; none is a cursor
    assert len(queries) in (-(-len(expected) // size), len(expected) // size + 1)
    assert not any("DECLARE" in q["sql"] or "FETCH" in q["sql"] for q in queries)


def test_an_empty_queryset_costs_one_query():
    with CaptureQueriesContext(connection) as queries:
        assert list(keyset_chunks(Holiday.objects.none().filter(pk=0), key="pk", size=5)) == []
    assert len(queries) <= 1
