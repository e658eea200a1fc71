"""The platform view of the annual reports: a parent agency's supervisors see each
subordinate's (transitively) report status, version and days to its deadline, and tables
二–四 side by side, as JSON and as a workbook; the agency tree has no cycles."""

import datetime as dt
import io
from urllib.parse import quote

import openpyxl
import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from agencies.models import Agency, Role
from agencies.selectors import subordinates
from disclosure import report_overview, report_services, reports
from publications.models import Category, Publication
from releases.models import Release
from tests.applications.conftest import register
from testsupport.factories import api, approve_through, make_org, make_user

pytestmark = pytest.mark.django_db
URL = "/api/v1/reports/annual/"
OVERVIEW = f"{URL}overview/"
YEAR = 2025
BEIJING = dt.timezone(dt.timedelta(hours=8))


def frozen(day):
    return time_machine.travel(dt.datetime(day.year, day.month, day.day, 10, tzinfo=BEIJING),
                               tick=False)


@pytest.fixture(autouse=True)
def january():
    """Reports of 2025 are being written: 20 January 2026."""
    with frozen(dt.date(2026, 1, 20)):
        yield


def child(code, name, parent, prefix):
    """An agency below `parent`, with every role (make_org) and a report editor."""
    org = make_org(code, prefix=prefix)
    org.agency.name, org.agency.parent = name, parent
    org.agency.save()
    org.users["editor"] = make_user(org.agency, f"{prefix}editor", [Role.REPORT_EDITOR])
    org.users["handler_office"] = make_user(org.agency, f"{prefix}handler",
                                            [Role.APPLICATION_HANDLER], org.sections["office"])
    return org


def released_item(org, *, licensing=0, day=dt.date(YEAR, 3, 10)):
    """An item released on the agency's site in the year (with licensing decisions)."""
    category = Category.objects.filter(agency=org.agency).first()
    channel = org.agency.channels.get(code="website")
    extra = {"decision_type": "licensing", "decision_count": licensing} if licensing else {}
    publication = Publication.objects.create(
        agency=org.agency, section=org.sections["office"], drafter=org["drafter_office"],
        title="工作动态", category=category, formed_on=day, status="approved",
        fingerprint="f" * 64, **extra)
    Release.objects.create(publication=publication, channel=channel, round=1,
                           fingerprint="f" * 64, status="published", published_on=day)


def fill(org, year=YEAR):
    """The narrative written: no placeholder left, so no error check fails on it."""
    report = reports.live_report(agency=org.agency, year=year)
    filled = {key: text.replace(reports.PLACEHOLDER, "").replace("】", "") + "本年度工作扎实推进。"
              for key, text in report["sections"].items() if reports.PLACEHOLDER in text}
    report_services.edit_sections(user=org["editor"], agency=org.agency, year=year,
                                  sections=filled)


def finalised(org, year=YEAR):
    fill(org, year)
    report, failing = report_services.finalise(user=org["editor"], agency=org.agency,
                                               year=year)
    assert failing == [] and report.status == "final"
    return report


@pytest.fixture
def county(db):
    """温县人民政府 above five departments and a town (which has a department of its own);
    each department's report in another state; a city above the county."""
    city = make_org("jiaozuo_gov", prefix="city_")
    city.agency.name = "焦作市人民政府"
    city.agency.save()
    gov = make_org("wenxian_gov", prefix="gov_")
    gov.agency.name, gov.agency.parent = "温县人民政府", city.agency
    gov.agency.save()
    gov.users["editor"] = make_user(gov.agency, "gov_editor", [Role.REPORT_EDITOR])
    depts = {
        "released": child("d_released", "温县住房和城乡建设局", gov.agency, "r_"),
        "final": child("d_final", "温县财政局", gov.agency, "f_"),
        "draft": child("d_draft", "温县教育局", gov.agency, "d_"),
        "failing": child("d_failing", "温县民政局", gov.agency, "x_"),
        "not_started": child("d_quiet", "温县档案馆", gov.agency, "q_"),
        "town": child("town_gov", "温泉街道办事处", gov.agency, "t_"),
    }
    depts["town_dept"] = child("town_office", "温泉街道党政办", depts["town"].agency, "to_")

    released_item(depts["released"], licensing=4)
    report = finalised(depts["released"])
    response = api(depts["released"]["editor"]).post(
        f"{URL}submit/", {"agency": "d_released", "year": YEAR, "section": "office"},
        format="json")
    assert response.status_code == 200, response.json()
    publication = approve_through(depts["released"], Publication.objects.get(
        pk=response.json()["publication"]), "head_office", "secrecy", "leader")
    publication.releases.update(status="published", published_on=dt.date(2026, 1, 20))
    report.refresh_from_db()

    released_item(depts["final"], licensing=2)
    finalised(depts["final"])
    released_item(depts["final"], licensing=5)  # after finalising: not in the final report

    released_item(depts["draft"], licensing=3)
    register(depts["draft"], received_on=dt.date(YEAR, 3, 3))  # open at the year's end
    fill(depts["draft"])

    # edited, with the placeholders left in: 【请填写…】 fails narrative_unfinished
    report_services.edit_sections(user=depts["failing"]["editor"],
                                  agency=depts["failing"].agency, year=YEAR,
                                  sections={"other": "无其他需要报告的事项。"})
    return {"city": city, "gov": gov, **depts}


