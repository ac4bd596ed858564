"""The same words twice (issue 13, item 8a): a lead's copy is superseded by a new issue, and both
come back carrying the same update for the same item. It is added once - in one batch or across
merges - and the other return is told it is already in the plan. Another lead's same words, or
the same lead's other words, are still added."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from sync.copies import issue_copies
from sync.merge.apply import MergeRun, merge_returns
from sync.merge.outcomes import Outcome
from sync.simulate import Answer, fill_copy
from tests.cycle import MERGED, Cycle, cell, sheets, start_cycle
from workbook.master.sheets import SHEET_PLAN, SHEET_UPDATES
from workbook.plan.model import Plan
from workbook.plan.updates import new_entry_label

SOLO, SHARED = "WNI-01", "WNI-02"  # GT's alone; GT's with LH, JoR and LJ
REISSUED = dt.datetime(2023, 5, 22, 9, 30)
MERGED_LATER = dt.datetime(2023, 6, 1, 9, 30)
WORDS = "Recruitment panel held; two posts filled."


@pytest.fixture
def cycle(tmp_path: Path, seed: Plan) -> Cycle:
    return start_cycle(tmp_path, seed)


def reissued_return(c: Cycle, answers: dict[str, Answer], name: str) -> Path:
    """GT's copy issued again on REISSUED (superseding the first), filled in."""
    (copy,) = issue_copies(c.master, c.folder / "reissued", leads=["GT"], when=REISSUED).copies
    assert copy.issue_id != c.copies["GT"].issue_id
    out = c.folder / "returns" / name
    fill_copy(copy.path, out, answers)
    return out


def update_lines(run: MergeRun, name: str) -> list[tuple[str, Outcome, str]]:
    (result,) = [r for r in run.changes.results if r.name == name]
    return [(ln.ref, ln.outcome, ln.note) for ln in result.lines if ln.field == "Update"]


def logged(c: Cycle, words: str) -> list[list[object]]:
    return [r for r in sheets(c.master)[SHEET_UPDATES] if words in str(r[4])]


def test_a_superseded_copy_and_its_replacement_add_the_same_words_once(cycle: Cycle):
    old = cycle.fill("GT", {SOLO: Answer("", WORDS)}, name="old copy.xlsx")
    new = reissued_return(cycle, {SOLO: Answer("", WORDS)}, "new copy.xlsx")
    clean = cycle.master.read_bytes()
    grids = []
    for order in ([old, new], [new, old]):
        cycle.master.write_bytes(clean)
        run = merge_returns(cycle.master, order, when=MERGED)
        assert run.changes.exit_code == 0
        lines = update_lines(run, "old copy.xlsx") + update_lines(run, "new copy.xlsx")
        assert sorted(outcome for _, outcome, _ in lines) == [Outcome.ADDED, Outcome.ALREADY]
        (note,) = [n for _, outcome, n in lines if outcome == Outcome.ALREADY]
        assert note.startswith("the same words as '") and note.endswith(
            "copy.xlsx', added from it in this merge"
        )
        update = cell(sheets(cycle.master)[SHEET_PLAN], SOLO, "Update")
        assert update.count(WORDS) == 1
        assert update.startswith(f"{new_entry_label(MERGED.date(), 'GT')}: {WORDS}\n\n")
        assert len(logged(cycle, WORDS)) == 1
        grids.append(sheets(cycle.master)[SHEET_PLAN])
    assert grids[0] == grids[1]


def test_the_same_words_merged_before_from_another_copy_are_already_in(cycle: Cycle):
    old = cycle.fill("GT", {SOLO: Answer("", WORDS)}, name="old copy.xlsx")
    merge_returns(cycle.master, [old], when=MERGED)
    new = reissued_return(
        cycle, {SOLO: Answer("", WORDS), "EHP-04": Answer("", "New words.")}, "new copy.xlsx"
    )
    run = merge_returns(cycle.master, [new], when=MERGED_LATER)
    issue = cycle.copies["GT"].issue_id
    assert update_lines(run, "new copy.xlsx") == [
        (SOLO, Outcome.ALREADY, f"already added from old copy.xlsx (issue {issue})"),
        ("EHP-04", Outcome.ADDED, ""),
    ]
    assert cell(sheets(cycle.master)[SHEET_PLAN], SOLO, "Update").count(WORDS) == 1
    assert len(logged(cycle, WORDS)) == 1


def test_other_leads_same_words_and_the_same_leads_other_words_are_added(cycle: Cycle):
    gt = cycle.fill("GT", {SHARED: Answer("", WORDS)})
    lh = cycle.fill("LH", {SHARED: Answer("", WORDS)})
    merge_returns(cycle.master, [gt, lh], when=MERGED)
    other = reissued_return(cycle, {SHARED: Answer("", WORDS + " Induction next.")}, "again.xlsx")
    run = merge_returns(cycle.master, [other], when=MERGED_LATER)
    assert [o for _, o, _ in update_lines(run, "again.xlsx")] == [Outcome.ADDED]
    update = cell(sheets(cycle.master)[SHEET_PLAN], SHARED, "Update")
    assert update.count(f"(GT): {WORDS}\n") == 1 and update.count(f"(LH): {WORDS}\n") == 1
    assert update.count(f"{WORDS} Induction next.") == 1
