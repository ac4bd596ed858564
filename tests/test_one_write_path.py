"""`actionplan rag` and `validate --write` change the master the way merge, issue and board do:
through `editing_master` and a change-only patch - so what an owner added in Excel (rules Excel
keeps in extLst, data bars, images, parts no tool here knows) survives, a backup is kept, a
second run replaces its own marks, and an open or changed master is refused, writing nothing."""

from __future__ import annotations

import datetime as dt
import io
import struct
import subprocess
import zipfile
import zlib
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from lxml import etree
from office import SOFFICE, needs_office
from openpyxl import load_workbook
from openpyxl.comments import Comment
from openpyxl.formatting.rule import DataBarRule, FormulaRule
from openpyxl.styles import PatternFill
from openpyxl.worksheet.datavalidation import DataValidation
from python_calamine import CalamineWorkbook

import validation.sheet as validation_sheet
import workbook.formatting.rag as rag
from actionplan.cli import cli
from validation.report import Report
from validation.run import validate_master
from validation.sheet import COMMENT_AUTHOR, SHEET_VALIDATION, write_validation
from workbook.errors import MasterError
from workbook.formatting.rag import DROPDOWN_ERROR_TITLE, rag_master
from workbook.master.editor import Editor
from workbook.master.sheets import SHEET_PLAN, SHEET_SETTINGS
from workbook.master.write import write_master
from workbook.plan.model import Plan

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PLAN_PART = "xl/worksheets/sheet1.xml"
pytestmark = pytest.mark.filterwarnings(
    "ignore:Conditional Formatting extension:UserWarning"  # openpyxl reading the owner's x14 rule
)
#: What the owner added in Excel, that openpyxl would drop or rewrite on a round trip.
X14_EXT = (
    b'<extLst><ext uri="{78C0D931-6437-407d-A8EE-F0AAD7539E65}" '
    b'xmlns:x14="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main">'
    b'<x14:conditionalFormattings><x14:conditionalFormatting xmlns:xm="http://schemas.microsoft.com'
    b'/office/excel/2006/main"><x14:cfRule type="dataBar" '
    b'id="{00000000-0001-0000-0000-000000000001}"><x14:dataBar minLength="0" maxLength="100">'
    b'<x14:cfvo type="autoMin"/><x14:cfvo type="autoMax"/></x14:dataBar>'
    b"</x14:cfRule><xm:sqref>B5:B8</xm:sqref></x14:conditionalFormatting>"
    b"</x14:conditionalFormattings></ext></extLst>"
)
DRAWING = (
    b'<xdr:wsDr xmlns:xdr="http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing" '
    b'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
    b'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    b"<xdr:oneCellAnchor><xdr:from><xdr:col>9</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>1"
    b'</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:from><xdr:ext cx="95250" cy="95250"/><xdr:pic>'
    b'<xdr:nvPicPr><xdr:cNvPr id="2" name="Council logo"/><xdr:cNvPicPr/></xdr:nvPicPr>'
    b'<xdr:blipFill><a:blip r:embed="rId1"/><a:stretch><a:fillRect/></a:stretch></xdr:blipFill>'
    b'<xdr:spPr><a:prstGeom prst="rect"><a:avLst/></a:prstGeom></xdr:spPr></xdr:pic>'
    b"<xdr:clientData/></xdr:oneCellAnchor></xdr:wsDr>"
)
CUSTOM = b"<owner>kept</owner>"