def overview(user, code="wenxian_gov", **params):
    query = "&".join(f"{k}={v}" for k, v in {"agency": code, "year": YEAR, **params}.items())
    return api(user).get(f"{OVERVIEW}?{query}")


def test_each_status_is_reached_and_children_of_children_are_listed(county):
    response = overview(county["gov"]["auditor"])
    assert response.status_code == 200, response.json()
    data = response.json()
    assert (data["agency"], data["year"]) == ("wenxian_gov", YEAR)
    by_code = {a["agency"]: a for a in data["agencies"]}
    assert [a["agency"] for a in data["agencies"]] == [
        "d_draft", "d_failing", "d_final", "d_quiet", "d_released", "town_gov", "town_office"]
    assert {code: a["status"] for code, a in by_code.items()} == {
        "d_released": "released", "d_final": "final", "d_draft": "draft",
        "d_failing": "checks_failing", "d_quiet": "not_started", "town_gov": "not_started",
        "town_office": "not_started"}
    assert by_code["town_office"]["parent"] == "town_gov"
    assert by_code["town_office"]["depth"] == 2 and by_code["d_draft"]["depth"] == 1
    assert [c["rule"] for c in by_code["d_failing"]["failing_checks"]] == [
        "narrative_unfinished"]
    assert by_code["d_draft"]["failing_checks"] == []
    assert by_code["d_released"]["publication"] == Publication.objects.get(
        agency__code="d_released", category__code="annual_report").pk
    assert by_code["d_final"]["publication"] is None
    assert by_code["d_quiet"]["version"] is None and by_code["d_final"]["version"] == 1
    assert "jiaozuo_gov" not in by_code and "wenxian_gov" not in by_code


def test_a_final_report_whose_item_is_not_yet_published_is_final_not_released(county):
    Release.objects.filter(publication__agency__code="d_released").update(status="pending")
    by_code = {a["agency"]: a for a in overview(county["gov"]["leader"]).json()["agencies"]}
    assert by_code["d_released"]["status"] == "final"


def test_a_new_draft_version_after_the_final_one_is_what_the_supervisor_sees(county):
    report_services.new_version(user=county["final"]["editor"], agency=county["final"].agency,
                                year=YEAR)
    by_code = {a["agency"]: a for a in overview(county["gov"]["admin"]).json()["agencies"]}
    # computed live: v2 starts from v1's text, which quotes the item count since outgrown
    assert (by_code["d_final"]["status"], by_code["d_final"]["version"]) == (
        "checks_failing", 2)
    assert [c["rule"] for c in by_code["d_final"]["failing_checks"]] == ["narrative_numbers"]


def test_a_correction_after_the_release_leaves_the_report_released_with_its_figures(county):
    org = county["released"]
    released_item(org, licensing=6)
    report_services.new_version(user=org["editor"], agency=org.agency, year=YEAR)
    data = overview(county["gov"]["auditor"]).json()
    entry = next(a for a in data["agencies"] if a["agency"] == "d_released")
    row = next(r for r in data["summary"] if r["agency"] == "d_released")
    assert (entry["status"], entry["version"], entry["failing_checks"]) == ("released", 2, [])
    assert entry["publication"] is not None
    assert (row["version"], row["table2"]["licensing"]) == (1, 4)  # what was published


