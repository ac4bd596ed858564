"""Helpers for tests of the update cycle: a seed master with copies issued, returns filled in as a
lead would, and the master's sheets read back with an independent reader."""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from python_calamine import CalamineWorkbook

from sync.copies import IssuedFile, issue_copies
from sync.simulate import Answer, fill_copy
from workbook.master.write import write_master
from workbook.plan.model import Plan

ISSUED = dt.datetime(2023, 5, 15, 9, 0)
MERGED = dt.datetime(2023, 5, 31, 17, 0)


@dataclass
class Cycle:
    """A master with copies issued to every lead, in a folder of its own."""

    folder: Path
    master: Path
    copies: dict[str, IssuedFile]

    def fill(self, lead: str, answers: dict[str, Answer], name: str | None = None) -> Path:
        """`lead`'s copy filled in with `answers`, saved as Excel would, in returns/."""
        out = self.folder / "returns" / (name or f"{lead} return.xlsx")
        out.parent.mkdir(exist_ok=True)
        fill_copy(self.copies[lead].path, out, answers)
        return out


def start_cycle(folder: Path, plan: Plan, *, leads: list[str] | None = None) -> Cycle:
    folder.mkdir(parents=True, exist_ok=True)
    master = folder / "master.xlsx"
    if not plan.plan_id:
        plan = dataclasses.replace(plan, plan_id="plan-test0001")
    write_master(plan, master)
    run = issue_copies(master, folder / "copies", leads=leads, when=ISSUED)
    shutil.rmtree(folder / "backups", ignore_errors=True)
    return Cycle(folder, master, {c.lead: c for c in run.copies})


def sheets(path: Path) -> dict[str, list[list[Any]]]:
    """Every sheet of a workbook as python-calamine reads it, from A1."""
    wb = CalamineWorkbook.from_path(str(path))
    try:
        return {
            name: wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
            for name in wb.sheet_names
        }
    finally:
        wb.close()


def item_row(grid: list[list[Any]], ref: str) -> list[Any]:
    """The `Action Plan` row whose column A is `ref`."""
    return next(row for row in grid if row and row[0] == ref)


def header(grid: list[list[Any]]) -> list[Any]:
    return next(row for row in grid if row and row[0] == "Ref")


def cell(grid: list[list[Any]], ref: str, title: str) -> Any:
    return item_row(grid, ref)[header(grid).index(title)]


def solo_items(plan: Plan, n: int) -> tuple[str, tuple[str, ...]]:
    """A lead who alone leads at least `n` items, and the first `n` of those items' refs - chosen
    from the plan, so a test needs no particular plan's leads or refs."""
    alone: dict[str, list[str]] = {}
    for it in plan.items:
        codes = plan.codes_of(it)
        if len(codes) == 1:
            alone.setdefault(codes[0], []).append(it.ref)
    lead = max(alone, key=lambda code: len(alone[code]), default=None)
    if lead is None or len(alone[lead]) < n:
        raise LookupError(f"no lead leads {n} items alone in {plan.source or 'the plan'}")
    return lead, tuple(alone[lead][:n])
