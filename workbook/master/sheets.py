"""The master workbook's sheets and their columns: the one definition of their names and titles,
which the writer, the readers, the merge, the add-in and the tests all use."""

from __future__ import annotations

from dataclasses import dataclass

from openpyxl.utils.cell import get_column_letter

SHEET_PLAN = "Action Plan"
SHEET_LEADS = "Leads"
SHEET_UPDATES = "Updates"
SHEET_CHANGES = "Changes"
SHEET_SETTINGS = "Settings"


@dataclass(frozen=True)
class Column:
    """A column of the `Action Plan` sheet: the item field it holds, its title and width."""

    key: str
    title: str
    width: float


FINDING_TITLE = (
    "Ofsted Findings / Additional improvements identified through the process of inspection"
)

PLAN_COLUMNS: tuple[Column, ...] = (
    Column("ref", "Ref", 9),
    Column("finding", FINDING_TITLE, 52),
    Column("actions", "Action", 74),
    Column("lead", "Lead", 13),
    Column("timescale", "Time-scale", 12),
    Column("updates", "Update", 56),
    Column("status", "Status", 10),
)
COLUMN_BY_KEY: dict[str, Column] = {c.key: c for c in PLAN_COLUMNS}
#: Written right after `Status` on plan sheets (master, board): the due date the time-scale names
#: (`Item.due`) as a real date cell, so spreadsheet rules can compare dates. Derived, so it is not
#: in PLAN_COLUMNS and readers ignore it.
DUE_COLUMN = Column("due", "Due", 11)
#: Titles of the document's own six columns, in order (the `Ref` column is ours).
DOCUMENT_COLUMN_TITLES: tuple[str, ...] = tuple(c.title for c in PLAN_COLUMNS[1:])

LEADS_COLUMNS: tuple[str, ...] = ("Code", "Name", "Email")
UPDATES_COLUMNS: tuple[str, ...] = ("Ref", "Date", "Lead", "Status", "Update", "Source")
CHANGES_COLUMNS: tuple[str, ...] = (
    "When",
    "Return file",
    "SHA-256",
    "Lead",
    "Ref",
    "Field",
    "Old",
    "New",
    "Outcome",
    "Note",
)

#: The sheets a Plan is read from; others (Changes, bookkeeping) are not needed for it.
PLAN_SHEETS: tuple[str, ...] = (SHEET_PLAN, SHEET_LEADS, SHEET_UPDATES, SHEET_SETTINGS)

#: Workbook-level name of the `Action Plan` header row. Excel and LibreOffice move it when rows are
#: inserted above, so other tools can find the header without scanning; readers still scan.
HEADER_ROW_NAME = "ActionPlanHeader"

RAG_KEY_LABEL = "RAG status Key:"

#: Every column of a plan sheet: the plan's own, then the derived Due date.
SHEET_COLUMNS = (*PLAN_COLUMNS, DUE_COLUMN)
LAST_COLUMN = get_column_letter(len(SHEET_COLUMNS))

#: Column widths of the list sheets, in their columns' order.
LEADS_WIDTHS = (10, 36, 40)
UPDATES_WIDTHS = (10, 11, 10, 10, 90, 30)
CHANGES_WIDTHS = (18, 30, 20, 8, 10, 14, 40, 40, 14, 50)
SETTINGS_WIDTHS = (20, 70)
