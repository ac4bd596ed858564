"""Every path that depends on the calendar, run under fixed clocks: a single-digit day (the
update label is a character shorter), the last second of a year, and 29 February. What the code
stamps and judges must follow the clock it uses, whatever today's real date or time zone."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from click.testing import CliRunner

from actionplan.cli import cli
from sync.simulate import Answer, fill_copy
from tests.cycle import cell, sheets
from validation.run import validate_master
from workbook import clock
from workbook.master.sheets import SHEET_PLAN
from workbook.master.write import write_master
from workbook.plan.model import Item, Lead, Plan, Run, UpdateEntry
from workbook.plan.text import CELL_LIMIT
from workbook.plan.updates import new_entry_label

CLOCKS = [
    dt.datetime(2027, 3, 9, 9, 0, 0),  # a single-digit day
    dt.datetime(2027, 12, 31, 23, 59, 59),  # the year ends a second later
    dt.datetime(2028, 2, 29, 12, 0, 0),  # a leap day
]


def _item(ref: str, **kw: object) -> Item:
    fields: dict[str, object] = {
        "section": "Section",
        "finding": (Run(f"Finding {ref}"),),
        "actions": ("Do it",),
        "lead": "GT",
        "timescale": "",
        "status": "",
    }
    fields.update(kw)
    return Item(ref=ref, **fields)  # type: ignore[arg-type]


def _entry(day: dt.date, text: str) -> UpdateEntry:
    label = new_entry_label(day, "GT")
    return UpdateEntry(label=label, text=text, date=day, lead="GT")


@pytest.mark.parametrize("now", CLOCKS, ids=lambda d: f"{d:%Y-%m-%d_%H%M%S}")
def test_labels_limits_names_and_rules_follow_the_clock(tmp_path: Path, fixed_clock, now):
    fixed_clock(now)
    today = clock.today()
    history = "x" * 1000
    plan = Plan(
        title="Clock plan",
        sections=("Section",),
        items=(
            _item("FIT-01", updates=(UpdateEntry("", history),)),
            _item("OVER-01", updates=(UpdateEntry("", history),)),
            _item(
                "DUE-01",
                timescale=f"{today - dt.timedelta(days=1):%d/%m/%Y}",
                status="RED",
                updates=(_entry(today - dt.timedelta(days=30), "Heard in time."),),
            ),
            _item(
                "DUE-02",
                timescale=f"{today:%d/%m/%Y}",
                status="AMBER",
                updates=(_entry(today - dt.timedelta(days=31), "Heard too long ago."),),
            ),
        ),
        leads=(Lead("GT", "Gill Taylor", "gt@example.org"),),
        plan_id="plan-clock0001",
    )
    master = tmp_path / "master.xlsx"
    write_master(plan, master)

    # overdue and "this cycle" are judged at the clock's today when nothing else is given
    report = validate_master(master)
    assert report.as_of == today
    found = {(f.ref, f.code) for f in report.findings}
    assert ("DUE-01", "overdue") in found and ("DUE-02", "overdue") not in found
    assert ("DUE-01", "no-recent-update") not in found
    assert ("DUE-02", "no-recent-update") in found

    # copies are named by the clock's day
    runner = CliRunner()
    result = runner.invoke(cli, ["issue", str(master), "--out", str(tmp_path / "copies")])
    assert result.exit_code == 0, result.output
    (copy,) = (tmp_path / "copies").iterdir()
    assert copy.name == f"Action plan - GT - issued {today:%Y-%m-%d}.xlsx"

    # the update label is the clock's day, and the cell limit is measured against that label
    label = f"{new_entry_label(today, 'GT')}: "
    room = CELL_LIMIT - len(label) - len("\n\n") - len(history)
    fits, overflows = "f" * room, "o" * (room + 1)
    ret = tmp_path / "GT return.xlsx"
    fill_copy(copy, ret, {"FIT-01": Answer("", fits), "OVER-01": Answer("", overflows)})
    backups = tmp_path / "backups"
    before = set(backups.iterdir()) if backups.exists() else set()
    result = runner.invoke(cli, ["merge", str(master), str(ret)])
    assert result.exit_code == 1, result.output
    grid = sheets(master)[SHEET_PLAN]
    assert cell(grid, "FIT-01", "Update") == f"{label}{fits}\n\n{history}"
    assert len(str(cell(grid, "FIT-01", "Update"))) == CELL_LIMIT
    assert cell(grid, "OVER-01", "Update") == history
    assert "32,767-character limit" in result.output

    # the backup and the receipt are named and dated by the same clock
    # (the issue a moment before, by this fixed clock the same second, took the plain name)
    (backup,) = set(backups.iterdir()) - before
    assert backup.name == f"master {now:%Y-%m-%d %H%M%S} (2).xlsx"
    receipt = (tmp_path / "receipts" / "GT return - receipt.txt").read_text(encoding="utf-8")
    assert f"Merged: {now:%d %b %Y %H:%M}\n" in receipt
    assert f"{new_entry_label(today, 'GT')}: " in receipt


def test_the_label_is_as_long_as_the_date_it_names():
    """Why the limit check must use the clock's own label: its length changes with the day."""
    short = new_entry_label(dt.date(2027, 3, 9), "GT")
    long = new_entry_label(dt.date(2027, 3, 10), "GT")
    assert (short, long) == ("Update 9 Mar 27 (GT)", "Update 10 Mar 27 (GT)")


def test_the_clock_gives_local_time_to_the_second():
    now = clock.now()
    assert now.microsecond == 0 and now.tzinfo is None
    assert abs(now - dt.datetime.now()) < dt.timedelta(seconds=2)
    assert clock.today() in (now.date(), (now + dt.timedelta(seconds=2)).date())


def test_a_fixed_clock_fixes_today_too(fixed_clock):
    fixed_clock(dt.datetime(2027, 1, 1, 0, 0, 1))
    assert clock.today() == dt.date(2027, 1, 1)
