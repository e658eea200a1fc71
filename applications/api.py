"""REST API of 依申请公开: applications, their clock's steps, the reply and its approval, the
letters, and the reconsideration/litigation register. Views only parse and call services."""

from django.http import FileResponse, HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from core.errors import InvalidInput, NotFound, NotPermitted
from core.pagination import WindowPagination

from . import selectors, services
from .fees import FeeMethod
from .models import (
    ApplicantType,
    Application,
    ApplicationStatus,
    Case,
    CaseKind,
    CaseResult,
    DeliveryForm,
    DeliveryMethod,
    ReceivedVia,
)
from .outcomes import Outcome
from .permissions import sees_personal_data


class ApplicantSerializer(serializers.Serializer):
    applicant_type = serializers.ChoiceField(choices=ApplicantType.choices)
    applicant_name = serializers.CharField(max_length=200)
    applicant_id_number = serializers.CharField(max_length=40, required=False, allow_blank=True)
    contact_phone = serializers.CharField(max_length=30, required=False, allow_blank=True)
    contact_address = serializers.CharField(max_length=300, required=False, allow_blank=True)
    contact_email = serializers.EmailField(required=False, allow_blank=True)
    content = serializers.CharField(max_length=5000)
    delivery_form = serializers.ChoiceField(choices=DeliveryForm.choices, required=False)
    delivery_method = serializers.ChoiceField(choices=DeliveryMethod.choices, required=False)


class RegisterSerializer(ApplicantSerializer):
    received_on = serializers.DateField()
    received_via = serializers.ChoiceField(choices=ReceivedVia.choices)
    section = serializers.SlugField(help_text="the handling section's code")
    handler = serializers.CharField(required=False, allow_blank=True,
                                    help_text="an application handler's username")


class ApplicationSerializer(serializers.Serializer):
    """What an application looks like (for the schema; data come from selectors)."""

    id = serializers.IntegerField()
    tracking_code = serializers.CharField()
    status = serializers.ChoiceField(choices=ApplicationStatus.choices)
    received_on = serializers.DateField(allow_null=True)
    received_via = serializers.ChoiceField(choices=ReceivedVia.choices)
    applicant_type = serializers.ChoiceField(choices=ApplicantType.choices)
    applicant_name = serializers.CharField()
    section = serializers.CharField(allow_null=True)
    handler = serializers.CharField(allow_null=True)
    deadline = serializers.DateField(allow_null=True, help_text=(
        "null while the clock is stopped, or when it runs past the known holiday data "
        "(then deadline_unknown is true)"))
    deadline_unknown = serializers.BooleanField()
    days_used = serializers.IntegerField(allow_null=True)
    days_left = serializers.IntegerField(allow_null=True)
    clock_stopped_by = serializers.CharField(allow_null=True)
    overdue = serializers.BooleanField()
    outcome = serializers.CharField(allow_null=True)
    replied_on = serializers.DateField(allow_null=True)
    personal_data = serializers.CharField(help_text="`full` or `masked`")


class DetailSerializer(ApplicationSerializer):
    clock = inline_serializer("ClockEntry", many=True, fields={
        "event": serializers.CharField(), "on": serializers.DateField(),
        "days_used": serializers.IntegerField(),
        "deadline": serializers.DateField(allow_null=True)})
    fee = serializers.JSONField(allow_null=True, help_text=(
        "the fee notice's computation (method, quantity, amount, lines), null without one"))


class CorrectionSerializer(serializers.Serializer):
    notice_on = serializers.DateField()
    items = serializers.CharField(max_length=5000)
    period_days = serializers.IntegerField(required=False, min_value=1, max_value=60)


class ReceivedOnSerializer(serializers.Serializer):
    received_on = serializers.DateField()


class ConfirmReceiptSerializer(ReceivedOnSerializer):
    section = serializers.SlugField(required=False)
    handler = serializers.CharField(required=False, allow_blank=True)


class AssignSerializer(serializers.Serializer):
    section = serializers.SlugField(required=False)
    handler = serializers.CharField(required=False, allow_blank=True)


class ExtendSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    notice_on = serializers.DateField()


class ExtensionRequestSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class ConsultSerializer(serializers.Serializer):
    sent_on = serializers.DateField()
    third_party = serializers.CharField(max_length=200, required=False, allow_blank=True)


class RepliedOnSerializer(serializers.Serializer):
    replied_on = serializers.DateField()


class FeeNoticeSerializer(serializers.Serializer):
    notice_on = serializers.DateField()
    method = serializers.ChoiceField(choices=FeeMethod.choices)
    quantity = serializers.IntegerField(min_value=1, max_value=100_000)
    earlier_items = serializers.IntegerField(required=False, min_value=0, max_value=100_000,
                                             help_text=(
        "per item: the items this applicant already filed this month (same applicant, "
        "same month, 国办函〔2020〕109号); the bands count on from there"))
    period_days = serializers.IntegerField(required=False, min_value=1, max_value=60)


class PaidSerializer(serializers.Serializer):
    paid_on = serializers.DateField()


class ReplySerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=Outcome.choices)
    basis = serializers.CharField(max_length=2000)
    text = serializers.CharField(max_length=20000)
    reply_on = serializers.DateField(required=False, allow_null=True)
    competent_agency = serializers.CharField(max_length=200, required=False, allow_blank=True)


class ReplyApprovalSerializer(serializers.Serializer):
    comment = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class ReplyRejectionSerializer(serializers.Serializer):
    comment = serializers.CharField(max_length=2000)


class DiscardSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class WithdrawSerializer(serializers.Serializer):
    on = serializers.DateField()
    reason = serializers.CharField(max_length=2000)


def _payload(serializer_class, request) -> dict:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _bool_param(value) -> bool:
    return str(value).lower() in ("1", "true", "yes")


def _year_param(value):
    if value in (None, ""):
        return None
    try:
        year = int(value)
    except ValueError:
        raise InvalidInput(_("年份须为数字。"), fields={"year": [_("须为四位数年份。")]}) from None
    if not 2000 <= year <= 2100:
        raise InvalidInput(_("年份须为数字。"), fields={"year": [_("须为四位数年份。")]})
    return year


FILE_UPLOAD = {"multipart/form-data": {"type": "object", "properties": {
    "file": {"type": "string", "format": "binary"}}, "required": ["file"]}}
FILE = inline_serializer("ApplicationFile", fields={
    "id": serializers.IntegerField(), "name": serializers.CharField(),
    "size": serializers.IntegerField()})


def _uploaded(request):
    uploaded = request.FILES.get("file")
    if uploaded is None:
        raise InvalidInput(_("请选择要上传的文件。"), fields={"file": [_("请选择要上传的文件。")]})
    return uploaded


def _file_response(request, *, stored, subject, agency_id):
    try:
        handle = stored.file.open("rb")
    except FileNotFoundError as error:
        raise NotFound(_("文件已不存在。")) from error
    services.record_file_download(user=request.user, subject=subject, agency_id=agency_id,
                                  name=stored.name)
    return FileResponse(handle, as_attachment=True, filename=stored.name)


_LIST_PARAMS = [
    OpenApiParameter("status", str, enum=ApplicationStatus.values, required=False),
    OpenApiParameter("year", int, required=False, description="year received"),
    OpenApiParameter("overdue", bool, required=False),
    OpenApiParameter("mine", bool, required=False, description="only the caller's cases"),
    OpenApiParameter("section", str, required=False),
    OpenApiParameter("q", str, required=False, description="tracking code or words of the request"),
    OpenApiParameter("ordering", str, enum=["deadline"], required=False,
                     description="`deadline`: open applications, nearest deadline first"),
]


