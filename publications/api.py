"""REST API for publications, categories and attachments (thin: services do the work)."""

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from audit.api import TrailEventSerializer
from audit.selectors import subject_trail
from core.pagination import KeysetPagination

from . import services
from .models import (
    ARTICLE20_ITEMS,
    Attachment,
    Category,
    DecisionType,
    DocumentType,
    Publication,
    PublicationStatus,
)
from .selectors import publication_list, visible_publications


class CategorySerializer(serializers.ModelSerializer):
    class Meta:
        model = Category
        fields = ["code", "name"]


class CategoryViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = CategorySerializer

    def get_queryset(self):
        agency_id = getattr(self.request.user, "agency_id", None)  # None while building the schema
        return Category.objects.filter(agency_id=agency_id).order_by("code")


class AttachmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Attachment
        fields = ["id", "name", "size", "sha256", "content_type", "uploaded_at"]


class PublicationSerializer(serializers.ModelSerializer):
    section = serializers.SlugRelatedField(slug_field="code", read_only=True)
    category = serializers.SlugRelatedField(slug_field="code", read_only=True)
    channels = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    drafter = serializers.SlugRelatedField(slug_field="username", read_only=True)
    attachments = AttachmentSerializer(many=True, read_only=True)
    abolishes = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    # blank when the item is not a document or a decision (the schema must say "" is allowed)
    document_type = serializers.ChoiceField(choices=DocumentType.choices, allow_blank=True,
                                            read_only=True)
    decision_type = serializers.ChoiceField(choices=DecisionType.choices, allow_blank=True,
                                            read_only=True)

    class Meta:
        model = Publication
        fields = ["id", "title", "body", "section", "category", "article20_item",
                  "document_type", "document_number", "effective_on", "abolished_on", "abolishes",
                  "decision_type", "decision_count", "fee_amount_yuan", "formed_on",
                  "channels", "status", "round", "fingerprint", "drafter", "attachments",
                  "created_at", "updated_at"]
        read_only_fields = fields


class PublicationInputSerializer(serializers.Serializer):
    """Shape and types only; codes and rules are checked by the service."""

    title = serializers.CharField(max_length=300, allow_blank=True)
    body = serializers.CharField(allow_blank=True, trim_whitespace=False, required=False)
    section = serializers.SlugField(max_length=64)
    category = serializers.SlugField(max_length=64)
    article20_item = serializers.ChoiceField(choices=[n for n, _ in ARTICLE20_ITEMS],
                                             allow_null=True, required=False)
    document_type = serializers.ChoiceField(choices=DocumentType.choices, allow_blank=True,
                                            required=False)
    document_number = serializers.CharField(max_length=100, allow_blank=True, required=False)
    effective_on = serializers.DateField(allow_null=True, required=False)
    abolished_on = serializers.DateField(allow_null=True, required=False)
    decision_type = serializers.ChoiceField(choices=DecisionType.choices, allow_blank=True,
                                            required=False)
    decision_count = serializers.IntegerField(min_value=1, max_value=2_147_483_647,
                                              required=False)
    fee_amount_yuan = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0,
                                               allow_null=True, required=False)
    formed_on = serializers.DateField()
    channels = serializers.ListField(child=serializers.SlugField(max_length=64),
                                     allow_empty=False)
    abolishes = serializers.ListField(child=serializers.IntegerField(min_value=1), required=False,
                                      max_length=1000, help_text="本信息废止的已发布文件的 id")


def publication_data(*, user, pk) -> dict:
    """The item as the API shows it after a change (the caller may see it)."""
    publication = publication_list(user=user).prefetch_related("abolishes").get(pk=pk)
    return PublicationSerializer(publication).data


class PublicationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin,
                         mixins.CreateModelMixin, mixins.UpdateModelMixin,
                         viewsets.GenericViewSet):
    serializer_class = PublicationSerializer
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        params = self.request.query_params
        status_filter = params.get("status")
        if status_filter and status_filter not in PublicationStatus.values:
            raise serializers.ValidationError(
                {"status": [_("须为以下之一：%s") % ", ".join(PublicationStatus.values)]})
        return publication_list(user=self.request.user, status=status_filter,
                                section=params.get("section")).prefetch_related("abolishes")

    def _input(self, partial: bool) -> dict:
        serializer = PublicationInputSerializer(data=self.request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    @extend_schema(request=PublicationInputSerializer, responses={201: PublicationSerializer})
    def create(self, request, *args, **kwargs):
        publication = services.create_publication(user=request.user, data=self._input(False))
        return Response(self._output(publication.pk), status=status.HTTP_201_CREATED)

    @extend_schema(request=PublicationInputSerializer, responses=PublicationSerializer)
    def partial_update(self, request, pk=None):
        publication = services.update_publication(user=request.user, publication_id=pk,
                                                  data=self._input(True))
        return Response(self._output(publication.pk))

    @extend_schema(exclude=True)
    def update(self, request, *args, **kwargs):
        if not kwargs.get("partial"):
            return Response({"detail": _("请使用 PATCH 修改。")},
                            status=status.HTTP_405_METHOD_NOT_ALLOWED)
        return self.partial_update(request, kwargs.get("pk"))

    def _output(self, pk):
        return publication_data(user=self.request.user, pk=pk)

    @extend_schema(responses=TrailEventSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=KeysetPagination)
    def trail(self, request, pk=None):
        publication = get_object_or_404(visible_publications(request.user), pk=pk)
        page = self.paginate_queryset(subject_trail(subject=publication))
        return self.get_paginated_response(TrailEventSerializer(page, many=True).data)

    @extend_schema(request={"multipart/form-data": {"type": "object", "properties": {
        "file": {"type": "string", "format": "binary"}}}}, responses={201: AttachmentSerializer})
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser])
    def attachments(self, request, pk=None):
        uploaded = request.FILES.get("file")
        if uploaded is None:
            raise serializers.ValidationError({"file": [_("请选择要上传的文件。")]})
        attachment = services.add_attachment(user=request.user, publication_id=pk,
                                             uploaded=uploaded)
        return Response(AttachmentSerializer(attachment).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={204: None})
    @action(detail=True, methods=["delete"], url_path=r"attachments/(?P<attachment_id>\d+)")
    def remove_attachment(self, request, pk=None, attachment_id=None):
        services.remove_attachment(user=request.user, publication_id=pk,
                                   attachment_id=int(attachment_id))
        return Response(status=status.HTTP_204_NO_CONTENT)
