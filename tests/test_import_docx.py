"""A plan kept as a Word .docx imports to the same plan as the text export of that document."""

from __future__ import annotations

import dataclasses
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from docx import Document
from docx.document import Document as WordDocument
from docx.table import Table, _Cell
from docx_builder import (
    add_section_row,
    number_paragraph,
    plan_table,
    restart_list,
    write_paragraphs,
    write_plan_docx,
)
from hypothesis import assume, given
from strategies import plans

from workbook.errors import PlanImportError
from workbook.importers.document import RawRow
from workbook.importers.docx import import_docx_file, read_docx_document
from workbook.plan.actions import split_numbered
from workbook.plan.model import Plan, Run, format_actions


def _same_plan(plan: Plan) -> Plan:
    # The file name differs, and the text export's stray page heading (noted on import) has no
    # counterpart in the Word document; the column titles and order found are the importer's
    # record, and a generated plan has none.
    return dataclasses.replace(plan, source="", notes=(), column_titles=(), column_order=())


@pytest.fixture(scope="module")
def seed_docx(tmp_path_factory: pytest.TempPathFactory, seed: Plan) -> Path:
    path = tmp_path_factory.mktemp("docx") / "ofsted_action_plan_2023-03.docx"
    write_plan_docx(seed, path)
    return path


def _rows(path: Path) -> list[RawRow]:
    """The table rows read from a .docx (these documents have no text between rows)."""
    rows = read_docx_document(path).rows
    assert all(isinstance(r, RawRow) for r in rows)
    return [r for r in rows if isinstance(r, RawRow)]


def test_seed_docx_imports_as_the_text_export(seed_docx: Path, seed: Plan) -> None:
    plan = import_docx_file(seed_docx)
    assert _same_plan(plan) == _same_plan(seed)
    assert plan.source == "ofsted_action_plan_2023-03.docx"
    assert plan.notes == ()
    assert len(plan.items) == 27
    assert len(plan.sections) == 5


def test_title_lines_take_the_rag_key_table_row_by_row(seed_docx: Path) -> None:
    raw = read_docx_document(seed_docx)
    assert raw.title_lines == (
        "OFSTED ACTION PLAN",
        "March 2023",
        "BIRMINGHAM CHILDREN'S TRUST",
        "RAG status Key:",
        "GREEN On Target for delivery",
        "AMBER Delays / Issues but delivery on course",
        "RED Major Issues preventing delivery",
        "BLUE Complete",
    )


def test_section_row_merged_across_the_table_counts_once(seed_docx: Path) -> None:
    section_row = _rows(seed_docx)[0]
    # Line numbers are rows of the Word table, the header being row 1.
    assert section_row.line == 2
    assert section_row.cells == (((Run("What needs to improve"),),), (), (), (), (), ())


def test_word_list_numbers_are_written_into_the_text_and_restart_per_item(
    seed_docx: Path,
) -> None:
    rows = _rows(seed_docx)
    first_item, second_item = rows[1].cells[1], rows[2].cells[1]
    assert [p[0].text[:3] for p in first_item] == [f"{n}. " for n in range(1, 9)]
    assert first_item[1][0].text.startswith("2. Pursue funding streams")
    assert second_item[0][0].text.startswith("1. Develop a pathway")


def test_finding_keeps_its_italic_narrative(seed_docx: Path) -> None:
    finding = _rows(seed_docx)[1].cells[0]
    assert finding[0] == (Run("The effectiveness of the response to domestic abuse."),)
    assert [r.italic for r in finding[1]] == [True]


def test_lead_text_that_looks_numbered_stays_plain(seed_docx: Path, seed: Plan) -> None:
    plan = import_docx_file(seed_docx)
    assert plan.item("EHP-06").lead == "1. DM 2. DM/AxB" == seed.item("EHP-06").lead


# --- Small documents built row by row ---------------------------------------------------------


def _document() -> tuple[WordDocument, Table]:
    document = Document()
    document.add_paragraph("OFSTED ACTION PLAN")
    table = plan_table(document)
    add_section_row(table, "What needs to improve")
    return document, table


