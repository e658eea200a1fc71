"""The annual report: tables 三 and 四 from the register checked cell by cell against
counts kept by the test, the cross-checks, finalising, versions, and who may do what."""

import datetime as dt
import random

import pytest

from agencies.models import Role
from applications import services as apps
from applications.models import ApplicantType
from applications.outcomes import Outcome
from audit.models import AuditEvent
from disclosure import report_services, reports
from disclosure.models import AnnualReport, OpeningBalance
from publications.models import Category, Publication
from releases.models import Release
from tests.applications import conftest as application_fixtures
from tests.applications.conftest import D, on, register
from testsupport.factories import api, make_user

pytestmark = pytest.mark.django_db
URL = "/api/v1/reports/annual/"
YEAR = 2025
COLUMNS = [*ApplicantType.values, "total"]
handlers = application_fixtures.handlers  # handler_office & co. added to `org`


@pytest.fixture
def editors(handlers):
    org = handlers
    org.users["editor"] = make_user(org.agency, "editor", [Role.REPORT_EDITOR])
    org.agency.report_section = org.sections["office"]
    org.agency.save()
    return org


def reply(org, application, outcome, day):
    with on(day):
        apps.draft_reply(user=org["handler_office"], application_id=application.pk,
                         outcome=outcome, basis="《条例》", text="答复。")
        apps.approve_reply(user=org["leader"], application_id=application.pk)


def generated_year(org, seed=7):
    """Applications in every outcome row and applicant column, some carried over into the
    year and some carried forward out of it; returns the test's own counts."""
    rng = random.Random(seed)
    expected = {key: {c: 0 for c in COLUMNS} for key in
                ["new", "carried_over", "carried_forward", *Outcome.values]}

    def count(key, column):
        expected[key][column] += 1
        expected[key]["total"] += 1

    outcomes = [o for o in Outcome.values if o not in ("other_no_correction", "other_no_fee")]
    for i, outcome in enumerate(outcomes * 2):
        column = ApplicantType.values[i % 6]
        carried_in = i % 5 == 0
        received = D(2024, 12, 16) if carried_in else D(YEAR, 1 + i % 10, 6 + rng.randint(0, 2))
        a = register(org, received_on=received, applicant_type=column)
        count("carried_over" if carried_in else "new", column)
        reply_day = max(received, D(YEAR, 1, 6)) + dt.timedelta(days=rng.randint(1, 9))
        reply(org, a, outcome, reply_day)
        count(outcome, column)
    # no correction within the period → other_no_correction (received in the year)
    a = register(org, received_on=D(YEAR, 3, 3), applicant_type="research")
    with on(D(YEAR, 3, 4)):
        apps.request_correction(user=org["handler_office"], application_id=a.pk,
                                notice_on=D(YEAR, 3, 4), items="请写明具体文件名称")
    reply(org, a, "other_no_correction", D(YEAR, 4, 30))
    count("new", "research"), count("other_no_correction", "research")
    # fee not paid within the notice's period → other_no_fee
    a = register(org, received_on=D(YEAR, 6, 2), applicant_type="social_welfare")
    with on(D(YEAR, 6, 3)):
        apps.send_fee_notice(user=org["handler_office"], application_id=a.pk,
                             notice_on=D(YEAR, 6, 3), method="per_page", quantity=80)
    reply(org, a, "other_no_fee", D(YEAR, 8, 1))
    count("new", "social_welfare"), count("other_no_fee", "social_welfare")
    # replied late in the year before: counts in neither this year's results nor carried
    old = register(org, received_on=D(2024, 3, 4))
    reply(org, old, "disclosed", D(2024, 3, 20))
    # open at the year's end: carried forward
    for column in ("commercial", "natural_person", "natural_person"):
        register(org, received_on=D(YEAR, 12, 22), applicant_type=column)
        count("new", column), count("carried_forward", column)
    # a withdrawn one: 其他
    w = register(org, received_on=D(YEAR, 5, 6), applicant_type="legal_service")
    with on(D(YEAR, 5, 7)):
        apps.withdraw(user=org["handler_office"], application_id=w.pk, on=D(YEAR, 5, 7),
                      reason="申请人撤回")
    count("new", "legal_service"), count("other", "legal_service")
    # cases: every kind and result
    h = org["handler_office"]
    with on(D(YEAR, 12, 30)):
        for kind, result, n in (("reconsideration", "upheld", 2),
                                ("reconsideration", "pending", 1),
                                ("litigation_direct", "corrected", 1),
                                ("litigation_after_reconsideration", "other", 1)):
            for _i in range(n):
                case = apps.file_case(user=h, data={"kind": kind, "filed_on": D(YEAR, 6, 2),
                                                    "body": "温县人民法院"})
                if result != "pending":
                    apps.update_case(user=h, case_id=case.pk,
                                     data={"result": result, "decided_on": D(YEAR, 9, 1)})
        apps.file_case(user=h, data={"kind": "litigation_after_reconsideration",
                                     "filed_on": D(YEAR, 7, 1), "body": "温县人民法院",
                                     "co_defendant_as_reconsideration_body": True})
    return expected


