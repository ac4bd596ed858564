"""The add-in's buttons on a live workbook, through xlwings' remote engine (no Excel here): a
payload built from a real master as the Office.js client builds it, the handler run on it, the
returned actions applied back onto a copy of the master as Excel would apply them - and the result
compared with what the command line makes of the same files."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from openpyxl import load_workbook
from xlremote import apply_actions, remote_book, xlremote  # noqa: F401 (a fixture)

import xl_addin.handlers as handlers
from sync.copies import issue_copies
from sync.merge.apply import merge_returns as cli_merge
from sync.simulate import Answer
from tests.cycle import MERGED, Cycle, cell, sheets, start_cycle
from validation.run import validate_master
from workbook.formatting.rag import rag_master
from workbook.master.sheets import SHEET_PLAN
from workbook.plan.model import Plan

pytestmark = pytest.mark.usefixtures("xlremote")


def _set_setting(master: Path, name: str, value: str) -> None:
    wb = load_workbook(master, rich_text=True)
    ws = wb["Settings"]
    row = next((r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == name), None)
    if row is None:
        row = ws.max_row + 1
        ws.cell(row, 1).value = name
    ws.cell(row, 2).value = value
    wb.save(master)


def _press(button, master: Path, out: Path, **payload: str) -> tuple[str, list]:
    """Press a button on the workbook `master` as Excel would show it; save the result as
    `out`. Returns the handler's message and the alerts Excel would show."""
    book = remote_book(master, **payload)
    message = button(book)
    alerts = apply_actions(master, book.json(), out)
    return message, alerts


@pytest.fixture
def cycle(tmp_path: Path, seed: Plan, monkeypatch: pytest.MonkeyPatch) -> Cycle:
    c = start_cycle(tmp_path / "cycle", seed)
    _set_setting(c.master, "Returns folder", str(c.folder / "returns"))
    monkeypatch.setattr(handlers, "_now", lambda: MERGED)
    return c


# Excel's client sends a cell with a custom date format (the master's) as its serial number, or
# (some versions) as an ISO date: the result must not depend on which.
@pytest.mark.parametrize("custom_dates", ["serial", "iso"])
def test_merge_returns_in_excel_gives_the_same_master_as_the_command_line(
    cycle: Cycle, custom_dates: str
):
    cycle.fill("GT", {"WNI-01": Answer("amber", "=live update\nline two", "Jun-24")})
    cycle.fill("LH", {"WNI-02": Answer("GREEN", "LH says")})
    cycle.fill("JoR", {"WNI-02": Answer("RED", "JoR disagrees")})  # a conflict
    cycle.fill("LJ", {"WNI-02": Answer("Yellow")})  # rejected
    (cycle.folder / "returns" / "junk.xlsx").write_bytes(b"not a workbook")
    clean = cycle.folder / "clean.xlsx"
    shutil.copy(cycle.master, clean)

    message, alerts = _press(
        handlers.merge_returns, cycle.master, cycle.folder / "live.xlsx", custom_dates=custom_dates
    )
    assert message.startswith("Merged 4 returns: 1 status change, 3 updates")
    assert "2 conflicts (see Conflicts)" in message and "1 file rejected" in message
    assert [a.prompt for a in alerts] == [message]

    cli = cycle.folder / "cli.xlsx"
    shutil.copy(clean, cli)
    returns = sorted((cycle.folder / "returns").glob("*.xlsx"))
    cli_merge(cli, returns, when=MERGED, receipts_dir=cycle.folder / "cli-receipts")
    live, file = sheets(cycle.folder / "live.xlsx"), sheets(cli)
    assert sorted(live) == sorted(file)
    for name in file:
        assert live[name] == file[name], name
    assert cell(live[SHEET_PLAN], "WNI-01", "Update").startswith(
        "Update 31 May 23 (GT): =live update\nline two"
    )
    # the new sheets are hidden as the file path hides them
    wb = load_workbook(cycle.folder / "live.xlsx")
    assert wb["MergedReturns"].sheet_state != "visible"
    # the receipts say the same, down to when each copy was issued
    for receipt in sorted((cycle.folder / "cli-receipts").iterdir()):
        live_receipt = cycle.folder / "returns" / "receipts" / receipt.name
        assert live_receipt.read_text() == receipt.read_text()
    assert (
        "Copy for GT, issued 15 May 2023"
        in (cycle.folder / "cli-receipts" / "GT return - receipt.txt").read_text()
    )


def test_merging_again_in_excel_changes_nothing(cycle: Cycle):
    cycle.fill("GT", {"WNI-01": Answer("GREEN", "done")})
    once = cycle.folder / "once.xlsx"
    _press(handlers.merge_returns, cycle.master, once)
    message, _ = _press(handlers.merge_returns, once, cycle.folder / "twice.xlsx")
    assert "1 already merged before" in message
    assert sheets(cycle.folder / "twice.xlsx") == sheets(once)


