"""Merging returns: the three-way rules, identity checks, safety, receipts and the CLI contract.
Each test issues real copies from the seed master, fills them in as a lead would, merges them, and
reads the master back with python-calamine and openpyxl."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from actionplan.cli import cli
from sync.identity import SHEET_IDENTITY
from sync.merge.apply import MergeRun, merge_returns
from sync.simulate import Answer
from tests.cycle import MERGED, Cycle, cell, sheets, start_cycle
from workbook.lead_copy.columns import COPY_COLUMNS
from workbook.master.read import read_master
from workbook.master.sheets import SHEET_PLAN
from workbook.plan.model import Plan
from workbook.plan.updates import new_entry_label

# WNI-01 is led by GT alone; WNI-02 by LH / JoR / GT / LJ; EHP-04 by GT alone.
SOLO, SHARED = "WNI-01", "WNI-02"


@pytest.fixture
def cycle(tmp_path: Path, seed: Plan) -> Cycle:
    return start_cycle(tmp_path, seed)


def _merge(c: Cycle, *paths: Path, **kw: Any) -> MergeRun:
    return merge_returns(c.master, list(paths), when=MERGED, **kw)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_solo_item_status_and_update_are_applied(cycle: Cycle, seed: Plan):
    words = "Recruitment panel held; two posts filled.\nInduction starts in June."
    ret = cycle.fill("GT", {SOLO: Answer("amber", words)})
    run = _merge(cycle, ret)
    assert run.changes.exit_code == 0
    grid = sheets(cycle.master)[SHEET_PLAN]
    assert cell(grid, SOLO, "Status") == "AMBER"
    update = cell(grid, SOLO, "Update")
    entry = f"Update 31 May 23 (GT): {words}"
    # newest first, the history below it untouched
    assert update == entry + "\n\n" + seed.item(SOLO).updates_text
    item = read_master(cycle.master, rich=False).item(SOLO)
    assert item.updates[0].display == entry
    assert (item.updates[0].lead, item.updates[0].status) == ("GT", "AMBER")
    assert item.updates[1:] == seed.item(SOLO).updates
    log = sheets(cycle.master)["Updates"]
    mine = [row for row in log if row[0] == SOLO and row[4] == entry]
    assert len(mine) == 1 and mine[0][2] == "GT" and mine[0][3] == "AMBER"
    assert mine[0][5] == f"GT return.xlsx (issue {cycle.copies['GT'].issue_id})"


def test_every_change_is_in_the_changes_log_with_the_returns_sha256(cycle: Cycle):
    ret = cycle.fill("GT", {SOLO: Answer("G", "Done this month.")})
    _merge(cycle, ret)
    log = sheets(cycle.master)["Changes"]
    assert log[0][:10] == [
        "When", "Return file", "SHA-256", "Lead", "Ref", "Field", "Old", "New", "Outcome", "Note"
    ]  # fmt: skip
    rows = [r for r in log[1:] if r[4] == SOLO]
    assert {(r[5], r[8]) for r in rows} == {("Status", "applied"), ("Update", "added")}
    assert all(r[1] == "GT return.xlsx" and r[2] == _sha(ret) and r[3] == "GT" for r in rows)
    status = next(r for r in rows if r[5] == "Status")
    assert (status[6], status[7]) == ("", "GREEN")


def test_master_changed_since_issue_is_a_conflict_and_the_master_keeps_its_value(cycle: Cycle):
    wb = load_workbook(cycle.master, rich_text=True)
    ws = wb[SHEET_PLAN]
    row = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == SOLO)
    ws.cell(row, 7).value = "RED"  # the owner changes it after the copy went out
    wb.save(cycle.master)
    ret = cycle.fill("GT", {SOLO: Answer("GREEN", "On track.")})
    run = _merge(cycle, ret)
    assert run.changes.exit_code == 1
    grid = sheets(cycle.master)
    assert cell(grid[SHEET_PLAN], SOLO, "Status") == "RED"
    conflicts = grid["Conflicts"]
    assert conflicts[0][7] == "Why"
    assert conflicts[1][1:7] + conflicts[1][8:10] == [
        SOLO, "Status", "GT", "", "RED", "GREEN", "GT return.xlsx", cycle.copies["GT"].issue_id
    ]  # fmt: skip
    assert "since changed in the master to RED" in conflicts[1][7]
    # the update is not part of the conflict: it lands
    assert cell(grid[SHEET_PLAN], SOLO, "Update").startswith("Update 31 May 23 (GT): On track.")


def test_leads_of_a_shared_item_who_agree_apply_once(cycle: Cycle):
    gt = cycle.fill("GT", {SHARED: Answer("GREEN", "GT's view.")})
    lh = cycle.fill("LH", {SHARED: Answer("green", "LH's view.")})
    run = _merge(cycle, gt, lh)
    assert run.changes.exit_code == 0
    assert [w.field for w in run.changes.writes if w.ref == SHARED].count("status") == 1
    grid = sheets(cycle.master)[SHEET_PLAN]
    assert cell(grid, SHARED, "Status") == "GREEN"
    update = cell(grid, SHARED, "Update")
    assert update.count("GT's view.") == 1 and update.count("LH's view.") == 1


def test_leads_of_a_shared_item_who_disagree_are_a_conflict_whatever_the_order(
    cycle: Cycle, tmp_path: Path
):
    gt = cycle.fill("GT", {SHARED: Answer("GREEN")})
    lh = cycle.fill("LH", {SHARED: Answer("RED")})
    clean = cycle.master.read_bytes()
    results = []
    for order in ((gt, lh), (lh, gt)):
        cycle.master.write_bytes(clean)
        run = _merge(cycle, *order)
        results.append(sheets(cycle.master))
        assert run.changes.exit_code == 1
        assert cell(results[-1][SHEET_PLAN], SHARED, "Status") == ""  # the master keeps blank
        assert len(results[-1]["Conflicts"]) == 3  # header and one per lead
    assert results[0] == results[1]


def test_a_bad_status_is_rejected_with_the_reason_and_the_rest_of_the_row_merges(cycle: Cycle):
    ret = cycle.fill("GT", {SOLO: Answer("Yellow", "Still on course."), "EHP-04": Answer("B")})
    run = _merge(cycle, ret)
    assert run.changes.exit_code == 1
    (result,) = run.changes.results
    rejected = [ln for ln in result.lines if ln.outcome == "rejected"]
    assert [(ln.ref, ln.field, ln.new) for ln in rejected] == [(SOLO, "Status", "Yellow")]
    assert "not a RAG status" in rejected[0].note
    grid = sheets(cycle.master)[SHEET_PLAN]
    assert not cell(grid, SOLO, "Status")
    assert cell(grid, SOLO, "Update").startswith("Update 31 May 23 (GT): Still on course.")
    assert cell(grid, "EHP-04", "Status") == "BLUE"


def test_a_proposed_timescale_is_recorded_for_the_owner_not_applied(cycle: Cycle, seed: Plan):
    ret = cycle.fill(
        "GT", {SOLO: Answer(proposed_timescale="Jun-24"), "EHP-04": Answer(proposed_timescale="?")}
    )
    run = _merge(cycle, ret)
    grid = sheets(cycle.master)
    assert cell(grid[SHEET_PLAN], SOLO, "Time-scale") == seed.item(SOLO).timescale
    proposals = grid["Proposals"]
    assert proposals[0][:6] == [
        "Received", "Ref", "Lead", "Time-scale now", "Proposed time-scale", "Proposed due"
    ]  # fmt: skip
    assert proposals[1][1:5] == [SOLO, "GT", seed.item(SOLO).timescale, "Jun-24"]
    assert len(proposals) == 2
    (result,) = run.changes.results
    bad = [ln for ln in result.lines if ln.outcome == "rejected"]
    assert [(ln.ref, ln.field) for ln in bad] == [("EHP-04", "Proposed time-scale")]


def test_the_same_return_merged_twice_changes_nothing(cycle: Cycle):
    ret = cycle.fill("GT", {SOLO: Answer("GREEN", "Done."), "EHP-04": Answer("Yellow")})
    _merge(cycle, ret)
    after_first = cycle.master.read_bytes()
    run = _merge(cycle, ret)
    assert cycle.master.read_bytes() == after_first
    assert run.backup is None and run.changes.exit_code == 0
    assert [r.outcome for r in run.changes.results] == ["already merged"]


def test_a_resaved_return_adds_nothing_twice(cycle: Cycle):
    """Different bytes, same content: each update and status is already in the plan."""
    first = cycle.fill("GT", {SOLO: Answer("GREEN", "Done.", "Jun-24")}, name="a.xlsx")
    _merge(cycle, first)
    wb = load_workbook(first)
    wb.properties.title = "re-saved"
    again = cycle.folder / "returns" / "b.xlsx"
    wb.save(again)
    assert _sha(again) != _sha(first)
    before = sheets(cycle.master)
    run = _merge(cycle, again)
    after = sheets(cycle.master)
    assert after[SHEET_PLAN] == before[SHEET_PLAN]
    assert after["Updates"] == before["Updates"]
    assert after["Proposals"] == before["Proposals"]
    (result,) = run.changes.results
    assert {ln.outcome for ln in result.lines} == {"already in the plan"}


def test_a_lead_may_correct_their_own_earlier_return(cycle: Cycle):
    first = cycle.fill("GT", {SOLO: Answer("AMBER")}, name="first.xlsx")
    second = cycle.fill("GT", {SOLO: Answer("GREEN")}, name="second.xlsx")
    _merge(cycle, first)
    run = _merge(cycle, second)
    assert run.changes.exit_code == 0
    assert cell(sheets(cycle.master)[SHEET_PLAN], SOLO, "Status") == "GREEN"


def test_edits_outside_the_editable_columns_are_reported_and_ignored(cycle: Cycle, seed: Plan):
    ret = cycle.fill("GT", {SOLO: Answer("GREEN")})
    wb = load_workbook(ret)
    ws = wb[SHEET_PLAN]
    ws.protection.sheet = False
    row = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == SOLO)
    ws.cell(row, 2).value = "A finding rewritten by the lead"
    ws.cell(row, 5).value = "Dec-30"
    wb.save(ret)
    run = _merge(cycle, ret)
    assert run.changes.exit_code == 1
    (result,) = run.changes.results
    ignored = [ln for ln in result.lines if ln.outcome == "ignored"]
    finding = next(c.title for c in COPY_COLUMNS if c.key == "finding")  # as the copy titles it
    assert [(ln.ref, ln.field) for ln in ignored] == [(SOLO, finding), (SOLO, "Time-scale")]
    assert ignored[1].note.startswith("you typed 'Dec-30' in Time-scale; to propose")
    grid = sheets(cycle.master)[SHEET_PLAN]
    assert cell(grid, SOLO, "Time-scale") == seed.item(SOLO).timescale
    assert cell(grid, SOLO, "Status") == "GREEN"


def test_rows_of_other_leads_items_are_ignored(cycle: Cycle, seed: Plan):
    ret = cycle.fill("GT", {SOLO: Answer("GREEN")})
    wb = load_workbook(ret)
    ws = wb[SHEET_PLAN]
    row = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == SOLO)
    ws.cell(row, 1).value = "AIA-01"  # not GT's item: a lead cannot update it by renaming a row
    wb.save(ret)
    run = _merge(cycle, ret)
    (result,) = run.changes.results
    assert [(ln.ref, ln.outcome) for ln in result.lines] == [("AIA-01", "ignored")]
    assert cell(sheets(cycle.master)[SHEET_PLAN], "AIA-01", "Status") == seed.item("AIA-01").status


def test_rows_are_matched_by_ref_after_sorting_and_inserted_columns(cycle: Cycle):
    ret = cycle.fill("GT", {SOLO: Answer("GREEN", "first"), "EHP-04": Answer("RED", "second")})
    wb = load_workbook(ret)
    ws = wb[SHEET_PLAN]
    ws.protection.sheet = False
    ws.insert_cols(3)  # a lead's own notes column
    head = next(r for r in range(1, 30) if ws.cell(r, 1).value == "Ref")
    ws.cell(head, 3).value = "My notes"
    # swap two item rows wholesale, as a sort would
    rows = {ws.cell(r, 1).value: r for r in range(head + 1, ws.max_row + 1)}
    a, b = rows[SOLO], rows["EHP-04"]
    for col in range(1, ws.max_column + 1):
        x, y = ws.cell(a, col), ws.cell(b, col)
        x.value, y.value = y.value, x.value
    wb.save(ret)
    run = _merge(cycle, ret)
    assert run.changes.exit_code == 0
    grid = sheets(cycle.master)[SHEET_PLAN]
    assert cell(grid, SOLO, "Status") == "GREEN"
    assert cell(grid, "EHP-04", "Status") == "RED"
    assert cell(grid, "EHP-04", "Update").startswith("Update 31 May 23 (GT): second")


def test_formula_like_text_is_stored_as_text(cycle: Cycle):
    words = '=HYPERLINK("http://example.com","click")'
    ret = cycle.fill("GT", {SOLO: Answer("", words)})
    _merge(cycle, ret)
    wb = load_workbook(cycle.master)
    ws = wb[SHEET_PLAN]
    row = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == SOLO)
    value = ws.cell(row, 6)
    assert value.data_type == "s" and value.value.startswith(f"Update 31 May 23 (GT): {words}")
    with zipfile.ZipFile(cycle.master) as z:
        assert not any(b"<f>" in z.read(n) and b"HYPERLINK" in z.read(n) for n in z.namelist())


# --- Returns that are rejected whole --------------------------------------------------------


def _forge(path: Path, out: Path, field: str, value: str) -> Path:
    wb = load_workbook(path)
    ws = wb[SHEET_IDENTITY]
    row = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == field)
    ws.cell(row, 2).value = value
    wb.save(out)
    return out


def test_a_forged_lead_is_rejected_whole_and_the_rest_of_the_batch_merges(cycle: Cycle):
    gt = cycle.fill("GT", {SOLO: Answer("GREEN", "genuine")})
    lh = cycle.fill("LH", {SHARED: Answer("RED", "pretending")})
    forged = _forge(lh, cycle.folder / "returns" / "forged.xlsx", "Lead", "GT")
    run = _merge(cycle, gt, forged)
    assert run.changes.exit_code == 1
    by_name = {r.name: r for r in run.changes.results}
    assert by_name["forged.xlsx"].outcome == "rejected"
    assert "signature does not match" in by_name["forged.xlsx"].reason
    assert by_name["GT return.xlsx"].outcome == "merged"
    grid = sheets(cycle.master)
    assert cell(grid[SHEET_PLAN], SOLO, "Status") == "GREEN"
    assert "pretending" not in str(grid[SHEET_PLAN])
    log = [r for r in grid["Changes"] if r[1] == "forged.xlsx"]
    assert len(log) == 1 and log[0][5] == "Return" and log[0][8] == "rejected"


def test_a_copy_of_another_plan_is_rejected(cycle: Cycle, tmp_path: Path, seed: Plan):
    import dataclasses

    other = start_cycle(tmp_path / "other", dataclasses.replace(seed, plan_id="plan-other"))
    ret = other.fill("GT", {SOLO: Answer("GREEN")}, name="other.xlsx")
    ours = cycle.fill("GT", {SOLO: Answer("GREEN")})
    run = _merge(cycle, ret, ours)  # alone, it is the wrong master: test_merge_wrong_master
    result = next(r for r in run.changes.results if r.name == "other.xlsx")
    assert result.outcome == "rejected" and "a copy of another plan" in result.reason


def test_a_copy_from_an_issue_this_master_never_made_is_rejected(cycle: Cycle, tmp_path: Path):
    twin = tmp_path / "twin"
    twin.mkdir()
    (twin / "master.xlsx").write_bytes(cycle.master.read_bytes())  # same plan, a copy of it
    from sync.copies import issue_copies

    run = issue_copies(twin / "master.xlsx", twin / "copies", leads=["GT"])
    stray = Cycle(twin, twin / "master.xlsx", {c.lead: c for c in run.copies})
    ret = stray.fill("GT", {SOLO: Answer("GREEN")})
    result = _merge(cycle, ret).changes.results[0]
    assert result.outcome == "rejected"
    assert f"issue {run.copies[0].issue_id} was not issued from this master" in result.reason


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("notes.xlsx", b"just some text", "not an .xlsx workbook"),
        ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "an old-style .xls"),
        (
            "locked.xlsx",
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + "EncryptionInfo".encode("utf-16-le"),
            "password-protected",
        ),
        ("empty.xlsx", b"", "the file is empty"),
    ],
)
def test_unreadable_files_are_rejected_with_one_clear_line(
    cycle: Cycle, name: str, content: bytes, reason: str
):
    bad = cycle.folder / name
    bad.write_bytes(content)
    good = cycle.fill("GT", {SOLO: Answer("GREEN")})
    run = _merge(cycle, bad, good)
    assert run.changes.exit_code == 1
    by_name = {r.name: r for r in run.changes.results}
    assert by_name[name].outcome == "rejected"
    assert reason in by_name[name].reason and "\n" not in by_name[name].reason
    assert by_name["GT return.xlsx"].outcome == "merged"


def test_a_truncated_return_is_rejected(cycle: Cycle):
    good = cycle.fill("GT", {SOLO: Answer("GREEN")})
    cut = cycle.folder / "cut.xlsx"
    cut.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    (result,) = _merge(cycle, cut).changes.results
    assert result.outcome == "rejected" and "incomplete or damaged" in result.reason


def test_an_ods_file_is_rejected_with_how_to_fix_it(cycle: Cycle):
    ods = cycle.folder / "saved.ods"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("content.xml", "<office:document-content/>")
    ods.write_bytes(buf.getvalue())
    (result,) = _merge(cycle, ods).changes.results
    assert "OpenDocument" in result.reason and "Excel Workbook (*.xlsx)" in result.reason


# --- Safety of the master -----------------------------------------------------------------------


def test_a_backup_of_the_master_as_it_was_is_kept(cycle: Cycle):
    before = cycle.master.read_bytes()
    run = _merge(cycle, cycle.fill("GT", {SOLO: Answer("GREEN")}))
    assert run.backup is not None and run.backup.parent == cycle.folder / "backups"
    assert run.backup.read_bytes() == before
    assert run.backup.name == "master 2023-05-31 170000.xlsx"


def test_parts_the_owner_added_in_excel_survive_a_merge(cycle: Cycle):
    """An openpyxl round trip would drop an extLst (Excel's newer rules) and unknown parts."""
    ext = (
        b'<extLst><ext uri="{78C0D931-6437-407d-A8EE-F0AAD7539E65}" '
        b'xmlns:x14="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main">'
        b"<x14:conditionalFormattings/></ext></extLst>"
    )
    src = cycle.master.read_bytes()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(src)) as zin, zipfile.ZipFile(out, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"</worksheet>", ext + b"</worksheet>")
            zout.writestr(info, data)
        zout.writestr("customXml/item1.xml", b"<owner>kept</owner>")
    cycle.master.write_bytes(out.getvalue())
    _merge(cycle, cycle.fill("GT", {SOLO: Answer("GREEN")}))
    with zipfile.ZipFile(cycle.master) as z:
        assert b"x14:conditionalFormattings" in z.read("xl/worksheets/sheet1.xml")
        assert z.read("customXml/item1.xml") == b"<owner>kept</owner>"


