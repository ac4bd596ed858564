"""The master workbook's sheets and their columns: the one definition of their names and titles,
which the writer, the readers, the merge, the add-in and the tests all use."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from operator import attrgetter
from typing import Any, ClassVar

from workbook.plan.model import OTHER_ROLE, Plan

SHEET_PLAN = "Action Plan"
SHEET_LEADS = "Leads"
SHEET_UPDATES = "Updates"
SHEET_CHANGES = "Changes"
SHEET_SETTINGS = "Settings"
#: The plan's own RAG key, which the owner edits (workbook.master.rag_key).
SHEET_RAG_KEY = "RAG key"


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
#: The plan column each role of a document's column is shown in (`Plan.column_titles` roles).
ROLE_KEYS = {
    "finding": "finding",
    "actions": "actions",
    "lead": "lead",
    "timescale": "timescale",
    "update": "updates",
    "status": "status",
}


def shown_titles(column_titles: Sequence[tuple[str, str]]) -> dict[str, str]:
    """Each plan column's title as the plan shows it: the document's own title for the roles
    it had a column for (its `Ref` and `Due` are ours), else ours."""
    titles = {c.key: c.title for c in PLAN_COLUMNS}
    for role, title in column_titles:
        if role in ROLE_KEYS and title.strip():
            titles[ROLE_KEYS[role]] = " ".join(title.split())
    return titles


#: The width of a column the document has and the cycle does not use (Success criteria, ...),
#: written after `Due` under the document's own title.
EXTRA_COLUMN_WIDTH = 30


def extra_column_title(index: int, title: str) -> str:
    """The title a document's own column is shown under: its own, or a name when it had none."""
    return title.strip() or f"Column {index + 1} (untitled)"


@dataclass(frozen=True)
class SheetColumn:
    """One column of a plan sheet as laid out for a plan: a plan column (`PLAN_COLUMNS` key), the
    derived `due`, or one of the document's own (`key` "other", `other` its index in
    `Plan.extra_titles`), with the title it shows and its width."""

    key: str
    title: str
    width: float
    other: int = -1


@dataclass(frozen=True)
class PlanLayout:
    """The columns of a plan sheet in their order: `Ref`, then the document's own columns in the
    document's order (the plan columns it has, under its titles, and its other columns), then the
    plan columns the cycle needs and the document lacks, then `Due`, then any other column the
    order does not place (a master written before the order was kept)."""

    columns: tuple[SheetColumn, ...]

    def index(self, key: str) -> int:
        """0-based column of a plan column or `due`."""
        return next(i for i, c in enumerate(self.columns) if c.key == key)

    @property
    def others(self) -> tuple[tuple[int, SheetColumn], ...]:
        """(0-based column, column) of each of the document's own other columns."""
        return tuple((i, c) for i, c in enumerate(self.columns) if c.key == OTHER_ROLE)

    @property
    def width(self) -> float:
        return sum(c.width for c in self.columns)


def plan_layout(
    column_titles: Sequence[tuple[str, str]],
    extra_titles: Sequence[str] = (),
    column_order: Sequence[str] = (),
    *,
    with_due: bool = True,
) -> PlanLayout:
    """Where each column of a plan sheet goes (see PlanLayout). `column_order` is the document's
    columns in its order, each a role of `column_titles` or OTHER_ROLE for the next of
    `extra_titles`; with none, the plan columns go in our order."""
    titles = shown_titles(column_titles)
    placed: list[SheetColumn] = [SheetColumn("ref", titles["ref"], COLUMN_BY_KEY["ref"].width)]
    keys = {"ref"}
    others = 0

    def other(k: int) -> SheetColumn:
        title = extra_titles[k] if k < len(extra_titles) else ""
        return SheetColumn(OTHER_ROLE, extra_column_title(k, title), EXTRA_COLUMN_WIDTH, k)

    for role in column_order:
        if role == OTHER_ROLE and others < len(extra_titles):
            placed.append(other(others))
            others += 1
        elif role in ROLE_KEYS and ROLE_KEYS[role] not in keys:
            key = ROLE_KEYS[role]
            placed.append(SheetColumn(key, titles[key], COLUMN_BY_KEY[key].width))
            keys.add(key)
    placed.extend(
        SheetColumn(c.key, titles[c.key], c.width) for c in PLAN_COLUMNS if c.key not in keys
    )
    if with_due:
        placed.append(SheetColumn(DUE_COLUMN.key, DUE_COLUMN.title, DUE_COLUMN.width))
    placed.extend(other(k) for k in range(others, len(extra_titles)))
    return PlanLayout(tuple(placed))


def layout_of(plan: Plan, *, with_due: bool = True) -> PlanLayout:
    """The plan sheet's columns for `plan`, in its document's order."""
    return plan_layout(plan.column_titles, plan.extra_titles, plan.column_order, with_due=with_due)


