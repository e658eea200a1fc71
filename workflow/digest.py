"""The daily digest (每日待办, issue 14 part 2): one notice and one e-mail a working day per
person, at the time their agency sets (`Agency.digest_time`, default 08:30, in the
agency's `time_zone`), listing

- the review tasks waiting for them: those they hold and those they may take (the rules
  of `workflow.reminders`, which are `permissions.refusal` as a filter);
- what is due within 5 working days and what is overdue (Art. 26): of those tasks' items,
  of their own drafts and returned items, and, overdue only, of the sections they cover as
  a leader — the same people the reminders go to, classified by `reminders.reminder_of`;
- what became of their own items since their previous digest: released, failed, returned
  (the notices they had about them).

Nobody with nothing to read gets one; a person may switch it off
(`NotificationSettings.digest_enabled`). Nothing on a weekend or a holiday (a 调休 Saturday
is a working day). The beat runs the sweep every 10 minutes (the command `send_digests` in
the embedded mode); each notice carries `reminder` "digest:<local date>" and the
constraint `one_digest_per_day` admits one per person and day, so a second run, a second
beat or a redelivered task writes nothing.

The sweep (`workflow.tasks.sweep_digests`) dispatches one task per chunk of agencies
(`CHUNK`, `write_chunk`), which the workers share;
in the embedded mode they run in-process, one after the other. Each chunk is set-based,
whatever the number of people: per local date (agencies in different time
zones may be on different dates) one query for the recipients, four for the tasks, one for
the drafts, one for the dates of open items (and the calendar's two), one for the leaders,
one for the outcomes and one INSERT — the same count for 5 people and 20,000.
"""

import datetime as dt
from collections import defaultdict

from django.db import transaction
from django.db.models import DateTimeField, F, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from agencies.models import Agency, User
from notifications.kinds import NotificationKind as NK
from notifications.models import Notification
from notifications.services import email_on_commit
from publications.models import Publication
from publications.models import PublicationStatus as S
from workdays.calendar import WorkingCalendar
from workdays.deadlines import art26_due_many

from . import reminders
from .permissions import REVIEW_STEPS

#: each list of a digest keeps this many entries (its count is always whole)
LIST_LIMIT = 20
#: agencies per task of the sweep: 20,000 people in 1,000 agencies make 20 tasks for the
#: workers to share
CHUNK = 50
#: which of a person's notices about their own items the digest reports, and as what
OUTCOMES = {NK.RELEASED: "released", NK.RELEASED_PARTLY: "released",
            NK.RELEASED_AWAITING: "released", NK.NOT_RELEASED: "failed",
            NK.RELEASE_FAILED: "failed", NK.RETURNED: "returned"}
SECTIONS = ("waiting", "due_soon", "overdue", "released", "failed", "returned")


def digest_key(day: dt.date) -> str:
    return f"digest:{day.isoformat()}"


def agencies_due(now: dt.datetime, calendar: WorkingCalendar) -> dict[dt.date, list[int]]:
    """{local date: the agencies whose digest time has passed on that date, a working
    day} (one query for the agencies)."""
    due = defaultdict(list)
    for pk, zone_name, at in (Agency.objects.order_by("pk")
                              .values_list("pk", "time_zone", "digest_time")):
        local = now.astimezone(Agency(time_zone=zone_name).zone)
        if local.time() >= at and calendar.is_working_day(local.date()):
            due[local.date()].append(pk)
    return dict(due)


class _Content:
    """Every recipient's digest being gathered: {person: {section: {key: entry}}}."""

    def __init__(self):
        self.by_person = defaultdict(lambda: defaultdict(dict))

    def add(self, person: int, section: str, key, entry: dict) -> None:
        self.by_person[person][section].setdefault(key, entry)

    def details(self, person: int, day: dt.date) -> dict | None:
        sections = self.by_person.get(person)
        if not sections or not any(sections.values()):
            return None
        details = {"date": day.isoformat(), "counts": {}}
        for name in SECTIONS:
            entries = list(sections.get(name, {}).values())
            details["counts"][name] = len(entries)
            details[name] = entries[:LIST_LIMIT]
        return details


