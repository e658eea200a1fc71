"""Active-disclosure statistics: only what was really released counts.

A generated year of items in every state is checked against figures computed
independently here, with plain loops over the generated data and the
chinesecalendar package as the working-day oracle.
"""

import datetime as dt
import random
import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

import chinese_calendar
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from agencies.models import Channel, ChannelKind
from disclosure.selectors import agency_year_statistics
from publications.models import Category, Publication
from releases.models import Release
from testsupport.factories import api, create_item, make_org, make_user
from workdays.models import HolidayYear

pytestmark = pytest.mark.django_db

D = dt.date
YEAR = 2024
CHANNELS = ["website", "wechat", "jiaozuo_daily", "henan_daily"]
MANUAL = {"jiaozuo_daily", "henan_daily"}


# ------------------------------------------------------------------ generated data

@dataclass
class Rel:
    channel: str
    status: str
    published_on: dt.date | None = None


@dataclass
class Item:
    status: str
    formed_on: dt.date
    releases: list[Rel] = field(default_factory=list)
    document_type: str = ""
    decision_type: str = ""
    decision_count: int = 1
    fee: Decimal | None = None
    abolished_on: dt.date | None = None
    abolishes: list["Item"] = field(default_factory=list)
    category: str = "work_updates"
    pk: int | None = None


def add_channels(org):
    Channel.objects.create(agency=org.agency, code="henan_daily", name="河南日报",
                           kind=ChannelKind.MANUAL)
    Channel.objects.create(agency=org.agency, code="led_screen", name="LED 显示屏",
                           kind=ChannelKind.MANUAL, is_active=False)


def save_items(org, items):
    """Rows straight into the tables (the review services are not what is tested here)."""
    channels = {c.code: c for c in Channel.objects.filter(agency=org.agency)}
    categories = {c.code: c for c in Category.objects.filter(agency=org.agency)}
    publications = Publication.objects.bulk_create([Publication(
        agency=org.agency, section=org.sections["office"], drafter=org["drafter_office"],
        title=f"信息 {n}", category=categories[item.category], formed_on=item.formed_on,
        status=item.status, document_type=item.document_type,
        document_number=f"温住建〔{item.formed_on.year}〕{n}号" if item.document_type else "",
        decision_type=item.decision_type, decision_count=item.decision_count,
        fee_amount_yuan=item.fee, abolished_on=item.abolished_on, fingerprint="f" * 64)
        for n, item in enumerate(items)])
    for item, publication in zip(items, publications, strict=True):
        item.pk = publication.pk
    Release.objects.bulk_create([Release(
        publication_id=item.pk, channel=channels[r.channel], round=1, fingerprint="f" * 64,
        status=r.status, published_on=r.published_on)
        for item in items for r in item.releases])
    links = [Publication.abolishes.through(from_publication_id=item.pk, to_publication_id=t.pk)
             for item in items for t in item.abolishes]
    Publication.abolishes.through.objects.bulk_create(links)


def released(on, *channels, status="published"):
    return [Rel(c, status, on) for c in channels]


def random_items(rng, n):
    states = (["draft", "in_review", "returned", "withheld", "withdrawn", "retracted"]
              + ["approved"] * 8)
    items = []
    for _ in range(n):
        status = rng.choice(states)
        first = D(2023, 11, 1) + dt.timedelta(days=rng.randint(0, 456))  # to end of Jan 2025
        item = Item(status=status, formed_on=first - dt.timedelta(days=rng.randint(0, 45)),
                    category=rng.choice(["work_updates", "licensing"]))
        roll = rng.random()
        if roll < 0.15:
            item.document_type = rng.choice(["rule", "normative_document"])
            if rng.random() < 0.3:
                item.abolished_on = first + dt.timedelta(days=rng.randint(30, 700))
        elif roll < 0.6:
            item.decision_type = rng.choice(["licensing", "penalty", "enforcement"])
            item.decision_count = rng.randint(1, 40)
        if rng.random() < 0.2:
            item.fee = Decimal(rng.randint(0, 3_000_000)) / 100
        if status in ("approved", "retracted"):
            for code in rng.sample(CHANNELS, rng.randint(1, 3)):
                if status == "retracted":
                    on = first if rng.random() < 0.8 else None  # retracted before delivery
                    item.releases.append(Rel(code, "retracted", on))
                    continue
                release_status = rng.choice(["published"] * 5 + [
                    "pending", "sending", "failed", "awaiting_confirmation"])
                if release_status == "awaiting_confirmation" and code not in MANUAL:
                    release_status = "failed"
                on = None
                if release_status == "published":
                    on = first + dt.timedelta(days=rng.randint(0, 25) if code in MANUAL else 0)
                item.releases.append(Rel(code, release_status, on))
        items.append(item)
    return items


