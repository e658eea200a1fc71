"""WindowPaginator: the page and its total from one query, with Django's get_page rules."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from agencies.models import Section
from core.pagination import WindowPaginator

pytestmark = pytest.mark.django_db


@pytest.fixture
def sections(org):
    for n in range(21):
        Section.objects.create(agency=org.agency, code=f"s{n:02}", name=f"科室{n}")
    return Section.objects.filter(code__startswith="s").order_by("code")


def test_a_page_and_its_total_come_from_one_query(sections):
    with CaptureQueriesContext(connection) as queries:
        page = WindowPaginator(sections, 10).get_page("2")
        assert page.paginator.count == 21 and page.paginator.num_pages == 3
    assert len(queries) == 1
    assert page.number == 2 and page.has_previous() and page.has_next()
    assert list(page.object_list) == list(sections.values_list("pk", flat=True)[10:20])


def test_bad_and_out_of_range_numbers_behave_as_get_page(sections):
    assert WindowPaginator(sections, 10).get_page("x").number == 1
    assert WindowPaginator(sections, 10).get_page("0").number == 1
    last = WindowPaginator(sections, 10).get_page("99")
    assert last.number == 3 and len(last.object_list) == 1 and not last.has_next()


def test_several_fields_and_an_empty_list(sections):
    page = WindowPaginator(sections, 5, fields=("pk", "code")).get_page(1)
    assert page.object_list[0] == (sections[0].pk, "s00")
    empty = WindowPaginator(sections.none(), 5).get_page(1)
    assert empty.paginator.count == 0 and list(empty.object_list) == []


def test_a_page_number_no_list_reaches_is_past_the_end_not_an_error(sections):
    from django.core.paginator import EmptyPage

    from core.pagination import ObjectWindowPaginator

    assert WindowPaginator(sections, 10).get_page(str(10**25)).number == 3
    with pytest.raises(EmptyPage):
        ObjectWindowPaginator(sections, 10).page(str(10**25))
    page = ObjectWindowPaginator(sections, 10).get_page("3")
    assert [s.code for s in page.object_list] == ["s20"] and page.paginator.count == 21
