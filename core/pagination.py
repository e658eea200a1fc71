from dataclasses import dataclass

from django.core.paginator import EmptyPage, PageNotAnInteger
from django.core.paginator import Paginator as DjangoPaginator
from django.db.models import Count, QuerySet, Window
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


class IdPageWithCount(Pagination):
    """Pages a narrow queryset by primary key, counting with COUNT(*) OVER () in the same query.

    For hot lists whose filter is the expensive part (the review queue): the filter
    runs once per request instead of once for the count and once for the page. The
    view turns the page of ids into objects. Same response shape as `Pagination`.
    """

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        size = self.get_page_size(request)
        try:
            number = int(request.query_params.get(self.page_query_param, 1))
        except (TypeError, ValueError):
            number = 0
        if number < 1:
            raise NotFound(_("无效页码。"))
        rows = counted_slice(queryset, ("pk",), start=(number - 1) * size, size=size)
        if not rows and number > 1:
            raise NotFound(_("无效页码。"))
        # an empty first page counts nothing: the list is empty (a person polling an empty
        # queue, most of a quiet day, costs one query here, not two)
        self.total = rows[0][1] if rows else 0
        self.number, self.size = number, size
        return [pk for pk, _total in rows]

    def get_paginated_response(self, data):
        return Response({"count": self.total, "next": self.get_next_link(),
                         "previous": self.get_previous_link(), "results": data})

    def get_next_link(self):
        if self.number * self.size >= self.total:
            return None
        return replace_query_param(self.request.build_absolute_uri(), self.page_query_param,
                                   self.number + 1)

    def get_previous_link(self):
        if self.number <= 1:
            return None
        url = self.request.build_absolute_uri()
        if self.number == 2:
            return remove_query_param(url, self.page_query_param)
        return replace_query_param(url, self.page_query_param, self.number - 1)


_LARGEST_OFFSET = 2**62


def counted_slice(queryset, fields, *, start: int, size: int) -> list[tuple]:
    """Rows `start` to `start + size` of `queryset` as tuples of `fields`, each ending with
    the queryset's total (COUNT(*) OVER ()): the page and its count in one query. A start
    no list reaches (past PostgreSQL's bigint OFFSET, which would be an error) has none."""
    if start > _LARGEST_OFFSET:
        return []
    return list(queryset.annotate(_total=Window(Count("pk")))
                .values_list(*fields, "_total")[start:start + size])


class WindowPaginator(DjangoPaginator):
    """Django's paginator for a narrow queryset whose filter is the expensive part (its
    rows: tuples of `fields`, or the values of a single one):
    the page and the total come from one query (COUNT(*) OVER ()), where Django's runs the
    filter twice (COUNT(*), then the slice). Out-of-range and bad page numbers behave as
    `get_page` does (the last page, the first page); only a page past the end costs a
    second query, to find the last page."""

    def __init__(self, queryset, per_page, *, fields=("pk",)):
        super().__init__(queryset, per_page)
        self.fields = tuple(fields)

    def _row(self, values):
        return values[0] if len(self.fields) == 1 else values[:-1]

    def get_page(self, number):
        try:
            number = max(int(number), 1)
        except (TypeError, ValueError):
            number = 1
        return self._window_page(number)

    def _window_page(self, number):
        rows = counted_slice(self.object_list, self.fields,
                             start=(number - 1) * self.per_page, size=self.per_page)
        if rows:
            self.__dict__["count"] = rows[0][-1]
            return self._get_page([self._row(row) for row in rows], number, self)
        if number == 1:
            self.__dict__["count"] = 0
            return self._get_page([], 1, self)
        return self._window_page(self.num_pages)  # past the end: the last page (counted)


