"""The plan model: a plan, its sections and items, each item's finding, actions, lead, time-scale,
dated updates and status, the leads register and the plan's own RAG key (`workbook.plan.status`
says what a key is and how a typed status is read by it); how lead and time-scale text is read is
in `leads` and `timescales`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cached_property

from workbook.plan.leads import Lead, LeadRegister, build_register, lead_codes
from workbook.plan.status import DEFAULT_KEY, RagKey
from workbook.plan.timescales import due_date

#: The role of a document's column of its own in `Plan.column_order` (Success criteria, Origin, ...:
#: the columns the cycle does not use, their titles in `Plan.extra_titles` in order).
OTHER_ROLE = "other"


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
    #: the document's own other columns' text: (its index in `Plan.extra_titles`, text)
    extra: tuple[tuple[int, str], ...] = ()
    #: the plan's year, to read a time-scale that names none ("Summer term"): the plan's own
    #: context, not the item's content, so it does not take part in comparing items
    year: int | None = field(default=None, compare=False)

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
        return lead_codes(self.lead)

    @cached_property
    def due(self) -> dt.date | None:
        return due_date(self.timescale, year=self.year)


@dataclass(frozen=True)
class Plan:
    """A whole action plan: title block, RAG key, sections in order, items, leads."""

    title: str
    organisation: str = ""
    date_label: str = ""  # as the document gives it, e.g. "March 2023"
    sections: tuple[str, ...] = ()
    items: tuple[Item, ...] = ()
    leads: tuple[Lead, ...] = ()
    plan_id: str = ""
    source: str = ""  # where the plan came from (file name)
    notes: tuple[str, ...] = ()  # what the importer had to decide, for the owner to read
    #: the plan's own RAG key: what each status means, its colours and the words read as it
    rag_key: RagKey = DEFAULT_KEY
    #: (role, the document's title of that column) for each role the document has a column for
    column_titles: tuple[tuple[str, str], ...] = ()
    #: the titles of the document's own other columns (Success criteria, Origin, ...), in order
    extra_titles: tuple[str, ...] = ()
    #: the document's columns in its order, each a role of `column_titles` or OTHER_ROLE for the
    #: next of `extra_titles`; empty: the plan's columns in their usual order
    column_order: tuple[str, ...] = ()

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

    @cached_property
    def register(self) -> LeadRegister:
        """The leads register with every lead the items name: `leads` (the Leads sheet) first, its
        codes, names and emails kept, then any lead it lacks, coded so no two leads share a code."""
        return build_register((it.lead for it in self.items), self.leads)

    def codes_of(self, item: Item) -> tuple[str, ...]:
        """The codes of the item's leads by this plan's register: unlike `Item.lead_codes`, which
        reads the item's text alone, two people with the same initials in different items get
        different codes, and a name on the Leads sheet gets the code the owner gave it."""
        known = self._codes_by_lead_text
        codes = known.get(item.lead)
        if codes is None:  # read once per lead text: issuing asks for every item once per lead
            codes = known[item.lead] = self.register.codes_for(item.lead)
        return codes

    @cached_property
    def _codes_by_lead_text(self) -> dict[str, tuple[str, ...]]:
        return {}


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


def plan_year(date_label: str) -> int | None:
    """The year of a plan's date ("March 2023" -> 2023), for time-scales that name none."""
    found = due_date(date_label)
    return found.year if found else None
