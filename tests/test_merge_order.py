"""Returns of one issued copy merged out of the order the lead saved them (issue 13, item 5).

A lead sends a corrected copy, then the first one lands in the folder later (or is merged later
by hand). The merge puts returns of one copy in the order their workbooks were saved
(`ReturnedCopy.saved_at`, docProps/core.xml), recorded per merged return in the `Saved` column
of MergedReturns: an older return never changes a status (a different value is a conflict and
the newer stands) and its update is placed below the newer one, flagged. Where a save time is
missing on either side, the merge is as it was.

The returns are real files: filled in as Excel saves them (openpyxl) with their save time set
in docProps/core.xml as Excel writes it, or typed and saved twice in LibreOffice Calc.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from sync.ledger import SHEET_CONFLICTS, SHEET_MERGED_RETURNS
from sync.merge.apply import MergeRun, merge_returns, read_returns
from sync.merge.core import master_state, merge
from sync.merge.outcomes import Outcome
from sync.returns import ReturnedCopy, read_return
from sync.simulate import Answer
from tests import lead_returns as lr
from tests.cycle import MERGED, Cycle, cell, sheets, solo_items, start_cycle
from tests.office import needs_calc_uno
from workbook.importers.seed import seed_plan
from workbook.master.sheets import SHEET_CHANGES, SHEET_PLAN
from workbook.plan.model import Plan
from workbook.plan.updates import new_entry_label

#: A lead and an item they lead alone, chosen from the embedded plan.
LEAD, (SOLO,) = solo_items(seed_plan(), 1)
#: When the lead saved the first answer and the corrected one (before the owner merges anything).
FIRST_SAVED = dt.datetime(2023, 5, 30, 10, 0, 0)
CORRECTED_SAVED = dt.datetime(2023, 5, 30, 10, 5, 0)
#: A second merge, the day after MERGED.
MERGED_LATER = dt.datetime(2023, 6, 1, 9, 30)
FIRST_WORDS = "First answer: panel booked."
CORRECTED_WORDS = "Corrected: panel held on 29 May, two posts filled."


@pytest.fixture
def cycle(tmp_path: Path, seed: Plan) -> Cycle:
    return start_cycle(tmp_path, seed)


def stamp(path: Path, saved: dt.datetime | None) -> Path:
    """Set the workbook's own save time (docProps/core.xml `dcterms:modified`, UTC with a "Z"
    as Excel writes it), or remove it (`None`), as a program that records none."""
    buf = io.BytesIO()
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == "docProps/core.xml":
                core = data.decode()
                element = r"<dcterms:modified\b[^>]*>[^<]*</dcterms:modified>"
                assert re.search(element, core), "the copy records a save time"
                if saved is None:
                    core = re.sub(element, "", core)
                else:
                    core = re.sub(
                        r"(<dcterms:modified\b[^>]*>)[^<]*(</dcterms:modified>)",
                        rf"\g<1>{saved:%Y-%m-%dT%H:%M:%S}Z\g<2>",
                        core,
                    )
                data = core.encode()
            zout.writestr(info, data)
    path.write_bytes(buf.getvalue())
    return path


def fill(c: Cycle, name: str, answer: Answer, saved: dt.datetime | None) -> Path:
    """LEAD's copy with `answer` on SOLO, saved as `name` at `saved`."""
    return stamp(c.fill(LEAD, {SOLO: answer}, name=name), saved)


def first_and_corrected(c: Cycle) -> tuple[Path, Path]:
    first = fill(c, "first.xlsx", Answer("AMBER", FIRST_WORDS), FIRST_SAVED)
    corrected = fill(c, "corrected.xlsx", Answer("GREEN", CORRECTED_WORDS), CORRECTED_SAVED)
    return first, corrected


def entry(words: str, when: dt.datetime = MERGED) -> str:
    return f"{new_entry_label(when.date(), LEAD)}: {words}"


def lines(run: MergeRun, name: str, field: str) -> list[Any]:
    (result,) = [r for r in run.changes.results if r.name == name]
    return [ln for ln in result.lines if ln.field == field]


def stacked(*entries: str) -> str:
    """An Update cell's text: its entries newest first, blank ones (no history) left out."""
    return "\n\n".join(e for e in entries if e)


def rows(grid: list[list[Any]]) -> list[dict[str, Any]]:
    return [dict(zip(grid[0], row, strict=False)) for row in grid[1:]]


# --- The older return merged after the newer one ------------------------------------------------