def scenario_items():
    """Named cases around year boundaries, documents and abolition."""
    items = []

    def add(**kw):
        item = Item(**kw)
        items.append(item)
        return item

    # approved in December, newspaper printed (confirmed) in January: counts next year
    add(status="approved", formed_on=D(2024, 12, 20),
        releases=released(D(2024, 12, 23), "website") + released(D(2025, 1, 8), "jiaozuo_daily"))
    add(status="approved", formed_on=D(2024, 12, 25),
        releases=released(D(2025, 1, 10), "jiaozuo_daily")
        + [Rel("wechat", "failed")])
    # released last year, printed in this year's January
    add(status="approved", formed_on=D(2023, 12, 1),
        releases=released(D(2023, 12, 4), "wechat") + released(D(2024, 1, 9), "henan_daily"))
    # approved, but nothing ever went out
    add(status="approved", formed_on=D(2024, 5, 1),
        releases=[Rel("website", "pending"), Rel("wechat", "failed"),
                  Rel("jiaozuo_daily", "awaiting_confirmation")])
    # retracted: released on three channels, counted once
    add(status="retracted", formed_on=D(2024, 3, 1), decision_type="penalty",
        decision_count=7, releases=[Rel(c, "retracted", D(2024, 3, 5))
                                    for c in ("website", "wechat", "jiaozuo_daily")])
    # documents
    doc = dict(status="approved", document_type="normative_document")
    add(**doc, formed_on=D(2022, 2, 20), releases=released(D(2022, 3, 1), "website"))
    add(**doc, formed_on=D(2023, 4, 20), abolished_on=D(2024, 6, 30),
        releases=released(D(2023, 5, 1), "website"))
    add(**doc, formed_on=D(2024, 1, 22), releases=released(D(2024, 2, 1), "website", "wechat"))
    by_a1 = add(**doc, formed_on=D(2023, 1, 3), releases=released(D(2023, 1, 10), "website"))
    add(status="approved", formed_on=D(2024, 7, 20), abolishes=[by_a1],
        releases=released(D(2024, 8, 1), "website"))
    by_retracted = add(**doc, formed_on=D(2023, 2, 1),
                       releases=released(D(2023, 2, 10), "website"))
    add(status="retracted", formed_on=D(2024, 7, 1), abolishes=[by_retracted],
        releases=[Rel("website", "retracted", D(2024, 7, 3))])
    by_pending = add(**doc, formed_on=D(2023, 3, 1), releases=released(D(2023, 3, 10), "website"))
    add(status="approved", formed_on=D(2024, 9, 1), abolishes=[by_pending],
        releases=[Rel("website", "pending")])
    add(status="approved", document_type="rule", formed_on=D(2024, 3, 20),
        abolished_on=D(2025, 3, 1), releases=released(D(2024, 4, 1), "website"))
    add(status="approved", document_type="rule", formed_on=D(2020, 12, 20),
        abolished_on=D(2023, 12, 31), releases=released(D(2021, 1, 5), "website"))
    add(**doc, formed_on=D(2024, 1, 1), releases=[Rel("website", "failed")])
    add(status="retracted", document_type="normative_document", formed_on=D(2024, 4, 1),
        releases=[Rel("website", "retracted", D(2024, 4, 8))])
    next_year = add(**doc, formed_on=D(2024, 2, 20), releases=released(D(2024, 3, 1), "website"))
    add(status="approved", formed_on=D(2025, 1, 20), abolishes=[next_year],
        releases=released(D(2025, 2, 1), "website"))
    add(**doc, formed_on=D(2024, 12, 10), releases=released(D(2025, 1, 5), "jiaozuo_daily"))
    early = add(**doc, formed_on=D(2023, 5, 20), abolished_on=D(2024, 5, 1),
                releases=released(D(2023, 6, 1), "website"))
    add(status="approved", formed_on=D(2023, 12, 10), abolishes=[early],
        releases=released(D(2023, 12, 20), "website"))
    add(status="draft", document_type="rule", formed_on=D(2024, 6, 1))
    add(status="withheld", document_type="rule", formed_on=D(2024, 6, 1))
    # fees and decisions on a known item
    add(status="approved", formed_on=D(2024, 6, 3), decision_type="licensing",
        decision_count=12, fee=Decimal("12345.67"), releases=released(D(2024, 6, 5), "wechat"))
    return items


