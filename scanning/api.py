"""REST API of the pre-scan: run it, read it, apply masks (a reviewer dismisses a finding
through workflow.api: who may is the review's rule)."""

from django.http import JsonResponse
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from publications.api import PublicationSerializer, PublicationViewSet
from publications.selectors import visible_publication

from . import services
from .models import ScanStatus


def report_data(report) -> dict | None:
    if report is None:
        return None
    return {"fingerprint": report.fingerprint,
            "scanned_at": report.created_at,
            "status": report.status,
            "findings": [services.finding_data(f) for f in report.findings.all()],
            "unscanned": services.unscanned_data(report, report.publication.round)}


REPORT = inline_serializer("ScanReport", fields={
    "fingerprint": serializers.CharField(),
    "scanned_at": serializers.DateTimeField(),
    "status": serializers.ChoiceField(choices=["pending", "complete"]),
    "findings": serializers.ListField(child=serializers.DictField()),
    "unscanned": serializers.ListField(child=serializers.DictField()),
})


#: The findings of an item never scanned are `null` (raw schema: a nullable ScanReport).
REPORT_OR_NULL = {200: OpenApiResponse(response={
    "nullable": True, "allOf": [{"$ref": "#/components/schemas/ScanReport"}]})}


class ScanViewSet(viewsets.ViewSet):
    """Routes under /api/v1/publications/{id}/ (see config/urls.py)."""

    @extend_schema(request=None, responses={200: REPORT, 202: REPORT})
    @action(detail=True, methods=["post"])
    def scan(self, request, pk=None):
        """Scan now: title, body, 文号 and file names at once; the attachments' text in the
        worker. 202 with `status: pending` while the attachments are being read (read
        `findings/` again later), 200 when the scan is complete."""
        report = services.scan_publication(user=request.user, publication_id=int(pk))
        report = services.current_report(report.publication) or report
        return Response(report_data(report),
                        status=202 if report.status == ScanStatus.PENDING else 200)

    @extend_schema(request=None, responses=REPORT_OR_NULL)
    def findings(self, request, pk=None):
        """The current content's pre-scan; JSON `null` when it was never scanned."""
        publication = visible_publication(request.user, pk)  # NotFound: 404 with a detail
        report = report_data(services.current_report(publication))
        if report is None:  # DRF would answer an empty body with no content type
            return JsonResponse(None, safe=False)
        return Response(report)

    @extend_schema(request=None, responses=REPORT)
    def apply_masks(self, request, pk=None):
        report = services.apply_masks(user=request.user, publication_id=int(pk))
        return Response(report_data(report))


class ScannedPublicationViewSet(PublicationViewSet):
    """The items' API, whose detail carries the pre-scan of the current content."""

    def retrieve(self, request, *args, **kwargs):
        """The item, with the pre-scan of its current content (`scan`, null if not scanned)."""
        publication = self.get_object()
        data = dict(PublicationSerializer(publication).data)
        data["scan"] = report_data(services.current_report(publication))
        return Response(data)
