"""A copy signed with a key `actionplan issue --new-key` has since retired (issue 13, item 8b):
still refused, but told apart from a forged one. The master keeps every key it has signed with
(SigningKey, one row each; the last in force), so a copy whose signature verifies with a retired
key is out of date, not altered: the lead needs the new copy issued to them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from actionplan.cli import cli
from sync.identity import SHEET_IDENTITY
from sync.ledger import SHEET_SIGNING_KEY
from sync.merge.apply import merge_returns
from sync.merge.core import master_state
from sync.simulate import Answer, fill_copy
from tests.cycle import MERGED, Cycle, sheets, start_cycle
from workbook.plan.model import Plan

SOLO = "WNI-01"
REISSUED = dt.datetime(2023, 5, 22, 9, 30)


@pytest.fixture
def cycle(tmp_path: Path, seed: Plan) -> Cycle:
    return start_cycle(tmp_path, seed)


def new_key(c: Cycle, *leads: str) -> Path:
    """`actionplan issue MASTER --out reissued --new-key [--lead ...]`, on REISSUED."""
    out = c.folder / "reissued"
    args = ["issue", str(c.master), "--out", str(out), "--new-key"]
    for lead in leads:
        args += ["--lead", lead]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    return out


def test_a_copy_signed_with_a_retired_key_is_refused_as_out_of_date(cycle: Cycle, fixed_clock):
    old = cycle.fill("GT", {SOLO: Answer("GREEN", "Typed on the old copy.")}, name="old.xlsx")
    fixed_clock(REISSUED)
    new_key(cycle)
    keys = sheets(cycle.master)[SHEET_SIGNING_KEY]
    assert len(keys) == 3  # the header, the first key, the new one: the first is kept
    state = master_state(sheets(cycle.master))
    assert state.ledger.key == keys[2][1] and state.ledger.retired_keys == (keys[1][1],)

    fixed_clock(MERGED)
    result = CliRunner().invoke(cli, ["merge", str(cycle.master), str(old)])
    assert result.exit_code == 1
    issue = cycle.copies["GT"].issue_id
    reason = (
        f"old.xlsx: its signature does not match the key in force - it was signed with a key "
        f"since retired (copies were re-issued on 22 May 2023), so issue {issue} is no longer "
        "accepted; ask GT to fill in the new copy issued to them on 22 May 2023 and return that"
    )
    assert f"REJECTED old.xlsx: {reason.removeprefix('old.xlsx: ')}\n" in result.output
    assert "altered" not in result.output
    receipt = (cycle.folder / "receipts" / "old - receipt.txt").read_text()
    assert "signed with a key since retired (copies were re-issued on 22 May 2023)" in receipt
    log = [r for r in sheets(cycle.master)["Changes"] if r[1] == "old.xlsx"]
    assert [(r[5], r[8], r[9]) for r in log] == [("Return", "rejected", reason)]

    # the copy the lead needs merges
    fresh = next((cycle.folder / "reissued").glob("Action plan - GT - *.xlsx"))
    ret = cycle.folder / "returns" / "fresh.xlsx"
    fill_copy(fresh, ret, {SOLO: Answer("GREEN", "Typed on the new copy.")})
    (merged,) = merge_returns(cycle.master, [ret], when=MERGED).changes.results
    assert merged.outcome == "merged"


def test_with_no_new_copy_for_the_lead_the_owner_is_told_to_issue_one(cycle: Cycle, fixed_clock):
    old = cycle.fill("GT", {SOLO: Answer("GREEN")}, name="old.xlsx")
    fixed_clock(REISSUED)
    new_key(cycle, "LH")  # a new key, but only LH was sent a copy signed with it
    (result,) = merge_returns(cycle.master, [old], when=MERGED).changes.results
    assert result.outcome == "rejected"
    assert "signed with a key since retired (copies were re-issued with a new key)" in (
        result.reason
    )
    assert result.reason.endswith("issue GT a new copy and ask them to fill that in")


def test_a_signature_no_key_verifies_is_still_an_altered_identity(cycle: Cycle, fixed_clock):
    old = cycle.fill("LH", {"WNI-02": Answer("RED")})
    forged = cycle.folder / "returns" / "forged.xlsx"
    wb = load_workbook(old)
    ws = wb[SHEET_IDENTITY]
    row = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == "Lead")
    ws.cell(row, 2).value = "GT"
    wb.save(forged)
    fixed_clock(REISSUED)
    new_key(cycle)
    run = merge_returns(cycle.master, [forged, old], when=MERGED)
    by_name = {r.name: r for r in run.changes.results}
    assert "the copy's identity was altered" in by_name["forged.xlsx"].reason
    assert "retired" not in by_name["forged.xlsx"].reason
    assert "retired" in by_name[old.name].reason
    assert "altered" not in by_name[old.name].reason
