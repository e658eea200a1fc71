"""GET /api/v1/reports/annual/overview/?agency=CODE&year=YYYY[&format=xlsx] — the annual
reports of a parent agency's subordinates (disclosure.report_overview), as JSON or as a
workbook for the supervising office."""

from django.http import HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from agencies.models import Agency
from core.errors import NotFound

from . import report_overview
from .api import MAX_YEAR, MIN_YEAR

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class OverviewQuerySerializer(serializers.Serializer):
    agency = serializers.SlugField(max_length=64, help_text="上级机关代码，如 wenxian_gov")
    year = serializers.IntegerField(min_value=MIN_YEAR, max_value=MAX_YEAR, help_text="报告年度")
    format = serializers.ChoiceField(choices=["json", "xlsx"], required=False, default="json")


OVERVIEW = inline_serializer("AnnualReportOverview", fields={
    "agency": serializers.CharField(), "year": serializers.IntegerField(),
    "due_on": serializers.DateField(),
    "agencies": serializers.ListField(child=inline_serializer("SubordinateReport", fields={
        "agency": serializers.CharField(), "name": serializers.CharField(),
        "parent": serializers.CharField(), "depth": serializers.IntegerField(),
        "status": serializers.ChoiceField(choices=report_overview.OverviewStatus.choices),
        "version": serializers.IntegerField(allow_null=True),
        "due_on": serializers.DateField(), "days_to_due": serializers.IntegerField(),
        "failing_checks": serializers.ListField(child=serializers.DictField()),
        "publication": serializers.IntegerField(allow_null=True),
    })),
    "summary": serializers.ListField(child=serializers.DictField()),
    "summary_total": serializers.DictField(allow_null=True),
})


class AnnualReportOverviewView(APIView):
    """Where each subordinate agency's annual report stands, and tables 二–四 side by side
    (年度报告汇总), for the parent agency's supervisors."""

    def perform_content_negotiation(self, request, force=False):
        # `?format=xlsx` names the file to answer, not one of DRF's renderers: an unknown
        # one is the query's 400, not DRF's 404 (as for the report itself)
        return super().perform_content_negotiation(request, force=True)

    @extend_schema(parameters=[OverviewQuerySerializer], responses={
        200: OpenApiResponse(OVERVIEW, description="JSON; with format=xlsx the workbook"),
        (200, XLSX): OpenApiTypes.BINARY})
    def get(self, request):
        query = OverviewQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        agency = Agency.objects.filter(code=query.validated_data["agency"]).first()
        if agency is None or not report_overview.can_supervise(request.user, agency):
            raise NotFound(_("未找到该机关。"))
        data = report_overview.overview(agency=agency, year=query.validated_data["year"])
        if query.validated_data["format"] == "xlsx":
            response = HttpResponse(report_overview.overview_xlsx(data), content_type=XLSX)
            response["Content-Disposition"] = report_overview.overview_content_disposition(
                data)
            return response
        return Response(data)