def test_the_older_return_merged_later_does_not_overwrite_the_newer(cycle: Cycle, seed: Plan):
    first, corrected = first_and_corrected(cycle)
    assert read_return(first).saved_at == FIRST_SAVED  # as the reader gives it: naive
    merge_returns(cycle.master, [corrected], when=MERGED)
    run = merge_returns(cycle.master, [first], when=MERGED_LATER)

    grid = sheets(cycle.master)
    assert cell(grid[SHEET_PLAN], SOLO, "Status") == "GREEN"  # the newer return's
    assert run.changes.exit_code == 1
    before = (
        "saved 30 May 2023 10:00:00, before 'corrected.xlsx' of the same copy (saved "
        "30 May 2023 10:05:00, already merged on 31 May 2023)"
    )
    (status,) = lines(run, "first.xlsx", "Status")
    assert (status.outcome, status.old, status.new) == (Outcome.CONFLICT, "GREEN", "AMBER")
    assert status.note == (
        f"this return was {before}; the newer return stands and the master keeps GREEN"
    )
    (conflict,) = rows(grid[SHEET_CONFLICTS])
    assert (conflict["Ref"], conflict["Master value"], conflict["Lead's value"]) == (
        SOLO,
        "GREEN",
        "AMBER",
    )
    assert conflict["Return file"] == "first.xlsx" and before in conflict["Why"]

    # the older update is kept, below the newer one, and flagged
    newer, older = entry(CORRECTED_WORDS), entry(FIRST_WORDS, MERGED_LATER)
    history = seed.item(SOLO).updates_text  # the item's updates as imported, if any
    assert cell(grid[SHEET_PLAN], SOLO, "Update") == stacked(newer, older, history)
    (update,) = lines(run, "first.xlsx", "Update")
    assert update.outcome == Outcome.ADDED and update.new == older
    assert update.note == f"this return was {before}; its update is placed below the newer one"
    (receipt,) = run.receipts  # the lead reads the flag too
    assert f"update added: {older} ({update.note})" in receipt.read_text()
    logged = [r for r in rows(grid[SHEET_CHANGES]) if r["Return file"] == "first.xlsx"]
    assert {(r["Field"], r["Outcome"], r["Note"]) for r in logged} == {
        ("Status", "conflict", status.note),
        ("Update", "added", update.note),
    }

    # each merged return's save time is kept, exact to the second
    merged = rows(grid[SHEET_MERGED_RETURNS])
    assert list(grid[SHEET_MERGED_RETURNS][0])[-1] == "Saved"
    assert [(r["File"], r["Saved"]) for r in merged] == [
        ("corrected.xlsx", "2023-05-30 10:05:00"),
        ("first.xlsx", "2023-05-30 10:00:00"),
    ]


def test_returns_merged_in_the_order_saved_correct_as_before(cycle: Cycle, seed: Plan):
    first, corrected = first_and_corrected(cycle)
    merge_returns(cycle.master, [first], when=MERGED)
    run = merge_returns(cycle.master, [corrected], when=MERGED_LATER)
    assert run.changes.exit_code == 0
    grid = sheets(cycle.master)[SHEET_PLAN]
    assert cell(grid, SOLO, "Status") == "GREEN"
    newer, older = entry(CORRECTED_WORDS, MERGED_LATER), entry(FIRST_WORDS)
    assert cell(grid, SOLO, "Update") == stacked(newer, older, seed.item(SOLO).updates_text)
    assert all(not ln.note for ln in lines(run, "corrected.xlsx", "Update"))


def test_the_same_status_from_the_older_return_is_already_in_the_plan(cycle: Cycle):
    first = fill(cycle, "first.xlsx", Answer("GREEN", FIRST_WORDS), FIRST_SAVED)
    corrected = fill(cycle, "corrected.xlsx", Answer("GREEN", CORRECTED_WORDS), CORRECTED_SAVED)
    merge_returns(cycle.master, [corrected], when=MERGED)
    run = merge_returns(cycle.master, [first], when=MERGED_LATER)
    (status,) = lines(run, "first.xlsx", "Status")
    assert status.outcome == Outcome.ALREADY
    assert run.changes.exit_code == 0 and not run.changes.conflicts_rows


def test_three_saves_merged_out_of_order_stack_newest_first(cycle: Cycle, seed: Plan):
    saves = {
        name: (FIRST_SAVED + dt.timedelta(minutes=i), f"Save {i}: words of the {name} save.")
        for i, name in enumerate(("early", "middle", "late"))
    }
    files = {
        name: fill(cycle, f"{name}.xlsx", Answer("", words), saved)
        for name, (saved, words) in saves.items()
    }
    merge_returns(cycle.master, [files["late"]], when=MERGED)
    merge_returns(cycle.master, [files["early"]], when=MERGED_LATER)
    third = MERGED_LATER + dt.timedelta(days=1)
    run = merge_returns(cycle.master, [files["middle"]], when=third)
    (middle,) = lines(run, "middle.xlsx", "Update")
    assert "before 'late.xlsx' of the same copy" in middle.note
    assert middle.note.endswith("placed below the newer one")
    got = cell(sheets(cycle.master)[SHEET_PLAN], SOLO, "Update")
    want = [
        entry(saves["late"][1]),
        entry(saves["middle"][1], third),
        entry(saves["early"][1], MERGED_LATER),
        seed.item(SOLO).updates_text,
    ]
    assert got == stacked(*want)