def _deadlines(agency_ids, today: dt.date):
    """{formed_on: ("due_soon" | "overdue", entry facts)} of the open items' dates that are
    due for a reminder today, by the reminders' own rule."""
    dates = (Publication.objects.filter(agency_id__in=agency_ids,
                                        status__in=reminders.OPEN_STATUSES)
             .order_by().values_list("formed_on", flat=True).distinct())
    found = {}
    for formed_on, due in art26_due_many(list(dates), today=today).items():
        kind_key = reminders.reminder_of(due)
        if kind_key is None:
            continue
        if kind_key[0] == NK.ITEM_OVERDUE:
            found[formed_on] = ("overdue", {"deadline": due.date.isoformat(),
                                            "days_late": due.days_late})
        else:
            found[formed_on] = ("due_soon", {"deadline": due.date.isoformat(),
                                             "days_left": due.days_left})
    return found


def _gather(agency_ids, today: dt.date, recipients: set[int], since) -> _Content:
    content = _Content()
    deadlines = _deadlines(agency_ids, today)

    def deadline_of(person, item, title, formed_on):
        if formed_on in deadlines:
            section, facts = deadlines[formed_on]
            content.add(person, section, item, {"item": item, "title": title, **facts})

    item = reminders._ITEM
    # rows of people not served now (had theirs, switched it off) are read and skipped:
    # an IN list of 20,000 ids would cost more than the rows
    for person, task, step, pk, title, formed_on in (
            reminders.held_tasks(agency_id__in=agency_ids).order_by(f"{item}formed_on", "pk")
            .values_list("owner_id", "pk", reminders.step_of_task(), f"{item}pk",
                         f"{item}title", f"{item}formed_on")):
        if person in recipients:
            content.add(person, "waiting", task, {"task": task, "item": pk, "title": title,
                                                  "step": step, "claimed": True})
            deadline_of(person, pk, title, formed_on)
    for step in REVIEW_STEPS:
        people, path, task_path = reminders.eligible_people(step, agency_id__in=agency_ids)
        # the people of the chunk's agencies first, not every holder of the role
        people = people.filter(agency_id__in=agency_ids)
        for person, task, pk, title, formed_on in (
                people.order_by(f"{path}formed_on", f"{task_path}pk")
                .values_list("pk", f"{task_path}pk", f"{path}pk", f"{path}title",
                             f"{path}formed_on")):
            if person in recipients:
                content.add(person, "waiting", task, {"task": task, "item": pk,
                                                      "title": title, "step": step,
                                                      "claimed": False})
                deadline_of(person, pk, title, formed_on)
    for person, pk, title, formed_on in (
            Publication.objects.filter(agency_id__in=agency_ids,
                                       status__in=(S.DRAFT, S.RETURNED))
            .order_by("formed_on", "pk")
            .values_list("drafter_id", "pk", "title", "formed_on")):
        if person in recipients:
            deadline_of(person, pk, title, formed_on)
    overdue = [day for day, (section, _facts) in deadlines.items() if section == "overdue"]
    if overdue:
        leaders, path = reminders.covering_leaders(agency_id__in=agency_ids,
                                                   formed_on__in=overdue)
        leaders = leaders.filter(agency_id__in=agency_ids)
        for person, pk, title, formed_on in (
                leaders.order_by(f"{path}formed_on", f"{path}pk")
                .values_list("pk", f"{path}pk", f"{path}title", f"{path}formed_on")):
            if person in recipients:
                deadline_of(person, pk, title, formed_on)
    # their own items' outcomes since their previous digest (or since `since`)
    previous = (Notification.objects.filter(recipient_id=OuterRef("recipient_id"),
                                            kind=NK.DAILY_DIGEST)
                .order_by("-created_at").values("created_at")[:1])
    outcomes = (Notification.objects
                .filter(agency_id__in=agency_ids, kind__in=list(OUTCOMES),
                        publication__drafter_id=F("recipient_id"))
                .alias(since=Coalesce(Subquery(previous),
                                      Value(since, output_field=DateTimeField())))
                .filter(created_at__gt=F("since"))
                .order_by("created_at", "pk")
                .values_list("recipient_id", "kind", "publication_id", "title", "message"))
    for person, kind, pk, title, message in outcomes:
        if person in recipients:
            content.add(person, OUTCOMES[kind], pk, {"item": pk, "title": title,
                                                      "kind": kind, "message": message})
    return content