def release_items(org, n_by_channel):
    category = Category.objects.filter(agency=org.agency).first()
    channels = {c.code: c for c in org.agency.channels.all()}
    for code, n in n_by_channel.items():
        for i in range(n):
            p = Publication.objects.create(
                agency=org.agency, section=org.sections["office"], drafter=org["drafter_office"],
                title=f"{code} {i}", category=category, formed_on=D(YEAR, 3, 2),
                status="approved", fingerprint="f" * 64)
            Release.objects.create(publication=p, channel=channels[code], round=1,
                                   fingerprint="f" * 64, status="published",
                                   published_on=D(YEAR, 3, 10))


def test_tables_three_and_four_match_the_tests_own_counts_cell_by_cell(editors):
    org = editors
    expected = generated_year(org)
    report = reports.live_report(agency=org.agency, year=YEAR)
    rows = report["table3"]["rows"]
    assert report["table3"]["columns"] == COLUMNS
    for key, by_column in expected.items():
        row = rows[key]
        assert row == [by_column[c] for c in COLUMNS], key
    results_total = [sum(expected[o][c] for o in Outcome.values) for c in COLUMNS]
    assert rows["results_total"] == results_total
    assert all(rows[o][-1] > 0 for o in Outcome.values), "every result row is exercised"
    assert report["table4"] == {
        "reconsideration": {"upheld": 2, "corrected": 0, "other": 0, "pending": 1, "total": 3},
        "litigation_direct": {"upheld": 0, "corrected": 1, "other": 0, "pending": 0,
                              "total": 1},
        "litigation_after_reconsideration": {"upheld": 0, "corrected": 0, "other": 1,
                                             "pending": 0, "total": 1}}
    errors = [c for c in report["checks"] if c["severity"] == "error"]
    assert [c for c in errors if not c["ok"] and c["rule"] != "narrative_unfinished"] == []


def fill_placeholders(org, year=YEAR):
    report = reports.live_report(agency=org.agency, year=year)
    filled = {k: t.replace(reports.PLACEHOLDER, "").replace("】", "") + "本年度工作扎实推进。"
              for k, t in report["sections"].items() if reports.PLACEHOLDER in t}
    return api(org["editor"]).patch(f"{URL}?agency={org.agency.code}&year={year}",
                                    {"sections": filled}, format="json")


def test_finalising_freezes_the_report_and_later_changes_are_listed_not_applied(editors):
    org = editors
    generated_year(org)
    release_items(org, {"website": 3, "wechat": 5})
    client = api(org["editor"])
    body = {"agency": org.agency.code, "year": YEAR}
    refused = client.post(f"{URL}finalize/", body, format="json")
    assert refused.status_code == 409
    assert [c["rule"] for c in refused.json()["checks"]] == ["narrative_unfinished"]
    assert fill_placeholders(org).status_code == 200
    final = client.post(f"{URL}finalize/", body, format="json")
    assert final.status_code == 200, final.json()
    frozen = final.json()
    assert frozen["status"] == "final" and frozen["version"] == 1
    assert frozen["released_by_channel"]["wechat"] == 5
    assert "在微信公众号发布信息 5 条" in frozen["sections"]["active"]
    assert AuditEvent.objects.filter(action="report_finalised",
                                     fingerprint=frozen["fingerprint"]).exists()
    # a later release does not change the final report; GET lists the difference
    release_items(org, {"wechat": 1})
    got = client.get(f"{URL}?agency={org.agency.code}&year={YEAR}").json()
    assert got["released_by_channel"]["wechat"] == 5 and got["status"] == "final"
    assert {"path": "released_by_channel.wechat", "final": 5, "now": 6} in \
        got["changed_since_finalised"]
    assert client.patch(f"{URL}?agency={org.agency.code}&year={YEAR}",
                        {"sections": {"other": "补充"}}, format="json").status_code == 409
    assert client.post(f"{URL}finalize/", body, format="json").status_code == 409
    # a correction is a new version beside the first
    v2 = client.post(f"{URL}new-version/", body, format="json")
    assert v2.status_code == 201 and v2.json()["version"] == 2 and v2.json()["status"] == "draft"
    assert v2.json()["released_by_channel"]["wechat"] == 6
    assert [v["status"] for v in v2.json()["versions"]] == ["final", "draft"]
    v1 = client.get(f"{URL}?agency={org.agency.code}&year={YEAR}&version=1").json()
    assert v1["fingerprint"] == frozen["fingerprint"]