# ------------------------------------------------------------- independent figures

def oracle_deadline(formed, n=20):
    day, counted = formed, 0
    while counted < n:
        day += dt.timedelta(days=1)
        if chinese_calendar.is_workday(day):
            counted += 1
    return day


def expected_figures(items, year):
    start, end = D(year, 1, 1), D(year, 12, 31)

    def counting(item):
        return [r for r in item.releases if r.status == "published" and r.published_on]

    def first_on(item):
        if item.status != "approved" or not counting(item):
            return None
        return min(r.published_on for r in counting(item))

    by_channel = {code: 0 for code in CHANNELS + ["led_screen"]}
    monthly = {code: [0] * 12 for code in by_channel}
    for item in items:
        if item.status != "approved":
            continue
        for r in counting(item):
            if start <= r.published_on <= end:
                by_channel[r.channel] += 1
                monthly[r.channel][r.published_on.month - 1] += 1

    retracted = 0
    for item in items:
        if item.status == "retracted" and any(
                r.status in ("published", "retracted") and r.published_on
                and start <= r.published_on <= end for r in item.releases):
            retracted += 1

    documents = {"rule": {"issued": 0, "abolished": 0, "in_force": 0},
                 "normative_document": {"issued": 0, "abolished": 0, "in_force": 0}}
    for item in items:
        if not item.document_type:
            continue
        issued = first_on(item)
        if issued is None or issued > end:
            continue
        dates = [item.abolished_on] if item.abolished_on else []
        for other in items:
            if item in other.abolishes and first_on(other):
                dates.append(first_on(other))
        abolished = min(dates) if dates else None
        counts = documents[item.document_type]
        if start <= issued:
            counts["issued"] += 1
        if abolished and start <= abolished <= end:
            counts["abolished"] += 1
        if abolished is None or abolished > end:
            counts["in_force"] += 1

    decisions = {"licensing": 0, "penalty": 0, "enforcement": 0}
    fees = Decimal(0)
    timeliness = {"released": 0, "on_time": 0, "late": 0, "unknown": 0}
    for item in items:
        first = first_on(item)
        if first is None or not start <= first <= end:
            continue
        if item.decision_type:
            decisions[item.decision_type] += item.decision_count
        fees += item.fee or 0
        timeliness["released"] += 1
        on_time = first <= oracle_deadline(item.formed_on)
        timeliness["on_time" if on_time else "late"] += 1

    return {
        "agency": "test_agency", "year": year,
        "released_by_channel": by_channel,
        "table2": {
            "rules": documents["rule"],
            "normative_documents": documents["normative_document"],
            "licensing": decisions["licensing"], "penalties": decisions["penalty"],
            "enforcement": decisions["enforcement"],
            "fees_wan_yuan": float((fees / 10000).quantize(Decimal("0.01"), ROUND_HALF_UP)),
        },
        "timeliness": timeliness,
        "retracted": retracted,
        "monthly": monthly,
    }


# ------------------------------------------------------------------------- tests

