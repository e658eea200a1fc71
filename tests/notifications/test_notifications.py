"""Notices: who hears of which review and release event, by bell and by e-mail."""

import datetime as dt
import re
import smtplib
import time
from unittest import mock

import pytest
from celery.exceptions import Retry
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection, transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from kombu.exceptions import OperationalError

from agencies.models import Role, User
from core.errors import Conflict
from notifications import emails, selectors
from notifications.inserts import insert_notices
from notifications.models import Notification, NotificationSettings
from notifications.tasks import send_notification_emails, sweep_unsent_emails
from publications.models import Publication
from releases.models import Release
from releases.services import confirm_release
from testsupport.factories import (
    approve_through,
    create_item,
    make_org,
    make_user,
    submitted_item,
    task_for,
)
from testsupport.workers import Worker
from workflow import services as review

pytestmark = pytest.mark.django_db

LOCMEM = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture(autouse=True)
def _locmem_mail(settings):
    settings.EMAIL_BACKEND = LOCMEM
    settings.SITE_URL = "https://gk.example.gov.cn"


def recipients(publication, kind, **filters):
    return set(Notification.objects.filter(publication=publication, kind=kind, **filters)
               .values_list("recipient__username", flat=True))


def notice_for(user, publication, kind):
    return Notification.objects.get(recipient=user, publication=publication, kind=kind)


def give_addresses(org, *usernames):
    for username in usernames:
        User.objects.filter(pk=org[username].pk).update(email=f"{username}@example.gov.cn")


def mailed_to():
    return sorted(address for message in mail.outbox for address in message.to)


# --- who hears of what ------------------------------------------------------------------

def test_submitting_notifies_exactly_the_heads_of_the_items_section(org):
    publication = submitted_item(org)
    assert recipients(publication, "task_queued") == {"head_office", "head_office_2",
                                                      "drafting_head"}
    task = task_for(org["head_office"], publication)
    notice = notice_for(org["head_office"], publication, "task_queued")
    assert notice.path == f"/app/review/tasks/{task.pk}/"
    assert notice.step == "section_head_review" and notice.title == publication.title
    with translation.override("zh-hans"):
        assert notice.headline == "待您科室审核"
    assert notice.read_at is None and notice.agency_id == org.agency.pk
    # nobody else: not the drafter, not other sections' heads, not later tiers
    assert Notification.objects.count() == 3


def test_head_approval_notifies_the_secrecy_reviewers(org):
    publication = submitted_item(org)
    approve_through(org, publication, "head_office")
    assert recipients(publication, "task_queued", step="secrecy_review") == {"secrecy",
                                                                            "secrecy_2"}
    task = task_for(org["secrecy"], publication)
    assert notice_for(org["secrecy"], publication, "task_queued").path == (
        f"/app/review/tasks/{task.pk}/")


def test_secrecy_approval_notifies_only_leaders_covering_the_section(org):
    publication = submitted_item(org)
    approve_through(org, publication, "head_office", "secrecy")
    assert recipients(publication, "task_queued", step="leadership_review") == {"leader"}


def test_reject_returns_the_item_to_the_drafter_with_the_comment(org):
    publication = submitted_item(org)
    review.reject_task(user=org["head_office"],
                       task_id=task_for(org["head_office"], publication).pk,
                       comment="请补充检查时间安排。")
    notice = notice_for(org["drafter_office"], publication, "returned")
    assert notice.message == "请补充检查时间安排。"
    assert notice.path == f"/app/items/{publication.pk}/"
    assert recipients(publication, "returned") == {"drafter_office"}


def test_a_round_voided_by_changed_content_is_returned_to_the_drafter(org):
    publication = submitted_item(org)
    approve_through(org, publication, "head_office")
    Publication.objects.filter(pk=publication.pk).update(body="<p>改动</p>", fingerprint="0" * 64)
    with pytest.raises(Conflict):
        review.approve_task(user=org["secrecy"], task_id=task_for(org["secrecy"], publication).pk)
    notice = notice_for(org["drafter_office"], publication, "returned")
    assert "本轮审核作废" in notice.message


