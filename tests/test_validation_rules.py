"""Each validation rule on a tiny plan built in memory: it fires on a bad item, with its code,
severity, ref and cell, and a message quoting the facts; it stays quiet on a good one. The grids
are built here from PLAN_COLUMNS, so nothing depends on the seed plan's refs or rows, and every
run gives its as-of date."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pytest
from openpyxl.utils.cell import get_column_letter

from validation.report import Report
from validation.rules import ITEM_RULES, PLAN_RULES, PlanRule, Rule
from validation.run import validate_sheets
from workbook.master.rag_key import RAG_KEY_COLUMNS
from workbook.master.settings import SETTING_CYCLE_START, SETTINGS_COLUMNS
from workbook.master.sheets import (
    LEADS_COLUMNS,
    PLAN_COLUMNS,
    SHEET_LEADS,
    SHEET_PLAN,
    SHEET_RAG_KEY,
    SHEET_SETTINGS,
    SHEET_UPDATES,
    UpdateRow,
)
from workbook.xlsx.cells import Grid

AS_OF = dt.date(2024, 6, 1)  # the default cycle then starts 30 days before: 02-May-24
FIRST_ITEM_ROW = 3  # header on row 1, a section on row 2
REGISTER = [list(LEADS_COLUMNS), ["GT", "G Taylor", "gt@example.org"], ["LH", "L Hall", ""]]

# an item no rule has anything to say about
GOOD: dict[str, object] = {
    "ref": "A-01",
    "finding": "Supervision is not regular enough.",
    "actions": "1. Audit supervision monthly.\n2. Report to the board.",
    "lead": "GT / LH",
    "timescale": "Dec-24",
    "updates": "Update mid-May 24: Audits running.",
    "status": "GREEN",
}
DONE = "Update mid-May 24: Work completed."


def item(**cells: object) -> dict[str, object]:
    """The good item with some cells changed (keys as in PLAN_COLUMNS)."""
    assert set(cells) <= set(GOOD)
    return {**GOOD, **cells}


def plan_grid(*items: dict[str, object]) -> Grid:
    """An `Action Plan` grid: a header row of the PLAN_COLUMNS titles, a section, the items."""
    return [
        [c.title for c in PLAN_COLUMNS],
        ["Section one"],
        *([it.get(c.key) for c in PLAN_COLUMNS] for it in items),
    ]


def validate(
    *items: dict[str, object],
    leads: Grid = REGISTER,
    settings: dict[str, object] | None = None,
    as_of: dt.date = AS_OF,
    key: Grid | None = None,
) -> Report:
    sheets: dict[str, Grid] = {
        SHEET_PLAN: plan_grid(*items),
        SHEET_LEADS: leads,
        SHEET_UPDATES: [list(UpdateRow.columns())],
        SHEET_SETTINGS: [list(SETTINGS_COLUMNS), *([k, v] for k, v in (settings or {}).items())],
    }
    if key is not None:
        sheets[SHEET_RAG_KEY] = key
    return validate_sheets(sheets, as_of=as_of)


def cell(key: str, n: int = 0) -> str:
    """The address of column `key` of the n-th item row (0-based)."""
    column = next(i for i, c in enumerate(PLAN_COLUMNS) if c.key == key)
    return f"{get_column_letter(column + 1)}{FIRST_ITEM_ROW + n}"


def test_the_good_item_has_no_findings() -> None:
    report = validate(item(), item(ref="A-02", lead="LH", status="BLUE", updates=DONE))
    assert report.findings == []
    assert report.ok


@dataclass(frozen=True)
class Case:
    """A rule's bad items and the findings (code, severity, ref, cell) they must give; good items
    like them that must give none; words the message must hold."""

    bad: tuple[dict[str, object], ...]
    expected: list[list[str]]
    good: tuple[dict[str, object], ...]
    says: tuple[str, ...]
    settings: dict[str, object] = field(default_factory=dict)


CASES: dict[str, Case] = {
    "missing-ref": Case(
        bad=(item(ref=""),),
        expected=[["missing-ref", "error", "", cell("ref")]],
        good=(item(ref="A-07"),),
        says=(f"row {FIRST_ITEM_ROW} has no ref",),
    ),
    "duplicate-ref": Case(
        bad=(item(ref="A-01"), item(ref=" A-01")),
        expected=[
            ["duplicate-ref", "error", "A-01", cell("ref", 0)],
            ["duplicate-ref", "error", "A-01", cell("ref", 1)],
        ],
        good=(item(ref="A-01"), item(ref="A-011")),
        says=("ref A-01", f"rows {FIRST_ITEM_ROW}, {FIRST_ITEM_ROW + 1}"),
    ),
    "empty-finding": Case(
        bad=(item(finding="  "),),
        expected=[["empty-finding", "error", "A-01", cell("finding")]],
        good=(item(finding="x"),),
        says=("A-01 has no finding",),
    ),
    "no-actions": Case(
        bad=(item(actions=None),),
        expected=[["no-actions", "error", "A-01", cell("actions")]],
        good=(item(actions="1. One thing."),),
        says=("A-01 has no actions",),
    ),
    "missing-lead": Case(
        bad=(item(lead=""),),
        expected=[["missing-lead", "error", "A-01", cell("lead")]],
        good=(item(lead="LH"),),
        says=("A-01 has no lead",),
    ),
    "unknown-lead": Case(
        bad=(item(lead="XY / GT"),),
        expected=[["unknown-lead", "error", "A-01", cell("lead")]],
        good=(item(lead="LH / GT"),),
        says=("A-01's lead XY ", SHEET_LEADS),
    ),
    "missing-timescale": Case(
        bad=(item(timescale=""),),
        expected=[["missing-timescale", "error", "A-01", cell("timescale")]],
        good=(item(timescale="First audit December 2024"),),
        says=("A-01 has no time-scale",),
    ),
    "unreadable-timescale": Case(
        bad=(item(timescale="soon"),),
        expected=[["unreadable-timescale", "error", "A-01", cell("timescale")]],
        good=(item(timescale=dt.datetime(2024, 12, 31)),),
        says=("A-01's time-scale 'soon'",),
    ),
    "unknown-status": Case(
        bad=(item(status="Purple"),),
        expected=[["unknown-status", "error", "A-01", cell("status")]],
        good=(item(status="g"),),  # the key's shorthand for GREEN
        says=("A-01's status 'Purple'",),
    ),
    "no-recent-update": Case(
        bad=(item(status="RED", updates="Update mid-April 24: Recruiting."),),
        expected=[["no-recent-update", "warning", "A-01", cell("updates")]],
        good=(item(status="RED", updates="Update mid-May 24: Recruiting."),),
        says=("A-01 is RED", "since 01-May-24", "ask GT / LH"),
        settings={SETTING_CYCLE_START: dt.datetime(2024, 5, 1)},
    ),
    "no-completion-update": Case(
        bad=(item(status="Blue", updates="Update mid-May 24: Recruiting."),),
        expected=[["no-completion-update", "warning", "A-01", cell("updates")]],
        good=(item(status="Blue", updates="Update mid-May 24: Now business as usual."),),
        says=("A-01 is BLUE (complete)",),
    ),
    "overdue": Case(
        bad=(item(timescale="Mar-24", status="amber "),),
        expected=[["overdue", "warning", "A-01", cell("timescale")]],
        good=(
            item(timescale="Jun-24", status="AMBER"),  # due 30-Jun-24: not yet
            item(ref="A-02", timescale="Mar-24", status="BLUE", updates=DONE),  # but complete
        ),
        says=("A-01 was due 31-Mar-24", "is AMBER", "as of 01-Jun-24"),
    ),
    "no-status": Case(
        bad=(item(status=None),),
        expected=[["no-status", "warning", "A-01", cell("status")]],
        good=(item(status="R"),),
        says=("A-01 has no status",),
    ),
}


@pytest.mark.parametrize("rule", ITEM_RULES, ids=lambda r: r.code)
def test_item_rule_fires_on_a_bad_item_only(rule: Rule) -> None:
    case = CASES[rule.code]
    report = validate(*case.bad, settings=case.settings)
    assert report.flatten(["code", "severity", "ref", "cell"]) == case.expected
    for finding in report.findings:
        assert all(words in finding.message for words in case.says), finding.message
        assert "\n" not in finding.message
    assert validate(*case.good, settings=case.settings).findings == []


def test_no_items() -> None:
    report = validate()
    assert report.flatten(["code", "severity", "ref", "cell"]) == [
        ["no-items", "error", "", "'Action Plan'!A1"]
    ]
    assert "no items" in report.findings[0].message
    assert validate(item()).findings == []


def test_duplicate_lead_code() -> None:
    leads = [*REGISTER, ["GT", "Another G Taylor", ""]]
    report = validate(item(), leads=leads)
    assert report.flatten(["code", "severity", "ref", "cell"]) == [
        ["duplicate-lead-code", "error", "", "Leads!A4"]
    ]
    assert "lead code GT" in report.findings[0].message
    assert "Leads sheet twice" in report.findings[0].message
    assert validate(item(), leads=REGISTER).findings == []


#: A council's three-colour key, where Green is the complete status.
COUNCIL_KEY: Grid = [
    list(RAG_KEY_COLUMNS),
    ["GREEN", "Recommendation achieved", "00B050", "000000", "Complete; Achieved"],
    ["AMBER", "Acceptable progress", "FFC000", "000000", "On track"],
    ["RED", "Unacceptable progress", "FF0000", "FFFFFF", ""],
]


def test_statuses_are_read_by_the_plans_own_key() -> None:
    """In a key where Green means achieved, 'Achieved' is GREEN and complete, BLUE is not a
    status at all, and the messages name the key's own codes."""
    report = validate(
        item(ref="A-01", timescale="Mar-24", status="Achieved", updates=DONE),
        item(ref="A-02", status="BLUE"),
        item(ref="A-03", status="Achieved", updates="Update mid-May 24: Recruiting."),
        item(ref="A-04", status=None),
        key=COUNCIL_KEY,
    )
    assert report.flatten(["ref", "code"]) == [
        ["A-02", "unknown-status"],
        ["A-03", "no-completion-update"],
        ["A-04", "no-status"],
    ]  # past its date but complete by this key, so not overdue
    messages = [f.message for f in report.findings]
    assert "'BLUE' is not in the plan's RAG key; use GREEN, AMBER or RED" in messages[0]
    assert "A-03 is GREEN (complete)" in messages[1]
    assert "set GREEN, AMBER or RED" in messages[2]


