"""The operator imports a year's holiday notice as a CSV: a preview of what changes, then
confirmed, audited and counted with; any error in the file and nothing changes."""

import datetime as dt
import re

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from audit.models import AuditEvent
from testsupport.factories import make_user
from workdays.calendar import WorkingCalendar
from workdays.deadlines import PENDING, art26_due
from workdays.imports import parse_calendar_csv
from workdays.models import Holiday, HolidaySource, HolidayYear
from workdays.signals import calendar_changed

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("known_data_ends_with_2026")]

D = dt.date
IMPORT = "/admin/workdays/holidayyear/import/"
YEARS = "/admin/workdays/holidayyear/"

# An example in the import's format, not the real 2027 notice: 1 Jan 2027 is a Friday,
# Sat 9 Jan a worked weekend day.
EXAMPLE_2027 = """date,kind,name
2027-01-01,holiday,元旦
2027-01-02,holiday,元旦
2027-01-03,holiday,元旦
2027-01-09,workday,元旦
"""



@pytest.fixture
def operator(db):
    return make_user(None, "operator", [], is_staff=True, is_superuser=True)


def upload(client, text, year=2027, *, encoding="utf-8", raw=None, note=""):
    data = raw if raw is not None else text.encode(encoding)
    return client.post(IMPORT, {"year": str(year), "note": note,
                                "file": SimpleUploadedFile("2027.csv", data, "text/csv")})


def confirm_fields(response) -> dict:
    """The preview's hidden fields, as the browser would send them back."""
    html = response.content.decode()
    return dict(re.findall(r'<input type="hidden" name="(year|content|digest|note)" '
                           r'value="([^"]*)"', html))


def nothing_changed():
    assert not Holiday.objects.filter(date__year=2027).exists()
    assert not HolidayYear.objects.filter(year=2027).exists()
    assert not AuditEvent.objects.filter(action="config_changed").exists()


@pytest.mark.parametrize(("text", "message"), [
    ("date,kind\n2027-01-01,holiday\n2027-02-30,holiday\n",
     "第 3 行：日期“2027-02-30”无效"),
    ("date,kind\n2027-01-01,holiday\n2027-01-02,holiday\n2027-01-01,休\n",
     "第 4 行：日期 2027-01-01 与第 2 行重复"),
    ("date,kind\n2026-10-01,holiday\n2027-01-01,holiday\n",
     "第 2 行：日期 2026-10-01 不在所选的 2027 年内"),
    ("date,kind\n2027-01-01,vacation\n", "第 2 行：类型“vacation”无法识别"),
    ("2027-01-01,holiday\n", "第 1 行：缺少表头"),
    ("", "文件为空"),
    ("date,kind,name\n", "文件中只有表头，没有日期"),
])
def test_a_file_with_an_error_says_where_and_changes_nothing(client, operator, text, message):
    client.force_login(operator)
    response = upload(client, text)
    assert response.status_code == 422
    html = response.content.decode()
    assert message in html
    assert "未作任何修改" in html or "文件为空" in html
    nothing_changed()


def test_a_file_not_in_utf8_is_refused(client, operator):
    client.force_login(operator)
    response = upload(client, EXAMPLE_2027, encoding="gb18030")
    assert response.status_code == 422
    assert "文件不是 UTF-8 编码" in response.content.decode()
    nothing_changed()


def test_a_file_over_64_kb_is_refused(client, operator):
    client.force_login(operator)
    big = EXAMPLE_2027 + "\n" * (64 * 1024)
    response = upload(client, big)
    assert response.status_code == 422
    assert "文件过大" in response.content.decode()
    nothing_changed()


def test_every_error_of_a_file_is_listed_with_its_line():
    plan = parse_calendar_csv(
        b"date,kind\n2027-13-01,holiday\n2026-01-01,holiday\n2027-05-01,maybe\n", 2027)
    assert [str(p) for p in plan.errors] == [
        "第 2 行：日期“2027-13-01”无效：应为真实存在的日期，格式 YYYY-MM-DD。",
        "第 3 行：日期 2026-01-01 不在所选的 2027 年内。",
        "第 4 行：类型“maybe”无法识别：应为 holiday（休、假日）或 workday（班、调休上班）。"]
    assert not plan.ok and plan.adds == ()