def test_final_approval_tells_the_drafter_it_is_approved(org):
    publication = submitted_item(org)
    approve_through(org, publication, "head_office", "secrecy", "leader")
    assert recipients(publication, "approved") == {"drafter_office"}
    assert notice_for(org["drafter_office"], publication, "approved").path == (
        f"/app/items/{publication.pk}/")


def test_withhold_tells_the_drafter_with_the_reason(org):
    publication = submitted_item(org)
    approve_through(org, publication, "head_office")
    review.withhold_task(user=org["secrecy"], task_id=task_for(org["secrecy"], publication).pk,
                         basis="process_information", comment="属于过程性信息")
    notice = notice_for(org["drafter_office"], publication, "withheld")
    assert notice.message == "属于过程性信息"
    assert not Notification.objects.filter(publication=publication, kind="task_queued",
                                           step="leadership_review").exists()


def test_release_tells_the_drafter_once_however_many_channels_publish(
        org, django_capture_on_commit_callbacks):
    publication = submitted_item(org, channels=["website", "jiaozuo_daily"])
    approve_through(org, publication, "head_office", "secrecy")
    with django_capture_on_commit_callbacks(execute=True):
        approve_through(org, publication, "leader")  # the site channel publishes after commit
    assert Release.objects.get(publication=publication, channel__code="website").status == (
        "published")
    assert recipients(publication, "released") == {"drafter_office"}
    # what really happened: out on the column, the newspaper yet to carry it
    assert notice_for(org["drafter_office"], publication, "released").message == (
        "已发布到 公开专栏；待确认刊发：焦作日报")
    manual = Release.objects.get(publication=publication, channel__code="jiaozuo_daily")
    confirm_release(user=org["publisher"], release_id=manual.pk,
                    published_on=timezone.localdate(), reference="第3版")
    assert Notification.objects.filter(publication=publication, kind="released").count() == 1


def test_the_release_is_mailed_to_the_drafter_once_however_many_channels_publish(
        org, django_capture_on_commit_callbacks):
    give_addresses(org, "drafter_office")
    publication = submitted_item(org, channels=["website", "jiaozuo_daily"])
    approve_through(org, publication, "head_office", "secrecy")
    with django_capture_on_commit_callbacks(execute=True):
        approve_through(org, publication, "leader")  # the site channel publishes after commit
    manual = Release.objects.get(publication=publication, channel__code="jiaozuo_daily")
    with django_capture_on_commit_callbacks(execute=True):
        confirm_release(user=org["publisher"], release_id=manual.pk,
                        published_on=timezone.localdate(), reference="第3版")
    assert sorted(message.subject for message in mail.outbox) == [
        f"【政务公开】您的信息已发布：{publication.title}",
        f"【政务公开】您的信息已通过审核：{publication.title}",
    ]


def test_nobody_is_notified_of_their_own_action(org):
    # one person heads the office and is a secrecy reviewer: told of the head step, then,
    # having acted in the round, not offered the secrecy step of the same round
    both = make_user(org.agency, "head_and_secrecy", [Role.SECTION_HEAD, Role.SECRECY_REVIEWER],
                     org.sections["office"], headed=[org.sections["office"]])
    publication = submitted_item(org)
    assert "head_and_secrecy" in recipients(publication, "task_queued",
                                            step="section_head_review")
    review.approve_task(user=both, task_id=task_for(both, publication).pk)
    assert recipients(publication, "task_queued", step="secrecy_review") == {"secrecy",
                                                                            "secrecy_2"}
    # and the drafter, acting on their own item, hears nothing of submitting it
    assert not Notification.objects.filter(recipient=org["drafter_office"]).exists()


def test_a_resubmitted_item_is_announced_again_to_the_heads(org):
    publication = submitted_item(org)
    review.reject_task(user=org["head_office"],
                       task_id=task_for(org["head_office"], publication).pk, comment="改")
    review.submit_publication(user=org["drafter_office"], publication_id=publication.pk)
    assert Notification.objects.filter(publication=publication, kind="task_queued",
                                       recipient=org["head_office"]).count() == 2


