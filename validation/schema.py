"""The pandera schema of plan items, built from the rules of validation/rules.py: the items
frame's columns and types, and one check per rule, named with the rule's code, so a failure case
maps straight back to its rule; the frame's index is the Excel row, so a failure case is a cell
address. The frame is built by validation/frame.py; schema definitions stay apart from the code
that runs them. Each check is the rule's own predicate on each row (`Rule.check`), so the schema
and the plain evaluator of validation/run.py judge alike.
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from validation.rules import ITEM_RULES


class ItemFrame(pa.DataFrameModel):
    """The columns of the items frame the rules read, and their types."""

    ref: Series[str]
    ref_shared: Series[bool]
    finding: Series[str]
    n_actions: Series[int]
    lead: Series[str]
    unknown_leads: Series[str]
    timescale: Series[str]
    due: Series[pd.Timestamp] = pa.Field(nullable=True)
    status_code: Series[str] = pa.Field(nullable=True)
    status_complete: Series[bool]
    latest_update: Series[pd.Timestamp] = pa.Field(nullable=True)
    completion_recorded: Series[bool]
    overdue: Series[bool]
    cycle_start: Series[pd.Timestamp]

    class Config:
        strict = False


#: Every item rule as one pandera schema, validated lazily to collect every failure: the frame's
#: columns as ItemFrame declares them, and each rule's check over the whole frame.
ITEMS = pa.DataFrameSchema(
    ItemFrame.to_schema().columns,
    checks=[pa.Check(rule.check, name=rule.code, error=rule.code) for rule in ITEM_RULES],
    strict=False,
)
