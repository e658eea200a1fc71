"""Active-disclosure statistics for one agency and year, counted from released items only.

Definitions (the contract of GET /api/v1/statistics/ and of table 二 of the annual report):

* A release counts when its status is `published`; it counts in the year of its
  `published_on` (for manual channels the confirmed date, so a newspaper item
  approved in December and printed in January counts in January's year).
* A released item is an item still `approved` with at least one counting release.
  Drafts, items in review, returned, withheld, withdrawn and retracted items, and
  releases pending, sending, failed or awaiting confirmation never count.
* `released_by_channel` / `monthly`: per channel, the items released on it in the
  year (one release per item and channel, so items = releases); every channel of
  the agency is listed, with 0 when nothing went out on it.
* `retracted`: items now retracted that had a release published in the year — the
  items that would otherwise be in that year's `released_by_channel`. Items, not
  releases: one item on three channels counts once.
* An item's release date is its first counting `published_on`. Items whose release
  date is in the year feed table 二's decision counts and fees and the timeliness.
* Documents (规章, 行政规范性文件): issued in the year of their release date;
  abolished on the earlier of `abolished_on` and the release date of the first
  released item that `abolishes` them; in force at year end when released by then
  and not abolished by then. A document counts in none of the three columns before
  it is released (documents the system never released are not its to count).
* `fees_wan_yuan`: sum of `fee_amount_yuan` / 10,000, rounded half up to 2 decimals,
  a `Decimal` here and a JSON number in the API.
* Timeliness: see `workdays.calendar.WorkingCalendar.timeliness`.

The selector runs a fixed number of queries whatever the number of items: 7 (5
when nothing was first released in the year, as no holiday data is needed then).
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Exists, OuterRef, Subquery, Sum
from django.db.models.functions import ExtractMonth

from agencies.models import Agency, Channel, ChannelKind
from publications.models import DecisionType, DocumentType, Publication, PublicationStatus
from releases.models import Release, ReleaseStatus
from workdays.calendar import LATE, ON_TIME, UNKNOWN, WorkingCalendar

DECISION_KEYS = {DecisionType.LICENSING: "licensing", DecisionType.PENALTY: "penalties",
                 DecisionType.ENFORCEMENT: "enforcement"}
DOCUMENT_KEYS = {DocumentType.RULE: "rules",
                 DocumentType.NORMATIVE_DOCUMENT: "normative_documents"}
TEN_THOUSAND = Decimal(10_000)
CENT = Decimal("0.01")


@dataclass
class ChannelFigures:
    code: str
    name: str
    kind: str
    released: int
    monthly: list[int]

    @property
    def kind_label(self) -> str:
        return ChannelKind(self.kind).label if self.kind in ChannelKind.values else self.kind


@dataclass
class CategoryFigures:
    code: str
    name: str
    released: int


@dataclass
class AgencyYearStatistics:
    agency: str
    year: int
    channels: list[ChannelFigures]
    documents: dict[str, dict[str, int]]
    decisions: dict[str, int]
    fees_wan_yuan: Decimal
    timeliness: dict[str, int]
    retracted: int
    categories: list[CategoryFigures] = field(default_factory=list)

    @property
    def released_items(self) -> int:
        """Items whose release date is in the year (each counted once)."""
        return self.timeliness["released"]

    @property
    def is_empty(self) -> bool:
        return self.released_items == 0 and not any(c.released for c in self.channels)

    def as_api(self) -> dict:
        return {
            "agency": self.agency,
            "year": self.year,
            "released_by_channel": {c.code: c.released for c in self.channels},
            "table2": {
                "rules": dict(self.documents["rules"]),
                "normative_documents": dict(self.documents["normative_documents"]),
                "licensing": self.decisions["licensing"],
                "penalties": self.decisions["penalties"],
                "enforcement": self.decisions["enforcement"],
                "fees_wan_yuan": float(self.fees_wan_yuan),
            },
            "timeliness": dict(self.timeliness),
            "retracted": self.retracted,
            "monthly": {c.code: list(c.monthly) for c in self.channels},
        }


def _published_releases(publication=None):
    qs = Release.objects.filter(status=ReleaseStatus.PUBLISHED, published_on__isnull=False)
    if publication is not None:
        qs = qs.filter(publication=publication)
    return qs.order_by()


def _first_published_on():
    """Subquery: the item's first counting publication date."""
    return Subquery(_published_releases(OuterRef("pk")).order_by("published_on")
                    .values("published_on")[:1])


def _channel_figures(agency_id, start, end) -> list[ChannelFigures]:
    channels = list(Channel.objects.filter(agency_id=agency_id).order_by("id")
                    .values_list("id", "code", "name", "kind"))
    monthly = {pk: [0] * 12 for pk, *_ in channels}
    rows = (_published_releases()
            .filter(channel__agency_id=agency_id, published_on__gte=start, published_on__lte=end,
                    publication__status=PublicationStatus.APPROVED)
            .values("channel_id", month=ExtractMonth("published_on"))
            .annotate(n=Count("id")))
    for row in rows:
        monthly[row["channel_id"]][row["month"] - 1] = row["n"]
    return [ChannelFigures(code, name, kind, sum(monthly[pk]), monthly[pk])
            for pk, code, name, kind in channels]


