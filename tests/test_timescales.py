"""Time-scales as people write them (issue 14, item 5): every form in the table of
workbook/plan/timescales.py and docs/timescales.md, with the date it is due."""

from __future__ import annotations

import calendar
import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workbook.plan.timescales import (
    MONTH_PATTERN,
    MONTH_YEAR,
    MONTHS,
    DueDate,
    due_date,
    end_of_month,
    full_year,
    read_timescale,
)

D = dt.date


@pytest.mark.parametrize(
    ("text", "due"),
    [
        # what the old parser read, read the same
        ("Mar-24", D(2024, 3, 31)),
        ("Feb-24", D(2024, 2, 29)),
        ("First audit April 2023", D(2023, 4, 30)),
        ("Sept 2023", D(2023, 9, 30)),
        ("31/03/2024", D(2024, 3, 31)),
        ("2024-01-15", D(2024, 1, 15)),
        ("Jan/24", D(2024, 1, 31)),
        ("mid May 23", D(2023, 5, 31)),
        ("1. Apr-24 2. Jun-24", D(2024, 4, 30)),  # numbered like the actions: the first
        ("Dec-23 (moved to 2024-03-31)", D(2024, 3, 31)),  # an exact date before a month
        # month and year in any common form
        ("June 2024", D(2024, 6, 30)),
        ("Jun-24", D(2024, 6, 30)),
        ("Jun 24", D(2024, 6, 30)),
        ("June '24", D(2024, 6, 30)),
        ("June \u201924", D(2024, 6, 30)),
        ("Jun, 2024", D(2024, 6, 30)),
        ("Sept. 2023", D(2023, 9, 30)),
        ("06/2024", D(2024, 6, 30)),
        ("6/2024", D(2024, 6, 30)),
        ("by end of July 2024", D(2024, 7, 31)),
        ("by July 18", D(2018, 7, 31)),  # month and two digits: month and year, as "Jun-24"
        # UK dates: day first
        ("30/06/24", D(2024, 6, 30)),
        ("1/7/2024", D(2024, 7, 1)),
        ("30.06.2024", D(2024, 6, 30)),
        ("30-06-2024", D(2024, 6, 30)),
        ("30 June 2024", D(2024, 6, 30)),
        ("1 July 2024", D(2024, 7, 1)),
        ("1st July 2024", D(2024, 7, 1)),
        ("30th of June 2024", D(2024, 6, 30)),
        ("30-Jun-24", D(2024, 6, 30)),
        ("June 30 2024", D(2024, 6, 30)),
        ("June 30th, 2024", D(2024, 6, 30)),
        ("2024-01-15T10:00", D(2024, 1, 15)),
        # ranges: due at the end
        ("December 2014 to July 2015", D(2015, 7, 31)),
        ("Apr-Jun 2024", D(2024, 6, 30)),
        ("Apr\u2013Jun 2024", D(2024, 6, 30)),
        ("Jan to March 2024", D(2024, 3, 31)),
        ("Mar-24 / Jun-24", D(2024, 6, 30)),
        ("Oct 23 and Mar 24", D(2024, 3, 31)),
        ("1/4/24-30/6/24", D(2024, 6, 30)),
        ("Nov 2024 - Feb", D(2025, 2, 28)),  # an end with no year: the one after the start
        ("Dec 2014 until July", D(2015, 7, 31)),
        ("Q1-Q2 2024", D(2024, 6, 30)),
        ("Summer term 2024 to Autumn 1 2024", D(2024, 10, 31)),
        ("2023-2024", D(2024, 12, 31)),
        ("2023 to 2024", D(2024, 12, 31)),
        ("by 2025", D(2025, 12, 31)),
        ("end of 2025", D(2025, 12, 31)),
        # school terms and half terms
        ("Summer term 2024", D(2024, 7, 31)),
        ("Summer 2024", D(2024, 7, 31)),
        ("Summer 2 2024", D(2024, 7, 31)),
        ("Summer 1 2024", D(2024, 5, 31)),
        ("Summer half term 2024", D(2024, 5, 31)),
        ("Autumn term 2023", D(2023, 12, 31)),
        ("Autumn 1 2023", D(2023, 10, 31)),
        ("Autumn half-term 2023", D(2023, 10, 31)),
        ("Autumn 2 2023", D(2023, 12, 31)),
        ("Spring 1 2025", D(2025, 2, 28)),
        ("Spring 1 2024", D(2024, 2, 29)),
        ("Spring 2 2025", D(2025, 3, 31)),
        ("Spring term 2025", D(2025, 3, 31)),
        ("Easter 2024", D(2024, 3, 31)),
        ("Easter holidays 2025", D(2025, 3, 31)),
        ("Christmas 2023", D(2023, 12, 31)),
        ("Xmas 23", D(2023, 12, 31)),
        ("Spring term 2024/25", D(2025, 3, 31)),  # a term of an academic year
        ("Autumn term 2024/25", D(2024, 12, 31)),
        ("Summer 2 2024/25", D(2025, 7, 31)),
        ("academic year 2023/24", D(2024, 8, 31)),
        # quarters: calendar, or of a financial year (April-June is its first)
        ("Q1 2024", D(2024, 3, 31)),
        ("Q2 2024", D(2024, 6, 30)),
        ("Q3-24", D(2024, 9, 30)),
        ("end of Q4 2024", D(2024, 12, 31)),
        ("Quarter 2 2024", D(2024, 6, 30)),
        ("Q1 2024/25", D(2024, 6, 30)),
        ("Q2 2024/25", D(2024, 9, 30)),
        ("Q3 2023/24", D(2023, 12, 31)),
        ("Q4 2023/24", D(2024, 3, 31)),
        ("Q3 FY 2023/24", D(2023, 12, 31)),
        ("Q2 24/25", D(2024, 9, 30)),
        # financial years: 1 April - 31 March
        ("2024/25", D(2025, 3, 31)),
        ("2024-25", D(2025, 3, 31)),
        ("2024/2025", D(2025, 3, 31)),
        ("FY 2024/25", D(2025, 3, 31)),
        ("FY24/25", D(2025, 3, 31)),
        ("FY 2024-2025", D(2025, 3, 31)),
        ("financial year 2024-25", D(2025, 3, 31)),
        ("Dec 2023 - 2024/25", D(2025, 3, 31)),
        # date cells
        (dt.datetime(2024, 5, 1, 0, 0), D(2024, 5, 1)),
        (dt.datetime(2024, 5, 1, 17, 30), D(2024, 5, 1)),
        (D(2024, 5, 1), D(2024, 5, 1)),
    ],
)
def test_due_date(text: object, due: dt.date) -> None:
    assert due_date(text) == due
    assert due_date(text, year=2031) == due  # a written year is never overridden


