"""The annual report's files (政府信息公开工作年度报告): HTML, PDF, .docx and .xlsx of one
report dict (the answer of GET /api/v1/reports/annual/), in the national format of
国办公开办函〔2021〕30号, and the file names they are downloaded under.

The tables are laid out once, as grids of cells with their row and column spans
(`report_tables`), and every format draws the same grids: the merged header cells of the
format are then the same in the public page, the PDF, the Word file and the workbook.
The headings and labels are fixed wording of the format, printed in Chinese whatever
language the reader uses, so they are plain strings, not translatable ones.

Equal reports give equal files (.docx, .xlsx and .pdf): no clock reading goes into them, so
a frozen report's attachments keep their bytes and their hashes.
"""

import datetime as dt
import functools
import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit
from urllib.request import url2pathname

from django.conf import settings
from django.template.loader import render_to_string
from docx import Document
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from lxml import etree
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from openpyxl.writer.excel import ExcelWriter

from applications.letters import _undated_zip
from applications.outcomes import TABLE3_ROWS, TABLE3_TOTAL_LABEL

# ------------------------------------------------------------------ the document

TITLE_TAIL = "年政府信息公开工作年度报告"

# 一、总体情况 opens with the overview, then these five sub-sections.
OVERVIEW_HEADING = "一、总体情况"
OVERVIEW_SUBSECTIONS = (
    ("active", "（一）主动公开"),
    ("on_request", "（二）依申请公开"),
    ("management", "（三）政府信息管理"),
    ("platform", "（四）政府信息公开平台建设"),
    ("supervision", "（五）监督保障"),
)
TABLE2_HEADING = "二、主动公开政府信息情况"
TABLE3_HEADING = "三、收到和处理政府信息公开申请情况"
TABLE4_HEADING = "四、政府信息公开行政复议、行政诉讼情况"
PROBLEMS_HEADING = "五、存在的主要问题及改进情况"
OTHER_HEADING = "六、其他需要报告的事项"

# Table 三's applicant columns, in the format's order (the dict names them in "columns").
TABLE3_COLUMNS = ("natural_person", "commercial", "research", "social_welfare", "legal_service",
                  "other", "total")
TABLE3_ORGANISATIONS = ("商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他")
TABLE3_CROSS_CHECK = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"
TABLE4_GROUPS = ("reconsideration", "litigation_direct", "litigation_after_reconsideration")
TABLE4_RESULTS = (("upheld", "结果维持"), ("corrected", "结果纠正"), ("other", "其他结果"),
                  ("pending", "尚未审结"), ("total", "总计"))


def report_title(report: dict) -> str:
    return f"{report['agency_name']}{report['year']}{TITLE_TAIL}"


def version_note(report: dict) -> str:
    """Printed under the title: a draft must not pass for the published report, and a
    second version must not pass for the first."""
    if report.get("status") != "final":
        return "（草稿）"
    if int(report.get("version") or 1) > 1:
        return f"（第{int(report['version'])}版）"
    return ""


def paragraphs(text: str) -> list[list[str]]:
    """A narrative text as paragraphs (split at blank lines), each a list of its lines."""
    blocks = re.split(r"\n\s*\n", (text or "").replace("\r\n", "\n").replace("\r", "\n"))
    return [[line.strip() for line in block.strip().split("\n") if line.strip()]
            for block in blocks if block.strip()]


def figure(value) -> str:
    """A table figure as printed: counts as they are, 万元 to two decimals at most."""
    if isinstance(value, float) and not value.is_integer():
        return f"{value:.2f}".rstrip("0").rstrip(".")
    return str(int(value))


@dataclass(frozen=True)
class Cell:
    row: int
    col: int
    text: str
    value: int | float | None = None   # a figure; None for a heading or label
    rowspan: int = 1
    colspan: int = 1
    heading: bool = False               # a column heading; other texts head their row
    vertical: bool = False              # printed top to bottom (a tall, narrow group cell)
    left: bool = False                  # aligned left (long row labels)

    @property
    def is_figure(self) -> bool:
        return self.value is not None

    @property
    def last_row(self) -> int:
        return self.row + self.rowspan - 1

    @property
    def last_col(self) -> int:
        return self.col + self.colspan - 1