#: Titles of the document's own six columns, in order (the `Ref` column is ours).
DOCUMENT_COLUMN_TITLES: tuple[str, ...] = tuple(c.title for c in PLAN_COLUMNS[1:])

LEADS_COLUMNS: tuple[str, ...] = ("Code", "Name", "Email")


def title(text: str) -> Any:
    """A list-row field whose column on the sheet is titled `text`."""
    return field(metadata={"title": text})


@dataclass(frozen=True)
class ListRow:
    """A row of a list sheet (Updates, Changes, the ledger's sheets): its fields in the sheet's
    column order, each declaring its column title, so a row can never be written under the wrong
    title. Subclasses name the sheet and how it is laid out."""

    SHEET: ClassVar[str]
    STATE: ClassVar[str] = "visible"  # or "veryHidden"
    WIDTHS: ClassVar[tuple[float, ...] | None] = None
    WRAP: ClassVar[str | None] = None  # the title of the column whose text wraps

    @classmethod
    def columns(cls) -> tuple[str, ...]:
        return tuple(f.metadata["title"] for f in fields(cls))

    def values(self) -> tuple[object, ...]:
        getter = _GETTERS.get(type(self))
        if getter is None:  # one getter of all the fields per kind of row, made once
            names = [f.name for f in fields(self)]
            get = attrgetter(*names)
            getter = _GETTERS[type(self)] = get if len(names) > 1 else lambda row: (get(row),)
        return tuple(getter(self))


_GETTERS: dict[type, Any] = {}


#: Column widths of the list sheets, in their columns' order.
LEADS_WIDTHS = (10, 36, 40)
UPDATES_WIDTHS = (10, 11, 10, 10, 90, 30)
#: Changes prints one page wide at a readable scale: every column wraps, and its SHA-256 (a
#: fingerprint for the merge, 64 characters no one reads on paper) is hidden, see HIDDEN_COLUMNS.
CHANGES_WIDTHS = (16, 28, 20, 7, 9, 12, 24, 40, 9, 36)
SETTINGS_WIDTHS = (20, 70)
RAG_KEY_WIDTHS = (12, 48, 10, 10, 60)


@dataclass(frozen=True)
class LeadRow(ListRow):
    """One lead on the `Leads` sheet: the code copies and the merge use, a name, an email."""

    SHEET: ClassVar[str] = SHEET_LEADS
    WIDTHS: ClassVar[tuple[float, ...] | None] = LEADS_WIDTHS

    code: str = title("Code")
    name: str = title("Name")
    email: str = title("Email")


@dataclass(frozen=True)
class UpdateRow(ListRow):
    """One dated update on the `Updates` sheet."""

    SHEET: ClassVar[str] = SHEET_UPDATES
    WIDTHS: ClassVar[tuple[float, ...] | None] = UPDATES_WIDTHS
    WRAP: ClassVar[str | None] = "Update"

    ref: str = title("Ref")
    date: dt.date | None = title("Date")
    lead: str = title("Lead")
    status: str = title("Status")
    update: str = title("Update")
    source: str = title("Source")


@dataclass(frozen=True)
class ChangeRow(ListRow):
    """One line of the `Changes` audit log: what a merge did with one field of one return."""

    SHEET: ClassVar[str] = SHEET_CHANGES
    WIDTHS: ClassVar[tuple[float, ...] | None] = CHANGES_WIDTHS
    WRAP: ClassVar[str | None] = "Note"

    when: dt.datetime = title("When")
    file: str = title("Return file")
    sha256: str = title("SHA-256")
    lead: str = title("Lead")
    ref: str = title("Ref")
    field: str = title("Field")
    old: str = title("Old")
    new: str = title("New")
    outcome: str = title("Outcome")
    note: str = title("Note")


UPDATES_COLUMNS: tuple[str, ...] = UpdateRow.columns()
CHANGES_COLUMNS: tuple[str, ...] = ChangeRow.columns()

#: Columns of a list sheet kept for the program and hidden from view and print (the owner can
#: unhide them); they set no row's height.
HIDDEN_COLUMNS: dict[str, tuple[str, ...]] = {SHEET_CHANGES: ("SHA-256",)}


#: The sheets a Plan is read from; others (Changes, bookkeeping) are not needed for it.
PLAN_SHEETS: tuple[str, ...] = (
    SHEET_PLAN,
    SHEET_LEADS,
    SHEET_UPDATES,
    SHEET_SETTINGS,
    SHEET_RAG_KEY,
)

#: Workbook-level name of the `Action Plan` header row. Excel and LibreOffice move it when rows are
#: inserted above, so other tools can find the header without scanning; readers still scan.
HEADER_ROW_NAME = "ActionPlanHeader"

RAG_KEY_LABEL = "RAG status Key:"