def test_rag_key_problems() -> None:
    """What on the RAG key sheet cannot be used as written is reported, once each, and the rest
    of the key still reads the plan."""
    key = [
        *COUNCIL_KEY,
        ["green", "Again", "", "", ""],  # a code twice
        ["BLUE", "Complete and checked", "sky", "", "Done"],  # not a colour
        ["", "A status with no code", "", "", ""],
        ["GREY", "Not started", "", "", "Done"],  # Done on two statuses
    ]
    report = validate(item(status="done"), key=key)
    assert report.flatten(["code", "severity", "ref", "cell"]) == [
        ["unknown-status", "error", "A-01", cell("status")],  # 'done' could be BLUE or GREY
        *[["rag-key", "warning", "", f"'{SHEET_RAG_KEY}'!A1"]] * 4,
    ]
    messages = [f.message for f in report.findings[1:]]
    assert "GREEN is on the 'RAG key' sheet twice" in messages[0]
    assert "the fill of BLUE on row 6 of the 'RAG key' sheet is 'sky'" in messages[1]
    assert "row 7 of the 'RAG key' sheet has no code" in messages[2]
    assert "'DONE' is on the 'RAG key' sheet for BLUE and GREY" in messages[3]
    assert validate(item(status="Achieved", updates=DONE), key=COUNCIL_KEY).findings == []


