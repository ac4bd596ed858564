"""A time-scale that names no year ("Summer term", "Jun") is read in the plan's year everywhere the
master is read - the master reader, `actionplan rag`, validation and the merge of a lead's proposed
time-scale - as the import read it (`workbook.master.read.year_of_plan`)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

from openpyxl import load_workbook

from tests.cycle import header, sheets, start_cycle
from validation.run import validate_master
from workbook.formatting.rag import rag_master
from workbook.master.read import read_master
from workbook.master.sheets import DUE_COLUMN, SHEET_PLAN
from workbook.plan.model import Item, Plan, Run

MERGED = dt.datetime(2026, 2, 10, 9, 0)


def plan() -> Plan:
    items = tuple(
        Item(
            ref=f"P{n}",
            section="",
            finding=(Run(f"Finding {n}."),),
            actions=("Act.",),
            lead="AB",
            timescale=timescale,
        )
        for n, timescale in enumerate(["Summer term", "Jun", "Dec 2026"], 1)
    )
    return Plan(title="School plan", date_label="September 2025", items=items, plan_id="plan-y1")


def test_the_master_reader_rag_and_validation_read_the_plans_year(tmp_path: Path) -> None:
    cycle = start_cycle(tmp_path, plan())
    master = cycle.master
    expected = [dt.date(2025, 7, 31), dt.date(2025, 6, 30), dt.date(2026, 12, 31)]
    assert [it.due for it in read_master(master).items] == expected
    # the owner clears the Due cells; `rag` writes them again from the time-scales
    wb = load_workbook(master)
    ws = wb[SHEET_PLAN]
    row = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == "Ref")
    col = next(c for c in range(1, ws.max_column + 1) if ws.cell(row, c).value == "Due")
    for r in range(row + 1, row + 4):
        ws.cell(r, col).value = None
    wb.save(master)
    rag_master(master)
    grid = sheets(master)[SHEET_PLAN]
    at = header(grid).index(DUE_COLUMN.title)
    due = {row[0]: row[at] for row in grid if row and str(row[0]).startswith("P")}
    # calamine gives a date cell as a date, or as a datetime at midnight
    days = [d.date() if isinstance(d, dt.datetime) else d for d in due.values()]
    assert days == expected
    found = validate_master(master, as_of=MERGED.date())
    codes = {f.code for f in found.findings if f.ref}
    assert "unreadable-timescale" not in codes and "missing-timescale" not in codes
    # overdue by the plan's year: P1 and P2 were due in 2025, P3 is not due yet
    assert sorted(f.ref for f in found.findings if f.code == "overdue") == ["P1", "P2"]


def test_a_proposed_time_scale_without_a_year_is_read_in_the_plans_year(tmp_path: Path) -> None:
    from sync.merge.apply import merge_returns
    from sync.simulate import Answer

    cycle = start_cycle(tmp_path, dataclasses.replace(plan(), date_label="March 2026"))
    ret = cycle.fill(
        "AB", {"P1": Answer("AMBER", "Later than hoped.", proposed_timescale="Autumn term")}
    )
    merged = merge_returns(cycle.master, [ret], when=MERGED)
    assert merged.changes.exit_code == 0, merged.changes.to_dict()
    proposals = sheets(cycle.master)["Proposals"]
    row = next(r for r in proposals if "P1" in r)
    assert "Autumn term" in row and dt.date(2026, 12, 31) in row, row
