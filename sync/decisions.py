"""The owner's decisions on proposed time-scales, carried out.

A lead's proposed time-scale is recorded on the master's `Proposals` sheet (by the merge); the
owner picks Accept or Decline in its `Decision` column (a dropdown, `decision_formats`; typed
words are read loosely, `read_decision`). `decide` works out, from the master's sheets alone,
what carrying the decisions out does: each accepted proposal sets its item's Time-scale to the
proposed text and its Due to the date that text names (in the plan's year), and is logged on
`Changes`; each decision carried out - accepted, declined, or not applied because the item is
gone or its time-scale was changed since the proposal - gets `Decided` (when) and `Outcome`
(what was done) on its Proposals row, so it is acted on once: deciding again changes nothing.
A decision that reads as neither is reported and left for the owner. Rows are never deleted.

`apply_decisions` writes a DecisionSet through an `Editor` (the file, or the workbook open in
Excel); `actionplan decide`, every merge (before its returns) and the add-in run it.
`decisions_for_lead` gives a lead's next copy the outcome of their proposals decided since
their last copy.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from enum import StrEnum
from pathlib import Path

from sync.ledger import PROPOSALS_COLUMNS, SHEET_PROPOSALS, ProposalRow
from workbook import clock
from workbook.master.edit import editing_master
from workbook.master.editor import Editor, append_rows
from workbook.master.read import (
    PlanRow,
    find_header_row,
    plan_column_indexes,
    plan_rows,
    year_of_plan,
)
from workbook.master.settings import document_columns
from workbook.master.sheets import DUE_COLUMN, SHEET_CHANGES, SHEET_PLAN, ChangeRow
from workbook.plan.timescales import due_date
from workbook.wording import count, long_date, one_line
from workbook.xlsx.cells import Grid, at, cell_datetime, cell_str, cell_text, column_letter, loose
from workbook.xlsx.formats import ListValidation, SheetFormats, Value
from workbook.xlsx.read import column_positions, sheet


class Decision(StrEnum):
    """What the owner decides of a proposal: the dropdown's two choices."""

    ACCEPT = "Accept"
    DECLINE = "Decline"


#: The words read as each decision, typed in any case, with or without a full stop: the one
#: definition of what a Decision cell may say.
DECISION_WORDS: Mapping[Decision, frozenset[str]] = {
    Decision.ACCEPT: frozenset({"accept", "accepted", "yes", "y", "agree", "agreed", "approved"}),
    Decision.DECLINE: frozenset({"decline", "declined", "no", "n", "reject", "rejected"}),
}
_BY_WORD = {word: d for d, words in DECISION_WORDS.items() for word in words}


def read_decision(value: object) -> Decision | None:
    """The decision a Decision cell holds ("accept", "Accepted", "yes" -> ACCEPT; "decline",
    "Declined", "no" -> DECLINE), or None when it is blank or says something else."""
    word = " ".join(cell_text(value).split()).strip(".!").strip().casefold()
    return _BY_WORD.get(word)


class Result(StrEnum):
    """What became of one decision; the first three are written as the row's `Outcome`."""

    APPLIED = "applied"
    DECLINED = "declined"
    NOT_APPLIED = "not applied"
    UNREADABLE = "unreadable"  # not written: the owner is to fix the cell

    @property
    def needs_attention(self) -> bool:
        return self in (Result.NOT_APPLIED, Result.UNREADABLE)


def result_of(outcome: object) -> Result | None:
    """The result an `Outcome` cell records ("not applied: ..." -> NOT_APPLIED), or None."""
    text = cell_str(outcome).casefold()
    for result in (Result.NOT_APPLIED, Result.APPLIED, Result.DECLINED):
        if text.startswith(result.value):
            return result
    return None


# --- The dropdown -------------------------------------------------------------------------------

#: How the dropdown is known again (its error title), to be replaced rather than stacked.
DECISION_ERROR_TITLE = "Decision"
DECISION_ERROR = "Choose Accept or Decline, or leave it blank to decide later."
#: The dropdown covers the Decision column to the sheet's last row, so rows added later have it.
LAST_ROW = 1_048_576

#: Each Proposals field's column title.
_TITLES = {f.name: f.metadata["title"] for f in fields(ProposalRow)}


def _positions(grid: Grid | None) -> dict[str, int]:
    """0-based column of each Proposals field, by title (a title the sheet lacks: the next free
    column, where an edit adds it)."""
    header = list(grid[0]) if grid else list(PROPOSALS_COLUMNS)
    found = column_positions(header, PROPOSALS_COLUMNS)
    return dict(zip(_TITLES, found, strict=True))


