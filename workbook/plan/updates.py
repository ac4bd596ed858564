"""Dated updates as the document writes them ("Up-date mid May 23: ...", "Update mid-April 23: ...",
"Update April 23: ...") parsed into entries, and new entries labelled the same way."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence

from workbook.plan.model import UpdateEntry
from workbook.plan.timescales import (
    MONTH_PATTERN,
    MONTHS,
    end_of_month,
    full_year,
    read_timescale,
)

# An entry starts with "Update"/"Up-date" and a short heading naming a month and year, then a colon.
_HEAD = re.compile(
    rf"(?:(?<=^)|(?<=[\n.!?;]))\s*(?P<label>Up-?date\s+(?P<when>[^:\n]{{0,30}}?"
    rf"(?:{MONTH_PATTERN})[^:\n]{{0,12}}?)):[ \t]*",
    re.IGNORECASE,
)
# A heading a column's title gave (see `labelled_entries`): a line that names a term or a month
# and ends in an update word, then a colon ("Autumn term update: ...", "Spring 2 progress: ...").
_TITLED_HEAD = re.compile(
    rf"(?:(?<=^)|(?<=\n))[ \t]*(?P<label>[^:\n]{{0,30}}?\b(?:autumn|spring|summer|term|"
    rf"{MONTH_PATTERN})\b[^:\n]{{0,20}}?\b(?:progress\s+update|update|updates|progress)):[ \t]*",
    re.IGNORECASE,
)
_WHEN = re.compile(
    rf"(?:(?P<part>early|mid|late|end)[\s\-]*(?:of\s+)?)?(?:(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\s+)?"
    rf"(?P<month>{MONTH_PATTERN})\.?[\s\-/']*(?P<year>'?\d{{2}}|\d{{4}})\b",
    re.IGNORECASE,
)


def entry_date(label: str) -> dt.date | None:
    """The date an update heading names: mid = 15th, early or no day = 1st, late/end = last day;
    None when it names none, or none a calendar has (year 0000)."""
    try:
        return _entry_date(label)
    except ValueError:
        return None


def _entry_date(label: str) -> dt.date | None:
    m = _WHEN.search(label)
    if not m:
        return None
    year, month = full_year(m["year"]), MONTHS[m["month"].lower()]
    if m["day"]:
        try:
            return dt.date(year, month, int(m["day"]))
        except ValueError:
            return None
    part = (m["part"] or "").lower()
    if part == "mid":
        return dt.date(year, month, 15)
    if part in ("late", "end"):
        return end_of_month(year, month)
    return dt.date(year, month, 1)


def parse_updates(text: str) -> tuple[UpdateEntry, ...]:
    """Split an Update cell into entries, in the order written. Text before the first heading is an
    entry with no label, so nothing is lost."""
    text = (text or "").strip()
    if not text:
        return ()
    heads = sorted(
        [*_HEAD.finditer(text), *_TITLED_HEAD.finditer(text)], key=lambda m: m.start("label")
    )
    heads = [h for i, h in enumerate(heads) if not i or h.start("label") >= heads[i - 1].end()]
    entries: list[UpdateEntry] = []
    first = heads[0].start() if heads else len(text)
    if text[:first].strip():
        entries.append(UpdateEntry(label="", text=text[:first].strip()))
    for i, h in enumerate(heads):
        end = heads[i + 1].start() if i + 1 < len(heads) else len(text)
        label = " ".join(h["label"].split())
        entries.append(
            UpdateEntry(label=label, text=text[h.end() : end].strip(), date=entry_date(label))
        )
    return tuple(entries)


def labelled_entries(texts: Sequence[tuple[str, str]], year: int | None) -> tuple[UpdateEntry, ...]:
    """Update entries from a document's several update columns (a school's "Autumn term update |
    Spring term update | Summer term update"), given as (column title, cell text) left to right:
    each filled cell one entry labelled by its title, newest (rightmost) first. Each is dated by
    its title where it names a date or a term, one with no year read in `year` (the plan's) and
    moved on a year while it is not after the column left of it - the school year runs autumn,
    spring, summer."""
    entries: list[UpdateEntry] = []
    last: dt.date | None = None
    for title, text in texts:
        when = _title_date(title, year, after=last)
        last = when or last
        if text.strip():
            entries.append(UpdateEntry(label=title, text=text.strip(), date=when))
    return tuple(reversed(entries))


_UPDATE_WORDS = re.compile(r"\b(?:progress\s+)?updates?\b|\bprogress\b", re.IGNORECASE)


def _title_date(title: str, year: int | None, *, after: dt.date | None) -> dt.date | None:
    words = _UPDATE_WORDS.sub(" ", title)
    read = read_timescale(words, year=year)
    if read is None:
        return None
    due = read.due
    if read.year_assumed and year is not None and after is not None:
        for later in (year + 1, year + 2):
            if due > after:
                break
            again = read_timescale(words, year=later)
            due = again.due if again else due
    return due


def new_entry_label(when: dt.date, lead: str = "") -> str:
    """The heading for an update added now, in the document's style: "Update 26 Nov 26 (GT)"."""
    label = f"Update {when.day} {when.strftime('%b')} {when.strftime('%y')}"
    return f"{label} ({lead})" if lead else label
