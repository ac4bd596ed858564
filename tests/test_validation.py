"""Validation on real master workbooks: codes, cells and severities pinned, not wording."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from openpyxl import load_workbook
from strategies import plans

from actionplan.cli import cli
from validation.rules import ITEM_RULES
from validation.run import validate_master
from validation.sheet import COMMENT_AUTHOR, SHEET_VALIDATION
from workbook.master.read import read_master
from workbook.master.write import write_master
from workbook.plan.model import Plan, UpdateEntry
from workbook.plan.status import normalise_status

AS_OF = dt.date(2023, 8, 1)


def _master(plan: Plan, path: Path) -> Path:
    write_master(plan, path)
    return path


def _edit(path: Path, edits: dict[str, dict[str, object]]) -> None:
    """Change cells of items (by ref) as an owner would in Excel: column letter -> value."""
    wb = load_workbook(path, rich_text=True)
    ws = wb["Action Plan"]
    rows = {ws.cell(r, 1).value: r for r in range(1, ws.max_row + 1)}
    for ref, cells in edits.items():
        for col, value in cells.items():
            ws[f"{col}{rows[ref]}"] = value
    wb.save(path)


def test_real_seed_errors_are_the_missing_timescales(seed: Plan, tmp_path: Path) -> None:
    report = validate_master(_master(seed, tmp_path / "m.xlsx"), as_of=AS_OF)
    assert [r for r in report.flatten(["ref", "code", "cell"]) if r[1] in _errors()] == [
        ["EHP-01", "missing-timescale", "E17"],
        ["EHP-02", "missing-timescale", "E18"],
    ]
    warnings = report.flatten(["code"])
    assert warnings.count(["no-status"]) == 27  # the March 2023 plan has no statuses yet
    overdue = [r[0] for r in report.flatten(["ref", "code"]) if r[1] == "overdue"]
    assert overdue == [
        "WNI-02", "WNI-03", "EHP-03", "EHP-05", "EHP-06", "EHP-09", "EHP-10", "CEY-02", "IL-02",
        "AIA-01", "AIA-02", "AIA-03", "AIA-04", "AIA-06", "AIA-08",
    ]  # fmt: skip
    assert not report.ok


def _errors() -> set[str]:
    return {r.code for r in ITEM_RULES if r.severity == "error"}


def test_every_rule_on_one_master(seed: Plan, tmp_path: Path) -> None:
    recent = UpdateEntry("Update mid-July 23", "Work delivered and now BAU.", dt.date(2023, 7, 15))
    old = UpdateEntry("Update mid-April 23", "Recruiting.", dt.date(2023, 4, 15))
    items = list(seed.items)
    items[0] = dataclasses.replace(items[0], status="RED", updates=(old,))  # no recent update
    items[1] = dataclasses.replace(items[1], status="green ")  # normalised: fine, but overdue
    items[2] = dataclasses.replace(items[2], status="BLUE", updates=(old,))  # no completion
    items[3] = dataclasses.replace(items[3], status="Blue", updates=(recent,))  # fine
    # EHP-03: past due but BLUE, its newest update says "completed": nothing to report
    items[6] = dataclasses.replace(items[6], status="BLUE", timescale="Apr-23")
    plan = dataclasses.replace(seed, items=tuple(items))
    path = _master(plan, tmp_path / "m.xlsx")
    _edit(
        path,
        {
            "EHP-01": {"E": "Apr-24", "G": "Purple"},
            "EHP-02": {"A": None, "E": "Jun-24", "G": "AMBER"},
            "EHP-04": {"A": "EHP-05", "G": "g"},
            "EHP-07": {"B": "", "C": None, "D": "XY / GT", "E": "soon", "G": "A"},
            "EHP-08": {"D": ""},
        },
    )
    report = validate_master(path, as_of=AS_OF)
    got = [r for r in report.flatten(["ref", "code", "cell", "severity"]) if r[1] != "no-status"]
    assert got == [
        ["EHP-01", "unknown-status", "G17", "error"],
        ["", "missing-ref", "A18", "error"],
        ["EHP-05", "duplicate-ref", "A20", "error"],
        ["EHP-05", "duplicate-ref", "A21", "error"],
        ["EHP-07", "empty-finding", "B23", "error"],
        ["EHP-07", "no-actions", "C23", "error"],
        ["EHP-07", "unknown-lead", "D23", "error"],
        ["EHP-07", "unreadable-timescale", "E23", "error"],
        ["EHP-08", "missing-lead", "D24", "error"],
        ["WNI-01", "no-recent-update", "F12", "warning"],
        ["WNI-02", "overdue", "E13", "warning"],
        ["WNI-03", "no-completion-update", "F14", "warning"],
        ["", "no-recent-update", "F18", "warning"],
        ["EHP-05", "overdue", "E21", "warning"],
        ["EHP-06", "overdue", "E22", "warning"],
        ["EHP-07", "no-recent-update", "F23", "warning"],
        ["EHP-09", "overdue", "E25", "warning"],
        ["EHP-10", "overdue", "E26", "warning"],
        ["CEY-02", "overdue", "E29", "warning"],
        ["IL-02", "overdue", "E32", "warning"],
        ["AIA-01", "overdue", "E35", "warning"],
        ["AIA-02", "overdue", "E36", "warning"],
        ["AIA-03", "overdue", "E37", "warning"],
        ["AIA-04", "overdue", "E38", "warning"],
        ["AIA-06", "overdue", "E40", "warning"],
        ["AIA-08", "overdue", "E42", "warning"],
    ]
    messages = {f.code: f.message for f in report.findings}
    assert "XY" in messages["unknown-lead"] and "Leads" in messages["unknown-lead"]
    assert "'Purple'" in messages["unknown-status"]
    assert all("\n" not in f.message for f in report.findings)


@pytest.mark.parametrize(
    ("typed", "code"),
    [("green ", "GREEN"), (" Amber", "AMBER"), ("r", "RED"), ("Complete", "BLUE"),
     ("On target for delivery", "GREEN"), ("", ""), ("Purple", None), ("done", None)],
)  # fmt: skip
def test_status_normalisation(typed: str, code: str | None) -> None:
    assert normalise_status(typed) == code


@settings(max_examples=15, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(plan=plans(max_items=8))
def test_generated_plans_fail_only_where_timescale_is_blank(plan: Plan, tmp_path: Path) -> None:
    """Whatever a well-formed plan holds, the only errors are the blank time-scales it has."""
    report = validate_master(_master(plan, tmp_path / "g.xlsx"), as_of=AS_OF)
    errors = {(f.ref, f.code) for f in report.errors}
    assert errors == {(it.ref, "missing-timescale") for it in plan.items if not it.timescale}


def test_cli_exit_codes_and_json(seed: Plan, tmp_path: Path) -> None:
    runner = CliRunner()
    path = _master(seed, tmp_path / "m.xlsx")
    result = runner.invoke(cli, ["validate", str(path), "--as-of", "2023-08-01", "--json"])
    assert result.exit_code == 1
    data = json.loads(result.output)
    assert data == validate_master(path, as_of=AS_OF).to_dict()
    assert set(data["findings"][0]) == {"code", "severity", "ref", "cell", "message"}
    result = runner.invoke(cli, ["validate", str(path), "--as-of", "2023-08-01"])
    assert result.exit_code == 1
    assert result.output.splitlines()[0] == f"{path}: 2 errors, 42 warnings (as of 01 Aug 2023)"
    assert "missing-timescale  EHP-01  E17" in result.output
    _edit(path, {"EHP-01": {"E": "Mar-24"}, "EHP-02": {"E": "Mar-24"}})
    assert runner.invoke(cli, ["validate", str(path)]).exit_code == 0
    result = runner.invoke(cli, ["validate", str(tmp_path / "missing.xlsx")])
    assert result.exit_code == 2
    assert result.output.startswith("Error: master workbook not found")
    (tmp_path / "notes.xlsx").write_text("not a workbook")
    assert runner.invoke(cli, ["validate", str(tmp_path / "notes.xlsx")]).exit_code == 2


def test_write_puts_findings_in_the_master_until_next_run(seed: Plan, tmp_path: Path) -> None:
    runner = CliRunner()
    path = _master(seed, tmp_path / "m.xlsx")
    shutil.copy(path, tmp_path / "copy.xlsx")
    before = validate_master(path, as_of=AS_OF)
    result = runner.invoke(cli, ["validate", str(path), "--as-of", "2023-08-01", "--write"])
    assert result.exit_code == 1
    wb = load_workbook(path)
    ws = wb[SHEET_VALIDATION]
    assert [c.value for c in ws[2]] == ["Severity", "Code", "Ref", "Cell", "Message"]
    assert ws["D3"].value == "E17" and ws["D3"].hyperlink.location == "'Action Plan'!E17"
    assert ws.max_row == 2 + len(before.findings)
    plan_ws = wb["Action Plan"]
    assert plan_ws["E17"].comment.author == COMMENT_AUTHOR
    assert "missing-timescale" not in plan_ws["E17"].comment.text  # people's words, not codes
    assert "no time-scale" in plan_ws["E17"].comment.text
    # the plan itself is untouched, as another reader sees it
    assert read_master(path, rich=False) == read_master(tmp_path / "copy.xlsx", rich=False)
    # fix the time-scales, run again: the old marks are gone
    _edit(path, {"EHP-01": {"E": "Mar-24"}, "EHP-02": {"E": "Mar-24"}})
    args = ["validate", str(path), "--write", "--as-of", "2023-08-01"]
    assert runner.invoke(cli, args).exit_code == 0
    wb = load_workbook(path)
    assert wb["Action Plan"]["E17"].comment is None
    assert wb.sheetnames.count(SHEET_VALIDATION) == 1


def test_as_of_that_is_not_a_date_stops_validation(seed: Plan, tmp_path: Path) -> None:
    path = tmp_path / "m.xlsx"
    write_master(seed, path, settings={"As-of date": "soon"})
    result = CliRunner().invoke(cli, ["validate", str(path)])
    assert result.exit_code == 2
    assert "'As-of date' is 'soon', not a date" in result.output
