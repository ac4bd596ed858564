"""Returns for issue 13 ("nothing a lead types is lost or misplaced"), built as leads make them:
typed in LibreOffice Calc, written by Excel, re-saved by Gnumeric. Each builder takes a
`tests.cycle.Cycle`, starts from the copy issued to a lead, makes one kind of return with the
program that makes it, and returns its path; its docstring says what the lead did, with which
program, and what the file then holds.

Nothing here knows the seed plan: a lead's rows and columns are read from their copy (its header
row holds the titles of `COPY_COLUMNS`, its Ref column the refs issued to the lead), and each
builder picks its lead by what the copy must hold (`lead=None`), or takes the one it is given.
What was typed where is public (the constants and the `*_cells` / `*_answers` functions), so a
test can find it in the file, and a merge test can look for it in the master or on the receipt.

* Calc (tests/calc_edit.py, run by `tests.office.edit_in_calc`) runs in the en-GB locale, as a
  lead in England has it: that decides what typed dates and numbers become.
* Excel does not run here, so what only Excel writes is written into the sheet XML as Excel
  writes it, in a copy saved once by openpyxl (as `sync.simulate.fill_copy` saves).
* Gnumeric is `ssconvert copy.xlsx out.xlsx`.
"""

from __future__ import annotations

import copy
import datetime as dt
import io
import re
import shutil
import subprocess
import tempfile
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from lxml import etree
from openpyxl.utils import column_index_from_string, get_column_letter
from python_calamine import CalamineWorkbook

from sync.simulate import Answer, fill_copy
from tests.cycle import Cycle
from tests.office import edit_in_calc
from workbook.lead_copy.columns import COPY_COLUMNS
from workbook.master.sheets import SHEET_PLAN
from workbook.plan.status import RAG_CODES

#: The locale Calc runs in for every Calc-made return.
CALC_LOCALE = "en-GB"
SSCONVERT = shutil.which("ssconvert")
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
EXCEL_EPOCH = dt.date(1899, 12, 30)

#: (ref, copy column key) -> the text a lead typed there.
Typed = dict[tuple[str, str], str]


# --- A lead's copy, read from the file -----------------------------------------------------------


@dataclass(frozen=True)
class CopyLayout:
    """Where a lead's items and the copy's columns are in their issued copy."""

    lead: str
    path: Path
    header_row: int  # 1-based
    columns: dict[str, str]  # copy column key -> column letter
    rows: dict[str, int]  # ref -> 1-based row, in the copy's order

    @property
    def refs(self) -> list[str]:
        return list(self.rows)

    def cell(self, ref: str, key: str) -> str:
        """The cell of `ref`'s row in copy column `key`, e.g. "H14"."""
        return f"{self.columns[key]}{self.rows[ref]}"

    def header(self, key: str) -> str:
        """The header cell of copy column `key`."""
        return f"{self.columns[key]}{self.header_row}"

    def column_after(self, key: str, n: int = 1) -> str:
        """The letter of the column `n` to the right of copy column `key`."""
        return get_column_letter(column_index_from_string(self.columns[key]) + n)

    @property
    def last_column(self) -> str:
        return max(self.columns.values(), key=column_index_from_string)

    def runs(self) -> list[list[str]]:
        """The lead's refs in runs of items on consecutive rows (a section row breaks a run)."""
        runs: list[list[str]] = []
        for ref, row in self.rows.items():
            if runs and self.rows[runs[-1][-1]] == row - 1:
                runs[-1].append(ref)
            else:
                runs.append([ref])
        return runs


def grid(path: Path, sheet: str = SHEET_PLAN) -> list[list[Any]]:
    """A sheet's values as python-calamine reads them, from A1: grid[row - 1][column - 1]."""
    wb = CalamineWorkbook.from_path(str(path))
    try:
        return wb.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
    finally:
        wb.close()


def read_copy(cycle: Cycle, lead: str) -> CopyLayout:
    """`lead`'s issued copy: its header row, the letter of each copy column, and the row of
    each ref issued to the lead."""
    issued = cycle.copies[lead]
    rows = grid(issued.path)
    titles = {c.title: c.key for c in COPY_COLUMNS}
    at = next(
        i for i, row in enumerate(rows, 1) if set(titles) <= {str(v).strip() for v in row}
    )  # the header row: it holds every copy column's title
    columns = {
        titles[str(v).strip()]: get_column_letter(j)
        for j, v in enumerate(rows[at - 1], 1)
        if str(v).strip() in titles
    }
    ref_col = column_index_from_string(columns["ref"]) - 1
    refs = set(issued.refs)
    found = {
        str(row[ref_col]).strip(): i
        for i, row in enumerate(rows, 1)
        if i > at and len(row) > ref_col and str(row[ref_col]).strip() in refs
    }
    return CopyLayout(lead, issued.path, at, columns, found)