@pytest.fixture
def generated(org, other_org):
    add_channels(org)
    items = scenario_items() + random_items(random.Random(YEAR), 240)
    save_items(org, items)
    # another agency's releases must never leak in
    save_items(other_org, [Item(status="approved", formed_on=D(2024, 5, 5),
                                releases=released(D(2024, 5, 6), "website", "wechat"))])
    return org, items


@pytest.mark.parametrize("year", [2023, 2024, 2025])
def test_statistics_match_figures_computed_independently(generated, year):
    org, items = generated
    expected = expected_figures(items, year)
    actual = agency_year_statistics(agency=org.agency, year=year).as_api()
    assert actual == expected


def test_the_generated_year_exercises_every_rule(generated):
    org, items = generated
    figures = expected_figures(items, YEAR)
    assert all(figures["released_by_channel"][c] > 0 for c in CHANNELS)
    assert figures["released_by_channel"]["led_screen"] == 0
    assert figures["retracted"] >= 3
    table2 = figures["table2"]
    for key in ("rules", "normative_documents"):
        assert all(table2[key][column] > 0 for column in ("issued", "abolished", "in_force")), key
    assert table2["licensing"] and table2["penalties"] and table2["enforcement"]
    assert table2["fees_wan_yuan"] > 1
    assert figures["timeliness"]["on_time"] and figures["timeliness"]["late"]


def test_named_boundary_cases(org):
    add_channels(org)
    items = scenario_items()
    save_items(org, items)
    stats = agency_year_statistics(agency=org.agency, year=2024).as_api()
    # 2024 website: doc 1 Feb, abolisher 1 Aug, rule 1 Apr, doc 1 Mar, the 23 Dec item
    assert stats["released_by_channel"] == {"website": 5, "wechat": 2, "jiaozuo_daily": 0,
                                            "henan_daily": 1, "led_screen": 0}
    assert stats["monthly"]["henan_daily"] == [1] + [0] * 11
    assert stats["retracted"] == 3  # three channels, one item; a retracted document; abolisher
    # in force: the 2022 one, the one issued in February, the two whose abolisher did not
    # count (retracted, never released), the one abolished only in 2025
    assert stats["table2"]["normative_documents"] == {"issued": 2, "abolished": 2,
                                                      "in_force": 5}
    assert stats["table2"]["rules"] == {"issued": 1, "abolished": 0, "in_force": 1}
    assert stats["table2"]["licensing"] == 12 and stats["table2"]["penalties"] == 0
    assert stats["table2"]["fees_wan_yuan"] == 1.23
    next_year = agency_year_statistics(agency=org.agency, year=2025).as_api()
    assert next_year["released_by_channel"]["jiaozuo_daily"] == 3
    assert next_year["table2"]["normative_documents"]["issued"] == 1
    assert next_year["table2"]["normative_documents"]["abolished"] == 1


def test_a_deadline_beyond_known_holiday_data_counts_as_unknown(org):
    HolidayYear.objects.filter(year__gte=2027).delete()  # as with chinesecalendar 1.11
    save_items(org, [
        Item(status="approved", formed_on=D(2026, 12, 28), releases=released(
            D(2027, 1, 12), "website")),
        Item(status="approved", formed_on=D(2026, 12, 18), releases=released(
            D(2026, 12, 30), "website")),
        Item(status="approved", formed_on=D(2027, 1, 4), releases=released(
            D(2027, 1, 5), "website")),
    ])
    assert agency_year_statistics(agency=org.agency, year=2026).timeliness == {
        "released": 1, "on_time": 1, "late": 0, "unknown": 0}
    assert agency_year_statistics(agency=org.agency, year=2027).timeliness == {
        "released": 2, "on_time": 0, "late": 0, "unknown": 2}


def test_fees_are_rounded_half_up_to_hundredths_of_ten_thousand_yuan(org):
    save_items(org, [Item(status="approved", formed_on=D(2024, 3, 1), fee=Decimal("50.00"),
                          releases=released(D(2024, 3, 4), "website")),
                     Item(status="approved", formed_on=D(2024, 3, 1), fee=Decimal("0.00"),
                          releases=released(D(2024, 3, 4), "website"))])
    stats = agency_year_statistics(agency=org.agency, year=2024)
    assert stats.fees_wan_yuan == Decimal("0.01")  # 0.005 万元 rounds up
    assert stats.as_api()["table2"]["fees_wan_yuan"] == 0.01


