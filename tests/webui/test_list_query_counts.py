"""Every list, web and API, costs the same statements for 5 rows and for 500.

Rows beyond the first few are bulk copies of ones the services wrote (a list reads them
as it reads any other), so that 500 cost a fraction of a second. Each test counts a page
at 5 rows, adds 495, counts again and checks the page says 500.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from agencies.models import Channel, Role
from applications.models import Application, ClockEvent
from audit.models import AuditChain, AuditEvent
from notifications.models import Notification
from publications.models import Publication, PublicationStatus
from releases.models import Release, ReleaseStatus, RetractionRequest
from tests.applications.conftest import register
from testsupport.factories import (
    api,
    approve_through,
    create_item,
    item_data,
    make_user,
    submitted_item,
)

TITLE_WORD = item_data()["title"][:2]

pytestmark = pytest.mark.django_db


def statements(get) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as queries:
        response = get()
    assert response.status_code == 200, response.content.decode()[:300]
    return len(queries), response


def pinned(get, add, *, says_500=True):
    """Statements of `get()` after add(5) and after add(495) more: equal."""
    add(5)
    get()  # per-process caches (the working-day calendar) filled
    small, _response = statements(get)
    add(495)
    large, response = statements(get)
    assert small == large
    if says_500:
        if response.get("Content-Type", "").startswith("application/json"):
            assert response.json()["count"] == 500
        else:
            assert "共 500 条" in response.content.decode()
    return response


def copies(obj, n, **changes):
    """n unsaved copies of a saved row (new primary keys), with `changes` applied."""
    rows = []
    for k in range(n):
        copy = type(obj).objects.get(pk=obj.pk)
        copy.pk = None
        for name, value in changes.items():
            setattr(copy, name, value(k) if callable(value) else value)
        rows.append(copy)
    return rows


def copies_of(rows, **changes):
    """Unsaved copies of loaded rows, with `changes` applied."""
    for row in rows:
        copy = type(row)(**{f.attname: getattr(row, f.attname) for f in row._meta.concrete_fields
                            if not f.primary_key})
        for name, value in changes.items():
            setattr(copy, name, value)
        yield copy


class Items:
    """Items of the office drafted by drafter_office, in `status`: one through the
    services, the rest copies."""

    def __init__(self, org, status=PublicationStatus.DRAFT):
        self.org, self.status, self.made = org, status, []

    def __call__(self, n):
        wanted = n
        if not self.made:
            self.made.append(create_item(self.org))
            Publication.objects.filter(pk=self.made[0].pk).update(status=self.status)
            n -= 1
        self.made += Publication.objects.bulk_create(copies(self.made[0], n))
        return self.made[-wanted:]


def web(client, user, url):
    client.force_login(user)
    return lambda: client.get(url)


# --- the web lists -------------------------------------------------------------------------


def test_the_drafters_list(client, org):
    pinned(web(client, org["drafter_office"], "/app/items/"), Items(org))


def test_the_agency_wide_list(client, org):
    pinned(web(client, org["leader"], "/app/items/all/"), Items(org))
    pinned(web(client, org["leader"], "/app/items/all/?status=draft&page=3"),
           lambda n: None, says_500=False)


def released(org, items):
    website = Channel.objects.get(agency=org.agency, code="website")
    now = timezone.now()
    return Release.objects.bulk_create(
        Release(publication=item, channel=website, round=1, fingerprint=item.fingerprint,
                status=ReleaseStatus.PUBLISHED, published_at=now,
                published_on=now.date()) for item in items)


def test_the_publishers_published_queue(client, org):
    items = Items(org, PublicationStatus.APPROVED)
    pinned(web(client, org["publisher"], "/app/releases/published/"),
           lambda n: released(org, items(n)))


def test_the_public_columns_lists(client, org):
    items = Items(org, PublicationStatus.APPROVED)
    code = org.agency.code
    pinned(lambda: client.get(f"/gk/{code}/category/work_updates/"),
           lambda n: released(org, items(n)), says_500=False)
    pinned(lambda: client.get(f"/gk/{code}/search/", {"q": TITLE_WORD}), lambda n: None,
           says_500=False)


def test_the_retraction_queues(client, org):
    items = Items(org, PublicationStatus.APPROVED)

    def requests(status, decided_at=None):
        def add(n):
            RetractionRequest.objects.bulk_create(
                RetractionRequest(publication=item, requested_by=org["publisher"],
                                  reason="标题有误", status=status, decided_at=decided_at,
                                  decided_by=org["leader"] if decided_at else None)
                for item in items(n))
        return add

    pinned(web(client, org["leader"], "/app/review/retractions/"),
           requests(RetractionRequest.Status.PENDING))
    items.made.clear()
    pinned(web(client, org["leader"], "/app/review/retractions/decided/"),
           requests(RetractionRequest.Status.DECLINED, timezone.now()))


def test_the_notification_list(client, org):
    leader = org["leader"]

    def add(n):
        Notification.objects.bulk_create(
            Notification(recipient=leader, agency=org.agency, kind="task_assigned",
                         title=f"待审核 {k}", link="/app/review/") for k in range(n))

    pinned(web(client, leader, "/app/notifications/"), add)


def test_the_done_list(client, org):
    head = org["head_office"]
    decided = []

    def add(n):
        if not decided:
            publication = submitted_item(org)
            approve_through(org, publication, "head_office")
            decided.append(Task.objects.get(owner=head, status=STATUS.DONE))
            n -= 1
        Task.objects.bulk_create(copies(decided[0], n))

    pinned(web(client, head, "/app/review/done/"), add)


def add_events(org, n, *, subject=None, action="edit"):
    """n events at the head of the agency's chain (the trail's pages do not verify it)."""
    chain, _created = AuditChain.objects.get_or_create(agency=org.agency)
    now = timezone.now()
    AuditEvent.objects.bulk_create(
        AuditEvent(agency=org.agency, seq=chain.last_seq + 1 + k, action=action,
                   subject_type="publications.publication" if subject else "",
                   subject_id=subject.pk if subject else None, actor=org["drafter_office"],
                   actor_username="drafter_office", at=now, hash=f"h{k}")
        for k in range(n))
    AuditChain.objects.filter(pk=chain.pk).update(last_seq=chain.last_seq + n)


def test_the_auditors_trail(client, org):
    item = create_item(org)
    before = AuditEvent.objects.filter(agency=org.agency).count()
    auditor = org["auditor"]
    response = pinned(web(client, auditor, "/app/audit/"),
                      lambda n: add_events(org, n, subject=item), says_500=False)
    assert f"共 {500 + before} 条记录" in response.content.decode()
    filtered = f"/app/audit/?action=edit&actor={org['drafter_office'].pk}"
    response = pinned(web(client, auditor, filtered),
                      lambda n: add_events(org, n, subject=item), says_500=False)
    assert "共 1000 条记录" in response.content.decode()
    deep = response.context["page"]["older"]
    pinned(web(client, auditor, f"/app/audit/?action=edit&cursor={deep}"),
           lambda n: add_events(org, n), says_500=False)


def test_the_application_lists(client, org):
    handler = make_user(org.agency, "handler_office", [Role.APPLICATION_HANDLER],
                        org.sections["office"])
    org.users["handler_office"] = handler
    made = []

    def add(n):
        if not made:
            made.append(register(org))
            n -= 1
        clones = Application.objects.bulk_create(copies(
            made[0], n, tracking_code=lambda k: f"T{len(made)}{k:05d}"))
        events = list(ClockEvent.objects.filter(application=made[0]))
        ClockEvent.objects.bulk_create(
            copy for clone in clones for copy in copies_of(events, application=clone))
        made.append(n)

    pinned(web(client, handler, "/app/applications/"), add)
    pinned(web(client, handler, "/app/applications/mine/"), lambda n: None, says_500=False)
    pinned(lambda: api(handler).get("/api/v1/applications/"), lambda n: None, says_500=False)


# --- the API lists -------------------------------------------------------------------------


def test_the_api_item_list(org):
    pinned(lambda: api(org["drafter_office"]).get("/api/v1/publications/"), Items(org))


def test_the_api_trail_of_an_item(org):
    item = create_item(org)
    before = AuditEvent.objects.filter(subject_type="publications.publication",
                                       subject_id=item.pk).count()
    client = api(org["drafter_office"])
    response = pinned(lambda: client.get(f"/api/v1/publications/{item.pk}/trail/"),
                      lambda n: add_events(org, n, subject=item), says_500=False)
    assert response.json()["count"] == 500 + before
    cursor = response.json()["next"].split("cursor=")[1]
    pinned(lambda: client.get(f"/api/v1/publications/{item.pk}/trail/?cursor={cursor}"),
           lambda n: add_events(org, n, subject=item), says_500=False)


def test_the_api_release_list(org):
    items = Items(org, PublicationStatus.APPROVED)
    pinned(lambda: api(org["publisher"]).get("/api/v1/releases/"),
           lambda n: released(org, items(n)))


def test_the_api_retraction_requests(org):
    items = Items(org, PublicationStatus.APPROVED)

    def add(n):
        RetractionRequest.objects.bulk_create(
            RetractionRequest(publication=item, requested_by=org["publisher"], reason="有误")
            for item in items(n))

    pinned(lambda: api(org["leader"]).get("/api/v1/retraction-requests/"), add)