def test_the_operator_imports_a_year_and_its_deadlines_become_computable(
        client, operator, django_capture_on_commit_callbacks):
    assert art26_due(D(2026, 12, 20), today=D(2026, 12, 21),
                     calendar=WorkingCalendar()).state == PENDING
    client.force_login(operator)
    preview = upload(client, EXAMPLE_2027, note="国办发明电〔示例〕")
    assert preview.status_code == 200
    html = preview.content.decode()
    assert html.count('data-testid="import-add"') == 4
    # 261 weekdays in 2027, less 1 Jan, plus Saturday 9 Jan
    assert "导入后 2027 年共 261 个工作日（文件列出放假 3 天、调休上班 1 天）" in html
    assert not Holiday.objects.filter(date__year=2027).exists()  # a preview writes nothing

    sent = []

    def listener(sender, years, **kwargs):
        sent.append(set(years))

    calendar_changed.connect(listener)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(IMPORT, {**confirm_fields(preview), "confirmed": "on",
                                            "_confirm": "1"})
    finally:
        calendar_changed.disconnect(listener)
    assert response.status_code == 302 and response["Location"] == YEARS
    days = {h.date: (h.kind, h.name, h.source) for h in Holiday.objects.filter(date__year=2027)}
    assert days == {D(2027, 1, 1): ("holiday", "元旦", HolidaySource.ADMIN),
                    D(2027, 1, 2): ("holiday", "元旦", HolidaySource.ADMIN),
                    D(2027, 1, 3): ("holiday", "元旦", HolidaySource.ADMIN),
                    D(2027, 1, 9): ("workday", "元旦", HolidaySource.ADMIN)}
    year = HolidayYear.objects.get(year=2027)
    assert year.complete and year.note == "国办发明电〔示例〕"
    assert sent == [{2027}]  # so stored deadlines are counted again, once
    [event] = AuditEvent.objects.filter(action="config_changed")
    assert event.agency.code == "platform" and event.actor == operator
    assert event.data["operation"] == "import"
    assert event.data["changes"]["2027-01-01"] == {"new": "holiday 元旦"}
    assert event.data["changes"]["complete"] == {"old": False, "new": True}

    due = art26_due(D(2026, 12, 20), today=D(2026, 12, 21), calendar=WorkingCalendar())
    # 21–25, 28–31 Dec = 9, (1–3 Jan off), 4–8 Jan = 14, Sat 9 Jan = 15, 11–15 Jan = 20
    assert (due.state, due.date) == ("ok", D(2027, 1, 15))
    page = client.get(YEARS).content.decode()
    assert "已导入 2027 年节假日安排：新增 4 天" in page


def test_the_preview_shows_what_is_added_changed_and_removed(client, operator):
    Holiday.objects.create(date=D(2027, 1, 1), kind="holiday", name="新年")  # renamed
    Holiday.objects.create(date=D(2027, 1, 2), kind="holiday", name="元旦")  # as is
    Holiday.objects.create(date=D(2027, 5, 3), kind="holiday", name="误录")  # not in the file
    client.force_login(operator)
    html = upload(client, EXAMPLE_2027).content.decode()
    assert html.count('data-testid="import-add"') == 2
    [change] = re.findall(r'<tr data-testid="import-change">(.*?)</tr>', html)
    assert "2027-01-01" in change and "新年" in change and "元旦" in change
    [removal] = re.findall(r'<tr data-testid="import-removal">(.*?)</tr>', html)
    assert "2027-05-03" in removal and "误录" in removal
    assert "新增 2 天，修改 1 天，删除 1 天" in html


def test_confirming_replaces_the_year_with_the_file(client, operator):
    Holiday.objects.create(date=D(2027, 1, 1), kind="holiday", name="新年")
    Holiday.objects.create(date=D(2027, 5, 3), kind="holiday", name="误录")
    client.force_login(operator)
    preview = upload(client, EXAMPLE_2027)
    response = client.post(IMPORT, {**confirm_fields(preview), "confirmed": "on",
                                    "_confirm": "1"})
    assert response.status_code == 302
    assert not Holiday.objects.filter(date=D(2027, 5, 3)).exists()
    assert Holiday.objects.get(date=D(2027, 1, 1)).name == "元旦"
    event = AuditEvent.objects.get(action="config_changed")
    assert event.data["changes"]["2027-05-03"] == {"old": "holiday 误录"}
    assert event.data["changes"]["2027-01-01"] == {"old": "holiday 新年", "new": "holiday 元旦"}


