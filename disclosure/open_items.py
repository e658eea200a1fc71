"""The dashboard's view of what is not out yet: per section, the open items whose Art. 26
deadline has passed or is close (`workdays.deadlines`, as in every queue).

Open: drafted, in review, returned for changes, or approved with no release published
yet (a newspaper not yet confirmed, a failed delivery). Withheld, withdrawn, retracted
and released items have no deadline to keep. Counted as of today, whatever year the
dashboard shows; three queries at most, whatever the number of items.
"""

from collections import Counter
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q

from agencies.models import Section
from publications.models import Publication
from publications.models import PublicationStatus as S
from releases.models import Release, ReleaseStatus
from workdays.deadlines import OVERDUE, PENDING, SOON, SOON_WORKING_DAYS, art26_due_many

__all__ = ["SOON_WORKING_DAYS", "SectionDeadlines", "open_item_deadlines", "open_items"]


@dataclass(frozen=True)
class SectionDeadlines:
    section: str
    open: int = 0
    overdue: int = 0
    soon: int = 0  # due within SOON_WORKING_DAYS working days
    pending: int = 0  # the deadline runs into a year whose holidays are not entered


def open_items(agency):
    """The agency's items with an Art. 26 deadline still to keep (see the module doc)."""
    published = Release.objects.filter(publication=OuterRef("pk"),
                                       status=ReleaseStatus.PUBLISHED)
    return (Publication.objects.filter(agency=agency)
            .filter(Q(status__in=(S.DRAFT, S.IN_REVIEW, S.RETURNED))
                    | Q(status=S.APPROVED) & ~Exists(published)))


def open_item_deadlines(*, agency, today) -> list[SectionDeadlines]:
    """Every section of the agency (in code order), with its open items' deadlines."""
    by_date = list(open_items(agency).order_by()
                   .values_list("section_id", "formed_on").annotate(n=Count("pk")))
    dues = art26_due_many([formed_on for _section, formed_on, _n in by_date], today=today)
    counts: dict[int, Counter] = {}
    for section_id, formed_on, n in by_date:
        counter = counts.setdefault(section_id, Counter())
        counter["open"] += n
        counter[dues[formed_on].state] += n
    rows = []
    for section_id, name in (Section.objects.filter(agency=agency).order_by("code")
                             .values_list("pk", "name")):
        counter = counts.get(section_id, Counter())
        rows.append(SectionDeadlines(name, open=counter["open"], overdue=counter[OVERDUE],
                                     soon=counter[SOON], pending=counter[PENDING]))
    return rows
