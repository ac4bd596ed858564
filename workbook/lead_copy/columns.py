"""A lead's copy's columns: the master's, narrower, then the three a lead fills in. The copy's
writer, the return reader, the merge and the demo's simulated returns all take them from here."""

from __future__ import annotations

from workbook.master.sheets import COLUMN_BY_KEY, Column

NEW_UPDATE_TITLE = "New update"
PROPOSED_TIMESCALE_TITLE = "Proposed time-scale"

#: The copy's columns: the master's (narrower, to fit a page with the three to fill in), then the
#: lead's own. Keys name the plan field, or the lead's column.
COPY_COLUMNS: tuple[Column, ...] = (
    Column("ref", COLUMN_BY_KEY["ref"].title, 9),
    Column("finding", COLUMN_BY_KEY["finding"].title, 40),
    Column("actions", COLUMN_BY_KEY["actions"].title, 52),
    Column("lead", COLUMN_BY_KEY["lead"].title, 11),
    Column("timescale", COLUMN_BY_KEY["timescale"].title, 11),
    Column("updates", COLUMN_BY_KEY["updates"].title, 46),
    Column("status", COLUMN_BY_KEY["status"].title, 11),
    Column("new_update", NEW_UPDATE_TITLE, 50),
    Column("proposed_timescale", PROPOSED_TIMESCALE_TITLE, 13),
)
#: The columns a lead types in; everything else is locked.
EDITABLE_KEYS = ("status", "new_update", "proposed_timescale")
