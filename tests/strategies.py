"""Hypothesis strategies for plans, and a writer of the document's text-export format.

Generated plans are what a real document could hold: findings with an italic narrative, numbered
actions with numbers inside their text, leads by initials or role, time-scales, dated updates.
"""

from __future__ import annotations

import html

from hypothesis import strategies as st

from workbook.importers.document import section_prefixes
from workbook.plan.leads import parse_leads
from workbook.plan.model import Item, Lead, Plan, Run, UpdateEntry, normalise_runs
from workbook.plan.status import RAG_CODES
from workbook.plan.updates import entry_date

_WORDS = st.sampled_from(
    [
        "review",
        "update",
        "the",
        "strategy",
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
        "PAs",
        "&",
        "CASS/MASH",
        "children's",
        "'track'",
        "(PWP)",
        "2",
        "May",
        "23",
        "HoS",
        "café",
        "naïve",
        "=SUM(A1)",
        "+44",
        "-x",
        "@home",
        "100%",
        "<b>",
    ]
)
_CAPITAL = st.sampled_from(["Review", "Ensure", "Develop", "Improve", "Consistency", "Quality"])
INITIALS = st.sampled_from(["GT", "LH", "JoR", "LJ", "DM", "AxB", "MW", "RB", "VK", "LYH", "DoP"])
_MONTHS = st.sampled_from(
    [
        "Jan",
        "Feb",
        "Mar",
        "Apr",
        "May",
        "Jun",
        "Jul",
        "Aug",
        "Sep",
        "Oct",
        "Nov",
        "Dec",
    ]
)


def sentence(min_words: int = 1, max_words: int = 12) -> st.SearchStrategy[str]:
    # "... review 2." then "2. Next" is ambiguous in any document; real actions end in words.
    return st.builds(
        lambda first, rest, end: " ".join([first, *rest]) + ("" if rest[-1:] == ["2"] else end),
        _CAPITAL,
        st.lists(_WORDS, min_size=min_words - 1, max_size=max_words),
        st.sampled_from([".", "", "?"]),
    )


@st.composite
def findings(draw: st.DrawFn) -> tuple[Run, ...]:
    head = draw(sentence(2, 8))
    narrative = draw(st.lists(sentence(3, 15), max_size=2))
    runs = [Run(head.rstrip(".?") + ".")]
    for i, para in enumerate(narrative):
        runs.append(Run(" " if i == 0 else "\n", italic=i > 0))
        runs.append(Run(para.rstrip(".?") + ".", italic=True))
    return normalise_runs(runs)


@st.composite
def leads_text(draw: st.DrawFn) -> str:
    codes = draw(st.lists(INITIALS, min_size=1, max_size=4, unique=True))
    style = draw(st.sampled_from([" / ", " ", "/"]))
    if draw(st.integers(0, 9)) == 0:
        return "Chair Corporate Parenting Board"
    return style.join(codes)


@st.composite
def updates(draw: st.DrawFn) -> tuple[UpdateEntry, ...]:
    out = []
    for _ in range(draw(st.integers(0, 3))):
        part = draw(st.sampled_from(["mid-", "mid ", "", "early "]))
        word = draw(st.sampled_from(["Update", "Up-date"]))
        label = f"{word} {part}{draw(_MONTHS)} 2{draw(st.integers(3, 6))}"
        out.append(UpdateEntry(label=label, text=draw(sentence(1, 20)), date=entry_date(label)))
    return tuple(out)


@st.composite
def plans(draw: st.DrawFn, max_items: int = 12) -> Plan:
    names = draw(
        st.lists(
            st.sampled_from(
                ["What needs to improve", "Early Help and Protection", "Impact of leaders",
                 "Care experienced young people", "Additional areas"]
            ),
            min_size=1, max_size=4, unique=True,
        )
    )  # fmt: skip
    prefixes = section_prefixes(names)
    items: list[Item] = []
    for section in names:
        for n in range(1, draw(st.integers(1, max(1, max_items // len(names)))) + 1):
            items.append(
                Item(
                    ref=f"{prefixes[section]}-{n:02d}",
                    section=section,
                    finding=draw(findings()),
                    actions=tuple(draw(st.lists(sentence(1, 14), min_size=1, max_size=6))),
                    lead=draw(leads_text()),
                    timescale=draw(
                        st.sampled_from(["", "Mar-24", "Jun-23", "First audit April 2023"])
                    ),
                    updates=draw(updates()),
                    status=draw(st.sampled_from(["", *RAG_CODES])),
                )
            )
    found: dict[str, str] = {}
    for it in items:
        for code, name in parse_leads(it.lead):
            found.setdefault(code, name)
    return Plan(
        title="OFSTED ACTION PLAN",
        organisation="BIRMINGHAM CHILDREN'S TRUST",
        date_label="March 2023",
        sections=tuple(names),
        items=tuple(items),
        leads=tuple(Lead(c, n) for c, n in found.items()),
        source="plan.txt",
    )


def render_text_export(plan: Plan) -> str:
    """The plan in the document's text-export format (cells as HTML fragments, tab separated)."""
    lines = [plan.title, "", plan.date_label, "", plan.organisation, "", "RAG status Key:", ""]
    lines += [*(f"{s.code} {s.meaning}" for s in plan.rag_key), ""]  # the plan's whole key
    lines.append(
        "Ofsted Findings / Additional improvements identified through the process of inspection"
        "\tAction\tLead\tTime-scale\tUpdate\tStatus"
    )
    for section in plan.sections:
        lines.append(section + "\t" * 5)
        for it in plan.items_in(section):
            paras = [""]
            for r in it.finding:
                for k, chunk in enumerate(r.text.split("\n")):
                    if k:
                        paras.append("")
                    if chunk:
                        paras[-1] += (
                            f"<i>{html.escape(chunk)}</i>" if r.italic else html.escape(chunk)
                        )
            finding = " ".join(f"<p>{p}</p>" for p in paras)
            actions = " ".join(f"{n}. {html.escape(a)}" for n, a in enumerate(it.actions, 1))
            upd = " ".join(f"<p>{html.escape(u.display)}</p>" for u in it.updates)
            cells = [finding, f'<ol style="list-style-type: none"> {actions} </ol>', it.lead,
                     it.timescale, upd, it.status]  # fmt: skip
            lines.append("\t".join(cells))
    return "\n".join(lines) + "\n"
