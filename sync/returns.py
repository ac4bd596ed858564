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
from dataclasses import dataclass, field
from pathlib import Path

from sync.identity import SHEET_IDENTITY, ClaimedIdentity, identity_from_rows
from sync.ledger import LOCKED_FIELDS
from workbook.errors import ActionPlanError
from workbook.lead_copy.columns import (
    CHECK_KEYS,
    COLUMN_TITLE_FIELD,
    CONTEXT_COLUMN_FIELD,
    COPY_COLUMNS,
    EDITABLE_KEYS,
    SHEET_COLUMNS,
)
from workbook.master.sheets import SHEET_PLAN
from workbook.wording import one_line
from workbook.xlsx.cells import Grid, at, cell_text, column_letter, column_number, loose
from workbook.xlsx.numbers import is_date_format, shown, shows_year
from workbook.xlsx.package import PackageFacts, SheetParts, inspect_sheets
from workbook.xlsx.read import UnreadableWorkbook, header_positions, is_sheet, read_grids, sheet

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
    #: answer cells whose value cannot be read as the lead's words: (copy column key, what the
    #: cell holds as shown, why); the field is read as blank and the receipt says why
    unreadable: tuple[tuple[str, str, str], ...] = ()


@dataclass(frozen=True)
class Untaken:
    """Text in a return where the merge does not read it: named on the receipt, never lost in
    silence."""

    sheet: str
    cell: str  # e.g. "L12"
    text: str  # as shown (a formula as "=...")
    place: str  # where it is, in words: "a column with no title", "a comment", ...
    advice: str  # where it should go


@dataclass(frozen=True)
class ReturnedCopy:
    """A return as read, its identity not yet checked."""

    name: str  # the file name, as the lead sent it
    sha256: str
    claimed: ClaimedIdentity
    rows: tuple[ReturnedRow, ...]
    #: refs that appear on more than one row: which one the lead meant cannot be known
    duplicate_refs: tuple[str, ...] = ()
    #: text typed where the merge does not read: other columns and sheets, comments, rows
    #: without a ref
    untaken: tuple[Untaken, ...] = ()
    #: refs whose row's answers were moved there from another row (a sort of the answer
    #: columns): none of them is read
    moved_refs: tuple[str, ...] = ()
    #: when the workbook was last saved, by its own record (docProps/core.xml, which Excel and
    #: LibreOffice write at each save; naive, as the program wrote it); None when it keeps none
    saved_at: dt.datetime | None = None
    #: the plan's title as the copy shows it (its first line, above the header)
    title: str = ""
    #: each copy column's title as the copy showed it (the document's own, else ours), by key
    titles: Mapping[str, str] = field(default_factory=dict)


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
    facts = _check_container(path, data)
    try:
        _, sheets = read_grids(data)
    except UnreadableWorkbook as e:  # anything the reader cannot parse is a damaged file
        raise ReturnError(
            f"{shown}: damaged or not a workbook ({str(e).partition(':')[0]}); ask the lead to "
            "open it in Excel, save it again as .xlsx and resend it"
        ) from e
    return returned_copy(
        sheets, name=path.name, sha256=hashlib.sha256(data).hexdigest(), facts=facts
    )


def lead_copy_identity(path: Path) -> ClaimedIdentity | None:
    """The identity a lead's copy claims, when the workbook at `path` is one (it has the copy's
    identity sheet); None for anything else, a master included - or a file that cannot be read,
    which the caller's own reading then reports."""
    try:
        _, grids = read_grids(Path(path).read_bytes(), wanted=(SHEET_IDENTITY,))
    except (OSError, UnreadableWorkbook):
        return None
    grid = sheet(grids, SHEET_IDENTITY)
    return identity_from_rows(grid) if grid is not None else None


#: Every column of the copy's sheet, by key, and the titles the reader knows.
_SHEET_TITLES = {c.key: c.title for c in SHEET_COLUMNS}
#: What a typed "=..." is said to be on a receipt.
FORMULA_NOTE = (
    "the cell holds a formula, not words (was it typed starting with '='?); type it as plain "
    "text, or start it with an apostrophe, and send the copy again"
)
NO_YEAR_NOTE = (
    "Excel made a date of it that shows no year; type the month and year, like Jun 2024, and "
    "send the copy again"
)