def statistics_queries(org):
    with CaptureQueriesContext(connection) as ctx:
        agency_year_statistics(agency=org.agency, year=YEAR)
    return len(ctx)


STATISTICS_QUERIES = 7  # channels, monthly, items, holiday years, holidays, documents, retracted


def test_statistics_query_count_is_the_same_for_10_and_200_items(org):
    add_channels(org)
    rng = random.Random(7)
    save_items(org, random_items(rng, 10) + scenario_items())
    small = statistics_queries(org)
    save_items(org, random_items(rng, 200))
    large = statistics_queries(org)
    assert small == large == STATISTICS_QUERIES


# --------------------------------------------------------------------------- API

TOP_KEYS = {"agency", "year", "released_by_channel", "table2", "timeliness", "retracted",
            "monthly"}


def test_api_returns_exactly_the_contract_shape(generated):
    org, items = generated
    response = api(org["auditor"]).get("/api/v1/statistics/",
                                       {"agency": "test_agency", "year": "2024"})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == TOP_KEYS
    assert set(body["table2"]) == {"rules", "normative_documents", "licensing", "penalties",
                                   "enforcement", "fees_wan_yuan"}
    for key in ("rules", "normative_documents"):
        assert set(body["table2"][key]) == {"issued", "abolished", "in_force"}
    assert set(body["timeliness"]) == {"released", "on_time", "late", "unknown"}
    assert set(body["monthly"]) == set(body["released_by_channel"]) == set(CHANNELS) | {
        "led_screen"}
    assert all(len(months) == 12 for months in body["monthly"].values())
    assert isinstance(body["table2"]["fees_wan_yuan"], float)
    assert body == expected_figures(items, 2024)


@pytest.mark.parametrize("username", ["drafter_office", "publisher", "leader", "auditor"])
def test_anyone_of_the_agency_may_read_its_statistics(org, username):
    response = api(org[username]).get("/api/v1/statistics/?agency=test_agency&year=2024")
    assert response.status_code == 200
    assert response.json()["released_by_channel"] == {"website": 0, "wechat": 0,
                                                      "jiaozuo_daily": 0}


def test_another_agency_or_an_unknown_one_is_not_found(org, other_org):
    client = api(org["auditor"])
    assert client.get("/api/v1/statistics/?agency=other_agency&year=2024").status_code == 404
    assert client.get("/api/v1/statistics/?agency=no_such_agency&year=2024").status_code == 404


def test_a_superuser_reads_any_agency(org, other_org):
    root = make_user(None, "root", [], is_staff=True, is_superuser=True)
    response = api(root).get("/api/v1/statistics/?agency=other_agency&year=2024")
    assert response.status_code == 200
    assert response.json()["agency"] == "other_agency"


@pytest.mark.parametrize("query", [
    "agency=test_agency", "agency=test_agency&year=", "agency=test_agency&year=abc",
    "agency=test_agency&year=1800", "agency=test_agency&year=20245", "year=2024",
    "agency=bad code!&year=2024", "agency=&year=2024",
])
def test_bad_parameters_are_a_400_with_a_message(org, query):
    response = api(org["auditor"]).get(f"/api/v1/statistics/?{query}")
    assert response.status_code == 400
    assert response.json()


def test_statistics_need_a_login(org):
    assert api().get("/api/v1/statistics/?agency=test_agency&year=2024").status_code == 401


# --------------------------------------------------------------------- dashboard

