"""Item rows of a master as a DataFrame for the schema: one row per item, indexed by Excel row,
with the values the rules (validation/rules.py) need worked out once, by the plan model's own
definitions: lead codes not in the register, due date, the status the typed value means, the
newest update's date, whether it is overdue (workbook.plan.overdue) - statuses read by the plan's
own RAG key."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Sequence

import pandas as pd

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


def completion_recorded(updates: Sequence[UpdateEntry], key: RagKey) -> bool:
    """Does the newest update record the completion (logged with a status `key` says is
    complete, or saying so)?"""
    if not updates:
        return False
    newest = updates[0]
    return key.is_complete(newest.status) or bool(_COMPLETION.search(newest.text))


def items_frame(
    rows: Sequence[PlanRow],
    register: set[str],
    log: UpdatesLog,
    *,
    as_of: dt.date,
    cycle_start: dt.date,
    key: RagKey,
    leads: LeadRegister | None = None,
    year: int | None = None,
) -> pd.DataFrame:
    """One row per item row of the sheet (section rows left out), index = Excel row number."""
    records = []
    index = []

    def codes(item: Item) -> tuple[str, ...]:
        """The item's lead codes by the plan's register (SJ and SJ2 for two people)."""
        return leads.codes_for(item.lead) if leads is not None else item.lead_codes

    for row in rows:
        if row.is_section:
            continue
        # the item as the master reader builds it: due date and overdue by the plan's definitions
        item = dataclasses.replace(item_from_row(row, log), year=year)  # the plan's year
        dates = [u.date for u in item.updates if u.date]
        records.append(
            {
                "ref": item.ref.strip(),
                "finding": item.finding_text,
                "n_actions": len(item.actions),
                "lead": item.lead,
                "unknown_leads": ", ".join(c for c in codes(item) if c not in register),
                "timescale": item.timescale,
                "due": _ts(item.due),
                "status": item.status,
                "status_code": key.normalise(item.status),
                "status_complete": key.is_complete(item.status),
                "latest_update": _ts(max(dates)) if dates else pd.NaT,
                "completion_recorded": completion_recorded(item.updates, key),
                "overdue": is_overdue(item, as_of, key),
                "cycle_start": pd.Timestamp(cycle_start),
            }
        )
        index.append(row.excel_row)
    frame = pd.DataFrame.from_records(records, index=pd.Index(index, name="excel_row"))
    if frame.empty:
        frame = pd.DataFrame(columns=list(_EMPTY_COLUMNS))
    for col in ("due", "latest_update", "cycle_start"):
        frame[col] = pd.to_datetime(frame[col])
    frame["status_code"] = frame["status_code"].astype(object)
    return frame


_EMPTY_COLUMNS = (
    "ref", "finding", "n_actions", "lead", "unknown_leads", "timescale", "due", "status",
    "status_code", "status_complete", "latest_update", "completion_recorded", "overdue",
    "cycle_start",
)  # fmt: skip


def _ts(value: dt.date | None) -> pd.Timestamp:
    return pd.Timestamp(value) if value else pd.NaT
