"""What to do next, said in one last line after `import`, `issue` and `merge`: the lines as data,
in one place, and which one a merge's outcome calls for."""

from __future__ import annotations

from enum import StrEnum


class Step(StrEnum):
    """Where the owner is in the cycle, after a command."""

    IMPORTED = "imported"
    ISSUED = "issued"
    MERGE_DRY_RUN = "merge dry run"
    MERGE_NEEDS_YOU = "merge needs you"
    MERGE_PROPOSALS = "merge proposals"
    MERGE_CLEAN = "merge clean"
    MERGE_NOTHING_NEW = "merge nothing new"


#: The line for each step; {master}, {receipts} are filled in by `next_line`.
NEXT: dict[Step, str] = {
    Step.IMPORTED: "Next: check the master in Excel, then issue the copies: "
    "actionplan issue {master} --out copies/",
    Step.ISSUED: "Next: send each lead their copy; merge their returns with "
    "actionplan merge {master} --returns DIR",
    Step.MERGE_DRY_RUN: "Next: run the same command without --dry-run to make these changes",
    Step.MERGE_NEEDS_YOU: "Next: settle the conflicts on the Conflicts sheet and look at what "
    "was not taken in on Changes, then send each lead their receipt from {receipts}",
    Step.MERGE_PROPOSALS: "Next: decide the proposed time-scales on the Proposals sheet, then "
    "send each lead their receipt from {receipts}",
    Step.MERGE_CLEAN: "Next: send each lead their receipt from {receipts}; see who is still "
    "to return with actionplan status {master}, then make the board pack with "
    "actionplan board {master} --out board.xlsx",
    Step.MERGE_NOTHING_NEW: "Next: see who is still to return with actionplan status {master}",
}


def after_merge(*, dry_run: bool, merged: int, attention: bool, proposals: int) -> Step:
    """The step a merge leaves the owner at: `merged` returns merged now, `attention` when
    something needs them (a conflict, a value or a file not taken in), `proposals` recorded."""
    if dry_run:
        return Step.MERGE_DRY_RUN
    if attention:
        return Step.MERGE_NEEDS_YOU
    if proposals:
        return Step.MERGE_PROPOSALS
    return Step.MERGE_CLEAN if merged else Step.MERGE_NOTHING_NEW


def next_line(step: Step, *, master: object, receipts: object = "the receipts folder") -> str:
    """The last line a command prints: what to do next."""
    return NEXT[step].format(master=_arg(str(master)), receipts=receipts)


def _arg(text: str) -> str:
    """A path as it can be pasted into a shell: quoted when it holds a space or quote."""
    if text and all(c.isalnum() or c in "-_./:\\+@%" for c in text):
        return text
    return "'" + text.replace("'", "'\\''") + "'"
