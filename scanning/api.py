"""REST API of the pre-scan: run it, dismiss a finding, apply masks."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from publications.selectors import visible_publication

from . import services


def report_data(report) -> dict | None:
    if report is None:
        return None
    return {"fingerprint": report.fingerprint,
            "scanned_at": report.created_at,
            "findings": [services.finding_data(f) for f in report.findings.all()],
            "unscanned": report.unscanned}


class DismissSerializer(serializers.Serializer):
    justification = serializers.CharField(allow_blank=False)


REPORT = inline_serializer("ScanReport", fields={
    "fingerprint": serializers.CharField(),
    "findings": serializers.ListField(child=serializers.DictField()),
    "unscanned": serializers.ListField(child=serializers.DictField()),
})


class ScanViewSet(viewsets.ViewSet):
    """Routes under /api/v1/publications/{id}/ (see config/urls.py)."""

    @extend_schema(request=None, responses=REPORT)
    @action(detail=True, methods=["post"])
    def scan(self, request, pk=None):
        report = services.scan_publication(user=request.user, publication_id=int(pk))
        return Response(report_data(report))

    @extend_schema(request=None, responses=REPORT)
    def findings(self, request, pk=None):
        publication = visible_publication(request.user, pk)  # NotFound: 404 with a detail
        return Response(report_data(services.current_report(publication)))

    @extend_schema(request=DismissSerializer, responses=inline_serializer(
        "DismissedFinding", fields={"id": serializers.IntegerField(),
                                    "dismissed": serializers.BooleanField()}))
    def dismiss(self, request, pk=None, finding_id=None):
        data = DismissSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        finding = services.dismiss_finding(user=request.user, publication_id=int(pk),
                                           finding_id=int(finding_id),
                                           justification=data.validated_data["justification"])
        return Response(services.finding_data(finding))

    @extend_schema(request=None, responses=REPORT)
    def apply_masks(self, request, pk=None):
        report = services.apply_masks(user=request.user, publication_id=int(pk))
        return Response(report_data(report))
