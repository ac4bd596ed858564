"""A tracker an organisation already keeps as a spreadsheet - an Excel workbook (.xlsx, .xlsm) or a
.csv - read as a plan document, under the same rules as the text export and Word readers.

The header is the first row, within the first `HEADER_ROWS`, whose titles name a finding and two
more roles (`roles.looks_like_header`); the rows above it are title lines (the title, the date, a
RAG key); the rows under it are the table, each cell one paragraph per line of its text, a date
shown as the cell shows it ("30/09/25" through `dd/mm/yy`). One-cell rows after the table's last
row are text below it (a key, a note): kept as import notes or read as the key, never lost. A
workbook's plan is on the sheet `--sheet` names, else on the first sheet that has such a header.

A status given only as a colour - the Status cell empty but filled - is read as the status of the
plan's key whose colour it is (`fill_status`): the nearest, by colour difference, of the shades
people use for each of the key's colours (its own fill, Excel's standard colours, the
Good/Neutral/Bad cell styles, the Office themes' accents), when it is near one and clearly nearer
to it than to any other. A fill that is not - or a theme colour the workbook does not define, or
a whole row shaded alike, which says nothing of the status alone - is left blank and named in an
import note, as is how many statuses were read from colours: a colour is never silently guessed.

A key shown only as coloured cells - a swatch filled red, amber, green with its words beside it
or in it, on rows above the table or below it - is read as key entries by the swatch's colour
(`swatch_key_lines`); statuses coloured only by conditional formatting keyed on the cell's text
("equal to 'Complete'" filled green) give the key when the document writes none
(`ConditionalFill`). What cannot be read (swatches with no words, a formula or a colour scale) is
named in an import note; statuses are then kept as written.

An actionplan master or a lead's copy given as a tracker is refused in one line: it is ours
already.
"""

from __future__ import annotations

import colorsys
import csv
import dataclasses
import functools
import io
import re
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workbook.errors import PlanImportError
from workbook.importers.document import (
    Cell,
    RawDocument,
    RawRow,
    RawText,
    assemble_plan,
    cell_text,
    document_key,
)
from workbook.importers.html import Paragraph, tidy_paragraph
from workbook.importers.roles import find_roles, looks_like_header
from workbook.importers.text import decode
from workbook.master.sheets import SHEET_PLAN, SHEET_SETTINGS
from workbook.plan.model import Plan, Run
from workbook.plan.status import COLOURS, DEFAULT_KEY, RagKey, RagStatus, parse_key
from workbook.wording import count
from workbook.xlsx.numbers import shown
from workbook.xlsx.read import is_sheet

#: Workbooks read as trackers, and text tables.
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")
CSV_SUFFIXES = (".csv", ".tsv")
#: The header is looked for in this many rows from the top.
HEADER_ROWS = 30
#: Columns read from a sheet; a tracker is a few dozen wide at most.
MAX_COLUMNS = 200
#: The delimiters a .csv is tried with, in this order.
DELIMITERS = (",", ";", "\t")
#: A fill whose colour the file does not give in a form that can be read (a theme colour of a
#: workbook that defines no theme).
#: What to do with a .csv that is not readable text (the rest of the line is `text.decode`'s).
UNREADABLE_CSV = "save it from Excel as 'CSV UTF-8 (Comma delimited)' and try again"
UNREADABLE = "unreadable"

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"
_LINE_BREAK = re.compile(r"\r\n|[\r\n\u2028\u2029\x0b]")


@dataclass(frozen=True)
class TrackerCell:
    """One spreadsheet cell: its text as paragraphs, and its fill colour - "RRGGBB" for a solid
    fill, `UNREADABLE` for one whose colour cannot be read, None for none (or white)."""

    paragraphs: Cell = ()
    fill: str | None = None

    @property
    def text(self) -> str:
        return cell_text(self.paragraphs)


#: A sheet row: its 1-based row number, and its cells from column A.
TrackerRow = tuple[int, tuple[TrackerCell, ...]]


def import_tracker_file(
    path: Path, mapping: Mapping[str, str] | None = None, sheet: str | None = None
) -> Plan:
    """The plan kept in a tracker: an .xlsx/.xlsm workbook (its sheet `sheet`, or the first with
    a plan header) or a .csv; `mapping` (role -> column title, `--map`) as for any document."""
    notes: tuple[str, ...] = ()
    conditional: tuple[ConditionalFill, ...] = ()
    if path.suffix.lower() in CSV_SUFFIXES:
        if sheet is not None:
            raise PlanImportError(
                f"{path.name} is a {path.suffix.lower()} file, which has no sheets; leave out "
                "--sheet"
            )
        rows, source = read_csv_rows(path), path.name
    else:
        rows, source, notes, conditional = read_workbook_rows(path, sheet)
    header_at = find_header(rows)
    if header_at is None:  # each reader refuses a file without a header; kept for mypy
        raise PlanImportError(f"{source} has no plan header in its first {HEADER_ROWS} rows")
    doc, colour_notes = tracker_document(rows, header_at, source, mapping, conditional)
    plan = assemble_plan(doc, mapping)
    return dataclasses.replace(plan, notes=(*notes, *plan.notes, *colour_notes))