@dataclass(frozen=True)
class Grid:
    key: str
    sheet: str                  # the workbook's sheet name
    heading: str                # the report section the table belongs to
    widths_cm: tuple            # column widths on an A4 page of 15.6 cm type area
    header_rows: int            # rows repeated on every page
    cells: tuple
    font_pt: float = 10.5

    @property
    def n_rows(self) -> int:
        return max(cell.last_row for cell in self.cells) + 1

    @property
    def n_cols(self) -> int:
        return len(self.widths_cm)

    def rows(self) -> list[list[Cell]]:
        """The cells starting in each row, left to right (as HTML writes them)."""
        rows = [[] for _ in range(self.n_rows)]
        for cell in sorted(self.cells, key=lambda c: (c.row, c.col)):
            rows[cell.row].append(cell)
        return rows

    def percent_widths(self) -> list[str]:
        total = sum(self.widths_cm)
        return [f"{100 * width / total:.2f}" for width in self.widths_cm]


def _table2(table2: dict) -> Grid:
    cells, row = [], 0

    def block(item: str, measure: list[str], lines: list[tuple[str, list]]):
        nonlocal row
        cells.append(Cell(row, 0, f"第二十条第（{item}）项", colspan=4, heading=True))
        row += 1
        cells.append(Cell(row, 0, "信息内容", heading=True))
        # A single measure spans the three figure columns of 第（一）项.
        first_span = 4 - len(measure)

        def place(index: int) -> dict:
            return ({"col": 1, "colspan": first_span} if index == 0
                    else {"col": first_span + index})

        for index, name in enumerate(measure):
            cells.append(Cell(row=row, text=name, heading=True, **place(index)))
        row += 1
        for label, values in lines:
            cells.append(Cell(row, 0, label))
            for index, value in enumerate(values):
                cells.append(Cell(row=row, text=figure(value), value=value, **place(index)))
            row += 1

    def documents(kind: str) -> list:
        counts = table2[kind]
        return [counts["issued"], counts["abolished"], counts["in_force"]]

    block("一", ["本年制发件数", "本年废止件数", "现行有效件数"],
          [("规章", documents("rules")), ("行政规范性文件", documents("normative_documents"))])
    block("五", ["本年处理决定数量"], [("行政许可", [table2["licensing"]])])
    block("六", ["本年处理决定数量"], [("行政处罚", [table2["penalties"]]),
                                       ("行政强制", [table2["enforcement"]])])
    block("八", ["本年收费金额（单位：万元）"],
          [("行政事业性收费", [float(table2["fees_wan_yuan"])])])
    return Grid("table2", "表二", TABLE2_HEADING, (5.1, 3.5, 3.5, 3.5), 0, tuple(cells))


