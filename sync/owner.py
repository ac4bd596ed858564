"""Who the copies come from and when they are due back: the owner's name and email and the
return-by date, kept on the master's Settings sheet ("Owner", "Owner email", "Returns due").

`issue --owner --owner-email --due` sets them (through the one write path, with the issue's own
edit); the owner may also type them on Settings - "Returns due" as a date cell, or as text in
ISO (2023-08-01) or UK (1/8/2023) form. Each copy's instructions, each email and `status` read
them from here.

`owner_from_settings`, `owner_for_issue` and `owner_edits` are pure; `record_owner` puts the
edits through an `Editor`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass

from workbook.errors import ActionPlanError, MasterError
from workbook.master.editor import Editor
from workbook.master.settings import (
    SETTING_OWNER,
    SETTING_OWNER_EMAIL,
    SETTING_RETURNS_DUE,
    SETTINGS_COLUMNS,
    typed_date,
)
from workbook.master.sheets import SHEET_SETTINGS
from workbook.wording import long_date
from workbook.xlsx.cells import Grid, at, cell_text
from workbook.xlsx.read import sheet, sheet_name

#: How a return-by date may be written, as the error for a bad one says.
DAY_HINT = "give it as YYYY-MM-DD or day/month/year, e.g. 2023-08-01 or 1/8/2023"
_UK_DAY = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_OWNER_ROWS = (SETTING_OWNER, SETTING_OWNER_EMAIL, SETTING_RETURNS_DUE)


@dataclass(frozen=True)
class Owner:
    """The plan owner as copies and emails name them, and the date returns are due."""

    name: str = ""
    email: str = ""
    due: dt.date | None = None

    def who(self) -> str:
        """ "Jo Bloggs (jo@example.org)", "Jo Bloggs", "jo@example.org", or "the plan owner"."""
        if self.name and self.email:
            return f"{self.name} ({self.email})"
        return self.name or self.email or "the plan owner"

    def return_by(self) -> str:
        """ "by 31 May 2023", or "" without a date."""
        return f"by {long_date(self.due)}" if self.due else ""


# --- Reading dates ---------------------------------------------------------------------------


def parse_day(text: str) -> dt.date | None:
    """A date written as 2023-08-01 or, as in the UK, 1/8/2023 (day first); None otherwise."""
    text = text.strip()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        pass
    found = _UK_DAY.fullmatch(text)
    if found is None:
        return None
    day, month, year = (int(g) for g in found.groups())
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def due_option(text: str) -> dt.date:
    """`--due` as given on the command line (`owner_for_issue` refuses one in the past)."""
    day = parse_day(text)
    if day is None:
        raise ActionPlanError(f"--due {text!r} is not a date; {DAY_HINT}")
    return day


def check_not_past(day: dt.date, today: dt.date, given_as: str) -> None:
    if day < today:
        raise ActionPlanError(
            f"{given_as} {long_date(day)} is in the past (today is {long_date(today)}); give the "
            "date the copies are to come back by, e.g. --due "
            f"{today + dt.timedelta(days=14):%Y-%m-%d}"
        )


# --- The Settings rows -----------------------------------------------------------------------


def _rows(sheets: Mapping[str, Grid]) -> list[tuple[int, str, object]]:
    """(Excel row, setting, value) of each Owner, Owner email and Returns due row."""
    wanted = {name.casefold(): name for name in _OWNER_ROWS}
    out = []
    for r, row in enumerate(sheet(sheets, SHEET_SETTINGS) or (), 1):
        name = wanted.get(cell_text(at(row, 0)).strip().casefold())
        if name is not None:
            out.append((r, name, at(row, 1)))
    return out


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def owner_from_settings(sheets: Mapping[str, Grid]) -> Owner:
    """The owner and return-by date the Settings sheet holds (the first row of each with a
    value). A "Returns due" that is not a date is refused in one line, as nothing could be
    judged by it."""
    values: dict[str, object] = {}
    for _, name, value in _rows(sheets):
        if not _blank(value):
            values.setdefault(name, value)
    due_value = values.get(SETTING_RETURNS_DUE)
    due = None
    if due_value is not None:
        due = parse_day(due_value) if isinstance(due_value, str) else None
        due = due or typed_date(due_value)
        if due is None:
            raise MasterError(
                f"the Settings sheet's '{SETTING_RETURNS_DUE}' is {due_value!r}, not a date; "
                f"type a date there ({DAY_HINT}) or give issue --due"
            )
    return Owner(
        name=" ".join(cell_text(values.get(SETTING_OWNER)).split()),
        email=cell_text(values.get(SETTING_OWNER_EMAIL)).strip(),
        due=due,
    )


def owner_for_issue(
    sheets: Mapping[str, Grid], given: Owner, today: dt.date, *, source: str = "the master"
) -> Owner:
    """The owner and return-by date an issue uses: what the command line gives, else what
    Settings holds. A return-by date in the past is refused in one line, wherever it came
    from (a Settings date left from the last cycle would tell leads to be late already)."""
    kept = owner_from_settings(sheets)
    owner = Owner(
        name=given.name or kept.name,
        email=given.email or kept.email,
        due=given.due or kept.due,
    )
    if given.due is not None:
        check_not_past(given.due, today, "--due")
    elif owner.due is not None:
        check_not_past(owner.due, today, f"{source}: Settings '{SETTING_RETURNS_DUE}'")
    return owner


@dataclass(frozen=True)
class OwnerEdits:
    """What writing the owner's settings changes on Settings."""

    sheet: str
    #: (Excel row, date) written in place into the Value column
    dates: tuple[tuple[int, dt.date | None], ...] = ()
    #: (setting, text) rows added under the sheet
    rows: tuple[tuple[str, str], ...] = ()
    #: a "Returns due" row added under them, when Settings has none
    due_row: dt.date | None = None