def _item_row(
    table: Table,
    finding: str = "",
    lead: str = "",
    timescale: str = "",
    status: str = "",
) -> list[_Cell]:
    cells = table.add_row().cells
    for cell, text in zip(cells, (finding, "", lead, timescale, "", status), strict=True):
        if text:
            write_paragraphs(cell, [[Run(text)]])
    return list(cells)


def _save(document: WordDocument, tmp_path: Path, name: str = "plan.docx") -> Path:
    path = tmp_path / name
    document.save(str(path))
    return path


def test_item_split_over_two_rows_is_rejoined(tmp_path: Path) -> None:
    document, table = _document()
    actions = restart_list(document)
    first = _item_row(table, "Finding A.", lead="GT", timescale="Mar-24")
    write_paragraphs(first[1], [[Run("First action")]], actions)
    # A page break cut the item: the row below has an empty first cell and the next action of
    # the same Word list, which Word numbers 2.
    rest = _item_row(table)
    write_paragraphs(rest[1], [[Run("Second action")]], actions)
    after = _item_row(table, "Finding B.", lead="LH")
    write_paragraphs(after[1], [[Run("Other action")]], restart_list(document))
    path = _save(document, tmp_path)

    assert _rows(path)[2].cells[1] == ((Run("2. Second action"),),)
    plan = import_docx_file(path)
    assert [(it.finding_text, it.actions, it.lead, it.timescale) for it in plan.items] == [
        ("Finding A.", ("First action", "Second action"), "GT", "Mar-24"),
        ("Finding B.", ("Other action",), "LH", ""),
    ]


def test_list_that_word_numbers_on_from_the_item_above_keeps_words_numbers(
    tmp_path: Path,
) -> None:
    # Paragraphs given the "List Number" style and no restart form one list in Word, which shows
    # 3. and 4. in the second item; the import sees what Word shows, not a silent renumbering.
    document, table = _document()
    for finding, actions in (("Finding A.", ("A1", "A2")), ("Finding B.", ("B1", "B2"))):
        cell = _item_row(table, finding, lead="GT")[1]
        write_paragraphs(cell, [[Run(a)] for a in actions])
        for paragraph in cell.paragraphs:
            paragraph.style = "List Number"
    plan = import_docx_file(_save(document, tmp_path))
    assert [it.actions for it in plan.items] == [("A1", "A2"), ("3. B1", "4. B2")]


def test_bulleted_actions_get_no_numbers(tmp_path: Path) -> None:
    document, table = _document()
    cell = _item_row(table, "Finding A.", lead="GT")[1]
    write_paragraphs(cell, [[Run("Audit")], [Run("Report")]])
    for paragraph in cell.paragraphs:
        paragraph.style = "List Bullet"
    path = _save(document, tmp_path)
    assert _rows(path)[1].cells[1] == ((Run("Audit"),), (Run("Report"),))
    assert import_docx_file(path).items[0].actions == ("Audit", "Report")


def test_numbering_removed_from_a_list_styled_paragraph_is_not_numbered(tmp_path: Path) -> None:
    document, table = _document()
    cell = _item_row(table, "Finding A.", lead="GT")[1]
    write_paragraphs(cell, [[Run("Lead-in")], [Run("Only action")]], restart_list(document))
    number_paragraph(cell.paragraphs[0], 0)  # numId 0: Word's "None" on a list paragraph
    path = _save(document, tmp_path)
    assert _rows(path)[1].cells[1] == (
        (Run("Lead-in"),),
        (Run("1. Only action"),),
    )


def test_vertically_merged_lead_belongs_to_the_first_row(tmp_path: Path) -> None:
    document, table = _document()
    first = _item_row(table, "Finding A.", timescale="Jun-23")
    second = _item_row(table, "Finding B.", timescale="Jul-23")
    for row, action in ((first, "Action A"), (second, "Action B")):
        write_paragraphs(row[1], [[Run(action)]], restart_list(document))
    merged = first[2].merge(second[2])
    write_paragraphs(merged, [[Run("GT / LH")]])
    path = _save(document, tmp_path)

    rows = _rows(path)
    assert rows[1].cells[2] == ((Run("GT / LH"),),)
    # python-docx's row.cells would hand this row the text above; the reader leaves it empty.
    assert rows[2].cells[2] == ()
    plan = import_docx_file(path)
    # The second row has a finding of its own, so it is an item of its own, with no lead.
    assert [(it.finding_text, it.lead, it.timescale) for it in plan.items] == [
        ("Finding A.", "GT / LH", "Jun-23"),
        ("Finding B.", "", "Jul-23"),
    ]
    assert plan.lead_codes == ("GT", "LH")