def busiest_lead(cycle: Cycle) -> str:
    """The lead with the most items (the first such, in issue order)."""
    return max(cycle.copies, key=lambda lead: len(cycle.copies[lead].refs))


def _lead_with(cycle: Cycle, what: str, fits: Callable[[CopyLayout], bool]) -> str:
    for lead in cycle.copies:
        if fits(read_copy(cycle, lead)):
            return lead
    raise LookupError(f"no lead's copy has {what}")


def _out(cycle: Cycle, lead: str, what: str, out: Path | None) -> Path:
    path = out or cycle.folder / "returns" / f"{lead} {what}.xlsx"
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def _calc(src: Path, out: Path, edits: list[dict[str, object]]) -> Path:
    """`src` edited in Calc, in the en-GB locale, and saved by Calc at `out`. Calc opens a
    copy of `src` in a folder of its own, so a lock file a crashed office leaves behind never
    blocks the next builder."""
    with tempfile.TemporaryDirectory(prefix="lead-return-") as folder:
        opened = Path(folder) / src.name
        shutil.copyfile(src, opened)
        edit_in_calc(opened, out, [{"op": "locale", "tag": CALC_LOCALE}, *edits])
    return out


def _items(layout: CopyLayout, n: int) -> list[str]:
    if len(layout.refs) < n:
        raise LookupError(f"{layout.lead}'s copy has {len(layout.refs)} items, {n} are needed")
    return layout.refs[:n]


# --- a. Calc: text typed that Calc makes a formula of --------------------------------------------

#: What a lead types that starts with "=", and where (copy column key), one per item.
CALC_FORMULAS = (
    ("new_update", "=> meeting booked for May"),
    ("proposed_timescale", "== no change =="),
    ("status", "=SUM(1,2)"),
)


def formula_cells(cycle: Cycle, lead: str | None = None) -> Typed:
    """Where `calc_formulas` types each of CALC_FORMULAS: on the lead's first three items."""
    layout = read_copy(cycle, lead or busiest_lead(cycle))
    refs = _items(layout, len(CALC_FORMULAS))
    return {(ref, key): text for ref, (key, text) in zip(refs, CALC_FORMULAS, strict=True)}


def calc_formulas(
    cycle: Cycle, lead: str | None = None, out: Path | None = None, *, general: bool = True
) -> Path:
    """In LibreOffice Calc the lead types "=> meeting booked for May" into the first item's New
    update and "== no change ==" into the second item's Proposed time-scale; Calc makes
    formulas of both (Err:510 and Err:509, saved as `<c t="e"><f>&gt; meeting booked for
    may</f><v>#VALUE!</v></c>` - the compiler lower-cases "May" - and `<f>= no change ==</f>`).

    "=SUM(1,2)" cannot be typed into the third item's Status: Calc's input line refuses a
    formula in a cell with a validity rule that stops (the Status dropdown; Excel would refuse
    it too, 3 not being in the list). So
    the lead types it into that item's New update, copies that cell, pastes it onto Status
    (pasting skips the validity check, and brings the New update cell's format, so this Status
    cell loses its dropdown) and deletes it from New update: Status holds `<c t="n"><f>SUM(1,2)
    </f><v>3</v></c>` and New update is empty.

    All this happens in a copy whose answer cells are General, as copies were issued before
    they were formatted as Text (`general_copy`); with `general=False` the lead types the same
    into the copy as issued today, whose Text cells keep every one as typed.
    """
    lead = lead or busiest_lead(cycle)
    layout = read_copy(cycle, lead)
    src = general_copy(layout) if general else layout.path
    edits: list[dict[str, object]] = []
    for (ref, key), text in formula_cells(cycle, lead).items():
        cell = layout.cell(ref, key)
        if key != "status":
            edits.append({"op": "type", "sheet": SHEET_PLAN, "cell": cell, "value": text})
            continue
        scratch = layout.cell(ref, "new_update")
        edits += [
            {"op": "type", "sheet": SHEET_PLAN, "cell": scratch, "value": text},
            {"op": "paste", "sheet": SHEET_PLAN, "from": scratch, "cell": cell},
            {"op": "type", "sheet": SHEET_PLAN, "cell": scratch, "value": ""},
        ]
    what = "calc formulas" if general else "calc formulas as text"
    return _calc(src, _out(cycle, lead, what, out), edits)