#: ... and "document-lacks-column" in tests/test_import_layouts.py (a plan from a document
#: without an Action or Time-scale column)
TESTED_HERE = {*CASES, "no-items", "duplicate-lead-code", "rag-key", "document-lacks-column"}


@pytest.mark.parametrize("rule", [*ITEM_RULES, *PLAN_RULES], ids=lambda r: r.code)
def test_every_rule_is_declared_whole_and_exercised(rule: Rule | PlanRule) -> None:
    assert rule.code and rule.code == rule.code.strip().lower()
    assert rule.severity in {"error", "warning"}
    assert rule.message
    if isinstance(rule, Rule):
        assert rule.column in {c.key for c in PLAN_COLUMNS}
        assert callable(rule.check)
    else:
        assert rule.sheet in {SHEET_PLAN, SHEET_LEADS, SHEET_RAG_KEY}
    assert rule.code in TESTED_HERE


def test_codes_are_unique_and_every_case_is_a_rule() -> None:
    codes = [*(r.code for r in ITEM_RULES), *(r.code for r in PLAN_RULES)]
    assert len(codes) == len(set(codes))
    assert set(codes) == TESTED_HERE


def test_errors_come_first_then_sheet_order_then_rule_order() -> None:
    report = validate(
        item(ref="A-01", timescale="Mar-24", status=""),  # warnings only
        item(ref="A-02", finding="", actions="", status="Purple", timescale="Jan-24"),
        item(ref="A-03", lead="ZZ", status="RED", updates="Update mid-March 24: Started."),
    )
    assert report.flatten(["ref", "code", "cell"]) == [
        ["A-02", "empty-finding", cell("finding", 1)],
        ["A-02", "no-actions", cell("actions", 1)],
        ["A-02", "unknown-status", cell("status", 1)],
        ["A-03", "unknown-lead", cell("lead", 2)],
        ["A-01", "overdue", cell("timescale", 0)],
        ["A-01", "no-status", cell("status", 0)],
        ["A-02", "overdue", cell("timescale", 1)],  # an unknown status is not complete
        ["A-03", "no-recent-update", cell("updates", 2)],
    ]
    overdue = report.findings[4].message
    assert "is without a status, not complete" in overdue
    assert report.to_dict()["errors"] == 4 and report.to_dict()["warnings"] == 4
