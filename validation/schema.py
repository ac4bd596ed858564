"""The pandera schemas of plan items: what every item row must satisfy (errors) and what the owner
should look at before a board (warnings).

Each check is named with its finding code (validation/codes.py), so a failure case maps straight
back to a code; the frame's index is the Excel row, so a failure case is a cell address. The frame
is built by validation/frame.py; schema definitions stay apart from the code that runs them.
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from workbook.plan.status import COMPLETE

_UNHEARD = ("RED", "AMBER")  # statuses that need an update every cycle


def _present(s: pd.Series) -> pd.Series:
    return s.str.strip() != ""


class ItemRules(pa.DataFrameModel):
    """Errors: an item breaking one of these is wrong in the plan itself."""

    ref: Series[str]
    finding: Series[str]
    n_actions: Series[int]
    lead: Series[str]
    unknown_leads: Series[str]
    timescale: Series[str]
    due: Series[pd.Timestamp] = pa.Field(nullable=True)
    status_code: Series[str] = pa.Field(nullable=True)

    @pa.check("ref", name="missing-ref")
    def _ref_present(cls, s: pd.Series) -> pd.Series:
        return _present(s)

    @pa.check("ref", name="duplicate-ref")
    def _ref_unique(cls, s: pd.Series) -> pd.Series:
        return ~_present(s) | ~s.str.strip().duplicated(keep=False)

    @pa.check("finding", name="empty-finding")
    def _finding_present(cls, s: pd.Series) -> pd.Series:
        return _present(s)

    @pa.check("n_actions", name="no-actions")
    def _has_actions(cls, s: pd.Series) -> pd.Series:
        return s >= 1

    @pa.check("lead", name="missing-lead")
    def _lead_present(cls, s: pd.Series) -> pd.Series:
        return _present(s)

    @pa.check("unknown_leads", name="unknown-lead")
    def _leads_known(cls, s: pd.Series) -> pd.Series:
        return s == ""

    @pa.check("timescale", name="missing-timescale")
    def _timescale_present(cls, s: pd.Series) -> pd.Series:
        return _present(s)

    @pa.dataframe_check(name="unreadable-timescale")
    def _timescale_readable(cls, df: pd.DataFrame) -> pd.Series:
        return ~_present(df.timescale) | df.due.notna()

    @pa.dataframe_check(name="unknown-status")
    def _status_known(cls, df: pd.DataFrame) -> pd.Series:
        return df.status_code.notna()

    class Config:
        strict = False


class ItemWarnings(pa.DataFrameModel):
    """Warnings: the plan is well formed but an item needs the owner's attention."""

    status_code: Series[str] = pa.Field(nullable=True)
    due: Series[pd.Timestamp] = pa.Field(nullable=True)
    latest_update: Series[pd.Timestamp] = pa.Field(nullable=True)
    completion_recorded: Series[bool]
    as_of: Series[pd.Timestamp]
    cycle_start: Series[pd.Timestamp]

    @pa.check("status_code", name="no-status")
    def _has_status(cls, s: pd.Series) -> pd.Series:
        return s.isna() | (s != "")  # an unknown status is already an error

    @pa.dataframe_check(name="overdue")
    def _not_overdue(cls, df: pd.DataFrame) -> pd.Series:
        return df.due.isna() | (df.due >= df.as_of) | (df.status_code == COMPLETE)

    @pa.dataframe_check(name="no-recent-update")
    def _heard_this_cycle(cls, df: pd.DataFrame) -> pd.Series:
        return ~df.status_code.isin(_UNHEARD) | (df.latest_update >= df.cycle_start)

    @pa.dataframe_check(name="no-completion-update")
    def _completion_recorded(cls, df: pd.DataFrame) -> pd.Series:
        return (df.status_code != COMPLETE) | df.completion_recorded

    class Config:
        strict = False
