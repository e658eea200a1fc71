"""The annual report's files: the national layout of 国办公开办函〔2021〕30号 in .docx, .xlsx,
HTML and PDF, with the format's merged cells, every figure in its cell, Chinese text that
renders, the same bytes for the same report, and the download names.

The expected layout is written out here from the format, not taken from the code under test.
"""

import io
import os
import shutil
import subprocess
import zipfile
from pathlib import Path
from urllib.parse import unquote

import lxml.html
import openpyxl
import pytest
from django.conf import settings
from docx import Document
from docx.oxml.ns import qn
from PIL import Image
from pypdf import PdfReader

from applications.outcomes import Outcome
from disclosure.report_exports import (
    local_only_fetcher,
    report_content_disposition,
    report_docx,
    report_filename,
    report_html,
    report_pdf,
    report_xlsx,
)

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "reports"
COLUMNS = ["natural_person", "commercial", "research", "social_welfare", "legal_service",
           "other", "total"]

# ------------------------------------------------------------------ the format, written out

# Table 三, 10 columns: three of row labels, then 自然人, the five 法人或其他组织, 总计.
T3_LABELS = [
    # (row, col, text, rowspan, colspan)
    (0, 0, "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）", 3, 3),
    (0, 3, "申请人情况", 1, 7),
    (1, 3, "自然人", 2, 1), (1, 4, "法人或其他组织", 1, 5), (1, 9, "总计", 2, 1),
    (2, 4, "商业企业", 1, 1), (2, 5, "科研机构", 1, 1), (2, 6, "社会公益组织", 1, 1),
    (2, 7, "法律服务机构", 1, 1), (2, 8, "其他", 1, 1),
    (3, 0, "一、本年新收政府信息公开申请数量", 1, 3),
    (4, 0, "二、上年结转政府信息公开申请数量", 1, 3),
    (5, 0, "三、本年度办理结果", 22, 1),
    (5, 1, "（一）予以公开", 1, 2),
    (6, 1, "（二）部分公开（区分处理的，只计这一情形，不计其他情形）", 1, 2),
    (7, 1, "（三）不予公开", 8, 1),
    (15, 1, "（四）无法提供", 3, 1),
    (18, 1, "（五）不予处理", 5, 1),
    (23, 1, "（六）其他处理", 3, 1),
    (26, 1, "（七）总计", 1, 2),
    (27, 0, "四、结转下年度继续办理", 1, 3),
]
# The numbered rows, each in column 2 of its row, with the outcome it counts.
T3_NUMBERED = [
    (7, "1.属于国家秘密", Outcome.WITHHELD_STATE_SECRET),
    (8, "2.其他法律行政法规禁止公开", Outcome.WITHHELD_PROHIBITED_BY_LAW),
    (9, "3.危及“三安全一稳定”", Outcome.WITHHELD_THREE_SECURITIES),
    (10, "4.保护第三方合法权益", Outcome.WITHHELD_THIRD_PARTY),
    (11, "5.属于三类内部事务信息", Outcome.WITHHELD_INTERNAL_AFFAIRS),
    (12, "6.属于四类过程性信息", Outcome.WITHHELD_PROCESS_INFO),
    (13, "7.属于行政执法案卷", Outcome.WITHHELD_ENFORCEMENT_FILE),
    (14, "8.属于行政查询事项", Outcome.WITHHELD_QUERY_MATTER),
    (15, "1.本机关不掌握相关政府信息", Outcome.UNABLE_NOT_HELD),
    (16, "2.没有现成信息需要另行制作", Outcome.UNABLE_NEEDS_CREATION),
    (17, "3.补正后申请内容仍不明确", Outcome.UNABLE_UNCLEAR),
    (18, "1.信访举报投诉类申请", Outcome.NOT_PROCESSED_PETITION),
    (19, "2.重复申请", Outcome.NOT_PROCESSED_REPEAT),
    (20, "3.要求提供公开出版物", Outcome.NOT_PROCESSED_PUBLICATION),
    (21, "4.无正当理由大量反复申请", Outcome.NOT_PROCESSED_EXCESSIVE),
    (22, "5.要求行政机关确认或重新出具已获取信息", Outcome.NOT_PROCESSED_CONFIRMATION),
    (23, "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
     Outcome.OTHER_NO_CORRECTION),
    (24, "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
     Outcome.OTHER_NO_FEE),
    (25, "3.其他", Outcome.OTHER),
]
# The row each figure line of table 三 is on.
T3_FIGURE_ROWS = {"new": 3, "carried_over": 4, Outcome.DISCLOSED: 5,
                  Outcome.PARTLY_DISCLOSED: 6, "results_total": 26, "carried_forward": 27,
                  **{outcome: row for row, _, outcome in T3_NUMBERED}}