#: What a lead types that Calc (en-GB) makes a number of: (copy column key, typed, what Calc
#: stores, the number format Calc gives the cell).
CALC_NUMBERS = (
    ("proposed_timescale", "Jun-24", dt.date(2024, 6, 1), "DD/MM/YY"),
    ("proposed_timescale", "1/7/2024", dt.date(2024, 7, 1), "DD/MM/YY"),
    ("new_update", "50%", 0.5, "0.00%"),
)


def number_cells(cycle: Cycle, lead: str | None = None) -> Typed:
    """Where `calc_numbers` types each of CALC_NUMBERS: on the lead's first three items."""
    layout = read_copy(cycle, lead or busiest_lead(cycle))
    refs = _items(layout, len(CALC_NUMBERS))
    return {(ref, num[0]): num[1] for ref, num in zip(refs, CALC_NUMBERS, strict=True)}


def calc_numbers(
    cycle: Cycle, lead: str | None = None, out: Path | None = None, *, general: bool = True
) -> Path:
    """In LibreOffice Calc (en-GB) the lead types "Jun-24" and "1/7/2024" into the Proposed
    time-scale of their first and second items and "50%" into the third item's New update.
    Calc reads them as typing does: 1 June 2024 and 1 July 2024 as date serials shown
    DD/MM/YY (`<c t="n"><v>45444</v></c>`), and 0.5 shown 0.00%. The words "Jun-24" are gone
    from the file; only a number and its format remain. That is in a copy whose answer cells
    are General (`general_copy`); with `general=False`, in the copy as issued today, the Text
    cells keep the words as typed."""
    lead = lead or busiest_lead(cycle)
    layout = read_copy(cycle, lead)
    src = general_copy(layout) if general else layout.path
    edits: list[dict[str, object]] = [
        {"op": "type", "sheet": SHEET_PLAN, "cell": layout.cell(ref, key), "value": text}
        for (ref, key), text in number_cells(cycle, lead).items()
    ]
    what = "calc numbers" if general else "calc numbers as text"
    return _calc(src, _out(cycle, lead, what, out), edits)


#: Excel's built-in Text number format, and General.
TEXT_FORMAT_ID, GENERAL_FORMAT_ID = 49, 0


def general_copy(layout: CopyLayout) -> Path:
    """The lead's copy with its answer cells General instead of Text, as copies were issued
    before the Text format (copies still in leads' hands): every cell format with the Text
    number format made General in styles.xml, nothing else changed."""
    out = layout.path.with_name(f"{layout.path.stem} (general cells).xlsx")
    members = _members(layout.path)
    root = etree.fromstring(members["xl/styles.xml"])
    xfs = root.find(f"{{{MAIN}}}cellXfs")
    assert xfs is not None
    changed = 0
    for xf in xfs:
        if xf.get("numFmtId") == str(TEXT_FORMAT_ID):
            xf.set("numFmtId", str(GENERAL_FORMAT_ID))
            changed += 1
    if not changed:
        raise LookupError(f"{layout.path.name} has no Text cells to make General")
    members["xl/styles.xml"] = etree.tostring(
        root, xml_declaration=True, encoding="UTF-8", standalone=True
    )
    _write_zip(out, members)
    return out


# --- Excel's XML, written into a copy ------------------------------------------------------------


def _members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {name: z.read(name) for name in z.namelist()}


def _write_zip(path: Path, members: Mapping[str, bytes]) -> None:
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w", zipfile.ZIP_DEFLATED) as z:
        for name, body in members.items():
            z.writestr(name, body)
    path.write_bytes(data.getvalue())


def sheet_part(members: Mapping[str, bytes], title: str = SHEET_PLAN) -> str:
    """The zip member that holds the sheet named `title`."""
    book = members["xl/workbook.xml"].decode()
    rels = members["xl/_rels/workbook.xml.rels"].decode()
    m = re.search(rf'<sheet\b[^>]*\bname="{re.escape(escape(title))}"[^>]*>', book)
    rid = re.search(r'\br:id="([^"]+)"', m[0]) if m else None
    rel = next((r for r in re.findall(r"<Relationship\b[^>]*>", rels) if rid and rid[1] in r), "")
    target = re.search(r'\bTarget="([^"]+)"', rel)
    if target is None:
        raise LookupError(f"no sheet {title!r}")
    return target[1].lstrip("/") if target[1].startswith("/") else f"xl/{target[1]}"


def cell_xml(sheet_xml: str, ref: str) -> str | None:
    """The `<c>` element of cell `ref` in a sheet's XML, as written."""
    m = re.search(rf'<c\b[^>]*\br="{ref}"[^>]*?(?:/>|>.*?</c>)', sheet_xml, re.S)
    return m[0] if m else None


def _style_of(sheet_xml: str, ref: str) -> int:
    found = cell_xml(sheet_xml, ref)
    s = re.search(r'\bs="(\d+)"', found or "")
    return int(s[1]) if s else 0


