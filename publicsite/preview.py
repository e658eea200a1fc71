"""预览: an item as its page in the public column will show it, for the staff who may see it.

The column's own template and context (`views.item_context`) with the item's current
content, whatever its state, under a banner saying it is not published; never indexed nor
cached. Attachments link to the staff's download (the column's would answer 404 until the
item is out). At /app/items/<pk>/preview/ (config/urls.py), beside the item's other pages.
"""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.utils import translation
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from core.errors import NotFound
from publications.models import PublicationStatus
from publications.selectors import visible_publication

from .views import item_context


def _banner(item) -> dict:
    if item.status in (PublicationStatus.APPROVED, PublicationStatus.RETRACTED):
        return {"heading": _("预览 — %s") % item.get_status_display(),
                "note": _("公开专栏中的页面以实际发布的为准。")}
    return {"heading": _("预览 — 尚未发布"),
            "note": _("这是本信息发布后在公开专栏中的样子，公众现在还看不到。")}


@login_required
@require_safe
def item_preview(request, pk):
    try:
        item = visible_publication(request.user, pk, related=("agency", "category"))
    except NotFound as error:
        raise Http404 from error
    with translation.override(settings.LANGUAGE_CODE):  # the column is always in Chinese
        context = item_context(item.agency, item, abolishes_any=item.abolishes.exists())
        context["preview"] = _banner(item)
        response = render(request, "publicsite/item.html", context)
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    add_never_cache_headers(response)
    return response
