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

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from workbook.errors import PlanImportError
from workbook.importers.html import Paragraph
from workbook.importers.roles import ROLES, ColumnRoles, find_roles
from workbook.plan.actions import split_numbered, starts_numbered
from workbook.plan.leads import build_register
from workbook.plan.model import OTHER_ROLE, Item, Lead, Plan, Run, normalise_runs, plan_year
from workbook.plan.status import DEFAULT_KEY, RagKey, colour_code, parse_key
from workbook.plan.timescales import MONTH_YEAR, read_timescale
from workbook.plan.updates import labelled_entries, parse_updates

Cell = tuple[Paragraph, ...]
#: The roles the rows are assembled from, in this order (see `workbook.importers.roles`).
ROW_ROLES = ("finding", "actions", "lead", "timescale", "update", "status")
N_CELLS = len(ROW_ROLES)


@dataclass(frozen=True)
class RawRow:
    """One table row as read: its cells of paragraphs, one per header column, in the table's
    order; `line` says where it was in the source."""

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
    #: the table's column titles as the document writes them; a row's cells follow them
    header: tuple[str, ...] = ()


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
    ref: list[str] = field(default_factory=list)
    extra: dict[int, list[str]] = field(default_factory=dict)
    #: the text of each of several update columns (termly updates), by the column's title
    labelled: dict[str, list[str]] = field(default_factory=dict)

    def finding_text(self) -> str:
        return "\n".join("".join(r.text for r in p) for p in self.finding)


_SENTENCE_END = re.compile(r"""[.!?:;)\]"'\u201d\u2019]\s*$""")
_KEY_LINES = {f"{r.code} {r.meaning}".upper() for r in DEFAULT_KEY}
_STOPWORDS = {"a", "an", "and", "of", "the", "to", "for", "in", "on", "through", "by", "with"}


def cell_text(cell: Cell, sep: str = " ") -> str:
    return sep.join("".join(r.text for r in p) for p in cell).strip()


def assemble_plan(doc: RawDocument, mapping: Mapping[str, str] | None = None) -> Plan:
    """The plan a document's rows describe, its columns found by their titles (`mapping`, from
    `--map`, settles what the titles do not); raises PlanImportError when they describe none."""
    title, date_label, organisation = _title_block(doc.title_lines)
    key = document_key(doc)
    header = doc.header
    firsts = [cell_text(r.cells[0]) if r.cells else "" for r in doc.rows if isinstance(r, RawRow)]
    found = find_roles(header, mapping=mapping, source=doc.source, first_column_values=firsts)
    placed = [_placed(r, found) if isinstance(r, RawRow) else r for r in doc.rows]
    plan = _assemble(doc, placed, title, date_label, organisation, key)
    others = tuple(t for _, t in found.others)
    return dataclasses.replace(
        plan,
        rag_key=key,
        column_titles=tuple((role, found.title(role)) for role in ROLES if role in found.roles),
        extra_titles=others,
        column_order=document_order(found),
    )


def document_order(found: ColumnRoles) -> tuple[str, ...]:
    """The document's columns in its order: the role of each it has one for, OTHER_ROLE for
    each of its own other columns (the plan sheet lays them out in this order)."""
    at = [(i, role) for role, i in found.roles.items() if role != "ref"]  # Ref always comes first
    at.extend((i, OTHER_ROLE) for i, _ in found.others)
    return tuple(role for _, role in sorted(at))


@dataclass(frozen=True)
class _Placed:
    """A table row with its cells put under their roles: the six the plan is built from, the
    ref (when the document numbers its items) and the document's own other columns."""

    line: int
    cells: tuple[Cell, ...]
    ref: Cell = ()
    extra: tuple[Cell, ...] = ()
    #: each of several update columns' cell (termly updates), with its title, in table order
    labelled: tuple[tuple[str, Cell], ...] = ()