def _replace_cell(sheet_xml: str, ref: str, xml: str) -> str:
    old = cell_xml(sheet_xml, ref)
    if old is None:
        raise LookupError(f"no cell {ref} in the sheet")
    return sheet_xml.replace(old, xml, 1)


@dataclass(frozen=True)
class ExcelFormula:
    """A formula cell as Excel saves it: its type, the formula (no "="), its cached value."""

    t: str
    formula: str
    value: str

    def xml(self, ref: str, style: int) -> str:
        return (
            f'<c r="{ref}" s="{style}" t="{self.t}"><f>{escape(self.formula)}</f>'
            f"<v>{escape(self.value)}</v></c>"
        )


#: The New update cells `excel_formulas` writes, one per item. ("A1/0" would give #VALUE! in a
#: copy, whose A1 holds the plan's title, so the division by zero is 1/0.)
EXCEL_FORMULAS = (
    ExcelFormula("e", "see attached", "#NAME?"),
    ExcelFormula("e", "1/0", "#DIV/0!"),
    ExcelFormula(
        "str", '"Audit booked for "&TEXT(DATE(2023,6,12),"d mmmm")', "Audit booked for 12 June"
    ),
)


def excel_formula_cells(cycle: Cycle, lead: str | None = None) -> dict[str, ExcelFormula]:
    """ref -> the formula `excel_formulas` writes into its New update: the first three items."""
    layout = read_copy(cycle, lead or busiest_lead(cycle))
    refs = _items(layout, len(EXCEL_FORMULAS))
    return dict(zip(refs, EXCEL_FORMULAS, strict=True))


def excel_formulas(cycle: Cycle, lead: str | None = None, out: Path | None = None) -> Path:
    """In Excel the lead types "=see attached" (two undefined names, intersected: #NAME?),
    "=1/0" (#DIV/0!) and a formula that makes text into the New update of their first three
    items; Excel saves each as a formula with its cached value: `<c t="e"><f>see attached</f>
    <v>#NAME?</v></c>`, `<c t="e"><f>1/0</f><v>#DIV/0!</v></c>` and `<c t="str"><f>"Audit
    booked for "&amp;TEXT(...)</f><v>Audit booked for 12 June</v></c>`, in the cell's own
    style. Written into the sheet XML of a copy saved once by openpyxl (Excel alone makes these;
    its calcChain part is left out)."""
    lead = lead or busiest_lead(cycle)
    layout = read_copy(cycle, lead)
    path = _out(cycle, lead, "excel formulas", out)
    fill_copy(layout.path, path, {})
    members = _members(path)
    part = sheet_part(members)
    xml = members[part].decode()
    for ref, formula in excel_formula_cells(cycle, lead).items():
        at = layout.cell(ref, "new_update")
        xml = _replace_cell(xml, at, formula.xml(at, _style_of(xml, at)))
    members[part] = xml.encode()
    _write_zip(path, members)
    return path


# --- c. Excel: dates and a percentage that arrive as numbers -------------------------------------


@dataclass(frozen=True)
class ExcelNumber:
    """A number as Excel stores a value typed or pasted into a cell: the value, and the number
    format Excel gives the cell (a built-in id, or a custom code Excel adds to styles.xml)."""

    key: str  # the copy column
    value: float
    shown: str  # what Excel shows
    builtin: int | None = None
    code: str | None = None

    @staticmethod
    def date(key: str, day: dt.date, shown: str, **fmt: Any) -> ExcelNumber:
        return ExcelNumber(key, float((day - EXCEL_EPOCH).days), shown, **fmt)


#: One per item: a date shown without its year (a custom d-mmm, which Excel writes with its
#: hyphen escaped), a date shown mmm-yy (built-in 17) and 50% (built-in 9, "0%").
EXCEL_NUMBERS = (
    ExcelNumber.date("proposed_timescale", dt.date(2024, 6, 1), "1-Jun", code=r"d\-mmm"),
    ExcelNumber.date("proposed_timescale", dt.date(2024, 9, 1), "Sep-24", builtin=17),
    ExcelNumber("new_update", 0.5, "50%", builtin=9),
)


def excel_number_cells(cycle: Cycle, lead: str | None = None) -> dict[str, ExcelNumber]:
    """ref -> what `excel_numbers` stores on its row: the first three items."""
    layout = read_copy(cycle, lead or busiest_lead(cycle))
    refs = _items(layout, len(EXCEL_NUMBERS))
    return dict(zip(refs, EXCEL_NUMBERS, strict=True))


