"""A lead who typed into a locked cell (protection removed, as LibreOffice lets them): the receipt
quotes what they typed, in the column as their copy titled it, and says where it should go -
Time-scale to Proposed time-scale, the update history to New update, any other column to the
owner. Nothing of it reaches the plan; the Changes log keeps the master's text and theirs."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from actionplan.cli import cli
from sync.simulate import Answer
from tests.cycle import Cycle, sheets, solo_items, start_cycle
from tests.office import edit_in_calc, needs_calc_uno
from workbook.master.sheets import SHEET_PLAN
from workbook.plan.model import Plan
from workbook.xlsx.cells import column_letter

#: A plan titled in its own words (a council's tracker), beside the seed's.
OWN_TITLES = (
    ("finding", "Recommendation"),
    ("actions", "Actions to be taken"),
    ("lead", "Lead officer"),
    ("timescale", "By when"),
    ("update", "Progress"),
    ("status", "RAG"),
)


@pytest.fixture(params=["seed titles", "own titles"])
def plan(request: pytest.FixtureRequest, seed: Plan) -> Plan:
    return (
        seed
        if request.param == "seed titles"
        else dataclasses.replace(seed, column_titles=OWN_TITLES)
    )


def _titles(plan: Plan) -> dict[str, str]:
    """The copy's title for each locked column, by the plan's role."""
    return dict(plan.column_titles)


def _locate(path: Path, ref: str) -> tuple[int, dict[str, int]]:
    """The row of `ref` in a copy, and each header title's column (1-based)."""
    ws = load_workbook(path)[SHEET_PLAN]
    rows = list(ws.iter_rows(values_only=True))
    head = next(i for i, r in enumerate(rows) if r and r[0] == "Ref")
    row = next(i for i, r in enumerate(rows) if r and r[0] == ref)
    return row + 1, {str(t): i + 1 for i, t in enumerate(rows[head]) if t}


def _receipt(c: Cycle, ret: Path) -> str:
    return (c.folder / "receipts" / f"{ret.stem} - receipt.txt").read_text(encoding="utf-8")


def test_the_receipt_quotes_each_locked_cell_typed_in_with_where_it_should_go(
    tmp_path: Path, plan: Plan
) -> None:
    c = start_cycle(tmp_path, plan)
    lead, (ref,) = solo_items(plan, 1)
    ret = c.fill(lead, {ref: Answer("GREEN", "on track")})
    titles = _titles(plan)
    row, column = _locate(ret, ref)
    wb = load_workbook(ret)
    ws = wb[SHEET_PLAN]
    ws.protection.sheet = False  # as a lead who removed the protection
    ws.cell(row, column[titles["timescale"]]).value = "Apr-25"
    ws.cell(row, column[titles["update"]]).value = "Met the panel\nagain"
    ws.cell(row, column[titles["finding"]]).value = "A finding put the lead's way"
    ws.cell(row, column[titles["lead"]]).value = None
    wb.save(ret)
    before = sheets(c.master)[SHEET_PLAN]

    result = CliRunner().invoke(cli, ["merge", str(c.master), str(ret)])
    assert result.exit_code == 1, result.output
    receipt = _receipt(c, ret)
    ignored = receipt.split("Ignored:\n", 1)[1].splitlines()
    t = titles
    assert sorted(ignored) == sorted([
        f"  - {ref}: you typed 'Apr-25' in {t['timescale']}; to propose a new time-scale use "
        "Proposed time-scale",
        f"  - {ref}: you typed 'Met the panel again' in {t['update']}; to add an update use "
        "New update",
        f"  - {ref}: you typed 'A finding put the lead's way' in {t['finding']}; this column is "
        "the owner's; write to them if it is wrong",
        f"  - {ref}: you cleared {t['lead']}; this column is the owner's; write to them if it is "
        "wrong",
    ])  # fmt: skip
    assert "Status" not in "\n".join(ignored)  # Status is the lead's to change: nothing to say
    # the status and update were taken in; no locked text reached the plan
    after = sheets(c.master)
    assert "Apr-25" not in str(after[SHEET_PLAN])
    assert "put the lead's way" not in str(after[SHEET_PLAN])
    head = next(r for r in before if r and r[0] == "Ref")
    was = next(r for r in before if r and r[0] == ref)
    now = next(r for r in after[SHEET_PLAN] if r and r[0] == ref)
    for role in ("timescale", "finding", "lead"):
        i = head.index(t[role])
        assert now[i] == was[i]
    # the owner's log keeps both texts
    log = [r for r in after["Changes"] if r[4] == ref and r[8] == "ignored"]
    by_field = {r[5]: (r[6], r[7]) for r in log}
    i = head.index(t["timescale"])
    assert by_field[t["timescale"]] == (was[i], "Apr-25")
    assert by_field[t["lead"]][1] == ""


def test_a_receipt_remade_from_the_log_words_the_locked_cell_the_same(
    tmp_path: Path, seed: Plan
) -> None:
    c = start_cycle(tmp_path, seed)
    lead, (ref,) = solo_items(seed, 1)
    ret = c.fill(lead, {ref: Answer("GREEN")})
    row, column = _locate(ret, ref)
    wb = load_workbook(ret)
    wb[SHEET_PLAN].protection.sheet = False
    wb[SHEET_PLAN].cell(row, column[_titles(seed)["timescale"]]).value = "Apr-25"
    wb.save(ret)
    CliRunner().invoke(cli, ["merge", str(c.master), str(ret)])
    first = _receipt(c, ret)
    (c.folder / "receipts" / f"{ret.stem} - receipt.txt").unlink()
    CliRunner().invoke(cli, ["merge", str(c.master), str(ret)])  # already merged: remade
    again = _receipt(c, ret)
    line = f"{ref}: you typed 'Apr-25' in Time-scale; to propose a new time-scale use"
    assert line in first and line in again


@needs_calc_uno
def test_a_time_scale_typed_in_calc_after_removing_protection_is_quoted_as_typed(
    tmp_path: Path, seed: Plan
) -> None:
    c = start_cycle(tmp_path, seed)
    lead, (ref,) = solo_items(seed, 1)
    copy = c.copies[lead].path
    row, column = _locate(copy, ref)
    where = f"{column_letter(column[_titles(seed)['timescale']])}{row}"
    out = c.folder / "returns" / "calc.xlsx"
    out.parent.mkdir()
    edits: list[dict[str, object]] = [
        {"op": "locale", "tag": "en-GB"},
        {"op": "type", "sheet": SHEET_PLAN, "cell": where, "value": "Apr-25", "unprotect": True},
    ]
    edit_in_calc(copy, out, edits)
    result = CliRunner().invoke(cli, ["merge", str(c.master), str(out)])
    assert result.exit_code == 1, result.output
    # the copy's cells are Text, so Calc in en-GB keeps "Apr-25" as typed (not 1 April 2025,
    # shown 01/04/25), and the lead is quoted what they typed
    assert (
        f"{ref}: you typed 'Apr-25' in Time-scale; to propose a new time-scale use "
        "Proposed time-scale"
    ) in _receipt(c, out)
