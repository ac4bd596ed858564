"""Run the plan rules over a master's sheets and report every finding at once (lazy validation).

Two evaluators run the same rules (validation/rules.py: one predicate over an item's record each)
and give the same report: "plain" calls the predicates on the records, loading neither pandas nor
pandera (0.35 s of imports a one-shot command would spend on a plan of a few dozen items);
"pandera" checks the items frame against the schema of validation/schema.py, the frame's
contract, where the imports are paid once (the long-lived add-in, `validate --pandera`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

from validation.records import ItemRecord, item_records
from validation.report import ERROR, Finding, Report
from validation.rules import (
    DOCUMENT_LACKS_COLUMN,
    DUPLICATE_LEAD_CODE,
    ITEM_RULES,
    NO_ITEMS,
    RAG_KEY_PROBLEM,
    RULE_BY_CODE,
    RULES_OF_DOCUMENT_COLUMN,
    ItemFacts,
)
from workbook import clock
from workbook.master.rag_key import read_rag_key
from workbook.master.read import plan_rows, read_sheets, updates_log, year_of_plan
from workbook.master.settings import (
    document_columns,
    settings_as_of,
    settings_from_sheets,
)
from workbook.master.sheets import LEADS_COLUMNS, SHEET_LEADS, SHEET_PLAN, SHEET_UPDATES
from workbook.plan.leads import Lead, build_register
from workbook.plan.timescales import due_date
from workbook.xlsx.cells import Grid, column_letter
from workbook.xlsx.read import records, sheet

#: How far back "this cycle" reaches when the Settings sheet gives no "Cycle start".
DEFAULT_CYCLE_DAYS = 30
SETTING_CYCLE_START = "Cycle start"

#: Which evaluator runs the item rules: the predicates on the records, or the pandera schema.
Engine = Literal["plain", "pandera"]
ENGINES: tuple[Engine, ...] = ("plain", "pandera")


def validate_master(
    path: Path, *, as_of: dt.date | None = None, engine: Engine = "plain"
) -> Report:
    """Validate the master at `path` (read with python-calamine: values only, fast)."""
    sheets = read_sheets(Path(path), rich=False)
    return validate_sheets(sheets, as_of=as_of, master=str(path), engine=engine)


def as_of_date(sheets: Mapping[str, Grid], given: dt.date | None = None) -> dt.date:
    """The date the plan is judged at: as given, else the Settings sheet's, else today."""
    if given:
        return given
    return settings_as_of(sheets) or clock.today()