def _table3(table3: dict) -> Grid:
    position = {code: index for index, code in enumerate(table3["columns"])}

    def values(key: str) -> list[int]:
        row = table3["rows"][key]
        return [int(row[position[code]]) for code in TABLE3_COLUMNS]

    cells = [
        Cell(0, 0, TABLE3_CROSS_CHECK, rowspan=3, colspan=3, heading=True),
        Cell(0, 3, "申请人情况", colspan=7, heading=True),
        Cell(1, 3, "自然人", rowspan=2, heading=True),
        Cell(1, 4, "法人或其他组织", colspan=5, heading=True),
        Cell(1, 9, "总计", rowspan=2, heading=True),
        *[Cell(2, 4 + index, name, heading=True)
          for index, name in enumerate(TABLE3_ORGANISATIONS)],
    ]

    def figures(row: int, key: str):
        cells.extend(Cell(row, 3 + index, figure(value), value)
                     for index, value in enumerate(values(key)))

    cells.append(Cell(3, 0, "一、本年新收政府信息公开申请数量", colspan=3, left=True))
    figures(3, "new")
    cells.append(Cell(4, 0, "二、上年结转政府信息公开申请数量", colspan=3, left=True))
    figures(4, "carried_over")

    first, row = 5, 5
    index = 0
    while index < len(TABLE3_ROWS):
        entry = TABLE3_ROWS[index]
        if entry.is_heading:
            members = [r for r in TABLE3_ROWS[index + 1:] if r.group == entry.group]
            cells.append(Cell(row, 1, entry.label, rowspan=len(members)))
            for offset, member in enumerate(members):
                cells.append(Cell(row + offset, 2, member.label, left=True))
                figures(row + offset, member.outcome)
            row += len(members)
            index += 1 + len(members)
        else:
            cells.append(Cell(row, 1, entry.label, colspan=2, left=True))
            figures(row, entry.outcome)
            row += 1
            index += 1
    cells.append(Cell(row, 1, TABLE3_TOTAL_LABEL, colspan=2))
    figures(row, "results_total")
    cells.append(Cell(first, 0, "三、本年度办理结果", rowspan=row - first + 1,
                      vertical=True))
    row += 1
    cells.append(Cell(row, 0, "四、结转下年度继续办理", colspan=3, left=True))
    figures(row, "carried_forward")
    # 9 pt and a wide label column keep the long labels on one or two lines and the table on
    # one page; the first column is one character wide, so its label reads top to bottom.
    return Grid("table3", "表三", TABLE3_HEADING, (0.6, 1.7, 5.9) + (1.057,) * 7, 3,
                tuple(cells), font_pt=9)


def _table4(table4: dict) -> Grid:
    cells = [
        Cell(0, 0, "行政复议", colspan=5, heading=True),
        Cell(0, 5, "行政诉讼", colspan=10, heading=True),
        *[Cell(1, index, name, rowspan=2, heading=True)
          for index, (_, name) in enumerate(TABLE4_RESULTS)],
        Cell(1, 5, "未经复议直接起诉", colspan=5, heading=True),
        Cell(1, 10, "复议后起诉", colspan=5, heading=True),
        *[Cell(2, start + index, name, heading=True)
          for start in (5, 10) for index, (_, name) in enumerate(TABLE4_RESULTS)],
    ]
    for group_index, group in enumerate(TABLE4_GROUPS):
        for index, (code, _) in enumerate(TABLE4_RESULTS):
            value = int(table4[group][code])
            cells.append(Cell(3, 5 * group_index + index, figure(value), value))
    return Grid("table4", "表四", TABLE4_HEADING, (1.04,) * 15, 3, tuple(cells), font_pt=9)


def report_tables(report: dict) -> dict[str, Grid]:
    """Tables 二, 三 and 四 of the report as grids of cells with their spans."""
    return {"table2": _table2(report["table2"]), "table3": _table3(report["table3"]),
            "table4": _table4(report["table4"])}


@dataclass(frozen=True)
class Block:
    kind: str                   # "heading" | "paragraph" | "table"
    text: str = ""
    level: int = 1
    lines: tuple = ()
    grid: Grid | None = None


def report_blocks(report: dict) -> list[Block]:
    """The report below its title, in the format's order."""
    sections, tables = report.get("sections") or {}, report_tables(report)

    def prose(key: str) -> list[Block]:
        return [Block("paragraph", lines=tuple(lines))
                for lines in paragraphs(sections.get(key, ""))]

    blocks = [Block("heading", OVERVIEW_HEADING), *prose("overview")]
    for key, heading in OVERVIEW_SUBSECTIONS:
        blocks += [Block("heading", heading, level=2), *prose(key)]
    for key in ("table2", "table3", "table4"):
        blocks += [Block("heading", tables[key].heading), Block("table", grid=tables[key])]
    blocks += [Block("heading", PROBLEMS_HEADING), *prose("problems")]
    blocks += [Block("heading", OTHER_HEADING), *prose("other")]
    return blocks


# ------------------------------------------------------------------ file names

_UNSAFE_IN_NAMES = re.compile(r'[\x00-\x1f\x7f\\/:*?"<>|]')