def owner_edits(sheets: Mapping[str, Grid], given: Owner) -> OwnerEdits:
    """The Settings edits that record what the command line gives (nothing for what it leaves
    out, nor for a value Settings holds already).

    The return-by date is written in place (a date cell) in the first "Returns due" row, or in a
    row added for it. A name or address is written as a row of its own under the sheet, and any
    earlier value of that setting is cleared, so the sheet holds one value for each."""
    name = sheet_name(list(sheets), SHEET_SETTINGS) or SHEET_SETTINGS
    rows = _rows(sheets)
    kept = owner_from_settings(sheets)
    dates: list[tuple[int, dt.date | None]] = []
    added: list[tuple[str, str]] = []
    due_row = None
    for setting, value, current in (
        (SETTING_OWNER, given.name, kept.name),
        (SETTING_OWNER_EMAIL, given.email, kept.email),
    ):
        if not value or value == current:
            continue
        dates.extend((r, None) for r, n, v in rows if n == setting and not _blank(v))
        added.append((setting, value))
    if given.due is not None and given.due != kept.due:
        due_rows = [r for r, n, _ in rows if n == SETTING_RETURNS_DUE]
        if due_rows:
            dates.append((due_rows[0], given.due))
            dates.extend((r, None) for r in due_rows[1:])
        else:
            due_row = given.due
    return OwnerEdits(name, tuple(dates), tuple(added), due_row)


def record_owner(editor: Editor, edits: OwnerEdits) -> None:
    """Write the owner's settings through `editor` (the master's one write path)."""
    editor.set_dates(edits.sheet, 1, edits.dates)
    if edits.rows:
        editor.append(SHEET_SETTINGS, SETTINGS_COLUMNS, edits.rows)
    if edits.due_row is not None:
        # a call of its own: a column of text and a date in one call would not show as a date
        editor.append(SHEET_SETTINGS, SETTINGS_COLUMNS, [(SETTING_RETURNS_DUE, edits.due_row)])
