"""Rows of a plan document's table, however they were read (text export, Word), made a Plan.

Conversions split rows across page breaks; this is where they are rejoined:

- a row whose first cell is empty carries the end of the item above (e.g. its last action);
- a row whose first cell starts in lower case, after a finding that stops mid-sentence, carries the
  rest of that finding (and maybe the rest of an action) - unless it opens a new numbered list or
  names a lead, time-scale, update or status of its own;
- a row with only a first cell is otherwise a section heading;
- text outside the table (a repeated page heading) is left out when it repeats an item's finding,
  and otherwise kept as an import note - never silently dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from workbook.errors import PlanImportError
from workbook.importers.html import Paragraph
from workbook.plan.actions import split_numbered, starts_numbered
from workbook.plan.leads import build_register
from workbook.plan.model import Item, Lead, Plan, Run, normalise_runs
from workbook.plan.status import RAG_CODES, RAG_KEY
from workbook.plan.timescales import MONTH_YEAR
from workbook.plan.updates import parse_updates

Cell = tuple[Paragraph, ...]
N_CELLS = 6  # finding, action, lead, time-scale, update, status


@dataclass(frozen=True)
class RawRow:
    """One table row as read: six cells of paragraphs; `line` says where it was in the source."""

    line: int
    cells: tuple[Cell, ...]


@dataclass(frozen=True)
class RawText:
    """Text found between table rows, outside any cell (e.g. a repeated page heading)."""

    line: int
    text: str


@dataclass(frozen=True)
class RawDocument:
    """What a reader found: lines above the table, then its rows and any stray text, in order."""

    source: str
    title_lines: tuple[str, ...]
    rows: tuple[RawRow | RawText, ...]


@dataclass
class _Draft:
    line: int
    section: str
    finding: list[list[Run]]
    actions: list[str] = field(default_factory=list)
    lead: list[str] = field(default_factory=list)
    timescale: list[str] = field(default_factory=list)
    update: list[str] = field(default_factory=list)
    status: list[str] = field(default_factory=list)
    numbered_actions: bool = False

    def finding_text(self) -> str:
        return "\n".join("".join(r.text for r in p) for p in self.finding)


_SENTENCE_END = re.compile(r"""[.!?:;)\]"'\u201d\u2019]\s*$""")
_KEY_LINES = {f"{r.code} {r.meaning}".upper() for r in RAG_KEY}
_STOPWORDS = {"a", "an", "and", "of", "the", "to", "for", "in", "on", "through", "by", "with"}


def cell_text(cell: Cell, sep: str = " ") -> str:
    return sep.join("".join(r.text for r in p) for p in cell).strip()


def assemble_plan(doc: RawDocument) -> Plan:
    """The plan a document's rows describe; raises PlanImportError when they describe none."""
    title, date_label, organisation = _title_block(doc.title_lines)
    drafts: list[_Draft] = []
    sections: list[str] = []
    strays: list[RawText] = []
    section = ""
    for row in doc.rows:
        if isinstance(row, RawText):
            strays.append(row)
            continue
        cells = tuple(row.cells) + ((),) * (N_CELLS - len(row.cells))
        first, rest = cells[0], cells[1:]
        has_rest = any(cell_text(c) for c in rest)
        if not cell_text(first) and not has_rest:
            continue
        prev = drafts[-1] if drafts else None
        if not cell_text(first):
            if prev is None:
                raise PlanImportError(
                    f"{doc.source}, line {row.line}: a table row with an empty first column comes "
                    "before any finding; put its text in the row it belongs to and import again"
                )
            _append(prev, rest)
        elif prev is not None and _continues(prev, cells):
            _join_finding(prev, first)
            _append(prev, rest)
        elif not has_rest:
            section = cell_text(first)
            if section not in sections:
                sections.append(section)
        else:
            draft = _Draft(line=row.line, section=section, finding=[list(p) for p in first])
            _append(draft, rest)
            drafts.append(draft)
    if not drafts:
        raise PlanImportError(
            f"{doc.source}: the plan table has a header but no findings under it; "
            "check this is the whole plan document"
        )
    if "" in {d.section for d in drafts} and "" not in sections:
        sections.insert(0, "")
    items = _items(drafts, sections)
    notes = [_stray_note(s, items) for s in strays]
    return Plan(
        title=title,
        organisation=organisation,
        date_label=date_label,
        sections=tuple(sections),
        items=items,
        leads=_leads(items),
        source=doc.source,
        notes=tuple(notes),
    )


def _continues(prev: _Draft, cells: tuple[Cell, ...]) -> bool:
    """Is this row the rest of `prev`, cut at a page break mid-finding?"""
    text = cell_text(cells[0])
    if not text or not text[0].islower():
        return False
    if _SENTENCE_END.search(prev.finding_text()):
        return False
    if starts_numbered(cell_text(cells[1])):
        return False
    return not any(cell_text(c) for c in cells[2:])


