"""Leads as people write them (issue 14, item 4): initials with digits, full names, roles with
commas and "and", committees, any capitalisation; one lead per person or role, each with its own
code, and the owner's codes kept."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workbook.importers.text import import_text
from workbook.plan.leads import (
    Lead,
    build_register,
    is_initials,
    keep_owner_leads,
    lead_codes,
    lead_key,
    parse_leads,
    role_code,
)
from workbook.plan.model import Item, Plan

#: A council's tracker as a text export: leads as initials and a team written two ways.
TRACKER = (
    "Scrutiny recommendations tracker\n\nReference\tRecommendation\tLead Officer\tStatus\n"
    "SR 01\tPublish void times monthly.\tDM/PL\tGreen\n"
    "SR 02\tReview the grounds contract.\tLeadership Team\tAmber\n"
    "SR 03\tReport savings quarterly.\tleadership team\t\n"
)
PORTFOLIO = "The Portfolio Holder for Economic Development, UK and EU Regional Issues"
SUPPORT = "Head of Early Help and Family Support"
BRACKETED = "Head of Service (Early Help / Protection)"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("L21 / L10", (("L21", ""), ("L10", ""))),
        ("HoS2", (("HoS2", ""),)),
        ("DM/PL/KL", (("DM", ""), ("PL", ""), ("KL", ""))),
        ("Head of Service (HoS2)", (("HoS2", "Head of Service"),)),
        ("GT (Gill Taylor)", (("GT", "Gill Taylor"),)),
        ("Cllr Smith and Cllr Jones", (("CS", "Cllr Smith"), ("CJ", "Cllr Jones"))),
        ("Children's Services Committee", (("CSC", "Children's Services Committee"),)),
        ("Sarah Jones; Simon Jenkins", (("SJ", "Sarah Jones"), ("SJ2", "Simon Jenkins"))),
        ("Sarah Jones and Simon Jenkins", (("SJ", "Sarah Jones"), ("SJ2", "Simon Jenkins"))),
        ("Leadership Team", (("LT", "Leadership Team"),)),
        ("leadership team", (("LT", "leadership team"),)),
        ("Leadership Team / Leadership team", (("LT", "Leadership Team"),)),
        ("LEAD TEAM", (("LT", "LEAD TEAM"),)),
        ("HEAD OF SERVICE and GT", (("HS", "HEAD OF SERVICE"), ("GT", ""))),
        (PORTFOLIO, (("PHEDUERI", PORTFOLIO),)),
        ("GT and Head of Service", (("GT", ""), ("HS", "Head of Service"))),
        ("Head of Service, GT and LH", (("HS", "Head of Service"), ("GT", ""), ("LH", ""))),
        ("Head of Quality & Performance", (("HQP", "Head of Quality & Performance"),)),
        (SUPPORT, (("HEHFS", SUPPORT),)),
        ("Sarah & Tom", (("S", "Sarah"), ("T", "Tom"))),
        ("GT\nLH", (("GT", ""), ("LH", ""))),
        ("GT + LH", (("GT", ""), ("LH", ""))),
        ("1. DM 2. DM/AxB", (("DM", ""), ("AxB", ""))),
        (BRACKETED, (("HSEHP", BRACKETED),)),
        ("", ()),
    ],
)
def test_leads_as_people_write_them(text: str, expected: tuple[tuple[str, str], ...]) -> None:
    assert parse_leads(text) == expected


@pytest.mark.parametrize("token", ["GT", "JoR", "AxB", "LYH", "DoP", "HoS2", "L21", "L10"])
def test_initials_with_digits(token: str) -> None:
    assert is_initials(token)


@pytest.mark.parametrize("token", ["Cllr", "Mr", "Sarah", "L", "SARAH", "21"])
def test_words_that_are_not_initials(token: str) -> None:
    assert not is_initials(token)


def test_one_role_across_items_whatever_its_capitalisation() -> None:
    register = build_register(["Leadership Team", "leadership  team.", "LEADERSHIP TEAM", "GT"])
    assert register.leads == (Lead("LT", "Leadership Team"), Lead("GT"))
    assert register.codes_for("Leadership team") == ("LT",)


def test_two_people_with_the_same_initials_in_different_items() -> None:
    register = build_register(["Simon Jenkins", "GT", "Sarah Jones"])
    assert register.leads == (Lead("SJ2", "Simon Jenkins"), Lead("GT"), Lead("SJ", "Sarah Jones"))
    assert register.codes_for("Sarah Jones / Simon Jenkins") == ("SJ", "SJ2")


def test_initials_and_a_name_are_not_taken_for_one_person() -> None:
    register = build_register(["SJ", "Sarah Jones"])
    assert register.leads == (Lead("SJ"), Lead("SJ2", "Sarah Jones"))


def test_a_name_written_with_its_code_ties_them() -> None:
    register = build_register(["SJ", "Sarah Jones (SJ)", "Sarah Jones", "Simon Jenkins (SJ)"])
    assert register.leads == (Lead("SJ", "Sarah Jones"), Lead("SJ2", "Simon Jenkins"))
    assert register.codes_for("Simon Jenkins (SJ)") == ("SJ2",)


def test_a_numbered_head_of_service_is_their_own_lead() -> None:
    register = build_register(["Head of Service (HoS2)", "Head of Service (HoS1)", "HoS1"])
    assert register.codes == ("HoS2", "HoS1")
    assert register.codes_for("Head of Service") == ("HoS2",)  # the first named


def test_the_owners_codes_names_and_emails_are_kept() -> None:
    owner = (
        Lead("SIMJ", "Simon Jenkins", "simon@example.org"),
        Lead("GT", "Gill Taylor", "gt@example.org"),
        Lead("LT", "Leadership Team"),
    )
    register = build_register(
        ["Sarah Jones / GT", "Simon Jenkins", "leadership team", "LT2"], owner
    )
    assert register.leads[:3] == owner
    # the owner's spelling kept exactly, matched however the text writes it
    spaced = build_register(["gt", "GT / Leadership team"], (Lead(" GT ", "Leadership  Team."),))
    assert spaced.leads == (Lead(" GT ", "Leadership  Team."),)
    assert register.codes_for("simon jenkins") == ("SIMJ",)
    assert register.codes_for("Sarah Jones") == ("SJ",)
    assert register.codes_for("LEADERSHIP TEAM / LT2") == ("LT", "LT2")
    # a name the owner wrote without a code is given one, nobody else's
    named = build_register(["Sarah Jones"], (Lead("SJ"), Lead("", "Sarah Jones", "sj@x.org")))
    assert named.leads == (Lead("SJ"), Lead("SJ2", "Sarah Jones", "sj@x.org"))


def test_a_code_the_owner_set_can_be_written_in_a_lead_cell() -> None:
    register = build_register(["Sarah", "Director"], (Lead("Sarah", "Sarah Jones"),))
    assert register.codes_for("Sarah") == ("Sarah",)


def test_a_lead_the_register_lacks_is_coded_clear_of_it() -> None:
    register = build_register(["Sarah Jones"])
    assert register.codes_for("Simon Jenkins; GT") == ("SJ2", "GT")
    assert register.codes_for("") == ()


def test_the_plan_register_codes_items_across_the_plan() -> None:
    items = tuple(
        Item(ref=f"A-{n}", section="", finding=(), actions=(), lead=lead)
        for n, lead in enumerate(["Sarah Jones", "Simon Jenkins / GT", "L21 / L10"], 1)
    )
    plan = Plan(title="t", items=items, leads=(Lead("GT", "Gill Taylor"),))
    assert [plan.codes_of(it) for it in items] == [("SJ",), ("SJ2", "GT"), ("L21", "L10")]
    assert plan.register.leads[0] == Lead("GT", "Gill Taylor")


def test_import_builds_the_register() -> None:
    header = "Finding\tAction\tLead\tTime-scale\tUpdate\tStatus"
    rows = [
        "Finding one.\t1. Act\tSarah Jones\tMar-24\t\t",
        "Finding two.\t1. Act\tSimon Jenkins / L21 / L10\tMar-24\t\t",
        f"Finding three.\t1. Act\t{PORTFOLIO}\tMar-24\t\t",
        "Finding four.\t1. Act\tLeadership team\tMar-24\t\t",
        "Finding five.\t1. Act\tLeadership Team\tMar-24\t\t",
    ]
    plan = import_text("\n".join(["ACTION PLAN", header, *rows]), source="plan.txt")
    assert plan.leads == (
        Lead("SJ", "Sarah Jones"),
        Lead("SJ2", "Simon Jenkins"),
        Lead("L21"),
        Lead("L10"),
        Lead("PHEDUERI", PORTFOLIO),
        Lead("LT", "Leadership Team"),
    )


def test_seed_codes_unchanged(seed: Plan) -> None:
    assert [plan_codes for plan_codes in map(seed.codes_of, seed.items)] == [
        it.lead_codes for it in seed.items
    ]
    assert seed.register.leads == seed.leads


# --- Properties -----------------------------------------------------------------------------

_FIRST = st.sampled_from(["Sarah", "Simon", "Samuel", "Sandra", "Gillian", "Graham", "Lesley"])
_SURNAME = st.sampled_from(["Jones", "Jenkins", "Johnson", "Taylor", "Thomas", "Hughes", "Jarvis"])
_ROLE = st.sampled_from(
    [
        "Leadership Team",
        "Head of Service",
        "Director of Children's Services",
        "Chair Corporate Parenting Board",
        "Children's Services Committee",
        "Lead Team",
        PORTFOLIO,
    ]
)
NAMES = st.one_of(st.builds(lambda f, s: f"{f} {s}", _FIRST, _SURNAME), _ROLE)
CODES = st.sampled_from(["SJ", "SJ2", "GT", "JoR", "HoS2", "L21", "LT", "HS"])
TEXTS = st.lists(st.one_of(NAMES, CODES), min_size=1, max_size=4).flatmap(
    lambda leads: st.sampled_from([" / ", "; ", "\n"]).map(lambda sep: sep.join(leads))
)


def _variant(name: str, how: int) -> str:
    cased = [name, name.upper(), name.lower(), name.swapcase(), name.title()][how % 5]
    return ("  " if how % 2 else "") + "  ".join(cased.split()) + ("." if how % 3 == 0 else "")


@given(st.lists(NAMES, min_size=1, max_size=12))
def test_distinct_names_never_share_a_code(names: list[str]) -> None:
    register = build_register(names)
    codes = {lead_key(n): register.codes_for(n) for n in names}
    assert all(len(c) == 1 for c in codes.values())
    assert len({c[0].casefold() for c in codes.values()}) == len(codes)


@given(NAMES, st.lists(st.integers(0, 30), min_size=1, max_size=5), st.lists(TEXTS, max_size=5))
def test_the_same_name_written_differently_is_one_lead(
    name: str, hows: list[int], others: list[str]
) -> None:
    variants = [_variant(name, how) for how in hows]
    register = build_register([*others, *variants])
    assert {register.codes_for(v) for v in variants} == {register.codes_for(name)}
    assert len(register.codes_for(name)) == 1
    assert lead_codes(variants[0]) == lead_codes(name)


@given(st.lists(TEXTS, max_size=8), st.lists(TEXTS, max_size=4))
def test_codes_are_unique_and_every_text_is_coded_by_the_register(
    texts: list[str], owner_texts: list[str]
) -> None:
    owner = build_register(owner_texts).leads
    register = build_register(texts, owner)
    codes = [lead.code.casefold() for lead in register.leads]
    assert len(codes) == len(set(codes))
    assert register.leads[: len(owner)] == owner
    for text in texts:
        got = register.codes_for(text)
        assert got == build_register(texts, owner).codes_for(text)
        assert all(register.lead(code) is not None for code in got)


@given(st.lists(TEXTS, min_size=1, max_size=8), st.randoms(use_true_random=False))
def test_codes_do_not_depend_on_the_order_of_the_texts(
    texts: list[str], rnd: random.Random
) -> None:
    shuffled = list(texts)
    rnd.shuffle(shuffled)
    one, other = build_register(texts), build_register(shuffled)
    assert set(one.leads) == set(other.leads)
    assert all(one.codes_for(t) == other.codes_for(t) for t in texts)


@given(st.lists(TEXTS, min_size=1, max_size=8), st.lists(TEXTS, max_size=3))
def test_a_second_import_keeps_the_first_ones_codes(texts: list[str], more: list[str]) -> None:
    first = build_register(texts)
    again = build_register([*more, *texts], first.leads)
    assert again.leads[: len(first.leads)] == first.leads
    assert all(again.codes_for(t) == first.codes_for(t) for t in texts)


@given(NAMES)
def test_a_name_is_coded_by_its_words(name: str) -> None:
    assert build_register([name]).codes_for(name) == (role_code(name),)


@given(st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=80))
def test_any_text_reads_as_leads_with_their_own_codes(text: str) -> None:
    found = parse_leads(text)
    assert len({code.casefold() for code, _ in found}) == len(found)
    assert all(code.strip() for code, _ in found)


# --- importing again over a master keeps the owner's Leads sheet ------------------------------


def test_the_owners_leads_are_kept_when_a_plan_is_imported_again() -> None:
    owner = (
        Lead("DM", "Dana Mills", "dana.mills@example.org"),
        Lead("LTM", "Leadership Team", "lt@example.org"),
        Lead("OLD", "Someone Gone", ""),
    )
    texts = ["DM/PL", "leadership team", "Priya Patel"]
    leads, note = keep_owner_leads(texts, owner)
    assert leads[:3] == owner  # as the owner set them, first
    assert [lead.code for lead in leads[3:]] == ["PL", "PP"]
    register = build_register(texts, leads)
    assert register.codes_for("leadership team") == ("LTM",)  # the owner's code for the name
    assert register.codes_for("DM") == ("DM",)
    assert "kept the 3 leads (codes, names and emails)" in note and "2 new leads added" in note
    assert "no item names OLD now" in note
    assert keep_owner_leads(texts, ()) == (build_register(texts).leads, "")


def test_import_force_over_a_master_keeps_its_leads_sheet(tmp_path: Path) -> None:
    """The owner sets a name, an email and a code of their own on `Leads`; importing the
    document again over that master (--force) keeps them, and the items are coded by them."""
    from click.testing import CliRunner
    from openpyxl import load_workbook

    from actionplan.cli import cli
    from workbook.master.read import read_master
    from workbook.master.sheets import SHEET_LEADS

    source = tmp_path / "tracker.txt"
    source.write_text(TRACKER, encoding="utf-8")
    master = tmp_path / "master.xlsx"
    runner = CliRunner()
    first = runner.invoke(cli, ["import", str(source), "-o", str(master)])
    assert first.exit_code == 0, first.output
    wb = load_workbook(master)
    ws = wb[SHEET_LEADS]
    for row in ws.iter_rows(min_row=2):
        if row[0].value == "DM":
            row[1].value, row[2].value = "Dana Mills", "dana.mills@example.org"
        if row[1].value == "Leadership Team":
            row[0].value = "LTM"
    wb.save(master)
    again = runner.invoke(cli, ["import", str(source), "-o", str(master), "--force"])
    assert again.exit_code == 0, again.output
    assert "note: kept the 3 leads (codes, names and emails) on the Leads sheet" in again.output
    plan = read_master(master)
    by_code = {lead.code: lead for lead in plan.leads}
    assert by_code["DM"] == Lead("DM", "Dana Mills", "dana.mills@example.org")
    assert "LT" not in by_code and by_code["LTM"].name == "Leadership Team"
    assert plan.codes_of(plan.items[1]) == ("LTM",)
    # a file that is no master is replaced as before, nothing read from it
    other = tmp_path / "other.xlsx"
    other.write_bytes(b"not a workbook")
    fresh = runner.invoke(cli, ["import", str(source), "-o", str(other), "--force"])
    assert fresh.exit_code == 0, fresh.output
    assert "kept the" not in fresh.output
