"""The master's `Settings` sheet: the names of its settings and how they are read.

The plan's own fields (id, title, ...) are kept here so that they survive an owner retyping the
title block; the rest are the owner's choices (folders, the as-of date, the cycle's start).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from workbook import clock
from workbook.errors import MasterError
from workbook.master.sheets import SHEET_SETTINGS
from workbook.plan.model import OTHER_ROLE, Plan
from workbook.plan.timescales import due_date
from workbook.xlsx.cells import Grid, at, cell_date, cell_text
from workbook.xlsx.read import sheet

# Settings rows, in the order they are written. The plan's own fields come back from these.
SETTING_PLAN_ID = "Plan id"
SETTING_TITLE = "Title"
SETTING_ORGANISATION = "Organisation"
SETTING_PLAN_DATE = "Plan date"
SETTING_SOURCE = "Source document"
SETTING_RETURNS_FOLDER = "Returns folder"
SETTING_AS_OF = "As-of date"
SETTING_CREATED = "Created"
SETTING_IMPORT_NOTE = "Import note"
#: One row per role the document had a column for: "finding = Recommendation" - the document's
#: own titles, kept as the importer found them (for `import --map` and the board of record).
SETTING_DOCUMENT_COLUMN = "Document column"
#: Where "this cycle" starts for the no-recent-update rule; blank: the last 30 days.
SETTING_CYCLE_START = "Cycle start"
#: Folders the add-in writes to, relative to the workbook's own folder or absolute.
SETTING_COPIES_FOLDER = "Copies folder"
SETTING_BOARD_FOLDER = "Board folder"
#: Who the copies come from and the date their returns are due: set by `issue --owner
#: --owner-email --due` or typed by the owner; shown in each copy, in the emails and by `status`.
SETTING_OWNER = "Owner"
SETTING_OWNER_EMAIL = "Owner email"
SETTING_RETURNS_DUE = "Returns due"
SETTINGS_COLUMNS: tuple[str, str] = ("Setting", "Value")
#: Settings that belong to the plan itself; callers cannot override them through `settings`.
PLAN_SETTINGS = (
    SETTING_PLAN_ID,
    SETTING_TITLE,
    SETTING_ORGANISATION,
    SETTING_PLAN_DATE,
    SETTING_SOURCE,
    SETTING_IMPORT_NOTE,
    SETTING_DOCUMENT_COLUMN,
)


def settings_rows(plan: Plan, settings: Mapping[str, object]) -> list[tuple[str, object]]:
    """The `Settings` sheet's (setting, value) rows for `plan` with the caller's `settings`."""
    defaults: dict[str, object] = {
        SETTING_PLAN_ID: plan.plan_id,
        SETTING_TITLE: plan.title,
        SETTING_ORGANISATION: plan.organisation,
        SETTING_PLAN_DATE: plan.date_label,
        SETTING_SOURCE: plan.source,
        SETTING_RETURNS_FOLDER: "",
        SETTING_AS_OF: None,
        SETTING_OWNER: "",
        SETTING_OWNER_EMAIL: "",
        SETTING_RETURNS_DUE: None,
        SETTING_CREATED: clock.now(),
    }
    for key, value in settings.items():
        defaults[key] = value  # overrides keep their place; new settings go after the defaults
    rows: list[tuple[str, object]] = list(defaults.items())
    rows.extend((SETTING_IMPORT_NOTE, note) for note in plan.notes)
    rows.extend(
        (SETTING_DOCUMENT_COLUMN, f"{role} = {title}") for role, title in document_order(plan)
    )
    return rows


def document_order(plan: Plan) -> list[tuple[str, str]]:
    """(role, title) of each of the document's columns, in the document's order when the plan
    keeps it (its own other columns as OTHER_ROLE): the `Document column` settings, from which
    `document_columns` reads them back."""
    titles = dict(plan.column_titles)
    others = iter(plan.extra_titles)
    out = [
        (role, next(others, "") if role == OTHER_ROLE else titles.get(role, ""))
        for role in plan.column_order
        if role == OTHER_ROLE or role in titles
    ]
    placed = {role for role, _ in out}
    out.extend((role, title) for role, title in plan.column_titles if role not in placed)
    return out


def settings_from_sheets(sheets: Mapping[str, Grid]) -> dict[str, object]:
    """The `Settings` sheet as setting -> value (first value wins; import notes are separate)."""
    out: dict[str, object] = {}
    for key, value in _settings_rows(sheets):
        if key not in (SETTING_IMPORT_NOTE, SETTING_DOCUMENT_COLUMN):
            out.setdefault(key, value)
    return out


def document_columns(sheets: Mapping[str, Grid]) -> tuple[tuple[str, str], ...]:
    """(role, the document's title) for each `Document column` setting, in order."""
    out = []
    for key, value in _settings_rows(sheets):
        role, sep, title = cell_text(value).partition(" = ")
        if key == SETTING_DOCUMENT_COLUMN and sep:
            out.append((role.strip(), title))
    return tuple(out)


def import_notes(sheets: Mapping[str, Grid]) -> list[object]:
    """The values of the `Import note` settings, in order."""
    return [value for key, value in _settings_rows(sheets) if key == SETTING_IMPORT_NOTE]


def _settings_rows(sheets: Mapping[str, Grid]) -> list[tuple[str, object]]:
    rows: list[tuple[str, object]] = []
    for r, row in enumerate(sheet(sheets, SHEET_SETTINGS) or ()):
        key = cell_text(at(row, 0)).strip()
        if not key or (r == 0 and key.casefold() == "setting"):
            continue
        rows.append((key, at(row, 1)))
    return rows


def typed_date(value: object) -> dt.date | None:
    """A date cell an owner keeps: a real date, a serial, or a date typed as text ("1 Aug 2023",
    "2023-08-01", "Aug-23" for its last day)."""
    if value is None or value == "":
        return None
    found = cell_date(value)
    if found is not None or not isinstance(value, str):
        return found
    return due_date(value)


def settings_as_of(sheets: Mapping[str, Grid]) -> dt.date | None:
    """The Settings sheet's "As-of date", or None when it is blank.

    Raises MasterError when it holds something that is not a date, rather than judge the plan at
    a date nobody chose.
    """
    value = settings_from_sheets(sheets).get(SETTING_AS_OF)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    found = typed_date(value)
    if found is None:
        raise MasterError(
            f"the Settings sheet's '{SETTING_AS_OF}' is {value!r}, not a date; "
            "type a date there (e.g. 2023-08-01) or give --as-of YYYY-MM-DD"
        )
    return found


def as_of_date(sheets: Mapping[str, Grid], given: dt.date | None = None) -> dt.date:
    """The date the plan is judged at: as given, else the Settings sheet's, else today."""
    if given:
        return given
    return settings_as_of(sheets) or clock.today()