# --- e-mail -------------------------------------------------------------------------------

def test_email_goes_out_only_after_the_change_commits(org, django_capture_on_commit_callbacks):
    give_addresses(org, "head_office", "head_office_2", "drafting_head")
    publication = create_item(org)
    with django_capture_on_commit_callbacks(execute=True):
        review.submit_publication(user=org["drafter_office"], publication_id=publication.pk)
        assert mail.outbox == []  # not inside the transaction: queued for after its commit
    assert mailed_to() == ["drafting_head@example.gov.cn", "head_office@example.gov.cn",
                           "head_office_2@example.gov.cn"]
    assert not Notification.objects.filter(emailed_at__isnull=True).exists()


def test_a_rolled_back_change_sends_nothing(org, django_capture_on_commit_callbacks):
    give_addresses(org, "head_office")
    publication = create_item(org)
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            review.submit_publication(user=org["drafter_office"], publication_id=publication.pk)
            raise RuntimeError("the request failed after submitting")
    assert mail.outbox == []
    assert not Notification.objects.exists()


def test_no_email_to_people_who_turned_it_off_or_have_no_address(
        org, django_capture_on_commit_callbacks):
    give_addresses(org, "head_office", "head_office_2")  # drafting_head has none
    NotificationSettings.objects.create(user=org["head_office"], email_enabled=False)
    publication = create_item(org)
    with django_capture_on_commit_callbacks(execute=True):
        review.submit_publication(user=org["drafter_office"], publication_id=publication.pk)
    assert mailed_to() == ["head_office_2@example.gov.cn"]
    emailed = set(Notification.objects.filter(emailed_at__isnull=False)
                  .values_list("recipient__username", flat=True))
    assert emailed == {"head_office_2"}
    assert Notification.objects.count() == 3  # all still see it in the bell


def test_email_is_chinese_plain_text_with_the_absolute_link_and_the_comment(
        org, django_capture_on_commit_callbacks):
    give_addresses(org, "drafter_office")
    publication = submitted_item(org)
    task = task_for(org["head_office"], publication)
    with django_capture_on_commit_callbacks(execute=True):
        review.reject_task(user=org["head_office"], task_id=task.pk, comment="请补充附件。")
    [message] = mail.outbox
    assert message.subject == f"【政务公开】您的信息被退回修改：{publication.title}"
    assert message.content_subtype == "plain"
    assert f"《{publication.title}》" in message.body
    assert "退回意见：请补充附件。" in message.body
    assert f"https://gk.example.gov.cn/app/items/{publication.pk}/" in message.body
    assert "通知设置" in message.body


def test_task_email_links_to_the_reviewers_task_page(org, django_capture_on_commit_callbacks):
    give_addresses(org, "head_office")
    publication = create_item(org)
    with django_capture_on_commit_callbacks(execute=True):
        review.submit_publication(user=org["drafter_office"], publication_id=publication.pk)
    [message] = mail.outbox
    task = task_for(org["head_office"], publication)
    assert message.subject.startswith("【政务公开】待您科室审核：")
    assert f"https://gk.example.gov.cn/app/review/tasks/{task.pk}/" in message.body


def test_a_notice_that_stored_its_link_still_opens_and_mails_it(client, org):
    # task notices written before task ids were kept (migration 0002) hold the page's path
    give_addresses(org, "head_office")
    publication = create_item(org)
    stored = Notification.objects.create(
        recipient=org["head_office"], agency=org.agency, kind="task_queued",
        publication=publication, step="section_head_review", title=publication.title,
        link="/app/review/tasks/7/")
    client.force_login(org["head_office"])
    response = client.get(f"/app/notifications/{stored.pk}/open/")
    assert response.status_code == 302 and response["Location"] == "/app/review/tasks/7/"
    assert emails.send_emails([stored.pk]) == []
    [message] = mail.outbox
    assert "https://gk.example.gov.cn/app/review/tasks/7/" in message.body