def report_filename(report: dict, ext: str) -> str:
    """温县住房和城乡建设局2025年政府信息公开工作年度报告.docx (a later version says so)."""
    version = int(report.get("version") or 1)
    suffix = f"（第{version}版）" if version > 1 else ""
    name = _UNSAFE_IN_NAMES.sub("", report_title(report)).strip(" .") or "annual-report"
    return f"{name}{suffix}.{ext.lstrip('.')}"


def ascii_filename(report: dict, ext: str) -> str:
    """For clients that ignore filename*: annual-report-wenxian_housing-2025.docx."""
    version = int(report.get("version") or 1)
    stem = f"annual-report-{report['agency']}-{report['year']}"
    stem += f"-v{version}" if version > 1 else ""
    return re.sub(r"[^A-Za-z0-9._-]", "_", f"{stem}.{ext.lstrip('.')}")


def content_disposition(filename: str, *, fallback: str, inline: bool = False) -> str:
    """A Content-Disposition value with a Chinese file name: RFC 6266's filename* in
    UTF-8 (RFC 5987) for browsers, and an ASCII filename for those that know only that."""
    fallback = re.sub(r'[^\x20-\x7e]|["\\]', "_", fallback) or "download"
    return (f'{"inline" if inline else "attachment"}; filename="{fallback}"; '
            f"filename*=UTF-8''{quote(filename, safe='')}")


def report_content_disposition(report: dict, ext: str, *, inline: bool = False) -> str:
    return content_disposition(report_filename(report, ext),
                               fallback=ascii_filename(report, ext), inline=inline)


# ------------------------------------------------------------------ HTML

def _html_context(report: dict) -> dict:
    return {"title": report_title(report), "agency_name": report["agency_name"],
            "title_tail": f"{report['year']}{TITLE_TAIL}", "note": version_note(report),
            "blocks": report_blocks(report)}


def report_html(report: dict, *, standalone: bool = True) -> str:
    """The report in HTML. Standalone: a whole page with its print stylesheet (A4), the PDF's
    source. Otherwise a fragment (its <style> and an <article class="annual-report">) to put
    in a page of the public site."""
    template = "document.html" if standalone else "fragment.html"
    # A SafeString: the template escaped the narrative, so a page can print it as it is.
    return render_to_string(f"disclosure/report/{template}", _html_context(report))


# ------------------------------------------------------------------ PDF

@functools.cache
def _local_only_fetcher_class():
    # Built on first use: importing WeasyPrint loads Pango, which only the PDF needs.
    from weasyprint.urls import URLFetcher

    class LocalOnlyFetcher(URLFetcher):
        """Reads data: URLs and files inside the project, nothing else: the report is
        rendered on the server, where a fetch to another host (or to /etc) would leak or
        hang, and the report needs neither."""

        def __init__(self, root: Path):
            super().__init__(allowed_protocols={"data", "file"}, allow_redirects=False,
                             timeout=1)
            self.root = root

        def fetch(self, url, headers=None):
            parts = urlsplit(url)
            if parts.scheme.lower() == "file":
                path = Path(url2pathname(parts.path)).resolve()
                if not path.is_relative_to(self.root):
                    raise ValueError(f"refused: {url} is outside the project")
            elif parts.scheme.lower() != "data":
                raise ValueError(f"refused: {url} (only data: URLs and project files)")
            return super().fetch(url, headers)

    return LocalOnlyFetcher


def local_only_fetcher(root: Path | None = None):
    """WeasyPrint's URL fetcher limited to data: URLs and files under `root` (the project)."""
    return _local_only_fetcher_class()(Path(root or settings.BASE_DIR).resolve())


def report_pdf(report: dict) -> bytes:
    """The standalone HTML printed to A4 by WeasyPrint, with the fonts the stylesheet names
    (仿宋, 黑体, then WenQuanYi Micro Hei where those are not installed)."""
    from weasyprint import HTML  # imported here: it loads Pango, which only PDFs need

    root = Path(settings.BASE_DIR).resolve()
    document = HTML(string=report_html(report), base_url=root.as_uri() + "/",
                    url_fetcher=local_only_fetcher(root))
    return document.write_pdf()


