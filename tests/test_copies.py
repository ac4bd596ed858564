"""Issuing lead copies: what each copy holds, how it is locked, the identity it carries, and what
the master records. Real files, read back with openpyxl and python-calamine."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from actionplan.cli import cli
from sync.copies import choose_leads, plan_for_lead
from sync.identity import SHEET_IDENTITY, identity_from_rows, verify
from sync.ledger import (
    SHEET_ISSUED_COPIES,
    SHEET_ISSUED_ITEMS,
    SHEET_SIGNING_KEY,
    ledger_from_sheets,
)
from tests.cycle import ISSUED, Cycle, header, sheets, start_cycle
from workbook.errors import ActionPlanError
from workbook.lead_copy.columns import CHECK_KEYS, COPY_COLUMNS, EDITABLE_KEYS, SHEET_COLUMNS
from workbook.master.sheets import SHEET_PLAN
from workbook.plan.model import Plan
from workbook.plan.status import RAG_CODES


@pytest.fixture(scope="module")
def cycle(tmp_path_factory: pytest.TempPathFactory, seed: Plan) -> Cycle:
    return start_cycle(tmp_path_factory.mktemp("copies"), seed)


def test_one_copy_per_lead_with_items_named_for_the_lead_and_date(cycle: Cycle, seed: Plan):
    assert sorted(cycle.copies) == sorted({code for it in seed.items for code in it.lead_codes})
    for lead, issued in cycle.copies.items():
        assert issued.path.name == f"Action plan - {lead} - issued 2023-05-15.xlsx"


def test_a_copy_holds_exactly_the_leads_items_shared_ones_included(cycle: Cycle, seed: Plan):
    for lead, issued in cycle.copies.items():
        expected = [it.ref for it in seed.items if lead in it.lead_codes]
        grid = sheets(issued.path)[SHEET_PLAN]
        start = grid.index(header(grid))
        refs = [row[0] for row in grid[start + 1 :] if row[0] and row[2]]
        assert refs == expected == list(issued.refs)
    # "GT / LH / AxB" style leads put the item in each lead's copy
    shared = next(it for it in seed.items if len(it.lead_codes) >= 3)
    for code in shared.lead_codes:
        assert shared.ref in cycle.copies[code].refs


def test_a_copy_shows_section_rows_for_context(cycle: Cycle, seed: Plan):
    grid = sheets(cycle.copies["GT"].path)[SHEET_PLAN]
    texts = [row[0] for row in grid if row and row[0] and not any(row[1:])]
    sections = {it.section for it in seed.items if "GT" in it.lead_codes}
    assert sections <= set(texts)


def test_the_copy_layout_has_the_three_columns_to_fill_in(cycle: Cycle):
    grid = sheets(cycle.copies["GT"].path)[SHEET_PLAN]
    assert header(grid) == [c.title for c in SHEET_COLUMNS]
    assert [c for c in SHEET_COLUMNS if c.key not in CHECK_KEYS] == list(COPY_COLUMNS)
    # two lines of instructions under the heading
    top = [row[0] for row in grid[:4]]
    assert top[1].startswith("Copy for GT - issued 15 May 2023")
    assert "Status" in top[2] and "New update" in top[2] and "Proposed time-scale" in top[2]
    assert "send it back" in top[3]


def test_only_status_new_update_and_proposed_timescale_are_unlocked(cycle: Cycle):
    wb = load_workbook(cycle.copies["AxB"].path)
    ws = wb[SHEET_PLAN]
    assert ws.protection.sheet
    head = next(r for r in range(1, 30) if ws.cell(r, 1).value == "Ref")
    editable = {i for i, c in enumerate(SHEET_COLUMNS, 1) if c.key in (*EDITABLE_KEYS, *CHECK_KEYS)}
    item_rows = [
        r
        for r in range(head + 1, ws.max_row + 1)
        if ws.cell(r, 3).value  # has actions
    ]
    assert item_rows
    for r in item_rows:
        for col in range(1, len(SHEET_COLUMNS) + 1):
            assert ws.cell(r, col).protection.locked == (col not in editable), (r, col)
    for col in range(1, len(SHEET_COLUMNS) + 1):  # the header row is locked
        assert ws.cell(head, col).protection.locked


def test_answer_cells_keep_what_is_typed_and_checks_guard_them(cycle: Cycle):
    """Answer cells are Text, so Excel and Calc keep "Jun 24", "50%" and "=> booked" as typed;
    the hidden ref checks sit between the answer columns, each holding its row's ref; sorting
    is not allowed on the protected sheet."""
    wb = load_workbook(cycle.copies["AxB"].path)
    ws = wb[SHEET_PLAN]
    head = next(r for r in range(1, 30) if ws.cell(r, 1).value == "Ref")
    index = {c.key: i for i, c in enumerate(SHEET_COLUMNS, 1)}
    order = [c.key for c in SHEET_COLUMNS]
    for check in CHECK_KEYS:
        before, after = order[order.index(check) - 1], order[order.index(check) + 1]
        assert before in EDITABLE_KEYS and after in EDITABLE_KEYS
        assert ws.column_dimensions[get_column_letter(index[check])].hidden
    refs = cycle.copies["AxB"].refs
    rows = [r for r in range(head + 1, ws.max_row + 1) if ws.cell(r, 1).value in refs]
    assert len(rows) == len(refs)
    for r in rows:
        for key in EDITABLE_KEYS:
            assert ws.cell(r, index[key]).number_format == "@"
        for key in CHECK_KEYS:
            assert ws.cell(r, index[key]).value == ws.cell(r, 1).value
    assert ws.protection.sort  # True: sorting is one of the protected actions


def test_status_has_a_dropdown_of_the_rag_key_that_refuses_anything_else(cycle: Cycle):
    wb = load_workbook(cycle.copies["GT"].path)
    ws = wb[SHEET_PLAN]
    (dv,) = [d for d in ws.data_validations.dataValidation if d.type == "list"]
    assert dv.formula1 == '"' + ",".join(RAG_CODES) + '"'
    assert dv.showErrorMessage and dv.errorStyle == "stop"
    assert all(code in dv.error for code in RAG_CODES)
    status_col = next(i for i, c in enumerate(COPY_COLUMNS, 1) if c.key == "status")
    letter = "ABCDEFGHI"[status_col - 1]
    assert str(dv.sqref).startswith(letter)


def test_copies_are_plain_xlsx_with_no_macros(cycle: Cycle):
    with zipfile.ZipFile(cycle.copies["GT"].path) as z:
        names = z.namelist()
        types = z.read("[Content_Types].xml").decode()
    assert not any("vbaProject" in n for n in names)
    assert "macroEnabled" not in types


def test_the_identity_is_very_hidden_and_verifies_with_the_masters_key(cycle: Cycle):
    wb = load_workbook(cycle.copies["LH"].path)
    assert wb[SHEET_IDENTITY].sheet_state == "veryHidden"
    claimed = identity_from_rows(sheets(cycle.copies["LH"].path)[SHEET_IDENTITY])
    identity = claimed.identity
    assert identity is not None
    assert (identity.lead, identity.issue_id) == ("LH", cycle.copies["LH"].issue_id)
    assert identity.issued == ISSUED
    assert identity.refs == cycle.copies["LH"].refs
    key = ledger_from_sheets(sheets(cycle.master)).key
    assert key is not None and verify(identity, claimed.signature, key)
    # the key stays on the owner's side: no copy carries it
    for issued in cycle.copies.values():
        with zipfile.ZipFile(issued.path) as z:
            assert not any(key.encode() in z.read(n) for n in z.namelist())


def test_the_master_records_every_issue_and_the_values_issued(cycle: Cycle, seed: Plan):
    wb = load_workbook(cycle.master)
    for name in (SHEET_ISSUED_COPIES, SHEET_ISSUED_ITEMS, SHEET_SIGNING_KEY):
        assert wb[name].sheet_state == "veryHidden"
    ledger = ledger_from_sheets(sheets(cycle.master))
    assert {c.lead for c in ledger.copies.values()} == set(cycle.copies)
    for lead, issued in cycle.copies.items():
        record = ledger.copies[issued.issue_id]
        assert (record.lead, record.issued, record.file) == (lead, ISSUED, issued.path.name)
        assert record.refs == issued.refs
        for ref in issued.refs:
            item = ledger.items[(issued.issue_id, ref)]
            assert (item.status, item.timescale) == (
                seed.item(ref).status,
                seed.item(ref).timescale,
            )


def test_issuing_leaves_the_plan_itself_untouched(tmp_path: Path, seed: Plan):
    c = start_cycle(tmp_path / "a", seed, leads=["GT"])
    before = sheets(c.master)
    CliRunner().invoke(cli, ["issue", str(c.master), "--out", str(tmp_path / "more")])
    after = sheets(c.master)
    for name in ("Action Plan", "Leads", "Updates", "Changes", "Settings"):
        assert after[name] == before[name], name


def test_issue_for_chosen_leads_and_refuse_an_unknown_one(tmp_path: Path, seed: Plan):
    c = start_cycle(tmp_path, seed, leads=["GT"])
    result = CliRunner().invoke(
        cli, ["issue", str(c.master), "--out", str(tmp_path / "o"), "--lead", "dm", "--lead", "VK"]
    )
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "o").iterdir()) == [
        "Action plan - DM - issued " + _today() + ".xlsx",
        "Action plan - VK - issued " + _today() + ".xlsx",
    ]
    result = CliRunner().invoke(
        cli, ["issue", str(c.master), "--out", str(tmp_path / "x"), "--lead", "ZZ"]
    )
    assert result.exit_code == 2
    assert result.output.startswith("Error: no item has lead 'ZZ'; leads with items: GT, LH")
    assert not (tmp_path / "x").exists()


def test_issue_refuses_while_the_master_is_open_and_writes_no_copies(tmp_path: Path, seed: Plan):
    c = start_cycle(tmp_path, seed, leads=["GT"])
    (tmp_path / "~$master.xlsx").write_bytes(b"lock")
    result = CliRunner().invoke(cli, ["issue", str(c.master), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert "is open in Excel or LibreOffice" in result.output
    assert not (tmp_path / "o").exists()


def test_copies_issued_twice_in_a_day_get_distinct_names(tmp_path: Path, seed: Plan):
    c = start_cycle(tmp_path, seed, leads=["GT"])
    for _ in range(2):
        CliRunner().invoke(
            cli, ["issue", str(c.master), "--out", str(tmp_path / "o"), "--lead", "GT"]
        )
    names = sorted(p.name for p in (tmp_path / "o").iterdir())
    assert names == [
        f"Action plan - GT - issued {_today()} (2).xlsx",
        f"Action plan - GT - issued {_today()}.xlsx",
    ]


def test_choose_leads_and_plan_for_lead_are_pure(seed: Plan):
    assert choose_leads(seed, None)[:3] == ["GT", "LH", "JoR"]
    with pytest.raises(ActionPlanError):
        choose_leads(seed, ["nobody"])
    dm = plan_for_lead(seed, "DM")
    assert all("DM" in it.lead_codes for it in dm.items)
    assert set(dm.sections) == {it.section for it in dm.items}


def test_the_copy_keeps_the_findings_italics(cycle: Cycle):
    from openpyxl.cell.rich_text import CellRichText

    wb = load_workbook(cycle.copies["GT"].path, rich_text=True)
    ws = wb[SHEET_PLAN]
    rich = [c.value for c in ws["B"] if isinstance(c.value, CellRichText)]
    assert rich and any(getattr(part, "font", None) and part.font.i for part in rich[0])


#: The product's clock during these tests: copies are named by the day they are issued.
TODAY = dt.datetime(2026, 3, 1, 23, 59, 59)


@pytest.fixture(autouse=True)
def _issued_on_a_fixed_day(fixed_clock) -> None:
    fixed_clock(TODAY)


def _today() -> str:
    return f"{TODAY:%Y-%m-%d}"