@pytest.fixture
def without_insert_returning(monkeypatch):
    """A database that cannot return the rows an insert wrote (SQLite before 3.35)."""
    monkeypatch.setattr(type(connection.features), "can_return_rows_from_bulk_insert", False)


def test_without_insert_returning_exactly_the_new_notices_are_mailed(
        org, without_insert_returning, django_capture_on_commit_callbacks):
    def reject():
        review.reject_task(user=org["head_office"],
                           task_id=task_for(org["head_office"], publication).pk, comment="改")

    # round 1: the same notices, told to people who had no address yet, so never mailed
    publication = submitted_item(org)
    reject()
    give_addresses(org, "head_office", "head_office_2", "drafter_office")
    with django_capture_on_commit_callbacks(execute=True):
        review.submit_publication(user=org["drafter_office"], publication_id=publication.pk)
    assert mailed_to() == ["head_office@example.gov.cn", "head_office_2@example.gov.cn"]
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        reject()
    assert mailed_to() == ["drafter_office@example.gov.cn"]
    assert Notification.objects.filter(emailed_at__isnull=False).count() == 3  # none of round 1


@pytest.mark.parametrize("returning", [True, False], ids=["returning", "no-returning"])
def test_a_second_released_notice_inserts_nothing_and_returns_no_id(org, monkeypatch,
                                                                    returning):
    if not returning:
        monkeypatch.setattr(type(connection.features), "can_return_rows_from_bulk_insert",
                            False)
    publication = create_item(org)

    def released():
        return insert_notices(User.objects.filter(pk=org["drafter_office"].pk),
                              ignore_conflicts=True, recipient_id=F("pk"),
                              agency_id=org.agency.pk, kind="released",
                              publication_id=publication.pk, title=publication.title,
                              step="", message="", link=f"/app/items/{publication.pk}/",
                              round=publication.round)

    [first] = released()
    assert released() == []
    assert list(Notification.objects.filter(kind="released").values_list("pk", flat=True)) == [
        first]


def test_sending_twice_sends_once(org):
    give_addresses(org, "head_office")
    publication = submitted_item(org)
    ids = list(Notification.objects.filter(publication=publication)
               .values_list("pk", flat=True))
    send_notification_emails(ids)
    send_notification_emails(ids)  # a redelivered task
    assert mailed_to() == ["head_office@example.gov.cn"]


class WorkerDied(BaseException):
    """What a killed process looks like to the code after the call: nothing runs on."""


class DiesAfterTheServerAccepts(BaseEmailBackend):
    """The mail server takes the message, then the worker is killed before it records it."""

    def send_messages(self, email_messages):
        mail.outbox.extend(email_messages)
        raise WorkerDied


def test_a_worker_killed_after_the_mail_server_accepted_does_not_send_it_again(
        org, settings):
    """Observed on main: the e-mail went out inside the transaction that recorded it, so a
    crash after sending rolled the record back and the redelivered task sent it again."""
    give_addresses(org, "head_office")
    publication = submitted_item(org)
    [pk] = Notification.objects.filter(publication=publication, recipient=org["head_office"],
                                       ).values_list("pk", flat=True)
    settings.EMAIL_BACKEND = "tests.notifications.test_notifications.DiesAfterTheServerAccepts"
    with pytest.raises(WorkerDied):
        send_notification_emails([pk])
    assert len(mail.outbox) == 1
    settings.EMAIL_BACKEND = LOCMEM  # a new worker takes the redelivered task
    send_notification_emails([pk])
    Notification.objects.filter(pk=pk).update(created_at=F("created_at") - 11 * MINUTE)
    sweep_unsent_emails()  # and the sweeper runs
    assert mailed_to() == ["head_office@example.gov.cn"]
    notice = Notification.objects.get(pk=pk)
    assert notice.email_claimed_at is not None and notice.emailed_at is None


