"""What the public disclosure column (政府信息公开专栏) may show, and nothing more.

The rule, in one place: an item is public on its agency's site iff it has a
release on one of that agency's channels of kind `site` with status
`published`, and the item itself is `approved` (which is what a released item
is until it is retracted; requiring it rather than merely "not retracted" also
keeps out anything a stray row could otherwise expose: drafts, items in review,
withheld or withdrawn ones). The database keeps the first half on the item
(`Publication.site_published_at`, set by a trigger on releases and channels), so the rule
is `publications.models.ON_SITE`. Every page, the feed and the sitemap read through
`public_items`; nothing in this app queries publications any other way except
`retracted_items`, which only answers "was this public and has it been
retracted?" for tombstones and 410 pages.

Search is `icontains` on the title and on the body's text, not PostgreSQL full
text search: the built-in parsers do not segment Chinese (a run of Han
characters is one lexeme, so "安全" never matches "建筑施工安全大检查"), and
the segmenting extensions (zhparser, pg_jieba) are not something every
installation has. A substring match is predictable, behaves the same on SQLite
and PostgreSQL, and an agency's column holds thousands of items, not millions.
"""

import datetime as dt
import unicodedata

from django.db.models import (
    Count,
    Exists,
    F,
    Func,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    TextField,
    Value,
)
from django.db.models.functions import Coalesce, Least, Replace
from django.utils import timezone

from agencies.models import Agency, Channel, ChannelKind
from disclosure.models import AnnualReport
from disclosure.report_services import REPORT_CATEGORY
from publications.models import ON_SITE, Attachment, Category, Publication, PublicationStatus
from publications.selectors import abolishes_any
from releases.models import Release, ReleaseStatus

TOMBSTONE_DAYS = 90
SEARCH_MAX_CHARS = 100
SEARCH_MAX_TERMS = 5


def site_agency(code: str) -> Agency | None:
    """The agency whose column this is; None unless it has a site channel at all."""
    has_site = Channel.objects.filter(agency=OuterRef("pk"), kind=ChannelKind.SITE)
    return Agency.objects.filter(code=code).filter(Exists(has_site)).first()


def _site_releases():
    """Releases of the outer publication on a site channel of the publication's own agency."""
    return Release.objects.filter(publication=OuterRef("pk"), channel__kind=ChannelKind.SITE,
                                  channel__agency=OuterRef("agency_id"))


def public_items(agency) -> QuerySet[Publication]:
    """Every item of `agency` on its public site, newest on the site first.

    `site_published_at` / `site_published_on` come from its earliest published site
    release (should an agency have two site channels); the database keeps them on the item
    (Publication.site_published_at), so a page reads the first rows of the partial index
    `publication_on_site` instead of every item of the agency with its releases.
    """
    return (Publication.objects.filter(ON_SITE, agency=agency)
            .order_by("-site_published_at", "-pk"))


def public_annual_reports(agency) -> QuerySet[Publication]:
    """The agency's annual reports on its site (the public items of the 年度报告 category),
    newest report year first. `report_year` / `report_version` come from the report the
    item carries (None for an item of that category filed by hand, listed last)."""
    report = AnnualReport.objects.filter(publication=OuterRef("pk")).order_by("-version")
    return (public_items(agency).filter(category__code=REPORT_CATEGORY[0])
            .annotate(report_year=Subquery(report.values("year")[:1]),
                      report_version=Subquery(report.values("version")[:1]))
            .order_by(F("report_year").desc(nulls_last=True),
                      F("report_version").desc(nulls_last=True),
                      F("site_published_at").desc(), "-pk"))


def retracted_items(agency) -> QuerySet[Publication]:
    """Items of `agency` that were on its site and have been retracted (撤稿).

    `retracted_when` is when it left the pages: the retraction service marks the
    item retracted (its `updated_at`) and a worker then records the site
    release's `retracted_at` a moment later; the earlier of the two, so the
    time does not move when the worker catches up or the row is saved again.
    An item retracted before it ever reached the site is not here: it was
    never public, so the site does not admit it existed.
    """
    shown = _site_releases().filter(
        status__in=[ReleaseStatus.PUBLISHED, ReleaseStatus.RETRACTED,
                   ReleaseStatus.RETRACTION_FAILED],
        published_at__isnull=False)
    retracted_at = shown.filter(retracted_at__isnull=False).order_by("retracted_at")
    return (
        Publication.objects.filter(agency=agency, status=PublicationStatus.RETRACTED)
        .filter(Exists(shown))
        .annotate(retracted_when=Least(
            Coalesce(Subquery(retracted_at.values("retracted_at")[:1]), F("updated_at")),
            F("updated_at")))
    )