def validate_sheets(
    sheets: Mapping[str, Grid],
    *,
    as_of: dt.date | None = None,
    master: str = "",
    engine: Engine = "plain",
) -> Report:
    """Every finding in a master given as grids of cell values (see workbook.master_read), its
    statuses read by the key on its `RAG key` sheet (the default key when it has none). Either
    `engine` gives the same report."""
    if engine not in ENGINES:
        raise ValueError(f"no validation engine {engine!r}; use one of {', '.join(ENGINES)}")
    as_of = as_of_date(sheets, as_of)
    settings = settings_from_sheets(sheets)
    cycle_start = due_date(settings.get(SETTING_CYCLE_START)) or (
        as_of - dt.timedelta(days=DEFAULT_CYCLE_DAYS)
    )
    rows = plan_rows(sheet(sheets, SHEET_PLAN) or (), document_columns(sheets))
    by_row = {r.excel_row: r for r in rows if not r.is_section}
    register, findings = _lead_register(sheet(sheets, SHEET_LEADS) or ())
    log = updates_log(sheet(sheets, SHEET_UPDATES) or ())
    reading = read_rag_key(sheets)
    key = reading.key
    for problem in reading.problems:
        on_key = RAG_KEY_PROBLEM
        cell = f"{_quoted(on_key.sheet)}!A1"
        message = on_key.render(problem=problem)
        findings.append(Finding(on_key.code, on_key.severity, "", cell, message))
    leads = build_register(
        (r.texts["lead"] for r in rows if not r.is_section),
        _leads_sheet(sheet(sheets, SHEET_LEADS) or ()),
    )
    year = year_of_plan(sheets)
    records = item_records(
        rows,
        register,
        log,
        as_of=as_of,
        cycle_start=cycle_start,
        key=key,
        leads=leads,
        year=year,
    )
    if not records:
        cell = f"{_quoted(NO_ITEMS.sheet)}!A1"
        findings.append(Finding(NO_ITEMS.code, NO_ITEMS.severity, "", cell, NO_ITEMS.render()))
    failed = _by_schema(records) if engine == "pandera" else _by_predicates(records)
    documented = {role for role, _ in document_columns(sheets)}
    for role, (code, title) in RULES_OF_DOCUMENT_COLUMN.items():
        # a plan imported from a document without the column, none of whose items has it yet
        lacking = documented and role not in documented
        if lacking and records and all((code, r.excel_row) in failed for r in records):
            failed = {f for f in failed if f[0] != code}
            lacks = DOCUMENT_LACKS_COLUMN
            cell = f"{_quoted(lacks.sheet)}!A1"
            message = lacks.render(column=title)
            findings.append(Finding(lacks.code, lacks.severity, "", cell, message))
    by_excel_row = {r.excel_row: r for r in records}
    order = {rule.code: n for n, rule in enumerate(ITEM_RULES)}  # within a row, in rule order
    for code, excel_row in sorted(failed, key=lambda f: (f[1], order[f[0]])):
        rule, row = RULE_BY_CODE[code], by_row[excel_row]
        cell = f"{column_letter(row.columns[rule.column] + 1)}{excel_row}"
        facts = ItemFacts(row, by_excel_row[excel_row], rows, as_of, cycle_start, key)
        findings.append(
            Finding(code, rule.severity, row.texts["ref"].strip(), cell, rule.render(facts))
        )
    findings.sort(key=lambda f: f.severity != ERROR)  # stable: errors first, each in sheet order
    return Report(master=master, as_of=as_of, findings=findings)


def _by_predicates(records: list[ItemRecord]) -> set[tuple[str, int]]:
    """(rule code, Excel row) of every item rule an item fails: each rule's predicate called on
    each record."""
    return {(rule.code, r.excel_row) for r in records for rule in ITEM_RULES if not rule.passes(r)}


def _by_schema(records: list[ItemRecord]) -> set[tuple[str, int]]:
    """The same failures, found by validating the items frame against the pandera schema
    lazily (every failure case collected); its check names are the rules' codes."""
    import pandera.pandas as pa

    from validation.frame import items_frame
    from validation.schema import ITEMS

    failed: set[tuple[str, int]] = set()
    try:
        ITEMS.validate(items_frame(records), lazy=True)
    except pa.errors.SchemaErrors as e:
        cases = e.failure_cases
        for check, index in zip(cases["check"], cases["index"], strict=True):
            if check in RULE_BY_CODE and index is not None:
                failed.add((str(check), int(index)))
    return failed


def _lead_register(grid: Grid) -> tuple[set[str], list[Finding]]:
    codes: set[str] = set()
    findings: list[Finding] = []
    for n, rec in enumerate(records(grid, LEADS_COLUMNS), start=2):
        code = str(rec["code"] or "").strip()
        if not code:
            continue
        if code in codes:
            rule = DUPLICATE_LEAD_CODE
            cell = f"{_quoted(rule.sheet)}!A{n}"
            message = rule.render(code=code)
            findings.append(Finding(rule.code, rule.severity, "", cell, message))
        codes.add(code)
    return codes, findings


def _leads_sheet(grid: Grid) -> list[Lead]:
    """The Leads sheet's leads (first of a code kept), for the plan's register."""
    out: dict[str, Lead] = {}
    for rec in records(grid, LEADS_COLUMNS):
        code = str(rec["code"] or "").strip()
        if code and code.casefold() not in out:
            name, email = (str(rec[k] or "").strip() for k in ("name", "email"))
            out[code.casefold()] = Lead(code, name, email)
    return list(out.values())


def _quoted(sheet_name: str) -> str:
    return f"'{sheet_name}'" if " " in sheet_name else sheet_name