T4_LABELS = [
    (0, 0, "行政复议", 1, 5), (0, 5, "行政诉讼", 1, 10),
    *[(1, index, name, 2, 1) for index, name in enumerate(
        ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"])],
    (1, 5, "未经复议直接起诉", 1, 5), (1, 10, "复议后起诉", 1, 5),
    *[(2, start + index, name, 1, 1) for start in (5, 10) for index, name in enumerate(
        ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"])],
]
T4_GROUPS = ["reconsideration", "litigation_direct", "litigation_after_reconsideration"]
T4_RESULTS = ["upheld", "corrected", "other", "pending", "total"]

T2_LABELS = [
    (0, 0, "第二十条第（一）项", 1, 4),
    (1, 0, "信息内容", 1, 1), (1, 1, "本年制发件数", 1, 1), (1, 2, "本年废止件数", 1, 1),
    (1, 3, "现行有效件数", 1, 1),
    (2, 0, "规章", 1, 1), (3, 0, "行政规范性文件", 1, 1),
    (4, 0, "第二十条第（五）项", 1, 4), (5, 0, "信息内容", 1, 1),
    (5, 1, "本年处理决定数量", 1, 3), (6, 0, "行政许可", 1, 1),
    (7, 0, "第二十条第（六）项", 1, 4), (8, 0, "信息内容", 1, 1),
    (8, 1, "本年处理决定数量", 1, 3), (9, 0, "行政处罚", 1, 1), (10, 0, "行政强制", 1, 1),
    (11, 0, "第二十条第（八）项", 1, 4), (12, 0, "信息内容", 1, 1),
    (12, 1, "本年收费金额（单位：万元）", 1, 3), (13, 0, "行政事业性收费", 1, 1),
]

HEADINGS = ["一、总体情况", "（一）主动公开", "（二）依申请公开", "（三）政府信息管理",
            "（四）政府信息公开平台建设", "（五）监督保障", "二、主动公开政府信息情况",
            "三、收到和处理政府信息公开申请情况", "四、政府信息公开行政复议、行政诉讼情况",
            "五、存在的主要问题及改进情况", "六、其他需要报告的事项"]


def t2_figures(table2):
    """(row, col, colspan, value) of table 二's figures."""
    rules, normative = table2["rules"], table2["normative_documents"]
    return [
        (2, 1, 1, rules["issued"]), (2, 2, 1, rules["abolished"]), (2, 3, 1, rules["in_force"]),
        (3, 1, 1, normative["issued"]), (3, 2, 1, normative["abolished"]),
        (3, 3, 1, normative["in_force"]),
        (6, 1, 3, table2["licensing"]), (9, 1, 3, table2["penalties"]),
        (10, 1, 3, table2["enforcement"]), (13, 1, 3, table2["fees_wan_yuan"]),
    ]


def expected_t2(report):
    cells = list(T2_LABELS)
    cells += [(row, col, printed(value), 1, span)
              for row, col, span, value in t2_figures(report["table2"])]
    return cells, 14, 4


def expected_t3(report):
    cells = list(T3_LABELS) + [(row, 2, label, 1, 1) for row, label, _ in T3_NUMBERED]
    rows = report["table3"]["rows"]
    for key, row in T3_FIGURE_ROWS.items():
        cells += [(row, 3 + index, str(value), 1, 1) for index, value in enumerate(rows[key])]
    return cells, 28, 10


def expected_t4(report):
    cells = list(T4_LABELS)
    cells += [(3, 5 * g + r, str(report["table4"][group][result]), 1, 1)
              for g, group in enumerate(T4_GROUPS) for r, result in enumerate(T4_RESULTS)]
    return cells, 4, 15


def printed(value):
    if isinstance(value, float) and not value.is_integer():
        return f"{value:.2f}".rstrip("0").rstrip(".")
    return str(int(value))


def owners(cells, n_rows, n_cols):
    """For every grid position, the position of the cell covering it."""
    grid = [[(r, c) for c in range(n_cols)] for r in range(n_rows)]
    for row, col, _, rowspan, colspan in cells:
        for r in range(row, row + rowspan):
            for c in range(col, col + colspan):
                grid[r][c] = (row, col)
    return grid


# ------------------------------------------------------------------ reports

def made_up_report(**changes):
    """Every one of the 21 outcome rows non-zero, in different columns; every figure of
    tables 二 and 四 different, so a figure in the wrong cell shows."""
    rows = {}
    for index, code in enumerate(Outcome.values):
        line = [0] * 6
        line[index % 6] = 100 + index
        line[(index + 3) % 6] = 200 + index
        rows[code] = [*line, sum(line)]
    results = [sum(rows[code][j] for code in Outcome.values) for j in range(7)]
    carried_forward = [j + 1 for j in range(6)]
    carried_forward.append(sum(carried_forward))
    carried_over = [2 * j + 1 for j in range(6)]
    carried_over.append(sum(carried_over))
    new = [results[j] + carried_forward[j] - carried_over[j] for j in range(7)]
    report = {
        "agency": "wenxian_housing", "agency_name": "温县住房和城乡建设局", "year": 2025,
        "status": "final", "version": 1, "fingerprint": "f" * 64,
        "table2": {"rules": {"issued": 1, "abolished": 2, "in_force": 3},
                   "normative_documents": {"issued": 4, "abolished": 5, "in_force": 6},
                   "licensing": 59, "penalties": 15, "enforcement": 7, "fees_wan_yuan": 12.35},
        "released_by_channel": {"wechat": 381},
        "channels": [{"code": "wechat", "name": "微信公众号", "kind": "wechat", "released": 381}],
        # The columns in another order than printed: the exports go by the names.
        "table3": {"columns": list(reversed(COLUMNS)), "rows": {
            key: list(reversed(values)) for key, values in {
                "new": new, "carried_over": carried_over, **rows, "results_total": results,
                "carried_forward": carried_forward}.items()}},
        "table4": {group: {result: 10 * (g + 1) + r + 1 for r, result in enumerate(T4_RESULTS)}
                   for g, group in enumerate(T4_GROUPS)},
        "checks": [],
        "sections": {
            "overview": "2025年，温县住建局认真贯彻《条例》。\n\n全年推进政务公开。",
            "active": "在微信公众号主动公开信息381条。",
            "on_request": "全年受理政府信息公开申请。",
            "management": "严格执行“三审”制度。",
            "platform": "依托微信公众号发布信息。",
            "supervision": "完善考核制度。",
            "problems": "一是依申请公开答复水平有待提高。\n二是公开不够及时。",
            "other": "本年度未收取信息处理费。",
        },
    }
    report.update(changes)
    return report


def in_printed_order(report):
    """Table 三's rows of `report` with the columns in the printed order."""
    table3 = report["table3"]
    position = {code: index for index, code in enumerate(table3["columns"])}
    return {key: [row[position[code]] for code in COLUMNS] for key, row in table3["rows"].items()}


def with_printed_columns(report):
    return {**report, "table3": {"columns": COLUMNS, "rows": in_printed_order(report)}}


def zeros():
    return [0] * 7


def reference_report():
    """The figures of the published 2023 report of 温县住房和城乡建设局, whose table 三 as
    published lacks the 其他 column and the (三)不予公开 heading."""
    rows = {code: zeros() for code in Outcome.values}
    rows[Outcome.UNABLE_NOT_HELD] = [2, 0, 0, 0, 0, 0, 2]
    table4 = {group: dict.fromkeys(T4_RESULTS, 0) for group in T4_GROUPS}
    table4["reconsideration"].update(upheld=1, total=1)
    return {
        "agency": "wenxian_housing", "agency_name": "温县住房和城乡建设局", "year": 2023,
        "status": "final", "version": 1, "fingerprint": "0" * 64,
        "table2": {"rules": {"issued": 0, "abolished": 0, "in_force": 0},
                   "normative_documents": {"issued": 0, "abolished": 0, "in_force": 0},
                   "licensing": 59, "penalties": 15, "enforcement": 0, "fees_wan_yuan": 0.0},
        "released_by_channel": {"wechat": 381, "wenxian_release": 3, "yunshang_wenxian": 8,
                                "jiaozuo_daily": 12, "henan_daily": 9, "china_construction": 1},
        "channels": [],
        "table3": {"columns": COLUMNS, "rows": {
            "new": [2, 0, 0, 0, 0, 0, 2], "carried_over": zeros(), **rows,
            "results_total": [2, 0, 0, 0, 0, 0, 2], "carried_forward": zeros()}},
        "table4": table4,
        "checks": [],
        "sections": {
            "overview": "2023年，温县住建局坚持以优化服务发展、提高政务水平为主线，认真按照"
                        "《中华人民共和国政府信息公开条例》相关要求开展政务公开工作。",
            "active": "2023年，县住建局在公众号主动公开信息381条，温县发布信息3条，云上温县"
                      "发布信息8条，在焦作日报等市级媒体发布信息12条，河南日报省级媒体发布信息"
                      "9条，中华建设杂志等国家级媒体发布信息1条。",
            "on_request": "2023年，我局共受理2件信息公开申请，根据《中华人民共和国政府信息公开"
                          "条例》第三十六条第（四）、（五）项规定，不属于本行政机关负责公开内容"
                          "并已告知。",
            "management": "我单位严格执行“三级”审查制度，明确“三审”责任。",
            "platform": "温县住建局利用微信公众号，及时发布住建信息。",
            "supervision": "我局高度重视政府信息公开工作。",
            "problems": "一是依申请公开答复水平有待提高；二是信息公开不够及时、全面。\n\n"
                        "以上问题都需要在下一步工作中予以重点研究和解决。",
            "other": "无其他需要报告的事项。",
        },
    }


# ------------------------------------------------------------------ reading the files

def docx_grid(table):
    """(owner position, text) for every grid position of a python-docx table: the owner is
    the first position of the XML cell covering it, so merged cells share one."""
    first_seen, grid = {}, []
    for r, row in enumerate(table.rows):
        line = []
        for c, cell in enumerate(row.cells):
            # An lxml proxy is the same object for one XML element while it is referenced.
            owner = first_seen.setdefault(cell._tc, (r, c))
            line.append((owner, cell.text))
        grid.append(line)
    return grid


def html_grid(table):
    """The same for an HTML table, placing each cell by its rowspan and colspan."""
    grid = {}
    for r, tr in enumerate(table.iter("tr")):
        c = 0
        for cell in tr:
            if cell.tag not in ("td", "th"):
                continue
            while (r, c) in grid:
                c += 1
            rowspan, colspan = int(cell.get("rowspan", 1)), int(cell.get("colspan", 1))
            for dr in range(rowspan):
                for dc in range(colspan):
                    assert (r + dr, c + dc) not in grid, "overlapping cells"
                    grid[(r + dr, c + dc)] = ((r, c), cell.text_content().strip())
            c += colspan
    n_rows, n_cols = max(r for r, _ in grid) + 1, max(c for _, c in grid) + 1
    assert len(grid) == n_rows * n_cols, "ragged table"
    return [[grid[(r, c)] for c in range(n_cols)] for r in range(n_rows)]


def assert_layout(grid, expected):
    cells, n_rows, n_cols = expected
    assert (len(grid), len(grid[0])) == (n_rows, n_cols)
    want = owners(cells, n_rows, n_cols)
    assert [[owner for owner, _ in line] for line in grid] == want
    for row, col, text, _, _ in cells:
        assert grid[row][col][1] == text, (row, col)


@pytest.fixture(scope="module")
def report():
    return made_up_report()


@pytest.fixture(scope="module")
def docx_tables(report):
    return Document(io.BytesIO(report_docx(report))).tables


# ------------------------------------------------------------------ .docx

def test_docx_has_the_three_tables_of_the_format_with_their_merged_cells(report, docx_tables):
    table2, table3, table4 = docx_tables
    assert_layout(docx_grid(table2), expected_t2(report))
    assert_layout(docx_grid(table3), expected_t3(with_printed_columns(report)))
    assert_layout(docx_grid(table4), expected_t4(report))


def test_docx_merges_are_word_spans_and_vertical_merges(docx_tables):
    table3 = docx_tables[1]
    top_left = table3.cell(0, 0)._tc
    assert top_left.grid_span == 3 and top_left.vMerge == "restart"
    below = [tr.tc_lst[0] for tr in table3._tbl.tr_lst[1:3]]
    assert [tc.vMerge for tc in below] == ["continue", "continue"]
    assert [tc.grid_span for tc in below] == [3, 3]
    assert table3.cell(0, 3)._tc.grid_span == 7
    assert table3.cell(1, 4)._tc.grid_span == 5
    results = table3.cell(5, 0)._tc
    assert results.vMerge == "restart"
    direction = results.tcPr.find(qn("w:textDirection"))
    assert direction is not None and direction.get(qn("w:val")) == "tbRlV"
    withheld = table3.cell(7, 1)._tc
    assert withheld.vMerge == "restart" and table3.cell(8, 1)._tc is withheld
    assert table3.cell(15, 1)._tc is not withheld  # （四）无法提供 starts a new cell
    # The header rows repeat on every page.
    assert [row._tr.trPr.find(qn("w:tblHeader")) is not None for row in table3.rows[:4]] == [
        True, True, True, False]


def test_docx_reads_in_the_format_s_order_in_the_agencies_fonts(report):
    document = Document(io.BytesIO(report_docx(report)))
    paragraphs = [p for p in document.paragraphs if p.text.strip()]
    assert paragraphs[0].text == "温县住房和城乡建设局\n2025年政府信息公开工作年度报告"
    title = paragraphs[0].runs[0]
    assert title.font.size.pt == 22 and title.font.bold
    headings = [p.text for p in paragraphs if p.text in HEADINGS]
    assert headings == HEADINGS
    texts = [p.text for p in paragraphs]
    assert texts.index("全年推进政务公开。") == texts.index("一、总体情况") + 2
    assert "一是依申请公开答复水平有待提高。\n二是公开不够及时。" in texts

    def east_asia(paragraph):
        return paragraph.runs[0]._r.rPr.rFonts.get(qn("w:eastAsia"))

    by_text = {p.text: p for p in paragraphs}
    assert east_asia(by_text["一、总体情况"]) == "黑体"
    body = by_text["在微信公众号主动公开信息381条。"]
    assert east_asia(body) in ("仿宋_GB2312", "仿宋") and body.runs[0].font.size.pt == 16
    section = document.sections[0]
    assert (round(section.page_width.cm, 1), round(section.page_height.cm, 1)) == (21.0, 29.7)
    # Word finds 仿宋 where 仿宋_GB2312 is not installed.
    fonts = zipfile.ZipFile(io.BytesIO(report_docx(report))).read("word/fontTable.xml")
    assert '<w:font w:name="仿宋_GB2312"><w:altName w:val="仿宋"/>' in fonts.decode()


def test_docx_tables_sit_under_their_headings(report):
    body = Document(io.BytesIO(report_docx(report))).element.body
    order = []
    for element in body.iterchildren():
        if element.tag == qn("w:tbl"):
            order.append("table")
        elif element.tag == qn("w:p"):
            text = "".join(t.text or "" for t in element.iter(qn("w:t")))
            if text in HEADINGS:
                order.append(text)
    assert order[6:] == ["二、主动公开政府信息情况", "table", "三、收到和处理政府信息公开申请情况",
                         "table", "四、政府信息公开行政复议、行政诉讼情况", "table",
                         "五、存在的主要问题及改进情况", "六、其他需要报告的事项"]


def test_same_report_gives_the_same_bytes(report):
    assert report_docx(report) == report_docx(made_up_report())
    assert report_xlsx(report) == report_xlsx(made_up_report())
    entries = zipfile.ZipFile(io.BytesIO(report_docx(report))).infolist()
    assert {entry.date_time for entry in entries} == {(1980, 1, 1, 0, 0, 0)}
    core = Document(io.BytesIO(report_docx(report))).core_properties
    assert core.created == core.modified and core.created.year == 2026
    assert report_docx(report) != report_docx(made_up_report(year=2024))


def test_a_draft_says_so_under_the_title_and_a_second_version_too():
    def lines(report):
        return [p.text for p in Document(io.BytesIO(report_docx(report))).paragraphs[:3]]

    assert "（草稿）" in lines(made_up_report(status="draft"))
    assert "（第2版）" in lines(made_up_report(version=2))
    assert not {"（草稿）", "（第2版）"} & set(lines(made_up_report()))


# ------------------------------------------------------------------ .xlsx

def sheet_grid(sheet, top=2):
    """(owner, value) per grid position of the table starting at row `top`."""
    owner_of = {}
    for merged in sheet.merged_cells.ranges:
        for row in range(merged.min_row, merged.max_row + 1):
            for col in range(merged.min_col, merged.max_col + 1):
                owner_of[(row, col)] = (merged.min_row, merged.min_col)
    grid = []
    for row in range(top, sheet.max_row + 1):
        line = []
        for col in range(1, sheet.max_column + 1):
            r, c = owner_of.get((row, col), (row, col))
            value = sheet.cell(row, col).value
            line.append(((r - top, c - 1), "" if value is None else value))
        grid.append(line)
    return grid


def test_xlsx_has_the_three_tables_with_merged_headings_and_numbers(report):
    workbook = openpyxl.load_workbook(io.BytesIO(report_xlsx(report)))
    assert workbook.sheetnames == ["表二", "表三", "表四"]
    for sheet, expected in zip(workbook.worksheets, [
            expected_t2(report), expected_t3(with_printed_columns(report)),
            expected_t4(report)], strict=True):
        assert sheet["A1"].value.startswith("温县住房和城乡建设局2025年")
        grid = sheet_grid(sheet)
        # Figures are numbers: compare them as printed, and check their type below.
        assert_layout([[(owner, printed(value) if isinstance(value, int | float) else value)
                        for owner, value in line] for line in grid], expected)
    table3 = workbook["表三"]
    rows = in_printed_order(report)
    unable_needs_creation = [table3.cell(2 + 16, 4 + j).value for j in range(7)]
    assert unable_needs_creation == rows[Outcome.UNABLE_NEEDS_CREATION]
    assert isinstance(table3.cell(2 + 3, 4).value, int)
    assert workbook["表二"].cell(2 + 13, 2).value == 12.35
    assert workbook["表四"].cell(2 + 3, 15).value == 35
    assert "D2:J2" in {str(r) for r in table3.merged_cells.ranges}  # 申请人情况


# ------------------------------------------------------------------ HTML

def test_html_has_the_headings_and_the_tables_with_their_spans(report):
    page = lxml.html.fromstring(report_html(report))
    assert page.findtext(".//title") == "温县住房和城乡建设局2025年政府信息公开工作年度报告"
    headings = [h.text_content() for h in page.iter("h2", "h3")]
    assert headings == HEADINGS
    table2, table3, table4 = page.iter("table")
    assert_layout(html_grid(table2), expected_t2(report))
    assert_layout(html_grid(table3), expected_t3(with_printed_columns(report)))
    assert_layout(html_grid(table4), expected_t4(report))
    assert [th.get("scope") for th in table3.iter("th")][:2] == ["colgroup", "colgroup"]
    assert len(table3.find("thead").findall("tr")) == 3
    assert "@page" in report_html(report) and "size: A4" in report_html(report)


def test_html_fragment_escapes_the_narrative_and_keeps_its_paragraphs():
    report = made_up_report(sections={**made_up_report()["sections"],
                                      "other": "<script>alert(1)</script>\n\n第二段"})
    fragment = report_html(report, standalone=False)
    assert "<html" not in fragment and 'class="annual-report"' in fragment
    assert "<script>" not in fragment and "&lt;script&gt;" in fragment
    article = lxml.html.fromstring(fragment).find_class("annual-report")[0]
    last = [p.text_content() for p in article.iter("p")][-2:]
    assert last == ["<script>alert(1)</script>", "第二段"]


# ------------------------------------------------------------------ PDF

def rasterise_first_page(pdf: bytes, directory: Path, name: str) -> Path:
    if not shutil.which("pdftoppm"):
        if os.environ.get("REQUIRE_SERVICES"):
            pytest.fail("pdftoppm is missing (apt-get install poppler-utils)")
        pytest.skip("pdftoppm is missing (apt-get install poppler-utils)")
    source = directory / f"{name}.pdf"
    source.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "72", "-f", "1", "-l", "1", "-singlefile",
                    str(source), str(directory / name)], check=True, timeout=60)
    png = directory / f"{name}.png"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)  # kept by CI with the screenshots
    shutil.copy(png, ARTIFACTS / png.name)
    return png


def pdf_text(pdf: bytes) -> str:
    pages = PdfReader(io.BytesIO(pdf)).pages
    return "".join("".join(page.extract_text().split()) for page in pages)


def embedded_fonts(pdf: bytes) -> set[str]:
    fonts = set()
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for font in page["/Resources"]["/Font"].values():
            fonts.add(str(font.get_object()["/BaseFont"]))
    return fonts


def test_pdf_renders_a4_pages_in_a_chinese_font(report, tmp_path):
    pdf = report_pdf(report)
    reader = PdfReader(io.BytesIO(pdf))
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4 in pt
    png = rasterise_first_page(pdf, tmp_path, "annual-report-page-1")
    with Image.open(png) as image:
        assert abs(image.width - 595) <= 1 and abs(image.height - 842) <= 1
        ink = sum(image.convert("L").histogram()[:128])  # dark pixels
    assert ink > 2000  # the title and the first section are printed, not a blank page
    # Real glyphs: the characters come back out of the text layer, drawn in a font that
    # has them (not boxes of a Latin fallback).
    text = pdf_text(pdf)
    for words in ("温县住房和城乡建设局", "政府信息公开工作年度报告", "总体情况",
                  "主动公开政府信息情况", "申请人情况", "法人或其他组织", "未经复议直接起诉"):
        assert words in text
    cjk = ("WenQuanYi", "FangSong", "SimHei", "SimSun", "KaiTi", "CJK", "Han")
    assert any(name in font for font in embedded_fonts(pdf) for name in cjk)
    assert report_pdf(report) == pdf


def test_pdf_fetcher_reads_nothing_outside_the_project(tmp_path):
    fetcher = local_only_fetcher()
    assert fetcher.fetch("data:text/plain,ok").read() == b"ok"
    inside = Path(settings.BASE_DIR) / "manage.py"
    assert fetcher.fetch(inside.as_uri()).read() == inside.read_bytes()
    outside = tmp_path / "secret.txt"
    outside.write_text("secret")
    for url in (outside.as_uri(), "file:///etc/passwd", "https://example.com/x.css",
                "http://127.0.0.1:6379/", "ftp://example.com/x",
                (Path(settings.BASE_DIR) / ".." / "..").resolve().as_uri()):
        with pytest.raises(ValueError, match="refused"):
            fetcher.fetch(url)


# ------------------------------------------------------------------ the reference report

def test_reference_figures_come_out_in_the_well_formed_table(tmp_path):
    report = reference_report()
    table2, table3, table4 = Document(io.BytesIO(report_docx(report))).tables
    assert_layout(docx_grid(table2), expected_t2(report))
    assert_layout(docx_grid(table3), expected_t3(report))
    assert_layout(docx_grid(table4), expected_t4(report))
    grid = docx_grid(table3)
    # The published table lacked these: the 其他 column and the (三)不予公开 heading.
    assert grid[2][8][1] == "其他" and grid[7][1][1] == "（三）不予公开"
    assert [text for _, text in grid[15][3:]] == ["2", "0", "0", "0", "0", "0", "2"]
    assert [text for _, text in grid[26]][1:] == ["（七）总计", "（七）总计", "2", "0", "0", "0",
                                                 "0", "0", "2"]
    assert [text for _, text in docx_grid(table4)[3]] == ["1", "0", "0", "0", "1"] + ["0"] * 10
    assert docx_grid(table2)[6][1][1] == "59" and docx_grid(table2)[9][1][1] == "15"

    pdf = report_pdf(report)
    rasterise_first_page(pdf, tmp_path, "reference-report-page-1")
    text = pdf_text(pdf)
    for words in ("温县住房和城乡建设局2023年政府信息公开工作年度报告", "（三）不予公开",
                  "1.属于国家秘密", "法律服务机构其他一、本年新收", "在公众号主动公开信息381条",
                  "无其他需要报告的事项。"):
        assert words in text


# ------------------------------------------------------------------ names

def test_file_names_are_chinese_with_an_ascii_fallback(report):
    assert report_filename(report, "docx") == (
        "温县住房和城乡建设局2025年政府信息公开工作年度报告.docx")
    assert report_filename(made_up_report(version=2), "pdf") == (
        "温县住房和城乡建设局2025年政府信息公开工作年度报告（第2版）.pdf")
    assert report_filename(made_up_report(agency_name='A/B:"C"'), "xlsx") == (
        "ABC2025年政府信息公开工作年度报告.xlsx")
    header = report_content_disposition(report, "docx")
    kind, plain, encoded = header.split("; ")
    assert kind == "attachment"
    assert plain == 'filename="annual-report-wenxian_housing-2025.docx"'
    assert encoded.startswith("filename*=UTF-8''")
    assert unquote(encoded.removeprefix("filename*=UTF-8''")) == report_filename(report, "docx")
    assert header.isascii()
    assert report_content_disposition(report, "pdf", inline=True).startswith("inline; ")
