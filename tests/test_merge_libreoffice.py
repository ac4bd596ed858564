"""Returns saved by LibreOffice Calc, merged: leads fill in their copies in Calc (typing, sorting,
inserting rows and columns, unprotecting to edit a locked cell) and save them as Calc saves .xlsx;
the merge must take in exactly what they typed, at the right refs. Then the merged master is
printed by LibreOffice.

Each Calc edit starts an office (about 2 s), so there are three, one per lead, shared by the tests.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from office import edit_in_calc, needs_calc_uno, needs_office, pdf_text, to_pdf
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from python_calamine import CalamineWorkbook

from sync.copies import IssuedFile, issue_copies
from sync.identity import SHEET_IDENTITY
from sync.merge.apply import MergeRun, merge_returns
from workbook.importers.seed import seed_plan
from workbook.lead_copy.columns import COPY_COLUMNS, SHEET_COLUMNS
from workbook.master.read import read_master
from workbook.master.sheets import SHEET_PLAN
from workbook.master.write import write_master
from workbook.plan.updates import new_entry_label

pytestmark = needs_calc_uno

ISSUED = dt.datetime(2024, 5, 1, 9, 0)
MERGED = dt.datetime(2024, 6, 3, 17, 30)
SEED = dataclasses.replace(seed_plan(), plan_id="plan-calc")

#: Each copy column's letter as issued.
COLUMN = {c.key: get_column_letter(i) for i, c in enumerate(SHEET_COLUMNS, 1)}
#: ... and after the lead inserts a column before B (a notes column beside the ref).
SHIFTED = {c.key: get_column_letter(i + (i >= 2)) for i, c in enumerate(SHEET_COLUMNS, 1)}

# GT alone leads WNI-01; MW alone leads EHP-03.
GT_WORDS = "Panel met on 20 May.\nTwo posts filled – induction in June.\n=not a formula"
GT_ANSWER = {"status": "amber", "update": GT_WORDS, "proposed": "Jun-24"}
#: AxB's answers by ref: (status typed, update typed, proposed time-scale typed)
AXB_ANSWERS = {
    "WNI-03": ("GREEN", "Joint triage pilot running.", ""),
    "EHP-06": ("", "Transition protocol drafted.\nSign-off due July.", ""),
    "IL-01": ("R", "", ""),
    "IL-03": ("amber", "Audit tool agreed with partners.", "March 2025"),
    "AIA-01": ("B", "", ""),
    "AIA-05": ("Complete", "Owner scheme published.", ""),
}
#: What Calc sorts: the Impact of leaders and Additional areas blocks of AxB's copy (a sort
#: across a section row's merged cells is refused by Calc, so a lead sorts within a section).
AXB_SORTED = (("IL-01", "IL-02", "IL-03"), ("AIA-01", "AIA-02", "AIA-04", "AIA-05"))
MW_FINDING = "The lead's own rewording of the finding."


@dataclass(frozen=True)
class Issued:
    master: Path
    copies: dict[str, IssuedFile]


@pytest.fixture(scope="module")
def issued(tmp_path_factory: pytest.TempPathFactory) -> Issued:
    folder = tmp_path_factory.mktemp("calc-cycle")
    master = folder / "master.xlsx"
    write_master(SEED, master)
    run = issue_copies(master, folder / "copies", when=ISSUED)
    return Issued(master, {c.lead: c for c in run.copies})


def _rows(path: Path) -> list[list[Any]]:
    wb = CalamineWorkbook.from_path(str(path))
    try:
        return wb.get_sheet_by_name(SHEET_PLAN).to_python(skip_empty_area=False)
    finally:
        wb.close()


def _row_of(grid: list[list[Any]], ref: str) -> int:
    """The 1-based Excel row whose column A is `ref`."""
    return next(i for i, row in enumerate(grid, 1) if row and row[0] == ref)


@pytest.fixture(scope="module")
def gt_return(issued: Issued, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """GT types a status, a multi-line update and a proposed time-scale for WNI-01 in Calc."""
    out = tmp_path_factory.mktemp("calc-gt") / "GT return.xlsx"
    ops = [
        ("status", GT_ANSWER["status"]),
        ("new_update", GT_ANSWER["update"]),
        ("proposed_timescale", GT_ANSWER["proposed"]),
    ]
    edits = [
        {"op": "find_set", "sheet": SHEET_PLAN, "find": "WNI-01", "column": COLUMN[k], "value": v}
        for k, v in ops
    ]
    edit_in_calc(issued.copies["GT"].path, out, edits)
    return out


@pytest.fixture(scope="module")
def axb_return(issued: Issued, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """AxB sorts two sections' rows descending by ref, inserts a blank row and a notes column,
    then types their answers (in the columns where they now are)."""
    copy = issued.copies["AxB"].path
    grid = _rows(copy)
    last = COLUMN["proposed_timescale"]
    edits: list[dict[str, object]] = [
        {"op": "sort", "sheet": SHEET_PLAN, "by": "A", "descending": True,
         "range": f"A{_row_of(grid, refs[0])}:{last}{_row_of(grid, refs[-1])}"}
        for refs in AXB_SORTED
    ]  # fmt: skip
    edits += [
        {"op": "insert_rows", "sheet": SHEET_PLAN, "before": _row_of(grid, "EHP-04"), "count": 1},
        {"op": "insert_columns", "sheet": SHEET_PLAN, "before": "B", "count": 1},
        {"op": "find_set", "sheet": SHEET_PLAN, "find": "Ref", "column": "B", "value": "My notes",
         "unprotect": True},
        {"op": "find_set", "sheet": SHEET_PLAN, "find": "IL-02", "column": "B",
         "value": "ask LH", "unprotect": True},
    ]  # fmt: skip
    for ref, answer in AXB_ANSWERS.items():
        for key, value in zip(("status", "new_update", "proposed_timescale"), answer, strict=True):
            if value:
                edits.append(
                    {"op": "find_set", "sheet": SHEET_PLAN, "find": ref, "column": SHIFTED[key],
                     "value": value}
                )  # fmt: skip
    out = tmp_path_factory.mktemp("calc-axb") / "AxB return.xlsx"
    edit_in_calc(copy, out, edits)
    return out


@pytest.fixture(scope="module")
def mw_return(issued: Issued, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """MW unprotects the sheet to reword EHP-03's finding, and sets its status."""
    out = tmp_path_factory.mktemp("calc-mw") / "MW return.xlsx"
    edits = [
        {"op": "find_set", "sheet": SHEET_PLAN, "find": "EHP-03", "column": COLUMN["finding"],
         "value": MW_FINDING, "unprotect": True},
        {"op": "find_set", "sheet": SHEET_PLAN, "find": "EHP-03", "column": COLUMN["status"],
         "value": "G"},
    ]  # fmt: skip
    edit_in_calc(issued.copies["MW"].path, out, edits)
    return out


