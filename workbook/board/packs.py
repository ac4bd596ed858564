"""What each board pack showed, kept in the master so the next pack can say what moved.

Each board pack appends one row per item (pack number, when it was made, its as-of date, ref,
status as the board saw it) to `BoardPacks`, a veryHidden sheet of the master: the owner never
trips over it, readers of the plan ignore it, and it travels with the master wherever it is copied.

`plan_board_pack` is the pure core, shared by the command line and the add-in: from the master's
sheets, what the pack reports and the rows that record it. `make_board_pack` runs the command:
read the master, write the board workbook (and PDF), record the pack through the master's one
write path.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from workbook import clock
from workbook.board.pdf import render_pdf
from workbook.board.summary import BoardSummary, board_summary
from workbook.board.workbook import write_board
from workbook.errors import ActionPlanError
from workbook.master.edit import editing_master
from workbook.master.editor import Editor, append_rows
from workbook.master.read import plan_from_sheets, read_sheets
from workbook.master.settings import as_of_date
from workbook.master.sheets import ListRow, title
from workbook.plan.model import Plan
from workbook.xlsx.cells import Grid, cell_date, cell_datetime, cell_int, cell_str
from workbook.xlsx.files import check_not_open, check_writable
from workbook.xlsx.read import records, sheet

SHEET_BOARD_PACKS = "BoardPacks"

#: What the owner is told when the master is open and the pack would be recorded in it.
OPEN_ADVICE = (
    "close it and run again, or add --no-record to make the pack without recording it in the master"
)


@dataclass(frozen=True)
class BoardPackRow(ListRow):
    """`BoardPacks`: one item's status as one board pack showed it."""

    SHEET: ClassVar[str] = SHEET_BOARD_PACKS
    # not offered by Excel's Unhide, so the record is not edited by accident
    STATE: ClassVar[str] = "veryHidden"

    pack: int = title("Pack")
    made: dt.datetime = title("Made")
    as_of: dt.date = title("As-of date")
    ref: str = title("Ref")
    status: str = title("Status")


BOARD_PACKS_COLUMNS = BoardPackRow.columns()


# --- Pure core --------------------------------------------------------------------------------


@dataclass(frozen=True)
class BoardPack:
    """One recorded board pack: what status each item had in it."""

    number: int
    made: dt.datetime | None
    as_of: dt.date | None
    statuses: Mapping[str, str] = field(default_factory=dict)  # ref -> status as the board saw it


def packs_from_grid(grid: Grid) -> list[BoardPack]:
    """The packs a `BoardPacks` sheet records (a grid of cell values, header first), in the order
    of their numbers; rows without a pack number or ref are skipped."""
    heads: dict[int, tuple[dt.datetime | None, dt.date | None]] = {}
    statuses: dict[int, dict[str, str]] = {}
    for rec in records(grid, BOARD_PACKS_COLUMNS):
        number, ref = cell_int(rec["pack"]), cell_str(rec["ref"])
        if number is None or not ref:
            continue
        heads.setdefault(number, (cell_datetime(rec["made"]), cell_date(rec["as-of date"])))
        statuses.setdefault(number, {})[ref] = cell_str(rec["status"])
    return [BoardPack(n, *heads[n], statuses[n]) for n in sorted(heads)]


def latest_pack(packs: Sequence[BoardPack]) -> BoardPack | None:
    """The previous board pack: the one recorded last (the highest number)."""
    return max(packs, key=lambda p: p.number, default=None)


def pack_rows(plan: Plan, *, number: int, made: dt.datetime, as_of: dt.date) -> list[BoardPackRow]:
    """The `BoardPacks` rows recording `plan` as a board pack shows it (statuses by its key)."""
    key = plan.rag_key
    return [BoardPackRow(number, made, as_of, it.ref, key.shown(it.status)) for it in plan.items]


