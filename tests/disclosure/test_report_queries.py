"""The annual report runs a fixed number of queries whatever the size of the agency-year:
the statistics, tables 三 and 四 and the fees are counted in SQL, never per item, per
application or per case (benchmarks/annual_report.py measures the time)."""

import datetime as dt
import random

import pytest

from applications import services as apps
from applications.models import ApplicantType
from disclosure import reports
from tests.applications import conftest as application_fixtures
from tests.applications.conftest import D, on, register
from tests.disclosure.test_statistics import add_channels, random_items, save_items

pytestmark = pytest.mark.django_db
YEAR = 2024  # the year test_statistics.random_items spreads its items around
handlers = application_fixtures.handlers  # handler_office & co. added to `org`

# statistics 7 (channels, monthly, items, holiday years, holidays, documents, retracted),
# table 三 4 (new, carried in, results, carried out), table 四 1, fees 2 (payments, their
# notices), last year's final report 1, the opening balance 1, next year's holiday data 1
LIVE_REPORT_QUERIES = 17


def add_year(org, *, items: int, applications: int, seed: int) -> None:
    """Released items (and some that must not count) and applications of YEAR: every third
    paid a fee first, some were carried over from the year before, some are still open at
    its end, the others replied, with a case about every fifth. The first three
    applications already have one of each."""
    rng = random.Random(seed)
    save_items(org, random_items(rng, items))
    handler, leader = org["handler_office"], org["leader"]
    for i in range(applications):
        received = D(YEAR - 1, 12, 18) if i % 7 == 1 else D(YEAR, 1 + i % 11, 5)
        a = register(org, received_on=received,
                     applicant_type=ApplicantType.values[i % len(ApplicantType.values)])
        if i % 3 == 0:
            with on(received + dt.timedelta(days=1)):
                apps.send_fee_notice(user=handler, application_id=a.pk,
                                     notice_on=received + dt.timedelta(days=1),
                                     method="per_page", quantity=120)
            with on(received + dt.timedelta(days=3)):
                apps.record_fee_paid(user=handler, application_id=a.pk,
                                     paid_on=received + dt.timedelta(days=3))
        if i % 9 == 2:
            continue  # still open at the year's end
        with on(max(received + dt.timedelta(days=6), D(YEAR, 1, 10))):
            apps.draft_reply(user=handler, application_id=a.pk, outcome="disclosed",
                             basis="《条例》第二十七条", text="予以公开。")
            apps.approve_reply(user=leader, application_id=a.pk)
        if i % 5 == 0:
            with on(D(YEAR, 12, 20)):
                apps.file_case(user=handler, data={
                    "kind": "reconsideration", "filed_on": D(YEAR, 12, 1) - dt.timedelta(days=i),
                    "body": "温县人民政府", "application": a.pk})


def test_the_report_runs_the_same_queries_for_a_small_and_a_larger_agency_year(
        handlers, django_assert_num_queries):
    org = handlers
    add_channels(org)
    add_year(org, items=12, applications=3, seed=7)
    with django_assert_num_queries(LIVE_REPORT_QUERIES):
        small = reports.live_report(agency=org.agency, year=YEAR)
    add_year(org, items=200, applications=40, seed=8)
    with django_assert_num_queries(LIVE_REPORT_QUERIES):
        larger = reports.live_report(agency=org.agency, year=YEAR)

    # both years have what each query counts, and the larger one has more of all of it
    def sizes(report):
        t3 = report["table3"]["rows"]
        return (report["timeliness"]["released"], t3["new"][-1], t3["carried_over"][-1],
                t3["results_total"][-1], t3["carried_forward"][-1],
                report["table4"]["reconsideration"]["total"], report["fees_charged"]["count"])

    assert all(sizes(small)), sizes(small)
    assert all(a > b for a, b in zip(sizes(larger), sizes(small), strict=True)), \
        (sizes(small), sizes(larger))