class ObjectWindowPaginator(WindowPaginator):
    """`WindowPaginator` for a list of model objects: the page's ids and the total come
    from one query, then the page's rows (with their select_related and prefetch_related)
    from a second one by primary key. Django's paginator also costs two, but runs the
    filter twice (COUNT(*), then the slice); here the second query reads only the page's
    rows by primary key. `page()` is Django's (out-of-range pages raise `InvalidPage`), so
    REST framework's page-number pagination can use it; a list that is not a queryset is
    paged as Django does."""

    def __init__(self, object_list, per_page, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.fields = ("pk",)

    def _objects(self, ids):
        by_pk = {obj.pk: obj for obj in self.object_list.filter(pk__in=set(ids)).order_by()}
        return [by_pk[pk] for pk in ids if pk in by_pk]

    def get_page(self, number):
        if not isinstance(self.object_list, QuerySet):
            return DjangoPaginator.get_page(self, number)
        page = super().get_page(number)
        page.object_list = self._objects(page.object_list)
        return page

    def page(self, number):
        if not isinstance(self.object_list, QuerySet):
            return DjangoPaginator.page(self, number)
        try:
            number = int(number)
        except (TypeError, ValueError) as error:
            raise PageNotAnInteger(_("无效页码。")) from error
        if number < 1:
            raise EmptyPage(_("无效页码。"))
        page = self._window_page(number)
        if page.number != number:  # past the end: Django's page() refuses it
            raise EmptyPage(_("无效页码。"))
        page.object_list = self._objects(page.object_list)
        return page


class WindowPagination(Pagination):
    """The API's default pagination: `Pagination`'s pages and response, each counted in the
    query that reads the page (`ObjectWindowPaginator`)."""

    django_paginator_class = ObjectWindowPaginator


# --- keyset pages -----------------------------------------------------------------------------

_CURSOR_SIDES = ("before", "after")
_LARGEST_KEY = 2**63 - 1


class BadCursor(ValueError):
    """A cursor this site did not make (edited or cut short): the list answers 400."""

    message = gettext_lazy("翻页参数无效，请从第一页重新浏览。")


def parse_cursor(value: str) -> tuple[str, int]:
    """("before" | "after", key) from a cursor such as "before-1234"."""
    side, _dash, key = (value or "").partition("-")
    if side not in _CURSOR_SIDES or not key.isascii() or not key.isdigit():
        raise BadCursor(value)
    key = int(key)
    if not 0 < key <= _LARGEST_KEY:
        raise BadCursor(value)
    return side, key


@dataclass(frozen=True)
class KeysetPage:
    """One page of a list paged by a unique, ever-growing key (the audit trail's `seq`):
    `before` and `after` are the cursors of the rows with smaller and with larger keys
    (None where there are none). A page stays the same when rows are added at either end."""

    rows: list
    before: str | None
    after: str | None


def keyset_page(queryset, *, key: str, size: int, descending: bool, cursor: str = "",
                offset: int = 0) -> KeysetPage:
    """The page of `queryset` that `cursor` names (the first page without one), its rows in
    key order (`descending`: largest first). Reads `size` + 1 rows through an index on the
    key (the list's filter columns first), whatever the page's depth; a page after a cursor
    costs one more query (is there anything on the other side?). `offset` serves old
    page-number links: the rows from there on, then cursors as usual.

    Raises BadCursor."""
    side, bound = parse_cursor(cursor) if cursor else (None, None)
    if side == "after":
        scan = queryset.filter(**{f"{key}__gt": bound}).order_by(key)
    elif side == "before":
        scan = queryset.filter(**{f"{key}__lt": bound}).order_by(f"-{key}")
    else:
        scan = queryset.order_by(f"-{key}" if descending else key)
    rows = list(scan[offset:offset + size + 1])
    more = len(rows) > size
    rows = rows[:size]
    scanned_descending = side == "before" or (side is None and descending)
    if scanned_descending != descending:
        rows.reverse()
    if not rows:  # past either end (a cursor made by hand): nowhere to go from here
        return KeysetPage(rows=[], before=None, after=None)
    if side is None:  # the first page, or an old page number
        below, above = (more, offset > 0) if descending else (offset > 0, more)
    elif side == "before":
        below, above = more, queryset.filter(**{f"{key}__gte": bound}).exists()
    else:
        below, above = queryset.filter(**{f"{key}__lte": bound}).exists(), more
    keys = [getattr(row, key) for row in rows]
    return KeysetPage(rows=rows, before=f"before-{min(keys)}" if below else None,
                      after=f"after-{max(keys)}" if above else None)


def count_up_to(queryset, limit: int) -> tuple[int, bool]:
    """(how many rows, exact?): counts at most `limit` + 1 rows, so a total costs the same
    on a trail of a thousand events and of millions."""
    counted = queryset.order_by()[:limit + 1].count()
    return min(counted, limit), counted <= limit


class KeysetPagination(WindowPagination):
    """`Pagination`'s response ({"count","next","previous","results"}) over a list paged by a
    unique, ever-growing key (`key`, in `descending` order or not): `next` and `previous`
    carry `?cursor=`, so following them never skips nor repeats a row while rows are
    added. `?page=` (without a cursor) still answers as page-number pagination. A cursor
    this site did not make is a 400 on `cursor`."""

    key = "seq"
    descending = False
    cursor_query_param = "cursor"

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        cursor = request.query_params.get(self.cursor_query_param, "")
        self.keyset = None
        if not cursor and self.page_query_param in request.query_params:
            return super().paginate_queryset(queryset, request, view)
        try:
            self.keyset = keyset_page(queryset, key=self.key, size=self.get_page_size(request),
                                      descending=self.descending, cursor=cursor)
        except BadCursor as error:
            raise ValidationError({self.cursor_query_param: [str(error.message)]}) from error
        self.total = queryset.count()
        return self.keyset.rows

    def _cursor_link(self, cursor):
        if cursor is None:
            return None
        url = remove_query_param(self.request.build_absolute_uri(), self.page_query_param)
        return replace_query_param(url, self.cursor_query_param, cursor)

    def get_paginated_response(self, data):
        if self.keyset is None:
            return super().get_paginated_response(data)
        forward, backward = ((self.keyset.before, self.keyset.after) if self.descending
                             else (self.keyset.after, self.keyset.before))
        return Response({"count": self.total, "next": self._cursor_link(forward),
                         "previous": self._cursor_link(backward), "results": data})

    def get_schema_operation_parameters(self, view):
        return [*super().get_schema_operation_parameters(view), {
            "name": self.cursor_query_param, "required": False, "in": "query",
            "description": "the `next` or `previous` link's cursor (before-<seq>, after-<seq>)",
            "schema": {"type": "string"}}]
