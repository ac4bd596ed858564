"""Which items are still open and which are overdue: one rule, used by validation, the board pack,
the status view and the reminders alike."""

from __future__ import annotations

import datetime as dt

from workbook.plan.model import Item, Plan
from workbook.plan.status import COMPLETE, normalise_status


def is_open(item: Item) -> bool:
    """Not complete. A status nobody can read counts as open: it was not marked complete."""
    return normalise_status(item.status) != COMPLETE


def is_overdue(item: Item, as_of: dt.date) -> bool:
    """Due before `as_of` (its time-scale names a day before it) and not complete."""
    return item.due is not None and item.due < as_of and is_open(item)


def overdue_items(plan: Plan, as_of: dt.date) -> tuple[Item, ...]:
    """Every overdue item of the plan, in plan order (an item shared by leads counts once)."""
    return tuple(it for it in plan.items if is_overdue(it, as_of))
