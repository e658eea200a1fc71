from .models import AuditEvent


def publication_trail(*, publication):
    return AuditEvent.objects.filter(publication=publication).order_by("seq")
