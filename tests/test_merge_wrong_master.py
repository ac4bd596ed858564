"""Returns that all belong to another plan: the owner gave the wrong master. Nothing is written
(no backup, no Changes rows, no receipt, the master's bytes as they were) and one line names the
plan the returns belong to and the master given - from the command line, the watcher and the
add-in alike. A batch with at least one return of ours still merges, each other plan's copy
rejected on its own as before."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from xlremote import apply_actions, remote_book, xlremote  # noqa: F401 (a fixture)

import xl_addin.handlers as handlers
from actionplan.cli import cli
from sync.simulate import Answer
from sync.watch import ReturnsWatcher
from tests.cycle import MERGED, Cycle, sheets, solo_items, start_cycle
from workbook.plan.model import Plan

OTHER_TITLE = "Children's services improvement plan (another council)"
OTHER_ID = "plan-other-council"


@pytest.fixture
def ours(tmp_path: Path, seed: Plan) -> Cycle:
    return start_cycle(tmp_path / "ours", seed)


@pytest.fixture
def theirs(tmp_path: Path, seed: Plan) -> Cycle:
    other = dataclasses.replace(seed, plan_id=OTHER_ID, title=OTHER_TITLE)
    return start_cycle(tmp_path / "theirs", other)


def _answered(c: Cycle, plan: Plan, name: str) -> Path:
    lead, refs = solo_items(plan, 1)
    return c.fill(lead, {refs[0]: Answer("GREEN", "done")}, name=name)


def _tree(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` with its bytes: what a run may not change."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_merging_only_another_plans_return_writes_nothing_and_says_whose_it_is(
    ours: Cycle, theirs: Cycle, seed: Plan
) -> None:
    ret = _answered(theirs, seed, "GT return.xlsx")
    before = _tree(ours.folder)
    result = CliRunner().invoke(cli, ["merge", str(ours.master), str(ret)])
    assert result.exit_code == 2, result.output
    (line,) = result.output.splitlines()
    assert line.startswith("Error: GT return.xlsx is a copy of ")
    assert f"{OTHER_TITLE!r} (plan id {OTHER_ID})" in line
    assert f"not of the master given ({ours.master}, {seed.title!r}, plan id plan-test0001)" in line
    assert "nothing was written" in line
    assert _tree(ours.folder) == before  # no backup, no receipt, the master byte for byte
    assert not (ours.folder / "backups").exists() and not (ours.folder / "receipts").exists()


def test_a_folder_of_another_plans_returns_is_refused_whole_with_dry_run_too(
    ours: Cycle, theirs: Cycle, seed: Plan
) -> None:
    _answered(theirs, seed, "one.xlsx")
    _answered(theirs, seed, "two.xlsx")
    before = _tree(ours.folder)
    for extra in ([], ["--dry-run"]):
        args = ["merge", str(ours.master), "--returns", str(theirs.folder / "returns"), *extra]
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 2, result.output
        (line,) = result.output.splitlines()
        assert line.startswith(f"Error: all 2 returns given are copies of {OTHER_TITLE!r}")
        assert f"merge them into the master of {OTHER_TITLE!r}" in line
    assert _tree(ours.folder) == before


def test_a_mixed_batch_merges_ours_and_rejects_the_other_plans_copy_as_before(
    ours: Cycle, theirs: Cycle, seed: Plan
) -> None:
    foreign = _answered(theirs, seed, "foreign.xlsx")
    mine = _answered(ours, seed, "mine.xlsx")
    result = CliRunner().invoke(cli, ["merge", str(ours.master), str(mine), str(foreign)])
    assert result.exit_code == 1, result.output
    assert "a copy of another plan" in result.output and "merge it into its own master" in (
        result.output
    )
    log = sheets(ours.master)["Changes"]
    assert [r[8] for r in log if r[1] == "foreign.xlsx"] == ["rejected"]
    assert any(r[1] == "mine.xlsx" and r[8] == "applied" for r in log)
    assert (ours.folder / "receipts" / "foreign - receipt.txt").exists()


def test_the_watcher_logs_the_line_writes_nothing_and_does_not_retry(
    ours: Cycle, theirs: Cycle, seed: Plan, tmp_path: Path
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy(_answered(theirs, seed, "GT.xlsx"), inbox / "GT.xlsx")
    master_bytes = ours.master.read_bytes()
    lines: list[str] = []
    watcher = ReturnsWatcher(ours.master, inbox, settle=0.0, log=lines.append, retry=0.0)
    for _ in range(4):
        watcher.step()
    refused = [ln for ln in lines if "not merged: GT.xlsx is a copy of" in ln]
    assert len(refused) == 1, lines  # logged once, not at every scan
    assert f"(plan id {OTHER_ID})" in refused[0]
    assert ours.master.read_bytes() == master_bytes
    assert sorted(p.name for p in inbox.iterdir()) == ["GT.xlsx"]  # left where it was
    assert not (ours.folder / "backups").exists()
    # one of ours dropped beside it merges; the refused copy waits, untried, until it changes
    shutil.copy(_answered(ours, seed, "mine.xlsx"), inbox / "mine.xlsx")
    for _ in range(2):
        watcher.step()
    assert (inbox / "merged" / "mine.xlsx").exists()
    assert (inbox / "GT.xlsx").exists() and len([ln for ln in lines if "not merged" in ln]) == 1


@pytest.mark.usefixtures("xlremote")
def test_the_addin_refuses_with_the_same_line_and_changes_nothing(
    ours: Cycle, theirs: Cycle, seed: Plan, monkeypatch: pytest.MonkeyPatch
) -> None:
    wb = load_workbook(ours.master, rich_text=True)
    ws = wb["Settings"]
    rows = range(1, ws.max_row + 1)
    row = next((r for r in rows if ws.cell(r, 1).value == "Returns folder"), ws.max_row + 1)
    ws.cell(row, 1).value = "Returns folder"
    ws.cell(row, 2).value = str(theirs.folder / "returns")
    wb.save(ours.master)
    monkeypatch.setattr(handlers, "_now", lambda: MERGED)
    _answered(theirs, seed, "GT.xlsx")
    book = remote_book(ours.master)
    message = handlers.merge_returns(book)
    out = ours.folder / "after.xlsx"
    alerts = apply_actions(ours.master, book.json(), out)
    assert message.startswith(f"GT.xlsx is a copy of {OTHER_TITLE!r} (plan id {OTHER_ID})")
    assert "nothing was written" in message and "\n" not in message
    assert [a.prompt for a in alerts] == [message]
    assert sheets(out) == sheets(ours.master)
    assert not (theirs.folder / "returns" / "receipts").exists()


def test_a_copy_of_ours_with_its_plan_id_altered_is_rejected_as_altered_not_as_a_wrong_master(
    ours: Cycle, seed: Plan
) -> None:
    """The copy's issue is one this master made: it is ours, its identity altered - rejected on
    its own (exit 1, a receipt saying so), the master not refused as the wrong one."""
    ret = _answered(ours, seed, "altered.xlsx")
    wb = load_workbook(ret)
    identity = next(ws for ws in wb.worksheets if ws.sheet_state == "veryHidden")
    row = next(r for r in identity.iter_rows() if r[0].value == "Plan id")
    row[1].value = OTHER_ID
    wb.save(ret)
    result = CliRunner().invoke(cli, ["merge", str(ours.master), str(ret)])
    assert result.exit_code == 1, result.output
    receipt = next((ours.master.parent / "receipts").glob("altered*")).read_text()
    assert "another plan" in receipt or "altered" in receipt
