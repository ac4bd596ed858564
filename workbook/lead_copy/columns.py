"""A lead's copy's columns: the master's, narrower, then the three a lead fills in. The copy's
writer, the return reader, the merge and the demo's simulated returns all take them from here."""

from __future__ import annotations

from workbook.master.sheets import COLUMN_BY_KEY, Column, SheetColumn, layout_of
from workbook.plan.model import Plan

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

#: Hidden columns inside the block a lead types in, each holding its row's ref, unlocked like the
#: cells around them. A lead can sort a block of unlocked cells on the protected sheet (Calc
#: allows it whatever the sheet's sort option says), which moves their answers off the items
#: they were typed against; any block of two or more answer columns takes a check along, so the
#: merge sees the ref it holds no longer matches the row's and refuses the moved answers.
CHECK_COLUMNS: tuple[Column, ...] = (
    Column("check_update", "Ref check (update)", 4),
    Column("check_proposed", "Ref check (time-scale)", 4),
)
CHECK_KEYS = tuple(c.key for c in CHECK_COLUMNS)

#: The copy's columns as they stand on its sheet: each check just before the answer column it
#: guards, so it sits between two answer columns.
SHEET_COLUMNS: tuple[Column, ...] = (
    *COPY_COLUMNS[:-2],
    CHECK_COLUMNS[0],
    COPY_COLUMNS[-2],
    CHECK_COLUMNS[1],
    COPY_COLUMNS[-1],
)

#: The document's own other columns (Success criteria, Origin, ...) are shown after the copy's
#: columns, locked, for context; the copy's identity sheet lists their titles under this field,
#: so the return reader knows them from columns a lead added.
CONTEXT_COLUMN_FIELD = "Context column"
CONTEXT_COLUMN_WIDTH = 24
#: The copy shows the document's own titles for the plan's columns it has (a council's
#: "Recommendation", not our finding title); the identity sheet lists them under this field as
#: "key = title", so the return reader finds each column by the title the copy was issued with.
COLUMN_TITLE_FIELD = "Column title"


#: The block a lead fills in, as it stands at the right of the sheet: Status, then the answer
#: columns with the checks between them.
ANSWER_BLOCK: tuple[Column, ...] = SHEET_COLUMNS[[c.key for c in SHEET_COLUMNS].index("status") :]


def copy_layout(plan: Plan) -> tuple[SheetColumn, ...]:
    """A copy's columns in their order on its sheet: `Ref`, the document's columns in its order
    (the plan's at the copy's widths under the plan's titles, its own other columns for context),
    then the ANSWER_BLOCK, so the answers sit together at the right wherever the document put
    its status."""
    widths = {c.key: c.width for c in SHEET_COLUMNS}
    answers = {c.key for c in ANSWER_BLOCK}
    shown = layout_of(plan, with_due=False).columns
    locked = [
        SheetColumn(c.key, c.title, widths.get(c.key, CONTEXT_COLUMN_WIDTH), c.other)
        for c in shown
        if c.key not in answers
    ]
    titles = {c.key: c.title for c in shown}
    block = [SheetColumn(c.key, titles.get(c.key, c.title), c.width) for c in ANSWER_BLOCK]
    return (*locked, *block)


def own_titles(plan: Plan) -> dict[str, str]:
    """The plan's own titles for copy columns whose title differs from ours (its document's),
    which the copy's identity sheet lists so the return reader finds each column by them."""
    ours = {c.key: c.title for c in SHEET_COLUMNS}
    return {c.key: c.title for c in copy_layout(plan) if c.key in ours and c.title != ours[c.key]}