def _number_format(styles: bytes, xf: int, number: ExcelNumber) -> tuple[bytes, int]:
    """styles.xml with a copy of cell format `xf` that shows `number`'s format (its custom code
    added to numFmts as Excel adds one: the next id from 164); and that copy's index."""
    root = etree.fromstring(styles)
    fmt_id = number.builtin
    if number.code is not None:
        fmts = root.find(f"{{{MAIN}}}numFmts")
        if fmts is None:
            fmts = etree.Element(f"{{{MAIN}}}numFmts")
            root.insert(0, fmts)
        fmt_id = max([163, *(int(f.get("numFmtId", "0")) for f in fmts)]) + 1
        etree.SubElement(fmts, f"{{{MAIN}}}numFmt", numFmtId=str(fmt_id), formatCode=number.code)
        fmts.set("count", str(len(fmts)))
    xfs = root.find(f"{{{MAIN}}}cellXfs")
    assert xfs is not None and fmt_id is not None
    new = copy.deepcopy(xfs[xf])
    new.set("numFmtId", str(fmt_id))
    new.set("applyNumberFormat", "1")
    xfs.append(new)
    xfs.set("count", str(len(xfs)))
    body = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
    return body, len(xfs) - 1


def excel_numbers(cycle: Cycle, lead: str | None = None, out: Path | None = None) -> Path:
    """In Excel the lead types or pastes dates and a percentage as values: their first item's
    Proposed time-scale holds 1 June 2024 shown "1-Jun" (no year: a custom `d\\-mmm` added to
    styles.xml), the second's 1 September 2024 shown "Sep-24" (built-in 17, mmm-yy), the
    third's New update 0.5 shown "50%" (built-in 9). Each is stored as Excel stores a number,
    `<c r=".." s="(a copy of the cell's format with the number format)"><v>45444</v></c>`, in a
    copy saved once by openpyxl."""
    lead = lead or busiest_lead(cycle)
    layout = read_copy(cycle, lead)
    path = _out(cycle, lead, "excel numbers", out)
    fill_copy(layout.path, path, {})
    members = _members(path)
    part = sheet_part(members)
    xml = members[part].decode()
    styles = members["xl/styles.xml"]
    for ref, number in excel_number_cells(cycle, lead).items():
        at = layout.cell(ref, number.key)
        styles, style = _number_format(styles, _style_of(xml, at), number)
        xml = _replace_cell(xml, at, f'<c r="{at}" s="{style}"><v>{number.value:g}</v></c>')
    members[part] = xml.encode()
    members["xl/styles.xml"] = styles
    _write_zip(path, members)
    return path


# --- d. Calc: words typed outside the three columns ----------------------------------------------

DUPLICATE_SHEET = "Action Plan (2)"
DUPLICATE_WORDS = "Typed on the copied sheet: panel booked for 20 June."
INSERTED_WORDS = "Typed in a column I inserted: ask LH about the audit."
#: ... and on the next item, under the columns the inserted one moved: (copy column, typed).
BESIDE_INSERTED = (("new_update", "Report sent to the board."), ("proposed_timescale", "Autumn"))
NOTES_TITLE = "Notes"
NOTES_WORDS = "My note: the audit tool is still with partners."
COMMENT_WORDS = "Comment instead of an update: two posts filled, induction in June."
CLEARED_REF_WORDS = "Typed on the row whose Ref I deleted: training delivered."


def calc_duplicated_sheet(cycle: Cycle, lead: str | None = None, out: Path | None = None) -> Path:
    """In LibreOffice Calc the lead copies the Action Plan sheet (Sheet > Move or Copy Sheet >
    Copy, named "Action Plan (2)" as Excel would name it, placed right after it) and types
    DUPLICATE_WORDS into their first item's New update on the copy only. Calc's copy keeps the
    sheet protection and its unlocked cells, so no unprotecting is needed; the Action Plan sheet
    itself is as issued."""
    lead = lead or busiest_lead(cycle)
    layout = read_copy(cycle, lead)
    ref = _items(layout, 1)[0]
    edits: list[dict[str, object]] = [
        {"op": "copy_sheet", "sheet": SHEET_PLAN, "as": DUPLICATE_SHEET},
        {"op": "type", "sheet": DUPLICATE_SHEET, "cell": layout.cell(ref, "new_update"),
         "value": DUPLICATE_WORDS},
    ]  # fmt: skip
    return _calc(layout.path, _out(cycle, lead, "calc duplicated sheet", out), edits)


