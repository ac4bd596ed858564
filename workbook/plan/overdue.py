"""Which items are still open and which are overdue: one rule, used by validation, the board pack,
the status view and the reminders alike. Complete means what the plan's own key says it means
(`RagKey.complete`): BLUE in one plan, Green in another."""

from __future__ import annotations

import datetime as dt

from workbook.plan.model import Item, Plan
from workbook.plan.status import RagKey


def is_open(item: Item, key: RagKey) -> bool:
    """Not complete by the plan's `key`. A status nobody can read counts as open: it was not
    marked complete."""
    return not key.is_complete(item.status)


def is_overdue(item: Item, as_of: dt.date, key: RagKey) -> bool:
    """Due before `as_of` (its time-scale names a day before it) and not complete by `key`."""
    return item.due is not None and item.due < as_of and is_open(item, key)


def overdue_items(plan: Plan, as_of: dt.date) -> tuple[Item, ...]:
    """Every overdue item of the plan by its own key, in plan order (an item shared by leads
    counts once)."""
    return tuple(it for it in plan.items if is_overdue(it, as_of, plan.rag_key))
