"""How the product words things for people: dates in prose, counts with their nouns, values quoted
back on one line. One home, so a receipt, a status line, a reminder and the board say them alike.
"""

from __future__ import annotations

import datetime as dt


def long_date(d: dt.date) -> str:
    """31 May 2023: a date in prose."""
    return f"{d.day} {d:%B %Y}"


def short_date(d: dt.date | None) -> str:
    """31 May 2023 in a table, "" for no date."""
    return f"{d:%d %b %Y}" if d else ""


def count(n: int, noun: str, plural: str | None = None) -> str:
    """ "1 item", "3 items", "0 items" ("1 copy", "2 copies" with `plural`)."""
    return f"{n} {noun_for(n, noun, plural)}"


def noun_for(n: int, noun: str, plural: str | None = None) -> str:
    """The noun as it follows the number `n`: "item" for 1, "items" (or `plural`) otherwise - the
    one rule of `count`, for a line that sets out the number itself (aligned in a column)."""
    return noun if n == 1 else plural or noun + "s"


def percent(fraction: float | None) -> str:
    """A share as printed: 15%, or – when there is nothing to divide."""
    return "–" if fraction is None else f"{fraction:.0%}"


def one_line(text: str, limit: int) -> str:
    """`text` on one line (runs of spaces and line breaks as one space), cut with "…" to at most
    `limit` characters."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
