"""Read a master workbook back into a Plan.

`plan_from_sheets` is the pure core: it takes each sheet as a grid of cell values, so the file
reader (`read_snapshot`) and the add-in's live workbook share one reading of the layout. The
header row is found, never assumed: owners insert rows above.
"""

from __future__ import annotations

import dataclasses
import hashlib
import zipfile
from collections import defaultdict, deque
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from workbook.errors import MasterError
from workbook.master.rag_key import key_from_sheets
from workbook.master.settings import (
    SETTING_ORGANISATION,
    SETTING_PLAN_DATE,
    SETTING_PLAN_ID,
    SETTING_SOURCE,
    SETTING_TITLE,
    document_columns,
    import_notes,
    settings_from_sheets,
    typed_date,
)
from workbook.master.sheets import (
    COLUMN_BY_KEY,
    DUE_COLUMN,
    LEADS_COLUMNS,
    PLAN_SHEETS,
    ROLE_KEYS,
    SHEET_LEADS,
    SHEET_PLAN,
    SHEET_UPDATES,
    UPDATES_COLUMNS,
    PlanLayout,
    plan_layout,
)
from workbook.plan.actions import split_numbered
from workbook.plan.model import (
    OTHER_ROLE,
    UPDATE_SEPARATOR,
    Item,
    Lead,
    Plan,
    Run,
    UpdateEntry,
    normalise_runs,
    plan_year,
)
from workbook.plan.updates import parse_updates
from workbook.xlsx.cells import Grid, at, cell_text, loose
from workbook.xlsx.read import (
    Grids,
    UnreadableWorkbook,
    is_sheet,
    read_grids,
    read_rich_grids,
    records,
    sheet,
    sheet_name,
)

# --- Pure core --------------------------------------------------------------------------------


def plan_from_sheets(sheets: Mapping[str, Grid]) -> Plan:
    """The plan held in a master's sheets (grids of cell values, rich findings as tuples of Run),
    with the key on its `RAG key` sheet (the default key when it has none).

    Raises MasterError when there is no `Action Plan` sheet or no header row on it.
    """
    require_plan_sheet(list(sheets))
    grid = sheet(sheets, SHEET_PLAN) or ()
    log = updates_log(sheet(sheets, SHEET_UPDATES) or ())
    document = document_columns(sheets)
    sections, items = _sections_and_items(grid, log, document)
    extra_titles, order, items = _with_extra_columns(grid, items, document)
    settings = settings_from_sheets(sheets)
    title_block = _title_block(grid, find_header_row(grid) or 0)
    year = year_of_plan(sheets)
    items = tuple(dataclasses.replace(it, year=year) for it in items)
    return Plan(
        extra_titles=extra_titles,
        title=cell_text(settings.get(SETTING_TITLE, title_block[0])),
        organisation=cell_text(settings.get(SETTING_ORGANISATION, title_block[2])),
        date_label=cell_text(settings.get(SETTING_PLAN_DATE, title_block[1])),
        sections=sections,
        items=items,
        leads=_leads(sheet(sheets, SHEET_LEADS) or ()),
        plan_id=cell_text(settings.get(SETTING_PLAN_ID)),
        source=cell_text(settings.get(SETTING_SOURCE)),
        notes=tuple(cell_text(n) for n in import_notes(sheets)),
        rag_key=key_from_sheets(sheets),
        column_titles=tuple((role, t) for role, t in document if role != OTHER_ROLE),
        column_order=order if document else (),
    )


def _with_extra_columns(
    grid: Grid, items: tuple[Item, ...], document: Sequence[tuple[str, str]]
) -> tuple[tuple[str, ...], tuple[str, ...], tuple[Item, ...]]:
    """The document's own other columns (titled cells of the header row that are not a plan
    column or `Due`), the order of the document's columns as the header has them, and each item
    with its text in the other columns, read by ref."""
    header = find_header_row(grid)
    if header is None:
        return (), (), items
    head = grid[header]
    indexes = plan_column_indexes(head, document)
    claimed = {i: key for key, i in indexes.items()}
    # the order of the document's columns (those the cycle added follow them on any rewrite)
    documented = {role for role, _ in document}
    roles = {key: role for role, key in ROLE_KEYS.items() if role in documented}
    order: list[str] = []
    columns: list[tuple[int, str]] = []
    for i, v in enumerate(head):
        if i in claimed:
            if claimed[i] in roles:
                order.append(roles[claimed[i]])
        elif cell_text(v).strip() and loose(v) != loose(DUE_COLUMN.title):
            columns.append((i, cell_text(v)))
            order.append(OTHER_ROLE)
    by_ref: dict[str, tuple[tuple[int, str], ...]] = {}
    for r in range(header + 1, len(grid)):
        ref = cell_text(at(grid[r], indexes["ref"])).strip()
        texts = tuple((k, cell_text(at(grid[r], i))) for k, (i, _) in enumerate(columns))
        if ref and ref not in by_ref:
            by_ref[ref] = tuple((k, t) for k, t in texts if t)
    kept = tuple(dataclasses.replace(it, extra=by_ref.get(it.ref.strip(), ())) for it in items)
    return tuple(t for _, t in columns), tuple(order), kept