def _placed(row: RawRow, found: ColumnRoles) -> _Placed:
    def cell(i: int | None) -> Cell:
        return row.cells[i] if i is not None and i < len(row.cells) else ()

    cells = tuple(cell(found.roles.get(role)) for role in ROW_ROLES)
    extra = tuple(cell(i) for i, _ in found.others)
    labelled = tuple((" ".join(found.titles[i].split()), cell(i)) for i in found.updates)
    ref = cell(found.roles.get("ref"))
    # a row with text in one cell only, wherever it is (a merged heading row lands in the first
    # column), is read as a heading in the finding's place
    filled = [c for c in row.cells if cell_text(c)]
    if len(filled) == 1 and not cell_text(cells[0]) and not any(cell_text(c) for c in cells):
        cells = (filled[0], *cells[1:])
        ref, extra = (), tuple(() for _ in extra)
        labelled = tuple((title, ()) for title, _ in labelled)
    return _Placed(row.line, cells, ref, extra, labelled)


def _assemble(
    doc: RawDocument,
    rows: list[_Placed | RawText],
    title: str,
    date_label: str,
    organisation: str,
    key: RagKey,
) -> Plan:
    drafts: list[_Draft] = []
    sections: list[str] = []
    strays: list[RawText] = []
    section = ""
    for row in rows:
        if isinstance(row, RawText):
            strays.append(row)
            continue
        cells = tuple(row.cells) + ((),) * (N_CELLS - len(row.cells))
        first, rest = cells[0], cells[1:]
        has_rest = any(
            cell_text(c) for c in (*rest, row.ref, *row.extra, *(c for _, c in row.labelled))
        )
        if not cell_text(first) and not has_rest:
            continue
        prev = drafts[-1] if drafts else None
        if not cell_text(first):
            if prev is None:
                raise PlanImportError(
                    f"{doc.source}, line {row.line}: a table row with an empty first column comes "
                    "before any finding; put its text in the row it belongs to and import again"
                )
            _append(prev, rest, row)
        elif prev is not None and not cell_text(row.ref) and _continues(prev, cells):
            _join_finding(prev, first)
            _append(prev, rest, row)
        elif not has_rest:
            section = cell_text(first)
            if section not in sections:
                sections.append(section)
        else:
            draft = _Draft(line=row.line, section=section, finding=[list(p) for p in first])
            _append(draft, rest, row)
            drafts.append(draft)
    if not drafts:
        raise PlanImportError(
            f"{doc.source}: the plan table has a header but no findings under it; "
            "check this is the whole plan document"
        )
    if "" in {d.section for d in drafts} and "" not in sections:
        sections.insert(0, "")
    year = plan_year(date_label)
    items = tuple(dataclasses.replace(it, year=year) for it in _items(drafts, sections, key))
    titles = next((tuple(t for t, _ in r.labelled) for r in rows if isinstance(r, _Placed)), ())
    if titles:
        pairs = zip(items, drafts, strict=True)
        items = tuple(_with_labelled_updates(it, d, titles, year) for it, d in pairs)
    notes = [_stray_note(s, items) for s in strays]
    if titles:
        notes.append(_labelled_note(titles))
    if note := _year_note(items, year):
        notes.append(note)
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


#: How many items a note lists by ref before it sums the rest up.
NOTE_REFS_SHOWN = 8


def _year_note(items: tuple[Item, ...], year: int | None) -> str:
    """A note naming the items whose time-scale names no year and is read in the plan's year
    ("Summer term" -> 31 Jul 2023), so the owner can check each; "" when there are none."""
    if year is None:
        return ""
    assumed = [
        (it.ref, it.timescale, read.due)
        for it in items
        if (read := read_timescale(it.timescale, year=year)) is not None and read.year_assumed
    ]
    if not assumed:
        return ""
    shown = "; ".join(
        f"{ref} '{text}' -> {due:%d %b %Y}" for ref, text, due in assumed[:NOTE_REFS_SHOWN]
    )
    more = f"; and {len(assumed) - NOTE_REFS_SHOWN} more" if len(assumed) > NOTE_REFS_SHOWN else ""
    return (
        f"{len(assumed)} time-scale{'s' if len(assumed) > 1 else ''} name no year and "
        f"{'are' if len(assumed) > 1 else 'is'} read in the plan's year ({year}): {shown}{more}; "
        "write the year in the Time-scale cell where another is meant"
    )


