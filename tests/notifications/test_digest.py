"""The daily digest (每日待办, workflow.digest): what it lists for a person, when it goes out,
once a day, never on a holiday or a weekend, and at a constant cost.

Dates as in tests/workflow/test_item_reminders.py: an item formed on Fri 27 Sep 2024 is due
Wed 30 Oct, so on Wed 23 Oct five working days are left; one formed on Mon 2 Sep is overdue
by then. 1–7 Oct 2024 is the National Day holiday, Sat 26 Oct an ordinary weekend day.
"""

import datetime as dt
from io import StringIO

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from agencies.models import Agency, Role, User
from notifications.kinds import NotificationKind as K
from notifications.models import Notification, NotificationSettings
from notifications.services import notify_release_summary
from testsupport.factories import create_item, make_user, submitted_item, task_for
from workflow import digest
from workflow import services as review
from workflow.tasks import send_daily_digests, sweep_digests

pytestmark = pytest.mark.django_db

D = dt.date
BEIJING = dt.timezone(dt.timedelta(hours=8))
WEDNESDAY = D(2024, 10, 23)


@pytest.fixture(autouse=True)
def _locmem_mail(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SITE_URL = "https://gk.example.gov.cn"


def at(day: dt.date, hour=9, minute=0):
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=BEIJING)


def run(day=WEDNESDAY, hour=9, minute=0):
    """The beat's task, as if it were `day` at `hour`:`minute` Beijing time."""
    with time_machine.travel(at(day, hour, minute), tick=False):
        return send_daily_digests()


def digests(**filters):
    return Notification.objects.filter(kind=K.DAILY_DIGEST, **filters)


def digest_of(user):
    return digests(recipient=user).get()


def titles(details, section):
    return [entry["title"] for entry in details[section]]


@pytest.fixture
def busy(org):
    """drafting_head (drafts and heads the office) with one thing of each kind, made the
    day before: a task they hold, one they may take (due in 5 working days), one overdue,
    and their own items returned, released and not released."""
    with time_machine.travel(at(D(2024, 10, 22), 15), tick=False):
        held = submitted_item(org, title="已签收的信息", formed_on=D(2024, 10, 21))
        review.claim_task(user=org["drafting_head"],
                          task_id=task_for(org["drafting_head"], held).pk)
        submitted_item(org, title="临期的信息", formed_on=D(2024, 9, 27))
        submitted_item(org, title="超期的信息", formed_on=D(2024, 9, 2))
        returned = submitted_item(org, "drafting_head", title="被退回的信息",
                                  formed_on=D(2024, 10, 21))
        review.reject_task(user=org["head_office"],
                           task_id=task_for(org["head_office"], returned).pk,
                           comment="请补充依据")
        released = create_item(org, "drafting_head", title="已发布的信息",
                               formed_on=D(2024, 10, 8))
        notify_release_summary(publication=released, round=1, kind=K.RELEASED,
                               message="公开专栏：已发布")
        failed = create_item(org, "drafting_head", title="未能发布的信息",
                             formed_on=D(2024, 10, 8))
        notify_release_summary(publication=failed, round=1, kind=K.NOT_RELEASED,
                               message="微信公众号：连接失败")
    return org


def test_a_digest_lists_each_kind_of_thing_waiting_for_the_person(busy):
    run()
    details = digest_of(busy["drafting_head"]).details
    assert details["date"] == "2024-10-23"
    # the tasks they hold first, then those they may take, earliest deadline first
    assert titles(details, "waiting") == ["已签收的信息", "超期的信息", "临期的信息"]
    claimed = {e["title"]: e["claimed"] for e in details["waiting"]}
    assert claimed == {"超期的信息": False, "临期的信息": False, "已签收的信息": True}
    assert details["due_soon"] == [{"item": details["due_soon"][0]["item"],
                                    "title": "临期的信息", "deadline": "2024-10-30",
                                    "days_left": 5}]
    assert titles(details, "overdue") == ["超期的信息"]
    assert details["overdue"][0]["days_late"] > 0
    assert titles(details, "returned") == ["被退回的信息"]
    assert details["returned"][0]["message"] == "请补充依据"
    assert titles(details, "released") == ["已发布的信息"]
    assert titles(details, "failed") == ["未能发布的信息"]
    assert details["counts"] == {"waiting": 3, "due_soon": 1, "overdue": 1, "released": 1,
                                 "failed": 1, "returned": 1}


