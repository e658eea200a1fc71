"""The public REST API of 依申请公开: anyone may submit an online application to an agency
and look up its status with the tracking code and the last 4 digits of the phone number.

Anonymous by design: no authentication classes (so nobody gets a 401 or 403, and there is
no session whose CSRF check would apply), and instead the per-address limits of
`applications.abuse`, answered 429 with a JSON `detail` and a Retry-After header.
"""

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from core.errors import InvalidInput, NotFound
from core.parsers import JSONParser

from . import abuse, public, services
from .api import ApplicantSerializer
from .models import ApplicationStatus, StopReason
from .outcomes import Outcome


class PublicApplicationSerializer(ApplicantSerializer):
    """The staff's fields less received_on and section; the phone is required: its last
    4 digits open the status."""

    contact_phone = serializers.CharField(max_length=30)

    def validate_contact_phone(self, value):
        value = public.normalise_phone(value)
        problem = public.phone_problem(value)
        if problem:
            raise serializers.ValidationError(problem)
        return value

    def validate(self, attrs):
        problems = public.contact_problems(attrs)
        if problems:
            raise serializers.ValidationError(problems)
        return attrs


class SubmittedSerializer(serializers.Serializer):
    tracking_code = serializers.CharField()
    status = serializers.ChoiceField(choices=[ApplicationStatus.PENDING_CONFIRMATION])


class PublicStatusSerializer(serializers.Serializer):
    """An application's progress as the public sees it: nothing personal."""

    tracking_code = serializers.CharField()
    status = serializers.ChoiceField(choices=ApplicationStatus.choices)
    status_label = serializers.CharField()
    submitted_on = serializers.DateField()
    received_on = serializers.DateField(allow_null=True, help_text=(
        "Art. 31: for an online application the day the agency confirmed receipt; "
        "null until then"))
    deemed_received_on = serializers.DateField(allow_null=True, help_text=(
        "set when received on a non-working day: the next working day, where counting starts"))
    deadline = serializers.DateField(allow_null=True, help_text=(
        "null while pending confirmation, while the clock is stopped, or when it falls past "
        "the known holiday data (then deadline_unknown is true)"))
    deadline_unknown = serializers.BooleanField()
    clock_stopped_by = serializers.ChoiceField(choices=StopReason.choices, allow_null=True)
    clock_stopped_label = serializers.CharField(allow_null=True)
    days_used = serializers.IntegerField(allow_null=True)
    days_left = serializers.IntegerField(allow_null=True)
    extended = serializers.BooleanField()
    overdue = serializers.BooleanField()
    replied_on = serializers.DateField(allow_null=True)
    outcome = serializers.ChoiceField(choices=Outcome.choices, allow_null=True)
    outcome_label = serializers.CharField(allow_null=True)
    closed_on = serializers.DateField(allow_null=True)


class LimitedSerializer(serializers.Serializer):
    detail = serializers.CharField()


class LookupSerializer(serializers.Serializer):
    phone_last4 = serializers.RegexField(r"^[0-9]{4}$")


LIMITED = OpenApiResponse(LimitedSerializer, description="too many requests from this address")


def _limited(verdict) -> Response:
    return Response({"detail": _("来自您所在网络的请求过多，请稍后再试。")},
                    status=status.HTTP_429_TOO_MANY_REQUESTS,
                    headers={"Retry-After": str(verdict.retry_after)})


def _agency(code):
    agency = public.agency_named(code)
    if agency is None:
        raise NotFound(_("未找到该机关。"))
    return agency


class PublicApplicationsView(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="public_applications_create", auth=[],
        tags=["public"], request=PublicApplicationSerializer,
        responses={201: SubmittedSerializer, 429: LIMITED},
        summary="Submit an online application (anonymous)",
        description=("Starts as `pending_confirmation`: the receipt date is the day the "
                     "agency confirms it (Art. 31). The agency's registrars are notified. "
                     "Limited per client address (APPLICATION_SUBMISSIONS_PER_IP_PER_HOUR "
                     "and _PER_DAY)."))
    def post(self, request, agency):
        agency = _agency(agency)
        serializer = PublicApplicationSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        verdict = abuse.count_submission(request)
        if not verdict.allowed:
            return _limited(verdict)
        application = services.submit_online_application(agency=agency,
                                                         data=serializer.validated_data)
        return Response({"tracking_code": application.tracking_code,
                         "status": application.status}, status=status.HTTP_201_CREATED)


class PublicApplicationStatusView(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="public_applications_status", auth=[], tags=["public"],
        parameters=[OpenApiParameter("phone_last4", str, required=True, pattern=r"^[0-9]{4}$",
                                     description="the last 4 digits of the contact phone")],
        responses={200: PublicStatusSerializer, 429: LIMITED},
        summary="An application's status (anonymous)",
        description=("404 when the code or the digits are wrong, without saying which. "
                     "Limited per client address (APPLICATION_STATUS_LOOKUPS_PER_IP_PER_HOUR)."))
    def get(self, request, agency, tracking_code):
        agency = _agency(agency)
        lookup = LookupSerializer(data=request.query_params)
        if not lookup.is_valid():
            raise InvalidInput(_("请填写申请时所留电话号码的后 4 位数字。"),
                               fields={"phone_last4": [_("须为 4 位数字。")]})
        verdict = abuse.count_lookup(request)
        if not verdict.allowed:
            return _limited(verdict)
        data = public.status_for(agency=agency, tracking_code=tracking_code,
                                 phone_last4=lookup.validated_data["phone_last4"])
        if data is None:
            raise NotFound(_("未找到与该申请编号和电话号码后 4 位相符的申请。"))
        return Response(data)