def calc_inserted_column(cycle: Cycle, lead: str | None = None, out: Path | None = None) -> Path:
    """In LibreOffice Calc the lead inserts a column right of New update - without
    unprotecting: the copy's protection allows inserting columns (`insertColumns="0"`) and Calc
    honours that - and types INSERTED_WORDS into it on their first item's row. The new column
    has no title and takes New update's format (its item cells unlocked, its header locked).
    On the second item they type BESIDE_INSERTED: a New update, and a Proposed time-scale in
    the column that is now one to the right of where it was issued."""
    lead = lead or busiest_lead(cycle)
    layout = read_copy(cycle, lead)
    first, second = _items(layout, 2)
    inserted = layout.column_after("new_update")
    edits: list[dict[str, object]] = [
        {"op": "insert_columns", "sheet": SHEET_PLAN, "before": inserted, "unprotect": False},
        {"op": "type", "sheet": SHEET_PLAN, "cell": f"{inserted}{layout.rows[first]}",
         "value": INSERTED_WORDS},
    ]  # fmt: skip
    for key, text in BESIDE_INSERTED:
        # columns right of the inserted one have moved one to the right
        moved = layout.columns[key] if key == "new_update" else layout.column_after(key)
        cell = f"{moved}{layout.rows[second]}"
        edits.append({"op": "type", "sheet": SHEET_PLAN, "cell": cell, "value": text})
    return _calc(layout.path, _out(cycle, lead, "calc inserted column", out), edits)


def calc_notes_column(cycle: Cycle, lead: str | None = None, out: Path | None = None) -> Path:
    """In LibreOffice Calc the lead adds a column of their own after the copy's last column:
    they title it "Notes" in the header row and type NOTES_WORDS under it on their first item's
    row. Those cells are outside the copy's columns, so locked: the lead unprotects the sheet to
    type them (and it is protected again)."""
    lead = lead or busiest_lead(cycle)
    layout = read_copy(cycle, lead)
    ref = _items(layout, 1)[0]
    notes = get_column_letter(column_index_from_string(layout.last_column) + 1)
    edits: list[dict[str, object]] = [
        {"op": "type", "sheet": SHEET_PLAN, "cell": f"{notes}{layout.header_row}",
         "value": NOTES_TITLE, "unprotect": True},
        {"op": "type", "sheet": SHEET_PLAN, "cell": f"{notes}{layout.rows[ref]}",
         "value": NOTES_WORDS, "unprotect": True},
    ]  # fmt: skip
    return _calc(layout.path, _out(cycle, lead, "calc notes column", out), edits)


def calc_comment(cycle: Cycle, lead: str | None = None, out: Path | None = None) -> Path:
    """In LibreOffice Calc the lead writes their update as a comment (Insert > Comment) on
    their first item's New update cell and leaves the cell itself empty. Calc allows a comment
    on an unlocked cell of the protected sheet; it saves it in xl/comments1.xml (with a VML
    drawing for the note's box)."""
    lead = lead or busiest_lead(cycle)
    layout = read_copy(cycle, lead)
    ref = _items(layout, 1)[0]
    edits: list[dict[str, object]] = [
        {"op": "comment", "sheet": SHEET_PLAN, "cell": layout.cell(ref, "new_update"),
         "text": COMMENT_WORDS},
    ]  # fmt: skip
    return _calc(layout.path, _out(cycle, lead, "calc comment", out), edits)


def calc_cleared_ref(cycle: Cycle, lead: str | None = None, out: Path | None = None) -> Path:
    """In LibreOffice Calc the lead unprotects the sheet, deletes their first item's Ref (the
    cell is locked), protects it again, and types CLEARED_REF_WORDS into that row's New
    update."""
    lead = lead or busiest_lead(cycle)
    layout = read_copy(cycle, lead)
    ref = _items(layout, 1)[0]
    edits: list[dict[str, object]] = [
        {"op": "set", "sheet": SHEET_PLAN, "cell": layout.cell(ref, "ref"), "value": None,
         "unprotect": True},
        {"op": "type", "sheet": SHEET_PLAN, "cell": layout.cell(ref, "new_update"),
         "value": CLEARED_REF_WORDS},
    ]  # fmt: skip
    return _calc(layout.path, _out(cycle, lead, "calc cleared ref", out), edits)


# --- e. Calc: the lead's answers sorted onto other items -----------------------------------------

#: The copy column `calc_sorted` sorts the editable block by.
SORTED_BY = "status"


def _sort_run(layout: CopyLayout) -> list[str]:
    """The items whose answers `calc_sorted` sorts: the first run of three or more items on
    consecutive rows, at most four (one per RAG code)."""
    run = next((r for r in layout.runs() if len(r) >= 3), None)
    if run is None:
        raise LookupError(f"{layout.lead}'s copy has no three items on consecutive rows")
    return run[:4]