def test_the_leader_hears_of_overdue_items_of_the_sections_they_cover(busy):
    run()
    details = digest_of(busy["leader"]).details
    assert titles(details, "overdue") == ["超期的信息"]
    assert details["waiting"] == [] and details["due_soon"] == []


def test_nobody_with_nothing_waiting_gets_a_digest(busy):
    run()
    have = set(digests().values_list("recipient__username", flat=True))
    # the publisher, the auditor, the admin, construction's people, and the office's
    # drafter, whose items are all with the reviewers and not yet due: nothing for them
    assert {"publisher", "auditor", "admin", "drafter_construction", "head_construction",
            "leader_construction", "drafter_office"}.isdisjoint(have)
    assert {"drafting_head", "head_office", "head_office_2", "leader"} <= have


def test_no_digest_on_a_holiday_or_a_weekend(busy):
    assert run(D(2024, 10, 2)) == 0      # National Day
    assert run(D(2024, 10, 26)) == 0     # an ordinary Saturday
    assert not digests().exists()
    assert run(D(2024, 10, 12)) > 0      # a 调休 Saturday is a working day


def test_not_before_the_agencys_digest_time_in_its_own_time_zone(busy):
    assert run(hour=8, minute=29) == 0
    assert run(hour=8, minute=31) > 0
    digests().delete()
    Agency.objects.filter(pk=busy.agency.pk).update(time_zone="Asia/Urumqi",
                                                    digest_time=dt.time(9, 0))
    # 09:00 in Urumqi is 11:00 in Beijing
    assert run(hour=10, minute=50) == 0
    assert run(hour=11, minute=0) > 0


def test_once_a_day_however_many_runs(busy):
    first = run()
    assert first > 0
    assert run(hour=9, minute=10) == 0 and run(hour=17) == 0
    assert digests(recipient=busy["drafting_head"]).count() == 1
    assert digest_of(busy["drafting_head"]).reminder == "digest:2024-10-23"
    # the next working day brings the next one, with only what happened since
    run(D(2024, 10, 24))
    second = digests(recipient=busy["drafting_head"], reminder="digest:2024-10-24").get()
    assert second.details["released"] == [] and second.details["returned"] == []
    assert second.details["counts"]["waiting"] == 3


def test_a_person_who_switched_it_off_gets_none(busy):
    NotificationSettings.objects.create(user=busy["drafting_head"], digest_enabled=False)
    run()
    assert not digests(recipient=busy["drafting_head"]).exists()
    assert digests(recipient=busy["head_office"]).exists()


def test_the_digest_is_one_chinese_email_in_plain_text_and_html(
        busy, django_capture_on_commit_callbacks):
    User.objects.filter(pk=busy["drafting_head"].pk).update(email="dh@example.gov.cn")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        run()
    [message] = [m for m in mail.outbox if m.to == ["dh@example.gov.cn"]]
    assert message.subject == "政务公开每日待办 2024-10-23"
    for text in ("待您处理的审核任务", "《临期的信息》", "还剩 5 个工作日", "已超过公开期限",
                 "被退回", "https://gk.example.gov.cn/app/review/tasks/"):
        assert text in message.body
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html" and "《已发布的信息》</a>" in html
    assert 'href="https://gk.example.gov.cn/app/items/' in html


def test_the_digest_page_lists_it_and_the_list_shows_its_summary(client, busy):
    run()
    notice = digest_of(busy["drafting_head"])
    client.force_login(busy["drafting_head"])
    listing = client.get("/app/notifications/").content.decode()
    assert "政务公开每日待办 2024-10-23" in listing
    assert "待您处理的审核任务 3" in listing
    opened = client.get(f"/app/notifications/{notice.pk}/open/")
    assert opened.status_code == 302 and opened.url == f"/app/notifications/{notice.pk}/"
    page = client.get(opened.url).content.decode()
    assert "《超期的信息》" in page and "已超期" in page and "《未能发布的信息》" in page
    notice.refresh_from_db()
    assert notice.read_at is not None
    client.force_login(busy["head_office"])
    assert client.get(f"/app/notifications/{notice.pk}/").status_code == 404


