"""The plan rules, each one object: its stable code, severity, the plan column its finding points
at, its message template and its check, declared together (as frictionless keeps an error's code,
title and message template in one class, and pandera names each check).

A rule is written once, as a predicate over one item's record (validation/records.py), True
where the item passes. Two evaluators run the same predicates and give the same report: the plain
one calls them on the records (validation/run.py: no pandas, for one-shot commands, whose time is
mostly imports), and the pandera schema (validation/schema.py) checks the items frame with each
rule's `check`, the predicate on each row of the frame (for the long-lived add-in, and
`actionplan validate --pandera`). A message is a format string over `ItemFacts`: the failing
item's ref, row, typed values, due date, as-of date and cycle start.

This module imports no pandas.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from validation.records import ItemRecord
from validation.report import ERROR, WARNING
from workbook.master.read import PlanRow
from workbook.master.sheets import SHEET_LEADS, SHEET_PLAN, SHEET_RAG_KEY
from workbook.plan.status import RagKey

#: A rule's predicate: True where the item passes.
Passes = Callable[[ItemRecord], bool]
#: A check: the items frame (a pandas DataFrame) -> a boolean Series, True where the item passes.
Check = Callable[[Any], Any]

#: Statuses that need an update every cycle, in a key that has them.
_UNHEARD = ("RED", "AMBER")


@dataclass(frozen=True)
class Rule:
    """One rule every item row must satisfy (error) or the owner should look at (warning)."""

    code: str  # stable: tools, tests and the --json output rely on it
    severity: str  # ERROR or WARNING
    column: str  # the PLAN_COLUMNS key of the cell the finding points at
    message: str  # format string over ItemFacts, e.g. "{ref} has no lead; ..."
    passes: Passes

    @property
    def check(self) -> Check:
        """The rule for the pandera schema: `passes` on each row of the items frame."""
        from validation.frame import rowwise

        return rowwise(self.passes)

    def render(self, facts: ItemFacts) -> str:
        """The finding's message for one failing item."""
        return self.message.format_map(facts)


@dataclass(frozen=True)
class PlanRule:
    """A rule of the plan as a whole, not of one item row: its finding names a sheet's cell."""

    code: str
    severity: str
    sheet: str  # the sheet its finding points at
    message: str  # format string over the keywords given to render, and {sheet}

    def render(self, **facts: object) -> str:
        return self.message.format(sheet=self.sheet, **facts)


@dataclass(frozen=True)
class ItemFacts:
    """What a message may quote about one failing item; `template.format_map(facts)` reads the
    properties below by name ("{ref}", "{timescale!r}", "{due}"). Statuses are read by the plan's
    own `key`."""

    row: PlanRow
    record: ItemRecord
    rows: Sequence[PlanRow]  # every row of the sheet, for refs used twice
    as_of_date: dt.date
    cycle_start_date: dt.date
    key: RagKey

    def __getitem__(self, name: str) -> object:
        return getattr(self, name)

    @property
    def ref(self) -> str:
        """The item's ref, or "row 12" when it has none."""
        return self.row.texts["ref"].strip() or f"row {self.row.excel_row}"

    @property
    def excel_row(self) -> int:
        return self.row.excel_row

    @property
    def timescale(self) -> str:
        """The time-scale as typed."""
        return self.row.texts["timescale"]

    @property
    def typed_status(self) -> str:
        """The status as typed."""
        return self.row.texts["status"]

    @property
    def status(self) -> str:
        """The RAG code the typed status means, else the status as typed."""
        return self.key.normalise(self.typed_status) or self.typed_status

    @property
    def codes(self) -> str:
        """The key's codes, as a person is told them: "GREEN, AMBER, RED or BLUE"."""
        return self.key.choices

    @property
    def state(self) -> str:
        return self.status or "without a status"

    @property
    def lead(self) -> str:
        return self.row.texts["lead"] or "its lead"

    @property
    def unknown_leads(self) -> object:
        return self.record.unknown_leads

    @property
    def ref_rows(self) -> str:
        """The Excel rows of every item with this item's ref: "20, 21"."""
        ref = self.row.texts["ref"].strip()
        items = (r for r in self.rows if not r.is_section)
        return ", ".join(str(r.excel_row) for r in items if r.texts["ref"].strip() == ref)

    @property
    def due(self) -> str:
        return day(self.record.due)

    @property
    def as_of(self) -> str:
        return day(self.as_of_date)

    @property
    def cycle_start(self) -> str:
        return day(self.cycle_start_date)


def day(value: object) -> str:
    """A date as messages give it: 31-Mar-24."""
    if hasattr(value, "strftime"):
        return value.strftime("%d-%b-%y")
    return str(value)


def _present(text: str) -> bool:
    return text.strip() != ""


