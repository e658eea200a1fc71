from rest_framework import serializers

from .models import AuditEvent


class TrailEventSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor_username")

    class Meta:
        model = AuditEvent
        fields = ["seq", "action", "actor", "tier", "round", "at", "fingerprint", "comment",
                  "data", "prev_hash", "hash"]
