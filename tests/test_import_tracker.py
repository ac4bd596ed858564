"""A tracker an organisation already keeps in Excel or as a .csv (issue 14, item 6): the header row
found by its titles under the title rows, dates as the cells show them, the plan's sheet chosen
or found, a status given only as a cell's fill colour read by the plan's key (and what could not
be read named), our own master or a lead's copy refused - and the whole cycle from an .xlsx.

Every file is written with openpyxl (`tests.trackers`) or as text, in a council's scrutiny tracker
layout.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import time
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import Workbook, load_workbook
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont
from openpyxl.styles import PatternFill

from actionplan.cli import cli
from sync.copies import issue_copies
from tests.trackers import (
    FILL_ONLY,
    FILLS,
    HEADER,
    RAG_HEADER,
    ROW_FILLS,
    ROWS,
    TITLES,
    solid,
    write_tracker,
)
from workbook.errors import PlanImportError
from workbook.importers.source import import_plan
from workbook.importers.tracker import (
    UNREADABLE,
    TrackerCell,
    fill_status,
    text_paragraphs,
    theme_colours,
    tinted,
    tracker_document,
)
from workbook.master.read import read_master
from workbook.master.write import write_master
from workbook.plan.model import Plan, Run
from workbook.plan.status import DEFAULT_KEY, parse_key

ISSUED = dt.datetime(2025, 10, 6, 9, 0)


def without_theme(path: Path) -> Path:
    """The workbook with its theme part taken out, as some tools write them."""
    data = io.BytesIO()
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(data, "w") as out:
        for info in src.infolist():
            if info.filename.startswith("xl/theme/"):
                continue
            out.writestr(info, src.read(info.filename))
    path.write_bytes(data.getvalue())
    return path


def csv_text(delimiter: str, rows: Sequence[Sequence[object]] = ROWS) -> str:
    """The same tracker as a .csv export: dates as the cells showed them, quoted line breaks."""

    def field(value: object) -> str:
        text = value.strftime("%d/%m/%y") if isinstance(value, dt.date) else str(value or "")
        if any(ch in text for ch in (delimiter, '"', "\n")):
            text = '"' + text.replace('"', '""') + '"'
        return text

    lines = [*TITLES, "", delimiter.join(HEADER)]
    lines += [delimiter.join(field(v) for v in row) for row in rows]
    return "\r\n".join(lines) + "\r\n"


def summary(plan: Plan) -> list[tuple[object, ...]]:
    return [
        (it.ref, it.section, it.finding_text, it.lead, it.status, it.extra, it.updates_text)
        for it in plan.items
    ]


# --- the header found, and every word kept ----------------------------------------------------


def test_an_xlsx_tracker_is_read_by_its_titles_under_its_title_rows(tmp_path: Path) -> None:
    plan = import_plan(write_tracker(tmp_path / "tracker.xlsx"))
    assert plan.title == "Overview and Scrutiny Committee"
    assert [it.ref for it in plan.items] == ["SR (25/26) 01", "SR (25/26) 02", "SR (25/26) 03"]
    roles = dict(plan.column_titles)
    assert roles == {
        "ref": "Reference",
        "finding": "Recommendation",
        "lead": "Lead Officer/EM",
        "update": "Action taken",
        "status": "Status",
    }
    assert plan.extra_titles == ("Origin", "Date", "Area", "Exec Date")
    first = plan.items[0]
    assert first.finding_text == "The council should publish average void times each month."
    # dates as the cells show them (dd/mm/yy), not as ISO dates or serial numbers
    assert dict(first.extra) == {0: "Task group", 1: "12/05/25", 2: "Housing", 3: "30/09/25"}
    assert [it.status for it in plan.items] == ["Complete", "Ongoing", "Paused"]
    # a line break in a cell is a paragraph: both updates kept, in order
    assert first.updates_text.startswith("Void times published from June.")
    assert "First quarterly report in September." in first.updates_text
    assert {lead.code for lead in plan.leads} == {"DM", "PL", "KL", "LT"}
    assert not plan.notes


def shared_strings(path: Path) -> Path:
    """The workbook with its inline strings moved to a shared-strings part, as Excel saves text
    (openpyxl writes each cell's text inline)."""
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    ctype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"
    items: list[str] = []

    def shared(m: re.Match[str]) -> str:
        items.append(m[2])
        return f'<c{m[1]} t="s"><v>{len(items) - 1}</v></c>'

    data = io.BytesIO()
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(data, "w") as out:
        parts = {i.filename: src.read(i.filename) for i in src.infolist()}
        sheet = parts["xl/worksheets/sheet1.xml"].decode()
        sheet = re.sub(r'<c([^>]*?) t="inlineStr"><is>(.*?)</is></c>', shared, sheet)
        parts["xl/worksheets/sheet1.xml"] = sheet.encode()
        sst = "".join(f"<si>{item}</si>" for item in items)
        parts["xl/sharedStrings.xml"] = f'<sst xmlns="{main}">{sst}</sst>'.encode()
        override = f'<Override PartName="/xl/sharedStrings.xml" ContentType="{ctype}"/>'
        parts["[Content_Types].xml"] = (
            parts["[Content_Types].xml"].decode().replace("</Types>", override + "</Types>")
        ).encode()
        relationship = f'<Relationship Type="{rel}" Target="sharedStrings.xml" Id="rIdSST"/>'
        parts["xl/_rels/workbook.xml.rels"] = (
            parts["xl/_rels/workbook.xml.rels"]
            .decode()
            .replace("</Relationships>", relationship + "</Relationships>")
        ).encode()
        for name, body in parts.items():
            out.writestr(name, body)
    path.write_bytes(data.getvalue())
    return path


def test_italic_words_in_a_cell_stay_italic(tmp_path: Path) -> None:
    """A finding typed with an italic phrase (rich text, as Excel saves it) keeps its italics."""
    path = write_tracker(tmp_path / "tracker.xlsx")
    wb = load_workbook(path)
    ws = wb.active
    assert ws is not None
    ws["E5"] = CellRichText(
        "Publish void times under the ", TextBlock(InlineFont(i=True), "Housing Act"), " monthly."
    )
    wb.save(path)
    plan = import_plan(shared_strings(path))
    assert plan.items[0].finding == (
        Run("Publish void times under the "),
        Run("Housing Act", True),
        Run(" monthly."),
    )
    assert summary(plan)[1:] == summary(import_plan(write_tracker(tmp_path / "plain.xlsx")))[1:]


@pytest.mark.parametrize(
    ("delimiter", "encoding"),
    [(",", "utf-8"), (";", "utf-8-sig"), (";", "cp1252"), ("\t", "utf-8")],
)
def test_the_same_tracker_as_a_csv_imports_to_the_same_plan(
    tmp_path: Path, delimiter: str, encoding: str
) -> None:
    xlsx = import_plan(write_tracker(tmp_path / "tracker.xlsx"))
    path = tmp_path / "tracker.csv"
    path.write_bytes(csv_text(delimiter).encode(encoding))
    plan = import_plan(path)
    assert summary(plan) == summary(xlsx)
    assert plan.column_titles == xlsx.column_titles and plan.extra_titles == xlsx.extra_titles
    assert plan.title == xlsx.title


def test_a_csv_in_windows_1252_keeps_its_pound_signs_and_accents(tmp_path: Path) -> None:
    rows = [["Café review (£2,000)" if v == "Task group" else v for v in row] for row in ROWS]
    text = csv_text(",", rows)
    path = tmp_path / "tracker.csv"
    path.write_bytes(text.encode("cp1252"))
    plan = import_plan(path)
    assert dict(plan.items[0].extra)[0] == "Café review (£2,000)"


def test_excels_sep_line_settles_the_delimiter(tmp_path: Path) -> None:
    path = tmp_path / "tracker.csv"
    path.write_text("sep=;\n" + csv_text(";"), encoding="utf-8")
    assert len(import_plan(path).items) == 3


def test_the_sheets_recorded_size_is_not_trusted(tmp_path: Path) -> None:
    """A writer that records every sheet's size as "A1", and a stray formatted cell at the far
    corner of the sheet: the rows are read as the sheet holds them, quickly."""
    path = write_tracker(tmp_path / "tracker.xlsx")
    wb = load_workbook(path)
    ws = wb.active
    assert ws is not None
    ws.cell(1_048_576, 16_384).fill = solid("FF0000")
    wb.save(path)
    data = io.BytesIO()
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(data, "w") as out:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename.startswith("xl/worksheets/"):
                body = re.sub(rb'<dimension ref="[^"]*"/>', b'<dimension ref="A1"/>', body)
            out.writestr(info, body)
    path.write_bytes(data.getvalue())
    started = time.monotonic()
    plan = import_plan(path)
    assert time.monotonic() - started < 30  # padded to its recorded size it took minutes
    assert [it.ref for it in plan.items] == ["SR (25/26) 01", "SR (25/26) 02", "SR (25/26) 03"]


# --- the plan's sheet -------------------------------------------------------------------------


def test_the_plan_on_a_second_sheet_is_found_or_named(tmp_path: Path) -> None:
    path = write_tracker(
        tmp_path / "council.xlsx", sheets_before=["Cover"], sheet_title="Recommendations"
    )
    found = import_plan(path)
    assert found.items[0].ref == "SR (25/26) 01"
    assert found.source == "council.xlsx, sheet 'Recommendations'"
    assert found.notes == (
        "read the sheet 'Recommendations' (the first with a plan header); not read: 'Cover'",
    )
    named = import_plan(path, sheet="recommendations ")  # as Excel matches names
    assert summary(named) == summary(found)
    with pytest.raises(PlanImportError) as err:
        import_plan(path, sheet="Cover")
    assert "the sheet 'Cover' has no plan header" in str(err.value)
    assert "its sheets are: 'Cover', 'Recommendations'" in str(err.value)
    with pytest.raises(PlanImportError) as err:
        import_plan(path, sheet="Actions")
    assert str(err.value) == "council.xlsx has no sheet 'Actions'; its sheets are: 'Cover', " + (
        "'Recommendations'"
    )


def test_a_workbook_with_no_plan_header_is_refused_in_one_line_naming_its_sheets(
    tmp_path: Path,
) -> None:
    path = write_tracker(
        tmp_path / "budget.xlsx",
        header=["Cost centre", "Budget", "Spent", "Variance"],
        sheets_before=["Summary"],
        sheet_title="Detail",
    )
    with pytest.raises(PlanImportError) as err:
        import_plan(path)
    message = str(err.value)
    assert "budget.xlsx does not look like an action plan" in message
    assert "its sheets are: 'Summary', 'Detail'" in message and "--sheet" in message
    assert "\n" not in message


def test_a_csv_with_no_plan_header_is_refused_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "budget.csv"
    path.write_text("Cost centre,Budget,Spent\nHousing,100,90\n", encoding="utf-8")
    with pytest.raises(PlanImportError) as err:
        import_plan(path)
    assert "budget.csv does not look like an action plan" in str(err.value)
    assert "\n" not in str(err.value)
    with pytest.raises(PlanImportError, match="has no sheets; leave out --sheet"):
        import_plan(path, sheet="Tracker")


# --- ours already ------------------------------------------------------------------------------


def test_our_own_master_is_refused_in_one_line(tmp_path: Path) -> None:
    plan = import_plan(write_tracker(tmp_path / "tracker.xlsx"))
    master = tmp_path / "master.xlsx"
    write_master(plan, master)
    with pytest.raises(PlanImportError) as err:
        import_plan(master)
    assert str(err.value).startswith("master.xlsx is already an actionplan master")
    assert "\n" not in str(err.value)


def test_a_leads_copy_is_refused_in_one_line(tmp_path: Path) -> None:
    plan = import_plan(write_tracker(tmp_path / "tracker.xlsx"))
    master = tmp_path / "master.xlsx"
    write_master(plan, master)
    copy = issue_copies(master, tmp_path / "copies", when=ISSUED).copies[0].path
    with pytest.raises(PlanImportError) as err:
        import_plan(copy)
    assert "is a lead's copy issued by actionplan" in str(err.value)
    assert "actionplan merge" in str(err.value)


def test_other_spreadsheets_and_misnamed_files_are_told_what_to_save(tmp_path: Path) -> None:
    old = tmp_path / "tracker.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 64)
    with pytest.raises(PlanImportError, match=r"old Excel \.xls workbook; open it and save it"):
        import_plan(old)
    renamed = tmp_path / "tracker.xlsx"
    renamed.write_text("Reference,Recommendation\n", encoding="utf-8")
    with pytest.raises(PlanImportError, match="is not an Excel workbook"):
        import_plan(renamed)
    # an .xlsx by another name is still read as a workbook, not as a Word file
    other = tmp_path / "tracker.dat"
    other.write_bytes(write_tracker(tmp_path / "t.xlsx").read_bytes())
    assert len(import_plan(other).items) == 3
    text = tmp_path / "plan.txt"
    text.write_text("x", encoding="utf-8")
    with pytest.raises(PlanImportError, match="--sheet is for a plan kept in an Excel workbook"):
        import_plan(text, sheet="Tracker")


# --- a status given only as a colour -------------------------------------------------------------


def test_statuses_given_only_as_fill_colours_are_read_by_the_key(tmp_path: Path) -> None:
    path = write_tracker(
        tmp_path / "rag.xlsx", FILL_ONLY, header=RAG_HEADER, fills=FILLS, row_fills=ROW_FILLS
    )
    plan = import_plan(path)
    assert dict(plan.column_titles)["status"] == "RAG"
    assert [(it.ref, it.status) for it in plan.items] == [
        ("SR (25/26) 01", "RED"),
        ("SR (25/26) 02", "AMBER"),
        ("SR (25/26) 03", "GREEN"),
        ("SR (25/26) 04", "BLUE"),
        ("SR (25/26) 05", ""),
        ("SR (25/26) 06", "GREEN"),
        ("SR (25/26) 07", ""),
    ]
    assert plan.sections == ("", "Housing")
    assert plan.item("SR (25/26) 07").section == "Housing"
    assert plan.notes == (
        "4 statuses read from the fill colour of the 'RAG' column (the cell had no words): "
        "1 GREEN, 1 AMBER, 1 RED, 1 BLUE; check them in the master",
        "row 9: the 'RAG' column is filled #7030A0, not a colour of the RAG key (GREEN, AMBER, "
        "RED or BLUE); left blank - type the status in the master",
        "row 11: the whole row is filled like BLUE, not the 'RAG' column alone; not read as a "
        "status - type it in the master if that is what it meant",
    )


def test_a_theme_colour_the_workbook_does_not_define_is_noted_not_guessed(tmp_path: Path) -> None:
    path = without_theme(
        write_tracker(tmp_path / "rag.xlsx", FILL_ONLY[:4], header=RAG_HEADER, fills=FILLS)
    )
    plan = import_plan(path)
    assert [it.status for it in plan.items] == ["RED", "AMBER", "", ""]
    assert plan.notes[-1] == (
        "rows 7, 8: the 'RAG' column is filled with a theme colour the workbook does not "
        "define; left blank - type the status in the master"
    )


def test_a_documents_own_key_decides_what_a_colour_means(tmp_path: Path) -> None:
    """A three-colour key above the table: a blue cell is in no entry of it."""
    path = write_tracker(
        tmp_path / "rag.xlsx",
        FILL_ONLY[:4],
        header=RAG_HEADER,
        titles=[*TITLES, "Green: achieved; Amber: acceptable progress; Red: unacceptable"],
        fills={0: solid("FF0000"), 1: solid("92D050"), 2: solid("0070C0")},
    )
    plan = import_plan(path)
    assert plan.rag_key.codes == ("GREEN", "AMBER", "RED")
    assert [it.status for it in plan.items][:3] == ["RED", "GREEN", ""]
    assert any(
        "#0070C0, not a colour of the RAG key (GREEN, AMBER or RED)" in n for n in plan.notes
    )


@pytest.mark.parametrize(
    ("colour", "code"),
    [
        ("FF0000", "RED"),
        ("C00000", "RED"),
        ("FFC7CE", "RED"),  # Excel's "Bad" style
        ("FFC000", "AMBER"),
        ("FFFF00", "AMBER"),
        ("FFEB9C", "AMBER"),  # "Neutral"
        ("ED7D31", "AMBER"),  # Orange, Accent 2
        ("00B050", "GREEN"),
        ("92D050", "GREEN"),  # Light Green: nearer amber than green by plain RGB distance
        ("C6EFCE", "GREEN"),  # "Good"
        ("0070C0", "BLUE"),
        ("00B0F0", "BLUE"),
        ("5B9BD5", "BLUE"),
    ],
)
def test_the_shades_people_use_read_as_their_status(colour: str, code: str) -> None:
    assert fill_status(colour, DEFAULT_KEY).code == code


@pytest.mark.parametrize("colour", ["FFFFFF", "F2F2F2", "D9D9D9", "7030A0", "FF00FF", "000000"])
def test_greys_white_and_colours_of_no_status_are_not_read(colour: str) -> None:
    reading = fill_status(colour, DEFAULT_KEY)
    assert reading.code == "" and reading.near == ()


def test_a_colour_between_two_statuses_is_not_guessed() -> None:
    reading = fill_status("FFFFCC", DEFAULT_KEY)  # pale yellow: amber or green?
    assert reading.code == "" and set(reading.near) == {"GREEN", "AMBER"}


def test_a_grey_is_read_when_the_key_has_grey() -> None:
    key = parse_key(["Green: complete", "Amber: on track", "Grey: not started"])
    assert key is not None
    assert fill_status("A6A6A6", key).code == "GREY"
    assert fill_status("A6A6A6", DEFAULT_KEY).code == ""


def test_theme_colours_and_tints_as_excel_draws_them() -> None:
    xml = (
        '<a:theme xmlns:a="x"><a:themeElements><a:clrScheme name="Office">'
        '<a:dk1><a:sysClr val="windowText" lastClr="000000"/></a:dk1>'
        '<a:lt1><a:sysClr val="window" lastClr="FFFFFF"/></a:lt1>'
        '<a:dk2><a:srgbClr val="44546A"/></a:dk2><a:lt2><a:srgbClr val="E7E6E6"/></a:lt2>'
        '<a:accent1><a:srgbClr val="4472C4"/></a:accent1>'
        '<a:accent2><a:srgbClr val="ED7D31"/></a:accent2>'
        "</a:clrScheme></a:themeElements></a:theme>"
    )
    colours = theme_colours(xml)
    # Excel numbers Background 1 (lt1) 0 and Text 1 (dk1) 1
    assert colours[:6] == ("FFFFFF", "000000", "E7E6E6", "44546A", "4472C4", "ED7D31")
    assert colours[6] == ""
    assert theme_colours(None) == ()
    assert tinted("4472C4", 0.0) == "4472C4"
    assert tinted("4472C4", 0.7999816888943144) == "DAE3F3"  # "Blue, Accent 1, Lighter 80%"
    assert tinted("4472C4", -0.249977111117893) == "2F5597"  # "... Darker 25%"


def test_the_document_reading_is_pure_and_notes_row_numbers() -> None:
    """`tracker_document` on rows as a reader gives them: a colour on a row of words is read, on
    an empty row it is not (formatting carried down an unused part of the sheet)."""

    def row(n: int, *texts: str, fill: str | None = None) -> tuple[int, tuple[TrackerCell, ...]]:
        cells = [TrackerCell(text_paragraphs(t)) for t in texts]
        cells += [TrackerCell()] * (4 - len(cells))
        cells[3] = TrackerCell(cells[3].paragraphs, fill)
        return n, tuple(cells)

    rows = [
        row(1, "Plan"),
        row(2, "Ref", "Finding", "Lead", "Status"),
        row(3, "1", "Do the thing.", "AB", fill="00B050"),
        row(4, "2", "Do the other thing.", "AB", fill=UNREADABLE),
        row(5, fill="FF0000"),
        row(6, "Note: reviewed monthly"),
    ]
    doc, notes = tracker_document(rows, 1, "t.xlsx")
    assert doc.title_lines == ("Plan",) and doc.header == ("Ref", "Finding", "Lead", "Status")
    # the empty coloured row is left out; the one-cell row below the table is text below it
    assert [(type(r).__name__, r.line) for r in doc.rows] == [
        ("RawRow", 3),
        ("RawRow", 4),
        ("RawText", 6),
    ]
    assert doc.rows[0].cells[3] == ((Run("GREEN"),),)  # type: ignore[union-attr]
    assert notes[0].startswith("1 status read from the fill colour of the 'Status' column")
    assert notes[1].startswith("row 4: the 'Status' column is filled with a theme colour")


# --- the command line, and the whole cycle ---------------------------------------------------


def test_import_then_issue_from_an_xlsx_tracker(
    tmp_path: Path, fixed_clock: Callable[[dt.datetime], dt.datetime]
) -> None:
    fixed_clock(ISSUED)
    source = write_tracker(
        tmp_path / "tracker.xlsx", FILL_ONLY, header=RAG_HEADER, fills=FILLS, row_fills=ROW_FILLS
    )
    runner = CliRunner()
    master = tmp_path / "master.xlsx"
    result = runner.invoke(cli, ["import", str(source), "-o", str(master)])
    assert result.exit_code == 0, result.output
    assert "Imported 7 items in 2 sections, 4 leads, from tracker.xlsx" in result.output
    assert "note: 4 statuses read from the fill colour of the 'RAG' column" in result.output
    plan = read_master(master)
    assert plan.item("SR (25/26) 01").status == "RED"
    assert dict(plan.item("SR (25/26) 01").extra)[3] == "30/09/25"
    issued = runner.invoke(cli, ["issue", str(master), "--out", str(tmp_path / "copies")])
    assert issued.exit_code == 0, issued.output
    copies = sorted(p.name for p in (tmp_path / "copies").iterdir())
    assert len(copies) == 4 and all(name.endswith(".xlsx") for name in copies)
    # the master given back to import is refused, in one line, exit 2
    again = runner.invoke(cli, ["import", str(master), "-o", str(tmp_path / "again.xlsx")])
    assert again.exit_code == 2
    assert "is already an actionplan master" in again.output
    assert len(again.output.strip().splitlines()) == 1


def test_import_sheet_option_picks_the_plans_sheet(tmp_path: Path) -> None:
    path = write_tracker(
        tmp_path / "council.xlsx", sheets_before=["Cover"], sheet_title="Recommendations"
    )
    runner = CliRunner()
    shown = runner.invoke(cli, ["import", str(path), "--sheet", "Recommendations", "--preview"])
    assert shown.exit_code == 0, shown.output
    assert "'Recommendation' -> finding" in shown.output
    bad = runner.invoke(cli, ["import", str(path), "--sheet", "Nope", "--preview"])
    assert bad.exit_code == 2
    assert "council.xlsx has no sheet 'Nope'; its sheets are: 'Cover', 'Recommendations'" in (
        bad.output
    )


# --- a key shown only as colours ----------------------------------------------------------------

KEY_HEADER = ["Reference", "Recommendation", "Lead Officer", "Status"]
KEY_ROWS = [
    ["SR 01", "Publish void times monthly.", "DM", "Complete"],
    ["SR 02", "Review the grounds contract.", "PL", "On track"],
    ["SR 03", "Report savings quarterly.", "KL", "Off track"],
]


def _key_tracker(path: Path, key_rows: Sequence[Sequence[tuple[str | None, str | None]]]) -> Path:
    """A tracker whose key above the table is rows of (text, fill) cells."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["Scrutiny recommendations tracker"])
    for r, cells in enumerate(key_rows, 2):
        for c, (text, fill) in enumerate(cells, 1):
            ws.cell(r, c).value = text
            if fill:
                ws.cell(r, c).fill = solid(fill)
    ws.append([])
    ws.append(KEY_HEADER)
    for row in KEY_ROWS:
        ws.append(row)
    wb.save(path)
    return path


def test_a_key_of_coloured_cells_with_words_beside_or_in_them_is_read(tmp_path: Path) -> None:
    path = _key_tracker(
        tmp_path / "key.xlsx",
        [
            [(None, "FF0000"), ("Off track", None)],  # a swatch, its words beside it
            [("On track", "FFC000")],  # the words in the swatch
            [("Green", "00B050"), ("Complete", None)],  # the swatch names its colour
        ],
    )
    plan = import_plan(path)
    assert plan.rag_key.codes == ("RED", "AMBER", "GREEN")
    assert [plan.rag_key.normalise(it.status) for it in plan.items] == ["GREEN", "AMBER", "RED"]
    assert plan.title == "Scrutiny recommendations tracker" and not plan.organisation


def test_a_key_of_coloured_cells_with_no_words_is_noted(tmp_path: Path) -> None:
    path = _key_tracker(
        tmp_path / "key.xlsx", [[(None, "FF0000"), (None, "FFC000"), (None, "00B050")]]
    )
    plan = import_plan(path)
    assert plan.rag_key == DEFAULT_KEY
    (note,) = [n for n in plan.notes if "coloured cells" in n]
    assert "Red, Amber, Green with no words beside them" in note


def test_a_filled_title_banner_is_not_a_key(tmp_path: Path) -> None:
    path = _key_tracker(tmp_path / "key.xlsx", [[("Overview and Scrutiny", "0070C0")]])
    plan = import_plan(path)
    assert plan.rag_key == DEFAULT_KEY and plan.organisation == "Overview and Scrutiny"


def test_statuses_coloured_by_conditional_formatting_give_the_key(tmp_path: Path) -> None:
    """The status words are coloured only by conditional formatting rules keyed on the text:
    they are read as the key; a rule keyed on a formula cannot be, and a note says so."""
    from openpyxl.formatting.rule import CellIsRule, FormulaRule, Rule
    from openpyxl.styles.differential import DifferentialStyle

    path = _key_tracker(tmp_path / "cf.xlsx", [])
    wb = load_workbook(path)
    ws = wb.active
    assert ws is not None
    green = PatternFill(bgColor="00B050")
    ws.conditional_formatting.add(
        "D4:D20", CellIsRule(operator="equal", formula=['"Complete"'], fill=green)
    )
    amber = DifferentialStyle(fill=PatternFill(bgColor="FFC000"))
    ws.conditional_formatting.add(
        "D4:D20", Rule(type="containsText", operator="containsText", text="On track", dxf=amber)
    )
    ws.conditional_formatting.add(
        "D4:D20",
        FormulaRule(formula=['ISNUMBER(SEARCH("off",D4))'], fill=PatternFill(bgColor="FF0000")),
    )
    ws.conditional_formatting.add(
        "B4:B20", CellIsRule(operator="equal", formula=['"x"'], fill=green)
    )
    wb.save(path)
    plan = import_plan(path)
    assert plan.rag_key.codes == ("GREEN", "AMBER")
    assert [plan.rag_key.normalise(it.status) for it in plan.items] == ["GREEN", "AMBER", None]
    assert plan.items[2].status == "Off track"  # kept as written
    assert any(
        "coloured by conditional formatting" in n and "Green: Complete" in n for n in plan.notes
    )
    assert any("1 conditional formatting rule that could not be read" in n for n in plan.notes)
