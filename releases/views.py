"""Printable notice of a release for notice boards and LED screens (manual channels)."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from agencies.models import ChannelKind
from publications.selectors import visible_publications
from publications.services import sanitise_html

from .models import Release, ReleaseStatus


@login_required
def printable_notice(request, pk):
    release = (Release.objects.select_related("channel__agency", "publication__category")
               .filter(pk=pk, publication__in=visible_publications(request.user),
                       channel__kind=ChannelKind.MANUAL).first())
    if release is None or release.status == ReleaseStatus.RETRACTED:
        raise Http404(_("没有可打印的公告"))
    publication = release.publication
    return render(request, "releases/notice.html", {
        "release": release, "publication": publication, "agency": release.channel.agency,
        # stored sanitised; cleaned again here since this page marks it safe
        "signed_on": signed_on(release),
        "body": mark_safe(sanitise_html(publication.body)),  # noqa: S308
    })


def signed_on(release):
    """The date of the notice's 落款: the day it was carried (confirmed), else the day of
    final approval (releases are created in its transaction); never the day of printing."""
    return release.published_on or timezone.localdate(release.created_at)