def test_dashboard_shows_figures_and_server_drawn_charts(client, generated):
    org, items = generated
    client.force_login(org["drafter_office"])
    response = client.get("/app/statistics/?year=2024")
    assert response.status_code == 200
    html = response.content.decode()
    expected = expected_figures(items, 2024)
    assert "2024 年主动公开统计" in html and "行政规范性文件" in html
    assert html.count("<svg") == 2
    # the charts are drawn by the server; every script of the frame is served by the project
    assert not re.search(r'<script[^>]+src="(?!/static/)', html) and "cdn" not in html.lower()
    assert f"本年首次发布<strong>{expected['timeliness']['released']} 条" in html
    assert "焦作日报" in html and "工作动态" in html


def test_dashboard_has_an_empty_state(client, org):
    client.force_login(org["auditor"])
    html = client.get("/app/statistics/?year=2019").content.decode()
    assert "2019 年本机关没有已发布的主动公开信息" in html
    assert "<svg" not in html


def test_dashboard_needs_a_login_and_a_valid_year_and_keeps_agencies_apart(client, org,
                                                                            other_org):
    assert client.get("/app/statistics/").status_code == 302
    client.force_login(org["auditor"])
    assert client.get("/app/statistics/").status_code == 200
    assert client.get("/app/statistics/?year=abc").status_code == 400
    assert client.get("/app/statistics/?agency=other_agency").status_code == 404


def test_the_old_dashboard_address_leads_to_the_page_in_the_frame(client, org):
    client.force_login(org["auditor"])
    response = client.get("/disclosure/dashboard/?year=2019")
    assert response.status_code == 302 and response["Location"] == "/app/statistics/?year=2019"
    html = client.get(response["Location"]).content.decode()
    assert "vf-page__menu-toggle" in html and "2019 年本机关没有已发布的主动公开信息" in html


# ------------------------------------------------------------ the abolishes field

def approved_document(org, **kw):
    item = Item(status="approved", formed_on=D(2024, 1, 2), document_type="normative_document",
                releases=released(D(2024, 1, 3), "website"), **kw)
    save_items(org, [item])
    return item.pk


def test_an_item_may_abolish_released_documents_of_its_agency(org):
    document = approved_document(org)
    client = api(org["drafter_office"])
    payload = {"title": "关于废止有关文件的决定", "body": "<p>废止。</p>", "section": "office",
               "category": "work_updates", "channels": ["website"], "formed_on": "2024-06-01",
               "abolishes": [document]}
    response = client.post("/api/v1/publications/", payload, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["abolishes"] == [document]
    pk = response.json()["id"]
    response = client.patch(f"/api/v1/publications/{pk}/", {"abolishes": []}, format="json")
    assert response.status_code == 200 and response.json()["abolishes"] == []
    listed = client.get("/api/v1/publications/").json()["results"]
    assert all("abolishes" in row for row in listed)


def test_abolishing_anything_but_a_released_document_of_the_agency_is_refused(org, other_org):
    draft_document = create_item(org, document_type="normative_document",
                                 document_number="温住建〔2024〕1号").pk
    plain = Item(status="approved", formed_on=D(2024, 1, 2),
                 releases=released(D(2024, 1, 3), "website"))
    save_items(org, [plain])
    foreign = approved_document(other_org)
    retracted = Item(status="retracted", formed_on=D(2024, 1, 2),
                     document_type="normative_document")
    save_items(org, [retracted])
    client = api(org["drafter_office"])
    for target in (draft_document, plain.pk, foreign, retracted.pk, 999_999):
        response = client.post("/api/v1/publications/", {
            "title": "废止决定", "section": "office", "category": "work_updates",
            "channels": ["website"], "formed_on": "2024-06-01", "abolishes": [target]},
            format="json")
        assert response.status_code == 400, target
        assert "abolishes" in response.json()


def test_creating_without_abolishes_costs_no_extra_query(org):
    with CaptureQueriesContext(connection) as ctx:
        create_item(org)
    assert not any("publication_abolishes" in q["sql"] for q in ctx.captured_queries)


def test_an_unreleased_agency_has_zero_everywhere(db):
    org = make_org(code="quiet_agency", prefix="quiet_")
    stats = agency_year_statistics(agency=org.agency, year=2024)
    assert stats.is_empty
    assert stats.as_api()["timeliness"] == {"released": 0, "on_time": 0, "late": 0,
                                            "unknown": 0}
