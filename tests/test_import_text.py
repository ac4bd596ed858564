"""The real seed export imported: what the March 2023 document says must come through whole."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter

import pytest

from workbook.errors import PlanImportError
from workbook.importers.text import decode, import_text
from workbook.plan.model import Plan, Run

SECTIONS = (
    "What needs to improve",
    "Early Help and Protection",
    "Care experienced young people",
    "Impact of leaders",
    "Additional improvement areas identified through the process of inspection",
)


def test_title_block(seed: Plan) -> None:
    assert seed.title == "OFSTED ACTION PLAN"
    assert seed.date_label == "March 2023"
    assert seed.organisation == "BIRMINGHAM CHILDREN'S TRUST"


def test_items_per_section(seed: Plan) -> None:
    assert seed.sections == SECTIONS
    assert [len(seed.items_in(s)) for s in SECTIONS] == [4, 10, 2, 3, 8]
    refs = [it.ref for it in seed.items]
    assert refs[:5] == ["WNI-01", "WNI-02", "WNI-03", "WNI-04", "EHP-01"]
    assert len(set(refs)) == 27


def test_continuation_row_carries_last_action(seed: Plan) -> None:
    legal = seed.item("EHP-08")
    assert legal.finding_text.startswith("Legal Permanence.")
    assert len(legal.actions) == 12
    assert legal.actions[11] == (
        "Benchmark recording expectations for Heads of Service footprint/oversight on "
        "children's records."
    )


def test_finding_cut_at_page_break_is_rejoined(seed: Plan) -> None:
    it = seed.item("CEY-01")
    assert it.finding_text == (
        "Support for care experienced adults post 21yrs. PAs have to make a case for continued "
        "support post 21yrs. Opt out would be better than current opt in approach."
    )
    assert it.actions == ("Consider as part of the Child's Journey need/demand analysis",)
    assert (it.lead, it.timescale) == ("DM / AM", "Sep-23")


def test_finding_and_first_action_both_cut_are_rejoined(seed: Plan) -> None:
    it = seed.item("IL-03")
    assert it.finding == (
        Run("Quality and impact of supervision "),
        Run(
            "Supervision is held regularly, although it is not consistently effective in "
            "progressing children's plans and addressing drift.",
            italic=True,
        ),
    )
    assert it.actions[0].endswith(
        "(Child's Journey recommendation as well as learning from inspection)"
    )
    assert len(it.actions) == 3
    assert it.actions[2].startswith("HoS to regularly dip-sample")


def test_stray_page_heading_is_not_an_item(seed: Plan) -> None:
    pwp = [it for it in seed.items if "Children placed with parents (PWP)" in it.finding_text]
    assert [it.ref for it in pwp] == ["EHP-09"]
    assert pwp[0].actions[0].startswith("Review our policy and develop our training")
    assert len(seed.notes) == 1 and "EHP-09" in seed.notes[0] and "line 42" in seed.notes[0]


def test_italic_narrative_kept_as_runs(seed: Plan) -> None:
    it = seed.item("WNI-02")
    assert it.finding[0] == Run(
        "Earlier pre-birth assessments to support early permanence planning, and timely action to "
        "progress permanence plans for children in stable placements through changes to legal "
        "status.\n"
    )
    assert len(it.finding) == 2 and it.finding[1].italic  # two italic paragraphs in one run
    assert it.finding[1].text.startswith("Senior management oversight")
    assert it.finding[1].text.endswith("at the earliest opportunity.")
    assert it.finding[1].text.count("\n") == 1
    # a plain second paragraph stays plain
    pre = seed.item("EHP-05")
    assert pre.finding[-1] == Run(
        "\nThe language used in letters to parents makes it difficult for parents to understand "
        "what needs to be done to prevent care proceedings."
    )


def test_no_markup_left(seed: Plan) -> None:
    for it in seed.items:
        for text in (it.finding_text, *it.actions, it.lead, it.timescale, it.updates_text):
            assert not re.search(r"</?[a-z]+[^>]*>|&[a-z]+;|style=", text), (it.ref, text)


def test_numbers_inside_actions_are_not_list_numbers(seed: Plan) -> None:
    assert [len(it.actions) for it in seed.items] == [
        8, 6, 3, 5, 1, 1, 2, 5, 4, 2, 4, 12, 5, 2, 1, 1, 3, 3, 3, 1, 1, 4, 2, 3, 2, 2, 2,
    ]  # fmt: skip
    assert "within 12 – 18 days of issue" in seed.item("EHP-08").actions[6]
    assert seed.item("EHP-10").actions[1] == (
        "Review of use of Reg 24 and ask the Court to make 38/6 order if not approved"
    )
    assert "post 21yrs" in seed.item("CEY-01").finding_text
    assert (
        seed.item("AIA-02").actions[0].startswith("Review and update practice standards 1 and 2 - ")
    )


def test_every_word_comes_through_once(seed: Plan, seed_source: str) -> None:
    body = seed_source.split("Status\n", 1)[1]
    stray = "Children placed with parents (PWP).\n\nFor children who are placed at home"
    start = body.index(stray)
    body = body[:start] + body[body.index("\n<p>Legal Permanence", start) :]
    words = Counter(_words(re.sub(r"<[^>]+>", " ", body)))
    for section in SECTIONS:
        words.subtract(_words(section))
    got: Counter[str] = Counter()
    for it in seed.items:
        got.update(_words(" ".join([it.finding_text, *it.actions, it.lead, it.timescale])))
        got.update(_words(" ".join(u.display for u in it.updates)))
    assert +words == +got


def _words(text: str) -> list[str]:
    # list numbers ("1.", "12.") are structure, not words; the dashes are table separators
    return [w for w in text.split() if not re.fullmatch(r"\d+\.|-+", w)]


@pytest.mark.parametrize(
    ("ref", "lead", "codes"),
    [
        ("WNI-02", "LH / JoR / GT / LJ", ("LH", "JoR", "GT", "LJ")),
        ("EHP-01", "MW RB", ("MW", "RB")),
        ("EHP-06", "1. DM 2. DM/AxB", ("DM", "AxB")),
        ("CEY-02", "Chair Corporate Parenting Board", ("CCPB",)),
        ("AIA-05", "DoP / AxB", ("DoP", "AxB")),
    ],
)
def test_leads_parsed_raw_text_kept(
    seed: Plan, ref: str, lead: str, codes: tuple[str, ...]
) -> None:
    it = seed.item(ref)
    assert it.lead == lead
    assert it.lead_codes == codes


def test_leads_register(seed: Plan) -> None:
    assert seed.lead_codes == (
        "GT", "LH", "JoR", "LJ", "DM", "AxB", "MW", "RB", "VK", "AM", "CCPB", "LYH", "DoP",
    )  # fmt: skip
    ccpb = next(lead for lead in seed.leads if lead.code == "CCPB")
    assert ccpb.name == "Chair Corporate Parenting Board"


def test_timescales(seed: Plan) -> None:
    assert (seed.item("WNI-01").timescale, seed.item("WNI-01").due) == (
        "Mar-24",
        dt.date(2024, 3, 31),
    )
    triage = seed.item("EHP-03")
    assert (triage.timescale, triage.due) == ("First audit April 2023", dt.date(2023, 4, 30))
    assert [it.ref for it in seed.items if not it.timescale] == ["EHP-01", "EHP-02"]
    assert all(it.due for it in seed.items if it.timescale)


def test_updates_dated(seed: Plan) -> None:
    (u,) = seed.item("WNI-01").updates
    assert (u.label, u.date) == ("Up-date mid May 23", dt.date(2023, 5, 15))
    assert u.text.startswith("Meeting arranged with Deputy PCC")
    (u,) = seed.item("WNI-02").updates
    assert (u.label, u.date) == ("Update mid April 23", dt.date(2023, 4, 15))
    assert "Webinar planned for 2 May 23" in u.text
    (u,) = seed.item("AIA-06").updates
    assert (u.label, u.date) == ("Update April 23", dt.date(2023, 4, 1))
    dated = [it.ref for it in seed.items if it.updates]
    assert dated == [
        "WNI-01", "WNI-02", "WNI-03", "EHP-01", "EHP-02", "EHP-03", "EHP-04", "EHP-05", "EHP-10",
        "AIA-06",
    ]  # fmt: skip
    assert all(u.date for it in seed.items for u in it.updates)


def test_statuses_blank_in_seed(seed: Plan) -> None:
    assert {it.status for it in seed.items} == {""}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "is empty"),
        (b"   \n\n", "is empty"),
        (b"Dear all,\nplease find the minutes attached.\n", "does not look like an action plan"),
        (b"\x00\x01\x02binary\x00", "is not readable text"),
        (
            b"Finding\tAction\tLead\tTime-scale\tUpdate\tStatus\nSection only\t\t\t\t\t\n",
            "no findings",
        ),
        (
            b"Findings\tAction\tLead\tTime-scale\tUpdate\tStatus\n\t1. orphan\tGT\t\t\t\n",
            "before any",
        ),
        (
            b"Findings\tAction\tLead\tTime-scale\tUpdate\tStatus\nx\ty\tz\t\t\t\tq\textra\n",
            "tab character",
        ),
    ],
)
def test_bad_input_one_clear_line(data: bytes, message: str) -> None:
    with pytest.raises(PlanImportError) as exc:
        import_text(decode(data, "plan.txt"), "plan.txt")
    assert message in str(exc.value)
    assert "\n" not in str(exc.value)


def test_windows_1252_export_is_read() -> None:
    text = (
        "Findings\tAction\tLead\tTime-scale\tUpdate\tStatus\n"
        "Driving lessons – EET\t1. Review\tGT\tJun-23\t\t\n"
    )
    plan = import_text(decode(text.encode("cp1252"), "plan.txt"))
    assert plan.items[0].finding_text == "Driving lessons – EET"


def test_stray_text_that_repeats_nothing_is_kept_as_a_note() -> None:
    text = (
        "Findings\tAction\tLead\tTime-scale\tUpdate\tStatus\nS\t\t\t\t\t\n"
        "A finding.\t1. Do it\tGT\tJun-23\t\t\nPage 3 of 9 - draft for discussion\n"
    )
    plan = import_text(text)
    assert len(plan.items) == 1
    assert plan.notes == (
        "line 4: text outside the table, not part of any item, kept here for you to place: "
        "'Page 3 of 9 - draft for discussion'",
    )


def test_rag_key_lines_without_their_heading_are_not_the_organisation() -> None:
    text = (
        "ACTION PLAN\nJune 2024\nSOMEWHERE TRUST\nGREEN On Target for delivery\nBLUE Complete\n"
        "Findings\tAction\tLead\tTime-scale\tUpdate\tStatus\nA finding.\t1. Do it\tGT\tJun-24\t\t\n"
    )
    plan = import_text(text)
    assert (plan.title, plan.date_label, plan.organisation) == (
        "ACTION PLAN",
        "June 2024",
        "SOMEWHERE TRUST",
    )