def returned_copy(
    sheets: Mapping[str, Grid],
    *,
    name: str,
    sha256: str,
    facts: PackageFacts | None = None,
) -> ReturnedCopy:
    """The pure reading of a return's sheets (grids of cell values) and of what its parts say
    beyond values (`facts`: formulas, number formats, comments, save time)."""
    facts = facts or PackageFacts()
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
            f"{name}: the '{SHEET_PLAN}' sheet has lost its header row (no row holds the "
            f"titles {', '.join(repr(c.title) for c in COPY_COLUMNS[:3])} ...); ask the lead "
            "to fill in a fresh copy"
        )
    own = issued_titles(identity_grid)
    columns = _columns(grid[header], own)
    missing = [own.get(c.key, c.title) for c in COPY_COLUMNS if c.key not in columns]
    if missing:
        raise ReturnError(f"{name}: {_missing_titles(grid[header], columns, missing)}")
    parts = facts.sheet(SHEET_PLAN)
    claimed = identity_from_rows(identity_grid)
    issued_refs = frozenset(claimed.identity.refs) if claimed.identity else None
    context = frozenset(
        loose(at(row, 1)) for row in identity_grid if cell_text(at(row, 0)) == CONTEXT_COLUMN_FIELD
    )
    reading = _PlanReading(grid, header, columns, parts, issued_refs, context)
    rows = reading.rows()
    untaken = [
        *reading.untaken,
        *_other_sheets(sheets, grid),
        *_comments(facts),
    ]
    duplicates = reading.duplicates
    return ReturnedCopy(
        name=name,
        sha256=sha256,
        claimed=claimed,
        rows=tuple(r for r in rows if r.ref not in duplicates and r.ref not in reading.moved),
        duplicate_refs=tuple(duplicates),
        untaken=tuple(untaken),
        moved_refs=tuple(r for r in reading.moved if r not in duplicates),
        saved_at=facts.saved_at,
        title=next((t for row in grid[:header] if (t := cell_text(at(row, 0)).strip())), ""),
        titles={c.key: own.get(c.key, c.title) for c in SHEET_COLUMNS},
    )


class _PlanReading:
    """The `Action Plan` sheet read under its header row: the rows by ref, and what was typed
    where the merge does not read."""

    def __init__(
        self,
        grid: Grid,
        header: int,
        columns: Mapping[str, int],
        parts: SheetParts,
        issued_refs: frozenset[str] | None,
        context: frozenset[str] = frozenset(),
    ) -> None:
        self.grid, self.header, self.columns, self.parts = grid, header, columns, parts
        #: titles (loose) of the document's own columns the copy shows for context, locked
        self.context = context
        #: the refs the copy says it was issued with (None when it cannot say): a row whose
        #: ref is not one of them was renamed, not sorted, and is reported as not the lead's
        self.issued_refs = issued_refs
        self.untaken: list[Untaken] = []
        self.duplicates: list[str] = []
        self.moved: list[str] = []

    def text(self, r: int, i: int) -> str:
        """Cell (0-based row r, column i) as the lead saw it: a formula as its text."""
        formula = self.parts.formulas.get((r + 1, i + 1))
        if formula is not None:
            return f"={formula}"
        value = at(self.grid[r], i)
        code = self.parts.number_formats.get((r + 1, i + 1))
        return shown(value, code) if code else typed_text(value)

    def rows(self) -> list[ReturnedRow]:
        columns = self.columns
        titles = self.grid[self.header]
        ours = set(columns.values()) | {
            i for i, title in enumerate(titles) if loose(title) and loose(title) in self.context
        }
        out: list[ReturnedRow] = []
        seen: set[str] = set()
        for r in range(len(self.grid)):
            row = self.grid[r]
            for i in range(len(row)):
                if i not in ours and r != self.header and self._typed(r, i):
                    title = cell_text(at(titles, i)).strip()
                    place = (
                        f"a column titled {one_line(title, 40)!r}"
                        if title
                        else ("a column with no title")
                    )
                    self._untaken(r, i, place, _ADVICE_COLUMN)
        for r in range(self.header + 1, len(self.grid)):
            cells = {key: self.text(r, i) for key, i in columns.items()}
            ref = cells["ref"].strip()
            if not ref:
                typed = [i for k, i in columns.items() if k in EDITABLE_KEYS and self._typed(r, i)]
                if typed:  # one place: the row's answers, together
                    text = " / ".join(self.text(r, i) for i in typed)
                    cell = f"{column_letter(typed[0] + 1)}{r + 1}"
                    self.untaken.append(
                        Untaken(SHEET_PLAN, cell, text, "a row with no ref", _ADVICE_NO_REF)
                    )
                continue
            answered = any(cells[k].strip() for k in EDITABLE_KEYS)
            if not answered and not any(cells[k].strip() for k in LOCKED_FIELDS):
                continue  # a section row
            if ref in seen:
                if ref not in self.duplicates:
                    self.duplicates.append(ref)
                continue
            seen.add(ref)
            checks = [cells[k].strip() for k in CHECK_KEYS if k in columns]
            issued_here = self.issued_refs is None or ref in self.issued_refs
            # a sort moves another item's ref into a check; a blank one (a merged cell, a
            # cleared one) is no sign of a sort
            shifted = any(check and check != ref for check in checks)
            if issued_here and shifted and ref not in self.moved:
                self.moved.append(ref)
            out.append(self._row(r, ref, cells))
        return out

    def _row(self, r: int, ref: str, cells: Mapping[str, str]) -> ReturnedRow:
        unreadable: list[tuple[str, str, str]] = []
        answers = {}
        for key in EDITABLE_KEYS:
            i = self.columns[key]
            where = (r + 1, i + 1)
            if where in self.parts.formulas:
                unreadable.append((key, cells[key], FORMULA_NOTE))
                answers[key] = ""
            elif (code := self.parts.number_formats.get(where)) and (
                is_date_format(code) and not shows_year(code)
            ):
                unreadable.append((key, cells[key], NO_YEAR_NOTE))
                answers[key] = ""
            else:
                answers[key] = cells[key]
        return ReturnedRow(
            ref=ref,
            excel_row=r + 1,
            status=answers["status"],
            new_update=answers["new_update"],
            proposed_timescale=answers["proposed_timescale"],
            locked={k: cells[k] for k in LOCKED_FIELDS},
            unreadable=tuple(unreadable),
        )

    def _typed(self, r: int, i: int) -> bool:
        return (r + 1, i + 1) in self.parts.formulas or bool(cell_text(at(self.grid[r], i)).strip())

    def _untaken(self, r: int, i: int, place: str, advice: str) -> None:
        cell = f"{column_letter(i + 1)}{r + 1}"
        self.untaken.append(Untaken(SHEET_PLAN, cell, self.text(r, i), place, advice))