def year_of_plan(sheets: Mapping[str, Grid]) -> int | None:
    """The plan's year, from its date (`Plan date` on Settings, else the title block's): how a
    time-scale that names no year ("Summer term", "Jun") is read everywhere - master, merge,
    validation, RAG formatting - as the import read it."""
    settings = settings_from_sheets(sheets)
    grid = sheet(sheets, SHEET_PLAN) or ()
    label = settings.get(SETTING_PLAN_DATE)
    if not cell_text(label).strip():
        label = _title_block(grid, find_header_row(grid) or 0)[1]
    return plan_year(cell_text(label))


def require_plan_sheet(sheet_names: list[str]) -> None:
    if not any(is_sheet(n, SHEET_PLAN) for n in sheet_names):
        names = ", ".join(repr(n) for n in sheet_names) or "none"
        raise MasterError(
            f"no '{SHEET_PLAN}' sheet (sheets: {names}); is this an actionplan master? "
            f"If the plan sheet was renamed, rename it back to '{SHEET_PLAN}'"
        )


def find_header_row(grid: Grid) -> int | None:
    """0-based index of the `Action Plan` header row: 'Ref' in column A and 'Action' in column C
    or, where the plan shows its document's own titles, 'Ref' in column A and a title in each
    of the next five columns."""
    for r, row in enumerate(grid):
        if loose(at(row, 0)) != "ref":
            continue
        if loose(at(row, 2)) == "action" or all(loose(at(row, i)) for i in range(1, 6)):
            return r
    return None


def no_header_row() -> MasterError:
    """The error for an `Action Plan` sheet whose header row cannot be found."""
    return MasterError(
        f"no header row on the '{SHEET_PLAN}' sheet; the row above the first section needs "
        "'Ref' in column A and 'Action' in column C"
    )


def plan_column_indexes(
    header_row: Sequence[object], document: Sequence[tuple[str, str]] = ()
) -> dict[str, int]:
    """Where each plan column is, by the title the plan shows it under in the header row
    (`document`: the `Document column` settings, see `document_layout`); a column whose title
    was edited is taken to be where the master puts it."""
    found: dict[str, int] = {}
    for i, v in enumerate(header_row):
        if loose(v):
            found.setdefault(loose(v), i)
    placed = document_layout(document)
    return {
        c.key: found.get(loose(c.title), i)
        for i, c in enumerate(placed.columns)
        if c.key in COLUMN_BY_KEY
    }


def document_layout(document: Sequence[tuple[str, str]]) -> PlanLayout:
    """The layout a master was written with, from its `Document column` settings: (role, title)
    in the document's order, its own other columns as OTHER_ROLE."""
    roles = [(role, title) for role, title in document if role != OTHER_ROLE]
    others = [title for role, title in document if role == OTHER_ROLE]
    return plan_layout(roles, others, [role for role, _ in document])


def _title_block(grid: Grid, header: int) -> tuple[str, str, str]:
    """Title, date and organisation from the top rows, for a master that has lost its Settings."""
    texts = [cell_text(at(grid[r], 0)) if r < header else "" for r in range(3)]
    return texts[0], texts[1], texts[2]


@dataclass(frozen=True)
class PlanRow:
    """One non-empty row under the header of the `Action Plan` sheet, where it is in Excel."""

    excel_row: int  # 1-based, as Excel numbers rows
    section: str  # the section it is in (for a section row, its own name)
    is_section: bool
    values: dict[str, object]  # by PLAN_COLUMNS key, as read
    texts: dict[str, str]  # the same values as the text the plan keeps
    columns: dict[str, int]  # 0-based column of each key, for cell addresses