@pytest.mark.parametrize(
    "text",
    [
        "", "   ", None, "Ongoing", "Complete", "Completed", "TBC", "tbc", "soon", "ASAP",
        "Quarterly", "31/02/2024", "2024-13-01", "Jun 0000", "Q1 2024/26", "FY 2023/26",
        "2023/26", "academic year 2023/25", "2024-2023", "FY24", "Q1 FY24", "Winter 2024",
        "may slip", "march on", "Children Act 1989", "31/02/2024 (June 2024)",
        "Jun 0000 to Jul 2024", 45000, 0,
    ],
)  # fmt: skip
def test_unreadable_time_scales_name_no_date(text: object) -> None:
    assert due_date(text) is None
    assert read_timescale(text, year=2024) is None


@pytest.mark.parametrize("text", ["may slip", "march on"])
def test_may_and_march_as_words_are_not_months(text: str) -> None:
    assert due_date(text, year=2024) is None
    assert due_date(text.capitalize().split()[0], year=2024) is not None  # "May", "March"


@pytest.mark.parametrize(
    ("text", "due", "note"),
    [
        ("June", D(2024, 6, 30), "year 2024 taken from the plan"),
        ("end of July", D(2024, 7, 31), "year 2024 taken from the plan"),
        ("18 July", D(2024, 7, 18), "year 2024 taken from the plan"),
        ("July 18th", D(2024, 7, 18), "year 2024 taken from the plan"),
        ("MAY", D(2024, 5, 31), "year 2024 taken from the plan"),
        ("Summer term", D(2024, 7, 31),
         "year 2024 taken from the plan; the summer term taken to end on 31 July"),
        ("Autumn 2", D(2024, 12, 31),
         "year 2024 taken from the plan; Autumn 2 taken to end on 31 December"),
        ("Spring half term", D(2024, 2, 29),
         "year 2024 taken from the plan; Spring 1 taken to end on the last day of February"),
        ("Easter", D(2024, 3, 31),
         "year 2024 taken from the plan; Easter taken as the end of the spring term, 31 March"),
        ("Christmas", D(2024, 12, 31), "year 2024 taken from the plan; "
         "Christmas taken as the end of the autumn term, 31 December"),
        ("end of Q2", D(2024, 6, 30), "year 2024 taken from the plan; Q2 is April to June"),
        ("Apr-Jun", D(2024, 6, 30), "year 2024 taken from the plan; due at the end of the range"),
        ("Sept to July", D(2025, 7, 31),
         "year 2024 taken from the plan; due at the end of the range"),
    ],
)  # fmt: skip
def test_no_year_takes_the_plans_and_says_so(text: str, due: dt.date, note: str) -> None:
    assert due_date(text) is None  # no year given: unreadable, as before
    assert read_timescale(text) is None
    assert due_date(text, year=2024) == due
    assert read_timescale(text, year=2024) == DueDate(due, note, year_assumed=True)