_ADVICE_COLUMN = (
    "the merge reads only Status, New update and Proposed time-scale; put it in New update"
)
_ADVICE_NO_REF = "type it on your item's row"
_ADVICE_SHEET = f"the merge reads only the '{SHEET_PLAN}' sheet; type it there"
_ADVICE_COMMENT = "comments are not read; type it in New update"


def _other_sheets(sheets: Mapping[str, Grid], plan: Grid) -> list[Untaken]:
    """Text on sheets other than the plan's (a copied sheet, a sheet the lead added) that is not
    simply the plan sheet's own text in the same cell."""
    out = []
    for title, grid in sheets.items():
        if is_sheet(title, SHEET_PLAN) or is_sheet(title, SHEET_IDENTITY):
            continue
        for r, row in enumerate(grid):
            for i, value in enumerate(row):
                text = typed_text(value)
                if not text.strip():
                    continue
                if r < len(plan) and loose(text) == loose(typed_text(at(plan[r], i))):
                    continue
                cell = f"{column_letter(i + 1)}{r + 1}"
                out.append(Untaken(title, cell, text, f"the sheet {title!r}", _ADVICE_SHEET))
    return out


def _comments(facts: PackageFacts) -> list[Untaken]:
    out = []
    for title, parts in facts.sheets.items():
        if is_sheet(title, SHEET_IDENTITY):
            continue
        for (row, column), text in sorted(parts.comments.items()):
            cell = f"{column_letter(column)}{row}"
            out.append(Untaken(title, cell, text, "a comment", _ADVICE_COMMENT))
    return out


def _find_header(grid: Grid) -> int | None:
    """0-based index of the copy's header row: the first row holding the titles of at least
    three of the copy's columns, Ref among them (a lead may have inserted columns, or renamed
    or cleared a title, which is then named)."""
    wanted = {loose(c.title) for c in COPY_COLUMNS}
    ref = loose(COPY_COLUMNS[0].title)
    for r, row in enumerate(grid):
        titles = {loose(v) for v in row}
        if ref in titles and len(wanted & titles) >= 3:
            return r
    return None


def _columns(header_row: Sequence[object], own: Mapping[str, str]) -> dict[str, int]:
    """Each copy column (and ref check) by the title it was issued with - ours, or the
    document's own (`own`) - (the first column with that title wins)."""
    found = header_positions(header_row)
    titles = {c.key: loose(own.get(c.key, c.title)) for c in SHEET_COLUMNS}
    return {key: found[title] for key, title in titles.items() if title in found}


def issued_titles(identity_grid: Grid) -> dict[str, str]:
    """The document's own titles the copy was issued with, by copy column key."""
    out = {}
    for row in identity_grid:
        key, sep, title = cell_text(at(row, 1)).partition(" = ")
        if cell_text(at(row, 0)) == COLUMN_TITLE_FIELD and sep:
            out[key.strip()] = title
    return out


def _missing_titles(
    header: Sequence[object], columns: Mapping[str, int], missing: list[str]
) -> str:
    """One line naming the copy's column titles the header row lacks, and the titles it has
    that the copy never had (a renamed title), with what to do."""
    known = {loose(t) for t in _SHEET_TITLES.values()}
    strange = [
        one_line(cell_text(v), 40) for v in header if cell_text(v).strip() and loose(v) not in known
    ]
    names = " or ".join(repr(m) for m in missing)
    seen = f" (it has {', '.join(repr(t) for t in strange[:3])} instead)" if strange else ""
    put_back = (
        "those titles back above their columns"
        if len(missing) > 1
        else ("that title back above its column")
    )
    return (
        f"the '{SHEET_PLAN}' sheet has no column titled {names}{seen}; ask the lead to put "
        f"{put_back}, or fill in a fresh copy"
    )


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