def test_validate_lists_the_same_findings_as_the_command_line(cycle: Cycle):
    message, _ = _press(handlers.validate, cycle.master, cycle.folder / "v.xlsx")
    report = validate_master(cycle.master)
    assert message.startswith(
        f"Validated as of {report.as_of:%d %b %Y}: {len(report.errors)} errors, "
        f"{len(report.warnings)} warnings."
    )
    grid = sheets(cycle.folder / "v.xlsx")["Validation"]
    assert grid[1][:5] == ["Severity", "Code", "Ref", "Cell", "Message"]
    rows = [tuple(r[:5]) for r in grid[2:] if r[0]]
    assert rows == [(f.severity, f.code, f.ref, f.cell, f.message) for f in report.findings]


def test_validate_twice_replaces_the_findings(cycle: Cycle):
    first = cycle.folder / "v1.xlsx"
    _press(handlers.validate, cycle.master, first)
    _press(handlers.validate, first, cycle.folder / "v2.xlsx")
    assert sheets(cycle.folder / "v2.xlsx")["Validation"] == sheets(first)["Validation"]


def test_apply_rag_colours_statuses_marks_overdue_and_refreshes_due(cycle: Cycle):
    # the owner changed a time-scale: Due is stale until RAG is applied
    wb = load_workbook(cycle.master, rich_text=True)
    ws = wb[SHEET_PLAN]
    row = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == "WNI-01")
    ws.cell(row, 5).value = "Sep-25"
    wb.save(cycle.master)
    message, _ = _press(handlers.apply_rag, cycle.master, cycle.folder / "rag.xlsx")
    assert message == "RAG formatting applied to 27 item rows; Due dates refreshed."
    out = load_workbook(cycle.folder / "rag.xlsx")
    ws = out[SHEET_PLAN]
    assert ws.cell(row, 8).value == dt.datetime(2025, 9, 30)
    formulas = [
        rule.formula[0] for rng in ws.conditional_formatting for rule in rng.rules if rule.formula
    ]
    assert any('UPPER(TRIM($G11))="GREEN"' in f for f in formulas)
    assert len(formulas) == 10  # the rules replaced, not added twice
    assert any("AsOfDate" in f for f in formulas)
    lists = [dv for dv in ws.data_validations.dataValidation if dv.type == "list"]
    assert lists and "GREEN" in lists[-1].formula1


def test_issue_copies_from_excel_records_them_so_their_returns_merge(cycle: Cycle, tmp_path: Path):
    copies = tmp_path / "from-excel"
    _set_setting(cycle.master, "Copies folder", str(copies))
    live = cycle.folder / "issued.xlsx"
    message, _ = _press(handlers.issue_copies, cycle.master, live)
    assert message.startswith(f"Issued 13 copies to {copies}")
    gt = next(copies.glob("Action plan - GT - *.xlsx"))
    # a lead fills in the copy issued from Excel; the command line merges it into the saved master
    lead = Cycle(tmp_path, live, {})
    from sync.simulate import fill_copy

    ret = tmp_path / "gt-return.xlsx"
    fill_copy(gt, ret, {"WNI-01": Answer("GREEN", "from the Excel-issued copy")})
    run = cli_merge(live, [ret], when=MERGED, receipts_dir=tmp_path / "r")
    assert run.changes.exit_code == 0, run.changes.to_dict()
    assert cell(sheets(lead.master)[SHEET_PLAN], "WNI-01", "Status") == "GREEN"


def test_board_pack_from_excel_writes_the_pack_and_records_it(cycle: Cycle, tmp_path: Path):
    folder = tmp_path / "board"
    _set_setting(cycle.master, "Board folder", str(folder))
    _set_setting(cycle.master, "As-of date", "2023-05-31")
    message, _ = _press(handlers.board_pack, cycle.master, cycle.folder / "b.xlsx")
    assert message == f"Board pack 1 written: {folder / 'Board pack 2023-05-31.xlsx'}"
    assert (folder / "Board pack 2023-05-31.xlsx").exists()
    packs = sheets(cycle.folder / "b.xlsx")["BoardPacks"]
    assert packs[0][:5] == ["Pack", "Made", "As-of date", "Ref", "Status"]
    assert len(packs) == 1 + 27 and {r[0] for r in packs[1:]} == {1}


def test_errors_reach_the_owner_as_one_line(cycle: Cycle):
    _set_setting(cycle.master, "Returns folder", str(cycle.folder / "nowhere"))
    message, alerts = _press(handlers.merge_returns, cycle.master, cycle.folder / "e.xlsx")
    assert message == (
        f"the returns folder {cycle.folder / 'nowhere'} does not exist; check 'Returns folder' "
        "on the Settings sheet"
    )
    assert [a.prompt for a in alerts] == [message] and "\n" not in message


