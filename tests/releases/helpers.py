"""Steps the release tests share: approve an item through all three tiers, read where its
releases stand, let scheduled retries come due."""

import datetime as dt

from django.utils import timezone

from releases.models import Release
from testsupport.factories import approve_through, submitted_item


def approved(org, channels_, django_capture_on_commit_callbacks, **overrides):
    publication = submitted_item(org, channels=channels_, **overrides)
    approve_through(org, publication, "head_office", "secrecy")
    with django_capture_on_commit_callbacks(execute=True):
        approve_through(org, publication, "leader")
    return publication


def statuses(publication):
    return dict(Release.objects.filter(publication=publication)
                .values_list("channel__code", "status"))


def make_due(release_ids=None):
    """Let time pass: scheduled retries and polls are due now."""
    qs = Release.objects.all() if release_ids is None else Release.objects.filter(
        pk__in=release_ids)
    qs.update(next_attempt_at=timezone.now() - dt.timedelta(seconds=1))