def _merge(issued: Issued, folder: Path, *returns: Path) -> MergeRun:
    """Merge into a fresh copy of the issued master, so each test starts from the same one."""
    master = folder / "master.xlsx"
    shutil.copyfile(issued.master, master)
    return merge_returns(master, list(returns), when=MERGED, receipts_dir=folder / "receipts")


def _lines(run: MergeRun) -> set[tuple[str, str, str, str]]:
    return {(ln.ref, ln.field, ln.outcome, ln.new) for r in run.changes.results for ln in r.lines}


def _entry(lead: str, words: str) -> str:
    return f"{new_entry_label(MERGED.date(), lead)}: {words}"


def test_calc_keeps_the_identity_sheet_though_no_longer_very_hidden(gt_return: Path) -> None:
    """Calc cannot save veryHidden: the identity comes back merely hidden (the merge below
    verifies it all the same)."""
    wb = load_workbook(gt_return)
    assert wb[SHEET_IDENTITY].sheet_state == "hidden"
    assert wb[SHEET_PLAN].protection.sheet


def test_what_a_lead_types_in_calc_is_merged_exactly(
    issued: Issued, gt_return: Path, tmp_path: Path
) -> None:
    run = _merge(issued, tmp_path, gt_return)
    assert run.changes.exit_code == 0
    [result] = run.changes.results
    assert (result.outcome, result.lead) == ("merged", "GT")
    entry = _entry("GT", GT_WORDS)
    assert _lines(run) == {
        ("WNI-01", "Status", "applied", "AMBER"),
        ("WNI-01", "Update", "added", entry),
        ("WNI-01", "Proposed time-scale", "proposed", "Jun-24"),
    }
    item = read_master(run.master, rich=False).item("WNI-01")
    assert item.status == "AMBER"
    assert item.updates[0].display == entry
    assert item.updates[1:] == SEED.item("WNI-01").updates
    assert item.timescale == SEED.item("WNI-01").timescale  # proposed, not applied
    others = read_master(run.master, rich=False).items
    assert [it for it in others if it.ref != "WNI-01"] == [
        it for it in read_master(issued.master, rich=False).items if it.ref != "WNI-01"
    ]


