"""The field parsers: numbered actions, lead codes, time-scales, dated updates."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import INITIALS, plans, render_text_export

from workbook.importers.text import import_text
from workbook.plan.actions import split_numbered
from workbook.plan.leads import lead_codes, parse_leads
from workbook.plan.model import format_actions
from workbook.plan.timescales import due_date
from workbook.plan.updates import entry_date, new_entry_label, parse_updates

_ACTION_WORDS = st.sampled_from(
    [
        "Review",
        "12",
        "–",
        "18",
        "days",
        "38/6",
        "order",
        "Reg",
        "24",
        "post",
        "21yrs",
        "2",
        "May",
        "23",
        "standards",
        "1",
        "and",
        "2",
        "x.",
    ]
)


@given(st.lists(st.lists(_ACTION_WORDS, min_size=1, max_size=12).map(" ".join), max_size=15))
def test_numbered_actions_round_trip(actions: list[str]) -> None:
    assert split_numbered(format_actions(tuple(actions))) == tuple(actions)


def test_split_numbered_keeps_lead_in_and_plain_text() -> None:
    assert split_numbered("Note: 1. a 2. b") == ("Note:", "a", "b")
    assert split_numbered("Review the plan") == ("Review the plan",)
    assert split_numbered("1. a 3. b") == ("a 3. b",)  # out of sequence: not a list number
    assert split_numbered("") == ()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("GT", (("GT", ""),)),
        ("LH / JoR / GT / LJ", (("LH", ""), ("JoR", ""), ("GT", ""), ("LJ", ""))),
        ("MW RB", (("MW", ""), ("RB", ""))),
        ("1. DM 2. DM/AxB", (("DM", ""), ("AxB", ""))),
        ("Chair Corporate Parenting Board", (("CCPB", "Chair Corporate Parenting Board"),)),
        ("GT and Head of Service", (("GT", ""), ("HS", "Head of Service"))),
        ("", ()),
    ],
)
def test_parse_leads(text: str, expected: tuple[tuple[str, str], ...]) -> None:
    assert parse_leads(text) == expected


@given(st.lists(INITIALS, min_size=1, max_size=5, unique=True), st.sampled_from([" / ", " ", ","]))
def test_lead_codes_any_separator(codes: list[str], sep: str) -> None:
    assert lead_codes(sep.join(codes)) == tuple(codes)


@pytest.mark.parametrize(
    ("text", "due"),
    [
        ("Mar-24", dt.date(2024, 3, 31)),
        ("Feb-24", dt.date(2024, 2, 29)),
        ("First audit April 2023", dt.date(2023, 4, 30)),
        ("Sept 2023", dt.date(2023, 9, 30)),
        ("31/03/2024", dt.date(2024, 3, 31)),
        ("2024-01-15", dt.date(2024, 1, 15)),
        (dt.datetime(2024, 5, 1, 0, 0), dt.date(2024, 5, 1)),
        ("", None),
        ("Ongoing", None),
        ("31/02/2024", None),
    ],
)
def test_due_date(text: object, due: dt.date | None) -> None:
    assert due_date(text) == due


@pytest.mark.parametrize(
    ("label", "date"),
    [
        ("Up-date mid May 23", dt.date(2023, 5, 15)),
        ("Update mid-April 23", dt.date(2023, 4, 15)),
        ("Update April 23", dt.date(2023, 4, 1)),
        ("Update end of June 2023", dt.date(2023, 6, 30)),
        ("Update 26 Nov 26 (GT)", dt.date(2026, 11, 26)),
    ],
)
def test_entry_date(label: str, date: dt.date) -> None:
    assert entry_date(label) == date


def test_parse_updates_splits_entries_and_keeps_loose_text() -> None:
    text = "Carried over from March.\n\nUpdate mid-April 23: Two teams. Update April 23: Agreed."
    got = parse_updates(text)
    assert [(u.label, u.text) for u in got] == [
        ("", "Carried over from March."),
        ("Update mid-April 23", "Two teams."),
        ("Update April 23", "Agreed."),
    ]
    # "update" inside a sentence is not a heading: one unlabelled entry, text whole
    (loose,) = parse_updates("Review and update the plan: April 23")
    assert (loose.label, loose.text) == ("", "Review and update the plan: April 23")


def test_new_entry_label_parses_back() -> None:
    label = new_entry_label(dt.date(2026, 11, 26), "JoR")
    assert label == "Update 26 Nov 26 (JoR)"
    (entry,) = parse_updates(f"{label}: Done.")
    assert (entry.label, entry.date, entry.text) == (label, dt.date(2026, 11, 26), "Done.")


@given(plans())
def test_text_export_round_trip(plan) -> None:
    """Any plan written in the export format imports back as the same plan (the column titles
    and order found are the importer's record of the export's header, which a generated plan
    lacks)."""
    imported = import_text(render_text_export(plan), "plan.txt")
    assert {role for role, _ in imported.column_titles} == {
        "finding",
        "actions",
        "lead",
        "timescale",
        "update",
        "status",
    }
    # the export's columns are in the plan's usual order, which the import keeps
    assert imported.column_order == ("finding", "actions", "lead", "timescale", "update", "status")
    assert dataclasses.replace(imported, column_titles=(), column_order=()) == plan
