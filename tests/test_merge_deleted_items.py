"""What a lead typed for an item the owner has deleted since their copy was issued (issue 13,
item 6): nothing is taken in, and each field they answered - status, update, proposed
time-scale - gets its own line, on the receipt and in the Changes log, with what they typed."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from openpyxl import load_workbook

from sync.merge.apply import merge_returns
from sync.merge.core import DELETED_NOTE, master_state
from sync.merge.outcomes import Outcome
from sync.simulate import Answer
from tests.cycle import MERGED, Cycle, cell, sheets, solo_items, start_cycle
from workbook.importers.seed import seed_plan
from workbook.master.sheets import SHEET_CHANGES, SHEET_PLAN
from workbook.plan.model import Plan

#: A lead and three items they lead alone, chosen from the embedded plan: SOLO is deleted,
#: DONE is issued BLUE (by the fixture) and deleted, KEPT stays in the plan.
LEAD, (SOLO, DONE, KEPT) = solo_items(seed_plan(), 3)
WORDS = "Panel held on 20 May.\nTwo posts filled; induction in June."


@pytest.fixture
def cycle(tmp_path: Path, seed: Plan) -> Cycle:
    items = tuple(
        dataclasses.replace(it, status="BLUE") if it.ref == DONE else it for it in seed.items
    )
    return start_cycle(tmp_path, dataclasses.replace(seed, items=items))


def delete_items(c: Cycle, *refs: str) -> None:
    """The owner deletes the items' rows from the master's Action Plan, as in Excel."""
    wb = load_workbook(c.master, rich_text=True)
    ws = wb[SHEET_PLAN]
    for ref in refs:
        row = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == ref)
        ws.delete_rows(row)
    wb.save(c.master)
    assert not set(refs) & set(master_state(sheets(c.master)).rows)


def test_each_field_typed_for_a_deleted_item_is_reported(cycle: Cycle):
    assert {SOLO, DONE, KEPT} <= set(cycle.copies[LEAD].refs)
    ret = cycle.fill(
        LEAD,
        {
            SOLO: Answer("green", WORDS, "Jun-24"),
            DONE: Answer("BLUE", "", ""),  # the status as issued: no answer
            KEPT: Answer("AMBER", "Audit booked."),
        },
    )
    delete_items(cycle, SOLO, DONE)
    run = merge_returns(cycle.master, [ret], when=MERGED)
    assert run.changes.exit_code == 1
    (result,) = run.changes.results
    assert result.outcome == "merged"
    gone = [ln for ln in result.lines if ln.ref in (SOLO, DONE)]
    assert [(ln.ref, ln.field, ln.outcome, ln.new, ln.note) for ln in gone] == [
        (SOLO, "Status", Outcome.REJECTED, "green", DELETED_NOTE),
        (SOLO, "Update", Outcome.REJECTED, WORDS, DELETED_NOTE),  # whole, for the owner
        (SOLO, "Proposed time-scale", Outcome.REJECTED, "Jun-24", DELETED_NOTE),
    ]
    # the rest of the return merges
    grid = sheets(cycle.master)
    assert cell(grid[SHEET_PLAN], KEPT, "Status") == "AMBER"
    logged = [r for r in grid[SHEET_CHANGES] if r[4] == SOLO]
    assert [(r[5], r[7], r[8], r[9]) for r in logged] == [
        ("Status", "green", "rejected", DELETED_NOTE),
        ("Update", WORDS, "rejected", DELETED_NOTE),
        ("Proposed time-scale", "Jun-24", "rejected", DELETED_NOTE),
    ]
    assert WORDS not in str(grid[SHEET_PLAN]) and "Proposals" not in grid
    (receipt,) = run.receipts
    text = receipt.read_text()
    not_taken = text.split("Not taken in:\n", 1)[1]
    for field, typed in (
        ("Status", "'green'"),
        ("Update", "'Panel held on 20 May. Two posts filled; induction in June.'"),
        ("Proposed time-scale", "'Jun-24'"),
    ):
        assert f"  - {SOLO} {field} {typed}: {DELETED_NOTE}\n" in not_taken
    assert DONE not in text


def test_a_deleted_item_left_as_issued_gives_no_line(cycle: Cycle):
    ret = cycle.fill(LEAD, {KEPT: Answer("GREEN")})
    delete_items(cycle, SOLO)
    run = merge_returns(cycle.master, [ret], when=MERGED)
    assert run.changes.exit_code == 0
    assert [ln.ref for ln in run.changes.results[0].lines] == [KEPT]


def test_a_formula_typed_for_a_deleted_item_is_quoted(cycle: Cycle):
    """An answer the reader cannot take as words (a formula) for a deleted item is still the
    lead's: it gets its line, with its formula text."""
    ret = cycle.fill(LEAD, {KEPT: Answer("GREEN")})
    wb = load_workbook(ret)
    ws = wb[SHEET_PLAN]
    head = next(r for r in range(1, 40) if ws.cell(r, 1).value == "Ref")
    col = next(c for c in range(1, ws.max_column + 1) if ws.cell(head, c).value == "New update")
    row = next(r for r in range(head, ws.max_row + 1) if ws.cell(r, 1).value == SOLO)
    ws.cell(row, col).value = "=1+1"  # a formula, as openpyxl writes one: no saved value
    wb.save(ret)
    delete_items(cycle, SOLO)
    run = merge_returns(cycle.master, [ret], when=MERGED)
    assert run.changes.exit_code == 1
    gone = [ln for ln in run.changes.results[0].lines if ln.ref == SOLO]
    assert [(ln.field, ln.outcome, ln.new, ln.note) for ln in gone] == [
        ("New update", Outcome.REJECTED, "=1+1", DELETED_NOTE)
    ]
