"""Run the plan rules over a master's sheets and report every finding at once (lazy validation)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path

from validation.codes import CODES, PLAN_CODES
from validation.report import ERROR, Finding, Report
from workbook import clock
from workbook.master.read import PlanRow, plan_rows, read_sheets, updates_log
from workbook.master.settings import settings_as_of, settings_from_sheets
from workbook.master.sheets import LEADS_COLUMNS, SHEET_LEADS, SHEET_PLAN, SHEET_UPDATES
from workbook.plan.status import normalise_status
from workbook.plan.timescales import due_date
from workbook.xlsx.cells import Grid
from workbook.xlsx.read import records, sheet

#: How far back "this cycle" reaches when the Settings sheet gives no "Cycle start".
DEFAULT_CYCLE_DAYS = 30
SETTING_CYCLE_START = "Cycle start"


def validate_master(path: Path, *, as_of: dt.date | None = None) -> Report:
    """Validate the master at `path` (read with python-calamine: values only, fast)."""
    return validate_sheets(read_sheets(Path(path), rich=False), as_of=as_of, master=str(path))


def as_of_date(sheets: Mapping[str, Grid], given: dt.date | None = None) -> dt.date:
    """The date the plan is judged at: as given, else the Settings sheet's, else today."""
    if given:
        return given
    return settings_as_of(sheets) or clock.today()


def validate_sheets(
    sheets: Mapping[str, Grid], *, as_of: dt.date | None = None, master: str = ""
) -> Report:
    """Every finding in a master given as grids of cell values (see workbook.master_read)."""
    import pandera.pandas as pa
    from openpyxl.utils.cell import get_column_letter

    from validation.frame import items_frame
    from validation.schema import ItemRules, ItemWarnings

    as_of = as_of_date(sheets, as_of)
    settings = settings_from_sheets(sheets)
    cycle_start = due_date(settings.get(SETTING_CYCLE_START)) or (
        as_of - dt.timedelta(days=DEFAULT_CYCLE_DAYS)
    )
    rows = plan_rows(sheet(sheets, SHEET_PLAN) or ())
    by_row = {r.excel_row: r for r in rows if not r.is_section}
    register, findings = _lead_register(sheet(sheets, SHEET_LEADS) or ())
    log = updates_log(sheet(sheets, SHEET_UPDATES) or ())
    frame = items_frame(rows, register, log, as_of=as_of, cycle_start=cycle_start)
    if frame.empty:
        findings.append(
            Finding("no-items", PLAN_CODES["no-items"], "", f"{_quoted(SHEET_PLAN)}!A1",
                    "the plan has no items under its header row; import the plan document "
                    "(actionplan import) or add item rows")
        )  # fmt: skip
    failed: set[tuple[str, int]] = set()
    for model in (ItemRules, ItemWarnings):
        try:
            model.validate(frame, lazy=True)
        except pa.errors.SchemaErrors as e:
            cases = e.failure_cases
            for check, index in zip(cases["check"], cases["index"], strict=True):
                if check in CODES and index is not None:
                    failed.add((str(check), int(index)))
    order = list(CODES)
    for code, excel_row in sorted(failed, key=lambda f: (f[1], order.index(f[0]))):
        row = by_row[excel_row]
        severity, key = CODES[code]
        cell = f"{get_column_letter(row.columns[key] + 1)}{excel_row}"
        message = _message(code, row, frame.loc[excel_row], rows, as_of, cycle_start)
        findings.append(Finding(code, severity, row.texts["ref"].strip(), cell, message))
    findings.sort(key=lambda f: f.severity != ERROR)  # stable: errors first, each in sheet order
    return Report(master=master, as_of=as_of, findings=findings)


def _lead_register(grid: Grid) -> tuple[set[str], list[Finding]]:
    codes: set[str] = set()
    findings: list[Finding] = []
    for n, rec in enumerate(records(grid, LEADS_COLUMNS), start=2):
        code = str(rec["code"] or "").strip()
        if not code:
            continue
        if code in codes:
            findings.append(
                Finding("duplicate-lead-code", PLAN_CODES["duplicate-lead-code"], "",
                        f"{SHEET_LEADS}!A{n}",
                        f"lead code {code} is on the {SHEET_LEADS} sheet twice; keep one row "
                        "per lead")
            )  # fmt: skip
        codes.add(code)
    return codes, findings


def _message(
    code: str,
    row: PlanRow,
    values: Mapping[str, object],
    rows: Sequence[PlanRow],
    as_of: dt.date,
    cycle_start: dt.date,
) -> str:
    t = row.texts
    ref = t["ref"].strip() or f"row {row.excel_row}"
    status = normalise_status(t["status"]) or t["status"]
    due = values["due"]
    if code == "missing-ref":
        return (f"row {row.excel_row} has no ref; give it a new unique ref (refs are never "
                "reused) so returns can be matched to it")  # fmt: skip
    if code == "duplicate-ref":
        others = [r.excel_row for r in rows if not r.is_section and r.texts["ref"].strip() == ref]
        where = ", ".join(str(n) for n in others)
        return f"ref {ref} is on rows {where}; give all but one of them a new ref"
    if code == "empty-finding":
        return f"{ref} has no finding; type the finding it answers in the findings column"
    if code == "no-actions":
        return f"{ref} has no actions; list at least one numbered action (1. ...)"
    if code == "missing-lead":
        return f"{ref} has no lead; put the lead's initials (e.g. GT) in the Lead column"
    if code == "unknown-lead":
        return (f"{ref}'s lead {values['unknown_leads']} is not on the {SHEET_LEADS} sheet; "
                "add a row there (code, name, email) or correct the initials")  # fmt: skip
    if code == "missing-timescale":
        return f"{ref} has no time-scale; agree one and write it as month and year, e.g. Mar-24"
    if code == "unreadable-timescale":
        return (f"{ref}'s time-scale {t['timescale']!r} names no month and year; "
                "write it like Mar-24 or 'First audit April 2023'")  # fmt: skip
    if code == "unknown-status":
        return (f"{ref}'s status {t['status']!r} is not in the RAG key; "
                "use GREEN, AMBER, RED or BLUE")  # fmt: skip
    if code == "no-status":
        return f"{ref} has no status yet; set GREEN, AMBER, RED or BLUE"
    if code == "overdue":
        state = status or "without a status"
        return (f"{ref} was due {_day(due)} and is {state}, not complete (as of {_day(as_of)}); "
                "record completion or agree a revised time-scale")  # fmt: skip
    if code == "no-recent-update":
        return (f"{ref} is {status} with no update since {_day(cycle_start)}; ask "
                f"{t['lead'] or 'its lead'} for an update this cycle")  # fmt: skip
    if code == "no-completion-update":
        return (f"{ref} is BLUE (complete) but its newest update does not record the "
                "completion; add an update saying what was delivered")  # fmt: skip
    raise ValueError(code)


def _day(value: object) -> str:
    if hasattr(value, "strftime"):
        return value.strftime("%d-%b-%y")  # type: ignore[union-attr]
    return str(value)


def _quoted(sheet_name: str) -> str:
    return f"'{sheet_name}'" if " " in sheet_name else sheet_name
