"""Where an agency's annual report of a year stands, without computing it: for the
dashboard and the report page's heading (disclosure.reports computes the content).

The report of year Y is due on 31 January of Y + 1 (条例第四十九条; a county government's
own report, which gathers its departments', by 31 March — not something an agency's page
needs). Its progress runs: not started (no version yet) → draft → final → in review (the
final version submitted as an item) → released (that item published in the column).
"""

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agencies.models import ChannelKind
from publications.models import PublicationStatus
from releases.models import Release, ReleaseStatus

from .models import AnnualReport, ReportStatus

STATE_LABELS = {
    "not_started": _("尚未开始"),
    "draft": _("草稿"),
    "final": _("已定稿，未报审"),
    "in_review": _("审核中"),
    "returned": _("审核退回"),
    "approved": _("审核通过，待发布"),
    "released": _("已发布"),
    "withheld": _("不予公开"),
    "withdrawn": _("已撤回审核"),
    "retracted": _("已撤稿"),
}


def due_date(year: int) -> dt.date:
    return dt.date(year + 1, 1, 31)


def default_year(today: dt.date | None = None) -> int:
    """The year whose report is being prepared now: last year's."""
    return (today or timezone.localdate()).year - 1


@dataclass(frozen=True)
class ReportProgress:
    year: int
    due_on: dt.date
    days_left: int  # negative once the due date has passed
    state: str
    version: int | None
    publication_id: int | None

    @property
    def state_label(self) -> str:
        return str(STATE_LABELS[self.state])

    @property
    def done(self) -> bool:
        return self.state == "released"

    @property
    def overdue(self) -> bool:
        return self.days_left < 0 and not self.done

    @property
    def days_overdue(self) -> int:
        return max(0, -self.days_left)


def released_publications(publications) -> set[int]:
    """Those of the items that are on the agency's column (approved, a site release
    published)."""
    return set(Release.objects.filter(
        publication__in=publications, publication__status=PublicationStatus.APPROVED,
        channel__kind=ChannelKind.SITE, status=ReleaseStatus.PUBLISHED)
        .values_list("publication_id", flat=True))


def report_progress(*, agency, year: int, today: dt.date | None = None) -> ReportProgress:
    today = today or timezone.localdate()
    versions = list(AnnualReport.objects.filter(agency=agency, year=year)
                    .select_related("publication").order_by("-version"))
    report = versions[0] if versions else None
    released = released_publications([r.publication_id for r in versions if r.publication_id])
    if report is None:
        state = "not_started"
    elif report.publication is not None:
        state = ("released" if report.publication_id in released
                 else _BY_ITEM_STATUS[report.publication.status])
    elif released:
        # a correction (a later version) is being prepared; an earlier one is public
        state = "released"
    else:
        state = "draft" if report.status == ReportStatus.DRAFT else "final"
    due = due_date(year)
    return ReportProgress(year=year, due_on=due, days_left=(due - today).days, state=state,
                          version=report.version if report else None,
                          publication_id=report.publication_id if report else None)


_BY_ITEM_STATUS = {PublicationStatus.DRAFT: "final", PublicationStatus.IN_REVIEW: "in_review",
                   PublicationStatus.RETURNED: "returned",
                   PublicationStatus.APPROVED: "approved",
                   PublicationStatus.WITHHELD: "withheld",
                   PublicationStatus.WITHDRAWN: "withdrawn",
                   PublicationStatus.RETRACTED: "retracted"}
