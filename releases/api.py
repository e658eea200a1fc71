from rest_framework import mixins, serializers, viewsets

from publications.selectors import visible_publications

from .models import Channel, Release, ReleaseStatus


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
                  "external_url", "published_at", "error", "created_at"]


class ReleaseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = ReleaseSerializer

    def get_queryset(self):
        qs = (Release.objects.filter(publication__in=visible_publications(self.request.user))
              .select_related("channel").order_by("id"))
        params = self.request.query_params
        if params.get("publication"):
            if not params["publication"].isdigit():
                raise serializers.ValidationError({"publication": ["须为信息编号（整数）。"]})
            qs = qs.filter(publication_id=int(params["publication"]))
        if params.get("status"):
            if params["status"] not in ReleaseStatus.values:
                raise serializers.ValidationError({"status": ["未知的发布状态。"]})
            qs = qs.filter(status=params["status"])
        if params.get("channel"):
            qs = qs.filter(channel__code=params["channel"])
        return qs
