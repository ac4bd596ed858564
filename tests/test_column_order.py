"""The master and the lead copies keep the document's column order (issue 14, point 2): the
document's columns in its order after `Ref`, the columns the cycle needs and it lacks after them,
then `Due`; a copy shows the same locked columns in that order, with the block a lead fills in at
the right. Every reader finds the columns by their titles, so merge, validation, RAG formatting and
the board work wherever the document put its status.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from sync.copies import issue_copies
from sync.merge.apply import merge_returns
from sync.simulate import Answer, fill_copy
from tests.cycle import sheets
from validation.run import validate_master
from workbook.board.packs import make_board_pack
from workbook.importers.seed import seed_text
from workbook.importers.text import import_text
from workbook.lead_copy.columns import NEW_UPDATE_TITLE, PROPOSED_TIMESCALE_TITLE
from workbook.master.read import read_master
from workbook.master.sheets import DUE_COLUMN, SHEET_PLAN
from workbook.master.write import write_master
from workbook.plan.model import Plan

ISSUED = dt.datetime(2025, 6, 2, 9, 0)
MERGED = dt.datetime(2025, 6, 20, 16, 0)

#: A plan whose status comes before its finding, with columns of its own between the cycle's.
HEADER = ["No.", "RAG", "Area", "Recommendation", "Evidence", "Owner", "Deadline", "Progress"]
ROWS = [
    ["1", "Amber", "Housing", "Publish void times monthly.", "Board minutes", "Dana Moss",
     "Sep-25", "Update May 25: first report drafted."],
    ["2", "Red", "Parks", "Review the grounds contract.", "", "Leadership Team", "Mar-26", ""],
    ["3", "Green", "Finance", "Set out savings by service.", "Budget book", "Dana Moss",
     "Dec-25", "Update Apr 25: done for 2025/26."],
]  # fmt: skip


def document(order: list[int] | None = None) -> str:
    order = order if order is not None else list(range(len(HEADER)))
    lines = ["Recommendations tracker", "March 2025", ""]
    for row in [HEADER, *ROWS]:
        lines.append("\t".join(row[i] for i in order))
    return "\n".join(lines) + "\n"


def header_of(path: Path) -> list[str]:
    """The plan sheet's header row as python-calamine reads it, trailing blanks dropped."""
    row = next(r for r in sheets(path)[SHEET_PLAN] if r and r[0] == "Ref")
    while row and row[-1] in ("", None):
        row = row[:-1]
    return [str(v) for v in row]


def imported(tmp_path: Path, text: str) -> tuple[Plan, Path]:
    plan = dataclasses.replace(import_text(text, "tracker.txt"), plan_id="plan-order0001")
    master = tmp_path / "master.xlsx"
    write_master(plan, master)
    return plan, master


def test_the_master_keeps_the_documents_order_and_adds_what_it_lacks(tmp_path: Path) -> None:
    plan, master = imported(tmp_path, document())
    # the document numbers its items, so its "No." is our Ref; it has no action column, so the
    # cycle's Action comes after its own columns, then Due
    assert header_of(master) == ["Ref", *HEADER[1:], "Action", DUE_COLUMN.title]
    back = read_master(master)
    assert back.column_order == plan.column_order
    assert back.items == plan.items
    assert [it.status for it in back.items] == ["AMBER", "RED", "GREEN"]


def test_the_seed_keeps_its_own_layout(tmp_path: Path, seed: Plan) -> None:
    """The embedded plan's columns are already in the order the cycle uses, under its titles."""
    write_master(seed, tmp_path / "seed.xlsx")
    lines = seed_text().splitlines()
    titles = next(line.split("\t") for line in lines if "\t" in line and "Action" in line)
    shown = header_of(tmp_path / "seed.xlsx")
    assert shown[0] == "Ref" and shown[-1] == DUE_COLUMN.title
    assert [" ".join(t.split()) for t in shown[1:-1]] == [" ".join(t.split()) for t in titles]


