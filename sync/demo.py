"""The demo: the whole update cycle on the embedded March 2023 plan, in a folder of its own.

Master, a copy for every lead, simulated returns from all but one of them (every update labelled
as simulated), the merge, validation and the board pack, on the dates of the plan's first update
cycle, so the demo tells the same story whenever it is run.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
from dataclasses import dataclass
from pathlib import Path

from sync.copies import IssueRun, issue_copies
from sync.merge.apply import MergeRun, merge_returns
from sync.simulate import fill_copy, simulated_answers
from validation.report import Report
from validation.run import validate_master
from workbook.board.packs import BoardRun, make_board_pack
from workbook.board.pdf import find_soffice
from workbook.importers.seed import seed_plan
from workbook.importers.source import new_plan_id
from workbook.master.settings import SETTING_AS_OF
from workbook.master.write import write_master
from workbook.plan.model import Plan

#: The end of the March 2023 plan's first update cycle: the plan is judged as at this date.
DEMO_AS_OF = dt.date(2023, 5, 31)
#: Copies go out mid-May; the returns are merged at the end of the month.
DEMO_ISSUED = dt.datetime(2023, 5, 15, 9, 0)
DEMO_MERGED = dt.datetime(2023, 5, 31, 17, 0)
#: The demo's own folders, replaced at each run.
DEMO_FOLDERS = ("copies", "returns", "receipts", "backups")


@dataclass(frozen=True)
class DemoRun:
    """What the demo did, step by step, for the command to report."""

    plan: Plan
    master: Path
    issued: IssueRun
    returns_dir: Path
    returned: tuple[Path, ...]
    not_replied: str  # the lead left outstanding
    merged: MergeRun
    report: Report
    board: BoardRun


def run_demo(out: Path) -> DemoRun:
    """Run the cycle in `out` (created if missing; its demo files are replaced)."""
    out.mkdir(parents=True, exist_ok=True)
    for folder in DEMO_FOLDERS:
        shutil.rmtree(out / folder, ignore_errors=True)
    plan = dataclasses.replace(seed_plan(), plan_id=new_plan_id())
    master = out / "master.xlsx"
    write_master(plan, master, settings={SETTING_AS_OF: DEMO_AS_OF})

    issued = issue_copies(master, out / "copies", when=DEMO_ISSUED)
    returns_dir = out / "returns"
    returns_dir.mkdir()
    replied = issued.copies[:-1]  # the last lead has not replied yet
    answers = simulated_answers([(c.lead, c.refs) for c in replied], plan.rag_key)
    returned = []
    for copy in replied:
        path = returns_dir / f"SIMULATED return - {copy.lead}.xlsx"
        fill_copy(copy.path, path, answers[copy.lead])
        returned.append(path)
    merged = merge_returns(master, returned, receipts_dir=out / "receipts", when=DEMO_MERGED)

    report = validate_master(master)
    soffice = find_soffice()
    board = make_board_pack(master, out / "board.xlsx", pdf=soffice is not None, soffice=soffice)
    return DemoRun(
        plan=plan,
        master=master,
        issued=issued,
        returns_dir=returns_dir,
        returned=tuple(returned),
        not_replied=issued.copies[-1].lead,
        merged=merged,
        report=report,
        board=board,
    )