def test_sorted_rows_and_inserted_rows_and_columns_still_merge_by_ref(
    issued: Issued, axb_return: Path, tmp_path: Path
) -> None:
    # Calc did restructure the copy (it refuses a sort across merged cells without a word)
    grid = _rows(axb_return)
    refs = [row[0] for row in grid]
    for block in AXB_SORTED:
        at = refs.index(block[-1])
        assert refs[at : at + len(block)] == list(reversed(block))
    assert grid[refs.index("Ref")][:3] == ["Ref", "My notes", COPY_COLUMNS[1].title]
    assert not any(grid[refs.index("EHP-04") - 1])  # the inserted blank row
    run = _merge(issued, tmp_path, axb_return)
    # the note typed in the lead's own column is not read, so it is named on the receipt and the
    # owner is told (exit 1); everything else is taken in
    assert run.changes.exit_code == 1, run.changes.to_dict()
    (result,) = run.changes.results
    (note,) = [ln for ln in result.lines if ln.outcome == "ignored"]
    assert note.new == "ask LH" and "a column titled 'My notes'" in note.note
    statuses = {"GREEN": "GREEN", "R": "RED", "amber": "AMBER", "B": "BLUE", "Complete": "BLUE"}
    want = {("", "Return", "ignored", "ask LH")}
    for ref, (status, words, proposed) in AXB_ANSWERS.items():
        if status:
            want.add((ref, "Status", "applied", statuses[status]))
        if words:
            want.add((ref, "Update", "added", _entry("AxB", words)))
        if proposed:
            want.add((ref, "Proposed time-scale", "proposed", proposed))
    assert _lines(run) == want
    plan = read_master(run.master, rich=False)
    before = read_master(issued.master, rich=False)
    for it in plan.items:
        status, words, _ = AXB_ANSWERS.get(it.ref, ("", "", ""))
        assert it.status == statuses.get(status, before.item(it.ref).status), it.ref
        if words:
            assert it.updates[0].display == _entry("AxB", words), it.ref
            assert it.updates[1:] == before.item(it.ref).updates
        else:
            assert it.updates == before.item(it.ref).updates, it.ref


def test_an_edit_to_a_locked_cell_is_ignored_and_the_status_still_applies(
    issued: Issued, mw_return: Path, tmp_path: Path
) -> None:
    assert MW_FINDING in [row[1] for row in _rows(mw_return)]  # Calc took the edit
    run = _merge(issued, tmp_path, mw_return)
    assert run.changes.exit_code == 1  # the owner is told about the ignored edit
    lines = {(ln.ref, ln.field, ln.outcome) for r in run.changes.results for ln in r.lines}
    finding = dict(read_master(issued.master, rich=False).column_titles)["finding"]
    assert lines == {("EHP-03", finding, "ignored"), ("EHP-03", "Status", "applied")}
    (note,) = [ln.note for r in run.changes.results for ln in r.lines if ln.field == finding]
    assert note.startswith(f"you typed '{MW_FINDING[:20]}") and note.endswith(
        "this column is the owner's; write to them if it is wrong"
    )
    item = read_master(run.master, rich=False).item("EHP-03")
    assert item.status == "GREEN"
    assert item.finding_text == read_master(issued.master, rich=False).item("EHP-03").finding_text
    assert MW_FINDING not in str(_rows(run.master))


def _squash(text: str) -> str:
    # a line may break after a hyphen ("decision-" / "making"): join it back
    return re.sub(r"(?<=\w)-\s+", "-", re.sub(r"\s+", " ", text))


@needs_office
def test_the_merged_master_prints_in_libreoffice(
    issued: Issued, gt_return: Path, axb_return: Path, tmp_path: Path
) -> None:
    run = _merge(issued, tmp_path, gt_return, axb_return)
    assert run.changes.exit_code == 1  # AxB's note in their own column is named, not read
    text = _squash(pdf_text(to_pdf(run.master, tmp_path / "pdf")))
    for lead, words in [("GT", GT_WORDS), *(("AxB", a[1]) for a in AXB_ANSWERS.values())]:
        if words:
            assert _squash(_entry(lead, words)) in text, words