def _items_released_in(agency_id, start, end):
    """Items (still approved) whose first counting release is within [start, end]."""
    in_year = (_published_releases()
               .filter(channel__agency_id=agency_id, published_on__gte=start,
                       published_on__lte=end)
               .values("publication_id"))
    earlier = _published_releases(OuterRef("pk")).filter(published_on__lt=start)
    return (Publication.objects.order_by()
            .filter(agency_id=agency_id, status=PublicationStatus.APPROVED, pk__in=in_year)
            .filter(~Exists(earlier)))


def first_released_items(*, agency_id, start, end):
    """Items (still approved) first released within [start, end], with that date as
    `first_on`: what the timeliness counts (`WorkingCalendar.timeliness`)."""
    return _items_released_in(agency_id, start, end).annotate(first_on=_first_published_on())


def _document_figures(agency_id, start, end) -> dict[str, dict[str, int]]:
    """Issued / abolished / in force of the agency's released documents.

    One row per document released by year end (an agency has hundreds, not millions,
    over its lifetime), counted here: SQL that aggregates the same subqueries in several
    FILTER clauses repeats them and costs more to plan than this costs to run.
    """
    abolishers = (_published_releases()
                  .filter(publication__status=PublicationStatus.APPROVED,
                          publication__abolishes=OuterRef("pk"))
                  .order_by("published_on").values("published_on")[:1])
    rows = (Publication.objects.order_by()
            .filter(agency_id=agency_id, status=PublicationStatus.APPROVED,
                    document_type__in=list(DOCUMENT_KEYS))
            .annotate(first_on=_first_published_on(), abolisher_on=Subquery(abolishers))
            .filter(first_on__lte=end)
            .values_list("document_type", "first_on", "abolished_on", "abolisher_on"))
    figures = {key: {"issued": 0, "abolished": 0, "in_force": 0}
               for key in DOCUMENT_KEYS.values()}
    for doc_type, first_on, abolished_on, abolisher_on in rows:
        counts = figures[DOCUMENT_KEYS[doc_type]]
        abolished_at = min((d for d in (abolished_on, abolisher_on) if d), default=None)
        if first_on >= start:
            counts["issued"] += 1
        if abolished_at is not None and start <= abolished_at <= end:
            counts["abolished"] += 1
        if abolished_at is None or abolished_at > end:
            counts["in_force"] += 1
    return figures


def agency_year_statistics(*, agency: Agency, year: int) -> AgencyYearStatistics:
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    channels = _channel_figures(agency.pk, start, end)

    groups = list(first_released_items(agency_id=agency.pk, start=start, end=end)
                  .values("formed_on", "first_on", "category__code", "category__name",
                          "decision_type")
                  .annotate(items=Count("id"), decisions=Sum("decision_count"),
                            fees=Sum("fee_amount_yuan")))
    decisions = dict.fromkeys(DECISION_KEYS.values(), 0)
    fees = Decimal(0)
    timeliness = {"released": 0, ON_TIME: 0, LATE: 0, UNKNOWN: 0}
    categories: dict[tuple[str, str], int] = defaultdict(int)
    calendar = WorkingCalendar()
    if groups:
        formed_years = [g["formed_on"].year for g in groups]
        calendar.load(min(formed_years), max(formed_years) + 1)
    for g in groups:
        n = g["items"]
        if g["decision_type"] in DECISION_KEYS:
            decisions[DECISION_KEYS[g["decision_type"]]] += g["decisions"] or 0
        fees += g["fees"] or 0
        timeliness["released"] += n
        timeliness[calendar.timeliness(g["formed_on"], g["first_on"])] += n
        categories[(g["category__code"], g["category__name"])] += n

    retracted = (Publication.objects.order_by()
                 .filter(agency_id=agency.pk, status=PublicationStatus.RETRACTED)
                 .filter(Exists(_retracted_release_in(start, end)))
                 .count())
    return AgencyYearStatistics(
        agency=agency.code, year=year, channels=channels,
        documents=_document_figures(agency.pk, start, end),
        decisions=decisions,
        fees_wan_yuan=(fees / TEN_THOUSAND).quantize(CENT, rounding=ROUND_HALF_UP),
        timeliness=timeliness, retracted=retracted,
        categories=sorted((CategoryFigures(code, name, n)
                           for (code, name), n in categories.items()),
                          key=lambda c: (-c.released, c.code)))


def _retracted_release_in(start, end):
    return Release.objects.order_by().filter(
        publication=OuterRef("pk"), published_on__gte=start, published_on__lte=end,
        status__in=[ReleaseStatus.PUBLISHED, ReleaseStatus.RETRACTED,
                   ReleaseStatus.RETRACTION_FAILED])


def readable_agency(*, user, code: str) -> Agency | None:
    """The agency whose statistics `user` may read: their own, or any for a superuser."""
    if not user.is_authenticated:
        return None
    qs = Agency.objects.filter(code=code)
    if not user.is_superuser:
        qs = qs.filter(pk=user.agency_id)
    return qs.first()
