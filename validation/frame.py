"""The item records of validation/records.py as a DataFrame for the pandera schema: one row per
item, indexed by Excel row, one column per record field (dates as Timestamps, NaT for none); and
a rule's check over that frame, derived from the rule's one predicate over a record.

Only the pandera evaluator loads this module (it imports pandas at the top); the plain evaluator
runs the same predicates on the records themselves.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterable, Iterator

import pandas as pd

from validation.records import COLUMNS, ItemRecord

_DATES = tuple(
    f.name for f in dataclasses.fields(ItemRecord) if "date" in str(f.type) and f.name in COLUMNS
)


def items_frame(records: Iterable[ItemRecord]) -> pd.DataFrame:
    """One row per record, index = Excel row number."""
    rows = list(records)
    index = pd.Index([r.excel_row for r in rows], name="excel_row")
    frame = pd.DataFrame(
        [[getattr(r, name) for name in COLUMNS] for r in rows], index=index, columns=list(COLUMNS)
    )
    for col in _DATES:
        frame[col] = pd.to_datetime(frame[col])
    frame["status_code"] = frame["status_code"].astype(object)
    return frame


def frame_records(frame: pd.DataFrame) -> Iterator[ItemRecord]:
    """The frame's rows as records again (Timestamps as dates, NaT and NaN as None)."""
    for excel_row, *values in frame[list(COLUMNS)].itertuples(index=True, name=None):
        fields = dict(zip(COLUMNS, values, strict=True))
        for name in (*_DATES, "status_code"):
            fields[name] = _plain(fields[name])
        yield ItemRecord(excel_row=int(excel_row), **fields)


def rowwise(passes: Callable[[ItemRecord], bool]) -> Callable[[pd.DataFrame], pd.Series]:
    """A rule's pandera check: its predicate on each row of the frame, True where it passes."""

    def check(frame: pd.DataFrame) -> pd.Series:
        verdicts = [bool(passes(r)) for r in frame_records(frame)]
        return pd.Series(verdicts, index=frame.index, dtype=bool)

    return check


def _plain(value: object) -> object:
    if value is None or value is pd.NaT or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    if isinstance(value, dt.datetime):
        return value.date()
    return value