# ------------------------------------------------------------------ Word

# GB/T 9704-2012 (党政机关公文格式): A4, type area 156 × 225 mm, the title in 小标宋 二号
# (22 pt), headings of the first level in 黑体, of the second in 楷体, the body in 仿宋 三号
# (16 pt) at 28 pt pitch. The _GB2312 names are the ones agencies' machines carry; each is
# listed in the font table with the name newer Windows and WPS have, for Word to fall back on.
TITLE_FONT, HEADING_FONT, SUBHEADING_FONT, BODY_FONT = (
    "方正小标宋简体", "黑体", "楷体_GB2312", "仿宋_GB2312")
LATIN_FONT = "Times New Roman"
FONT_FALLBACKS = {"方正小标宋简体": "黑体", "楷体_GB2312": "楷体", "仿宋_GB2312": "仿宋"}
TITLE_SIZE, BODY_SIZE, FOOTER_SIZE = Pt(22), Pt(16), Pt(14)
LINE_PITCH = Pt(28)


def _fonts(target, east_asia: str) -> None:
    target.font.name = LATIN_FONT
    target.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), east_asia)


def _run(paragraph, text: str, *, font: str, size, bold: bool = False):
    run = paragraph.add_run(text)
    run.font.size, run.font.bold = size, bold
    _fonts(run, font)
    return run


def _layout(paragraph, *, align=None, indent=None, exact=True, outline: int | None = None):
    layout = paragraph.paragraph_format
    if exact:
        layout.line_spacing_rule, layout.line_spacing = WD_LINE_SPACING.EXACTLY, LINE_PITCH
    else:
        layout.line_spacing_rule = WD_LINE_SPACING.SINGLE
    layout.space_before = layout.space_after = Pt(0)
    if align is not None:
        paragraph.alignment = align
    if indent is not None:
        layout.first_line_indent = indent
    if outline is not None:
        # An outline level puts the headings in Word's navigation pane and a table of
        # contents without restyling the built-in heading styles.
        level = OxmlElement("w:outlineLvl")
        level.set(qn("w:val"), str(outline))
        paragraph._p.get_or_add_pPr().append(level)


def _page_number_footer(section) -> None:
    """“— 1 —” centred at the foot, as agencies number their documents."""
    paragraph = section.footer.paragraphs[0]
    _layout(paragraph, align=WD_ALIGN_PARAGRAPH.CENTER, exact=False)
    _run(paragraph, "— ", font="宋体", size=FOOTER_SIZE)
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), "PAGE")
    paragraph._p.append(field)
    number = _run(paragraph, "1", font="宋体", size=FOOTER_SIZE)
    field.append(number._r)
    _run(paragraph, " —", font="宋体", size=FOOTER_SIZE)


def _child(parent, tag: str, **attributes):
    element = OxmlElement(tag)
    for name, value in attributes.items():
        element.set(qn(f"w:{name}"), str(value))
    parent.append(element)
    return element