def sorted_answers(cycle: Cycle, lead: str | None = None) -> dict[str, Answer]:
    """ref -> what the lead types against it before sorting. The statuses are chosen so that
    sorting them A to Z moves every answer onto another item's row (item i gets the status
    ranked i - 1), and each update names the item it was written for."""
    lead = lead or _lead_with(cycle, "three items in a row", _has_sort_run)
    refs = _sort_run(read_copy(cycle, lead))
    codes = sorted(RAG_CODES)[: len(refs)]
    return {
        ref: Answer(codes[(i - 1) % len(refs)], f"Written for {ref}: progress reviewed.")
        for i, ref in enumerate(refs)
    }


def _has_sort_run(layout: CopyLayout) -> bool:
    return any(len(r) >= 3 for r in layout.runs())


def calc_sorted(cycle: Cycle, lead: str | None = None, out: Path | None = None) -> Path:
    """In LibreOffice Calc the lead types a status and an update on each of three or four items
    in a row (`sorted_answers`), then selects the block of those rows from Status to Proposed
    time-scale and sorts it by Status, A to Z (Data > Sort, current selection only). Calc does
    this without unprotecting: every cell of that block is unlocked, which is all Calc's sort
    asks of a protected sheet (it does not consult the sheet's sort option). The Refs and the
    locked columns stay put; every answer now sits on another item's row."""
    lead = lead or _lead_with(cycle, "three items in a row", _has_sort_run)
    layout = read_copy(cycle, lead)
    answers = sorted_answers(cycle, lead)
    edits: list[dict[str, object]] = []
    for ref, answer in answers.items():
        edits += [
            {"op": "type", "sheet": SHEET_PLAN, "cell": layout.cell(ref, "status"),
             "value": answer.status},
            {"op": "type", "sheet": SHEET_PLAN, "cell": layout.cell(ref, "new_update"),
             "value": answer.update},
        ]  # fmt: skip
    refs = list(answers)
    block = f"{layout.cell(refs[0], 'status')}:{layout.cell(refs[-1], 'proposed_timescale')}"
    edits.append(
        {"op": "sort_unlocked", "sheet": SHEET_PLAN, "range": block,
         "by": layout.columns[SORTED_BY]}
    )  # fmt: skip
    return _calc(layout.path, _out(cycle, lead, "calc sorted", out), edits)


# --- f. Gnumeric: copies re-saved ----------------------------------------------------------------


def ssconvert(src: Path, out: Path) -> Path:
    """`src` re-saved by Gnumeric: `ssconvert src out` (the .xlsx exporter is chosen by the
    name)."""
    if SSCONVERT is None:
        raise RuntimeError("ssconvert is needed (apt-get install gnumeric)")
    out.parent.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        [SSCONVERT, str(src), str(out)], capture_output=True, text=True, timeout=120
    )
    if done.returncode != 0 or not out.is_file():
        raise RuntimeError(f"ssconvert failed on {src.name}: {done.stderr.strip()[-300:]}")
    return out


def gnumeric_fresh(cycle: Cycle, folder: Path | None = None) -> dict[str, Path]:
    """Every lead's copy opened in Gnumeric and saved as it is (`ssconvert copy.xlsx
    out.xlsx`), nothing typed: lead -> the file. Gnumeric writes each finding's rich text
    without `xml:space="preserve"` and indents its XML, so the space or line break between a
    finding's headline and its italic narrative (at the edge of a run) is lost to readers.
    It also makes the veryHidden identity sheet visible, loses the print titles (a plain
    "Print_Titles" name, the print area #REF!) and keeps the copy's `dcterms:modified`: it does
    not stamp its saves. Protection, unlocked cells, the Status list and the conditional
    formats survive."""
    folder = folder or cycle.folder / "returns"
    return {
        lead: ssconvert(issued.path, folder / f"{lead} gnumeric fresh.xlsx")
        for lead, issued in cycle.copies.items()
    }


#: What `gnumeric_filled` types on each item (openpyxl, as Excel would) before Gnumeric saves.
GNUMERIC_ANSWER = Answer(
    "AMBER", "First line of the update.\nSecond line, after a line break.", "March 2025"
)


def _has_multiline_finding(layout: CopyLayout) -> bool:
    rows = grid(layout.path)
    col = column_index_from_string(layout.columns["finding"]) - 1
    return any("\n" in str(rows[row - 1][col]) for row in layout.rows.values())


def gnumeric_filled(cycle: Cycle, lead: str | None = None, out: Path | None = None) -> Path:
    """A lead fills in their copy (GNUMERIC_ANSWER on every item, saved as Excel would by
    `Cycle.fill`, as "<lead> before gnumeric.xlsx"), then opens it in Gnumeric and saves it
    (`ssconvert`): the answers survive, the line break inside the update too. By default the lead is
    the first whose copy has a finding with a line break between headline and narrative, which
    Gnumeric's file loses."""
    lead = lead or _lead_with(cycle, "a finding with a line break", _has_multiline_finding)
    filled = cycle.fill(
        lead,
        dict.fromkeys(cycle.copies[lead].refs, GNUMERIC_ANSWER),
        name=f"{lead} before gnumeric.xlsx",
    )
    return ssconvert(filled, _out(cycle, lead, "gnumeric filled", out))