def test_days_to_the_deadline_for_departments_and_for_a_government(county):
    data = overview(county["gov"]["admin"]).json()
    by_code = {a["agency"]: a for a in data["agencies"]}
    # the county government itself and the town (which has a department) by 31 March
    assert data["due_on"] == "2026-03-31"
    assert (by_code["town_gov"]["due_on"], by_code["town_gov"]["days_to_due"]) == (
        "2026-03-31", 70)
    assert (by_code["d_draft"]["due_on"], by_code["d_draft"]["days_to_due"]) == (
        "2026-01-31", 11)
    assert by_code["town_office"]["days_to_due"] == 11
    with frozen(dt.date(2026, 2, 5)):
        later = {a["agency"]: a for a in overview(county["gov"]["admin"]).json()["agencies"]}
    assert later["d_draft"]["days_to_due"] == -5  # overdue
    assert later["town_gov"]["days_to_due"] == 54


def test_the_summary_takes_final_reports_frozen_and_drafts_live(county):
    data = overview(county["gov"]["editor"]).json()
    summary = {row["agency"]: row for row in data["summary"]}
    assert [row["agency"] for row in data["summary"]] == [a["agency"] for a in data["agencies"]]
    assert summary["d_released"]["table2"]["licensing"] == 4
    assert summary["d_final"]["table2"]["licensing"] == 2  # as finalised, not 7
    assert summary["d_draft"]["table2"]["licensing"] == 3
    assert summary["d_draft"]["table3"] == {
        "new": 1, "carried_over": 0, "results_total": 0, "carried_forward": 1,
        "results": {"disclosed": 0, "partly": 0, "withheld": 0, "unable": 0,
                    "not_processed": 0, "other": 0}}
    assert summary["d_draft"]["table4"] == {"reconsideration": 0, "litigation_direct": 0,
                                            "litigation_after_reconsideration": 0}
    assert summary["d_quiet"]["table2"] is None  # not started: nothing computed
    total = data["summary_total"]
    assert total["table2"]["licensing"] == 4 + 2 + 3
    assert total["table3"]["new"] == 1
    assert total["table2"]["rules"] == {"issued": 0, "abolished": 0, "in_force": 0}


def test_group_totals_of_table_three_add_up_the_outcome_rows():
    content = {"table2": {}, "table4": {k: {"total": 1} for k in (
        "reconsideration", "litigation_direct", "litigation_after_reconsideration")},
        "table3": {"rows": {"new": [0] * 6 + [9], "carried_over": [0] * 7,
                            "results_total": [0] * 6 + [7], "carried_forward": [0] * 6 + [2],
                            "disclosed": [0] * 6 + [3], "withheld_state_secret": [0] * 6 + [1],
                            "withheld_third_party": [0] * 6 + [2],
                            "other_no_fee": [0] * 6 + [1]}}}
    row = report_overview.summary_of(content)
    assert row["table3"]["results"] == {"disclosed": 3, "partly": 0, "withheld": 3,
                                        "unable": 0, "not_processed": 0, "other": 1}
    assert row["table4"]["litigation_direct"] == 1


def test_the_workbook_has_a_row_per_agency_and_a_chinese_file_name(county):
    response = overview(county["gov"]["auditor"], format="xlsx")
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    name = "温县人民政府2025年下属单位政府信息公开工作年度报告汇总.xlsx"
    assert f"filename*=UTF-8''{quote(name)}" in response["Content-Disposition"]
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["汇总", "报告进度"]
    sheet = workbook["汇总"]
    assert sheet["A1"].value == name.removesuffix(".xlsx")
    headings = [c.value for c in sheet[3]]
    licensing = headings.index("行政许可处理决定")
    new = headings.index("一、本年新收申请")
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=4)]
    assert [row[0].strip("　") for row in rows] == [
        "温县教育局", "温县民政局", "温县财政局", "温县档案馆", "温县住房和城乡建设局",
        "温泉街道办事处", "温泉街道党政办", "合计"]
    assert rows[-3][0].startswith("温泉街道办事处") and rows[-2][0].startswith("　")
    assert [row[1] for row in rows[:-1]] == [
        "草稿", "校核未通过", "已定稿", "尚未开始", "已发布", "尚未开始", "尚未开始"]
    assert [row[licensing] for row in rows] == [3, 0, 2, "—", 4, "—", "—", 9]
    assert rows[0][new] == 1 and rows[-1][new] == 1
    assert "（三）不予公开" in headings and "复议后起诉" in headings
    assert [c.value for c in sheet[2]][3] == "表二 主动公开政府信息情况"
    progress = [[c.value for c in row] for row in workbook["报告进度"].iter_rows(min_row=3)]
    assert progress[0][:6] == ["温县教育局", "温县人民政府", "草稿", 1, "2026-01-31",
                               "剩余 11 天"]
    assert progress[1][6].startswith("以下部分仍有待填写的内容")
    assert progress[-1][1] == "温泉街道办事处"