def _docx_table(document, grid: Grid) -> None:
    table = document.add_table(rows=grid.n_rows, cols=grid.n_cols)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    widths = [Cm(width) for width in grid.widths_cm]
    for column, width in zip(table.columns, widths, strict=True):
        column.width = width
    for row in table.rows:
        for cell, width in zip(row.cells, widths, strict=True):
            cell.width = width
        properties = row._tr.get_or_add_trPr()
        _child(properties, "w:cantSplit")
    for row in table.rows[:grid.header_rows]:
        _child(row._tr.get_or_add_trPr(), "w:tblHeader")
    # Narrow cell margins: table 四 has fifteen columns on a portrait page.
    margins = OxmlElement("w:tblCellMar")
    for side in ("left", "right"):
        _child(margins, f"w:{side}", w=57, type="dxa")
    table._tbl.tblPr.insert_element_before(
        margins, "w:tblLook", "w:tblCaption", "w:tblDescription", "w:tblPrChange")

    # Merged on the XML cells of the unmerged grid: Table.cell() lays out the whole table
    # on every call, which for table 三 alone costs most of a second.
    elements = [list(tr.tc_lst) for tr in table._tbl.tr_lst]
    for spec in grid.cells:
        if spec.rowspan > 1 or spec.colspan > 1:
            elements[spec.row][spec.col].merge(elements[spec.last_row][spec.last_col])
    laid_out = [row.cells for row in table.rows]

    size = Pt(grid.font_pt)
    for spec in grid.cells:
        cell = laid_out[spec.row][spec.col]
        cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
        if spec.vertical:
            direction = OxmlElement("w:textDirection")
            direction.set(qn("w:val"), "tbRlV")  # top to bottom, the characters upright
            cell._tc.get_or_add_tcPr().insert_element_before(
                direction, "w:tcFitText", "w:vAlign", "w:hideMark", "w:headers",
                "w:cellIns", "w:cellDel", "w:cellMerge", "w:tcPrChange")
        paragraph = cell.paragraphs[0]
        for extra in cell.paragraphs[1:]:  # merging keeps one paragraph per merged cell
            extra._p.getparent().remove(extra._p)
        _layout(paragraph, exact=False, align=(
            WD_ALIGN_PARAGRAPH.LEFT if spec.left else WD_ALIGN_PARAGRAPH.CENTER))
        _run(paragraph, spec.text, font=BODY_FONT, size=size, bold=spec.heading)


def _font_table(xml: bytes) -> bytes:
    """The font table with the report's Chinese fonts and the font each falls back to."""
    w = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    root = etree.fromstring(xml)
    known = {font.get(f"{{{w}}}name") for font in root.iter(f"{{{w}}}font")}
    for name in (TITLE_FONT, HEADING_FONT, SUBHEADING_FONT, BODY_FONT, "宋体"):
        if name in known:
            continue
        font = etree.SubElement(root, f"{{{w}}}font", {f"{{{w}}}name": name})
        if name in FONT_FALLBACKS:
            etree.SubElement(font, f"{{{w}}}altName", {f"{{{w}}}val": FONT_FALLBACKS[name]})
        etree.SubElement(font, f"{{{w}}}charset", {f"{{{w}}}val": "86"})  # GB2312
        etree.SubElement(font, f"{{{w}}}family", {f"{{{w}}}val": "modern"})
        etree.SubElement(font, f"{{{w}}}pitch", {f"{{{w}}}val": "fixed"})
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _replace_entries(data: bytes, replacements: dict) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for entry in source.infolist():
            content = source.read(entry.filename)
            if entry.filename in replacements:
                content = replacements[entry.filename](content)
            target.writestr(entry, content)
    return out.getvalue()


def _fixed_moment(report: dict):
    """The documents' created/modified date: 1 January after the report's year, the same
    every time the report is exported, so its files keep their bytes."""
    return dt.datetime(int(report["year"]) + 1, 1, 1, tzinfo=dt.UTC)