def _png() -> bytes:
    """A real one-pixel PNG (the owner's logo)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\x1f\x38\x64")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


PNG = _png()


def members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {info.filename: z.read(info) for info in z.infolist()}


def _rewrite(path: Path, parts: dict[str, bytes]) -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, body in parts.items():
            z.writestr(name, body)
    path.write_bytes(out.getvalue())


def header_row(path: Path) -> int:
    ws = load_workbook(path)[SHEET_PLAN]
    return next(r[0].row for r in ws.iter_rows() if r[0].value == "Ref")


@pytest.fixture
def master(seed: Plan, tmp_path: Path) -> Path:
    """A master the owner worked on in Excel: a rule, a data bar, a dropdown and a note of their
    own (through openpyxl), then what openpyxl cannot write (an x14 rule in extLst, a picture in
    a drawing, a custom XML part) at the zip level, as Excel saves them."""
    path = tmp_path / "master.xlsx"
    settings: dict[str, object] = {"As-of date": dt.date(2023, 8, 1)}
    write_master(seed, path, settings=settings)
    h = header_row(path)
    wb = load_workbook(path, rich_text=True)
    ws = wb[SHEET_PLAN]
    pink = PatternFill(fill_type="solid", start_color="FFCCFF", end_color="FFCCFF")
    ws.conditional_formatting.add(
        f"D{h + 1}:D40", FormulaRule(formula=[f'ISNUMBER(SEARCH("GT",D{h + 1}))'], fill=pink)
    )
    ws.conditional_formatting.add(
        "B5:B8", DataBarRule(start_type="min", end_type="max", color="638EC6")
    )
    leads = DataValidation(type="list", formula1='"GT,LH,JoR"', errorTitle="Lead")
    leads.add(f"D{h + 1}:D40")
    ws.add_data_validation(leads)
    ws["B2"].comment = Comment("Owner's note: check with the board", "Owner")
    ws[f"E{h + 7}"].comment = Comment("Owner's note on a time-scale", "Owner")  # E17: a finding
    wb.save(path)

    parts = members(path)
    sheet = parts[PLAN_PART]
    drawing = b'<drawing xmlns:r="' + REL_NS.encode() + b'" r:id="rIdLogo"/>'
    sheet = sheet.replace(b"<legacyDrawing ", drawing + b"<legacyDrawing ", 1)
    parts[PLAN_PART] = sheet.replace(b"</worksheet>", X14_EXT + b"</worksheet>")
    rels = "xl/worksheets/_rels/sheet1.xml.rels"
    parts[rels] = parts[rels].replace(
        b"</Relationships>",
        b'<Relationship Id="rIdLogo" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        b'relationships/drawing" Target="../drawings/drawing1.xml"/></Relationships>',
    )
    parts["xl/drawings/drawing1.xml"] = DRAWING
    parts["xl/drawings/_rels/drawing1.xml.rels"] = (
        b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        b'relationships/image" Target="../media/image1.png"/></Relationships>'
    )
    parts["xl/media/image1.png"] = PNG
    parts["customXml/item1.xml"] = CUSTOM
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
        b"</Types>",
        b'<Default Extension="png" ContentType="image/png"/><Override PartName="/xl/drawings/'
        b'drawing1.xml" ContentType="application/vnd.openxmlformats-officedocument.drawing+xml"/>'
        b"</Types>",
    )
    _rewrite(path, parts)
    return path


def _validate_write(path: Path) -> None:
    write_validation(path, validate_master(path, as_of=dt.date(2023, 8, 1)))


def _ext(part: bytes) -> bytes:
    root = etree.fromstring(part)
    (ext,) = root.iterfind(f"{{{MAIN}}}extLst")
    return etree.tostring(ext, method="c14n")


def _assert_owners_things_kept(before: dict[str, bytes], path: Path) -> None:
    after = members(path)
    for name in ("xl/drawings/drawing1.xml", "xl/media/image1.png", "customXml/item1.xml"):
        assert after[name] == before[name], name
    assert _ext(after[PLAN_PART]) == _ext(before[PLAN_PART])
    (drawing,) = etree.fromstring(after[PLAN_PART]).iterfind(f"{{{MAIN}}}drawing")
    assert drawing.get(f"{{{REL_NS}}}id") == "rIdLogo"
    assert b'Id="rIdLogo"' in after["xl/worksheets/_rels/sheet1.xml.rels"]
    ws = load_workbook(path)[SHEET_PLAN]
    rules = [(str(cf.sqref), rule) for cf in ws.conditional_formatting for rule in cf.rules]
    assert any(rule.type == "dataBar" and sqref == "B5:B8" for sqref, rule in rules)
    assert any(rule.formula and "SEARCH" in rule.formula[0] for _, rule in rules)
    titles = sorted(str(dv.errorTitle) for dv in ws.data_validations.dataValidation)
    assert titles == ["Lead", DROPDOWN_ERROR_TITLE]
    assert ws["B2"].comment.author == "Owner"
    assert ws["B2"].comment.text == "Owner's note: check with the board"


# --- What the owner added survives -------------------------------------------------------------


def test_rag_keeps_what_the_owner_added_and_writes_a_backup(master: Path) -> None:
    before = members(master)
    original = master.read_bytes()
    report = rag_master(master)
    assert report.backup is not None and report.backup.parent == master.parent / "backups"
    assert report.backup.read_bytes() == original
    assert (report.rules, report.owner_rules) == (9, 2)  # the formula rule and the data bar
    _assert_owners_things_kept(before, master)
    # only what the formatting changes was rewritten
    changed = {n for n in before if before[n] != members(master).get(n)}
    assert changed <= {PLAN_PART, "xl/workbook.xml", "xl/styles.xml"}


def test_rag_twice_replaces_its_rules_and_dropdown(master: Path) -> None:
    rag_master(master)
    second = rag_master(master)
    assert (second.replaced_rules, second.owner_rules) == (9, 2)
    ws = load_workbook(master)[SHEET_PLAN]
    rules = [rule for cf in ws.conditional_formatting for rule in cf.rules]
    assert len(rules) == 11
    assert sorted(r.priority for r in rules) == list(range(1, 12))
    ours = [r for r in rules if r.type == "expression" and "SEARCH" not in r.formula[0]]
    assert sorted(r.priority for r in ours) == list(range(1, 10))  # ours first
    assert len(ws.data_validations.dataValidation) == 2
    assert len(list(master.parent.joinpath("backups").iterdir())) == 2


def test_validate_write_keeps_what_the_owner_added_and_writes_a_backup(master: Path) -> None:
    before = members(master)
    original = master.read_bytes()
    _validate_write(master)
    (backup,) = (master.parent / "backups").iterdir()
    assert backup.read_bytes() == original
    _assert_owners_things_kept(before, master)
    wb = load_workbook(master)
    ws = wb[SHEET_VALIDATION]
    assert ws.freeze_panes == "A3"
    assert ws.auto_filter.ref == f"A2:E{ws.max_row}"
    assert ws["A2"].fill.fgColor.rgb.endswith("1F3864") and ws["A2"].font.bold
    assert ws["D3"].hyperlink.location == f"'{SHEET_PLAN}'!{ws['D3'].value}"
    assert ws.column_dimensions["E"].width == 110


def test_validate_write_twice_replaces_its_sheet_and_notes(master: Path) -> None:
    report = validate_master(master, as_of=dt.date(2023, 8, 1))
    _validate_write(master)
    first = members(master)
    _validate_write(master)
    wb = load_workbook(master)
    assert wb.sheetnames.count(SHEET_VALIDATION) == 1
    plan = wb[SHEET_PLAN]
    ours = {
        c.coordinate
        for row in plan.iter_rows()
        for c in row
        if c.comment is not None and c.comment.author == COMMENT_AUTHOR
    }
    h = header_row(master)
    cells = {f.cell for f in report.findings if "!" not in f.cell}
    # E17 carries the owner's own note, which is kept; ours goes on every other offending cell
    assert ours == cells - {f"E{h + 7}"}
    assert plan[f"E{h + 7}"].comment.author == "Owner"
    grid = calamine(master, SHEET_VALIDATION)
    assert len([r for r in grid[2:] if r[0]]) == len(report.findings)
    # the second run wrote what the first did: no mark twice, no drawing grown
    again = members(master)
    vml = [n for n in again if n.endswith(".vml")]
    assert [again[n] for n in vml] == [first[n] for n in vml]
    assert again[PLAN_PART] == first[PLAN_PART]


def test_validate_write_removes_its_notes_once_nothing_is_found(master: Path) -> None:
    _validate_write(master)
    write_validation(master, Report(master=str(master), as_of=dt.date(2023, 8, 1)))
    parts = members(master)
    ws = load_workbook(master)[SHEET_PLAN]
    authors = [c.comment.author for row in ws.iter_rows() for c in row if c.comment is not None]
    assert authors == ["Owner", "Owner"]
    (vml,) = [n for n in parts if n.endswith(".vml")]
    assert parts[vml].count(b'ObjectType="Note"') == 2  # the owner's two boxes, no more


def test_notes_on_a_master_without_any(seed: Plan, tmp_path: Path) -> None:
    """The comments part, the notes' drawing, the relationships and the content types are made
    for a sheet that had no notes, and go again when nothing is left to mark."""
    path = tmp_path / "plain.xlsx"
    write_master(seed, path)
    _validate_write(path)
    parts = members(path)
    comments = [n for n in parts if n.startswith("xl/comments")]
    vml = [n for n in parts if n.endswith(".vml")]
    assert len(comments) == 1 and len(vml) == 1
    assert b"<legacyDrawing" in parts[PLAN_PART]
    types = parts["[Content_Types].xml"]
    assert b'Extension="vml"' in types and b"comments+xml" in types
    ws = load_workbook(path)[SHEET_PLAN]
    assert ws["E17"].comment.author == COMMENT_AUTHOR
    assert "no time-scale" in ws["E17"].comment.text
    if SOFFICE:  # LibreOffice reads the notes from the parts made here
        plan = load_workbook(libreoffice_round_trip(path, tmp_path / "lo"))[SHEET_PLAN]
        assert "no time-scale" in plan["E17"].comment.text

    write_validation(path, Report(master=str(path), as_of=dt.date(2023, 8, 1)))
    parts = members(path)
    assert not [n for n in parts if n.startswith("xl/comments") or n.endswith(".vml")]
    assert b"<legacyDrawing" not in parts[PLAN_PART]
    assert b"comments+xml" not in parts["[Content_Types].xml"]
    ws = load_workbook(path)[SHEET_PLAN]
    assert not [c for row in ws.iter_rows() for c in row if c.comment is not None]


# --- Refusals ------------------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["rag", "validate"])
def test_an_open_master_is_refused_and_nothing_written(master: Path, command: str) -> None:
    before = master.read_bytes()
    (master.parent / f"~${master.name}").write_bytes(b"")
    args = ["rag", str(master)] if command == "rag" else ["validate", str(master), "--write"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2
    assert "is open in Excel or LibreOffice" in result.output
    assert result.output.count("\n") == 1
    assert master.read_bytes() == before
    assert not (master.parent / "backups").exists()


def test_rag_refuses_a_master_changed_on_disk(
    master: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    saved = master.read_bytes() + b""  # what the owner's Excel saves while rag runs

    def apply_then_save(editor: Editor, changes: rag.RagChanges) -> object:
        applied = apply(editor, changes)
        master.write_bytes(saved + b"\0")
        return applied

    apply = rag.apply_rag_changes
    monkeypatch.setattr(rag, "apply_rag_changes", apply_then_save)
    with pytest.raises(MasterError, match="changed on disk while this ran"):
        rag_master(master)
    assert master.read_bytes() == saved + b"\0"
    assert not (master.parent / "backups").exists()


def test_validate_write_refuses_a_master_changed_on_disk(
    master: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    saved = master.read_bytes() + b"\0"
    record = validation_sheet.record_validation

    def record_then_save(*args: object, **kwargs: object) -> None:
        record(*args, **kwargs)  # type: ignore[arg-type]
        master.write_bytes(saved)

    monkeypatch.setattr(validation_sheet, "record_validation", record_then_save)
    with pytest.raises(MasterError, match="changed on disk while this ran"):
        _validate_write(master)
    assert master.read_bytes() == saved
    assert not (master.parent / "backups").exists()


# --- The Settings row and name, an old master --------------------------------------------------


def test_rag_adds_the_as_of_row_and_name_when_settings_has_none(seed: Plan, tmp_path: Path) -> None:
    path = tmp_path / "old.xlsx"
    write_master(seed, path)
    wb = load_workbook(path, rich_text=True)
    settings = wb[SHEET_SETTINGS]
    row = next(r[0].row for r in settings.iter_rows() if r[0].value == "As-of date")
    settings.delete_rows(row)
    del wb.defined_names["AsOfDate"]
    wb.save(path)
    report = rag_master(path)
    assert report.as_of is None
    wb = load_workbook(path)
    settings = wb[SHEET_SETTINGS]
    row = next(r[0].row for r in settings.iter_rows() if r[0].value == "As-of date")
    assert wb.defined_names["AsOfDate"].attr_text == f"'{SHEET_SETTINGS}'!$B${row}"
    assert settings.cell(row, 2).number_format == "dd-mmm-yy"
    assert rag_master(path).summary().endswith("overdue against today (Settings has no As-of date)")


def test_the_due_column_added_to_an_old_master_looks_like_its_neighbours(
    seed: Plan, tmp_path: Path
) -> None:
    path = tmp_path / "old.xlsx"
    write_master(seed, path)
    wb = load_workbook(path, rich_text=True)
    ws = wb[SHEET_PLAN]
    h = header_row(path)
    for m in list(ws.merged_cells.ranges):
        ws.unmerge_cells(str(m))
        ws.merge_cells(f"A{m.min_row}:G{m.min_row}")
    for r in range(h, ws.max_row + 1):
        ws.cell(r, 8).value = None
        ws.cell(r, 8).style = "Normal"
    ws.column_dimensions["H"].width = 8
    wb.save(path)
    rag_master(path)
    ws = load_workbook(path)[SHEET_PLAN]
    assert ws.cell(h, 8).value == "Due"
    assert ws.cell(h, 8).fill.fgColor.rgb == ws.cell(h, 7).fill.fgColor.rgb
    assert ws.cell(h, 8).font.color.rgb == ws.cell(h, 7).font.color.rgb
    assert ws.column_dimensions["H"].width == pytest.approx(11)
    item = h + 2
    assert ws.cell(item, 8).number_format == "dd-mmm-yy"
    assert ws.cell(item, 8).border.left.style == ws.cell(item, 7).border.left.style


# --- What other programs see -------------------------------------------------------------------


def calamine(path: Path, sheet: str) -> list[list[Any]]:
    wb = CalamineWorkbook.from_path(str(path))
    try:
        return wb.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
    finally:
        wb.close()


def test_every_sheet_reads_back_in_calamine(master: Path) -> None:
    rag_master(master)
    _validate_write(master)
    wb = CalamineWorkbook.from_path(str(master))
    try:
        for name in wb.sheet_names:
            wb.get_sheet_by_name(name).to_python()
    finally:
        wb.close()
    assert calamine(master, SHEET_VALIDATION)[1][:5] == [
        "Severity",
        "Code",
        "Ref",
        "Cell",
        "Message",
    ]


def libreoffice_round_trip(path: Path, out: Path) -> Path:
    """`path` opened in LibreOffice and saved again as .xlsx: what it could read of it."""
    assert SOFFICE
    profile = (out / ".lo-profile").resolve()
    subprocess.run(
        [SOFFICE, f"-env:UserInstallation=file://{profile}", "--headless", "--norestore",
         "--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir", str(out), str(path)],
        check=True, capture_output=True, timeout=180,
    )  # fmt: skip
    return out / path.name


@needs_office
def test_libreoffice_opens_the_master_after_rag_and_validate(master: Path, tmp_path: Path) -> None:
    """LibreOffice loads the patched master - notes, rules, links and all - and saves it back."""
    rag_master(master)
    _validate_write(master)
    wb = load_workbook(libreoffice_round_trip(master, tmp_path / "lo"))
    plan = wb[SHEET_PLAN]
    authors = {c.comment.author for row in plan.iter_rows() for c in row if c.comment}
    texts = " ".join(c.comment.text for row in plan.iter_rows() for c in row if c.comment)
    assert "Owner's note" in texts and "no time-scale" in texts, authors
    formulas = [r.formula[0] for cf in plan.conditional_formatting for r in cf.rules if r.formula]
    assert any("AsOfDate" in f for f in formulas)
    report = wb[SHEET_VALIDATION]
    assert report["D3"].hyperlink is not None
