"""Pages of the public disclosure column, open to everyone without login.

Each view gets the agency from `public_page`, reads only through
`publicsite.selectors`, and renders a fixed number of queries whatever the
number of items. Templates render public fields only: nothing internal
(drafters, sections, review comments, fingerprints) reaches a page, which
tests/publicsite/test_public_site.py checks.
"""

import os
from functools import wraps

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.contrib.sitemaps import views as sitemap_views
from django.http import FileResponse, HttpResponse
from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.cache import patch_cache_control
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from audit import checkpoints
from core.pagination import ObjectWindowPaginator
from publications.article20 import TOPICS
from publications.models import ARTICLE20_ITEMS, Category
from publications.services import sanitise_html

from . import cache as page_cache
from . import selectors
from .feeds import PublicItemsFeed
from .sitemaps import PublicItemSitemap

PAGE_SIZE = 20
LATEST_ON_INDEX = 10
# short: shared proxies go back to this server, whose own cache is purged on every change
CACHE_SECONDS = 60
ARTICLE20_LABELS = dict(ARTICLE20_ITEMS)

# Columns a list needs; the body (up to 200,000 characters) stays in the database.
LIST_FIELDS = ("id", "title", "document_number", "formed_on", "article20_item",
               "site_published_at", "site_published_on", "category__code", "category__name")


class PageNotFound(Exception):
    """Raised by a view to answer with the column's own 404 page."""


def not_found(request, agency=None):
    return render(request, "publicsite/not_found.html", {"agency": agency}, status=404)


def public_page(view=None, *, cached=True):
    """Resolve the agency, answer unknown ones with 404, and let caches keep good answers.

    Only 200 and 410 answers are cacheable: an item not yet released must not stay
    a cached 404 once it is published. Shared caches may keep them for CACHE_SECONDS;
    this server keeps those of `cached` views (publicsite.cache) until the agency's
    column changes (core.column_cache.purge). The column is the agency's publication,
    so it is always in Chinese, also for staff who switched their own pages to English
    (and no cache ever holds two languages under one URL).
    """
    if view is None:
        return lambda view: public_page(view, cached=cached)

    @login_not_required
    @require_safe
    @wraps(view)
    @translation.override(settings.LANGUAGE_CODE)
    def wrapper(request, agency_code, **kwargs):
        agency = selectors.site_agency(agency_code)
        if agency is None:
            return not_found(request)
        try:
            response = view(request, agency, **kwargs)
        except PageNotFound:
            return not_found(request, agency)
        if response.status_code in (200, 410):
            patch_cache_control(response, public=True, max_age=CACHE_SECONDS)
            if cached:
                page_cache.allow(response)
        response.headers.setdefault("Content-Language", settings.LANGUAGE_CODE)
        return response

    return wrapper


def _listing(queryset):
    return queryset.select_related("category").only(*LIST_FIELDS)


def _paginate(request, queryset):
    return ObjectWindowPaginator(_listing(queryset), PAGE_SIZE).get_page(request.GET.get("page"))


def _article20_entries(counts):
    return [{"n": n, "label": ARTICLE20_LABELS[n], "topic": TOPICS[n], "count": counts.get(n, 0)}
            for n in sorted(ARTICLE20_LABELS)]


@public_page
def index(request, agency):
    latest = list(_listing(selectors.public_items(agency))[:LATEST_ON_INDEX])
    return render(request, "publicsite/index.html", {
        "agency": agency,
        "latest": latest,
        "categories": list(selectors.category_counts(agency)),
        "article20": _article20_entries(selectors.article20_counts(agency)),
    })


@public_page
def category(request, agency, code):
    found = Category.objects.filter(agency=agency, code=code).first()
    if found is None:
        raise PageNotFound
    return render(request, "publicsite/list.html", {
        "agency": agency,
        "heading": found.name,
        "caption": _("公开目录类别"),
        "page": _paginate(request, selectors.public_items(agency).filter(category=found)),
    })


@public_page
def article20_item(request, agency, n):
    if n not in ARTICLE20_LABELS:
        raise PageNotFound
    return render(request, "publicsite/list.html", {
        "agency": agency,
        "heading": _("条例第二十条%s") % ARTICLE20_LABELS[n],
        "caption": TOPICS[n],
        "page": _paginate(request, selectors.public_items(agency).filter(article20_item=n)),
    })


@public_page
def reports(request, agency):
    """The 年度报告 section: the agency's released annual reports, one entry per year (and
    version, should a corrected one have been published beside the first)."""
    items = list(selectors.public_annual_reports(agency).select_related("category")
                 .only(*LIST_FIELDS))
    years = {}
    for found in items:
        years.setdefault(found.report_year, []).append(found)
    return render(request, "publicsite/reports.html", {
        "agency": agency,
        "years": [(year, entries) for year, entries in years.items() if year is not None],
        "other": years.get(None, []),
    })