@pytest.mark.parametrize(
    ("text", "note"),
    [
        ("Jun-24", ""),
        ("30/06/2024", ""),
        ("Summer term 2024", "the summer term taken to end on 31 July"),
        ("Q3 2023/24", "Q3 of financial year 2023/24 is October to December"),
        ("Q1 2024", "Q1 is January to March"),
        ("FY 2024/25", "financial year 2024/25 ends on 31 March 2025"),
        ("academic year 2023/24", "academic year 2023/24 ends on 31 August 2024"),
        ("December 2014 to July 2015", "due at the end of the range"),
        ("2023-2024", "due at the end of the range"),
        ("Q1 2024 - 2025/26",
         "financial year 2025/26 ends on 31 March 2026; due at the end of the range"),
    ],
)  # fmt: skip
def test_the_note_names_the_convention(text: str, note: str) -> None:
    found = read_timescale(text, year=2020)
    assert found is not None
    assert (found.note, found.year_assumed) == (note, False)


def test_a_written_date_beats_one_whose_year_is_assumed() -> None:
    assert read_timescale("June, then review Sept 2025", year=2024) == DueDate(D(2025, 9, 30))


def test_exported_names_still_work() -> None:
    """workbook/plan/updates.py and workbook/importers/document.py build on these."""
    assert MONTHS["sept"] == MONTHS["september"] == 9
    assert "september" in MONTH_PATTERN.split("|")
    assert MONTH_YEAR.fullmatch("March 2023")
    assert (full_year("'24"), full_year("24"), full_year("2024")) == (2024, 2024, 2024)
    assert end_of_month(2024, 2) == D(2024, 2, 29)


# --- Properties -------------------------------------------------------------------------------

_DATES = st.dates(min_value=D(1000, 1, 1), max_value=D(9999, 12, 31))
_MONTH_DATES = st.dates(min_value=D(2000, 1, 1), max_value=D(2099, 12, 31))


@given(_DATES)
def test_a_uk_date_reads_back(d: dt.date) -> None:
    for text in (f"{d.day}/{d.month}/{d.year}", f"{d:%d/%m/%Y}", f"{d:%d.%m.%Y}", d.isoformat()):
        assert due_date(text) == d, text
    assert due_date(f"{d.day} {calendar.month_name[d.month]} {d.year}") == d


@given(_MONTH_DATES)
def test_a_month_and_year_is_due_at_the_months_end(d: dt.date) -> None:
    end = end_of_month(d.year, d.month)
    for text in (
        f"{calendar.month_name[d.month]} {d.year}",
        f"{calendar.month_abbr[d.month]}-{d:%y}",
        f"{calendar.month_abbr[d.month]} {d:%y}",
        f"{calendar.month_name[d.month]} '{d:%y}",
        f"{d:%m/%Y}",
        f"by end of {calendar.month_name[d.month]} {d.year}",
    ):
        assert due_date(text) == end, text


_YEARS = st.integers(2000, 2098)


@st.composite
def written(draw: st.DrawFn) -> str:
    """A time-scale in one of the forms, with its year written."""
    y = draw(_YEARS)
    m = draw(st.integers(1, 12))
    d = draw(st.integers(1, calendar.monthrange(y, m)[1]))
    fy = f"{y}/{(y + 1) % 100:02d}"
    return draw(
        st.sampled_from(
            [
                f"{calendar.month_name[m]} {y}", f"{calendar.month_abbr[m]}-{y % 100:02d}",
                f"{d}/{m}/{y}", f"{d:02d}.{m:02d}.{y}", f"{y}-{m:02d}-{d:02d}",
                f"{d} {calendar.month_name[m]} {y}", f"{m:02d}/{y}",
                f"Q{draw(st.integers(1, 4))} {y}", f"Q{draw(st.integers(1, 4))} {fy}", fy,
                f"FY {fy}", f"{draw(st.sampled_from(['Summer', 'Autumn', 'Spring']))} term {y}",
                f"Spring {draw(st.integers(1, 2))} {y}", f"Easter {y}", f"Christmas {y}",
            ]
        )
    )  # fmt: skip


@given(written(), written(), st.sampled_from([" to ", " - ", " \u2013 ", " until ", " and "]))
def test_a_range_is_due_at_its_end(a: str, b: str, joined: str) -> None:
    end = due_date(b)
    assert end is not None
    assert due_date(f"{a}{joined}{b}") == end


@given(written(), st.integers(1900, 2100))
def test_a_written_year_is_not_overridden(text: str, year: int) -> None:
    assert due_date(text, year=year) == due_date(text) is not None


_YEARLESS = st.sampled_from(
    ["June", "Sept", "Summer term", "Autumn 1", "Spring 2", "Easter", "Christmas", "Q2",
     "Summer half term", "end of November", "Summer"]
)  # fmt: skip


@given(_YEARLESS, _YEARS)
def test_the_plans_year_reads_as_if_written(text: str, year: int) -> None:
    found = read_timescale(text, year=year)
    assert found is not None and found.year_assumed
    assert found.due == due_date(f"{text} {year}")


@given(st.text(max_size=40), st.one_of(st.none(), st.integers(-10, 10_010)))
def test_any_text_reads_to_a_date_or_none(text: str, year: int | None) -> None:
    found = read_timescale(text, year=year)
    assert found is None or isinstance(found.due, dt.date)