def test_an_email_claimed_by_a_dead_sender_is_reported_by_the_sweeper(org, caplog):
    give_addresses(org, "drafter_office")
    notice = unsent_notice(org, create_item(org), "drafter_office", age=20 * MINUTE)
    Notification.objects.filter(pk=notice.pk).update(
        email_claimed_at=timezone.now() - 15 * MINUTE)
    assert selectors.unconfirmed_emails(now=timezone.now()) == 1
    assert sweep_unsent_emails() == 0
    assert mail.outbox == []
    assert "not re-sent" in caplog.text


def test_every_attempt_at_one_notice_carries_the_same_message_id(org):
    give_addresses(org, "head_office")
    publication = submitted_item(org)
    pk = Notification.objects.get(publication=publication, recipient=org["head_office"]).pk
    send_notification_emails([pk])
    [message] = mail.outbox
    assert message.extra_headers["Message-ID"] == f"<notification-{pk}@gk.example.gov.cn>"


class DownMailServer(BaseEmailBackend):
    def send_messages(self, email_messages):
        raise smtplib.SMTPServerDisconnected("connection unexpectedly closed")


def test_an_smtp_failure_leaves_the_notice_unsent_and_the_task_retries(org, settings):
    from config.celery import app

    give_addresses(org, "head_office")
    publication = submitted_item(org)
    [pk] = Notification.objects.filter(publication=publication, recipient=org["head_office"],
                                       ).values_list("pk", flat=True)
    settings.EMAIL_BACKEND = "tests.notifications.test_notifications.DownMailServer"
    assert emails.send_emails([pk]) == [pk]
    assert Notification.objects.get(pk=pk).emailed_at is None
    app.conf.task_always_eager = False  # as on a worker: retry later with backoff
    with pytest.raises(Retry):
        send_notification_emails([pk])
    settings.EMAIL_BACKEND = LOCMEM  # the server is back
    assert emails.send_emails([pk]) == []
    assert Notification.objects.get(pk=pk).emailed_at is not None
    assert mailed_to() == ["head_office@example.gov.cn"]


def test_retry_backoff_grows_and_is_capped(settings):
    settings.NOTIFICATION_EMAIL_RETRY_BASE_SECONDS = 10
    settings.NOTIFICATION_EMAIL_RETRY_MAX_SECONDS = 100
    assert all(5 <= emails.backoff_seconds(1) <= 10 for _ in range(20))
    assert all(5 <= emails.backoff_seconds(10) <= 100 for _ in range(20))


# --- web ----------------------------------------------------------------------------------

def bell(html):
    match = re.search(r'<span class="notification-bell__count" data-testid="bell-count"'
                      r'( hidden)?>([^<]*)</span>', html)
    assert match, "no bell on the page"
    return (0 if match.group(1) else int(match.group(2)))


def test_the_bell_shows_the_unread_count_on_every_page(client, org):
    submitted_item(org)
    submitted_item(org)
    client.force_login(org["head_office"])
    html = client.get("/app/items/").content.decode()
    assert 'data-testid="bell"' in html and 'href="/app/notifications/"' in html
    assert bell(html) == 2
    client.force_login(org["drafter_office"])
    assert bell(client.get("/app/items/").content.decode()) == 0  # hidden when none unread


def test_the_bell_costs_one_query_and_none_for_anonymous_people(org):
    from django.contrib.auth.models import AnonymousUser

    submitted_item(org)
    user = User.objects.get(pk=org["head_office"].pk)
    with CaptureQueriesContext(connection) as ctx:
        html = render_to_string("notifications/bell.html", {"user": user})
    assert len(ctx) == 1 and ">1</span>" in html
    with CaptureQueriesContext(connection) as ctx:
        render_to_string("notifications/bell.html", {"user": AnonymousUser()})
    assert len(ctx) == 0