# In finding order: within one item row, findings follow this list.
ITEM_RULES: tuple[Rule, ...] = (
    # errors: the plan is wrong and must be put right
    Rule(
        "missing-ref", ERROR, "ref",
        "row {excel_row} has no ref; give it a new unique ref (refs are never reused) so "
        "returns can be matched to it",
        lambda r: _present(r.ref),
    ),
    Rule(
        "duplicate-ref", ERROR, "ref",
        "ref {ref} is on rows {ref_rows}; give all but one of them a new ref",
        lambda r: not r.ref_shared,  # worked out over the whole sheet in the record
    ),
    Rule(
        "empty-finding", ERROR, "finding",
        "{ref} has no finding; type the finding it answers in the findings column",
        lambda r: _present(r.finding),
    ),
    Rule(
        "no-actions", ERROR, "actions",
        "{ref} has no actions; list at least one numbered action (1. ...)",
        lambda r: r.n_actions >= 1,
    ),
    Rule(
        "missing-lead", ERROR, "lead",
        "{ref} has no lead; put the lead's initials (e.g. GT) in the Lead column",
        lambda r: _present(r.lead),
    ),
    Rule(
        "unknown-lead", ERROR, "lead",
        f"{{ref}}'s lead {{unknown_leads}} is not on the {SHEET_LEADS} sheet; add a row there "
        "(code, name, email) or correct the initials",
        lambda r: r.unknown_leads == "",
    ),
    Rule(
        "missing-timescale", ERROR, "timescale",
        "{ref} has no time-scale; agree one and write it as month and year, e.g. Mar-24",
        lambda r: _present(r.timescale),
    ),
    Rule(
        "unreadable-timescale", ERROR, "timescale",
        "{ref}'s time-scale {timescale!r} names no month and year; write it like Mar-24 or "
        "'First audit April 2023'",
        lambda r: not _present(r.timescale) or r.due is not None,
    ),
    Rule(
        "unknown-status", ERROR, "status",
        "{ref}'s status {typed_status!r} is not in the plan's RAG key; use {codes} (or add it "
        "to a status's words on the RAG key sheet)",
        lambda r: r.status_code is not None,
    ),
    # warnings: worth the owner's look before the board sees it
    Rule(
        "no-recent-update", WARNING, "updates",
        "{ref} is {status} with no update since {cycle_start}; ask {lead} for an update this "
        "cycle",
        lambda r: r.status_code not in _UNHEARD
        or (r.latest_update is not None and r.latest_update >= r.cycle_start),
    ),
    Rule(
        "no-completion-update", WARNING, "updates",
        "{ref} is {status} (complete) but its newest update does not record the completion; add "
        "an update saying what was delivered",
        lambda r: not r.status_complete or r.completion_recorded,
    ),
    Rule(
        "overdue", WARNING, "timescale",
        "{ref} was due {due} and is {state}, not complete (as of {as_of}); record completion "
        "or agree a revised time-scale",
        lambda r: not r.overdue,  # workbook.plan.overdue.is_overdue, worked out in the record
    ),
    Rule(
        "no-status", WARNING, "status",
        "{ref} has no status yet; set {codes}",
        lambda r: r.status_code != "",  # None (unknown): already an error
    ),
)  # fmt: skip

RULE_BY_CODE: dict[str, Rule] = {r.code: r for r in ITEM_RULES}

NO_ITEMS = PlanRule(
    "no-items", ERROR, SHEET_PLAN,
    "the plan has no items under its header row; import the plan document (actionplan import) "
    "or add item rows",
)  # fmt: skip
DUPLICATE_LEAD_CODE = PlanRule(
    "duplicate-lead-code", ERROR, SHEET_LEADS,
    "lead code {code} is on the {sheet} sheet twice; keep one row per lead",
)  # fmt: skip
RAG_KEY_PROBLEM = PlanRule(
    "rag-key", WARNING, SHEET_RAG_KEY,
    "{problem}",
)  # fmt: skip
DOCUMENT_LACKS_COLUMN = PlanRule(
    "document-lacks-column", WARNING, SHEET_PLAN,
    "the plan's document has no {column} column, so no item has one yet; fill in the {column} "
    "column as they are agreed (each item is checked once any item has one)",
)  # fmt: skip
#: Item rules about a column the plan's document may not have: while no item has that column
#: filled, the plan gets one DOCUMENT_LACKS_COLUMN warning instead of an error on every item.
RULES_OF_DOCUMENT_COLUMN: dict[str, tuple[str, str]] = {
    "actions": ("no-actions", "Action"),
    "timescale": ("missing-timescale", "Time-scale"),
}
PLAN_RULES: tuple[PlanRule, ...] = (
    NO_ITEMS,
    DUPLICATE_LEAD_CODE,
    RAG_KEY_PROBLEM,
    DOCUMENT_LACKS_COLUMN,
)