def test_an_opening_balance_that_does_not_match_the_register_blocks_finalising(editors):
    org = editors
    register(org, received_on=D(2024, 12, 16), applicant_type="commercial")  # carried in
    client = api(org["editor"])
    response = client.post(f"{URL}opening-balance/", {
        "agency": org.agency.code, "year": YEAR, "counts": {"natural_person": 2}},
        format="json")
    assert response.status_code == 201
    report = client.get(f"{URL}?agency={org.agency.code}&year={YEAR}").json()
    check = next(c for c in report["checks"] if c["rule"] == "carried_over_matches_last_year")
    assert not check["ok"] and "期初数" in check["message"]
    assert client.post(f"{URL}opening-balance/", {
        "agency": org.agency.code, "year": YEAR, "counts": {"natural_person": 1}},
        format="json").status_code == 409
    assert OpeningBalance.objects.count() == 1


def test_last_years_final_report_must_carry_into_this_year(editors):
    org = editors
    AnnualReport.objects.create(agency=org.agency, year=YEAR - 1, status="final", snapshot={
        "table3": {"rows": {"carried_forward": [0, 0, 0, 0, 0, 0, 0],
                            "new": [0] * 7}}, "table2": {"licensing": 0, "penalties": 0},
        "sections": {}}, fingerprint="x" * 64)
    register(org, received_on=D(2024, 12, 16))  # open at the end of 2024: carried into 2025
    report = reports.live_report(agency=org.agency, year=YEAR)
    check = next(c for c in report["checks"] if c["rule"] == "carried_over_matches_last_year")
    assert not check["ok"] and "2024年度已定稿报告" in check["message"]


def test_a_narrative_number_that_differs_from_the_table_is_named(editors):
    org = editors
    release_items(org, {"wechat": 4})
    register(org, received_on=D(YEAR, 3, 3))
    sections = {"active": "本年在微信公众号主动公开信息 381 条。",
                "on_request": "本年共受理 2 件信息公开申请。"}
    report_services.edit_sections(user=org["editor"], agency=org.agency, year=YEAR,
                                  sections=sections)
    report = api(org["editor"]).get(f"{URL}?agency={org.agency.code}&year={YEAR}").json()
    check = next(c for c in report["checks"] if c["rule"] == "narrative_numbers")
    assert not check["ok"]
    assert "381" in check["message"] and "4" in check["message"]
    assert "受理 2 件" in check["message"]


def test_warnings_do_not_block(editors):
    org = editors
    report = reports.live_report(agency=org.agency, year=YEAR)
    table = dict(report["table2"])
    assert all(c["ok"] for c in reports.warning_checks(
        year=YEAR, data={**report, "table2": table}, sections=report["sections"],
        last_final=None) if c["rule"].startswith("documents_"))
    table["rules"] = {"issued": 2, "abolished": 0, "in_force": 0}
    warned = reports.warning_checks(year=YEAR, data={**report, "table2": table},
                                    sections=report["sections"], last_final=None)
    assert not next(c for c in warned if c["rule"] == "documents_none_in_force_rules")["ok"]
    last = {**report, "sections": dict(report["sections"])}
    copied = reports.warning_checks(year=YEAR, data=report, sections=report["sections"],
                                    last_final=last)
    assert not next(c for c in copied if c["rule"] == "copied_text")["ok"]
    assert all(c["severity"] == "warning" for c in copied)


@pytest.mark.parametrize("username, read, write", [
    ("editor", 200, 200), ("admin", 200, 200), ("leader", 200, 403), ("auditor", 200, 403),
    ("drafter_office", 200, 403), ("head_office", 404, 404), ("handler_office", 404, 404)])
def test_who_reads_and_who_edits(editors, username, read, write):
    org = editors
    client = api(org[username])
    path = f"{URL}?agency={org.agency.code}&year={YEAR}"
    assert client.get(path).status_code == read
    assert client.patch(path, {"sections": {"other": "无。"}}, format="json").status_code == write


def test_another_agency_and_bad_parameters(editors, other_org):
    org = editors
    client = api(org["editor"])
    assert client.get(f"{URL}?agency={other_org.agency.code}&year={YEAR}").status_code == 404
    assert client.get(f"{URL}?agency={org.agency.code}&year=1999").status_code == 400
    assert client.get(f"{URL}?agency={org.agency.code}").status_code == 400
    assert client.patch(f"{URL}?agency={org.agency.code}&year={YEAR}",
                        {"sections": {"nonsense": "x"}}, format="json").status_code == 400