def test_an_older_return_whose_newer_one_had_no_update_is_flagged(cycle: Cycle, seed: Plan):
    first = fill(cycle, "first.xlsx", Answer("", FIRST_WORDS), FIRST_SAVED)
    corrected = fill(cycle, "corrected.xlsx", Answer("GREEN"), CORRECTED_SAVED)
    merge_returns(cycle.master, [corrected], when=MERGED)
    run = merge_returns(cycle.master, [first], when=MERGED_LATER)
    (update,) = lines(run, "first.xlsx", "Update")
    assert update.outcome == Outcome.ADDED
    assert update.note.endswith(
        "no update from the newer return is in the item, so this one is added on top - check "
        "it is still current"
    )
    got = cell(sheets(cycle.master)[SHEET_PLAN], SOLO, "Update")
    assert got == stacked(entry(FIRST_WORDS, MERGED_LATER), seed.item(SOLO).updates_text)


# --- Two returns of one copy in one batch ------------------------------------------------------


def test_in_one_batch_the_later_save_wins_whatever_the_order(cycle: Cycle, seed: Plan):
    # named so that neither the file name nor the content puts the newer one first
    older = fill(cycle, "b older.xlsx", Answer("AMBER", FIRST_WORDS), FIRST_SAVED)
    newer = fill(cycle, "a newer.xlsx", Answer("GREEN", CORRECTED_WORDS), CORRECTED_SAVED)
    clean = cycle.master.read_bytes()
    results = []
    for order in ([older, newer], [newer, older]):
        cycle.master.write_bytes(clean)
        run = merge_returns(cycle.master, order, when=MERGED)
        results.append(sheets(cycle.master))
        grid = results[-1][SHEET_PLAN]
        assert cell(grid, SOLO, "Status") == "GREEN"
        (applied,) = lines(run, "a newer.xlsx", "Status")
        assert applied.outcome == Outcome.APPLIED
        (status,) = lines(run, "b older.xlsx", "Status")
        assert status.outcome == Outcome.CONFLICT
        assert status.note == (
            "this return was saved 30 May 2023 10:00:00, before 'a newer.xlsx' of the same copy "
            "(saved 30 May 2023 10:05:00, merged in the same batch); the newer return stands "
            "and the master keeps GREEN"
        )
        (update,) = lines(run, "b older.xlsx", "Update")
        assert update.note.endswith("its update is placed below the newer one")
        want = stacked(entry(CORRECTED_WORDS), entry(FIRST_WORDS), seed.item(SOLO).updates_text)
        assert cell(grid, SOLO, "Update") == want
    assert results[0] == results[1]


# --- Save times not known: as before ------------------------------------------------------------


def _pure(c: Cycle) -> Any:
    return master_state(sheets(c.master))


def test_without_a_save_time_on_either_side_the_merge_is_as_before(cycle: Cycle):
    first, corrected = first_and_corrected(cycle)
    merge_returns(cycle.master, [corrected], when=MERGED)
    state = _pure(cycle)
    (read,) = read_returns([first])
    assert isinstance(read, ReturnedCopy) and read.saved_at == FIRST_SAVED
    # the older return, its save time unknown: taken as it comes - it corrects the status
    unknown = dataclasses.replace(read, saved_at=None)
    changes = merge(state, [unknown], when=MERGED_LATER)
    (status,) = [ln for ln in changes.results[0].lines if ln.field == "Status"]
    assert (status.outcome, status.new) == (Outcome.APPLIED, "AMBER")
    (update,) = [ln for ln in changes.results[0].lines if ln.field == "Update"]
    assert not update.note
    write = next(w for w in changes.writes if w.field == "updates")
    assert write.new.startswith(entry(FIRST_WORDS, MERGED_LATER))  # on top, as before
    assert changes.merged_rows[0].saved == ""
    # the same when the merged one records none
    with_time = merge(state, [read], when=MERGED_LATER)
    assert any(ln.outcome == Outcome.CONFLICT for ln in with_time.results[0].lines)
    no_time = dataclasses.replace(
        state,
        ledger=dataclasses.replace(
            state.ledger,
            merged={k: dataclasses.replace(m, saved=None) for k, m in state.ledger.merged.items()},
        ),
    )
    unknown_merged = merge(no_time, [read], when=MERGED_LATER)
    assert unknown_merged.writes == changes.writes
    assert unknown_merged.results[0].lines == changes.results[0].lines