# --- The table --------------------------------------------------------------------------------


def find_header(rows: Sequence[TrackerRow]) -> int | None:
    """The index in `rows` of the plan's header: the first of the top `HEADER_ROWS` rows whose
    titles name a finding and two more roles."""
    for i, (number, cells) in enumerate(rows):
        if number > HEADER_ROWS:
            break
        if looks_like_header([c.text for c in cells]):
            return i
    return None


def tracker_document(
    rows: Sequence[TrackerRow],
    header_at: int,
    source: str,
    mapping: Mapping[str, str] | None = None,
    conditional: Sequence[ConditionalFill] = (),
) -> tuple[RawDocument, tuple[str, ...]]:
    """The document a tracker's rows hold, the header at `rows[header_at]`, with each status
    given only as a fill colour read by the document's key; and the import notes saying what was
    read from colours and what was not. `conditional` are the sheet's conditional fills: those
    on the status column give the key when the document writes none."""
    header_cells = rows[header_at][1]
    body = rows[header_at + 1 :]
    titles = [" ".join(c.text.split()) for c in header_cells]
    used = {i for _, cells in body for i, c in enumerate(cells) if c.text}
    width = max([i + 1 for i, t in enumerate(titles) if t] + [i + 1 for i in used], default=0)
    # an untitled column with nothing under it is a spacer, not a column of the plan
    columns = [i for i in range(width) if (i < len(titles) and titles[i]) or i in used]
    header = tuple(titles[i] if i < len(titles) else "" for i in columns)

    def cell(cells: tuple[TrackerCell, ...], i: int) -> TrackerCell:
        return cells[i] if i < len(cells) else TrackerCell()

    table = [(n, tuple(cell(cells, i) for i in columns)) for n, cells in body]
    firsts = [cells[0].text if cells else "" for _, cells in table]
    found = find_roles(header, mapping=mapping, source=source, first_column_values=firsts)
    status = found.roles.get("status")
    finding = found.roles["finding"]

    def coloured(cells: tuple[TrackerCell, ...]) -> bool:
        """A Status cell empty but filled, in a row with words in it."""
        return (
            status is not None
            and not cells[status].text
            and cells[status].fill is not None
            and any(c.text for c in cells)
        )

    def in_table(cells: tuple[TrackerCell, ...]) -> bool:
        filled = sum(1 for c in cells if c.text)
        return filled >= 2 or (filled == 1 and coloured(cells))

    last = max((k for k, (_, cells) in enumerate(table) if in_table(cells)), default=-1)
    # one-cell rows after the table's last row are text below it: a key, a note
    swatch_notes: list[str] = []
    above, above_notes = swatch_key_lines(rows[:header_at])
    after, after_notes = swatch_key_lines(table[last + 1 :])
    below = [
        RawText(n, _below_line(after, n, cells))
        for n, cells in table[last + 1 :]
        if any(c.text for c in cells) or n in after
    ]
    title_lines = tuple(
        line
        for n, cells in rows[:header_at]
        for line in ([above[n]] if n in above else _title_lines(cells))
    )
    swatch_notes += [*above_notes, *after_notes]
    key = document_key(RawDocument(source, title_lines, tuple(below)))
    if status is not None and conditional:
        column = columns[status]
        on_status = [c for c in conditional if c.columns[0] <= column <= c.columns[1]]
        lines, cf_notes = _conditional_key(on_status, header[status] or "Status")
        if lines and key == DEFAULT_KEY and parse_key(lines) is not None:
            title_lines = (*title_lines, *lines)
            key = document_key(RawDocument(source, title_lines, tuple(below)))
            swatch_notes.append(
                f"the {header[status]!r} column is coloured by conditional formatting; its rules "
                f"are read as the RAG key ({'; '.join(lines)}) - check it on the RAG key sheet"
            )
        swatch_notes += cf_notes
    readings = _Readings(key, header[status] if status is not None else "")
    raw: list[RawRow | RawText] = []
    for n, cells in table[: last + 1]:
        paragraphs = [c.paragraphs for c in cells]
        if status is not None and coloured(cells):
            code = readings.read(n, cells[status].fill, cells[finding].fill)
            if code:
                paragraphs[status] = ((Run(code),),)
        raw.append(RawRow(n, tuple(paragraphs)))
    doc = RawDocument(source, title_lines, (*raw, *below), header)
    return doc, (*swatch_notes, *readings.notes())


