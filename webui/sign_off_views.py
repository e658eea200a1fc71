"""The printable review sign-off sheet (审签单) of an item and its PDF, for anyone who may see
the item (drafters, reviewers, leaders, auditors of its agency)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.cache import add_never_cache_headers

from .sign_off import sign_off, sign_off_pdf
from .views import visible_item_or_404

RELATED = ("agency", "section", "category", "drafter")


def _sheet(request, pk):
    publication = visible_item_or_404(request.user, pk, related=RELATED)
    with translation.override("zh-hans"):  # the archived record is the agency's Chinese text
        return sign_off(publication)


@login_required
def sheet(request, pk):
    response = render(request, "webui/sign_off/document.html", {"sheet": _sheet(request, pk)})
    add_never_cache_headers(response)
    return response


@login_required
def sheet_pdf(request, pk):
    sheet = _sheet(request, pk)
    with translation.override("zh-hans"):
        data = sign_off_pdf(sheet)
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="sign-off-{pk}.pdf"'
    add_never_cache_headers(response)
    return response