def _join_finding(draft: _Draft, cell: Cell) -> None:
    paras = [list(p) for p in cell]
    if not paras:
        return
    last = draft.finding[-1]
    draft.finding[-1] = list(normalise_runs([*last, Run(" ", last[-1].italic), *paras[0]]))
    draft.finding.extend(paras[1:])


def _append(draft: _Draft, rest: tuple[Cell, ...]) -> None:
    actions, lead, timescale, update, status = rest[:5]
    if text := cell_text(actions):
        if not draft.actions:
            draft.numbered_actions = starts_numbered(text)
        sep = " " if draft.numbered_actions else "\n"
        draft.actions.append(text if draft.numbered_actions else cell_text(actions, sep))
    for parts, cell, sep in (
        (draft.lead, lead, " "),
        (draft.timescale, timescale, " "),
        (draft.update, update, "\n"),
        (draft.status, status, " "),
    ):
        if text := cell_text(cell, sep):
            parts.append(text)


def _items(drafts: list[_Draft], sections: list[str]) -> tuple[Item, ...]:
    prefixes = section_prefixes(sections)
    counters: dict[str, int] = {}
    items = []
    for d in drafts:
        prefix = prefixes[d.section]
        counters[prefix] = counters.get(prefix, 0) + 1
        if d.numbered_actions:
            actions = split_numbered(" ".join(d.actions))
        else:
            actions = tuple(a for a in "\n".join(d.actions).split("\n") if a.strip())
        status = " ".join(d.status).strip()
        items.append(
            Item(
                ref=f"{prefix}-{counters[prefix]:02d}",
                section=d.section,
                finding=_finding_runs(d.finding),
                actions=actions,
                lead=" ".join(d.lead).strip(),
                timescale=" ".join(d.timescale).strip(),
                updates=parse_updates("\n".join(d.update)),
                status=status.upper() if status.upper() in RAG_CODES else status,
            )
        )
    return tuple(items)


def _finding_runs(paragraphs: list[list[Run]]) -> tuple[Run, ...]:
    runs: list[Run] = []
    for i, p in enumerate(paragraphs):
        if i and p:
            # the break takes the look of the text around it, so italic paragraphs stay one run
            runs.append(Run("\n", bool(runs) and runs[-1].italic and p[0].italic))
        runs.extend(p)
    return normalise_runs(runs)


def section_prefixes(sections: list[str] | tuple[str, ...]) -> dict[str, str]:
    """A short unique ref prefix per section: initials of its main words ("What needs to improve"
    -> WNI, "Early Help and Protection" -> EHP)."""
    out: dict[str, str] = {}
    used: set[str] = set()
    for s in sections:
        words = [w for w in re.findall(r"[A-Za-z0-9]+", s) if w.lower() not in _STOPWORDS]
        base = "".join(w[0] for w in words[:3]).upper() or "ITEM"
        prefix, n = base, 2
        while prefix in used:
            prefix, n = f"{base}{n}", n + 1
        used.add(prefix)
        out[s] = prefix
    return out


def _leads(items: tuple[Item, ...]) -> tuple[Lead, ...]:
    """One lead per person or role the items name, first named first, no code shared (SJ, SJ2)."""
    return build_register(it.lead for it in items).leads


def _squash(text: str) -> str:
    return " ".join(text.split()).casefold()


def _stray_note(stray: RawText, items: tuple[Item, ...]) -> str:
    text = _squash(stray.text)
    short = stray.text if len(stray.text) <= 60 else stray.text[:57].rstrip() + "..."
    for it in items:
        if text and text in _squash(it.finding_text):
            return (
                f"line {stray.line}: left out text outside the table that repeats the finding "
                f"of {it.ref} (a page heading): {short!r}"
            )
    return (
        f"line {stray.line}: text outside the table, not part of any item, kept here "
        f"for you to place: {stray.text!r}"
    )


def _title_block(lines: tuple[str, ...]) -> tuple[str, str, str]:
    """Title, date and organisation from the lines above the table (the RAG key lines skipped)."""
    kept = [" ".join(line.split()) for line in lines if line.strip()]
    title, date_label, org = "", "", []
    in_key = False
    for line in kept:
        upper = line.upper()
        if upper.startswith("RAG") and "KEY" in upper:
            in_key = True
            continue
        if (in_key and upper.split(" ", 1)[0] in RAG_CODES) or upper in _KEY_LINES:
            continue
        if not title:
            title = line
        elif not date_label and MONTH_YEAR.fullmatch(line):
            date_label = line
        else:
            org.append(line)
    return title or "Action plan", date_label, " ".join(org)