# --- A key shown as coloured cells, or by conditional formatting ------------------------------

#: Every colour a key may name, as a key: what a swatch's or a rule's fill is read as.
_COLOUR_KEY = RagKey(
    tuple(RagStatus(code, code.title(), *COLOURS[code]) for code in COLOURS if code != "WHITE")
)


def _swatch_colour(fill: str | None) -> str:
    """The key colour a swatch's fill is ("Red"), "" when it is none clearly."""
    if fill is None or fill == UNREADABLE:
        return ""
    code = fill_status(fill, _COLOUR_KEY).code
    return code.title() if code else ""


def swatch_key_lines(rows: Sequence[TrackerRow]) -> tuple[dict[int, str], tuple[str, ...]]:
    """Key lines read from rows whose cells are coloured swatches ("Red: Off track", by row
    number), with notes on swatches that carry no words. A swatch is a filled cell of a key
    colour; its words are its own text (unless that is only the colour's name) or the next
    cell's. Rows count only when they hold swatches of two of red, amber and green between them,
    and the first row with words (the title, maybe on a filled banner) is never a swatch."""
    found: dict[int, list[tuple[str, str]]] = {}
    title = next((n for n, cells in rows if any(c.text for c in cells)), None)
    for n, cells in rows:
        if n == title:
            continue
        entries = []
        for k, c in enumerate(cells):
            colour = _swatch_colour(c.fill)
            if not colour:
                continue
            words = c.text if c.text.casefold() != colour.casefold() else ""
            if not words and k + 1 < len(cells) and not _swatch_colour(cells[k + 1].fill):
                words = cells[k + 1].text
            entries.append((colour, words))
        if entries:
            found[n] = entries
    colours = {colour for entries in found.values() for colour, _ in entries}
    if len(colours & {"Red", "Amber", "Green"}) < 2:
        return {}, ()
    lines = {
        n: "; ".join(f"{colour}: {words}" for colour, words in entries if words)
        for n, entries in found.items()
    }
    mute = [colour for entries in found.values() for colour, words in entries if not words]
    notes: tuple[str, ...] = ()
    if mute:
        notes = (
            f"the key is shown as coloured cells, {', '.join(mute)} with no words beside them: "
            "what they mean could not be read - give each its meaning on the RAG key sheet",
        )
    return {n: line for n, line in lines.items() if line}, notes


@dataclass(frozen=True)
class ConditionalFill:
    """A conditional formatting rule of the sheet: the columns it covers (0-based, first and
    last), the cell text it colours ("" when the rule is not keyed on a text that can be read:
    a formula, a colour scale) and its fill ("RRGGBB", or None)."""

    columns: tuple[int, int]
    text: str
    fill: str | None
    kind: str = ""