def decision_formats(grid: Grid | None) -> SheetFormats:
    """The Decision dropdown (Accept / Decline) of the Proposals sheet `grid` (None: one not
    made yet), over its Decision column wherever the owner moved it."""
    letter = column_letter(_positions(grid)["decision"] + 1)
    dropdown = ListValidation(
        range=f"{letter}2:{letter}{LAST_ROW}",
        values=tuple(d.value for d in Decision),
        error_title=DECISION_ERROR_TITLE,
        error=DECISION_ERROR,
    )
    return SheetFormats((), (dropdown,), _no_rule, is_decision_dropdown)


def _no_rule(sqref: str, formula: str) -> bool:
    return False


def is_decision_dropdown(kind: str | None, formula: str | None, error_title: str | None) -> bool:
    """Whether a validation is our Decision dropdown: a list with our error title."""
    return kind == "list" and error_title == DECISION_ERROR_TITLE


# --- Working out what deciding does ---------------------------------------------------------------


@dataclass(frozen=True)
class DecisionLine:
    """One decision as carried out (or not), for the owner."""

    ref: str
    lead: str
    proposed: str
    result: Result
    note: str

    @property
    def text(self) -> str:
        """`applied      2.3  Jun-25 (proposed by LJ): the time-scale was Mar-25; due ...`"""
        what = f"{self.proposed!r} (proposed by {self.lead or 'a lead'})"
        return f"{self.result:12} {self.ref:8} {what}: {self.note}"


@dataclass(frozen=True)
class DecisionSet:
    """Everything carrying out the owner's decisions does to the master."""

    when: dt.datetime
    lines: tuple[DecisionLine, ...] = ()
    #: (Excel row, 0-based column, text) of each Time-scale cell to write on the plan sheet
    timescales: tuple[tuple[int, int, str], ...] = ()
    #: the plan sheet's Due column (0-based; None when it has none) and (Excel row, date) to write
    due_column: int | None = None
    due_dates: tuple[tuple[int, dt.date | None], ...] = ()
    #: (Excel row, 0-based column, value) on the Proposals sheet: Decided, Outcome (and titles)
    marks: tuple[tuple[int, int, Value], ...] = ()
    changes_rows: tuple[ChangeRow, ...] = ()
    #: proposals still to be decided (Decision blank)
    undecided: int = 0
    dropdown: SheetFormats = field(default_factory=lambda: decision_formats(None))

    @property
    def changes_master(self) -> bool:
        return bool(self.timescales or self.marks or self.changes_rows)

    def count(self, result: Result) -> int:
        return sum(1 for line in self.lines if line.result is result)

    @property
    def exit_code(self) -> int:
        """1 when a decision could not be carried out or read, else 0."""
        return 1 if any(line.result.needs_attention for line in self.lines) else 0


