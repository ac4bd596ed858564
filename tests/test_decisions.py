"""The owner decides proposed time-scales on the master's Proposals sheet, and the decisions are
carried out by `actionplan decide`, by the next merge and by the add-in: on real files, read back
with calamine (and openpyxl for the dropdown)."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from xlremote import apply_actions, remote_book, xlremote  # noqa: F401 (a fixture)

import xl_addin.handlers as handlers
from actionplan.cli import cli
from sync.copies import issue_copies
from sync.decisions import Decision, decide_master, read_decision
from sync.merge.apply import merge_returns
from sync.simulate import Answer, fill_copy
from tests.cycle import MERGED, Cycle, cell, sheets, solo_items, start_cycle
from workbook.master.read import read_master
from workbook.master.sheets import SHEET_PLAN
from workbook.plan.model import Plan
from workbook.plan.timescales import due_date

DECIDED = dt.datetime(2023, 6, 2, 10, 0)
REISSUED = dt.datetime(2023, 6, 5, 9, 0)


@pytest.fixture
def proposed(tmp_path: Path, seed: Plan) -> tuple[Cycle, str, tuple[str, ...]]:
    """A cycle whose master has two proposals from one lead, on two of their items."""
    c = start_cycle(tmp_path / "cycle", seed)
    lead, refs = solo_items(seed, 2)
    wanted = [_other_timescale(seed.item(ref).timescale, n) for n, ref in enumerate(refs)]
    ret = c.fill(
        lead, {ref: Answer(proposed_timescale=t) for ref, t in zip(refs, wanted, strict=True)}
    )
    merge_returns(c.master, [ret], when=MERGED)
    return c, lead, refs


def _other_timescale(current: str, n: int) -> str:
    """A time-scale the item does not have."""
    return next(t for t in (f"Jun-2{7 + n}", f"Sep-2{7 + n}") if t != current)


def _decide_in_excel(master: Path, decisions: dict[int, str]) -> None:
    """Type into the Decision cells (by Proposals row) as Excel saves them."""
    wb = load_workbook(master)
    ws = wb["Proposals"]
    column = [c.value for c in ws[1]].index("Decision") + 1
    for row, text in decisions.items():
        ws.cell(row, column).value = text
    wb.save(master)


def _row(grid: list[list], ref: str) -> dict:
    head = grid[0]
    row = next(r for r in grid[1:] if r[1] == ref)
    return dict(zip(head, row, strict=False))


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("Accept", Decision.ACCEPT),
        ("accepted", Decision.ACCEPT),
        (" YES. ", Decision.ACCEPT),
        ("Declined", Decision.DECLINE),
        ("no", Decision.DECLINE),
        ("maybe", None),
        ("", None),
    ],
)
def test_decision_words_are_read_loosely(typed: str, read: Decision | None):
    assert read_decision(typed) == read


def test_the_decision_column_has_an_accept_decline_dropdown(proposed):
    c, _, _ = proposed
    ws = load_workbook(c.master)["Proposals"]
    column = [cell.value for cell in ws[1]].index("Decision") + 1
    letter = ws.cell(1, column).column_letter
    (dv,) = ws.data_validations.dataValidation
    assert dv.type == "list" and dv.formula1 == '"Accept,Decline"'
    assert str(dv.sqref).startswith(f"{letter}2:{letter}")


def test_accept_sets_time_scale_and_due_and_logs_it_once(proposed, seed: Plan):
    c, lead, refs = proposed
    wanted = _row(sheets(c.master)["Proposals"], refs[0])["Proposed time-scale"]
    _decide_in_excel(c.master, {2: "accepted"})

    run = decide_master(c.master, when=DECIDED)
    assert [(ln.ref, ln.result) for ln in run.decisions.lines] == [(refs[0], "applied")]
    grid = sheets(c.master)
    assert cell(grid[SHEET_PLAN], refs[0], "Time-scale") == wanted
    year = read_master(c.master).items[0].year
    due = cell(grid[SHEET_PLAN], refs[0], "Due")
    assert due == due_date(wanted, year=year) != seed.item(refs[0]).due
    assert cell(grid[SHEET_PLAN], refs[1], "Time-scale") == seed.item(refs[1]).timescale
    log = [r for r in grid["Changes"][1:] if r[4] == refs[0] and r[8] == "applied"]
    assert len(log) == 1
    assert log[0][6:8] == [seed.item(refs[0]).timescale, wanted]
    assert f"proposal by {lead} accepted by the owner" in log[0][9]
    mark = _row(grid["Proposals"], refs[0])
    assert mark["Decided"] == DECIDED and mark["Outcome"] == "applied"
    assert _row(grid["Proposals"], refs[1])["Outcome"] == ""  # not decided yet

    before = c.master.read_bytes()
    again = decide_master(c.master, when=DECIDED + dt.timedelta(days=1))
    assert again.decisions.lines == () and again.backup is None
    assert c.master.read_bytes() == before


def test_decline_is_kept_and_marked_and_the_time_scale_stays(proposed, seed: Plan):
    c, _, refs = proposed
    _decide_in_excel(c.master, {3: "Declined"})
    decide_master(c.master, when=DECIDED)
    grid = sheets(c.master)
    assert cell(grid[SHEET_PLAN], refs[1], "Time-scale") == seed.item(refs[1]).timescale
    assert len(grid["Proposals"]) == 3  # both rows kept
    mark = _row(grid["Proposals"], refs[1])
    assert mark["Decision"] == "Declined" and mark["Outcome"] == "declined"
    log = [r for r in grid["Changes"][1:] if r[4] == refs[1] and r[8] == "declined"]
    assert len(log) == 1 and "stays" in log[0][9]


def test_unreadable_and_stale_decisions_are_reported_not_applied(proposed, seed: Plan):
    c, _, refs = proposed
    _decide_in_excel(c.master, {2: "maybe", 3: "Accept"})
    # the owner changed the second item's time-scale after the proposal was made
    wb = load_workbook(c.master, rich_text=True)
    ws = wb[SHEET_PLAN]
    head_row = next(r for r in ws.iter_rows() if r[0].value == "Ref")
    col = [h.value for h in head_row].index("Time-scale")
    row = next(r for r in ws.iter_rows() if r[0].value == refs[1])
    row[col].value = "Dec-29"
    wb.save(c.master)

    result = CliRunner().invoke(cli, ["decide", str(c.master)])
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    assert any(ln.startswith("unreadable") and refs[0] in ln and "'maybe'" in ln for ln in lines)
    assert any(ln.startswith("not applied") and refs[1] in ln and "Dec-29" in ln for ln in lines)
    assert "1 not applied" in lines[-2] and "1 decision not read" in lines[-2]
    grid = sheets(c.master)
    assert cell(grid[SHEET_PLAN], refs[1], "Time-scale") == "Dec-29"
    assert _row(grid["Proposals"], refs[0])["Outcome"] == ""  # left for the owner to fix
    assert _row(grid["Proposals"], refs[1])["Outcome"].startswith("not applied")


def test_decide_with_nothing_decided_writes_nothing(proposed):
    c, _, _ = proposed
    before = c.master.read_bytes()
    result = CliRunner().invoke(cli, ["decide", str(c.master)])
    assert result.exit_code == 0
    assert result.output.strip() == (
        "No decisions to carry out; 2 proposals still to decide (Accept or Decline in the "
        "Decision column of Proposals)."
    )
    assert c.master.read_bytes() == before


def test_merge_carries_out_decisions_before_new_returns(proposed, seed: Plan):
    c, lead, refs = proposed
    wanted = _row(sheets(c.master)["Proposals"], refs[0])["Proposed time-scale"]
    _decide_in_excel(c.master, {2: "Accept", 3: "No"})
    other = next(code for code in c.copies if code != lead)
    ret = c.fill(other, {}, name="nothing new.xlsx")
    run = merge_returns(c.master, [ret], when=DECIDED)
    assert run.decisions is not None
    assert [ln.result for ln in run.decisions.lines] == ["applied", "declined"]
    grid = sheets(c.master)
    assert cell(grid[SHEET_PLAN], refs[0], "Time-scale") == wanted
    assert [_row(grid["Proposals"], r)["Outcome"] for r in refs] == ["applied", "declined"]
    # the dropdown is still there, once
    ws = load_workbook(c.master)["Proposals"]
    assert [dv.formula1 for dv in ws.data_validations.dataValidation] == ['"Accept,Decline"']


def test_the_next_copy_tells_the_lead_the_outcome_and_still_merges(proposed, seed: Plan):
    c, lead, refs = proposed
    proposals = sheets(c.master)["Proposals"]
    wanted = [_row(proposals, r)["Proposed time-scale"] for r in refs]
    _decide_in_excel(c.master, {2: "yes", 3: "decline"})
    decide_master(c.master, when=DECIDED)

    run = issue_copies(c.master, c.folder / "copies2", leads=[lead], when=REISSUED)
    (copy,) = run.copies
    top = [r[0] for r in sheets(copy.path)[SHEET_PLAN][:10]]
    assert f"Your proposed time-scale for {refs[0]}, {wanted[0]!r}, was accepted" in "\n".join(top)
    stays = seed.item(refs[1]).timescale
    assert (
        f"Your proposed time-scale for {refs[1]}, {wanted[1]!r}, was declined; the time-scale "
        f"stays {stays}." in top
    )
    # the copy after that says nothing more of them
    later = issue_copies(
        c.master, c.folder / "copies3", leads=[lead], when=REISSUED + dt.timedelta(days=1)
    )
    assert "Your proposed" not in "\n".join(
        str(r[0]) for r in sheets(later.copies[0].path)[SHEET_PLAN][:10]
    )
    # the lines are no answers: a return of the told copy merges as any other
    out = c.folder / "returns" / "told.xlsx"
    fill_copy(copy.path, out, {refs[0]: Answer(update="On it.")})
    merged = merge_returns(c.master, [out], when=REISSUED + dt.timedelta(days=2))
    (result,) = merged.changes.results
    assert [(ln.ref, ln.outcome) for ln in result.lines] == [(refs[0], "added")]


@pytest.mark.usefixtures("xlremote")
def test_decide_in_excel_gives_the_same_master_as_the_command_line(
    proposed, monkeypatch: pytest.MonkeyPatch
):
    c, _, refs = proposed
    _decide_in_excel(c.master, {2: "Accept", 3: "maybe"})
    cli_master = c.folder / "cli.xlsx"
    shutil.copy(c.master, cli_master)
    monkeypatch.setattr(handlers, "_now", lambda: DECIDED)
    book = remote_book(c.master)
    message = handlers.decide_proposals(book)
    apply_actions(c.master, book.json(), c.folder / "live.xlsx")
    assert message.startswith("Decisions: 1 proposal applied, 0 declined; 1 decision not read")
    assert f"{refs[1]}: the decision 'maybe' is neither Accept nor Decline" in message

    decide_master(cli_master, when=DECIDED)
    live, file = sheets(c.folder / "live.xlsx"), sheets(cli_master)
    for name in ("Action Plan", "Proposals", "Changes"):
        assert live[name] == file[name], name
    assert _row(live["Proposals"], refs[0])["Outcome"] == "applied"
    ws = load_workbook(c.folder / "live.xlsx")["Proposals"]
    assert [dv.formula1 for dv in ws.data_validations.dataValidation] == ['"Accept,Decline"']


def test_accept_chosen_in_libreoffice_is_carried_out(proposed):
    from tests.office import edit_in_calc

    c, _, refs = proposed
    head = sheets(c.master)["Proposals"][0]
    letter = "ABCDEFGHIJKLMNOP"[head.index("Decision")]
    typed = c.folder / "typed in calc.xlsx"
    edits = [
        {"op": "locale", "tag": "en-GB"},
        {"op": "type", "sheet": "Proposals", "cell": f"{letter}2", "value": "accept"},
    ]
    edit_in_calc(c.master, typed, edits)
    wanted = _row(sheets(typed)["Proposals"], refs[0])["Proposed time-scale"]
    run = decide_master(typed, when=DECIDED)
    assert [ln.result for ln in run.decisions.lines] == ["applied"]
    assert cell(sheets(typed)[SHEET_PLAN], refs[0], "Time-scale") == wanted
