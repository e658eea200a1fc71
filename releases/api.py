from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.response import Response

from agencies.models import Channel
from publications.selectors import visible_publications

from . import services
from .models import Release, ReleaseStatus, RetractionRequest


class ChannelSerializer(serializers.ModelSerializer):
    class Meta:
        model = Channel
        fields = ["code", "name", "kind"]


class ChannelViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = ChannelSerializer

    def get_queryset(self):
        agency_id = getattr(self.request.user, "agency_id", None)  # None while building the schema
        return Channel.objects.filter(agency_id=agency_id, is_active=True)


class ReleaseSerializer(serializers.ModelSerializer):
    channel = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Release
        fields = ["id", "publication", "channel", "status", "round", "fingerprint",
                  "external_url", "published_at", "published_on", "reference", "attempts",
                  "error", "created_at", "retracted_at"]


class ReleaseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = ReleaseSerializer

    def get_queryset(self):
        qs = (Release.objects.filter(publication__in=visible_publications(self.request.user))
              .select_related("channel").order_by("id"))
        params = self.request.query_params
        if params.get("publication"):
            if not params["publication"].isdigit():
                raise serializers.ValidationError({"publication": [_("须为信息编号（整数）。")]})
            qs = qs.filter(publication_id=int(params["publication"]))
        if params.get("status"):
            if params["status"] not in ReleaseStatus.values:
                raise serializers.ValidationError({"status": [_("未知的发布状态。")]})
            qs = qs.filter(status=params["status"])
        if params.get("channel"):
            qs = qs.filter(channel__code=params["channel"])
        return qs


class ConfirmSerializer(serializers.Serializer):
    published_on = serializers.DateField()
    reference = serializers.CharField(max_length=500)
    scan = serializers.FileField(required=False)


class ReleaseActionsViewSet(viewsets.ViewSet):
    """Publisher actions on one release (routes in config/urls.py)."""

    parser_classes = [JSONParser, MultiPartParser]

    @extend_schema(request=ConfirmSerializer, responses=ReleaseSerializer)
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        data = ConfirmSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        release = services.confirm_release(user=request.user, release_id=int(pk),
                                           **data.validated_data)
        return Response(ReleaseSerializer(release).data)

    @extend_schema(request=None, responses=ReleaseSerializer)
    @action(detail=True, methods=["post"])
    def retry(self, request, pk=None):
        release = services.retry_release(user=request.user, release_id=int(pk))
        return Response(ReleaseSerializer(release).data)


class RetractSerializer(serializers.Serializer):
    reason = serializers.CharField()


class RetractResultSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    releases = ReleaseSerializer(many=True)


class RetractViewSet(viewsets.ViewSet):
    @extend_schema(request=RetractSerializer, responses=RetractResultSerializer)
    def retract(self, request, pk=None):
        data = RetractSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        publication = services.retract_publication(user=request.user, publication_id=int(pk),
                                                   reason=data.validated_data["reason"])
        releases = Release.objects.filter(publication=publication).select_related("channel")
        return Response({"id": publication.pk, "status": publication.status,
                         "releases": ReleaseSerializer(releases, many=True).data})


class RetractionRequestSerializer(serializers.ModelSerializer):
    requested_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    decided_by = serializers.SlugRelatedField(slug_field="username", read_only=True,
                                              allow_null=True)  # null until decided

    class Meta:
        model = RetractionRequest
        fields = ["id", "publication", "requested_by", "reason", "status", "decided_by",
                  "decided_at", "decision_comment", "created_at"]


class DecisionSerializer(serializers.Serializer):
    comment = serializers.CharField(allow_blank=True, required=False, default="")


class RetractionRequestViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """撤稿申请: publishers ask, leaders covering the section decide."""

    serializer_class = RetractionRequestSerializer

    def get_queryset(self):
        qs = (RetractionRequest.objects
              .filter(publication__in=visible_publications(self.request.user))
              .select_related("requested_by", "decided_by"))
        status = self.request.query_params.get("status")
        if status:
            if status not in RetractionRequest.Status.values:
                raise serializers.ValidationError({"status": [_("未知的申请状态。")]})
            qs = qs.filter(status=status)
        return qs

    def _decide(self, request, pk, approve):
        data = DecisionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        decided = services.decide_retraction(user=request.user, request_id=int(pk),
                                             approve=approve, **data.validated_data)
        return Response(RetractionRequestSerializer(decided).data)

    @extend_schema(request=DecisionSerializer, responses=RetractionRequestSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return self._decide(request, pk, True)

    @extend_schema(request=DecisionSerializer, responses=RetractionRequestSerializer)
    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None):
        return self._decide(request, pk, False)


class RequestRetractionViewSet(viewsets.ViewSet):
    @extend_schema(request=RetractSerializer, responses={201: RetractionRequestSerializer})
    def create(self, request, pk=None):
        data = RetractSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        created = services.request_retraction(user=request.user, publication_id=int(pk),
                                              reason=data.validated_data["reason"])
        return Response(RetractionRequestSerializer(created).data, status=201)