def test_without_the_confirmation_box_nothing_is_imported(client, operator):
    client.force_login(operator)
    preview = upload(client, EXAMPLE_2027)
    response = client.post(IMPORT, {**confirm_fields(preview), "_confirm": "1"})
    assert response.status_code == 422
    assert "请勾选确认。" in response.content.decode()
    nothing_changed()


def test_a_day_edited_after_the_preview_stops_the_import(client, operator):
    client.force_login(operator)
    preview = upload(client, EXAMPLE_2027)
    Holiday.objects.create(date=D(2027, 2, 1), kind="holiday", name="别人刚录入")
    response = client.post(IMPORT, {**confirm_fields(preview), "confirmed": "on",
                                    "_confirm": "1"}, follow=True)
    assert "预览之后该年的节假日安排已被修改" in response.content.decode()
    assert not HolidayYear.objects.filter(year=2027).exists()
    assert list(Holiday.objects.filter(date__year=2027).values_list("name", flat=True)) == [
        "别人刚录入"]


def test_a_tampered_preview_is_refused_not_a_500(client, operator):
    client.force_login(operator)
    response = client.post(IMPORT, {"year": "2027", "content": "not base64!", "digest": "x",
                                    "confirmed": "on", "_confirm": "1"}, follow=True)
    assert response.status_code == 200
    assert "预览数据已损坏" in response.content.decode()
    nothing_changed()


def test_chinese_kinds_and_a_bom_are_accepted_and_odd_days_warned_not_refused(client, operator):
    text = "\ufeff日期,类型,名称\n2027-01-01,休,元旦\n2027-01-05,班,\n2027-03-06,假日,\n"
    client.force_login(operator)
    response = upload(client, text)
    assert response.status_code == 200
    html = response.content.decode()
    warnings = re.search(r'data-testid="import-warnings">(.*?)</ul>', html, re.S).group(1)
    assert "第 3 行：2027-01-05 是工作日（周一至周五），本来就上班" in warnings
    assert "第 4 行：2027-03-06 是周末，本来就休息，且不与其他放假日相连" in warnings
    assert "2027-01-01" not in warnings
    assert html.count('data-testid="import-add"') == 3


def test_weekend_days_inside_a_holiday_block_are_not_warned():
    text = "date,kind\n" + "".join(f"2027-10-0{d},holiday\n" for d in range(1, 8))
    plan = parse_calendar_csv(text.encode(), 2027)  # Fri 1 – Thu 7 Oct, with Sat and Sun
    assert plan.ok and plan.warnings == []


def test_only_the_platform_operator_may_import(client, org):
    admin = org["admin"]
    admin.is_staff = True
    admin.save()
    client.force_login(admin)
    years = client.get(YEARS)
    assert years.status_code == 200  # an agency admin reads the calendar
    assert 'data-testid="import-calendar"' not in years.content.decode()
    assert client.get(IMPORT).status_code == 403
    assert upload(client, EXAMPLE_2027).status_code == 403
    assert client.post(IMPORT, {"year": "2027", "content": "", "digest": "",
                                "confirmed": "on", "_confirm": "1"}).status_code == 403
    nothing_changed()


def test_the_operator_sees_the_import_button_and_the_form(client, operator):
    client.force_login(operator)
    years = client.get(YEARS).content.decode()
    assert 'data-testid="import-calendar"' in years
    with time_machine.travel("2026-12-03 09:00 +0800", tick=False):
        form = client.get(IMPORT)
    assert form.status_code == 200
    assert 'value="2027"' in form.content.decode()  # the missing year is offered first


def test_the_preview_and_its_errors_read_in_english(client, operator):
    client.force_login(operator)
    client.post("/i18n/setlang/", {"language": "en", "next": YEARS})
    response = client.post(IMPORT, {"year": "2027", "file": SimpleUploadedFile(
        "2027.csv", EXAMPLE_2027.encode(), "text/csv")})
    html = response.content.decode()
    assert "After the import 2027 has 261 working days" in html
    assert "I have checked the changes above and confirm the import" in html
    response = client.post(IMPORT, {"year": "2027", "file": SimpleUploadedFile(
        "2027.csv", b"date,kind\n2027-02-30,holiday\n", "text/csv")})
    assert response.status_code == 422
    assert "Line 2: Invalid date" in response.content.decode()