def _conditional_key(
    rules: Sequence[ConditionalFill], title: str
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Key lines ("Green: Complete") from the status column's conditional fills, and a note on
    rules that could not be read."""
    lines: dict[str, str] = {}
    unread = 0
    for rule in rules:
        colour = _swatch_colour(rule.fill)
        if rule.text and colour:
            lines.setdefault(colour, f"{colour}: {rule.text}")
        else:
            unread += 1
    notes: tuple[str, ...] = ()
    if unread:
        notes = (
            f"the {title!r} column has {count(unread, 'conditional formatting rule')} that could "
            "not be read as a status (a formula, a colour scale, or no fill): the statuses are "
            "kept as written - give the key on the RAG key sheet",
        )
    return tuple(lines.values()), notes


def _below_line(lines: dict[int, str], n: int, cells: tuple[TrackerCell, ...]) -> str:
    """A row below the table as text: the key line its swatches give, else its cells' text."""
    return lines.get(n) or " | ".join(cell_text(c.paragraphs, "\n") for c in cells if c.text)


def _title_lines(cells: tuple[TrackerCell, ...]) -> list[str]:
    """A row above the header as title lines: a one-cell row one line per line of its text
    (a title and its date, a key written down a cell), else its cells on one line, "|" between
    ("Green | Complete")."""
    filled = [c for c in cells if c.text]
    if len(filled) == 1:
        return [cell_text((p,)) for p in filled[0].paragraphs]
    return [" | ".join(c.text for c in filled)] if filled else []


class _Readings:
    """The statuses read from Status cells' fill colours, and the ones that could not be."""

    def __init__(self, key: RagKey, title: str) -> None:
        self.key = key
        self.title = title or "Status"
        self.read_as: dict[str, list[int]] = {}
        self.not_in_key: dict[str, list[int]] = {}
        self.between: dict[tuple[str, ...], list[int]] = {}
        self.row_shading: dict[str, list[int]] = {}
        self.unreadable: list[int] = []

    def read(self, line: int, fill: str | None, row_fill: str | None) -> str:
        """The code an empty Status cell's `fill` means in row `line`, "" when none is read
        (noted); `row_fill` is the fill of the row's finding cell."""
        if fill is None:
            return ""
        reading = fill_status(fill, self.key) if fill != UNREADABLE else FillReading()
        if fill == row_fill:
            # the whole row shaded alike (a heading, banding, a highlight): not the status alone
            if reading.code:
                self.row_shading.setdefault(reading.code, []).append(line)
            return ""
        if fill == UNREADABLE:
            self.unreadable.append(line)
            return ""
        if reading.code:
            self.read_as.setdefault(reading.code, []).append(line)
        elif reading.near:
            self.between.setdefault(reading.near, []).append(line)
        else:
            self.not_in_key.setdefault(fill, []).append(line)
        return reading.code

    def notes(self) -> tuple[str, ...]:
        out = []
        column = f"the {self.title!r} column"
        if self.read_as:
            n = sum(len(lines) for lines in self.read_as.values())
            each = ", ".join(
                f"{len(self.read_as[code])} {code}"
                for code in self.key.codes
                if code in self.read_as
            )
            out.append(
                f"{count(n, 'status', 'statuses')} read from the fill colour of {column} (the "
                f"cell had no words): {each}; check them in the master"
            )
        for colour, lines in self.not_in_key.items():
            out.append(
                f"{_rows(lines)}: {column} is filled #{colour}, not a colour of the RAG key "
                f"({self.key.choices}); left blank - type the status in the master"
            )
        for near, lines in self.between.items():
            out.append(
                f"{_rows(lines)}: the fill of {column} could be {' or '.join(near)}; left blank "
                "- type the status in the master"
            )
        for code, lines in self.row_shading.items():
            out.append(
                f"{_rows(lines)}: the whole row is filled like {code}, not {column} alone; not "
                "read as a status - type it in the master if that is what it meant"
            )
        if self.unreadable:
            out.append(
                f"{_rows(self.unreadable)}: {column} is filled with a theme colour the workbook "
                "does not define; left blank - type the status in the master"
            )
        return tuple(out)


def _rows(lines: list[int]) -> str:
    shown_lines = ", ".join(str(n) for n in lines[:6])
    more = f" and {len(lines) - 6} more" if len(lines) > 6 else ""
    return f"row{'s' if len(lines) > 1 else ''} {shown_lines}{more}"


# --- A status as a colour ------------------------------------------------------------------------

#: The shades people fill a status cell with, by the key colour they mean (besides the key's own
#: fill): Excel's standard colours and its Good/Neutral/Bad cell styles, the Office themes'
#: accents and their lighter tints, Google Sheets' palette. Near-white shades are left out: they
#: are too like each other (and like an unfilled cell) to tell apart.
_SHADES: dict[str, tuple[str, ...]] = {
    "RED": (
        "FF0000", "C00000", "CC0000", "800000", "FFC7CE", "E6B8B7", "FF7C80", "F8696B",
        "EA9999", "E06666", "DA9694",
    ),
    "AMBER": (
        "FFC000", "FFFF00", "FFCC00", "FF9900", "FFEB9C", "ED7D31", "F79646", "F4B084",
        "FABF8F", "FFD966", "FFE699", "F6B26B", "FFEB84", "FFDC6D", "C65911", "BF8F00",
    ),
    "GREEN": (
        "00B050", "92D050", "00FF00", "008000", "C6EFCE", "70AD47", "9BBB59", "A9D08E",
        "C6E0B4", "C4D79B", "548235", "B6D7A8", "93C47D", "6AA84F", "63BE7B", "99CC00",
    ),
    "BLUE": (
        "0070C0", "00B0F0", "0000FF", "002060", "4472C4", "4F81BD", "5B9BD5", "305496",
        "8EA9DB", "9BC2E6", "BDD7EE", "3C78D8", "6FA8DC", "A4C2F4",
    ),
    "GREY": ("A6A6A6", "808080", "7F7F7F", "595959", "BFBFBF", "D9D9D9"),
    "BLACK": ("000000", "0D0D0D", "262626"),
    "PURPLE": ("7030A0", "8064A2", "674EA7", "8E7CC3", "B4A7D6", "CC99FF"),
}  # fmt: skip
#: A fill is read as a status when it is within this colour difference (CIE76 ΔE) of one of its
#: shades - about the difference between Excel's Green and its Light Green - ...
MATCH_DISTANCE = 20.0
#: ... and nearer to that status than to any other by at least this much.
MATCH_MARGIN = 5.0
#: Fills less colourful than this (Lab chroma) are greys, read only as a key's grey or black.
_NEUTRAL_CHROMA = 10.0
#: A fill at least this light and neutral is white: how an unfilled cell looks.
_WHITE_LIGHTNESS = 97.0


@dataclass(frozen=True)
class FillReading:
    """What a fill colour says in a key: the status `code` ("" for none), or when it is near two
    or more statuses alike, those (`near`)."""

    code: str = ""
    near: tuple[str, ...] = ()


def fill_status(colour: str, key: RagKey) -> FillReading:
    """The status of `key` that a cell filled `colour` ("RRGGBB") means: the one with a shade
    within `MATCH_DISTANCE` of it and clearly nearer than any other's; a grey is read only as a
    grey or black status, a colour only as a coloured one, white never."""
    lab = _lab(colour)
    if _is_white(lab):
        return FillReading()
    neutral = _chroma(lab) < _NEUTRAL_CHROMA
    nearest: dict[str, float] = {}
    for entry in key:
        shades = {entry.fill.upper(), *_SHADES.get(entry.code, ())}
        distances = [
            _distance(lab, shade_lab)
            for shade_lab in map(_lab, shades)
            if not _is_white(shade_lab) and (_chroma(shade_lab) < _NEUTRAL_CHROMA) == neutral
        ]
        if distances:
            nearest[entry.code] = min(distances)
    close = sorted((d, code) for code, d in nearest.items() if d <= MATCH_DISTANCE)
    if not close:
        return FillReading()
    best, code = close[0]
    rivals = {c for c, d in nearest.items() if c != code and d < best + MATCH_MARGIN}
    if rivals:
        return FillReading(near=tuple(c for c in key.codes if c in {code, *rivals}))
    return FillReading(code=code)


@functools.lru_cache(maxsize=1024)
def _lab(colour: str) -> tuple[float, float, float]:
    """An "RRGGBB" colour in CIE L*a*b* (D65), where distance is close to difference seen."""

    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(int(colour[i : i + 2], 16) / 255) for i in (0, 2, 4))
    x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047
    y = 0.2126 * r + 0.7152 * g + 0.0722 * b
    z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883

    def f(t: float) -> float:
        return t ** (1 / 3) if t > 0.008856 else 7.787 * t + 16 / 116

    fx, fy, fz = f(x), f(y), f(z)
    return 116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)


