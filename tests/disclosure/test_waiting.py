"""办理时效: where items wait, how long each step and each person takes, timeliness per
section and month, and the overdue items with who holds them (disclosure.waiting and the
page /app/statistics/waiting/)."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from viewflow.workflow.models import Task

from agencies.models import Channel
from disclosure.waiting import percentile, waiting
from publications.models import Publication
from releases.models import Release
from testsupport.factories import approve_through, create_item, submitted_item, task_for
from workdays.calendar import WorkingCalendar
from workflow import services as review

pytestmark = pytest.mark.postgres

PAGE = "/app/statistics/waiting/"
CSV = "/app/statistics/waiting/overdue.csv"
HOUR = dt.timedelta(hours=1)


def today():
    return timezone.localdate()


def working_days_back(n: int) -> dt.date:
    """The day with exactly `n` working days after it up to today (today included)."""
    calendar = WorkingCalendar()
    day, counted = today(), 0
    while counted < n:
        counted += calendar.is_working_day(day)
        day -= dt.timedelta(days=1)
    return day


def at_noon(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(12)))


def decided(org, user, waited: dt.timedelta, *, days_ago=3, **item):
    """An item whose section-head task `user` approved after `waited`, `days_ago` days ago."""
    publication = submitted_item(org, formed_on=today() - dt.timedelta(days=5), **item)
    task = task_for(org[user], publication)
    review.approve_task(user=org[user], task_id=task.pk)
    finished = at_noon(today() - dt.timedelta(days=days_ago))
    Task.objects.filter(pk=task.pk).update(created=finished - waited, finished=finished)
    return publication


def cells(html, testid):
    table = re.search(rf'data-testid="{testid}">(.*?)</table>', html, re.S).group(1)
    return [re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
            for row in re.findall(r"<tr data-testid=[^>]*>(.*?)</tr>", table, re.S)]


def text(cell):
    return re.sub(r"<[^>]+>", "", cell).strip()


# ----------------------------------------------------------------------------- figures

def test_percentiles_interpolate_between_ranks_as_postgresql_does():
    assert percentile([1, 2, 10], 0.5) == 2
    assert percentile([1, 2, 10], 0.9) == pytest.approx(8.4)
    assert percentile([7], 0.9) == 7
    assert percentile([], 0.5) is None


def test_median_and_p90_of_waiting_time_per_step_and_per_person(org):
    decided(org, "head_office", 1 * HOUR)
    decided(org, "head_office", 10 * HOUR)
    decided(org, "head_office_2", 2 * HOUR)
    decided(org, "head_office", 50 * HOUR, days_ago=200)  # before the period: not counted

    figures = waiting(agency=org.agency, start=today() - dt.timedelta(days=89), end=today())

    [step] = figures.steps
    assert (step.step, step.count) == ("section_head_review", 3)
    assert step.median_s == pytest.approx(2 * 3600)
    assert step.p90_s == pytest.approx(8.4 * 3600)
    assert (step.median, step.p90) == ("2.0 小时", "8.4 小时")
    people = [(p.person, p.count, p.median_s / 3600, p.p90_s / 3600) for p in figures.people]
    assert people == [("head_office", 2, pytest.approx(5.5), pytest.approx(9.1)),
                      ("head_office_2", 1, pytest.approx(2.0), pytest.approx(2.0))]


def test_open_items_by_step_and_working_days_waited(org):
    def waiting_at_head_review(days):
        publication = submitted_item(org, formed_on=today())
        Task.objects.filter(process__reviewprocess__publication=publication,
                            status="NEW").update(created=at_noon(working_days_back(days)))

    for days in (0, 1, 2, 3, 6):
        waiting_at_head_review(days)
    create_item(org, formed_on=today())  # a draft created today
    at_secrecy = submitted_item(org, formed_on=today())
    approve_through(org, at_secrecy, "head_office")

    figures = waiting(agency=org.agency, start=today(), end=today())
    ages = {row.phase: row.buckets for row in figures.ages}
    assert ages == {"draft": [1, 0, 0, 0], "section_head_review": [1, 2, 1, 1],
                    "secrecy_review": [1, 0, 0, 0], "leadership_review": [0, 0, 0, 0],
                    "returned": [0, 0, 0, 0], "awaiting_release": [0, 0, 0, 0]}
    assert figures.open_items == 7


def test_overdue_items_name_who_holds_them(org):
    long_ago = today() - dt.timedelta(days=120)
    unclaimed = submitted_item(org, formed_on=long_ago, title="无人签收")
    claimed = submitted_item(org, formed_on=long_ago - dt.timedelta(days=1), title="已签收")
    review.claim_task(user=org["head_office"], task_id=task_for(org["head_office"], claimed).pk)
    draft = create_item(org, formed_on=long_ago, title="草稿")
    approved = create_item(org, formed_on=long_ago, title="待发布")
    Publication.objects.filter(pk=approved.pk).update(status="approved")
    submitted_item(org, formed_on=today(), title="未超期")

    figures = waiting(agency=org.agency, start=today(), end=today())
    rows = {item.title: (item.phase, item.holder_label) for item in figures.overdue}
    assert rows == {"无人签收": ("section_head_review", "待签收"),
                    "已签收": ("section_head_review", "head_office"),
                    "草稿": ("draft", "drafter_office"),
                    "待发布": ("awaiting_release", "待发布（发布员）")}
    assert figures.overdue[0].pk == claimed.pk  # the earliest deadline first
    assert all(item.days_late > 0 for item in figures.overdue)
    assert {unclaimed.pk, draft.pk} <= {item.pk for item in figures.overdue}


def test_timeliness_per_section_and_month_counts_as_the_statistics_do(org):
    website = Channel.objects.get(agency=org.agency, code="website")
    this_month = today().replace(day=1)

    def released(formed_on, published_on, drafter="drafter_office"):
        publication = create_item(org, drafter, formed_on=formed_on)
        Publication.objects.filter(pk=publication.pk).update(status="approved")
        Release.objects.create(publication=publication, channel=website, round=1,
                               fingerprint=publication.fingerprint, status="published",
                               published_on=published_on)

    released(this_month, this_month)                                     # on time
    released(this_month - dt.timedelta(days=100), this_month)            # late
    released(this_month, this_month, drafter="drafter_construction")     # on time
    figures = waiting(agency=org.agency, start=this_month, end=today())
    rows = [(r.section, r.month, r.on_time, r.late, r.on_time_share) for r in figures.timeliness]
    assert rows == [("建筑业管理股", this_month, 1, 0, 100.0),
                    ("办公室", this_month, 1, 1, 50.0)]


# ----------------------------------------------------------------------------- the page

@pytest.mark.parametrize("username", ["leader", "admin", "auditor"])
def test_leaders_admins_and_auditors_read_the_page(client, org, username):
    client.force_login(org[username])
    response = client.get(PAGE)
    assert response.status_code == 200
    html = response.content.decode()
    assert "办理时效" in html
    assert 'data-testid="no-overdue"' in html and 'data-testid="no-decisions"' in html
    assert 'data-testid="no-open-items"' in html and 'data-testid="no-releases"' in html


@pytest.mark.parametrize("username", ["drafter_office", "head_office", "secrecy", "publisher"])
def test_other_people_are_refused(client, org, username):
    client.force_login(org[username])
    assert client.get(PAGE).status_code == 403
    assert client.get(CSV).status_code == 403


def test_the_menu_offers_the_page_to_leaders_only(client, org):
    client.force_login(org["leader"])
    assert PAGE in client.get("/app/statistics/").content.decode()
    client.force_login(org["drafter_office"])
    assert PAGE not in client.get("/app/statistics/").content.decode()


@pytest.mark.parametrize("query", ["date_from=2024-13-01", "date_to=yesterday",
                                   "date_from=2024-05-02&date_to=2024-05-01",
                                   "date_from=2020-01-01&date_to=2024-01-01",
                                   "section=nowhere"])
def test_bad_filters_are_answered_422_with_the_reason(client, org, query):
    client.force_login(org["leader"])
    response = client.get(f"{PAGE}?{query}")
    assert response.status_code == 422
    assert "webui-field-error" in response.content.decode()


def test_the_page_shows_the_figures_filtered_by_section(client, org):
    decided(org, "head_office", 3 * HOUR, title="办公室的")
    long_ago = today() - dt.timedelta(days=120)
    overdue = submitted_item(org, formed_on=long_ago, title="超期的")
    other = submitted_item(org, "drafter_construction", formed_on=long_ago, title="别科室的")
    client.force_login(org["leader"])

    html = client.get(PAGE).content.decode()
    assert cells(html, "waiting-steps") == [["科室审核", "1", "3.0 小时", "3.0 小时"]]
    assert cells(html, "waiting-people")[0][0] == "head_office"
    overdue_rows = [[text(c) for c in row] for row in cells(html, "waiting-overdue")]
    assert {row[0] for row in overdue_rows} == {"超期的", "别科室的"}
    assert overdue_rows[0][2:4] == ["科室审核", "待签收"]

    html = client.get(f"{PAGE}?section=office").content.decode()
    titles = {text(row[0]) for row in cells(html, "waiting-overdue")}
    assert titles == {"超期的"}
    assert f'data-testid="overdue-{other.pk}"' not in html
    assert f'data-testid="overdue-{overdue.pk}"' in html

    html = client.get(f"{PAGE}?section=construction").content.decode()
    assert 'data-testid="no-decisions"' in html


def test_the_overdue_list_downloads_as_csv(client, org):
    submitted_item(org, formed_on=today() - dt.timedelta(days=120), title="超期的")
    client.force_login(org["auditor"])
    response = client.get(CSV)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("标题,科室,当前环节,经办或持有人")
    assert lines[1].startswith("超期的,办公室,科室审核,待签收")


def test_the_page_takes_the_same_queries_for_5_and_50_items(client, org):
    client.force_login(org["leader"])
    long_ago = today() - dt.timedelta(days=120)

    def add(n):
        for k in range(n):
            publication = submitted_item(org, formed_on=long_ago - dt.timedelta(days=k))
            if k % 2:
                review.approve_task(user=org["head_office"],
                                    task_id=task_for(org["head_office"], publication).pk)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(PAGE).status_code == 200
        return len(captured)

    add(5)
    few = queries()
    add(45)
    assert queries() == few


def test_the_percentiles_computed_in_python_match_postgresql(org, monkeypatch):
    """SQLite (the embedded mode) has no percentile_cont: the same figures in Python."""
    import types

    from disclosure import waiting as module

    for hours in (1, 4, 10, 30, 31):
        decided(org, "head_office", hours * HOUR)
    decided(org, "head_office_2", 2 * HOUR)
    period = {"agency": org.agency, "start": today() - dt.timedelta(days=89), "end": today()}
    in_sql = waiting(**period)
    monkeypatch.setattr(module, "connection", types.SimpleNamespace(vendor="sqlite"))
    in_python = waiting(**period)
    assert in_python.steps == in_sql.steps and in_python.people == in_sql.people
    assert in_sql.steps[0].median_s == pytest.approx(7 * 3600)  # 1, 2, 4 | 10, 30, 31