def test_italic_from_a_character_style_or_paragraph_style(tmp_path: Path) -> None:
    document, table = _document()
    cell = _item_row(table, lead="GT")[0]
    paragraph = cell.paragraphs[0]
    paragraph.add_run("Headline. ")
    paragraph.add_run("Narrative").style = "Emphasis"
    paragraph.add_run(" not italic").italic = False
    cell.add_paragraph("Quoted narrative", style="Quote")
    path = _save(document, tmp_path)
    assert _rows(path)[1].cells[0] == (
        (Run("Headline. "), Run("Narrative", italic=True), Run(" not italic")),
        (Run("Quoted narrative", italic=True),),
    )


def test_line_breaks_and_nested_tables_become_paragraphs(tmp_path: Path) -> None:
    document, table = _document()
    cells = _item_row(table, lead="GT")
    cells[0].paragraphs[0].add_run("Headline.")
    cells[0].paragraphs[0].add_run().add_break()
    cells[0].paragraphs[0].add_run("Narrative.")
    nested = cells[4].add_table(rows=1, cols=2)
    nested.cell(0, 0).text = "Update mid-May 23: met the police."
    nested.cell(0, 1).text = "Update April 23: drafted."
    path = _save(document, tmp_path)

    row = _rows(path)[1]
    assert row.cells[0] == ((Run("Headline."),), (Run("Narrative."),))
    item = import_docx_file(path).items[0]
    assert [u.display for u in item.updates] == [
        "Update mid-May 23: met the police.",
        "Update April 23: drafted.",
    ]


def test_plan_cut_into_two_tables_carries_on_and_text_between_is_noted(tmp_path: Path) -> None:
    # A plan table cut in two (a heading typed between, the header row repeated) is still one
    # plan; text outside the tables goes to the assembler, which notes it rather than drop it.
    document, table = _document()
    write_paragraphs(_item_row(table, "Finding A.", lead="GT")[1], [[Run("Action A")]])
    document.add_paragraph("Finding A.")
    second = plan_table(document)
    write_paragraphs(_item_row(second, "Finding B.", lead="LH")[1], [[Run("Action B")]])
    document.add_paragraph("Signed off by the Director")
    path = _save(document, tmp_path)

    rows = read_docx_document(path).rows
    assert [(type(r).__name__, r.line) for r in rows] == [
        ("RawRow", 2),
        ("RawRow", 3),
        ("RawText", 4),
        ("RawRow", 6),
        ("RawText", 7),
    ]
    plan = import_docx_file(path)
    assert [(it.finding_text, it.actions, it.lead) for it in plan.items] == [
        ("Finding A.", ("Action A",), "GT"),
        ("Finding B.", ("Action B",), "LH"),
    ]
    assert plan.notes == (
        "line 4: left out text outside the table that repeats the finding of WNI-01 "
        "(a page heading): 'Finding A.'",
        "line 7: text outside the table, not part of any item, kept here for you to place: "
        "'Signed off by the Director'",
    )


# --- Files that are not a plan --------------------------------------------------------------


def _text_renamed(path: Path) -> None:
    path.write_text("OFSTED ACTION PLAN\nFinding\tAction\tLead\tTime-scale\tUpdate\tStatus\n")


def _zero_bytes(path: Path) -> None:
    path.write_bytes(b"")


def _other_zip(path: Path) -> None:
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("xl/workbook.xml", "<workbook/>")


def _ole(path: Path) -> None:
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504)


def _empty_docx(path: Path) -> None:
    Document().save(str(path))


def _paragraph_no_table(path: Path) -> None:
    document = Document()
    document.add_paragraph("OFSTED ACTION PLAN")
    document.save(str(path))


def _table_not_a_plan(path: Path) -> None:
    document = Document()
    document.add_paragraph("Contacts")
    table = document.add_table(rows=2, cols=3)
    table.cell(0, 0).text, table.cell(1, 0).text = "Name", "GT"
    document.save(str(path))