def _distance(p: tuple[float, float, float], q: tuple[float, float, float]) -> float:
    return float(sum((a - b) ** 2 for a, b in zip(p, q, strict=True)) ** 0.5)


def _chroma(lab: tuple[float, float, float]) -> float:
    return float((lab[1] ** 2 + lab[2] ** 2) ** 0.5)


def _is_white(lab: tuple[float, float, float]) -> bool:
    return lab[0] >= _WHITE_LIGHTNESS and _chroma(lab) < _NEUTRAL_CHROMA


# --- Cells to paragraphs -------------------------------------------------------------------------


def text_paragraphs(text: str) -> Cell:
    """A cell's text as paragraphs, one per line, spacing tidied, empty lines dropped."""
    return tuple(p for p in (tidy_paragraph([Run(t)]) for t in _LINE_BREAK.split(text)) if p)


def _runs_paragraphs(runs: Sequence[Run]) -> Cell:
    """Rich text as paragraphs, split at its line breaks, italics kept."""
    paragraphs: list[list[Run]] = [[]]
    for run in runs:
        for k, part in enumerate(_LINE_BREAK.split(run.text)):
            if k:
                paragraphs.append([])
            if part:
                paragraphs[-1].append(Run(part, run.italic))
    tidied: list[Paragraph] = [tidy_paragraph(p) for p in paragraphs]
    return tuple(p for p in tidied if p)


# --- .csv ----------------------------------------------------------------------------------------