def test_the_digest_costs_the_same_for_five_and_fifty_people(org):
    office = org.sections["office"]

    def add_people(n, start):
        for i in range(start, start + n):
            make_user(org.agency, f"head_{i}", [Role.SECTION_HEAD], office, headed=[office])

    def queries():
        digests().delete()
        with CaptureQueriesContext(connection) as captured:
            written = sweep_digests(now=at(WEDNESDAY))
        return written, len(captured)

    with time_machine.travel(at(D(2024, 10, 22), 15), tick=False):
        for i in range(3):
            submitted_item(org, title=f"信息 {i}", formed_on=D(2024, 9, 27) - dt.timedelta(i))
    add_people(5, 0)
    few_written, few = queries()
    add_people(45, 5)
    many_written, many = queries()
    assert many_written - few_written == 45
    assert many == few


def test_the_sweep_gives_each_task_a_chunk_of_the_due_agencies(org, other_org, monkeypatch):
    monkeypatch.setattr(digest, "CHUNK", 1)
    with time_machine.travel(at(D(2024, 10, 22), 15), tick=False):
        submitted_item(org, title="本机关的信息", formed_on=D(2024, 9, 27))
        submitted_item(other_org, title="他机关的信息", formed_on=D(2024, 9, 27))
    chunks = digest.chunks_due(at(WEDNESDAY), digest.WorkingCalendar())
    assert chunks == [(WEDNESDAY, [org.agency.pk]), (WEDNESDAY, [other_org.agency.pk])]
    # in-process (tests, the embedded mode) the chunks run here and the sweep counts them
    assert sweep_digests(now=at(WEDNESDAY)) == digests().count()
    assert digests(agency=org.agency).exists() and digests(agency=other_org.agency).exists()
    assert {d.agency_id for d in digests(recipient__agency=other_org.agency)} == {
        other_org.agency.pk}


def test_a_chunk_delivered_twice_or_overlapping_another_writes_nothing_twice(
        busy, other_org, django_capture_on_commit_callbacks):
    User.objects.filter(agency=busy.agency).update(email="someone@example.gov.cn")
    both = [busy.agency.pk, other_org.agency.pk]
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        first = digest.write_chunk(agency_ids=both, today=WEDNESDAY)
    sent = len(mail.outbox)
    assert first > 0 and sent == first
    with django_capture_on_commit_callbacks(execute=True):
        assert digest.write_chunk(agency_ids=both, today=WEDNESDAY) == 0
        assert digest.write_chunk(agency_ids=[busy.agency.pk], today=WEDNESDAY) == 0
    assert digests().count() == first and len(mail.outbox) == sent


def test_a_chunk_costs_the_same_for_five_and_fifty_people(org):
    office = org.sections["office"]

    def add_people(n, start):
        for i in range(start, start + n):
            make_user(org.agency, f"head_{i}", [Role.SECTION_HEAD], office, headed=[office])

    def queries():
        digests().delete()
        with CaptureQueriesContext(connection) as captured:
            written = digest.write_chunk(agency_ids=[org.agency.pk], today=WEDNESDAY)
        return written, len(captured)

    with time_machine.travel(at(D(2024, 10, 22), 15), tick=False):
        for i in range(3):
            submitted_item(org, title=f"信息 {i}", formed_on=D(2024, 9, 27) - dt.timedelta(i))
    add_people(5, 0)
    few_written, few = queries()
    add_people(45, 5)
    many_written, many = queries()
    assert many_written - few_written == 45
    assert many == few


def test_the_embedded_mode_sends_them_from_a_command(busy):
    out = StringIO()
    with time_machine.travel(at(WEDNESDAY), tick=False):
        call_command("send_digests", stdout=out)
        call_command("send_digests", stdout=out)
    assert digests().count() > 0
    assert "digests=0" in out.getvalue().splitlines()[1]


def test_the_settings_page_switches_the_digest_off_and_on(client, org):
    person = org["head_office"]
    client.force_login(person)
    page = client.get("/app/notifications/settings/").content.decode()
    assert "每日待办" in page and 'name="digest_enabled"' in page and "checked" in page
    response = client.post("/app/notifications/settings/", {"email_enabled": "on"})
    assert response.status_code == 302
    preference = NotificationSettings.objects.get(user=person)
    assert preference.email_enabled and not preference.digest_enabled
    client.post("/app/notifications/settings/", {"digest_enabled": "on"})
    preference.refresh_from_db()
    assert preference.digest_enabled and not preference.email_enabled
