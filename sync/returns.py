"""Reading a returned copy: its claimed identity and, per ref, what the lead typed.

Returns are read with python-calamine (values only, never evaluated, never re-saved). Rows are found
by ref and columns by title, so a lead who sorted, filtered, inserted rows or added columns still
returns a readable copy. `returned_copy` is the pure core; `read_return` checks the file first and
turns every way it can be unreadable into one line a person can act on.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
import zipfile
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from sync.identity import SHEET_IDENTITY, ClaimedIdentity, identity_from_rows
from sync.ledger import LOCKED_FIELDS
from workbook.errors import ActionPlanError
from workbook.lead_copy.columns import COPY_COLUMNS, EDITABLE_KEYS
from workbook.master.sheets import SHEET_PLAN
from workbook.xlsx.cells import Grid, at, cell_text, loose
from workbook.xlsx.read import UnreadableWorkbook, header_positions, read_grids, sheet

#: Larger than any copy we issue by far; a bigger file is not a return (or is a zip bomb).
MAX_RETURN_BYTES = 50 * 1024 * 1024
MAX_UNPACKED_BYTES = 500 * 1024 * 1024

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = b"PK\x03\x04"


class ReturnError(ActionPlanError):
    """A returned file that cannot be read as one of our copies; rejected whole."""


@dataclass(frozen=True)
class ReturnedRow:
    """What a returned copy holds for one ref."""

    ref: str
    excel_row: int
    status: str  # as typed, not yet normalised
    new_update: str
    proposed_timescale: str
    locked: Mapping[str, str]  # the locked plan columns' texts, to spot edits to them
    #: editable columns holding a formula with no value saved (so no text to read): reported,
    #: never dropped in silence
    blank_formulas: tuple[str, ...] = ()


@dataclass(frozen=True)
class ReturnedCopy:
    """A return as read, its identity not yet checked."""

    name: str  # the file name, as the lead sent it
    sha256: str
    claimed: ClaimedIdentity
    rows: tuple[ReturnedRow, ...]
    #: refs that appear on more than one row: which one the lead meant cannot be known
    duplicate_refs: tuple[str, ...] = ()
    #: rows with something typed in an editable column but no ref to tell whose item it is
    rows_without_ref: tuple[int, ...] = ()


def display_name(name: str) -> str:
    """A file name as it may appear in one line of output: line breaks and other control
    characters (legal in names on Linux and macOS) shown as escapes, so a name cannot split a
    line or forge one."""
    if name.isprintable():
        return name
    return "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in name)


def read_return(path: Path) -> ReturnedCopy:
    """Read a returned copy, or raise ReturnError saying in one line why it cannot be."""
    shown = display_name(Path(path).name)
    path = Path(path)
    data = _read_bytes(path)
    blank_formulas = _check_container(path, data)
    try:
        _, sheets = read_grids(data, (SHEET_PLAN, SHEET_IDENTITY))
    except UnreadableWorkbook as e:  # anything the reader cannot parse is a damaged file
        raise ReturnError(
            f"{shown}: damaged or not a workbook ({str(e).partition(':')[0]}); ask the lead to "
            "open it in Excel, save it again as .xlsx and resend it"
        ) from e
    return returned_copy(
        sheets,
        name=path.name,
        sha256=hashlib.sha256(data).hexdigest(),
        blank_formulas=blank_formulas,
    )


def returned_copy(
    sheets: Mapping[str, Grid],
    *,
    name: str,
    sha256: str,
    blank_formulas: frozenset[tuple[int, int]] = frozenset(),
) -> ReturnedCopy:
    """The pure reading of a return's sheets (grids of cell values); `blank_formulas` are the
    (row, column), 1-based, of `Action Plan` cells holding a formula with no value saved."""
    identity_grid = sheet(sheets, SHEET_IDENTITY)
    if identity_grid is None:
        raise ReturnError(
            f"{name}: not an actionplan copy (it has no identity); only the copies made by "
            "`actionplan issue` can be merged - ask the lead to fill in the copy they were sent"
        )
    grid = sheet(sheets, SHEET_PLAN)
    if grid is None:
        raise ReturnError(
            f"{name}: has no '{SHEET_PLAN}' sheet; ask the lead to rename the sheet back to "
            f"'{SHEET_PLAN}' and resend it"
        )
    header = _find_header(grid)
    if header is None:
        raise ReturnError(
            f"{name}: the '{SHEET_PLAN}' sheet has lost its header row ('Ref' ... 'Action'); ask "
            "the lead to fill in a fresh copy"
        )
    columns = _columns(grid[header])
    missing = [c.title for c in COPY_COLUMNS if c.key not in columns]
    if missing:
        raise ReturnError(
            f"{name}: the '{SHEET_PLAN}' sheet has no column titled "
            f"{', '.join(repr(m) for m in missing)}; ask the lead to restore the column titles "
            "or fill in a fresh copy"
        )
    rows: list[ReturnedRow] = []
    seen: dict[str, int] = {}
    duplicates: list[str] = []
    without_ref: list[int] = []
    for r in range(header + 1, len(grid)):
        cells = {key: typed_text(at(grid[r], i)) for key, i in columns.items()}
        ref = cells["ref"].strip()
        typed = any(cells[k].strip() for k in ("new_update", "proposed_timescale"))
        if not ref:
            if typed:
                without_ref.append(r + 1)
            continue
        formula_here = any((r + 1, i + 1) in blank_formulas for i in columns.values())
        if not any(v.strip() for k, v in cells.items() if k != "ref") and not formula_here:
            continue  # a section row
        if ref in seen:
            if ref not in duplicates:
                duplicates.append(ref)
            continue
        seen[ref] = r + 1
        rows.append(
            ReturnedRow(
                ref=ref,
                excel_row=r + 1,
                status=cells["status"],
                new_update=cells["new_update"],
                proposed_timescale=cells["proposed_timescale"],
                locked={k: cells[k] for k in LOCKED_FIELDS},
                blank_formulas=tuple(
                    key
                    for key in EDITABLE_KEYS
                    if not cells[key].strip() and (r + 1, columns[key] + 1) in blank_formulas
                ),
            )
        )
    return ReturnedCopy(
        name=name,
        sha256=sha256,
        claimed=identity_from_rows(identity_grid),
        rows=tuple(r for r in rows if r.ref not in duplicates),
        duplicate_refs=tuple(duplicates),
        rows_without_ref=tuple(without_ref),
    )


def _find_header(grid: Grid) -> int | None:
    """0-based index of the copy's header row: the first row with the titles of Ref, Action,
    Status and New update in any columns (a lead may have inserted columns before them)."""
    wanted = {c.title.casefold() for c in COPY_COLUMNS if c.key in _HEADER_KEYS}
    for r, row in enumerate(grid):
        titles = {loose(v) for v in row}
        if wanted <= titles:
            return r
    return None


_HEADER_KEYS = ("ref", "actions", "status", "new_update")


def _columns(header_row: Sequence[object]) -> dict[str, int]:
    """Each copy column by its title (the first column with that title wins)."""
    found = header_positions(header_row)
    return {c.key: found[loose(c.title)] for c in COPY_COLUMNS if loose(c.title) in found}


def _read_bytes(path: Path) -> bytes:
    shown = display_name(Path(path).name)
    if not path.exists():
        raise ReturnError(f"{display_name(str(path))}: no such file; check the path")
    if not path.is_file():
        raise ReturnError(
            f"{display_name(str(path))}: is a folder; give the returned .xlsx files, or "
            "--returns DIR"
        )
    size = path.stat().st_size
    if size == 0:
        raise ReturnError(f"{shown}: the file is empty; ask the lead to send it again")
    if size > MAX_RETURN_BYTES:
        raise ReturnError(
            f"{shown}: {size // (1024 * 1024)} MB is far larger than any copy; it is not a "
            "returned copy - ask the lead to send the copy they were given"
        )
    return path.read_bytes()


def _check_container(path: Path, data: bytes) -> frozenset[tuple[int, int]]:
    """Refuse a file that is not a workbook a reader can safely open, saying why in one line;
    for one that is, the `Action Plan` cells holding a formula with no saved value. The zip is
    opened once for all of it."""
    shown = display_name(Path(path).name)
    if data.startswith(_OLE_MAGIC):
        if "EncryptionInfo".encode("utf-16-le") in data:
            raise ReturnError(
                f"{shown}: the file is password-protected; ask the lead to remove the "
                "password (File > Info > Protect Workbook) and resend it"
            )
        raise ReturnError(
            f"{shown}: an old-style .xls workbook; ask the lead to save it as "
            "'Excel Workbook (*.xlsx)' and resend it"
        )
    if not data.startswith(_ZIP_MAGIC):
        raise ReturnError(
            f"{shown}: not an .xlsx workbook; ask the lead to save it as "
            "'Excel Workbook (*.xlsx)' and resend it"
        )
    try:
        z = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise ReturnError(
            f"{shown}: the file is incomplete or damaged (cut short in transfer?); ask the "
            "lead to send it again"
        ) from None
    with z:
        return _check_members(shown, z)


def _check_members(shown: str, z: zipfile.ZipFile) -> frozenset[tuple[int, int]]:
    names = set(z.namelist())
    unpacked = sum(i.file_size for i in z.infolist())
    if "xl/workbook.xml" not in names:
        kind = "an OpenDocument (.ods) file" if "content.xml" in names else "not an .xlsx workbook"
        raise ReturnError(
            f"{shown}: {kind}; ask the lead to save it as 'Excel Workbook (*.xlsx)' and resend it"
        )
    if unpacked > MAX_UNPACKED_BYTES:
        raise ReturnError(
            f"{shown}: unpacks to {unpacked // (1024 * 1024)} MB, far more than any copy, so it "
            "is not one; ask the lead to fill in the copy they were sent"
        )
    _check_extent(shown, z, names)
    return _blank_formulas(z)


#: The reader holds a sheet as a dense grid up to its furthest cell, so one cell at XFD1048576 in
#: a 9 KB file would ask for half a terabyte and kill the process. Copies are a few columns wide
#: and, at most, thousands of rows long; these limits are far above that.
MAX_RETURN_ROWS = 200_000
MAX_RETURN_COLUMNS = 200
# Any spelling calamine accepts: either quote, spaces around "=", leading zeros, any number of
# letters and digits (a narrower pattern lets a far cell through to the reader)
_CELL_REF = re.compile(
    rb"<(?:[A-Za-z_][\w.-]*:)?(?:c|row)\b[^>]*?\br\s*=\s*[\"']\s*([A-Za-z]*)\$?([0-9]+)\s*[\"']"
)


def _check_extent(shown: str, z: zipfile.ZipFile, names: set[str]) -> None:
    """Refuse a workbook whose sheets reach further than any copy could, before the reader
    allocates a grid that size: the furthest cell of each worksheet, from its XML, read in
    chunks and never past what a real copy could unpack to (a zip can lie about its sizes)."""
    budget = MAX_UNPACKED_BYTES
    for member in sorted(names):
        if not (member.startswith("xl/worksheets/") and member.endswith(".xml")):
            continue
        rows = cols = 0
        tail = b""
        try:
            with z.open(member) as fh:
                while chunk := fh.read(_CHUNK):
                    budget -= len(chunk)
                    if budget < 0:
                        raise ReturnError(
                            f"{shown}: unpacks to far more than any copy, so it is not one; "
                            "ask the lead to fill in the copy they were sent"
                        )
                    # a cell reference cut by the chunk boundary is found in the overlap;
                    # distinct values first: a sheet repeats its few columns on every row
                    refs = _CELL_REF.findall(tail + chunk)
                    letters = {col.upper() for col, _ in refs if col}
                    rows = max(rows, *(int(r) for r in {r for _, r in refs}), 0)
                    cols = max(cols, *(_column_number(col) for col in letters), 0)
                    tail = chunk[-_OVERLAP:]
        except (zipfile.BadZipFile, zlib.error, EOFError, ValueError):
            raise ReturnError(
                f"{shown}: damaged or not a workbook (a part of it cannot be unpacked); ask "
                "the lead to open it in Excel, save it again as .xlsx and resend it"
            ) from None
        if rows > MAX_RETURN_ROWS or cols > MAX_RETURN_COLUMNS:
            raise ReturnError(
                f"{shown}: a sheet reaches row {rows:,}, column {cols:,}, far beyond "
                "any copy; ask the lead to fill in the copy they were sent"
            )


_CHUNK = 1 << 20
_OVERLAP = 256


_CELL = re.compile(rb"<(?:\w+:)?c\b([^>]*?)(?:/>|>(.*?)</(?:\w+:)?c>)", re.DOTALL)
_REF = re.compile(rb"\br\s*=\s*[\"']\s*([A-Za-z]+)\$?([0-9]+)")
_FORMULA = re.compile(rb"<(?:\w+:)?f\b")
_VALUE = re.compile(rb"<(?:\w+:)?v>\s*[^<\s]")


def _blank_formulas(z: zipfile.ZipFile) -> frozenset[tuple[int, int]]:
    """(row, column) of `Action Plan` cells that hold a formula but no saved value: a lead who
    typed "=..." and a program that saved no result leave the reader nothing, so the merge says
    so rather than see an empty cell."""
    try:
        part = _sheet_part(z, SHEET_PLAN)
        xml = z.read(part) if part else b""
    except (KeyError, zipfile.BadZipFile, zlib.error, EOFError, ValueError):
        return frozenset()
    if not _FORMULA.search(xml):
        return frozenset()  # the usual case: a copy holds no formulas at all
    found = set()
    for m in _CELL.finditer(xml):
        inner = m[2] or b""
        ref = _REF.search(m[1])
        if ref and _FORMULA.search(inner) and not _VALUE.search(inner):
            found.add((int(ref[2]), _column_number(ref[1].upper())))
    return frozenset(found)


def _sheet_part(z: zipfile.ZipFile, title: str) -> str | None:
    """The zip member holding the sheet called `title` (any case), through workbook.xml."""
    book = z.read("xl/workbook.xml").decode("utf-8", "replace")
    rels = z.read("xl/_rels/workbook.xml.rels").decode("utf-8", "replace")
    for m in re.finditer(r"<(?:\w+:)?sheet\b([^>]*)/?>", book):
        attrs = dict(re.findall(r'([\w:]+)\s*=\s*"([^"]*)"', m[1]))
        if attrs.get("name", "").strip().casefold() != title.casefold():
            continue
        rid = next((v for k, v in attrs.items() if k.endswith(":id")), "")
        target = re.search(
            rf'<Relationship\b[^>]*\bId="{re.escape(rid)}"[^>]*\bTarget="([^"]+)"', rels
        )
        if target is None:
            target = re.search(
                rf'<Relationship\b[^>]*\bTarget="([^"]+)"[^>]*\bId="{re.escape(rid)}"', rels
            )
        if target is None:
            return None
        path = target[1].lstrip("/")
        return path if path.startswith("xl/") else f"xl/{path}"
    return None


def _column_number(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ch - 64
    return n


def typed_text(value: object) -> str:
    """What a lead typed in a cell, as text; a cell Excel turned into a date is given back as a
    person would write a time-scale."""
    if isinstance(value, dt.datetime | dt.date):
        # Excel turns a typed "Jun 2024" or "30/06/24" into a date; give it back as a person
        # would write a time-scale, without inventing a day they did not type
        day = value.day if value.day != 1 else None
        return f"{day} {value:%b %Y}" if day else f"{value:%b %Y}"
    return cell_text(value)