def read_csv_rows(path: Path) -> list[TrackerRow]:
    """A .csv tracker's rows: UTF-8 (with or without BOM), UTF-16 with BOM, else Windows-1252;
    its delimiter (",", ";" or tab) the one under which a row is a plan header."""
    text = decode(_read_bytes(path), path.name, advice=UNREADABLE_CSV)
    lines = text.split("\n", 1)
    declared = re.fullmatch(r'"?sep=(.)"?\r?', lines[0].strip("\ufeff"))  # Excel's "sep=;" line
    if declared:
        text = lines[1] if len(lines) > 1 else ""
    best: tuple[int, int, list[TrackerRow]] | None = None
    for delimiter in (declared[1],) if declared else DELIMITERS:
        rows = _csv_rows(text, delimiter, path.name)
        at = find_header(rows)
        if at is None:
            continue
        rank = (-at, len([c for c in rows[at][1] if c.text]))
        if best is None or rank > best[:2]:
            best = (*rank, rows)
    if best is None:
        raise PlanImportError(
            f"{path.name} does not look like an action plan: with a comma, semicolon or tab "
            f"between cells, none of its first {HEADER_ROWS} rows is a header naming a finding "
            "column and two more (action, lead, time-scale, update, status); check it is the "
            "plan table with its header row"
        )
    return best[2]


def _csv_rows(text: str, delimiter: str, source: str) -> list[TrackerRow]:
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        return [
            (n, tuple(TrackerCell(text_paragraphs(v)) for v in row))
            for n, row in enumerate(reader, 1)
        ]
    except csv.Error as e:
        raise PlanImportError(
            f"{source} is not a readable .csv ({e}); save it from Excel as 'CSV UTF-8 "
            "(Comma delimited)' and try again"
        ) from None


def _read_bytes(path: Path) -> bytes:
    data = path.read_bytes()
    if not data.strip():
        raise PlanImportError(f"{path.name} is empty; save the tracker again and retry")
    return data


# --- Excel workbooks -----------------------------------------------------------------------------


def read_workbook_rows(
    path: Path, sheet: str | None
) -> tuple[list[TrackerRow], str, tuple[str, ...], tuple[ConditionalFill, ...]]:
    """A workbook tracker's rows - sheet `sheet`, or the first (visible before hidden) with a
    plan header - the source as messages name it, a note naming the sheet when there are
    others, and the sheet's conditional fills."""
    from openpyxl import load_workbook

    data = _read_bytes(path)
    name = path.name
    if data.startswith(_OLE_MAGIC):
        raise PlanImportError(
            f"{name} is password-protected or an old .xls workbook; open it in Excel, remove "
            "any password (File > Info > Protect Workbook), save it as 'Excel Workbook (*.xlsx)' "
            "and import that"
        )
    if not data.startswith(_ZIP_MAGIC):
        raise PlanImportError(
            f"{name} is not an Excel workbook (renamed, or damaged); open it in Excel, save it "
            "as 'Excel Workbook (*.xlsx)' and import that"
        )
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True, rich_text=True)
    except Exception as e:  # whatever openpyxl cannot open is not a workbook we can read
        raise PlanImportError(
            f"{name} could not be read as an Excel workbook ({type(e).__name__}); open it in "
            "Excel, save it again as .xlsx and import that"
        ) from None
    try:
        sheets = list(wb.worksheets)
        _refuse_our_own(name, sheets)
        fills = _Fills(wb)
        titles = ", ".join(repr(ws.title) for ws in sheets)
        if sheet is not None:
            chosen = next((ws for ws in sheets if is_sheet(ws.title, sheet)), None)
            if chosen is None:
                raise PlanImportError(f"{name} has no sheet {sheet!r}; its sheets are: {titles}")
            if find_header(_sheet_rows(chosen, fills, HEADER_ROWS)) is None:
                raise PlanImportError(
                    f"{name}: the sheet {chosen.title!r} has no plan header in its first "
                    f"{HEADER_ROWS} rows (a row naming a finding column and two more, such as "
                    "action, lead, status); its sheets are: " + titles
                )
        else:
            ordered = sorted(sheets, key=lambda ws: ws.sheet_state != "visible")
            chosen = next(
                (ws for ws in ordered if find_header(_sheet_rows(ws, fills, HEADER_ROWS))), None
            )
            if chosen is None:
                raise PlanImportError(
                    f"{name} does not look like an action plan: no sheet has a header naming a "
                    f"finding column and two more (action, lead, status, ...) in its first "
                    f"{HEADER_ROWS} rows; its sheets are: {titles} - give the plan's with --sheet, "
                    "or check its header row"
                )
        rows = _sheet_rows(chosen, fills)
        conditional = _conditional_fills(data, chosen.title, fills)
    finally:
        wb.close()
    if len(sheets) == 1:
        return rows, name, (), conditional
    others = ", ".join(repr(ws.title) for ws in sheets if ws is not chosen)
    how = "as asked" if sheet is not None else "the first with a plan header"
    return (
        rows,
        f"{name}, sheet {chosen.title!r}",
        (f"read the sheet {chosen.title!r} ({how}); not read: {others}",),
        conditional,
    )