def test_an_unexpected_failure_is_one_line_and_changes_nothing(
    cycle: Cycle, monkeypatch: pytest.MonkeyPatch
):
    def boom(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr("xl_addin.handlers.merge", boom)
    cycle.fill("GT", {"WNI-01": Answer("GREEN")})
    message, _ = _press(handlers.merge_returns, cycle.master, cycle.folder / "x.xlsx")
    assert message == "Something went wrong (RuntimeError: disk on fire); nothing was changed."
    assert sheets(cycle.folder / "x.xlsx") == sheets(cycle.master)


def test_issuing_from_the_command_line_needs_the_master_closed(cycle: Cycle):
    """The add-in is the way to issue while the master is open: the file path refuses."""
    (cycle.folder / "~$master.xlsx").write_bytes(b"")
    with pytest.raises(Exception, match="is open in Excel"):
        issue_copies(cycle.master, cycle.folder / "o")


def test_apply_rag_in_excel_repairs_an_old_master_as_the_command_line_does(cycle: Cycle):
    """A master from before the Due column and the as-of date: the add-in and `actionplan rag`
    take the same steps (rag_changes, applied through either editor) and give the same values."""
    wb = load_workbook(cycle.master, rich_text=True)
    ws = wb[SHEET_PLAN]
    h = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == "Ref")
    sections = [m.min_row for m in ws.merged_cells.ranges if m.min_row > h]
    for row in sections:
        ws.unmerge_cells(f"A{row}:H{row}")
        ws.merge_cells(f"A{row}:G{row}")
    for r in range(h, ws.max_row + 1):
        ws.cell(r, 8).value = None
    settings = wb["Settings"]
    settings.delete_rows(next(r[0].row for r in settings.iter_rows() if r[0].value == "As-of date"))
    del wb.defined_names["AsOfDate"]
    wb.save(cycle.master)
    cli = cycle.folder / "cli.xlsx"
    shutil.copy(cycle.master, cli)

    message, _ = _press(handlers.apply_rag, cycle.master, cycle.folder / "live.xlsx")
    assert message == "RAG formatting applied to 27 item rows; Due dates refreshed."
    assert rag_master(cli).due_column_added
    live, file = sheets(cycle.folder / "live.xlsx"), sheets(cli)
    for name in (SHEET_PLAN, "Settings"):
        assert live[name] == file[name], name
    out = load_workbook(cycle.folder / "live.xlsx")
    assert out.defined_names["AsOfDate"].attr_text == (
        load_workbook(cli).defined_names["AsOfDate"].attr_text
    )
    merged = {str(m) for m in out[SHEET_PLAN].merged_cells.ranges}
    assert merged == {f"A{r}:H{r}" for r in sections}
    assert out[SHEET_PLAN].cell(h, 8).font.bold


def test_the_buttons_read_statuses_by_the_plans_own_key(cycle: Cycle):
    """The owner adds a spelling to the RAG key sheet and recolours AMBER: Merge returns reads
    the lead's word by that key, as the command line does, and Apply RAG colours and tests what
    the key holds."""
    wb = load_workbook(cycle.master, rich_text=True)
    key = wb["RAG key"]
    key.cell(2, 5).value = "Achieved"  # GREEN's words
    key.cell(3, 3).value = "Purple"  # AMBER's fill
    wb.save(cycle.master)
    cycle.fill("GT", {"WNI-01": Answer("achieved", "signed off")})
    cycle.fill("AxB", {"EHP-04": Answer("done", "nearly")})  # no word of this key
    clean = cycle.folder / "clean.xlsx"
    shutil.copy(cycle.master, clean)

    message, _ = _press(handlers.merge_returns, cycle.master, cycle.folder / "live.xlsx")
    assert message.startswith("Merged 2 returns: 1 status change")
    live = sheets(cycle.folder / "live.xlsx")
    assert cell(live[SHEET_PLAN], "WNI-01", "Status") == "GREEN"
    assert cell(live[SHEET_PLAN], "EHP-04", "Status") in ("", None)
    cli = cycle.folder / "cli.xlsx"
    shutil.copy(clean, cli)
    returns = sorted((cycle.folder / "returns").glob("*.xlsx"))
    cli_merge(cli, returns, when=MERGED, receipts_dir=cycle.folder / "cli-receipts")
    assert sheets(cli)[SHEET_PLAN] == live[SHEET_PLAN]

    _press(handlers.apply_rag, cycle.folder / "live.xlsx", cycle.folder / "rag.xlsx")
    ws = load_workbook(cycle.folder / "rag.xlsx")[SHEET_PLAN]
    rules = [r for cf in ws.conditional_formatting for r in cf.rules if r.formula]
    assert any('="ACHIEVED"' in r.formula[0] for r in rules)
    assert len(rules) == 10  # replaced, not added twice: key cells, statuses, overdue x2
    amber = [r for r in rules if '="AMBER"' in r.formula[0]]
    # Excel writes a conditional fill's colour as its background
    assert amber and all(str(r.dxf.fill.bgColor.rgb).endswith("7030A0") for r in amber)
