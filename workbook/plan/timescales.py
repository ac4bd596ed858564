"""Time-scales as written ("Mar-24", "First audit April 2023", "Sept 2023", "31/03/2024", a date)
parsed to a due date: the end of the named month, or the date itself when a day is given."""

from __future__ import annotations

import calendar
import datetime as dt
import re

MONTHS: dict[str, int] = {}
for _n in range(1, 13):
    MONTHS[calendar.month_name[_n].lower()] = _n
    MONTHS[calendar.month_abbr[_n].lower()] = _n
MONTHS["sept"] = 9

MONTH_PATTERN = "|".join(sorted(MONTHS, key=len, reverse=True))
MONTH_YEAR = re.compile(rf"\b({MONTH_PATTERN})\.?[\s\-/']*('?\d{{2}}|\d{{4}})\b", re.IGNORECASE)
_DMY = re.compile(r"\b(\d{1,2})[/.](\d{1,2})[/.](\d{4}|\d{2})\b")
_ISO = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")


def full_year(y: str) -> int:
    y = y.lstrip("'")
    return int(y) + 2000 if len(y) == 2 else int(y)


def end_of_month(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def due_date(value: object) -> dt.date | None:
    """The due date a time-scale names, or None when it names none (blank, "Ongoing", ...)."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value or "").strip()
    if not text:
        return None
    if m := _ISO.search(text):
        try:
            return dt.date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            return None
    if m := _DMY.search(text):
        try:
            return dt.date(full_year(m[3]), int(m[2]), int(m[1]))
        except ValueError:
            return None
    if m := MONTH_YEAR.search(text):
        try:
            return end_of_month(full_year(m[2]), MONTHS[m[1].lower()])
        except ValueError:  # year 0000: names no date a calendar has
            return None
    return None