_RULE_TEXT = re.compile(r'^=?\s*(?:\$?[A-Z]{1,3}\$?\d+\s*=\s*)?"([^"]+)"\s*$')


def _conditional_fills(data: bytes, title: str, fills: _Fills) -> tuple[ConditionalFill, ...]:
    """The conditional formatting rules of sheet `title` that fill cells, each with the text it
    is keyed on when it is (equal to, contains, begins or ends with a text, or a formula
    comparing the cell with one). Read only when the workbook has any: openpyxl's read-only
    mode does not load them, so the workbook is loaded again in full for them."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        parts = [n for n in z.namelist() if n.startswith("xl/worksheets/") and n.endswith(".xml")]
        if not any(b"<conditionalFormatting" in z.read(n) for n in parts):
            return ()
    from openpyxl import load_workbook
    from openpyxl.utils.cell import range_boundaries

    wb = load_workbook(io.BytesIO(data))
    out: list[ConditionalFill] = []
    for cf in wb[title].conditional_formatting:
        spans = []
        for part in str(cf.sqref).split():
            first, _, last, _ = range_boundaries(part)
            spans.append(((first or 1) - 1, (last or MAX_COLUMNS) - 1))
        for rule in cf.rules:
            fill = getattr(getattr(rule, "dxf", None), "fill", None)
            colour = fills.of_dxf(fill) if fill is not None else None
            text = ""
            if rule.type in ("containsText", "beginsWith", "endsWith") and rule.text:
                text = str(rule.text)
            elif rule.type in ("cellIs", "expression") and rule.formula:
                equal = rule.type == "expression" or rule.operator == "equal"
                m = _RULE_TEXT.match(str(rule.formula[0])) if equal else None
                text = m[1] if m else ""
            out.extend(ConditionalFill(span, text.strip(), colour, rule.type) for span in spans)
    return tuple(out)


def _refuse_our_own(name: str, sheets: Sequence[Any]) -> None:
    """An actionplan master, or a lead's copy, is not a tracker to import."""
    titles = [ws.title for ws in sheets]
    if not any(is_sheet(t, SHEET_PLAN) for t in titles):
        return
    if any(is_sheet(t, SHEET_SETTINGS) for t in titles):
        raise PlanImportError(
            f"{name} is already an actionplan master (it has our {SHEET_PLAN!r} and "
            f"{SHEET_SETTINGS!r} sheets); use it as it is, or import the plan it was made from"
        )
    if any(ws.sheet_state == "veryHidden" for ws in sheets):
        raise PlanImportError(
            f"{name} is a lead's copy issued by actionplan, not a plan; merge it into its master "
            "with `actionplan merge MASTER " + name + "`"
        )


def _sheet_rows(ws: Any, fills: _Fills, limit: int | None = None) -> list[TrackerRow]:
    """The sheet's rows with anything in them (the first `limit` rows, or all), each cell's text
    and fill; cells past the last one with either, and past `MAX_COLUMNS`, are left off."""
    # Some writers record "A1" as the size of any sheet, and a stray formatted cell far down makes
    # the recorded size huge: rows are read as the sheet's XML holds them, never padded to a size.
    ws.reset_dimensions()
    out: list[TrackerRow] = []
    for n, row in enumerate(ws.iter_rows(min_row=1, max_row=limit), 1):
        cells = [_cell(c, fills) for c in row[:MAX_COLUMNS]]
        while cells and not cells[-1].paragraphs and cells[-1].fill is None:
            cells.pop()
        if cells:
            out.append((n, tuple(cells)))
    return out


def _cell(c: Any, fills: _Fills) -> TrackerCell:
    value = c.value
    if value is None:
        paragraphs: Cell = ()
    elif isinstance(value, str):
        paragraphs = text_paragraphs(value)
    elif hasattr(value, "__iter__"):  # rich text: TextBlocks and plain strings
        paragraphs = _runs_paragraphs([_run(part) for part in value])
    else:
        paragraphs = text_paragraphs(shown(value, c.number_format or "General"))
    fill = fills.of(c.fill) if getattr(c, "has_style", False) else None
    return TrackerCell(paragraphs, fill)


def _run(part: Any) -> Run:
    font = getattr(part, "font", None)
    text = getattr(part, "text", part)
    return Run(str(text), bool(font is not None and font.i))


