"""The plan model: the one definition of columns, sections, the RAG key, its colours and items.

Everything else (importers, the master and board workbooks, validation, lead copies, the merge,
the add-in) takes its names and colours from here.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import cached_property

# --- RAG key ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RagStatus:
    """One entry of the RAG key: its code, what it means, and how it is coloured."""

    code: str
    meaning: str
    fill: str  # RGB hex, no '#'
    font: str  # RGB hex of the text drawn on that fill


RAG_KEY: tuple[RagStatus, ...] = (
    RagStatus("GREEN", "On Target for delivery", "00B050", "000000"),
    RagStatus("AMBER", "Delays / Issues but delivery on course", "FFC000", "000000"),
    RagStatus("RED", "Major Issues preventing delivery", "FF0000", "FFFFFF"),
    RagStatus("BLUE", "Complete", "0070C0", "FFFFFF"),
)
RAG_CODES: tuple[str, ...] = tuple(r.code for r in RAG_KEY)
RAG_BY_CODE: dict[str, RagStatus] = {r.code: r for r in RAG_KEY}
COMPLETE = "BLUE"

# What a person may type for a status, besides the code itself in any case or spacing: the
# single-letter shorthand (R, A, G, B) and the key's own meaning ("Complete", "On target for
# delivery"). Anything else is not a status; callers report it rather than guess.
_STATUS_ALIASES: dict[str, str] = {
    **{r.code: r.code for r in RAG_KEY},
    **{r.code[0]: r.code for r in RAG_KEY},
    **{" ".join(r.meaning.upper().split()): r.code for r in RAG_KEY},
}


def status_spellings(code: str) -> tuple[str, ...]:
    """Every upper-case spelling normalise_status reads as `code` (the spreadsheet's colour rules
    test the same ones, so a cell validation reads as GREEN is also drawn green)."""
    return tuple(typed for typed, meant in _STATUS_ALIASES.items() if meant == code)


def normalise_status(value: object) -> str | None:
    """The RAG code a typed status means ("green " -> GREEN, "b" -> BLUE, "Complete" -> BLUE),
    "" for a blank status, or None when the value is not a status at all."""
    text = " ".join(str(value if value is not None else "").split()).upper()
    if not text:
        return ""
    return _STATUS_ALIASES.get(text)


# --- Workbook vocabulary -----------------------------------------------------------------------

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

# --- Items -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    """A stretch of text with one look; findings keep their italic narrative as runs."""

    text: str
    italic: bool = False


@dataclass(frozen=True)
class UpdateEntry:
    """One dated update, e.g. label "Update mid-April 23" and the text after its colon."""

    label: str
    text: str
    date: dt.date | None = None
    lead: str = ""
    status: str = ""
    source: str = ""

    @property
    def display(self) -> str:
        """The entry as the document shows it: ``Update mid-April 23: text``."""
        return f"{self.label}: {self.text}" if self.label else self.text


@dataclass(frozen=True)
class Item:
    """One row of the plan: a finding, its numbered actions, lead, time-scale, updates, status."""

    ref: str
    section: str
    finding: tuple[Run, ...]
    actions: tuple[str, ...]
    lead: str = ""  # raw text as in the document, e.g. "LH / JoR / GT / LJ"
    timescale: str = ""  # raw text, e.g. "Mar-24", "First audit April 2023", ""
    updates: tuple[UpdateEntry, ...] = ()  # newest first, as the document shows them
    status: str = ""  # a RAG code or blank

    @property
    def finding_text(self) -> str:
        return runs_text(self.finding)

    @property
    def actions_text(self) -> str:
        return format_actions(self.actions)

    @property
    def updates_text(self) -> str:
        return format_updates(self.updates)

    @cached_property
    def lead_codes(self) -> tuple[str, ...]:
        from workbook.leads import lead_codes

        return lead_codes(self.lead)

    @cached_property
    def due(self) -> dt.date | None:
        from workbook.timescales import due_date

        return due_date(self.timescale)


@dataclass(frozen=True)
class Lead:
    """A lead in the register: initials code (or role code), name, email."""

    code: str
    name: str = ""
    email: str = ""


@dataclass(frozen=True)
class Plan:
    """A whole action plan: title block, RAG key meanings, sections in order, items, leads."""

    title: str
    organisation: str = ""
    date_label: str = ""  # as the document gives it, e.g. "March 2023"
    sections: tuple[str, ...] = ()
    items: tuple[Item, ...] = ()
    leads: tuple[Lead, ...] = ()
    plan_id: str = ""
    source: str = ""  # where the plan came from (file name)
    notes: tuple[str, ...] = ()  # what the importer had to decide, for the owner to read

    def item(self, ref: str) -> Item:
        for it in self.items:
            if it.ref == ref:
                return it
        raise KeyError(ref)

    def items_in(self, section: str) -> tuple[Item, ...]:
        return tuple(it for it in self.items if it.section == section)

    @property
    def lead_codes(self) -> tuple[str, ...]:
        return tuple(lead.code for lead in self.leads)


# --- Shared renderings -----------------------------------------------------------------------


def runs_text(runs: tuple[Run, ...]) -> str:
    return "".join(r.text for r in runs)


def format_actions(actions: tuple[str, ...]) -> str:
    """Numbered actions one per line, as the document numbers them."""
    return "\n".join(f"{n}. {a}" for n, a in enumerate(actions, 1))


UPDATE_SEPARATOR = "\n\n"


def format_updates(updates: tuple[UpdateEntry, ...]) -> str:
    return UPDATE_SEPARATOR.join(u.display for u in updates)


def normalise_runs(runs: list[Run] | tuple[Run, ...]) -> tuple[Run, ...]:
    """Merge neighbouring runs of the same look, drop empty ones: a canonical form for equality."""
    out: list[Run] = []
    for r in runs:
        if not r.text:
            continue
        if out and out[-1].italic == r.italic:
            out[-1] = Run(out[-1].text + r.text, r.italic)
        else:
            out.append(r)
    return tuple(out)


# --- Text a cell can hold ----------------------------------------------------------------------

#: Characters XML 1.0 (so .xlsx) cannot carry at all: control characters other than tab, line
#: feed and carriage return, lone surrogates, and two non-characters.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
#: Excel's limit on one cell, in UTF-16 units (an emoji counts twice).
CELL_LIMIT = 32_767


def cell_safe(text: str) -> str:
    """`text` without the characters a workbook cannot store (it would drop them anyway)."""
    return text if text.isprintable() else _XML_ILLEGAL.sub("", text)


def excel_length(text: str) -> int:
    """The length of `text` as Excel counts it against its cell limit (UTF-16 units)."""
    return len(text) if text.isascii() else len(text.encode("utf-16-le")) // 2
