"""The one clock of the product: every "now" and "today" the product uses comes from here.

Local time, to the second, naive (as Excel keeps dates and times): the date an owner sees on
their desk is the date a label, a backup name or an overdue judgement uses, whatever the time zone.
One function, so tests can fix it (`tests.clock.fixed_clock`) and the code and the test agree on
what day it is.
"""

from __future__ import annotations

import datetime as dt


def now() -> dt.datetime:
    """The local time now, to the second."""
    return dt.datetime.now().replace(microsecond=0)


def today() -> dt.date:
    """The local date now (from `now`, so a fixed clock fixes both)."""
    return now().date()