def test_a_final_report_goes_into_the_review_as_an_item_of_the_report_category(editors):
    org = editors
    client = api(org["editor"])
    body = {"agency": org.agency.code, "year": YEAR}
    assert client.post(f"{URL}submit/", body, format="json").status_code == 409  # not final
    assert fill_placeholders(org).status_code == 200
    assert client.post(f"{URL}finalize/", body, format="json").status_code == 200
    response = client.post(f"{URL}submit/", body, format="json")
    assert response.status_code == 200, response.json()
    publication = Publication.objects.get(pk=response.json()["publication"])
    assert publication.title == f"{org.agency.name}{YEAR}年政府信息公开工作年度报告"
    assert publication.category.name == "年度报告" and publication.status == "in_review"
    assert publication.section == org.sections["office"]
    assert publication.drafter == org["editor"]
    assert list(publication.channels.values_list("kind", flat=True)) == ["site"]
    assert "（一）主动公开" in publication.body and "<table" in publication.body
    assert sorted(publication.attachments.values_list("name", flat=True)) == [
        f"{org.agency.name}{YEAR}年政府信息公开工作年度报告.docx",
        f"{org.agency.name}{YEAR}年政府信息公开工作年度报告.pdf"]
    assert client.post(f"{URL}submit/", body, format="json").status_code == 409  # once
    assert AuditEvent.objects.filter(action="report_submitted").count() == 1


@pytest.mark.parametrize("fmt, content_type, magic", [
    ("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", b"PK"),
    ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", b"PK"),
    ("pdf", "application/pdf", b"%PDF"),
    ("html", "text/html; charset=utf-8", b"<!DOCTYPE html>")])
def test_the_report_downloads_in_each_format_with_a_chinese_file_name(editors, fmt,
                                                                       content_type, magic):
    from urllib.parse import quote

    org = editors
    response = api(org["leader"]).get(
        f"{URL}?agency={org.agency.code}&year={YEAR}&format={fmt}")
    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert response.content.lstrip()[:len(magic)].upper() == magic.upper()
    name = quote(f"{org.agency.name}{YEAR}年政府信息公开工作年度报告.{fmt}")
    assert f"filename*=UTF-8''{name}" in response["Content-Disposition"]


def test_table_two_is_the_independently_computed_figures_of_the_generated_year(editors):
    """Releases on every channel kind, documents issued and abolished, decisions and fees:
    the generated year of the statistics tests, checked against its own oracle."""
    from tests.disclosure import test_statistics as stats

    org = editors
    stats.add_channels(org)
    items = stats.scenario_items() + stats.random_items(random.Random(2024), 240)
    stats.save_items(org, items)
    for year in (2023, 2024, 2025):
        expected = stats.expected_figures(items, year)
        report = reports.live_report(agency=org.agency, year=year)
        assert report["table2"] == expected["table2"], year
        assert report["released_by_channel"] == expected["released_by_channel"], year
        assert report["timeliness"] == expected["timeliness"], year


def broken(report, change):
    data = {key: value for key, value in report.items()}
    data["table3"] = {"columns": report["table3"]["columns"],
                      "rows": {k: list(v) for k, v in report["table3"]["rows"].items()}}
    data["table4"] = {k: dict(v) for k, v in report["table4"].items()}
    change(data)
    return {c["rule"]: c for c in reports.table_checks(data)}


def test_every_table_check_fails_with_its_message_on_inconsistent_figures(editors):
    org = editors
    register(org, received_on=D(YEAR, 3, 3), applicant_type="commercial")
    report = reports.live_report(agency=org.agency, year=YEAR)
    assert all(c["ok"] for c in reports.table_checks(report))

    def more_new(d):
        d["table3"]["rows"]["new"][1] += 1
    checks = broken(report, more_new)
    assert not checks["t3_balance_commercial"]["ok"]
    assert "“商业企业”列" in checks["t3_balance_commercial"]["message"]
    assert not checks["t3_total_column"]["ok"] and "new" in checks["t3_total_column"]["message"]

    def wrong_total(d):
        d["table3"]["rows"]["results_total"][0] += 2
    checks = broken(report, wrong_total)
    assert not checks["t3_results_total"]["ok"] and "（七）总计" in checks["t3_results_total"][
        "message"]

    def wrong_case_total(d):
        d["table4"]["litigation_direct"]["total"] = 3
    checks = broken(report, wrong_case_total)
    assert not checks["t4_totals"]["ok"]
    assert "行政诉讼（未经复议直接起诉）" in checks["t4_totals"]["message"]