class ApplicationViewSet(viewsets.GenericViewSet):
    """Applications for disclosure (依申请公开) of the caller's agency."""

    lookup_value_regex = "[0-9]+"
    pagination_class = WindowPagination
    serializer_class = ApplicationSerializer

    def get_queryset(self):  # the schema's; the views read through selectors
        return Application.objects.none()

    def _detail(self, request, application_id, *, status_code=200, viewing=True):
        """The application as the caller may see it. Opening it (GET, or the answer to a
        registration) puts a full view in the trail; the answer to an action does not: the
        action's own event records who worked on the case then."""
        application = selectors.application_for(request.user, application_id)
        if application is None:
            raise NotFound(_("未找到该申请。"))
        item = selectors.shown([application], user=request.user)[0]
        if item.full and viewing:
            services.record_full_view(user=request.user, application=application)
        return Response(selectors.application_data(item, detail=True), status=status_code)

    @extend_schema(parameters=_LIST_PARAMS, responses=ApplicationSerializer(many=True))
    def list(self, request):
        params = request.query_params
        status_param = params.get("status") or None
        if status_param and status_param not in ApplicationStatus.values:
            raise InvalidInput(_("无效的状态。"), fields={"status": [_("无效的选项。")]})
        qs = selectors.applications_for(
            request.user, status=status_param, year=_year_param(params.get("year")),
            overdue=_bool_param(params.get("overdue")),
            handler=request.user if _bool_param(params.get("mine")) else None,
            section=params.get("section"), search=params.get("q", ""),
            order=params.get("ordering", ""))
        page = self.paginate_queryset(selectors.with_clock_events(qs))
        items = selectors.shown(page, user=request.user)
        return self.get_paginated_response([selectors.application_data(i) for i in items])

    @extend_schema(request=RegisterSerializer, responses={201: DetailSerializer})
    def create(self, request):
        data = _payload(RegisterSerializer, request)
        application = services.register_application(user=request.user, data=data)
        return self._detail(request, application.pk, status_code=status.HTTP_201_CREATED)

    @extend_schema(responses=DetailSerializer)
    def retrieve(self, request, pk=None):
        return self._detail(request, int(pk))

    def _act(self, request, pk, serializer_class, service, *, status_code=200):
        data = _payload(serializer_class, request) if serializer_class else {}
        service(user=request.user, application_id=int(pk), **data)
        return self._detail(request, int(pk), status_code=status_code, viewing=False)

    @extend_schema(request=ConfirmReceiptSerializer, responses=DetailSerializer)
    @action(detail=True, methods=["post"], url_path="confirm-receipt")
    def confirm_receipt(self, request, pk=None):
        return self._act(request, pk, ConfirmReceiptSerializer, services.confirm_receipt)

    @extend_schema(request=AssignSerializer, responses=DetailSerializer)
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        return self._act(request, pk, AssignSerializer, services.assign)

    @extend_schema(request=CorrectionSerializer, responses=DetailSerializer)
    @action(detail=True, methods=["post"], url_path="request-correction")
    def request_correction(self, request, pk=None):
        return self._act(request, pk, CorrectionSerializer, services.request_correction)

    @extend_schema(request=ReceivedOnSerializer, responses=DetailSerializer)
    @action(detail=True, methods=["post"], url_path="correction-received")
    def correction_received(self, request, pk=None):
        return self._act(request, pk, ReceivedOnSerializer, services.record_correction)

    @extend_schema(request=ExtensionRequestSerializer, responses=DetailSerializer)
    @action(detail=True, methods=["post"], url_path="request-extension")
    def request_extension(self, request, pk=None):
        return self._act(request, pk, ExtensionRequestSerializer, services.request_extension)

    @extend_schema(request=ExtendSerializer, responses=DetailSerializer)
    @action(detail=True, methods=["post"])
    def extend(self, request, pk=None):
        data = _payload(ExtendSerializer, request)
        services.extend(user=request.user, application_id=int(pk),
                        reason=data.get("reason", ""), notice_on=data["notice_on"])
        return self._detail(request, int(pk), viewing=False)

    @extend_schema(request=ConsultSerializer, responses=DetailSerializer)
    @action(detail=True, methods=["post"], url_path="consult-third-party")
    def consult_third_party(self, request, pk=None):
        return self._act(request, pk, ConsultSerializer, services.consult_third_party)

    @extend_schema(request=RepliedOnSerializer, responses=DetailSerializer)
    @action(detail=True, methods=["post"], url_path="third-party-replied")
    def third_party_replied(self, request, pk=None):
        return self._act(request, pk, RepliedOnSerializer, services.record_third_party_reply)

    @extend_schema(request=FeeNoticeSerializer, responses=DetailSerializer)
    @action(detail=True, methods=["post"], url_path="fee-notice")
    def fee_notice(self, request, pk=None):
        return self._act(request, pk, FeeNoticeSerializer, services.send_fee_notice)

    @extend_schema(request=PaidSerializer, responses=DetailSerializer)
    @action(detail=True, methods=["post"], url_path="fee-paid")
    def fee_paid(self, request, pk=None):
        return self._act(request, pk, PaidSerializer, services.record_fee_paid)

    @extend_schema(request=WithdrawSerializer, responses=DetailSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        return self._act(request, pk, WithdrawSerializer, services.withdraw)

    @extend_schema(request=DiscardSerializer, responses=DetailSerializer)
    @action(detail=True, methods=["post"])
    def discard(self, request, pk=None):
        """An online application never confirmed (spam, a duplicate): closed unreceived."""
        return self._act(request, pk, DiscardSerializer, services.discard_online_application)

    @extend_schema(request=ReplySerializer, responses={201: DetailSerializer})
    @action(detail=True, methods=["post"])
    def reply(self, request, pk=None):
        """Draft the reply: 201, as it creates the reply record (answered with the
        application, now `reply_pending_approval`)."""
        return self._act(request, pk, ReplySerializer, services.draft_reply,
                         status_code=status.HTTP_201_CREATED)

    @extend_schema(request=ReplyApprovalSerializer, responses=DetailSerializer)
    @action(detail=True, methods=["post"], url_path="reply/approve")
    def reply_approve(self, request, pk=None):
        return self._act(request, pk, ReplyApprovalSerializer, services.approve_reply)

    @extend_schema(request=ReplyRejectionSerializer, responses=DetailSerializer)
    @action(detail=True, methods=["post"], url_path="reply/reject")
    def reply_reject(self, request, pk=None):
        return self._act(request, pk, ReplyRejectionSerializer, services.reject_reply)

    @extend_schema(request=FILE_UPLOAD, responses={201: FILE})
    @action(detail=True, methods=["post"], url_path="reply/attachments",
            parser_classes=[MultiPartParser])
    def reply_attachments(self, request, pk=None):
        """A file provided with the pending reply (the information disclosed)."""
        attachment = services.add_reply_attachment(user=request.user, application_id=int(pk),
                                                   uploaded=_uploaded(request))
        return Response(selectors.file_data(attachment), status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={(200, "application/octet-stream"): bytes,
                                            204: None})
    @action(detail=True, methods=["get", "delete"],
            url_path=r"reply/attachments/(?P<attachment_id>[0-9]+)")
    def reply_attachment(self, request, pk=None, attachment_id=None):
        """GET: the file (to those who see the applicant's data; audited). DELETE: remove
        it from the pending reply."""
        if request.method == "DELETE":
            services.remove_reply_attachment(user=request.user, application_id=int(pk),
                                             attachment_id=int(attachment_id))
            return Response(status=status.HTTP_204_NO_CONTENT)
        application = selectors.application_for(request.user, int(pk))
        if application is None:
            raise NotFound(_("未找到该申请。"))
        if not sees_personal_data(request.user, application):
            raise NotPermitted(_("答复附件只有承办人和分管领导可以下载。"))
        attachment = selectors.reply_attachment(application, int(attachment_id))
        if attachment is None:
            raise NotFound(_("未找到该附件。"))
        return _file_response(request, stored=attachment, subject=application,
                              agency_id=application.agency_id)

    @extend_schema(responses={(200, "application/vnd.openxmlformats-officedocument."
                                    "wordprocessingml.document"): bytes})
    @action(detail=True, methods=["get"], url_path=r"documents/(?P<kind>[a-z_]+)")
    def documents(self, request, pk=None, kind=None):
        from .documents import letter_for

        application = selectors.application_for(request.user, int(pk))
        if application is None:
            raise NotFound(_("未找到该申请。"))
        if not sees_personal_data(request.user, application):
            raise NotPermitted(_("文书含申请人个人信息，只有承办人和分管领导可以生成。"))
        name, content = letter_for(user=request.user, application=application, kind=kind)
        response = HttpResponse(content, content_type=(
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document"))
        response["Content-Disposition"] = f"attachment; filename*=UTF-8''{name}"
        return response


class CaseCreateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=CaseKind.choices)
    application = serializers.IntegerField(required=False, allow_null=True)
    filed_on = serializers.DateField()
    body = serializers.CharField(max_length=200)
    result = serializers.ChoiceField(choices=CaseResult.choices, required=False)
    decided_on = serializers.DateField(required=False, allow_null=True)
    note = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    co_defendant_as_reconsideration_body = serializers.BooleanField(required=False)


class CaseUpdateSerializer(serializers.Serializer):
    result = serializers.ChoiceField(choices=CaseResult.choices, required=False)
    decided_on = serializers.DateField(required=False, allow_null=True)
    filed_on = serializers.DateField(required=False)
    body = serializers.CharField(max_length=200, required=False)
    note = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    co_defendant_as_reconsideration_body = serializers.BooleanField(required=False)


CASE = inline_serializer("Case", fields={
    "id": serializers.IntegerField(), "kind": serializers.CharField(),
    "application": serializers.IntegerField(allow_null=True),
    "filed_on": serializers.DateField(), "body": serializers.CharField(),
    "result": serializers.CharField(), "decided_on": serializers.DateField(allow_null=True)})


class CaseViewSet(viewsets.GenericViewSet):
    """Reconsideration (行政复议) and litigation (行政诉讼) cases of the caller's agency."""

    lookup_value_regex = "[0-9]+"
    pagination_class = WindowPagination
    serializer_class = CaseCreateSerializer

    def get_queryset(self):
        return Case.objects.none()

    @extend_schema(parameters=[OpenApiParameter("year", int, required=False,
                                                description="year filed")],
                   responses=CASE)
    def list(self, request):
        qs = selectors.cases_for(request.user, year=_year_param(request.query_params.get("year")))
        page = self.paginate_queryset(qs)
        return self.get_paginated_response([selectors.case_data(c) for c in page])

    @extend_schema(responses=CASE)
    def retrieve(self, request, pk=None):
        case = selectors.cases_for(request.user).filter(pk=int(pk)).first()
        if case is None:
            raise NotFound(_("未找到该案件。"))
        return Response(selectors.case_data(case))

    @extend_schema(request=CaseCreateSerializer, responses={201: CASE})
    def create(self, request):
        case = services.file_case(user=request.user, data=_payload(CaseCreateSerializer, request))
        return Response(selectors.case_data(case), status=status.HTTP_201_CREATED)

    @extend_schema(request=CaseUpdateSerializer, responses=CASE)
    def partial_update(self, request, pk=None):
        serializer = CaseUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        if not selectors.cases_for(request.user).filter(pk=int(pk)).exists():
            raise NotFound(_("未找到该案件。"))
        case = services.update_case(user=request.user, case_id=int(pk),
                                    data=serializer.validated_data)
        return Response(selectors.case_data(case))

    @extend_schema(request=FILE_UPLOAD, responses={201: FILE})
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser])
    def documents(self, request, pk=None):
        """A document of the case (the decision, the judgment, …)."""
        document = services.add_case_document(user=request.user, case_id=int(pk),
                                              uploaded=_uploaded(request))
        return Response(selectors.file_data(document), status=status.HTTP_201_CREATED)

    @extend_schema(responses={(200, "application/octet-stream"): bytes})
    @action(detail=True, methods=["get"], url_path=r"documents/(?P<document_id>[0-9]+)")
    def document(self, request, pk=None, document_id=None):
        case = selectors.cases_for(request.user).filter(pk=int(pk)).first()
        document = case.documents.filter(pk=int(document_id)).first() if case else None
        if document is None:
            raise NotFound(_("未找到该文件。"))
        return _file_response(request, stored=document, subject=case, agency_id=case.agency_id)

