"""Time-scales as people write them, read to a due date.

`due_date(value)` gives the date, or None when the text names none; `read_timescale(value)` gives
a `DueDate` whose `note` says what reading it assumed or which convention below gave the date.
A time-scale that names no year ("June", "Summer term", "Easter", "end of Q2") is read only when
the caller gives the plan's year (`year=`), used as given, and the note says so
("year 2024 taken from the plan"). docs/timescales.md has this table with its reasons.

=============================================  ==============================================
Written                                        Due
=============================================  ==============================================
a date or datetime cell; 2024-06-30            that day
30/06/2024, 30/06/24, 1/7/2024, 30.06.2024,    that day: the day comes first, as in the UK
30-06-2024
30 June 2024, 30th of June 2024, 30-Jun-24,    that day
June 30 2024, June 30th, 2024
June 2024, Jun-24, Jun 24, June '24,           the last day of the month; "mid" or "early" is
Sept 2023, 06/2024, by end of July 2024        not read: a month is due at its end
by July 18                                     31 July 2018: a month then two digits is a
                                               month and year, as in "Jun-24" (write 18 July)
Q1 2024, Q2 2024, Q3 2024, Q4 2024             31 March, 30 June, 30 September, 31 December
Q1 2024/25, Q2, Q3, Q4 (a financial year)      30 June 2024, 30 September 2024, 31 December
                                               2024, 31 March 2025 (April-June is Q1)
2024/25, 2024-25, 2024/2025, FY 2024/25,       31 March 2025: the UK financial year runs
FY24/25, financial year 2024-25                1 April 2024 to 31 March 2025
academic year 2023/24                          31 August 2024
2023-2024, 2023 to 2024                        31 December 2024: years as a range
by 2025, end of 2025                           31 December 2025
Autumn 1, Autumn half term                     31 October (October half term)
Autumn term, Autumn 2, Autumn, Christmas       31 December (the autumn term ends at Christmas)
Spring 1, Spring half term                     the last day of February (February half term)
Spring term, Spring 2, Spring, Easter          31 March (the spring term ends at Easter)
Summer 1, Summer half term                     31 May (May half term)
Summer term, Summer 2, Summer                  31 July
Spring term 2024/25 (a term of an              autumn in the first year, spring and summer in
academic year)                                 the second: 31 March 2025
A to B, A - B, A until B, A and B, A/B:        B's due date: a range is due at its end; a B
Apr-Jun 2024, December 2014 to July 2015       with no year takes A's, or the year after A
Ongoing, Complete, TBC, blank; FY24 (which     None: no due date. Callers keep the text as
year?); Winter 2024; anything unreadable       written and validate reports it
=============================================  ==============================================

Where a text names several dates that are not one range, the most exact is taken, the first of
equals: an ISO date, then a numeric day/month/year (the old parser's order), then a day or month
in words, then a quarter, term or year, then a date whose year came from the plan. A date no
calendar has (31/02/2024, Jun 0000, FY 2023/26), where it is the one taken, makes the whole
time-scale unreadable rather than let another date in the text stand in for it.
"""

from __future__ import annotations

import bisect
import calendar
import datetime as dt
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

MONTHS: dict[str, int] = {}
for _n in range(1, 13):
    MONTHS[calendar.month_name[_n].lower()] = _n
    MONTHS[calendar.month_abbr[_n].lower()] = _n
MONTHS["sept"] = 9

MONTH_PATTERN = "|".join(sorted(MONTHS, key=len, reverse=True))
MONTH_YEAR = re.compile(rf"\b({MONTH_PATTERN})\.?[\s\-/']*('?\d{{2}}|\d{{4}})\b", re.IGNORECASE)


def full_year(y: str) -> int:
    y = y.lstrip("'")
    return int(y) + 2000 if len(y) == 2 else int(y)