# --- g. Save times: a first answer and a corrected one -------------------------------------------

FIRST_ANSWER = Answer("AMBER", "First answer: audit booked for June.")
CORRECTED_UPDATE = "Corrected: the audit was held on 12 June, report to follow."


def calc_first_and_corrected(
    cycle: Cycle, lead: str | None = None, folder: Path | None = None
) -> tuple[Path, Path]:
    """In LibreOffice Calc the lead types FIRST_ANSWER on their first item and saves the
    return; later they open that return in Calc, replace the update with CORRECTED_UPDATE and
    save it again under another name. Calc sets docProps/core.xml `dcterms:modified` when it
    saves (each save, to the second; `created` stays the issued copy's), so the corrected file
    is the later one. (LibreOffice 7.4 writes the local time with a "Z": right only where the
    machine's zone is UTC, as here.) Returns (first, corrected)."""
    lead = lead or busiest_lead(cycle)
    layout = read_copy(cycle, lead)
    ref = _items(layout, 1)[0]
    folder = folder or cycle.folder / "returns"
    folder.mkdir(parents=True, exist_ok=True)
    first = _calc(
        layout.path,
        folder / f"{lead} calc first.xlsx",
        [
            {"op": "type", "sheet": SHEET_PLAN, "cell": layout.cell(ref, "status"),
             "value": FIRST_ANSWER.status},
            {"op": "type", "sheet": SHEET_PLAN, "cell": layout.cell(ref, "new_update"),
             "value": FIRST_ANSWER.update},
        ],
    )  # fmt: skip
    corrected = _calc(
        first,
        folder / f"{lead} calc corrected.xlsx",
        [{"op": "type", "sheet": SHEET_PLAN, "cell": layout.cell(ref, "new_update"),
          "value": CORRECTED_UPDATE}],
    )  # fmt: skip
    return first, corrected


def saved_at(path: Path) -> dt.datetime:
    """When a workbook was last saved, by its docProps/core.xml `dcterms:modified` (aware)."""
    with zipfile.ZipFile(path) as z:
        core = z.read("docProps/core.xml").decode()
    m = re.search(r"<dcterms:modified\b[^>]*>([^<]+)</dcterms:modified>", core)
    if m is None:
        raise LookupError(f"{path.name} records no modified time")
    when = dt.datetime.fromisoformat(m[1].strip().replace("Z", "+00:00"))
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


# --- h. Calc: column titles changed --------------------------------------------------------------

RENAMED_TITLE = "Update now"
RENAMED_WORDS = "Typed under the renamed title: the panel met on 20 May."
UNTITLED_STATUS = "GREEN"


def calc_renamed_title(cycle: Cycle, lead: str | None = None, out: Path | None = None) -> Path:
    """In LibreOffice Calc the lead unprotects the sheet, retitles "New update" as "Update
    now" (the header cell is locked), protects it again and types RENAMED_WORDS under it on
    their first item."""
    lead = lead or busiest_lead(cycle)
    layout = read_copy(cycle, lead)
    ref = _items(layout, 1)[0]
    edits: list[dict[str, object]] = [
        {"op": "set", "sheet": SHEET_PLAN, "cell": layout.header("new_update"),
         "value": RENAMED_TITLE, "unprotect": True},
        {"op": "type", "sheet": SHEET_PLAN, "cell": layout.cell(ref, "new_update"),
         "value": RENAMED_WORDS},
    ]  # fmt: skip
    return _calc(layout.path, _out(cycle, lead, "calc renamed title", out), edits)


def calc_untitled_status(cycle: Cycle, lead: str | None = None, out: Path | None = None) -> Path:
    """In LibreOffice Calc the lead unprotects the sheet, deletes the "Status" title, protects
    it again and picks UNTITLED_STATUS in their first item's Status."""
    lead = lead or busiest_lead(cycle)
    layout = read_copy(cycle, lead)
    ref = _items(layout, 1)[0]
    edits: list[dict[str, object]] = [
        {"op": "set", "sheet": SHEET_PLAN, "cell": layout.header("status"), "value": None,
         "unprotect": True},
        {"op": "type", "sheet": SHEET_PLAN, "cell": layout.cell(ref, "status"),
         "value": UNTITLED_STATUS},
    ]  # fmt: skip
    return _calc(layout.path, _out(cycle, lead, "calc untitled status", out), edits)
