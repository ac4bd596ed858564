"""What each board pack showed, kept in the master so the next pack can say what moved.

Each `board` run appends one row per item (pack number, when it was made, its as-of date, ref,
status as the board saw it) to `BoardPacks`, a veryHidden sheet of the master: the owner never
trips over it, readers of the plan ignore it, and it travels with the master wherever it is copied.
`make_board_pack` runs the whole command: read the master, summarise, write the board workbook
(and PDF), record the pack.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from workbook import clock
from workbook.board.summary import BoardSummary, board_summary, write_board
from workbook.errors import ActionPlanError
from workbook.master.read import read_master_sheets, read_sheets
from workbook.master.settings import settings_as_of
from workbook.plan.model import Plan
from workbook.plan.status import status_shown
from workbook.xlsx.cells import cell_datetime
from workbook.xlsx.read import records, sheet

SHEET_BOARD_PACKS = "BoardPacks"
BOARD_PACKS_COLUMNS: tuple[str, ...] = ("Pack", "Made", "As-of date", "Ref", "Status")


# --- Pure core --------------------------------------------------------------------------------


@dataclass(frozen=True)
class BoardPack:
    """One recorded board pack: what status each item had in it."""

    number: int
    made: dt.datetime | None
    as_of: dt.date | None
    statuses: Mapping[str, str] = field(default_factory=dict)  # ref -> status as the board saw it


def packs_from_grid(grid: Sequence[Sequence[object]]) -> list[BoardPack]:
    """The packs a `BoardPacks` sheet records (a grid of cell values, header first), in the order
    of their numbers; rows without a pack number or ref are skipped."""
    heads: dict[int, tuple[dt.datetime | None, dt.date | None]] = {}
    statuses: dict[int, dict[str, str]] = {}
    for rec in records(grid, BOARD_PACKS_COLUMNS):
        number, ref = _int(rec["pack"]), _str(rec["ref"])
        if number is None or not ref:
            continue
        heads.setdefault(number, (_datetime(rec["made"]), _date(rec["as-of date"])))
        statuses.setdefault(number, {})[ref] = _str(rec["status"])
    return [BoardPack(n, *heads[n], statuses[n]) for n in sorted(heads)]


def latest_pack(packs: Sequence[BoardPack]) -> BoardPack | None:
    """The previous board pack: the one recorded last (the highest number)."""
    return max(packs, key=lambda p: p.number, default=None)


def pack_rows(
    plan: Plan, *, number: int, made: dt.datetime, as_of: dt.date
) -> list[tuple[object, ...]]:
    """The `BoardPacks` rows recording `plan` as a board pack shows it."""
    return [(number, made, as_of, it.ref, status_shown(it.status)) for it in plan.items]


# --- The master file --------------------------------------------------------------------------


def read_board_packs(master: Path) -> list[BoardPack]:
    """The board packs recorded in the master at `master` (none when it has no BoardPacks)."""
    grid = sheet(read_sheets(master, rich=False, also=(SHEET_BOARD_PACKS,)), SHEET_BOARD_PACKS)
    return packs_from_grid(grid) if grid else []


def record_board_pack(master: Path, plan: Plan, *, as_of: dt.date, made: dt.datetime) -> int:
    """Append `plan`'s statuses as a new board pack to the master's veryHidden `BoardPacks` sheet
    (created when missing); return the new pack's number.

    A change-only edit: only that sheet is written, everything else in the file stays byte for
    byte as it was, and the master is backed up first and replaced atomically.
    """
    from workbook.xlsx.files import writer_lock

    check_not_open(master)
    with writer_lock(master):
        return _record(master, plan, as_of=as_of, made=made)


def _record(master: Path, plan: Plan, *, as_of: dt.date, made: dt.datetime) -> int:
    from workbook.master.edit import MasterEdit
    from workbook.master.read import read_snapshot

    snapshot = read_snapshot(master, also=(SHEET_BOARD_PACKS,))
    grid = sheet(snapshot.sheets, SHEET_BOARD_PACKS)
    number = max((p.number for p in packs_from_grid(grid or [])), default=0) + 1
    edit = MasterEdit(snapshot)
    # veryHidden: not offered by Excel's Unhide, so the record is not edited by accident
    edit.append(
        SHEET_BOARD_PACKS,
        BOARD_PACKS_COLUMNS,
        pack_rows(plan, number=number, made=made, as_of=as_of),
        state="veryHidden",
    )
    edit.commit(when=made)
    return number


def check_not_open(master: Path) -> None:
    """Refuse to record in a master that Excel or LibreOffice has open (see master_edit)."""
    from workbook.xlsx.files import check_not_open as refuse_if_open

    refuse_if_open(
        master,
        advice="close it and run again, or add --no-record to make the pack without recording "
        "it in the master",
    )


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

    `as_of` defaults to the master's Settings as-of date, else today. The caller checks that the
    outputs may be written; nothing is written when the master cannot be read or is open.
    """
    from workbook.board.pdf import render_pdf

    master, out = Path(master), Path(out)
    if _same_file(master, out):
        raise ActionPlanError(f"--out {out} is the master itself; give the board pack a new name")
    if record:
        check_not_open(master)
    plan, sheets = read_master_sheets(master, also=(SHEET_BOARD_PACKS,))
    if as_of is None:
        as_of = settings_as_of(sheets) or clock.today()
    packs = sheet(sheets, SHEET_BOARD_PACKS)
    previous = latest_pack(packs_from_grid(packs) if packs else [])
    summary = board_summary(
        plan,
        as_of=as_of,
        previous=previous.statuses if previous else None,
        previous_as_of=previous.as_of if previous else None,
    )
    write_board(plan, summary, out, as_of=as_of)
    pdf_path = None
    if pdf:
        pdf_path = out.with_suffix(".pdf")
        render_pdf(out, pdf_path, soffice=soffice)
    recorded = None
    if record:
        made = clock.now()
        recorded = record_board_pack(master, plan, as_of=as_of, made=made)
    return BoardRun(summary, out, pdf_path, previous, recorded)


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return False


# --- Cell values ------------------------------------------------------------------------------


def _str(value: object) -> str:
    return "" if value is None else str(value).strip()


def _int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def _datetime(value: object) -> dt.datetime | None:
    return cell_datetime(value)


def _date(value: object) -> dt.date | None:
    found = cell_datetime(value)
    return found.date() if found else None
