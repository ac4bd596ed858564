"""The two evaluators of the plan rules judge alike: the plain one (each rule's predicate on each
item's record, no pandas) and the pandera schema (the same predicates over the items frame) give
the same report, finding for finding and in the same order, on generated masters with faults put
in as an owner could type them."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import plans

from validation.records import item_records
from validation.rules import ITEM_RULES
from validation.run import validate_master, validate_sheets
from workbook.master.read import plan_rows, read_sheets, updates_log
from workbook.master.settings import SETTING_CYCLE_START, document_columns
from workbook.master.sheets import SHEET_LEADS, SHEET_PLAN, SHEET_SETTINGS, SHEET_UPDATES
from workbook.master.write import write_master
from workbook.plan.model import Plan
from workbook.plan.status import DEFAULT_KEY
from workbook.xlsx.cells import Grid

#: What an owner may do to one item's cells: (column key, value typed), by the fault's name.
FAULTS: dict[str, tuple[str, object]] = {
    "missing-ref": ("ref", None),
    "blank-ref": ("ref", "  "),
    "empty-finding": ("finding", ""),
    "no-actions": ("actions", None),
    "missing-lead": ("lead", ""),
    "unknown-lead": ("lead", "XY / QZ"),
    "missing-timescale": ("timescale", None),
    "unreadable-timescale": ("timescale", "soon"),
    "past-timescale": ("timescale", "Jan-22"),
    "timescale-as-date": ("timescale", dt.datetime(2023, 5, 31)),
    "unknown-status": ("status", "Purple"),
    "blank-status": ("status", None),
    "red": ("status", "red"),
    "amber": ("status", " Amber"),
    "blue": ("status", "Blue"),
    "complete-words": ("status", "Complete"),
    "old-update": ("updates", "Update mid-April 22: Recruiting."),
    "recent-update": ("updates", "Update mid-July 23: Work delivered."),
    "no-update": ("updates", None),
}
#: Faults between items: a ref given to another item.
DUPLICATE = "duplicate-ref"


def _put(grid: list[list[object]], row: int, column: int, value: object) -> None:
    """Type `value` in the 0-based cell of a grid (rows as lists, short rows padded)."""
    cells = list(grid[row])
    cells += [None] * (column + 1 - len(cells))
    cells[column] = value
    grid[row] = cells


def _with_faults(sheets: dict[str, Grid], faults: list[tuple[str, int, int]]) -> dict[str, Grid]:
    """The sheets with each (fault, item, other item) typed into the Action Plan sheet."""
    grid: list[list[object]] = [list(r) for r in sheets[SHEET_PLAN]]
    items = [r for r in plan_rows(grid, document_columns(sheets)) if not r.is_section]
    for fault, n, other in faults:
        row = items[n % len(items)]
        if fault == DUPLICATE:
            value: object = items[other % len(items)].texts["ref"] + " " * (n % 2)
            _put(grid, row.excel_row - 1, row.columns["ref"], value)
            continue
        column, value = FAULTS[fault]
        _put(grid, row.excel_row - 1, row.columns[column], value)
    return {**sheets, SHEET_PLAN: grid}


def _both(sheets: dict[str, Grid], as_of: dt.date) -> None:
    plain = validate_sheets(sheets, as_of=as_of, master="m.xlsx")
    schema = validate_sheets(sheets, as_of=as_of, master="m.xlsx", engine="pandera")
    assert plain == schema


def _master_sheets(plan: Plan) -> dict[str, Grid]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "m.xlsx"
        write_master(plan, path)
        return dict(read_sheets(path, rich=False))


@settings(max_examples=25, suppress_health_check=[HealthCheck.too_slow])
@given(
    plan=plans(max_items=8),
    faults=st.lists(
        st.tuples(st.sampled_from([*FAULTS, DUPLICATE]), st.integers(0, 20), st.integers(0, 20)),
        max_size=12,
    ),
    as_of=st.dates(dt.date(2022, 1, 1), dt.date(2025, 12, 31)),
    cycle_start=st.none() | st.dates(dt.date(2022, 1, 1), dt.date(2025, 12, 31)),
    twice=st.booleans(),
)
def test_both_engines_give_the_same_report(
    plan: Plan,
    faults: list[tuple[str, int, int]],
    as_of: dt.date,
    cycle_start: dt.date | None,
    twice: bool,
) -> None:
    sheets = _with_faults(_master_sheets(plan), faults)
    if cycle_start is not None:
        settings_grid = [list(r) for r in sheets[SHEET_SETTINGS]]
        settings_grid.append([SETTING_CYCLE_START, dt.datetime.combine(cycle_start, dt.time())])
        sheets[SHEET_SETTINGS] = settings_grid
    if twice:  # a lead code on the Leads sheet twice
        leads = [list(r) for r in sheets[SHEET_LEADS]]
        if len(leads) > 1:
            sheets[SHEET_LEADS] = [*leads, list(leads[1])]
    _both(sheets, as_of)


def test_the_faults_make_every_item_rule_fire(seed: Plan) -> None:
    """The faults above are enough to make each item rule fail, so the property compares the
    engines on every rule: each fault on an item of its own of a plan of many items."""
    assert len(seed.items) > len(FAULTS) + 4
    sheets = _master_sheets(seed)
    faults = [(name, n, 0) for n, name in enumerate(FAULTS)]
    faults += [(DUPLICATE, len(FAULTS), len(FAULTS) + 1)]
    faults += [("red", len(FAULTS) + 2, 0), ("old-update", len(FAULTS) + 2, 0)]
    faults += [("blue", len(FAULTS) + 3, 0), ("old-update", len(FAULTS) + 3, 0)]
    faults += [("past-timescale", len(FAULTS) + 4, 0), ("amber", len(FAULTS) + 4, 0)]
    faulty = _with_faults(sheets, faults)
    as_of = dt.date(2023, 8, 1)
    report = validate_sheets(faulty, as_of=as_of)
    assert {r.code for r in ITEM_RULES} <= {f.code for f in report.findings}
    _both(faulty, as_of)


def test_the_schema_checks_the_rules_own_predicates(seed: Plan, tmp_path: Path) -> None:
    """Each rule's pandera check is its predicate on each row of the frame: over the items frame
    of a real master it gives, row for row, what the predicate gives on the records."""
    from validation.frame import frame_records, items_frame

    path = tmp_path / "m.xlsx"
    write_master(seed, path)
    sheets = read_sheets(path, rich=False)
    records = item_records(
        plan_rows(sheets[SHEET_PLAN], document_columns(sheets)),
        set(),
        updates_log(sheets.get(SHEET_UPDATES) or ()),
        as_of=dt.date(2023, 8, 1),
        cycle_start=dt.date(2023, 7, 1),
        key=DEFAULT_KEY,
    )
    frame = items_frame(records)
    assert list(frame_records(frame)) == records  # the frame holds the records, no more or less
    for rule in ITEM_RULES:
        verdicts = rule.check(frame)
        assert list(verdicts.index) == [r.excel_row for r in records]
        assert list(verdicts) == [rule.passes(r) for r in records], rule.code


def test_an_unknown_engine_is_refused(seed: Plan, tmp_path: Path) -> None:
    path = tmp_path / "m.xlsx"
    write_master(seed, path)
    with pytest.raises(ValueError, match="no validation engine 'numpy'"):
        validate_master(path, engine="numpy")  # type: ignore[arg-type]