def plan_rows(grid: Grid, document: Sequence[tuple[str, str]] = ()) -> list[PlanRow]:
    """The section and item rows of an `Action Plan` grid, in order (header found, not assumed).

    A section row has text in column A only; an item row is any other non-empty row - including
    one whose ref is missing, which validation then reports.
    """
    header = find_header_row(grid)
    if header is None:
        raise no_header_row()
    columns = plan_column_indexes(grid[header], document)
    rows: list[PlanRow] = []
    section = ""
    for r in range(header + 1, len(grid)):
        row = grid[r]
        values = {key: at(row, i) for key, i in columns.items()}
        texts = {key: cell_text(v) for key, v in values.items()}
        if not any(texts.values()):
            continue
        is_section = bool(texts["ref"]) and not any(t for k, t in texts.items() if k != "ref")
        if is_section:
            section = texts["ref"]
        rows.append(PlanRow(r + 1, section, is_section, values, texts, columns))
    return rows


def _sections_and_items(
    grid: Grid, log: UpdatesLog, document: Sequence[tuple[str, str]]
) -> tuple[tuple[str, ...], tuple[Item, ...]]:
    sections: list[str] = []
    items: list[Item] = []
    for row in plan_rows(grid, document):
        if row.is_section:
            if row.section not in sections:
                sections.append(row.section)
        else:
            items.append(item_from_row(row, log))
    return tuple(sections), tuple(items)


def item_from_row(row: PlanRow, log: UpdatesLog) -> Item:
    """The item an `Action Plan` item row holds, its updates matched with the Updates log."""
    values, texts, section = row.values, row.texts, row.section
    finding = values["finding"]
    runs = finding if isinstance(finding, tuple) else (Run(texts["finding"]),)
    return Item(
        ref=texts["ref"],
        section=section,
        finding=normalise_runs(runs),
        actions=actions_from_cell(texts["actions"]),
        lead=texts["lead"],
        timescale=texts["timescale"],
        updates=log.entries(texts["ref"], texts["updates"]),
        status=texts["status"],
    )


def actions_from_cell(text: str) -> tuple[str, ...]:
    """The numbered actions of an Action cell.

    The master writes "1. a\\n2. b"; splitting only at a line starting with the next number gives
    back exactly what was written, whatever the actions contain. A cell an owner retyped as one
    line ("1. a 2. b") or without numbers is split the way the importer splits the document.
    """
    if not text.strip():
        return ()
    if not text.startswith("1. "):
        return split_numbered(text)
    exact = _split_numbered_lines(text)
    if len(exact) == 1:
        split = split_numbered(text)
        if len(split) > 1:
            return split
    return exact


def _split_numbered_lines(text: str) -> tuple[str, ...]:
    out: list[str] = []
    start, n = len("1. "), 2
    while (i := text.find(f"\n{n}. ", start)) >= 0:
        out.append(text[start:i])
        start, n = i + len(f"\n{n}. "), n + 1
    out.append(text[start:])
    return tuple(out)


class UpdatesLog:
    """The `Updates` sheet: each entry's date, lead, status and source, which the Update cell's
    text cannot carry, looked up by item ref and the entry as displayed."""

    def __init__(self, rows: list[tuple[str, UpdateEntry]]) -> None:
        self._by_ref: dict[str, list[UpdateEntry]] = defaultdict(list)
        for ref, entry in rows:
            self._by_ref[ref].append(entry)

    def entries(self, ref: str, cell_text: str) -> tuple[UpdateEntry, ...]:
        logged = self._by_ref.get(ref, [])
        # The usual case: the log lists this item's entries as the cell shows them, so take them
        # whole (an unlabelled entry after a labelled one cannot be told apart in the cell alone).
        if logged and UPDATE_SEPARATOR.join(e.display for e in logged) == cell_text:
            return tuple(logged)
        # The cell was edited or the log re-sorted: the cell decides which entries there are.
        pool: dict[str, deque[UpdateEntry]] = defaultdict(deque)
        for e in logged:
            pool[e.display].append(e)
        out = []
        for parsed in parse_updates(cell_text):
            match = pool[parsed.display]
            if match:
                m = match.popleft()
                parsed = UpdateEntry(parsed.label, parsed.text, m.date, m.lead, m.status, m.source)
            out.append(parsed)
        return tuple(out)


