"""The board pack: what the board reads about the plan at an as-of date.

`board_summary` is the pure core: RAG counts per section and overall, % complete, overdue items
and the items whose status moved since the previous board pack - every status read, counted and
coloured by the plan's own RAG key (`Plan.rag_key`): a category per status of the key, and
complete means what that key says it means. `write_board` lays that out as a
print-ready workbook: a `Summary` sheet (tables and a stacked bar chart), then the `Action Plan`
sheet as the master shows it but with each item's latest update only. Nothing in the board
workbook is hidden: the board gets a file it can read, print and forward as it is.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from workbook.plan.model import Item, Plan, Run
from workbook.plan.overdue import overdue_items
from workbook.plan.status import RagKey

SHEET_SUMMARY = "Summary"

#: Category keys besides the RAG codes.
NO_STATUS = "NONE"
NOT_RECOGNISED = "UNRECOGNISED"
#: Shown as the earlier status of an item the previous board pack did not have.
NEW_ITEM_MARK = "—"

HEADLINE_LIMIT = 160
#: The latest update of a listed item is cut here: the Action Plan sheet has it whole.
UPDATE_LIMIT = 400


# --- Pure core --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Category:
    """A column of the RAG table and a series of the chart: a RAG status, none, or unknown."""

    key: str  # a RAG code, NO_STATUS or NOT_RECOGNISED
    label: str
    fill: str  # RGB hex
    font: str  # RGB hex of text on that fill


def categories(key: RagKey) -> tuple[Category, ...]:
    """The categories items are counted in: each status of `key` in its order ("Green", "Blue
    (complete)"), then no status and not recognised."""
    return (
        *(
            Category(
                r.code,
                f"{r.code.title()} (complete)" if r.code in key.complete else r.code.title(),
                r.fill,
                r.font,
            )
            for r in key
        ),
        Category(NO_STATUS, "No status", "BFBFBF", "000000"),
        Category(NOT_RECOGNISED, "Not recognised", "7F7F7F", "FFFFFF"),
    )


def status_category(status: str, key: RagKey) -> str:
    """The category a typed status counts in: its code in `key`, NO_STATUS or NOT_RECOGNISED."""
    code = key.normalise(status)
    if code is None:
        return NOT_RECOGNISED
    return code or NO_STATUS


@dataclass(frozen=True)
class RagCounts:
    """How many items of a section (or of the whole plan) are in each category."""

    section: str
    counts: tuple[tuple[str, int], ...]  # (category key, count), in `categories` order
    done: tuple[str, ...] = ("BLUE",)  # the codes the plan's key says are complete

    def count(self, key: str) -> int:
        return dict(self.counts).get(key, 0)

    @property
    def green(self) -> int:
        return self.count("GREEN")

    @property
    def amber(self) -> int:
        return self.count("AMBER")

    @property
    def red(self) -> int:
        return self.count("RED")

    @property
    def blue(self) -> int:
        return self.count("BLUE")

    @property
    def complete(self) -> int:
        """Items whose status the plan's key says is complete."""
        return sum(self.count(code) for code in self.done)

    @property
    def no_status(self) -> int:
        return self.count(NO_STATUS)

    @property
    def not_recognised(self) -> int:
        return self.count(NOT_RECOGNISED)

    @property
    def total(self) -> int:
        return sum(n for _, n in self.counts)

    @property
    def complete_fraction(self) -> float | None:
        """Complete items over all items, 0 to 1; None when there are no items."""
        return self.complete / self.total if self.total else None


@dataclass(frozen=True)
class OverdueItem:
    """An item whose due date is before the as-of date and that is not complete."""

    ref: str
    headline: str
    lead: str
    due: dt.date
    status: str  # as RagKey.shown gives it


@dataclass(frozen=True)
class AttentionItem:
    """An item whose status the plan's key says is not on track (RED or AMBER in the default
    key: `RagKey.not_on_track`), as the Summary lists it."""

    ref: str
    headline: str
    lead: str
    timescale: str
    update: str  # the latest update as the master shows it, cut at UPDATE_LIMIT; "" for none
    status: str  # its code


@dataclass(frozen=True)
class MovedItem:
    """An item whose status is not what the previous board pack showed."""

    ref: str
    headline: str
    before: str | None  # as RagKey.shown gives it; None when the previous pack did not have it
    after: str


@dataclass(frozen=True)
class BoardSummary:
    as_of: dt.date
    sections: tuple[RagCounts, ...]
    overall: RagCounts
    overdue: tuple[OverdueItem, ...]  # oldest due date first
    #: the items not on track by the plan's key, worst status first, plan order within it
    attention: tuple[AttentionItem, ...]
    moved: tuple[MovedItem, ...]  # in plan order
    unrecognised: tuple[tuple[str, str], ...]  # (ref, status as typed) the RAG key does not know
    has_previous: bool
    previous_as_of: dt.date | None = None
    #: what the counts are counted in: the plan's key's statuses, no status, not recognised
    categories: tuple[Category, ...] = ()

    @property
    def complete_fraction(self) -> float | None:
        return self.overall.complete_fraction


def board_summary(
    plan: Plan,
    *,
    as_of: dt.date,
    previous: Mapping[str, str] | None,
    previous_as_of: dt.date | None = None,
) -> BoardSummary:
    """What the board pack reports about `plan` at `as_of`.

    `previous` maps each ref to the status the previous board pack showed, or is None when there
    has been no board pack; an item it does not list is new since then. `previous_as_of` is that
    pack's as-of date, for the heading of the moved table. Statuses are read by the plan's key.
    """
    key = plan.rag_key
    overdue = sorted(
        (
            OverdueItem(it.ref, headline(it), it.lead, it.due, key.shown(it.status))
            for it in overdue_items(plan, as_of)
            if it.due is not None  # always, for an overdue item
        ),
        key=lambda o: o.due,  # sorted() is stable: plan order within one due date
    )
    return BoardSummary(
        as_of=as_of,
        sections=tuple(
            _counts(s or "(no section)", items, key) for s, items in _section_items(plan)
        ),
        overall=_counts("All items", plan.items, key),
        overdue=tuple(overdue),
        attention=_attention(plan),
        moved=_moved(plan, previous) if previous is not None else (),
        unrecognised=tuple(
            (it.ref, key.shown(it.status))
            for it in plan.items
            if status_category(it.status, key) == NOT_RECOGNISED
        ),
        has_previous=previous is not None,
        previous_as_of=previous_as_of,
        categories=categories(key),
    )


def _section_items(plan: Plan) -> list[tuple[str, tuple[Item, ...]]]:
    """Sections in plan order, then any section only items name, so that every item is counted."""
    order = list(dict.fromkeys(plan.sections))
    order.extend(s for s in dict.fromkeys(it.section for it in plan.items) if s not in order)
    return [(s, plan.items_in(s)) for s in order]


def _counts(section: str, items: Sequence[Item], key: RagKey) -> RagCounts:
    found = [status_category(it.status, key) for it in items]
    counted = tuple((c.key, found.count(c.key)) for c in categories(key))
    return RagCounts(section, counted, key.complete)


def _attention(plan: Plan) -> tuple[AttentionItem, ...]:
    key = plan.rag_key
    rank = {code: i for i, code in enumerate(key.not_on_track)}
    found = [(rank[code], it) for it in plan.items if (code := key.normalise(it.status)) in rank]
    found.sort(key=lambda pair: pair[0])  # stable: plan order within a status
    return tuple(
        AttentionItem(
            it.ref,
            headline(it),
            it.lead,
            it.timescale,
            _cut(it.updates[0].display, UPDATE_LIMIT) if it.updates else "",
            key.shown(it.status),
        )
        for _, it in found
    )


def _cut(text: str, limit: int) -> str:
    """`text` at most `limit` characters, cut at a word with an ellipsis."""
    text = text.strip()
    if len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:-– ") + "…"


def _moved(plan: Plan, previous: Mapping[str, str]) -> tuple[MovedItem, ...]:
    moved = []
    key = plan.rag_key
    for it in plan.items:
        now = key.shown(it.status)
        if it.ref not in previous:
            moved.append(MovedItem(it.ref, headline(it), None, now))
            continue
        before = key.shown(previous[it.ref])
        # "green " last time and "GREEN" now is the same status to the board
        if before.casefold() != now.casefold():
            moved.append(MovedItem(it.ref, headline(it), before, now))
    return tuple(moved)


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9])")


def headline(item: Item, *, limit: int = HEADLINE_LIMIT) -> str:
    """The finding's headline: the plain text before its italic narrative (as the document sets
    it), else its first line; cut at the first sentence end and at `limit` characters."""
    runs = item.finding
    if any(r.italic for r in runs) and runs and not runs[0].italic:
        text = "".join(r.text for r in _leading_plain(runs))
    else:
        text = item.finding_text
    text = text.strip().split("\n", 1)[0].strip()
    text = _SENTENCE_END.split(text, maxsplit=1)[0]
    if text.endswith(".") and not text.endswith(".."):
        text = text[:-1]  # a label in a table, not a sentence
    return _cut(text, limit)


def _leading_plain(runs: Sequence[Run]) -> list[Run]:
    out = []
    for r in runs:
        if r.italic:
            break
        out.append(r)
    return out