def _check_container(path: Path, data: bytes) -> PackageFacts:
    """Refuse a file that is not a workbook a reader can safely open, saying why in one line;
    for one that is, what its parts say beyond cell values (formulas, number formats, comments,
    save time). The zip is opened once for all of it."""
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


def _check_members(shown: str, z: zipfile.ZipFile) -> PackageFacts:
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
    return inspect_sheets(z, unpacked=_unpack_worksheets(shown, z, names))


#: The reader holds a sheet as a dense grid up to its furthest cell, so one cell at XFD1048576 in
#: a 9 KB file would ask for half a terabyte and kill the process. Copies are a few columns wide
#: and, at most, thousands of rows long; these limits are far above that.
MAX_RETURN_ROWS = 200_000
MAX_RETURN_COLUMNS = 200
# Any spelling calamine accepts: either quote, spaces around "=", leading zeros, any number of
# letters and digits (a narrower pattern lets a far cell through to the reader). Only references
# that could pass the limits are picked out, so a sheet of ordinary cells yields none: a row of
# six or more digits, a column of two or more letters.
_FAR_ROW = re.compile(
    rb"<(?:[A-Za-z_][\w.-]*:)?(?:c|row)\b[^>]*?\br\s*=\s*[\"']\s*[A-Za-z]*\$?0*([1-9][0-9]{5,})"
)
_CELL_REF = re.compile(
    rb"<(?:[A-Za-z_][\w.-]*:)?(?:c|row)\b[^>]*?\br\s*=\s*[\"']\s*([A-Za-z]*)\$?([0-9]+)\s*[\"']"
)
_FAR_COLUMN = re.compile(
    rb"<(?:[A-Za-z_][\w.-]*:)?c\b[^>]*?\br\s*=\s*[\"']\s*([A-Za-z]{2,})\$?[0-9]"
)


def _unpack_worksheets(shown: str, z: zipfile.ZipFile, names: set[str]) -> dict[str, bytes]:
    """Each worksheet's XML, unpacked once for the checks and the package facts: refused when
    the workbook unpacks to far more than any copy (read in chunks and never past what a real
    copy could unpack to: a zip can lie about its sizes), or when a sheet reaches further than
    any copy could, before the reader allocates a grid that size."""
    budget = MAX_UNPACKED_BYTES
    out: dict[str, bytes] = {}
    for member in sorted(names):
        if not (member.startswith("xl/worksheets/") and member.endswith(".xml")):
            continue
        chunks = []
        try:
            with z.open(member) as fh:
                while chunk := fh.read(_CHUNK):
                    budget -= len(chunk)
                    if budget < 0:
                        raise ReturnError(
                            f"{shown}: unpacks to far more than any copy, so it is not one; "
                            "ask the lead to fill in the copy they were sent"
                        )
                    chunks.append(chunk)
        except (zipfile.BadZipFile, zlib.error, EOFError, ValueError):
            raise ReturnError(
                f"{shown}: damaged or not a workbook (a part of it cannot be unpacked); ask "
                "the lead to open it in Excel, save it again as .xlsx and resend it"
            ) from None
        xml = out[member] = b"".join(chunks)
        rows = max((int(r) for r in _FAR_ROW.findall(xml)), default=0)
        cols = max((column_number(c.decode()) for c in set(_FAR_COLUMN.findall(xml))), default=0)
        if rows > MAX_RETURN_ROWS or cols > MAX_RETURN_COLUMNS:
            refs = _CELL_REF.findall(xml)  # the whole extent, for the message
            rows = max((int(r) for _, r in refs), default=rows)
            cols = max((column_number(c) for c in {c.decode() for c, _ in refs if c}), default=cols)
            raise ReturnError(
                f"{shown}: a sheet reaches row {rows:,}, column {cols:,}, far beyond "
                "any copy; ask the lead to fill in the copy they were sent"
            )
    return out


_CHUNK = 1 << 20


def typed_text(value: object) -> str:
    """What a lead typed in a cell, as text; a cell Excel turned into a date is given back as a
    person would write a time-scale."""
    if isinstance(value, dt.datetime | dt.date):
        # Excel turns a typed "Jun 2024" or "30/06/24" into a date; give it back as a person
        # would write a time-scale, without inventing a day they did not type
        day = value.day if value.day != 1 else None
        return f"{day} {value:%b %Y}" if day else f"{value:%b %Y}"
    return cell_text(value)
