"""One record per item row of a master, in plain Python values, with what the rules
(validation/rules.py) need worked out once by the plan model's own definitions: lead codes not in
the register, due date, the status the typed value means, the newest update's date, whether it is
overdue (workbook.plan.overdue) - statuses read by the plan's own RAG key.

The rules are predicates over one record. The plain evaluator (validation/run.py) calls them on
the records directly; validation/frame.py turns the same records into the pandera schema's
DataFrame. This module imports no pandas, so a one-shot command validates without it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from workbook.master.read import PlanRow, UpdatesLog, item_from_row
from workbook.plan.leads import LeadRegister
from workbook.plan.model import Item, UpdateEntry
from workbook.plan.overdue import is_overdue
from workbook.plan.status import RagKey

# words by which an update says the work is finished
_COMPLETION = re.compile(
    r"\b(complete[ds]?|completion|done|achieved|implemented|in place|embedded|BAU|"
    r"business as usual|closed|delivered)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class ItemRecord:
    """What the rules read of one item row; the items frame has one column per field."""

    excel_row: int  # the frame's index, not a column
    ref: str  # stripped
    ref_shared: bool  # another item row has the same (non-blank) ref
    finding: str
    n_actions: int
    lead: str
    unknown_leads: str  # lead codes not on the Leads sheet, "XY, ZZ"; "" when none
    timescale: str
    due: dt.date | None
    status: str
    status_code: str | None  # the key's code; "" for a blank status; None when not in the key
    status_complete: bool
    latest_update: dt.date | None
    completion_recorded: bool
    overdue: bool
    cycle_start: dt.date


#: The record's fields that are the items frame's columns, in order.
COLUMNS: tuple[str, ...] = tuple(
    f.name for f in dataclasses.fields(ItemRecord) if f.name != "excel_row"
)


def completion_recorded(updates: Sequence[UpdateEntry], key: RagKey) -> bool:
    """Does the newest update record the completion (logged with a status `key` says is
    complete, or saying so)?"""
    if not updates:
        return False
    newest = updates[0]
    return key.is_complete(newest.status) or bool(_COMPLETION.search(newest.text))


def item_records(
    rows: Sequence[PlanRow],
    register: set[str],
    log: UpdatesLog,
    *,
    as_of: dt.date,
    cycle_start: dt.date,
    key: RagKey,
    leads: LeadRegister | None = None,
    year: int | None = None,
) -> list[ItemRecord]:
    """One record per item row of the sheet (section rows left out), in sheet order."""

    def codes(item: Item) -> tuple[str, ...]:
        """The item's lead codes by the plan's register (SJ and SJ2 for two people)."""
        return leads.codes_for(item.lead) if leads is not None else item.lead_codes

    # the items as the master reader builds them: due date and overdue by the plan's definitions
    items = [
        (row, dataclasses.replace(item_from_row(row, log), year=year))  # the plan's year
        for row in rows
        if not row.is_section
    ]
    uses = Counter(item.ref.strip() for _, item in items)
    out = []
    for row, item in items:
        dates = [u.date for u in item.updates if u.date]
        ref = item.ref.strip()
        out.append(
            ItemRecord(
                excel_row=row.excel_row,
                ref=ref,
                ref_shared=bool(ref) and uses[ref] > 1,
                finding=item.finding_text,
                n_actions=len(item.actions),
                lead=item.lead,
                unknown_leads=", ".join(c for c in codes(item) if c not in register),
                timescale=item.timescale,
                due=item.due,
                status=item.status,
                status_code=key.normalise(item.status),
                status_complete=key.is_complete(item.status),
                latest_update=max(dates) if dates else None,
                completion_recorded=completion_recorded(item.updates, key),
                overdue=is_overdue(item, as_of, key),
                cycle_start=cycle_start,
            )
        )
    return out