def test_opening_a_notice_marks_it_read_and_goes_to_the_page_to_act_on(client, org):
    publication = submitted_item(org)
    notice = notice_for(org["head_office"], publication, "task_queued")
    client.force_login(org["head_office"])
    response = client.get(f"/app/notifications/{notice.pk}/open/")
    assert response.status_code == 302 and response["Location"] == notice.path
    notice.refresh_from_db()
    assert notice.read_at is not None
    assert bell(client.get("/app/notifications/").content.decode()) == 0


def test_someone_elses_notice_is_not_found(client, org):
    publication = submitted_item(org)
    notice = notice_for(org["head_office"], publication, "task_queued")
    client.force_login(org["head_office_2"])
    assert client.get(f"/app/notifications/{notice.pk}/open/").status_code == 404
    notice.refresh_from_db()
    assert notice.read_at is None


def test_the_list_is_paged_newest_first_with_unread_highlighted(client, org):
    publication = create_item(org)
    head = org["head_office"]
    now = timezone.now()
    Notification.objects.bulk_create([
        Notification(recipient=head, agency=org.agency, kind="task_queued",
                     publication=publication, step="section_head_review",
                     title=f"第{i}条", link="/app/items/")
        for i in range(25)])
    for i, notice in enumerate(Notification.objects.filter(recipient=head).order_by("pk")):
        Notification.objects.filter(pk=notice.pk).update(
            created_at=now - dt.timedelta(minutes=25 - i),
            read_at=now if i < 5 else None)  # the five oldest are read
    client.force_login(head)
    first = client.get("/app/notifications/").content.decode()
    assert first.count('data-testid="notification"') == 20
    assert first.index("《第24条》") < first.index("《第23条》")
    assert first.count("notification--unread") == 20
    assert "第 1 / 2 页，共 25 条" in first
    second = client.get("/app/notifications/?page=2").content.decode()
    assert second.count('data-testid="notification"') == 5
    assert second.count("notification--unread") == 0


def test_the_empty_list_says_so(client, org):
    client.force_login(org["auditor"])
    response = client.get("/app/notifications/")
    assert response.status_code == 200
    assert "暂无通知" in response.content.decode()


def test_mark_all_read(client, org):
    submitted_item(org)
    submitted_item(org)
    client.force_login(org["head_office"])
    assert client.get("/app/notifications/read-all/").status_code == 405
    response = client.post("/app/notifications/read-all/")
    assert response.status_code == 302
    assert not Notification.objects.filter(recipient=org["head_office"],
                                           read_at__isnull=True).exists()
    assert Notification.objects.filter(recipient=org["head_office_2"],
                                       read_at__isnull=True).count() == 2


def email_box_checked(html) -> bool:
    [box] = re.findall(r'<input[^>]*name="email_enabled"[^>]*>', html)
    return " checked" in box


def test_a_person_turns_email_off_and_on(client, org):
    client.force_login(org["head_office"])
    page = client.get("/app/notifications/settings/").content.decode()
    assert email_box_checked(page) and "您尚未登记邮箱地址" in page
    response = client.post("/app/notifications/settings/", {})
    assert response.status_code == 302
    assert NotificationSettings.objects.get(user=org["head_office"]).email_enabled is False
    assert not email_box_checked(client.get("/app/notifications/settings/").content.decode())
    client.post("/app/notifications/settings/", {"email_enabled": "on"})
    assert NotificationSettings.objects.get(user=org["head_office"]).email_enabled is True


def test_every_signed_in_person_has_the_notifications_application(client, org):
    for username in ("drafter_office", "auditor", "publisher", "leader"):
        client.force_login(org[username])
        html = client.get("/app/notifications/").content.decode()
        assert 'data-testid="app-notifications"' in html
    client.logout()
    response = client.get("/app/notifications/")
    assert response.status_code == 302 and response["Location"].startswith("/app/login/")


# --- a real worker --------------------------------------------------------------------------