def test_a_return_with_no_save_time_in_its_file_merges_as_before(cycle: Cycle):
    first, corrected = first_and_corrected(cycle)
    stamp(first, None)
    assert read_return(first).saved_at is None
    merge_returns(cycle.master, [corrected], when=MERGED)
    run = merge_returns(cycle.master, [first], when=MERGED_LATER)
    assert run.changes.exit_code == 0
    assert cell(sheets(cycle.master)[SHEET_PLAN], SOLO, "Status") == "AMBER"
    merged = rows(sheets(cycle.master)[SHEET_MERGED_RETURNS])
    assert [r["Saved"] for r in merged] == ["2023-05-30 10:05:00", ""]


def test_a_master_made_before_save_times_were_kept_still_merges(cycle: Cycle):
    """MergedReturns without its `Saved` column, as a master merged by an earlier version has
    it: its returns' save times read as not known, and the next merge adds the column."""
    first, corrected = first_and_corrected(cycle)
    merge_returns(cycle.master, [corrected], when=MERGED)
    wb = load_workbook(cycle.master)
    ws = wb[SHEET_MERGED_RETURNS]
    assert ws.cell(1, ws.max_column).value == "Saved"
    ws.delete_cols(ws.max_column)
    wb.save(cycle.master)
    old = sheets(cycle.master)[SHEET_MERGED_RETURNS]
    assert "Saved" not in old[0]
    assert all(m.saved is None for m in _pure(cycle).ledger.merged.values())

    run = merge_returns(cycle.master, [first], when=MERGED_LATER)
    assert [r.outcome for r in run.changes.results] == ["merged"]
    # not known on the merged side: as before, the later merge corrects the status
    assert cell(sheets(cycle.master)[SHEET_PLAN], SOLO, "Status") == "AMBER"
    grid = sheets(cycle.master)[SHEET_MERGED_RETURNS]
    assert grid[0][-1] == "Saved"
    assert [(r["File"], r["Saved"]) for r in rows(grid)] == [
        ("corrected.xlsx", ""),
        ("first.xlsx", "2023-05-30 10:00:00"),
    ]
    # and a third return, saved before the one just merged, is now held back
    earliest = fill(cycle, "earliest.xlsx", Answer("RED"), FIRST_SAVED - dt.timedelta(hours=1))
    again = merge_returns(cycle.master, [earliest], when=MERGED_LATER + dt.timedelta(hours=1))
    (status,) = lines(again, "earliest.xlsx", "Status")
    assert status.outcome == Outcome.CONFLICT and "before 'first.xlsx'" in status.note
    assert cell(sheets(cycle.master)[SHEET_PLAN], SOLO, "Status") == "AMBER"


# --- Saved twice in LibreOffice Calc ------------------------------------------------------------


@needs_calc_uno
def test_calc_saves_merged_newest_first_keep_the_correction_on_top(cycle: Cycle):
    first, corrected = lr.calc_first_and_corrected(cycle)
    lead = lr.busiest_lead(cycle)
    ref = lr.read_copy(cycle, lead).refs[0]
    saved = {p: lr.saved_at(p).replace(tzinfo=None) for p in (first, corrected)}
    assert saved[first] < saved[corrected]
    assert read_return(corrected).saved_at == saved[corrected]

    merge_returns(cycle.master, [corrected], when=MERGED)
    run = merge_returns(cycle.master, [first], when=MERGED_LATER)
    grid = sheets(cycle.master)
    # the status is the same in both (Calc kept AMBER in the corrected save): already in
    (status,) = lines(run, first.name, "Status")
    assert (status.outcome, status.new) == (Outcome.ALREADY, lr.FIRST_ANSWER.status)
    assert cell(grid[SHEET_PLAN], ref, "Status") == lr.FIRST_ANSWER.status
    # the first answer is kept, below the correction, and flagged
    label = new_entry_label(MERGED.date(), lead)
    corrected_entry = f"{label}: {lr.CORRECTED_UPDATE}"
    first_entry = f"{new_entry_label(MERGED_LATER.date(), lead)}: {lr.FIRST_ANSWER.update}"
    assert cell(grid[SHEET_PLAN], ref, "Update").startswith(
        f"{corrected_entry}\n\n{first_entry}\n\n"
    )
    (update,) = lines(run, first.name, "Update")
    assert update.outcome == Outcome.ADDED
    assert f"before {corrected.name!r} of the same copy" in update.note
    assert f"(saved {saved[corrected]:%d %b %Y %H:%M:%S}, already merged on 31 May 2023)" in (
        update.note
    )
    merged = {r["File"]: r["Saved"] for r in rows(grid[SHEET_MERGED_RETURNS])}
    assert merged == {p.name: saved[p].isoformat(sep=" ") for p in (first, corrected)}