#: The theme colours in the order cells number them: Excel's 0 is "Background 1" (lt1), 1 "Text
#: 1" (dk1) - the first two pairs swapped from the order the theme lists them.
_THEME_SLOTS = (
    "lt1", "dk1", "lt2", "dk2", "accent1", "accent2", "accent3", "accent4", "accent5", "accent6",
    "hlink", "folHlink",
)  # fmt: skip


def theme_colours(xml: bytes | str | None) -> tuple[str, ...]:
    """A workbook theme's colours ("RRGGBB", "" for one it does not give) by theme index."""
    if not xml:
        return ()
    text = xml.decode("utf-8", "replace") if isinstance(xml, bytes) else xml
    scheme = re.search(r"<(?:\w+:)?clrScheme\b.*?</(?:\w+:)?clrScheme>", text, re.DOTALL)
    if scheme is None:
        return ()
    out = []
    for slot in _THEME_SLOTS:
        m = re.search(
            rf"<(?:\w+:)?{slot}>\s*<(?:\w+:)?(?:srgbClr\b[^>]*?\bval|sysClr\b[^>]*?\blastClr)"
            r"\s*=\s*[\"']([0-9A-Fa-f]{6})[\"']",
            scheme[0],
        )
        out.append(m[1].upper() if m else "")
    return tuple(out)


def tinted(colour: str, tint: float) -> str:
    """`colour` lightened (tint > 0) or darkened (tint < 0) as Excel does: in lightness."""
    if not tint:
        return colour
    r, g, b = (int(colour[i : i + 2], 16) / 255 for i in (0, 2, 4))
    h, lightness, s = colorsys.rgb_to_hls(r, g, b)
    lightness = lightness * (1 + tint) if tint < 0 else lightness * (1 - tint) + tint
    r, g, b = colorsys.hls_to_rgb(h, min(1.0, max(0.0, lightness)), s)
    return "".join(f"{round(v * 255):02X}" for v in (r, g, b))


class _Fills:
    """Cell fills to colours, as the workbook defines them: an RGB colour, an indexed one (the
    workbook's own palette or Excel's), or a theme colour, each with its tint."""

    def __init__(self, wb: Any) -> None:
        from openpyxl.styles.colors import COLOR_INDEX

        self.theme = theme_colours(getattr(wb, "loaded_theme", None))
        self.indexed = tuple(getattr(wb, "_colors", None) or COLOR_INDEX)
        self.seen: dict[int, str | None] = {}

    def of(self, fill: Any) -> str | None:
        """The colour of a solid fill: "RRGGBB", `UNREADABLE`, or None (no fill, or white)."""
        if id(fill) not in self.seen:
            self.seen[id(fill)] = self._colour(fill)
        return self.seen[id(fill)]

    def of_dxf(self, fill: Any) -> str | None:
        """The colour of a conditional format's fill: Excel gives it as the background colour
        (the pattern may be left out, meaning solid)."""
        if getattr(fill, "patternType", None) not in (None, "solid"):
            return None
        for colour in (getattr(fill, "bgColor", None), getattr(fill, "fgColor", None)):
            found = self._rgb(colour)
            if found is not None:
                return found
        return None

    def _colour(self, fill: Any) -> str | None:
        if getattr(fill, "patternType", None) != "solid":
            return None
        return self._rgb(fill.fgColor)

    def _rgb(self, colour: Any) -> str | None:
        kind = getattr(colour, "type", None)
        rgb = ""
        if kind == "rgb" and isinstance(colour.rgb, str):
            rgb = colour.rgb[-6:].upper()
        elif kind == "indexed" and isinstance(colour.indexed, int):
            if colour.indexed < min(len(self.indexed), 64):
                rgb = str(self.indexed[colour.indexed])[-6:].upper()
        elif kind == "theme" and isinstance(colour.theme, int):
            if colour.theme >= len(self.theme) or not self.theme[colour.theme]:
                return UNREADABLE
            rgb = self.theme[colour.theme]
        if not re.fullmatch(r"[0-9A-F]{6}", rgb):
            return None
        rgb = tinted(rgb, float(getattr(colour, "tint", 0) or 0))
        return None if _is_white(_lab(rgb)) else rgb


def is_workbook(path: Path) -> bool:
    """Whether a zip file is an Excel workbook (not a Word document): it has `xl/workbook.xml`."""
    try:
        with zipfile.ZipFile(path) as z:
            return any(n.lower() == "xl/workbook.xml" for n in z.namelist())
    except (zipfile.BadZipFile, OSError):
        return False
