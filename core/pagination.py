from django.core.paginator import Paginator as DjangoPaginator
from django.db.models import Count, Window
from django.utils.translation import gettext as _
from rest_framework.exceptions import NotFound
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
        start = (number - 1) * size
        rows = list(queryset.annotate(_total=Window(Count("pk")))
                    .values_list("pk", "_total")[start:start + size])
        self.total = rows[0][1] if rows else queryset.count()
        if not rows and number > 1:
            raise NotFound(_("无效页码。"))
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
        start = (number - 1) * self.per_page
        rows = list(self.object_list.annotate(_total=Window(Count("pk")))
                    .values_list(*self.fields, "_total")[start:start + self.per_page])
        if rows:
            self.__dict__["count"] = rows[0][-1]
            return self._get_page([self._row(row) for row in rows], number, self)
        if number == 1:
            self.__dict__["count"] = 0
            return self._get_page([], 1, self)
        return self.get_page(self.num_pages)  # past the end: the last page (counted)