def _recipients(agency_ids, key: str):
    """Active people of the agencies who want a digest and have not had today's."""
    # NOT IN, not NOT EXISTS: a hashed subplan of the chunk's digests, whatever the
    # planner expects of a table that has just had thousands of them written (with NOT
    # EXISTS it rescanned the day's 16,000 for each of the chunk's 1,000 people: 0.5 s)
    had = Notification.objects.filter(agency_id__in=agency_ids, kind=NK.DAILY_DIGEST,
                                      reminder=key).values("recipient_id")
    return dict(User.objects.filter(agency_id__in=agency_ids, is_active=True)
                .exclude(notification_settings__digest_enabled=False)
                .exclude(pk__in=had).values_list("pk", "agency_id"))


def _previous_working_day(today: dt.date, calendar: WorkingCalendar) -> dt.date:
    day = today - dt.timedelta(days=1)
    while not calendar.is_working_day(day):
        day -= dt.timedelta(days=1)
    return day


def write_digests(*, agency_ids, today: dt.date, calendar: WorkingCalendar) -> list[int]:
    """The digests of `today` for the agencies' people who have none yet (in the caller's
    transaction); the new notices' ids."""
    key = digest_key(today)
    people = _recipients(agency_ids, key)
    if not people:
        return []
    # a first digest reports what happened since the previous working day began
    since = timezone.make_aware(dt.datetime.combine(
        _previous_working_day(today, calendar), dt.time()))
    content = _gather(agency_ids, today, set(people), since)
    notices = []
    for person, agency in people.items():
        details = content.details(person, today)
        if details is not None:
            notices.append(Notification(
                recipient_id=person, agency_id=agency, kind=NK.DAILY_DIGEST, reminder=key,
                title=today.isoformat(), details=details))
    created = Notification.objects.bulk_create(notices)
    return [notice.pk for notice in created]


def chunks_due(now: dt.datetime, calendar: WorkingCalendar) -> list[tuple[dt.date, list[int]]]:
    """(local date, up to CHUNK agency ids) of the agencies due at `now`, in order."""
    return [(today, agency_ids[start:start + CHUNK])
            for today, agency_ids in sorted(agencies_due(now, calendar).items())
            for start in range(0, len(agency_ids), CHUNK)]


def write_chunk(*, agency_ids, today: dt.date) -> int:
    """Write the digests of `today` for the agencies' people who have none yet, in one
    transaction, e-mailed once it commits; how many were written.

    The agencies' rows are locked first (in id order, FOR NO KEY UPDATE: their other
    writes are not held up), so two chunks that share agencies (a redelivered task, sweeps
    ten minutes apart that cut the due agencies differently) take turns, and the second
    finds those people served (the digests' unique key)."""
    calendar = WorkingCalendar()
    with transaction.atomic():
        list(Agency.objects.filter(pk__in=agency_ids).order_by("pk")
             .select_for_update(no_key=True).values_list("pk", flat=True))
        ids = write_digests(agency_ids=agency_ids, today=today, calendar=calendar)
        email_on_commit(ids)
    return len(ids)
