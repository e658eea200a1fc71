"""REST API of the annual report: /api/v1/reports/annual/ (read, edit the narrative),
…/finalize/, …/new-version/, …/submit/, …/opening-balance/. Views parse and call
disclosure.report_services; the report's shape is disclosure.reports.live_report's."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from agencies.models import Agency
from core.errors import NotFound

from . import report_services, reports
from .api import MAX_YEAR, MIN_YEAR
from .models import AnnualReport, ReportStatus


class ReportQuerySerializer(serializers.Serializer):
    agency = serializers.SlugField(max_length=64)
    year = serializers.IntegerField(min_value=MIN_YEAR, max_value=MAX_YEAR)


class ReadQuerySerializer(ReportQuerySerializer):
    version = serializers.IntegerField(min_value=1, max_value=999, required=False)
    format = serializers.ChoiceField(choices=["json", "docx", "pdf", "html", "xlsx"],
                                     required=False, default="json")


class SectionsSerializer(serializers.Serializer):
    sections = serializers.DictField(child=serializers.CharField(
        allow_blank=True, allow_null=True, max_length=report_services.MAX_SECTION_LENGTH))


class SubmitSerializer(ReportQuerySerializer):
    section = serializers.SlugField(max_length=64, required=False)


class OpeningBalanceSerializer(ReportQuerySerializer):
    counts = serializers.DictField(child=serializers.IntegerField(min_value=0))


REPORT = inline_serializer("AnnualReport", fields={
    "agency": serializers.CharField(), "year": serializers.IntegerField(),
    "status": serializers.ChoiceField(choices=ReportStatus.choices),
    "version": serializers.IntegerField(), "fingerprint": serializers.CharField(),
    "table2": serializers.DictField(), "released_by_channel": serializers.DictField(),
    "table3": serializers.DictField(), "table4": serializers.DictField(),
    "checks": serializers.ListField(child=serializers.DictField()),
    "sections": serializers.DictField(child=serializers.CharField()),
})


def _agency(user, code) -> Agency:
    agency = Agency.objects.filter(code=code).first()
    if agency is None or not report_services.can_read(user, agency):
        raise NotFound(_("未找到该机关。"))
    return agency


def _valid(serializer_class, data) -> dict:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def report_of(agency, year: int, version: int | None = None) -> dict:
    """The report as GET answers it: the frozen content of a final version (with what the
    live figures now say differently), or the live draft."""
    versions = list(AnnualReport.objects.filter(agency=agency, year=year).order_by("version"))
    if version is not None:
        chosen = next((r for r in versions if r.version == version), None)
        if chosen is None:
            raise NotFound(_("没有第 %(v)s 版。") % {"v": version})
    else:
        chosen = versions[-1] if versions else None
    if chosen is not None and chosen.status == ReportStatus.FINAL:
        content = dict(chosen.snapshot)
        content["changed_since_finalised"] = reports.changes_since(
            chosen.snapshot, reports.figures(agency=agency, year=year))
        content["finalised_at"] = chosen.finalised_at
        content["publication"] = chosen.publication_id
    else:
        content = reports.live_report(agency=agency, year=year, report=chosen)
    content["versions"] = [{"version": r.version, "status": r.status,
                            "fingerprint": r.fingerprint or None} for r in versions]
    return content


class AnnualReportView(APIView):
    """The annual report of an agency and year (政府信息公开工作年度报告)."""

    def perform_content_negotiation(self, request, force=False):
        # `?format=docx` names the file to answer (the contract), not one of DRF's renderers:
        # negotiation must not turn it into a 404
        return super().perform_content_negotiation(request, force=True)

    @extend_schema(parameters=[ReadQuerySerializer], responses=REPORT)
    def get(self, request):
        query = _valid(ReadQuerySerializer, request.query_params)
        agency = _agency(request.user, query["agency"])
        content = report_of(agency, query["year"], query.get("version"))
        if query["format"] != "json":
            from .report_files import file_response

            return file_response(content, query["format"])
        return Response(content)

    @extend_schema(parameters=[ReportQuerySerializer], request=SectionsSerializer,
                   responses=REPORT)
    def patch(self, request):
        query = _valid(ReportQuerySerializer, request.query_params)
        agency = _agency(request.user, query["agency"])
        data = _valid(SectionsSerializer, request.data)
        report_services.edit_sections(user=request.user, agency=agency, year=query["year"],
                                      sections=data["sections"])
        return Response(report_of(agency, query["year"]))


class FinalizeView(APIView):
    @extend_schema(request=ReportQuerySerializer, responses={200: REPORT, 409: inline_serializer(
        "FailingChecks", fields={"detail": serializers.CharField(),
                                 "checks": serializers.ListField(child=serializers.DictField())})})
    def post(self, request):
        data = _valid(ReportQuerySerializer, request.data)
        agency = _agency(request.user, data["agency"])
        report, failing = report_services.finalise(user=request.user, agency=agency,
                                                   year=data["year"])
        if failing:
            return Response({"detail": _("年度报告未通过校核，不能定稿：%(first)s") % {
                "first": failing[0]["message"]}, "checks": failing},
                status=status.HTTP_409_CONFLICT)
        return Response(report_of(agency, data["year"]))


class NewVersionView(APIView):
    @extend_schema(request=ReportQuerySerializer, responses={201: REPORT})
    def post(self, request):
        data = _valid(ReportQuerySerializer, request.data)
        agency = _agency(request.user, data["agency"])
        report_services.new_version(user=request.user, agency=agency, year=data["year"])
        return Response(report_of(agency, data["year"]), status=status.HTTP_201_CREATED)


class SubmitView(APIView):
    @extend_schema(request=SubmitSerializer, responses=inline_serializer(
        "SubmittedReport", fields={"publication": serializers.IntegerField()}))
    def post(self, request):
        data = _valid(SubmitSerializer, request.data)
        agency = _agency(request.user, data["agency"])
        from .report_files import submission_parts

        report = report_services.submit(
            user=request.user, agency=agency, year=data["year"], section=data.get("section"),
            render=lambda snapshot: submission_parts(snapshot, user=request.user))
        return Response({"publication": report.publication_id})


class OpeningBalanceView(APIView):
    @extend_schema(request=OpeningBalanceSerializer, responses={201: inline_serializer(
        "OpeningBalance", fields={"year": serializers.IntegerField(),
                                  "counts": serializers.DictField()})})
    def post(self, request):
        data = _valid(OpeningBalanceSerializer, request.data)
        agency = _agency(request.user, data["agency"])
        balance = report_services.enter_opening_balance(
            user=request.user, agency=agency, year=data["year"], counts=data["counts"])
        return Response({"year": balance.year, "counts": balance.counts},
                        status=status.HTTP_201_CREATED)