@pytest.mark.parametrize("username", ["gov_admin", "gov_editor", "gov_leader", "gov_auditor"])
def test_each_supervising_role_of_the_parent_reads_the_overview(county, username):
    gov = county["gov"]
    user = gov["editor"] if username == "gov_editor" else gov[username.removeprefix("gov_")]
    assert overview(user).status_code == 200


def test_who_is_not_a_supervisor_of_the_agency_gets_404(county):
    gov = county["gov"]
    for user in (gov["drafter_office"], gov["head_office"], gov["publisher"],
                 county["draft"]["admin"], county["town"]["auditor"]):
        assert overview(user).status_code == 404, user.username
    # the county's supervisors do not see the city's overview; no such agency is alike
    assert overview(gov["admin"], code="jiaozuo_gov").status_code == 404
    assert overview(gov["admin"], code="no_such_agency").status_code == 404
    assert api().get(f"{OVERVIEW}?agency=wenxian_gov&year={YEAR}").status_code == 401


def test_a_supervisor_above_sees_a_subordinate_governments_overview(county):
    city_admin = county["city"]["admin"]
    whole = overview(city_admin, code="jiaozuo_gov").json()
    assert "town_office" in [a["agency"] for a in whole["agencies"]]
    town = overview(city_admin, code="town_gov").json()
    assert [a["agency"] for a in town["agencies"]] == ["town_office"]
    assert town["due_on"] == "2026-03-31"


def test_bad_parameters_are_400(county):
    user = county["gov"]["admin"]
    assert api(user).get(f"{OVERVIEW}?agency=wenxian_gov").status_code == 400
    assert overview(user, year=1999).status_code == 400
    assert overview(user, year="twenty").status_code == 400
    assert overview(user, format="pdf").status_code == 400
    assert api(user).get(f"{OVERVIEW}?year={YEAR}").status_code == 400


def test_an_agency_without_subordinates_has_an_empty_overview(county):
    data = overview(county["town_dept"]["admin"], code="town_office").json()
    assert data["agencies"] == [] and data["summary"] == []
    assert data["summary_total"] is None and data["due_on"] == "2026-01-31"


def test_queries_grow_by_a_fixed_number_per_draft_and_not_for_final_reports(db):
    parent = make_org("parent_gov", prefix="p_")
    orgs = [child(f"dept_{i}", f"部门{i}", parent.agency, f"c{i}_") for i in range(3)]

    def queries():
        with CaptureQueriesContext(connection) as captured:
            report_overview.overview(agency=parent.agency, year=YEAR)
        return len(captured)

    none = queries()
    report_services.edit_sections(user=orgs[0]["editor"], agency=orgs[0].agency, year=YEAR,
                                  sections={"other": "无。"})
    per_draft = queries() - none
    assert per_draft > 0
    for org in orgs[1:]:
        report_services.edit_sections(user=org["editor"], agency=org.agency, year=YEAR,
                                      sections={"other": "无。"})
    assert queries() == none + 3 * per_draft
    # a final report is read from its snapshot: one query for the snapshots, however many
    finalised(orgs[0])
    assert queries() == none + 2 * per_draft + 1
    finalised(orgs[1])
    assert queries() == none + per_draft + 1


# --- the agency tree -----------------------------------------------------------------------

def test_an_agency_cannot_be_its_own_parent_or_below_its_subordinate(db):
    top = Agency.objects.create(code="top", name="县政府")
    middle = Agency.objects.create(code="middle", name="街道", parent=top)
    bottom = Agency.objects.create(code="bottom", name="社区", parent=middle)
    top.parent = top
    with pytest.raises(ValidationError) as error:
        top.full_clean()
    assert "parent" in error.value.message_dict
    top.parent = bottom  # a cycle of three
    with pytest.raises(ValidationError) as error:
        top.full_clean()
    assert "社区" in error.value.message_dict["parent"][0]
    bottom.parent = top  # moving a subordinate up is fine
    bottom.full_clean()
    with transaction.atomic(), pytest.raises(IntegrityError):
        Agency.objects.filter(pk=top.pk).update(parent=top)


def test_a_cycle_written_past_clean_does_not_hang_the_tree_walk(db):
    a = Agency.objects.create(code="a", name="甲")
    b = Agency.objects.create(code="b", name="乙", parent=a)
    Agency.objects.filter(pk=a.pk).update(parent=b)
    a.refresh_from_db()
    assert [s.agency.code for s in subordinates(a)] == ["b"]
    assert report_overview.can_supervise(make_user(b, "b_admin", [Role.AGENCY_ADMIN]), a)