def _labelled_note(titles: tuple[str, ...]) -> str:
    """The note saying how several update columns were read."""
    shown = ", ".join(repr(t) for t in titles)
    return (
        f"{len(titles)} update columns ({shown}): each filled cell is an update of its own, "
        "labelled by its column's title, the rightmost (newest) first, in the master's one "
        "Update column"
    )


def _with_labelled_updates(
    item: Item, draft: _Draft, titles: tuple[str, ...], year: int | None
) -> Item:
    """The item with an update entry for each filled cell of its several update columns (see
    `labelled_entries`), above any entries of its own."""
    texts = [(t, "\n".join(draft.labelled.get(t, ()))) for t in titles]
    return dataclasses.replace(item, updates=(*labelled_entries(texts, year), *item.updates))


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


def _append(draft: _Draft, rest: tuple[Cell, ...], row: _Placed) -> None:
    actions, lead, timescale, update, status = rest[:5]
    if text := cell_text(row.ref):
        draft.ref.append(text)
    for i, cell in enumerate(row.extra):
        if text := cell_text(cell, "\n"):
            draft.extra.setdefault(i, []).append(text)
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
    for title, cell in row.labelled:
        if text := cell_text(cell, "\n"):
            draft.labelled.setdefault(title, []).append(text)


def _items(drafts: list[_Draft], sections: list[str], key: RagKey) -> tuple[Item, ...]:
    """The items, each with the document's own ref when it numbers its items (kept unless two
    items would share one), else a ref made from its section ("WNI-01")."""
    prefixes = section_prefixes(sections)
    counters: dict[str, int] = {}
    own = [" ".join(" ".join(d.ref).split()) for d in drafts]
    seen: set[str] = set()
    usable = []
    for ref in own:
        usable.append(bool(ref) and ref.casefold() not in seen)
        seen.add(ref.casefold())
    items = []
    for d, ref, ok in zip(drafts, own, usable, strict=True):
        prefix = prefixes[d.section]
        counters[prefix] = counters.get(prefix, 0) + 1
        if d.numbered_actions:
            actions = split_numbered(" ".join(d.actions))
        else:
            actions = tuple(a for a in "\n".join(d.actions).split("\n") if a.strip())
        status = " ".join(d.status).strip()
        items.append(
            Item(
                ref=ref if ok else f"{prefix}-{counters[prefix]:02d}",
                section=d.section,
                finding=_finding_runs(d.finding),
                actions=actions,
                lead=" ".join(d.lead).strip(),
                timescale=" ".join(d.timescale).strip(),
                updates=parse_updates("\n".join(d.update)),
                status=status.upper() if status.upper() in key.codes else status,
                extra=tuple(sorted((i, "\n".join(t)) for i, t in d.extra.items())),
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
                f"of {it.ref} (a page heading): '{short}'"
            )
    return (
        f"line {stray.line}: text outside the table, not part of any item, kept here "
        f"for you to place: '{stray.text}'"
    )


def document_key(doc: RawDocument) -> RagKey:
    """The document's own RAG key, from its key paragraphs or key table (above the plan table,
    or text outside it); the four-colour default when it gives none. A key that says what the
    default says is the default itself."""
    lines = [*doc.title_lines, *(r.text for r in doc.rows if isinstance(r, RawText))]
    found = parse_key([part for line in lines for part in line.split("\n")])
    if found is None:
        return DEFAULT_KEY
    same = [(s.code, " ".join(s.meaning.split()).casefold()) for s in found]
    default = [(s.code, " ".join(s.meaning.split()).casefold()) for s in DEFAULT_KEY]
    return DEFAULT_KEY if same == default else found


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
        first = re.split(r"[\s:\-\u2013\u2014|]+", line, maxsplit=1)[0]
        entry = re.match(r"(\w+)\s*[:\-\u2013\u2014|]\s*\S", line)  # "Green: achieved"
        if (in_key and colour_code(first)) or upper in _KEY_LINES:
            continue
        if entry and colour_code(entry[1]):
            continue
        if not title:
            title = line
        elif not date_label and MONTH_YEAR.fullmatch(line):
            date_label = line
        else:
            org.append(line)
    return title or "Action plan", date_label, " ".join(org)