def test_a_copy_shows_the_documents_order_with_the_answers_at_the_right(tmp_path: Path) -> None:
    _, master = imported(tmp_path, document())
    run = issue_copies(master, tmp_path / "copies", when=ISSUED)
    copy = next(c for c in run.copies if c.refs == ("1", "3"))
    wb = load_workbook(copy.path)
    ws = wb[SHEET_PLAN]
    row = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == "Ref")
    titles = [ws.cell(row, c).value for c in range(1, ws.max_column + 1)]
    hidden = {c for c in range(1, ws.max_column + 1) if ws.column_dimensions[
        get_column_letter(c)].hidden}  # fmt: skip
    shown = [t for c, t in enumerate(titles, 1) if c not in hidden]
    locked = [t for t in HEADER[1:] if t != "RAG"]
    assert shown == ["Ref", *locked, "Action", "RAG", NEW_UPDATE_TITLE, PROPOSED_TIMESCALE_TITLE]
    first = row + 1 + next(i for i, v in enumerate(ws["A"][row:]) if v.value == "1")
    evidence = titles.index("Evidence") + 1
    assert ws.cell(first, evidence).value == "Board minutes"
    assert ws.cell(first, evidence).protection.locked
    assert not ws.cell(first, titles.index("RAG") + 1).protection.locked


def test_the_cycle_writes_each_answer_under_its_own_title(tmp_path: Path) -> None:
    _, master = imported(tmp_path, document())
    run = issue_copies(master, tmp_path / "copies", when=ISSUED)
    copy = next(c for c in run.copies if c.refs == ("1", "3"))
    ret = tmp_path / "returns" / "return.xlsx"
    ret.parent.mkdir()
    fill_copy(copy.path, ret, {"1": Answer("GREEN", "Reports now published monthly.")})
    merged = merge_returns(master, [ret], when=MERGED)
    assert merged.changes.exit_code == 0, merged.changes.to_dict()
    grid = sheets(master)[SHEET_PLAN]
    header = header_of(master)
    row = next(r for r in grid if r and r[0] == "1")
    assert row[header.index("RAG")] == "GREEN"
    assert str(row[header.index("Progress")]).startswith("Update 20 Jun 25")
    assert row[header.index("Evidence")] == "Board minutes"  # the document's own, untouched
    assert header_of(master) == ["Ref", *HEADER[1:], "Action", DUE_COLUMN.title]
    # the RAG rules colour the document's status column, wherever it is
    ws = load_workbook(master)[SHEET_PLAN]
    letter = get_column_letter(header.index("RAG") + 1)
    ranges = [str(r.sqref) for r in ws.conditional_formatting]
    assert any(rng.startswith(f"{letter}") for rng in ranges), ranges
    found = validate_master(master, as_of=MERGED.date())
    assert not [f for f in found.findings if f.severity == "error"], found.findings
    (tmp_path / "board").mkdir()
    board = make_board_pack(master, tmp_path / "board" / "pack.xlsx", as_of=MERGED.date())
    board_header = next(r for r in sheets(board.out)[SHEET_PLAN] if r and r[0] == "Ref")
    assert [str(t) for t in board_header[1:4]] == HEADER[1:4]


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.permutations(range(len(HEADER))))
def test_any_order_of_the_documents_columns_is_the_masters_order(
    tmp_path: Path, order: list[int]
) -> None:
    """Whatever the order of the document's columns, the master shows them in that order (the
    numbering column as Ref, first), reads back to the same plan, and keeps the order."""
    plan, master = imported(tmp_path, document(order))
    titles = [HEADER[i] for i in order if i != 0]
    assert header_of(master) == ["Ref", *titles, "Action", DUE_COLUMN.title]
    back = read_master(master)
    assert back.items == plan.items and back.column_order == plan.column_order
    same = import_text(document(), "tracker.txt")
    assert [it.status for it in back.items] == [it.status for it in same.items]
    # each item's text under each of the document's own columns, by title: no word moved
    assert [{back.extra_titles[k]: t for k, t in it.extra} for it in back.items] == [
        {same.extra_titles[k]: t for k, t in it.extra} for it in same.items
    ]