@pytest.mark.postgres
@pytest.mark.usefixtures("committed_db", "broker")
def test_a_real_worker_emails_after_commit():
    from config.celery import app

    org = make_org()
    give_addresses(org, "head_office", "head_office_2")
    worker = Worker(app.conf.broker_url, "notify")
    try:
        publication = submitted_item(org)
        deadline = time.time() + 60
        while time.time() < deadline:
            sent = set(Notification.objects.filter(emailed_at__isnull=False)
                       .values_list("recipient__username", flat=True))
            if sent == {"head_office", "head_office_2"}:
                break
            time.sleep(0.2)
            connection.close()
    finally:
        worker.stop()
    assert sent == {"head_office", "head_office_2"}
    # drafting_head has no address: notified in the bell, never mailed
    assert Notification.objects.get(publication=publication,
                                    recipient=org["drafting_head"]).emailed_at is None
    assert mail.outbox == []  # not sent by this process



@pytest.mark.postgres
@pytest.mark.usefixtures("committed_db", "broker")
def test_a_worker_killed_after_the_mail_server_accepted_sends_each_email_once(
        tmp_path, monkeypatch):
    """A real worker child is SIGKILLed right after the mail server took the first message;
    the task is redelivered (acks late, rejected on worker loss) to a new child, which
    sends the second notice's e-mail and not the first's again."""
    from config.celery import app

    sent_file = tmp_path / "sent.txt"
    monkeypatch.setenv("EMAIL_BACKEND", "testsupport.dying_mail.DiesAfterTheFirstAcceptedMessage")
    monkeypatch.setenv("DYING_MAIL_FILE", str(sent_file))
    org = make_org()
    give_addresses(org, "head_office", "head_office_2")
    worker = Worker(app.conf.broker_url, "dying-mail", concurrency=1)
    try:
        submitted_item(org)
        deadline = time.time() + 60
        while time.time() < deadline:
            if Notification.objects.filter(emailed_at__isnull=False).exists():
                break
            time.sleep(0.2)
            connection.close()
    finally:
        worker.stop()
    lines = sent_file.read_text().splitlines()
    assert (tmp_path / "sent.txt.died").exists()
    assert sorted(line.split()[0] for line in lines) == ["head_office@example.gov.cn",
                                                          "head_office_2@example.gov.cn"]
    assert len(set(lines)) == 2
    # the one whose sender died stays claimed, never recorded as sent, never sent again
    died = Notification.objects.get(emailed_at__isnull=True, email_claimed_at__isnull=False)
    assert died.recipient.email in lines[0]


def test_what_reviewers_write_into_the_trail_does_not_depend_on_their_language(org):
    from django.utils import translation

    publication = submitted_item(org)
    approve_through(org, publication, "head_office")
    Publication.objects.filter(pk=publication.pk).update(body="<p>改动</p>", fingerprint="0" * 64)
    with translation.override("en"), pytest.raises(Conflict):
        review.approve_task(user=org["secrecy"], task_id=task_for(org["secrecy"], publication).pk)
    assert "本轮审核作废" in notice_for(org["drafter_office"], publication, "returned").message


# --- e-mails lost after commit: the sweeper -------------------------------------------------

MINUTE = dt.timedelta(minutes=1)


def unsent_notice(org, publication, username, *, age) -> Notification:
    """A notice whose after-commit e-mail task never ran, written `age` ago."""
    notice = Notification.objects.create(
        recipient=org[username], agency=org.agency, kind="returned", publication=publication,
        title=publication.title, link=f"/app/items/{publication.pk}/")
    Notification.objects.filter(pk=notice.pk).update(created_at=timezone.now() - age)
    return notice


def test_an_email_lost_with_the_broker_down_is_sent_by_the_sweeper_once(
        org, django_capture_on_commit_callbacks):
    give_addresses(org, "head_office", "head_office_2")  # drafting_head has none
    publication = create_item(org)
    down = OperationalError("Error 111 connecting to redis:6379. Connection refused.")
    with mock.patch.object(send_notification_emails, "delay", side_effect=down), \
            django_capture_on_commit_callbacks(execute=True):
        review.submit_publication(user=org["drafter_office"], publication_id=publication.pk)
    assert mail.outbox == []  # the submission succeeded; its e-mails were lost
    notices = Notification.objects.filter(publication=publication)
    assert notices.count() == 3 and not notices.filter(emailed_at__isnull=False).exists()
    notices.update(created_at=F("created_at") - 11 * MINUTE)  # past the grace period

    assert sweep_unsent_emails() == 2
    assert mailed_to() == ["head_office@example.gov.cn", "head_office_2@example.gov.cn"]
    assert sweep_unsent_emails() == 0  # the next run finds nothing left to send
    assert len(mail.outbox) == 2