@dataclass(frozen=True)
class PlannedPack:
    """A board pack worked out from the master: what it reports, and how it is recorded."""

    plan: Plan
    summary: BoardSummary
    previous: BoardPack | None
    number: int  # its number in the master's record
    rows: tuple[BoardPackRow, ...]

    @property
    def as_of(self) -> dt.date:
        return self.summary.as_of


def plan_board_pack(
    sheets: Mapping[str, Grid], *, as_of: dt.date | None = None, made: dt.datetime
) -> PlannedPack:
    """The board pack of the master whose sheets (the plan's and `BoardPacks`) are given, at
    `as_of` (else the master's Settings as-of date, else today), compared with the last pack."""
    plan = plan_from_sheets(sheets)
    as_of = as_of_date(sheets, as_of)
    packs = packs_from_grid(sheet(sheets, SHEET_BOARD_PACKS) or [])
    previous = latest_pack(packs)
    summary = board_summary(
        plan,
        as_of=as_of,
        previous=previous.statuses if previous else None,
        previous_as_of=previous.as_of if previous else None,
    )
    number = max((p.number for p in packs), default=0) + 1
    rows = pack_rows(plan, number=number, made=made, as_of=as_of)
    return PlannedPack(plan, summary, previous, number, tuple(rows))


def record_board_pack(editor: Editor, pack: PlannedPack) -> None:
    """Record `pack` in the master through `editor` (the file, or the workbook open in Excel)."""
    append_rows(editor, pack.rows)


# --- The board command ------------------------------------------------------------------------


@dataclass(frozen=True)
class BoardRun:
    """What `make_board_pack` did, for the command to report."""

    summary: BoardSummary
    out: Path
    pdf: Path | None
    previous: BoardPack | None
    recorded: int | None  # the pack's number in the master; None with record=False


def make_board_pack(
    master: Path,
    out: Path,
    *,
    as_of: dt.date | None = None,
    pdf: bool = False,
    record: bool = True,
    soffice: str | None = None,
) -> BoardRun:
    """Write the board pack for the master at `master` to `out` (and `out` as .pdf when `pdf`),
    then record it in the master unless `record` is False.

    The caller checks that the outputs may be written; nothing is written when the master cannot
    be read or is open (and would be recorded in).
    """
    master, out = Path(master), Path(out)
    if _same_file(master, out):
        raise ActionPlanError(f"--out {out} is the master itself; give the board pack a new name")
    if record:
        check_not_open(master, advice=OPEN_ADVICE)
        check_writable(master)  # before the pack is written: it could not be recorded
    made = clock.now()
    # rich: the pack shows each finding's italic narrative as the master does
    pack = plan_board_pack(
        read_sheets(master, rich=True, also=(SHEET_BOARD_PACKS,)), as_of=as_of, made=made
    )
    # `--out packs/June.xlsx` names the folder the pack goes in: made here, once the master
    # has been read, so a master that cannot be read leaves no empty folder behind
    out.parent.mkdir(parents=True, exist_ok=True)
    write_board(pack.plan, pack.summary, out, as_of=pack.as_of)
    pdf_path = None
    if pdf:
        pdf_path = out.with_suffix(".pdf")
        render_pdf(out, pdf_path, soffice=soffice)
    recorded = None
    if record:
        with editing_master(master, also=(SHEET_BOARD_PACKS,), open_advice=OPEN_ADVICE) as edit:
            # numbered from the master as it is now: another pack may have been recorded since
            number = plan_board_pack(edit.snapshot.sheets, as_of=pack.as_of, made=made).number
            rows = tuple(dataclasses.replace(r, pack=number) for r in pack.rows)
            record_board_pack(edit, dataclasses.replace(pack, number=number, rows=rows))
            edit.commit(when=made)
        recorded = number
    return BoardRun(pack.summary, out, pdf_path, pack.previous, recorded)


def read_board_packs(master: Path) -> list[BoardPack]:
    """The board packs recorded in the master at `master` (none when it has no BoardPacks)."""
    grid = sheet(read_sheets(master, also=(SHEET_BOARD_PACKS,)), SHEET_BOARD_PACKS)
    return packs_from_grid(grid) if grid else []


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return False