def _header_only(path: Path) -> None:
    document = Document()
    plan_table(document)
    document.save(str(path))


NOT_DOCX = (
    "plan.docx is not a Word .docx file; save it from Word as .docx (Word Document) and try again"
)
NO_PLAN_TABLE = (
    "plan.docx has no table whose header names a finding and its actions, lead, time-scale, "
    "update or status; check this is the action plan document and that the plan table still has "
    "its header row"
)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (_text_renamed, NOT_DOCX),
        (_other_zip, NOT_DOCX),
        (
            _zero_bytes,
            "plan.docx is empty (0 bytes); save the plan from Word as .docx (Word Document) "
            "and try again",
        ),
        (
            _ole,
            "plan.docx is password-protected or an old .doc; open it in Word, remove the password "
            "(File > Info > Protect Document) and save it as .docx (Word Document), then try again",
        ),
        (
            _empty_docx,
            "plan.docx is an empty Word document; open the plan document itself and save it as "
            ".docx (Word Document), then try again",
        ),
        (_paragraph_no_table, NO_PLAN_TABLE),
        (_table_not_a_plan, NO_PLAN_TABLE),
        (
            _header_only,
            "plan.docx: the plan table has a header but no findings under it; check this is the "
            "whole plan document",
        ),
    ],
    ids=lambda v: v.__name__.strip("_") if callable(v) else None,
)
def test_bad_file_says_what_is_wrong_in_one_line(
    tmp_path: Path, make: Callable[[Path], None], message: str
) -> None:
    path = tmp_path / "plan.docx"
    make(path)
    with pytest.raises(PlanImportError) as err:
        import_docx_file(path)
    assert str(err.value) == message
    assert "\n" not in str(err.value)


def test_text_in_a_column_of_the_documents_own_is_kept(tmp_path: Path) -> None:
    """A seventh column (untitled here) is the document's own: its text is kept with the item,
    never dropped, and never read as one of the plan's columns."""
    document, table = _document()
    _item_row(table, "Finding A.", lead="GT")
    extra = table.add_column(table.columns[0].width)
    extra.cells[-1].text = "Evidence folder 3"
    plan = import_docx_file(_save(document, tmp_path))
    assert plan.extra_titles == ("",)
    (item,) = plan.items
    assert item.extra == ((0, "Evidence folder 3"),)
    assert item.lead == "GT" and "Evidence" not in item.finding_text


@given(plans())
def test_any_plan_written_as_docx_imports_back(plan: Plan) -> None:
    # "1. Review 2. 2. Review." is ambiguous once the actions are joined into one numbered text,
    # whatever the document's format; such plans belong to the assembler's own tests.
    for item in plan.items:
        assume(split_numbered(format_actions(item.actions).replace("\n", " ")) == item.actions)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "plan.docx"
        write_plan_docx(plan, path)
        assert _same_plan(import_docx_file(path)) == _same_plan(plan)


def test_an_import_note_keeps_the_line_breaks_of_the_text_it_quotes(tmp_path: Path) -> None:
    """Text outside the table written over two lines is quoted on Settings with a real line
    break (not a backslash-n), and the command line prints it over two indented lines."""
    from click.testing import CliRunner
    from python_calamine import CalamineWorkbook

    from actionplan.cli import cli

    document, table = _document()
    write_paragraphs(_item_row(table, "Finding A.", lead="GT")[1], [[Run("Action A")]])
    signed = document.add_paragraph("Signed off by the Director")
    signed.add_run().add_break()
    signed.add_run("on behalf of the Board")
    path = _save(document, tmp_path)
    (note,) = [n for n in import_docx_file(path).notes if "for you to place" in n]
    assert note.endswith("'Signed off by the Director\non behalf of the Board'")
    out = tmp_path / "master.xlsx"
    result = CliRunner().invoke(cli, ["import", str(path), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "  note: line" in result.output
    assert "\n        on behalf of the Board'" in result.output
    book = CalamineWorkbook.from_path(str(out))
    rows = book.get_sheet_by_name("Settings").to_python()
    notes = [row[1] for row in rows if row[0] == "Import note"]
    assert any("Director\non behalf" in str(n) for n in notes), notes