def test_the_sweeper_leaves_a_fresh_notice_to_the_after_commit_task(org):
    give_addresses(org, "drafter_office")
    notice = unsent_notice(org, create_item(org), "drafter_office", age=9 * MINUTE)
    assert sweep_unsent_emails() == 0
    assert mail.outbox == [] and Notification.objects.get(pk=notice.pk).emailed_at is None


def test_the_sweeper_does_not_mail_notices_older_than_the_cut_off(org):
    give_addresses(org, "drafter_office")
    publication = create_item(org)
    unsent_notice(org, publication, "drafter_office", age=dt.timedelta(days=2) + MINUTE)
    recent = unsent_notice(org, publication, "drafter_office", age=dt.timedelta(days=2) - MINUTE)
    assert sweep_unsent_emails() == 1
    assert Notification.objects.filter(emailed_at__isnull=False).get().pk == recent.pk
    assert mailed_to() == ["drafter_office@example.gov.cn"]


def test_the_sweeper_skips_people_who_turned_email_off_have_no_address_or_left(org):
    give_addresses(org, "head_office", "head_office_2", "secrecy")
    NotificationSettings.objects.create(user=org["head_office"], email_enabled=False)
    User.objects.filter(pk=org["secrecy"].pk).update(is_active=False)
    publication = create_item(org)
    for username in ("head_office", "drafting_head", "secrecy", "head_office_2"):
        unsent_notice(org, publication, username, age=30 * MINUTE)
    assert sweep_unsent_emails() == 1
    assert mailed_to() == ["head_office_2@example.gov.cn"]
    assert Notification.objects.filter(emailed_at__isnull=True).count() == 3  # still in the bell


def test_finding_lost_emails_is_one_query_that_notices_nobody_will_get_cannot_fill(
        org, django_assert_num_queries):
    give_addresses(org, "head_office", "head_office_2")
    NotificationSettings.objects.create(user=org["head_office"], email_enabled=False)
    publication = create_item(org)
    for username in ("head_office", "drafting_head") * 3:  # older, and never to be mailed
        unsent_notice(org, publication, username, age=40 * MINUTE)
    due = [unsent_notice(org, publication, "head_office_2", age=age * MINUTE).pk
           for age in (30, 20, 15)]
    with django_assert_num_queries(1):
        assert selectors.lost_emails(now=timezone.now(), limit=2) == due[:2]


def test_a_swept_email_that_fails_waits_for_the_next_sweep(org, settings):
    from config.celery import app

    give_addresses(org, "drafter_office")
    notice = unsent_notice(org, create_item(org), "drafter_office", age=30 * MINUTE)
    settings.EMAIL_BACKEND = "tests.notifications.test_notifications.DownMailServer"
    app.conf.task_always_eager = False  # as on a worker: no retry chain from a sweep
    send_notification_emails([notice.pk], retry=False)
    app.conf.task_always_eager = True
    assert Notification.objects.get(pk=notice.pk).emailed_at is None
    settings.EMAIL_BACKEND = LOCMEM  # the server is back
    assert sweep_unsent_emails() == 1
    assert mailed_to() == ["drafter_office@example.gov.cn"]


def test_beat_runs_the_sweeper_every_five_minutes():
    from config.celery import app

    entry = app.conf.beat_schedule["sweep-unsent-notification-emails"]
    assert entry["task"] == sweep_unsent_emails.name
    assert entry["task"] in app.tasks
    assert entry["schedule"] == 300
    assert "sweep-release-outbox" in app.conf.beat_schedule