def report_docx(report: dict) -> bytes:
    document = Document()
    section = document.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.top_margin, section.bottom_margin = Cm(3.7), Cm(3.5)
    section.left_margin, section.right_margin = Cm(2.8), Cm(2.6)
    section.footer_distance = Cm(2.5)
    normal = document.styles["Normal"]
    normal.font.size = BODY_SIZE
    _fonts(normal, BODY_FONT)
    _page_number_footer(section)

    centre = WD_ALIGN_PARAGRAPH.CENTER
    title = document.add_paragraph()
    _layout(title, align=centre, exact=False)
    title.paragraph_format.line_spacing = Pt(36)
    _run(title, report["agency_name"], font=TITLE_FONT, size=TITLE_SIZE, bold=True)
    title.runs[0].add_break()
    _run(title, f"{report['year']}{TITLE_TAIL}", font=TITLE_FONT, size=TITLE_SIZE, bold=True)
    if note := version_note(report):
        paragraph = document.add_paragraph()
        _layout(paragraph, align=centre)
        _run(paragraph, note, font=BODY_FONT, size=BODY_SIZE)
    _layout(document.add_paragraph())

    for block in report_blocks(report):
        if block.kind == "heading":
            paragraph = document.add_paragraph()
            _layout(paragraph, indent=BODY_SIZE * 2, outline=block.level - 1)
            font = HEADING_FONT if block.level == 1 else SUBHEADING_FONT
            _run(paragraph, block.text, font=font, size=BODY_SIZE)
        elif block.kind == "paragraph":
            paragraph = document.add_paragraph()
            _layout(paragraph, indent=BODY_SIZE * 2)
            run = _run(paragraph, block.lines[0], font=BODY_FONT, size=BODY_SIZE)
            for line in block.lines[1:]:
                run.add_break()
                run.add_text(line)
        else:
            _docx_table(document, block.grid)
            _layout(document.add_paragraph())

    properties = document.core_properties
    properties.title = report_title(report)
    properties.author = properties.last_modified_by = report["agency_name"]
    properties.subject, properties.keywords = "政府信息公开工作年度报告", ""
    properties.comments, properties.category = "", "年度报告"
    properties.revision = int(report.get("version") or 1)
    properties.created = properties.modified = _fixed_moment(report)

    out = io.BytesIO()
    document.save(out)
    return _undated_zip(_replace_entries(out.getvalue(), {"word/fontTable.xml": _font_table}))


# ------------------------------------------------------------------ Excel

SHEET_FONT = "宋体"
_THIN = Side(style="thin", color="000000")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)


def report_xlsx(report: dict) -> bytes:
    """Tables 二, 三 and 四 on the sheets 表二, 表三, 表四, under a title row, with the
    format's merged headings and the figures as numbers, for the supervising office."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    tables = report_tables(report)
    for key in ("table2", "table3", "table4"):
        grid = tables[key]
        sheet = workbook.create_sheet(grid.sheet)
        sheet.cell(1, 1, f"{report['agency_name']}{report['year']}年 {grid.heading}")
        sheet.cell(1, 1).font = Font(name=SHEET_FONT, size=14, bold=True)
        sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=grid.n_cols)
        top = 2  # the table starts on the second row
        for spec in grid.cells:
            cell = sheet.cell(top + spec.row, 1 + spec.col, spec.value if spec.is_figure
                              else spec.text)
            cell.alignment = Alignment(
                horizontal="left" if spec.left else "center", vertical="center",
                wrap_text=True, text_rotation=255 if spec.vertical else 0)
            cell.font = Font(name=SHEET_FONT, size=11, bold=spec.heading)
            if spec.is_figure:
                cell.number_format = "0" if isinstance(spec.value, int) else "0.00"
            if spec.rowspan > 1 or spec.colspan > 1:
                sheet.merge_cells(start_row=top + spec.row, start_column=1 + spec.col,
                                  end_row=top + spec.last_row, end_column=1 + spec.last_col)
        for row in range(top, top + grid.n_rows):
            for col in range(1, grid.n_cols + 1):
                sheet.cell(row, col).border = _BORDER
        for index, width in enumerate(grid.widths_cm, start=1):
            # A column's width is counted in characters; one cm is about five.
            sheet.column_dimensions[get_column_letter(index)].width = max(5, width * 5)
        if grid.header_rows:
            sheet.freeze_panes = sheet.cell(top + grid.header_rows, 1)
        sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
        sheet.page_setup.orientation = "landscape" if key == "table4" else "portrait"
        sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
        sheet.sheet_properties.pageSetUpPr.fitToPage = True

    properties = workbook.properties
    properties.title, properties.creator = report_title(report), report["agency_name"]
    properties.lastModifiedBy = report["agency_name"]
    moment = _fixed_moment(report).replace(tzinfo=None)
    properties.created = properties.modified = moment

    out = io.BytesIO()
    # ExcelWriter, not Workbook.save: save stamps the current time as "modified".
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(workbook, archive).write_data()
    return _undated_zip(out.getvalue())