def updates_log(grid: Grid) -> UpdatesLog:
    rows = []
    for rec in records(grid, UPDATES_COLUMNS):
        display = cell_text(rec["update"])
        ref = cell_text(rec["ref"])
        if not ref and not display:
            continue
        label, words = _split_display(display)
        entry = UpdateEntry(
            label=label,
            text=words,
            date=typed_date(rec["date"]),
            lead=cell_text(rec["lead"]),
            status=cell_text(rec["status"]),
            source=cell_text(rec["source"]),
        )
        rows.append((ref, entry))
    return UpdatesLog(rows)


def _split_display(display: str) -> tuple[str, str]:
    """Label and text of one displayed entry; unrecognised headings stay part of the text."""
    parsed = parse_updates(display)
    if len(parsed) == 1 and parsed[0].display == display:
        return parsed[0].label, parsed[0].text
    return "", display


def _leads(grid: Grid) -> tuple[Lead, ...]:
    leads = []
    for rec in records(grid, LEADS_COLUMNS):
        code, name, email = (cell_text(rec[k]) for k in ("code", "name", "email"))
        if code or name or email:
            leads.append(Lead(code, name, email))
    return tuple(leads)


# --- The file ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class MasterSnapshot:
    """The master as read at one moment: its bytes, their SHA-256, and its sheets as grids. A
    change-only edit patches these same bytes (`workbook.master.edit`)."""

    path: Path
    data: bytes
    sha256: str
    sheets: Mapping[str, list[list[object]]]
    sheet_names: tuple[str, ...] = field(default=())


def check_master_file(path: Path) -> None:
    """Refuse, in one line, a master path that is missing, a folder, unreadable or not a zip."""
    if not path.exists():
        raise MasterError(
            f"master workbook not found: {path}; check the path, or create one with "
            "`actionplan import`"
        )
    if not path.is_file():
        raise MasterError(f"{path} is a folder, not a master workbook; give the .xlsx file's path")
    try:
        is_zip = zipfile.is_zipfile(path)
    except OSError as e:
        raise MasterError(f"cannot read {path}: {e.strerror}; check it is not locked") from e
    if not is_zip:
        raise MasterError(
            f"{path} is not an .xlsx workbook; open it in Excel and save it as "
            "'Excel Workbook (*.xlsx)'"
        )


def read_snapshot(path: Path, *, also: Collection[str] = (), rich: bool = False) -> MasterSnapshot:
    """Read the master at `path` once: the plan's sheets and the `also` sheets (bookkeeping), with
    python-calamine, from the bytes a later edit will patch. `rich` also reads the `Action Plan`
    sheet with openpyxl, keeping the findings' italics (slower)."""
    path = Path(path)
    check_master_file(path)
    try:
        data = path.read_bytes()
    except OSError as e:
        raise MasterError(f"cannot read {path}: {e.strerror}; check it is not locked") from e
    try:
        names, sheets = read_grids(data, (*PLAN_SHEETS, *also))
        require_plan_sheet(list(names))
        if rich:
            sheets.update(read_rich_grids(data, (sheet_name(names, SHEET_PLAN) or SHEET_PLAN,)))
    except MasterError as e:
        raise MasterError(f"{path}: {e}") from e
    except UnreadableWorkbook as e:
        raise MasterError(
            f"{path} could not be read as an Excel workbook ({e}); "
            "open it in Excel and save it again as .xlsx"
        ) from e
    return MasterSnapshot(path, data, hashlib.sha256(data).hexdigest(), sheets, names)


def read_sheets(path: Path, *, rich: bool = False, also: Collection[str] = ()) -> Grids:
    """The sheets a Plan is read from, and the `also` sheets if present, as grids of cell values
    (None for an empty cell)."""
    return dict(read_snapshot(path, also=also, rich=rich).sheets)


def read_master_sheets(
    path: Path, *, rich: bool = True, also: Collection[str] = ()
) -> tuple[Plan, Grids]:
    """The plan and the sheets it was read from (plus the `also` sheets, e.g. bookkeeping), from
    one read of the file, for callers that need more than the plan. rich=True keeps the
    findings' italics (openpyxl); rich=False is much faster, each finding one plain run."""
    path = Path(path)
    sheets = read_sheets(path, rich=rich, also=also)
    try:
        return plan_from_sheets(sheets), sheets
    except MasterError as e:
        raise MasterError(f"{path}: {e}") from e


def read_master(path: Path, *, rich: bool = True) -> Plan:
    """Read the master workbook at `path` (see read_master_sheets)."""
    return read_master_sheets(path, rich=rich)[0]
