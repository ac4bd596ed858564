"""The ribbon's buttons, as functions of the live workbook (an `xlwings.Book`).

Each reads the open master's values, calls the same core as the command line, and writes the
result back through the Book API (`xl_addin.live.LiveEdit`), so the master in Excel is updated in
place and the owner saves it. Files the cycle needs (returns, copies, board packs) live in the
folders the master's `Settings` sheet names, else beside the workbook. Every failure reaches the
owner as one line in an Excel alert, never a traceback.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sync.copies import plan_issue, record_issue, remove_copies, write_copies
from sync.decisions import apply_decisions, decide, sheets_after
from sync.decisions import summary_line as decisions_summary
from sync.inbox import find_returns
from sync.ledger import LEDGER_SHEETS, SHEET_PROPOSALS
from sync.merge.apply import RECEIPTS_FOLDER, apply_merge, read_returns
from sync.merge.apply import write_receipts as write_receipt_files
from sync.merge.core import master_state, merge
from sync.merge.outcomes import Outcome, ReturnOutcome
from sync.merge.summary import WORDS, summarise, tell
from validation.run import validate_sheets
from validation.sheet import record_validation, summary_line
from workbook import clock
from workbook.board.packs import SHEET_BOARD_PACKS, plan_board_pack, record_board_pack
from workbook.board.workbook import write_board
from workbook.errors import ActionPlanError
from workbook.formatting.rag import apply_rag_changes, rag_changes
from workbook.master.settings import (
    SETTING_BOARD_FOLDER,
    SETTING_COPIES_FOLDER,
    SETTING_RETURNS_FOLDER,
    SETTING_TITLE,
    settings_from_sheets,
)
from workbook.master.sheets import PLAN_SHEETS, SHEET_CHANGES
from workbook.wording import count
from workbook.xlsx.files import free_path
from xl_addin.live import LiveEdit, read_sheets

if TYPE_CHECKING:
    from sync.merge.core import ChangeSet

TITLE = "Action Plan"

Handler = Callable[[Any], str]


def _now() -> dt.datetime:
    """When a button was pressed (tests fix it, to compare with the command line)."""
    return clock.now()


def _handler(func: Handler) -> Callable[[Any], str]:
    """Run a button: its summary, or the one line that says what went wrong, in an alert."""

    @functools.wraps(func)
    def run(book: Any) -> str:
        try:
            message = func(book)
        except ActionPlanError as e:
            message = f"{e}"
        except Exception as e:  # a bug must still reach the owner as one readable line
            message = f"Something went wrong ({type(e).__name__}: {e}); nothing was changed."
        _alert(book, message)
        return message

    return run


def _alert(book: Any, message: str) -> None:
    # an engine without alerts still returns the message to its caller
    with contextlib.suppress(Exception):
        book.app.alert(message, title=TITLE)


# --- Reading the live master -------------------------------------------------------------------


def _sheets(book: Any, also: tuple[str, ...] = ()) -> dict[str, list[list[object]]]:

    return read_sheets(book, (*PLAN_SHEETS, *also))


def _book_folder(book: Any) -> Path | None:
    """The folder the open workbook was saved in; None for an unsaved or remote workbook."""
    try:
        full = Path(book.fullname)
    except Exception:
        return None
    return full.parent if full.is_absolute() and full.parent.is_dir() else None


def _folder(book: Any, sheets: dict[str, Any], setting: str, default: str | None) -> Path:
    """A folder named on the Settings sheet (relative to the workbook's folder), else the
    default beside the workbook."""

    value = settings_from_sheets(sheets).get(setting)
    base = _book_folder(book)
    if isinstance(value, str) and value.strip():
        folder = Path(value.strip()).expanduser()
        if not folder.is_absolute():
            if base is None:
                raise ActionPlanError(
                    f"the Settings sheet's '{setting}' ({value}) is relative, but this workbook "
                    "has not been saved yet; save it, or give a full path"
                )
            folder = base / folder
        return folder
    if base is None or default is None:
        raise ActionPlanError(
            f"no '{setting}' on the Settings sheet; add it there (a folder path) and try again"
        )
    return base / default if default else base


# --- The buttons ---------------------------------------------------------------------------------


@_handler
def validate(book: Any) -> str:
    """Check the plan rules and list the findings on a `Validation` sheet."""

    sheets = _sheets(book)
    # the add-in is long-lived: pandas and pandera are loaded once, so the schema runs the rules
    report = validate_sheets(sheets, master=book.name, engine="pandera")
    record_validation(LiveEdit(book, sheets), report, marks=False)
    head = summary_line(report)
    return f"{head} See the Validation sheet." if report.findings else f"{head} Nothing to fix."


@_handler
def apply_rag(book: Any) -> str:
    """Colour the statuses, mark overdue time-scales, add the Status dropdown, refresh Due."""

    sheets = _sheets(book)
    changes = rag_changes(sheets)
    apply_rag_changes(LiveEdit(book, sheets), changes)
    return f"RAG formatting applied to {changes.items} item rows; Due dates refreshed."


@_handler
def issue_copies(book: Any) -> str:
    """Write a copy for every lead and record the copies in the open master."""

    sheets = _sheets(book, LEDGER_SHEETS)
    folder = _folder(book, sheets, SETTING_COPIES_FOLDER, "copies")
    when = _now()
    issue = plan_issue(sheets, folder, when=when, source=book.name)
    written = write_copies(issue)
    try:
        record_issue(LiveEdit(book, sheets), issue)
    except BaseException:
        remove_copies(written)
        raise
    return (
        f"Issued {count(len(written), 'copy', 'copies')} to {folder}; recorded in this "
        "workbook - save it before sending them."
    )


@_handler
def merge_returns(book: Any) -> str:
    """Merge every return in the Settings sheet's returns folder into the open master."""

    sheets = _sheets(book, (SHEET_CHANGES, *LEDGER_SHEETS))
    folder = _folder(book, sheets, SETTING_RETURNS_FOLDER, None)
    if not folder.is_dir():
        raise ActionPlanError(
            f"the returns folder {folder} does not exist; check 'Returns folder' on the Settings "
            "sheet"
        )
    paths = find_returns(folder)
    if not paths:
        return f"No returns in {folder} yet."
    when = _now()
    # the owner's decisions on proposals first: the returns merge against the plan as decided
    decisions = decide(sheets, when=when)
    changes = merge(master_state(sheets_after(sheets, decisions)), read_returns(paths), when=when)
    if changes.changes_master or decisions.changes_master:
        apply_merge(LiveEdit(book, sheets), decisions, changes)
    title = str(settings_from_sheets(sheets).get(SETTING_TITLE) or book.name)
    write_receipt_files(changes, folder / RECEIPTS_FOLDER, plan_title=title)
    decided = f"{decisions_summary(decisions)} " if decisions.lines else ""
    return decided + merge_summary(changes) + " Save the workbook to keep the changes."


@_handler
def decide_proposals(book: Any) -> str:
    """Carry out the Accept / Decline decisions on the Proposals sheet."""

    sheets = _sheets(book, (SHEET_CHANGES, SHEET_PROPOSALS))
    decisions = decide(sheets, when=_now())
    if decisions.changes_master:
        apply_decisions(LiveEdit(book, sheets), decisions)
    told = [decisions_summary(decisions)]
    told += [f"{line.ref}: {line.note}." for line in decisions.lines if line.result.needs_attention]
    if decisions.changes_master:
        told.append("Save the workbook to keep the changes.")
    return " ".join(told)


def merge_summary(changes: ChangeSet) -> str:
    """One sentence for the owner: what the merge did and what needs them."""

    told = summarise(changes)
    totals = told.totals
    done = {o: WORDS[o] for o in (Outcome.APPLIED, Outcome.ADDED, Outcome.PROPOSED)}
    parts = [
        f"Merged {count(told.count(ReturnOutcome.MERGED), 'return')}: "
        f"{', '.join(tell(totals, done, zeros=True))}."
    ]
    attention = []
    if totals.get(Outcome.CONFLICT):
        attention.append(
            f"{count(totals[Outcome.CONFLICT], *WORDS[Outcome.CONFLICT])} (see Conflicts)"
        )
    if told.not_taken:
        attention.append(f"{count(told.not_taken, 'value')} not taken (see Changes)")
    if told.count(ReturnOutcome.REJECTED):
        attention.append(
            f"{count(told.count(ReturnOutcome.REJECTED), 'file')} rejected (see the receipts)"
        )
    if told.count(ReturnOutcome.ALREADY_MERGED):
        attention.append(f"{told.count(ReturnOutcome.ALREADY_MERGED)} already merged before")
    if attention:
        parts.append("Also: " + "; ".join(attention) + ".")
    return " ".join(parts)


@_handler
def board_pack(book: Any) -> str:
    """Write the board pack for the open master, and record it in the master."""

    sheets = _sheets(book, (SHEET_BOARD_PACKS,))
    pack = plan_board_pack(sheets, made=_now())
    folder = _folder(book, sheets, SETTING_BOARD_FOLDER, "")
    folder.mkdir(parents=True, exist_ok=True)
    out = free_path(folder / f"Board pack {pack.as_of:%Y-%m-%d}.xlsx")
    write_board(pack.plan, pack.summary, out, as_of=pack.as_of)
    record_board_pack(LiveEdit(book, sheets), pack)
    return f"Board pack {pack.number} written: {out}"


HANDLERS: dict[str, Callable[[Any], str]] = {
    "validate": validate,
    "apply_rag": apply_rag,
    "issue_copies": issue_copies,
    "merge_returns": merge_returns,
    "decide_proposals": decide_proposals,
    "board_pack": board_pack,
}