# not kept by this server: one page per query anyone may type
@public_page(cached=False)
def search(request, agency):
    q = request.GET.get("q", "")
    terms = selectors.search_terms(q)
    page = _paginate(request, selectors.search_public_items(agency, terms)) if terms else None
    return render(request, "publicsite/search.html", {
        "agency": agency,
        "q": " ".join(terms),
        "terms": terms,
        "page": page,
        "max_chars": selectors.SEARCH_MAX_CHARS,
    })


def _validity(item, abolisher) -> str:
    """现行有效 / 已废止 / 尚未生效 with the day it began, for documents and items with effect
    dates. A document is abolished on its own 废止日期 or on the day the item abolishing it
    went on the site, whichever is earlier."""
    today = timezone.localdate()
    abolished = [d for d in (item.abolished_on,
                             abolisher.site_published_on if abolisher else None) if d]
    abolished_at = min(abolished, default=None)
    if abolished_at and abolished_at <= today:
        return _("已废止（%s 起）") % abolished_at.isoformat()
    if item.effective_on and item.effective_on > today:
        return _("尚未生效（%s 起施行）") % item.effective_on.isoformat()
    if item.effective_on:
        return _("现行有效（%s 起施行）") % item.effective_on.isoformat()
    if item.document_type:
        return _("现行有效")
    return ""


@public_page
def item(request, agency, item_id):
    found = selectors.public_item(agency, item_id)
    if found is None:
        if selectors.retracted_items(agency).filter(pk=item_id).exists():
            return render(request, "publicsite/gone.html", {"agency": agency}, status=410)
        raise PageNotFound
    return render(request, "publicsite/item.html", item_context(agency, found))


def item_context(agency, found, *, abolishes_any=None) -> dict:
    """What the item's page shows; also the staff's preview of an item not yet public
    (publicsite.preview), which passes `abolishes_any` as public_item's annotation would."""
    # only documents can be abolished (publications.services), so others need no query
    abolisher = selectors.abolishing_item(agency, found) if found.document_type else None
    abolishes_any = found.abolishes_any if abolishes_any is None else abolishes_any
    return {
        "agency": agency,
        "item": found,
        # Sanitised on save already; cleaned again so a row written around the
        # service can never put markup of its own on the public site.
        "body_html": mark_safe(sanitise_html(found.body)),
        "article20_label": ARTICLE20_LABELS.get(found.article20_item),
        "article20_topic": TOPICS.get(found.article20_item),
        "document_type": found.get_document_type_display() if found.document_type else "",
        "validity": _validity(found, abolisher),
        "abolisher": abolisher,
        "abolishes": list(selectors.abolished_public_items(agency, found))
        if abolishes_any else [],
        "attachments": list(found.attachments.all()),
    }


# not kept by this server: a file streamed from storage, up to ATTACHMENT_MAX_BYTES
@public_page(cached=False)
def attachment(request, agency, item_id, attachment_id):
    file = selectors.public_attachment(agency, item_id=item_id, attachment_id=attachment_id)
    if file is None:
        raise PageNotFound
    try:
        handle = file.file.open("rb")
    except (FileNotFoundError, ValueError):
        raise PageNotFound from None
    # The type is guessed from the name we give, never taken from the upload's claim;
    # always a download, so nothing uploaded is rendered in the column's origin.
    name = os.path.basename(file.name) or f"attachment-{file.pk}"
    return FileResponse(handle, as_attachment=True, filename=name)


@public_page
def feed(request, agency):
    return PublicItemsFeed()(request, agency=agency)


@public_page
def sitemap(request, agency):
    return sitemap_views.sitemap(request, sitemaps={"items": PublicItemSitemap(agency)})


# not kept by this server: beat signs a new checkpoint without purging the column
@public_page(cached=False)
def audit_checkpoint(request, agency):
    """The latest signed checkpoint of the agency's audit trail, as kept outside the
    database (audit.checkpoints): anyone can keep a copy and hold a later chain to it. The
    verification key is given in a header and at …/checkpoint/key."""
    text = checkpoints.latest_text(agency.code)
    if text is None:
        raise PageNotFound
    response = HttpResponse(text, content_type="text/plain; charset=utf-8")
    response["X-Checkpoint-Key"] = checkpoints.public_key_text()
    return response


@public_page(cached=False)
def audit_checkpoint_key(request, agency):
    return HttpResponse(checkpoints.public_key_text() + "\n",
                        content_type="text/plain; charset=utf-8")