def end_of_month(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


@dataclass(frozen=True)
class DueDate:
    """A time-scale read: its due date and, in `note`, what reading it assumed or which
    convention gave the date ("year 2024 taken from the plan; the summer term taken to end on
    31 July"); "" when the text says it all."""

    due: dt.date
    note: str = ""
    year_assumed: bool = False  # the text names no year: the caller's (the plan's) was used


def due_date(value: object, *, year: int | None = None) -> dt.date | None:
    """The due date a time-scale names, or None when it names none (blank, "Ongoing", ...).
    `year`, the plan's, reads a time-scale that names no year ("June", "Summer term")."""
    found = read_timescale(value, year=year)
    return found.due if found else None


def read_timescale(value: object, *, year: int | None = None) -> DueDate | None:
    """A time-scale (text, a date or a datetime) read to its due date, with a note of what was
    assumed; None when it names no date, or names one no calendar has. See the module's table."""
    if isinstance(value, dt.datetime):
        return DueDate(value.date())
    if isinstance(value, dt.date):
        return DueDate(value)
    text = str(value or "").translate(_PLAIN)
    if not text.strip():
        return None
    best: tuple[tuple[int, int], DueDate | None] | None = None
    for group in _groups(text, _spans(text)):
        read = _read_group(group, year)
        if isinstance(read, _Unusable):
            continue
        rank = _ASSUMED if read and read.year_assumed else min(s.rank for s in group)
        key = (rank, group[0].start)
        if best is None or key < best[0]:
            best = (key, read)
    return best[1] if best else None


# --- The forms a time-scale takes -------------------------------------------------------------

# Typographic apostrophes and dashes, and non-breaking spaces, as typed: one character for one,
# so positions and letter case are kept.
_PLAIN = str.maketrans(
    dict.fromkeys("\u2018\u2019\u02bc", "'")  # ‘ ’ ʼ
    | dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2212", "-")  # hyphens, dashes, minus
    | dict.fromkeys("\u00a0\u202f", " ")  # non-breaking spaces
)
_FLAGS = re.IGNORECASE | re.ASCII
_M = rf"(?P<month>{MONTH_PATTERN})(?![a-z])\.?"  # a month's name, not the start of a word
_SEP = r"[\s\-/',]*"  # between a month or term and its year: "Jun-24", "June '24", "Jun, 2024"
_ALONE = r"\b(?![/\-.]\d)"  # a number's end, not inside a longer date ("31/03/2024")
_YEAR = r"(?P<year>\d{4}|'?\d{2})\b"
_PAIR = r"(?P<first>\d{4})[/\-](?P<second>\d{4}|\d{2})" + _ALONE  # "2024/25"; spaced: a range
_SEASON = r"\b(?P<season>autumn|spring|summer)(?![a-z])"
_QUARTER = r"\b(?:q|quarter\s*)(?P<quarter>[1-4])(?!\d)"
_ORDINAL = r"(?:st|nd|rd|th)"
#: Words that join two dates into a range, due at its end.
_CONNECTOR = re.compile(r"\s*(?:-+|to|until|till|through|thru|and|&|/)\s*", _FLAGS)
#: Month names that are also everyday words: read with no year only when written capitalised.
_WORDS = {"may", "march", "mar"}

#: English school terms and half terms: (season, half; 0 for the whole term) -> the month the
#: term is taken to end in (on its last day).
_TERM_ENDS = {
    ("autumn", 1): 10, ("autumn", 2): 12, ("autumn", 0): 12,
    ("spring", 1): 2, ("spring", 2): 3, ("spring", 0): 3,
    ("summer", 1): 5, ("summer", 2): 7, ("summer", 0): 7,
}  # fmt: skip
_HOLIDAYS = {"easter": "spring", "christmas": "autumn", "xmas": "autumn"}
_RANGE_END = "due at the end of the range"
_QUARTER_NAMES = ("January to March", "April to June", "July to September", "October to December")


@dataclass(frozen=True)
class _Span:
    """One date expression in the text."""

    start: int
    end: int
    rank: int  # how exact its form is: _ISO ... _PERIOD
    year: int | None  # the year its due date falls in, when the text gives one
    on: Callable[[int], dt.date]  # its due date in a year; ValueError when that has none
    rule: str = ""  # the convention that gave the date, for the note


@dataclass(frozen=True)
class _Read:
    """What a form reads from a match: the span without its place."""

    year: int | None
    on: Callable[[int], dt.date]
    rule: str = ""


def _month_end(month: int) -> Callable[[int], dt.date]:
    return lambda y: end_of_month(y, month)


def _day(month: int, day: int) -> Callable[[int], dt.date]:
    return lambda y: dt.date(y, month, day)


def _never(_year: int) -> dt.date:
    raise ValueError("names no date a calendar has")


#: What a form reads from text that looks like a date but names none ("FY 2023/26").
_NO_DATE = _Read(0, _never)


def _after(first: str, second: str) -> int | None:
    """The second year of a two-year span ("2024/25" -> 2025), None when it is not the year
    after the first."""
    want = full_year(first) + 1
    return want if int(second) == (want if len(second) == 4 else want % 100) else None


def _iso(m: re.Match[str]) -> _Read:
    y, month, day = int(m["y"]), int(m["m"]), int(m["d"])
    return _Read(y, lambda _: dt.date(y, month, day))


def _dmy(m: re.Match[str]) -> _Read:
    return _Read(full_year(m["year"]), _day(int(m["m"]), int(m["d"])))


def _month_year(m: re.Match[str]) -> _Read:
    return _Read(full_year(m["year"]), _month_end(MONTHS[m["month"].lower()]))


def _numeric_month_year(m: re.Match[str]) -> _Read:
    return _Read(int(m["year"]), _month_end(int(m["m"])))


def _day_month(m: re.Match[str]) -> _Read:
    year = full_year(m["year"]) if m.groupdict().get("year") else None
    return _Read(year, _day(MONTHS[m["month"].lower()], int(m["d"])))


def _bare_month(m: re.Match[str]) -> _Read | None:
    word = m["month"]
    if word.lower() in _WORDS and word[0].islower():  # "may slip", "march on": not months
        return None
    return _Read(None, _month_end(MONTHS[word.lower()]))


def _month_end_words(month: int) -> str:
    """When a month ends, in words: "31 July", "the last day of February"."""
    name = calendar.month_name[month]
    return f"the last day of {name}" if month == 2 else f"{end_of_month(2001, month).day} {name}"


def _term(half: int) -> Callable[[re.Match[str]], _Read]:
    """A term (half 0), a half term (1, 2), or the half the match names (-1)."""

    def read(m: re.Match[str]) -> _Read:
        season = m["season"].lower()
        n = int(m["half"]) if half < 0 else half
        month = _TERM_ENDS[(season, n)]
        name = f"{season.capitalize()} {n}" if n else f"the {season} term"
        return _term_read(m, season, month, f"{name} taken to end on {_month_end_words(month)}")

    return read


def _holiday(m: re.Match[str]) -> _Read:
    season = _HOLIDAYS[m["holiday"].lower()]
    month = _TERM_ENDS[(season, 0)]
    name = "Christmas" if season == "autumn" else "Easter"
    rule = f"{name} taken as the end of the {season} term, {_month_end_words(month)}"
    return _term_read(m, season, month, rule)


def _term_read(m: re.Match[str], season: str, month: int, rule: str) -> _Read:
    """A term (or the holiday that ends it) in its year: a year as written, or the academic
    year's first for autumn and its second for spring and summer ("Spring term 2024/25")."""
    groups = m.groupdict()
    if groups.get("first"):
        second = _after(m["first"], m["second"])
        if second is None:
            return _NO_DATE
        return _Read(second - 1 if season == "autumn" else second, _month_end(month), rule)
    year = full_year(m["year"]) if groups.get("year") else None
    return _Read(year, _month_end(month), rule)


def _calendar_quarter(m: re.Match[str]) -> _Read:
    q = int(m["quarter"])
    year = full_year(m["year"]) if m.groupdict().get("year") else None
    return _Read(year, _month_end(3 * q), f"Q{q} is {_QUARTER_NAMES[q - 1]}")


def _financial_quarter(m: re.Match[str]) -> _Read:
    q = int(m["quarter"])
    second = _after(m["first"], m["second"])
    if second is None:
        return _NO_DATE
    month = 3 * q + 3 if q < 4 else 3  # April-June is the financial year's first quarter
    months = _QUARTER_NAMES[q % 4]
    rule = f"Q{q} of financial year {second - 1}/{second % 100:02d} is {months}"
    return _Read(second if q == 4 else second - 1, _month_end(month), rule)


def _financial_year(strict: bool) -> Callable[[re.Match[str]], _Read | None]:
    def read(m: re.Match[str]) -> _Read | None:
        second = _after(m["first"], m["second"])
        if second is None:  # "2023/26": not a financial year; written "FY 2023/26", unreadable
            return _NO_DATE if strict else None
        rule = f"financial year {second - 1}/{second % 100:02d} ends on 31 March {second}"
        return _Read(second, _day(3, 31), rule)

    return read


def _academic_year(m: re.Match[str]) -> _Read:
    second = _after(m["first"], m["second"])
    if second is None:
        return _NO_DATE
    rule = f"academic year {second - 1}/{second % 100:02d} ends on 31 August {second}"
    return _Read(second, _day(8, 31), rule)


def _year_range(m: re.Match[str]) -> _Read:
    first, second = int(m["first"]), int(m["second"])
    return _Read(second, _day(12, 31) if second >= first else _never, _RANGE_END)


def _year_end(m: re.Match[str]) -> _Read:
    return _Read(int(m["year"]), _day(12, 31))


_Form = tuple[re.Pattern[str], int, Callable[[re.Match[str]], _Read | None]]


def _form(pattern: str, rank: int, read: Callable[[re.Match[str]], _Read | None]) -> _Form:
    return re.compile(pattern, _FLAGS), rank, read


# How exact a form is: where the text names several dates that are not one range, the most exact
# is taken, first of equals (ISO before a numeric day/month/year, as the old parser took them).
_ISO, _NUMERIC, _DAY_OR_MONTH, _PERIOD, _ASSUMED = range(5)

#: Every form. Where spans overlap, the more exact is kept; of equal ones, the one starting
#: first, then the longer, then the one earlier here.
_FORMS: tuple[_Form, ...] = (
    _form(r"\b(?P<y>\d{4})(?P<s>[-/.])(?P<m>\d{1,2})(?P=s)(?P<d>\d{1,2})(?!\d)", _ISO, _iso),
    _form(r"\b(?P<d>\d{1,2})[/.\-](?P<m>\d{1,2})[/.\-](?P<year>\d{4}|\d{2})\b", _NUMERIC, _dmy),
    _form(r"\b(?P<m>0?[1-9]|1[0-2])[/.\-](?P<year>\d{4})\b", _DAY_OR_MONTH, _numeric_month_year),
    _form(r"\b" + _M + rf"\s+(?P<d>\d{{1,2}}){_ORDINAL}?,?\s+(?P<year>\d{{4}})" + _ALONE,
          _DAY_OR_MONTH, _day_month),
    _form(r"\b" + _M + rf"\s+(?P<d>\d{{1,2}}){_ORDINAL}\b", _DAY_OR_MONTH, _day_month),
    _form(rf"(?<![/.\-'])\b(?P<d>\d{{1,2}}){_ORDINAL}?(?:-|\s+(?:of\s+)?)" + _M
          + rf"(?:{_SEP}{_YEAR})?", _DAY_OR_MONTH, _day_month),
    _form(r"\b" + _M + _SEP + _YEAR, _DAY_OR_MONTH, _month_year),
    _form(r"\b" + _M, _DAY_OR_MONTH, _bare_month),
    _form(_QUARTER + r"[\s,]*(?:of\s+)?(?:(?:fy|financial\s+year)\s*)?"
          r"(?P<first>\d{4}|\d{2})[/\-](?P<second>\d{4}|\d{2})" + _ALONE,
          _PERIOD, _financial_quarter),
    _form(_QUARTER + _SEP + r"(?:of\s+)?" + _YEAR, _PERIOD, _calendar_quarter),
    _form(_QUARTER + r"(?!" + _SEP + r"(?:of\s+)?(?:fy|financial|'?\d))", _PERIOD,
          _calendar_quarter),
    _form(r"\b(?:fy|financial\s+year|fin\.?\s+year)\s*"
          r"(?P<first>\d{4}|\d{2})\s*[/\-]\s*(?P<second>\d{4}|\d{2})" + _ALONE,
          _PERIOD, _financial_year(True)),
    _form(r"\b(?:academic|school)\s+year\s*" + _PAIR, _PERIOD, _academic_year),
    _form(r"\b(?P<first>\d{4})\s*(?:-|to|until|till|through|thru)\s*(?P<second>\d{4})" + _ALONE,
          _PERIOD, _year_range),
    _form(r"\b(?P<first>\d{4})(?:/|-(?=\d{2}\b))(?P<second>\d{4}|\d{2})" + _ALONE, _PERIOD,
          _financial_year(False)),
    _form(r"\b(?:by|end\s+of)\s+(?:(?:the\s+)?(?:calendar\s+)?year\s+)?(?P<year>\d{4})\b"
          r"(?!\s*(?:[/\-.]|to\b|until\b|till\b|through\b|thru\b)\s*\d)", _PERIOD, _year_end),
    _form(_SEASON + r"(?:\s+term)?[\s\-]*(?P<half>[12])(?!\d)(?:" + _SEP
          + rf"(?:{_PAIR}|{_YEAR}))?", _PERIOD, _term(-1)),
    _form(_SEASON + r"\s+half[\s\-]*term(?:" + _SEP + rf"(?:{_PAIR}|{_YEAR}))?", _PERIOD,
          _term(1)),
    _form(_SEASON + r"(?:\s+term)?(?:" + _SEP + rf"(?:{_PAIR}|{_YEAR}))?", _PERIOD, _term(0)),
    _form(r"\b(?P<holiday>easter|christmas|xmas)(?![a-z])(?:\s+(?:holidays?|hols|break))?"
          r"(?:" + _SEP + _YEAR + ")?", _PERIOD, _holiday),
)  # fmt: skip


def _spans(text: str) -> list[_Span]:
    """The date expressions in `text`, left to right, none overlapping: the more exact kept
    where they do (a month-year never hides a numeric date), then the first, then the longest."""
    found: list[tuple[int, int, int, int, _Span]] = []
    for order, (pattern, rank, read) in enumerate(_FORMS):
        for m in _matches(pattern, text):
            got = read(m)
            if got is not None:
                span = _Span(m.start(), m.end(), rank, got.year, got.on, got.rule)
                found.append((rank, m.start(), m.start() - m.end(), order, span))
    starts: list[int] = []  # of the spans kept, in order; they never overlap, so a new span
    spans: list[_Span] = []  # need only be checked against its neighbours
    for *_, span in sorted(found, key=lambda f: f[:4]):
        at = bisect.bisect(starts, span.start)
        if (at == 0 or spans[at - 1].end <= span.start) and (
            at == len(spans) or span.end <= spans[at].start
        ):
            starts.insert(at, span.start)
            spans.insert(at, span)
    return spans


def _matches(pattern: re.Pattern[str], text: str) -> Iterator[re.Match[str]]:
    """Every match of `pattern`, overlapping ones too: a match another form's span covers must
    not hide one that starts inside it."""
    pos = 0
    while (m := pattern.search(text, pos)) is not None:
        yield m
        pos = m.start() + 1


def _groups(text: str, spans: list[_Span]) -> list[list[_Span]]:
    """Spans joined into ranges ("Apr-Jun 2024", "Dec 2014 to July 2015"); a lone span is a
    group of one."""
    groups: list[list[_Span]] = []
    for span in spans:
        if groups and _CONNECTOR.fullmatch(text, groups[-1][-1].end, span.start):
            groups[-1].append(span)
        else:
            groups.append([span])
    return groups


class _Unusable:
    """A group that names no year, read with none given."""


_UNUSABLE = _Unusable()


def _read_group(group: list[_Span], year: int | None) -> DueDate | _Unusable | None:
    """A range's (or a lone span's) due date: its end's. None when a date in it is one no
    calendar has; _UNUSABLE when it names no year and none was given."""
    last = group[-1]
    written = [(s, s.year) for s in group if s.year is not None]
    try:
        for span, y in written:
            span.on(y)
        assumed = False
        if last.year is not None:
            due = last.on(last.year)
        else:
            if written:  # "Dec 2014 to July": the year the range started in
                anchor, y = written[-1]
            elif year is not None:
                anchor, y, assumed = group[0], year, True
            else:
                return _UNUSABLE
            start, due = anchor.on(y), last.on(y)
            if due < start:  # "Nov 2024 - Feb", "Sept to July": the February, July after
                due = last.on(y + 1)
    except (ValueError, OverflowError):
        return None
    notes = [f"year {year} taken from the plan"] if assumed else []
    if last.rule:
        notes.append(last.rule)
    if len(group) > 1 and last.rule != _RANGE_END:
        notes.append(_RANGE_END)
    return DueDate(due, "; ".join(notes), assumed)