def test_cli_merge_refuses_while_the_master_is_open_and_writes_nothing(cycle: Cycle):
    ret = cycle.fill("GT", {SOLO: Answer("GREEN")})
    (cycle.folder / "~$master.xlsx").write_bytes(b"")
    before = cycle.master.read_bytes()
    result = CliRunner().invoke(cli, ["merge", str(cycle.master), str(ret)])
    assert result.exit_code == 2
    assert result.output.count("\n") == 1 and "is open in Excel or LibreOffice" in result.output
    assert cycle.master.read_bytes() == before
    assert not (cycle.folder / "backups").exists() and not (cycle.folder / "receipts").exists()


def test_cli_dry_run_prints_the_change_set_and_writes_nothing(cycle: Cycle, fixed_clock):
    fixed_clock(MERGED)
    ret = cycle.fill("GT", {SOLO: Answer("GREEN", "words")})
    before = cycle.master.read_bytes()
    result = CliRunner().invoke(cli, ["merge", str(cycle.master), str(ret), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "MERGED   GT return.xlsx (GT): 1 status change, 1 update" in result.output
    assert "  applied   WNI-01   Status: blank -> GREEN\n" in result.output
    label = new_entry_label(MERGED.date(), "GT")  # the CLI merges as of the clock
    assert f"  added     WNI-01   Update: {label}: words\n" in result.output
    assert "Dry run: nothing was written" in result.output
    assert cycle.master.read_bytes() == before
    assert not (cycle.folder / "receipts").exists()


def test_cli_json_gives_the_same_change_set_and_exit_codes(cycle: Cycle):
    good = cycle.fill("GT", {SOLO: Answer("GREEN", "words")})
    result = CliRunner().invoke(cli, ["merge", str(cycle.master), str(good), "--json", "--dry-run"])
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert data["exit_code"] == 0
    first = data["writes"][0]
    assert (first["ref"], first["field"], first["new"]) == (SOLO, "status", "GREEN")
    bad = cycle.fill("LH", {SHARED: Answer("Purple")})
    result = CliRunner().invoke(
        cli, ["merge", str(cycle.master), "--returns", str(cycle.folder / "returns"), "--json"]
    )
    assert result.exit_code == 1
    files = {r["file"]: r for r in json.loads(result.output)["returns"]}
    assert set(files) == {good.name, bad.name}
    assert files[bad.name]["lines"][0]["outcome"] == "rejected"


def test_cli_merge_with_no_returns_is_an_error(cycle: Cycle, tmp_path: Path):
    empty = tmp_path / "empty"
    empty.mkdir()
    result = CliRunner().invoke(cli, ["merge", str(cycle.master), "--returns", str(empty)])
    assert result.exit_code == 2
    assert (
        result.output
        == f"Error: no returns to merge in {empty}; give the returned files, or --returns FOLDER\n"
    )


def test_a_receipt_per_return_says_what_was_taken_in_and_why_not(cycle: Cycle):
    ret = cycle.fill(
        "GT",
        {SOLO: Answer("GREEN", "All done."), "EHP-04": Answer("Yellow", "", "Jun-24")},
    )
    run = _merge(cycle, ret, receipts_dir=cycle.folder / "receipts")
    (receipt,) = run.receipts
    assert receipt.name == "GT return - receipt.txt"
    text = receipt.read_text()
    assert f"Copy for GT, issued 15 May 2023 (issue {cycle.copies['GT'].issue_id})" in text
    assert "Taken into the plan:\n  - WNI-01 Status: blank -> GREEN" in text
    assert "update added: Update 31 May 23 (GT): All done." in text
    assert (
        "Recorded for the plan owner to decide:\n  - EHP-04 Proposed time-scale: 'Jun-24'" in text
    )
    assert "Not taken in:\n  - EHP-04 Status 'Yellow': 'Yellow' is not a RAG status" in text


def test_a_new_signing_key_retires_every_copy_issued_before(cycle: Cycle):
    old = cycle.fill("GT", {SOLO: Answer("GREEN")}, name="old.xlsx")
    result = CliRunner().invoke(
        cli, ["issue", str(cycle.master), "--out", str(cycle.folder / "new"), "--new-key"]
    )
    assert result.exit_code == 0, result.output
    (rejected,) = _merge(cycle, old).changes.results
    assert rejected.outcome == "rejected" and "signature does not match" in rejected.reason
    fresh = next((cycle.folder / "new").glob("Action plan - GT - *.xlsx"))
    from sync.simulate import fill_copy

    ret = cycle.folder / "fresh.xlsx"
    fill_copy(fresh, ret, {SOLO: Answer("GREEN")})
    (merged,) = _merge(cycle, ret).changes.results
    assert merged.outcome == "merged"
    assert cell(sheets(cycle.master)[SHEET_PLAN], SOLO, "Status") == "GREEN"