def _same(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def decide(sheets: Mapping[str, Grid], *, when: dt.datetime) -> DecisionSet:
    """What carrying out the decisions on the master's `Proposals` sheet does (see the module),
    from its sheets: the plan sheet, Settings (the plan's year) and Proposals."""
    grid = sheet(sheets, SHEET_PROPOSALS)
    dropdown = decision_formats(grid)
    if not grid:
        return DecisionSet(when, dropdown=dropdown)
    pos = _positions(grid)
    plan_grid = sheet(sheets, SHEET_PLAN) or ()
    document = document_columns(sheets)
    items: dict[str, PlanRow] = {}
    for row in plan_rows(plan_grid, document):
        if not row.is_section and row.texts["ref"].strip():
            items.setdefault(row.texts["ref"].strip(), row)
    due_column = _due_column(plan_grid, document)
    timescale_title = _timescale_title(plan_grid, document)
    year = year_of_plan(sheets)
    now = {ref: row.texts["timescale"] for ref, row in items.items()}

    lines: list[DecisionLine] = []
    timescales: list[tuple[int, int, str]] = []
    due_dates: list[tuple[int, dt.date | None]] = []
    marks: list[tuple[int, int, Value]] = []
    changes: list[ChangeRow] = []
    undecided = 0
    header = list(grid[0])
    for r in range(1, len(grid)):

        def value(key: str, cells: Sequence[object] = grid[r]) -> object:
            return at(cells, pos[key]) if pos[key] < len(header) else None

        ref, proposed = cell_str(value("ref")), cell_str(value("proposed"))
        if not ref or not proposed or cell_str(value("decided")) or cell_str(value("outcome")):
            continue  # not a proposal, or carried out already
        typed = value("decision")
        if not cell_str(typed):
            undecided += 1
            continue
        lead = cell_str(value("lead"))
        decision = read_decision(typed)
        item = items.get(ref)
        if decision is None:
            note = (
                f"the decision {one_line(cell_text(typed), 40)!r} is neither Accept nor Decline; "
                "choose one in the Decision column"
            )
            lines.append(DecisionLine(ref, lead, proposed, Result.UNREADABLE, note))
            continue
        was = now.get(ref, "")
        if decision is Decision.DECLINE:
            result = Result.DECLINED
            stays = f"the time-scale stays {was}" if item is not None and was else ""
            note = stays or "declined"
            outcome = Result.DECLINED.value
            logged = f"proposal by {lead or 'the lead'} declined by the owner" + (
                f"; {stays}" if stays else ""
            )
            changes.append(
                _log(when, value("file"), lead, ref, timescale_title, was, proposed, result, logged)
            )
        elif item is None:
            result = Result.NOT_APPLIED
            note = f"{ref} is no longer in the plan"
            outcome = f"{result}: {note}"
        elif _same(was, proposed):
            result = Result.APPLIED
            note = f"the time-scale was already {was}"
            outcome = f"{result}: {note}"
        elif not _same(was, cell_str(value("timescale_now"))):
            result = Result.NOT_APPLIED
            note = (
                f"the time-scale was changed to {was or 'blank'} since the proposal (made "
                f"against {cell_str(value('timescale_now')) or 'blank'}); set it by hand if "
                f"{proposed} is still wanted"
            )
            outcome = f"{result}: the time-scale was changed since the proposal"
        else:
            result = Result.APPLIED
            due = due_date(proposed, year=year)
            col = item.columns["timescale"]
            timescales.append((item.excel_row, col, proposed))
            if due_column is not None:
                due_dates.append((item.excel_row, due))
            now[ref] = proposed
            on = f"; due {long_date(due)}" if due else ""
            note = f"the time-scale was {was or 'blank'}{on}"
            outcome = result.value
            logged = f"proposal by {lead or 'the lead'} accepted by the owner{on}"
            changes.append(
                _log(when, value("file"), lead, ref, timescale_title, was, proposed, result, logged)
            )
        lines.append(DecisionLine(ref, lead, proposed, result, note))
        marks.append((r + 1, pos["decided"], when))
        marks.append((r + 1, pos["outcome"], outcome))
    if marks:
        marks[:0] = [
            (1, pos[key], _TITLES[key]) for key in ("decided", "outcome") if pos[key] >= len(header)
        ]
    return DecisionSet(
        when,
        tuple(lines),
        tuple(timescales),
        due_column,
        tuple(due_dates),
        tuple(marks),
        tuple(changes),
        undecided,
        dropdown,
    )


def _log(
    when: dt.datetime,
    file: object,
    lead: str,
    ref: str,
    field_title: str,
    old: str,
    new: str,
    result: Result,
    note: str,
) -> ChangeRow:
    """The Changes row of a decision carried out: from the proposal's return file, no SHA-256
    (it is the owner's act, not a return's)."""
    return ChangeRow(when, cell_str(file), "", lead, ref, field_title, old, new, result, note)


def _plan_header(plan_grid: Grid) -> Sequence[object]:
    header = find_header_row(plan_grid)
    return plan_grid[header] if header is not None else ()


def _due_column(plan_grid: Grid, document: Sequence[tuple[str, str]]) -> int | None:
    """0-based column of the plan sheet's derived Due (None when it has none: `rag` adds it),
    never a plan column the document titled "Due"."""
    head = _plan_header(plan_grid)
    taken = set(plan_column_indexes(head, document).values())
    wanted = loose(DUE_COLUMN.title)
    return next((i for i, v in enumerate(head) if loose(v) == wanted and i not in taken), None)


def _timescale_title(plan_grid: Grid, document: Sequence[tuple[str, str]]) -> str:
    """The Time-scale column's title as the plan shows it (the document's own, if it had one)."""
    head = _plan_header(plan_grid)
    index = plan_column_indexes(head, document)["timescale"]
    return " ".join(cell_text(at(head, index)).split()) or "Time-scale"


def sheets_after(sheets: Mapping[str, Grid], decisions: DecisionSet) -> dict[str, Grid]:
    """The master's sheets as they read once `decisions` are carried out (the plan's Time-scale
    and Due cells, the Proposals marks), for a merge that follows in the same edit."""
    out: dict[str, Grid] = dict(sheets)
    plan: list[tuple[str, int, int, Value]] = [
        (SHEET_PLAN, r, c, v) for r, c, v in decisions.timescales
    ]
    if decisions.due_column is not None:
        plan += [(SHEET_PLAN, r, decisions.due_column, d) for r, d in decisions.due_dates]
    marks = [(SHEET_PROPOSALS, r, c, v) for r, c, v in decisions.marks]
    for name, row, column, value in (*plan, *marks):
        key = next((n for n in out if loose(n) == loose(name)), name)
        grid = [list(cells) for cells in out.get(key, ())]
        while len(grid) < row:
            grid.append([])
        cells = grid[row - 1]
        cells.extend([None] * (column + 1 - len(cells)))
        cells[column] = value
        out[key] = grid
    return out


def apply_decisions(editor: Editor, decisions: DecisionSet, *, dropdown: bool = True) -> None:
    """Carry out `decisions` through `editor`: the plan's Time-scale and Due cells, the Changes
    rows, the Proposals marks, and (with `dropdown`, when the sheet was written) the Decision
    dropdown."""
    for row, column, text in decisions.timescales:
        editor.set_plan_text(row, column, text, key="timescale")
    if decisions.due_column is not None:
        editor.set_dates(SHEET_PLAN, decisions.due_column, decisions.due_dates)
    append_rows(editor, decisions.changes_rows)
    editor.set_cells(SHEET_PROPOSALS, decisions.marks)
    if dropdown and decisions.marks:
        editor.apply_formats(SHEET_PROPOSALS, decisions.dropdown)


def summary_line(decisions: DecisionSet) -> str:
    """One sentence for the owner: what deciding did, and what is left."""
    applied, declined = decisions.count(Result.APPLIED), decisions.count(Result.DECLINED)
    not_applied, unread = decisions.count(Result.NOT_APPLIED), decisions.count(Result.UNREADABLE)
    left = (
        f"{count(decisions.undecided, 'proposal')} still to decide (Accept or Decline in the "
        "Decision column of Proposals)"
        if decisions.undecided
        else ""
    )
    if not decisions.lines:
        return f"No decisions to carry out; {left}." if left else "No proposals to decide."
    parts = [f"{count(applied, 'proposal')} applied, {declined} declined"]
    if not_applied:
        parts.append(f"{not_applied} not applied")
    if unread:
        parts.append(f"{count(unread, 'decision')} not read (choose Accept or Decline)")
    if left:
        parts.append(left)
    return "Decisions: " + "; ".join(parts) + "."


@dataclass(frozen=True)
class DecideRun:
    """What `decide_master` did."""

    master: Path
    decisions: DecisionSet
    backup: Path | None


def decide_master(master: Path, *, when: dt.datetime | None = None) -> DecideRun:
    """Carry out the owner's decisions in the master at `master`, through its one write path;
    nothing is written when there is nothing to carry out."""
    when = (when or clock.now()).replace(microsecond=0)
    with editing_master(Path(master), also=(SHEET_CHANGES, SHEET_PROPOSALS)) as edit:
        decisions = decide(edit.snapshot.sheets, when=when)
        backup = None
        if decisions.changes_master:
            apply_decisions(edit, decisions)
            backup = edit.commit(when=when)
    return DecideRun(Path(master), decisions, backup)


# --- Telling the lead -----------------------------------------------------------------------------


def decisions_for_lead(
    sheets: Mapping[str, Grid],
    lead: str,
    timescales: Mapping[str, str],
    since: dt.datetime | None,
) -> tuple[str, ...]:
    """A line for `lead`'s copy per proposal of theirs on an item in it (`timescales`: the
    copy's items, ref -> time-scale now) decided after `since` (their last copy; None: ever)."""
    grid = sheet(sheets, SHEET_PROPOSALS)
    if not grid:
        return ()
    pos = _positions(grid)
    header = list(grid[0])
    out: list[str] = []
    for cells in grid[1:]:

        def value(key: str, cells: Sequence[object] = cells) -> object:
            return at(cells, pos[key]) if pos[key] < len(header) else None

        ref, proposed = cell_str(value("ref")), cell_str(value("proposed"))
        decided = cell_datetime(value("decided"))
        result = result_of(value("outcome"))
        if (
            ref not in timescales
            or cell_str(value("lead")).casefold() != lead.casefold()
            or decided is None
            or result is None
            or (since is not None and decided <= since)
        ):
            continue
        now = timescales[ref] or "blank"
        yours = f"Your proposed time-scale for {ref}, {proposed!r},"
        if result is Result.APPLIED:
            out.append(f"{yours} was accepted: the time-scale is now {now}.")
        elif result is Result.DECLINED:
            out.append(f"{yours} was declined; the time-scale stays {now}.")
        else:
            out.append(f"{yours} was not applied; the time-scale is {now}.")
    return tuple(out)