def recently_retracted(agency, *, now: dt.datetime | None = None) -> QuerySet[Publication]:
    """Retractions of the last 90 days, newest first: the feed's deleted entries."""
    since = (now or timezone.now()) - dt.timedelta(days=TOMBSTONE_DAYS)
    return (retracted_items(agency).filter(retracted_when__gte=since)
            .order_by("-retracted_when", "-pk").only("pk", "agency_id"))


def category_counts(agency) -> QuerySet[Category]:
    """The agency's whole catalogue, each category with its number of public items."""
    public = (public_items(agency).filter(category=OuterRef("pk")).order_by()
              .values("category").annotate(n=Count("pk")).values("n"))
    return (Category.objects.filter(agency=agency)
            .annotate(public_count=Coalesce(Subquery(public), 0))
            .order_by("code"))


def article20_counts(agency) -> dict[int, int]:
    """Art. 20 item number -> number of public items under it."""
    rows = (public_items(agency).filter(article20_item__isnull=False)
            .order_by().values("article20_item").annotate(n=Count("pk")))
    return {row["article20_item"]: row["n"] for row in rows}


def public_item(agency, item_id: int) -> Publication | None:
    """A public item of `agency` with its category and attachments, and `abolishes_any`:
    whether it abolishes documents (then `abolished_public_items` lists them)."""
    return (public_items(agency).select_related("category").prefetch_related("attachments")
            .annotate(abolishes_any=abolishes_any(OuterRef("pk")))
            .filter(pk=item_id).first())


def abolishing_item(agency, document) -> Publication | None:
    """The first public item of `agency` that abolishes `document` (a 规章 or 行政规范性文件),
    by the day it went on the site: from then the column shows the document as 已废止."""
    return (public_items(agency).filter(abolishes=document)
            .order_by(F("site_published_on").asc(nulls_last=True), "pk")
            .only("pk", "title", "document_number", "site_published_on").first())


def abolished_public_items(agency, item) -> QuerySet[Publication]:
    """The public documents `item` abolishes, by 文号 (one not on the site is not named)."""
    return (public_items(agency).filter(abolished_by=item).order_by("document_number", "pk")
            .only("pk", "title", "document_number"))


def public_attachment(agency, *, item_id: int, attachment_id: int) -> Attachment | None:
    """An attachment of a public item of `agency`, or None."""
    public = public_items(agency).order_by().values("pk")
    return Attachment.objects.filter(pk=attachment_id, publication_id=item_id,
                                     publication__in=public).first()


class _StripTags(Func):
    """The body without markup, so a search for "p" or "href" does not match tags.

    PostgreSQL only; SQLite has no REGEXP_REPLACE and searches the raw HTML.
    """

    function = "REGEXP_REPLACE"
    template = "%(function)s(%(expressions)s, '<[^>]*>', ' ', 'g')"
    output_field = TextField()

    def as_sqlite(self, compiler, connection, **extra_context):
        return compiler.compile(self.source_expressions[0])


def _body_text():
    text = _StripTags(F("body"))
    # nh3 escapes these in text; &amp; last so "&amp;lt;" stays "&lt;"
    for entity, char in (("&lt;", "<"), ("&gt;", ">"), ("&quot;", '"'), ("&#39;", "'"),
                         ("&nbsp;", " "), ("&amp;", "&")):
        text = Replace(text, Value(entity), Value(char), output_field=TextField())
    return text


def search_terms(q: str | None) -> list[str]:
    """The words of a query: control characters (NUL breaks PostgreSQL) dropped, bounded."""
    cleaned = "".join(" " if unicodedata.category(c) in ("Cc", "Cs", "Zl", "Zp") else c
                      for c in (q or "")[:SEARCH_MAX_CHARS])
    return list(dict.fromkeys(cleaned.split()))[:SEARCH_MAX_TERMS]


def search_public_items(agency, terms: list[str]) -> QuerySet[Publication]:
    """Public items whose title or body text contains every term (case-insensitive)."""
    items = public_items(agency)
    if not terms:
        return items.none()
    items = items.alias(body_text=_body_text())
    for term in terms:
        items = items.filter(Q(title__icontains=term) | Q(body_text__icontains=term))
    return items
