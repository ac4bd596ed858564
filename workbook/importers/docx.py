"""A plan kept as a Word .docx: the paragraphs (and small tables, such as the RAG key) above the
plan table, then the plan table's rows as six cells of paragraphs of runs, for the shared assembler.

The table is read from its XML rather than through python-docx's `row.cells`, because that repeats
a horizontally merged cell once per grid column and hands a vertically merged continuation cell
the text of the cell above - both of which would put one cell's words into an item twice.

List numbers are not text in a .docx: Word draws them from the numbering definitions. They are
written into the text here the way Word shows them, so the assembler sees "1. ... 2. ..." exactly
as in a text export of the same document - including a list that carries on ("12. ...") in the
row below, where a page break split an item in two.
"""

from __future__ import annotations

import io
import zipfile
from bisect import bisect_right
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workbook.errors import PlanImportError
from workbook.importers.document import Cell, RawDocument, RawRow, RawText, assemble_plan
from workbook.importers.html import Paragraph, tidy_paragraph
from workbook.importers.text import is_header
from workbook.plan.model import Plan, Run

# Parsed lxml elements; typed loosely so lxml (pulled in by python-docx) is imported only when a
# .docx is actually read.
Element = Any

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .doc, and any password-protected Office file
_FALSE = {"0", "false", "off"}
# Containers that wrap body content, rows or cells without changing what they hold (content
# controls, custom XML, smart tags); their children are read as if they stood in their place.
_WRAPPERS = {f"{_W}sdt", f"{_W}sdtContent", f"{_W}customXml", f"{_W}smartTag"}
# Run content that is not shown (deleted or moved-away text under tracked changes).
_HIDDEN = {f"{_W}del", f"{_W}moveFrom"}


def import_docx_file(path: Path, mapping: Mapping[str, str] | None = None) -> Plan:
    """The plan held in a Word .docx."""
    return assemble_plan(read_docx_document(path), mapping)


def read_docx_document(path: Path) -> RawDocument:
    """The lines above the plan table and its rows (no interpretation of the rows yet)."""
    document = _open(path)
    reader = _Reader(path.name, _Styles(document), _numbering_root(document))
    return reader.read(document.element)


# --- Opening the file ---------------------------------------------------------------------------


def _open(path: Path) -> Any:
    source = path.name
    data = path.read_bytes()
    if not data:
        raise PlanImportError(
            f"{source} is empty (0 bytes); save the plan from Word as .docx (Word Document) "
            "and try again"
        )
    if data.startswith(_OLE_MAGIC):
        # Word encrypts a password-protected .docx into an OLE container, the same wrapper an
        # old binary .doc uses; from outside the two cannot be told apart without the password.
        raise PlanImportError(
            f"{source} is password-protected or an old .doc; open it in Word, remove the "
            "password (File > Info > Protect Document) and save it as .docx (Word Document), "
            "then try again"
        )
    not_docx = PlanImportError(
        f"{source} is not a Word .docx file; save it from Word as .docx (Word Document) "
        "and try again"
    )
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise not_docx
    import docx
    from docx.opc.exceptions import PackageNotFoundError
    from lxml import etree

    try:
        document = docx.Document(io.BytesIO(data))
    except (
        KeyError,  # a zip without the parts a Word package needs
        ValueError,  # another Office package (.xlsx, .pptx, .docm) renamed .docx
        zipfile.BadZipFile,
        PackageNotFoundError,
        etree.XMLSyntaxError,
    ) as err:
        raise not_docx from err
    if document.element.tag != f"{_W}document":
        # "Strict Open XML" documents use other namespaces, which nothing here would find.
        raise not_docx
    return document


def _numbering_root(document: Any) -> Element | None:
    from docx.opc.constants import RELATIONSHIP_TYPE as RT

    # Not document.part.numbering_part: python-docx 1.2 raises NotImplementedError from that
    # property when the document has no numbering part.
    try:
        return document.part.part_related_by(RT.NUMBERING).element
    except KeyError:
        return None


# --- Small XML helpers ------------------------------------------------------------------------


def _val(el: Element | None, attr: str = "val") -> str | None:
    return None if el is None else el.get(f"{_W}{attr}")


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _on(el: Element | None) -> bool | None:
    """A toggle property such as <w:i/>: absent None, <w:i w:val="0"/> False, else True."""
    if el is None:
        return None
    return (_val(el) or "true").lower() not in _FALSE


def _children(el: Element, *tags: str) -> Iterator[Element]:
    """Children with the given tags, looking through content controls and similar wrappers."""
    wanted = {f"{_W}{t}" for t in tags}
    for child in el:
        if child.tag in wanted:
            yield child
        elif child.tag in _WRAPPERS:
            yield from _children(child, *tags)


# --- Styles: italic and list numbering that come from a style, not from the text itself ---------


class _Styles:
    def __init__(self, document: Any) -> None:
        root = document.styles.element
        self._by_id: dict[tuple[str, str], Element] = {}
        self.default: dict[str, str] = {}
        for style in root.iterchildren(f"{_W}style"):
            kind, style_id = style.get(f"{_W}type", "paragraph"), style.get(f"{_W}styleId")
            if style_id is None:
                continue
            self._by_id[(kind, style_id)] = style
            if (style.get(f"{_W}default") or "").lower() in ("1", "true", "on"):
                self.default[kind] = style_id
        self.default_italic = _on(root.find(f"{_W}docDefaults/{_W}rPrDefault/{_W}rPr/{_W}i"))
        self._italic: dict[tuple[str, str | None], bool | None] = {}

    def _chain(self, kind: str, style_id: str | None) -> Iterator[Element]:
        seen: set[str] = set()
        while style_id is not None and style_id not in seen:
            seen.add(style_id)
            style = self._by_id.get((kind, style_id))
            if style is None:
                return
            yield style
            style_id = _val(style.find(f"{_W}basedOn"))

    def italic(self, kind: str, style_id: str | None) -> bool | None:
        key = (kind, style_id)
        if key not in self._italic:
            found = (_on(s.find(f"{_W}rPr/{_W}i")) for s in self._chain(kind, style_id))
            self._italic[key] = next((f for f in found if f is not None), None)
        return self._italic[key]

    def num_pr(
        self, style_id: str | None, kind: str = "paragraph"
    ) -> tuple[int | None, int | None] | None:
        """(numId, ilvl) a paragraph (or numbering) style gives, or None when it gives none."""
        for style in self._chain(kind, style_id):
            num_pr = style.find(f"{_W}pPr/{_W}numPr")
            if num_pr is not None and num_pr.find(f"{_W}numId") is not None:
                return _int(_val(num_pr.find(f"{_W}numId"))), _int(_val(num_pr.find(f"{_W}ilvl")))
        return None


# --- List numbering, counted the way Word counts it ---------------------------------------------


@dataclass(frozen=True)
class _Level:
    start: int = 1
    fmt: str = "decimal"
    text: str = ""
    style: str | None = None


@dataclass
class _Numbering:
    """Word keeps one running count per abstract list definition, shared by every list instance
    (w:num) that uses it; an instance that overrides a level's start restarts the count the first
    time it is used. So a list "Restart at 1" in each cell starts at 1 in each cell, and a list
    that carries on in the row below goes on counting."""

    levels: dict[str, dict[int, _Level]] = field(default_factory=dict)
    nums: dict[int, tuple[str, dict[int, int]]] = field(default_factory=dict)
    counts: dict[str, dict[int, int]] = field(default_factory=dict)
    used: set[tuple[int, int]] = field(default_factory=set)

    @classmethod
    def read(cls, root: Element | None, styles: _Styles) -> _Numbering:
        numbering = cls()
        if root is None:
            return numbering
        links: dict[str, str] = {}
        for abstract in root.iterchildren(f"{_W}abstractNum"):
            abstract_id = abstract.get(f"{_W}abstractNumId")
            numbering.levels[abstract_id] = {
                _int(lvl.get(f"{_W}ilvl")) or 0: _Level(
                    start=_int(_val(lvl.find(f"{_W}start"))) or 0,
                    fmt=_val(lvl.find(f"{_W}numFmt")) or "decimal",
                    text=_val(lvl.find(f"{_W}lvlText")) or "",
                    style=_val(lvl.find(f"{_W}pStyle")),
                )
                for lvl in abstract.iterchildren(f"{_W}lvl")
            }
            if (link := _val(abstract.find(f"{_W}numStyleLink"))) is not None:
                links[abstract_id] = link
        for num in root.iterchildren(f"{_W}num"):
            num_id = _int(num.get(f"{_W}numId"))
            if num_id is None:
                continue
            starts: dict[int, int] = {}
            for override in num.iterchildren(f"{_W}lvlOverride"):
                start = _val(override.find(f"{_W}startOverride"))
                start = start if start is not None else _val(override.find(f"{_W}lvl/{_W}start"))
                if (value := _int(start)) is not None:
                    starts[_int(override.get(f"{_W}ilvl")) or 0] = value
            numbering.nums[num_id] = (_val(num.find(f"{_W}abstractNumId")) or "", starts)
        # An abstract list that only points at a numbering style ("1 / a / i") takes its levels
        # from the list that style uses; both then count as the same list.
        for abstract_id, style_id in links.items():
            target = styles.num_pr(style_id, "numbering")
            if target and target[0] in numbering.nums:
                real = numbering.nums[target[0]][0]
                if real != abstract_id:
                    numbering.levels[abstract_id] = numbering.levels.get(real, {})
                    numbering.nums.update(
                        {n: (real, s) for n, (a, s) in numbering.nums.items() if a == abstract_id}
                    )
        return numbering

    def level_of_style(self, num_id: int, style_id: str | None) -> int:
        abstract_id = self.nums.get(num_id, ("", {}))[0]
        for ilvl, level in self.levels.get(abstract_id, {}).items():
            if style_id is not None and level.style == style_id:
                return ilvl
        return 0

    def label(self, num_id: int, ilvl: int) -> str:
        """The number Word shows before this list paragraph ("3. "), or "" for a bullet."""
        if num_id not in self.nums:
            return ""
        abstract_id, starts = self.nums[num_id]
        levels = self.levels.get(abstract_id, {})
        level = levels.get(ilvl, _Level())
        counts = self.counts.setdefault(abstract_id, {})
        if (num_id, ilvl) not in self.used and ilvl in starts:
            counts[ilvl] = starts[ilvl]
        elif ilvl in counts:
            counts[ilvl] += 1
        else:
            counts[ilvl] = level.start
        self.used.add((num_id, ilvl))
        for deeper in [k for k in counts if k > ilvl]:
            del counts[deeper]
        if level.fmt in ("bullet", "none"):
            return ""
        if ilvl == 0:
            # The assembler splits actions on "1. 2. 3."; a list drawn as "a)" or "(i)" at the
            # top level is still the item's list of actions.
            return f"{counts[0]}. "
        text = level.text or f"%{ilvl + 1}."
        for n in range(ilvl + 1):
            number = counts.get(n, levels.get(n, _Level()).start)
            text = text.replace(f"%{n + 1}", _format_number(number, levels.get(n, _Level()).fmt))
        return f"{text} "


_ROMAN = tuple(
    zip(
        (1000, 900, 500, 400, 100, 90, 50, 40, 10, 9, 5, 4, 1),
        ("m", "cm", "d", "cd", "c", "xc", "l", "xl", "x", "ix", "v", "iv", "i"),
        strict=True,
    )
)


def _format_number(n: int, fmt: str) -> str:
    if fmt in ("lowerLetter", "upperLetter"):
        # Word goes on from z with aa, bb, cc (not aa, ab, ac)
        repeat, rem = divmod(max(n, 1) - 1, 26)
        letters = chr(ord("a") + rem) * (repeat + 1)
        return letters.upper() if fmt == "upperLetter" else letters
    if fmt in ("lowerRoman", "upperRoman"):
        numerals = ""
        for value, numeral in _ROMAN:
            count, n = divmod(n, value)
            numerals += numeral * count
        return numerals.upper() if fmt == "upperRoman" else numerals
    return str(n)


# --- Reading the body -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Slot:
    """A cell as it sits in its row: first grid column, and its paragraphs."""

    start: int
    cell: Cell


class _Reader:
    def __init__(self, source: str, styles: _Styles, numbering_root: Element | None) -> None:
        self.source = source
        self.styles = styles
        self.numbering = _Numbering.read(numbering_root, styles)

    def read(self, document_element: Element) -> RawDocument:
        body = document_element.find(f"{_W}body")
        title_lines: list[str] = []
        rows: list[RawRow | RawText] = []
        found_plan = found_table = False
        # Lines are the rows of the plan table, its header being line 1; should the plan go on in
        # a second table, its rows (and any text between the tables) number on from there.
        line = 0
        stray: list[str] = []
        header: tuple[str, ...] = ()

        def flush_stray() -> None:
            nonlocal line
            if any(s.strip() for s in stray):
                line += 1
                rows.append(RawText(line, "\n".join(s for s in stray if s.strip())))
            stray.clear()

        # Every paragraph is read, in document order, even the ones left out: Word's list
        # numbers run on through the whole document.
        for block in _children(body, "p", "tbl") if body is not None else ():
            if block.tag == f"{_W}p":
                lines = [_text(p) for p in self.paragraph(block)]
                (stray if found_plan else title_lines).extend(lines)
                continue
            found_table = True
            table = self.table(block)
            header_at = next(
                (i for i, r in enumerate(table) if is_header([_cell_line(s.cell) for s in r])),
                None,
            )
            if header_at is None:
                (stray if found_plan else title_lines).extend(_row_line(r) for r in table)
                continue
            # A plan cut into several tables (a heading typed between them) carries on in each
            # table that repeats the header row.
            (stray if found_plan else title_lines).extend(_row_line(r) for r in table[:header_at])
            flush_stray()
            found_plan = True
            titles = tuple(_cell_line(s.cell) for s in table[header_at])
            header = header or titles
            starts = [s.start for s in table[header_at]][: len(header)]
            for i, row in enumerate(table[header_at + 1 :], header_at + 2):
                rows.append(RawRow(line + i, self._cells(row, starts, header, line + i)))
            line += len(table)
        flush_stray()
        if not found_plan:
            if not found_table and not any(t.strip() for t in title_lines):
                raise PlanImportError(
                    f"{self.source} is an empty Word document; open the plan document itself "
                    "and save it as .docx (Word Document), then try again"
                )
            raise PlanImportError(
                f"{self.source} has no table whose header names a finding and its actions, "
                "lead, time-scale, update or status; check this is the action plan document and "
                "that the plan table still has its header row"
            )
        return RawDocument(
            source=self.source, title_lines=tuple(title_lines), rows=tuple(rows), header=header
        )

    def _cells(
        self, row: list[_Slot], starts: list[int], header: tuple[str, ...], line: int
    ) -> tuple[Cell, ...]:
        """The row's cells under the header's columns; a cell that starts inside a header cell's
        span (a table whose rows are cut unevenly) goes into that column."""
        cells: list[list[Paragraph]] = [[] for _ in starts]
        for slot in row:
            column = max(0, bisect_right(starts, slot.start) - 1)
            if column < len(starts):
                cells[column].extend(slot.cell)
            elif slot.cell:
                raise PlanImportError(
                    f"{self.source}, table row {line}: text in a column after "
                    f"{header[-1]!r} ({_cell_line(slot.cell)[:40]!r}) but the table's header has "
                    f"{len(header)} columns; move it into one of them and import again"
                )
        return tuple(tuple(c) for c in cells)

    def table(self, tbl: Element) -> list[list[_Slot]]:
        rows: list[list[_Slot]] = []
        for tr in _children(tbl, "tr"):
            position = _int(_val(tr.find(f"{_W}trPr/{_W}gridBefore"))) or 0
            slots: list[_Slot] = []
            for tc in _children(tr, "tc"):
                tc_pr = tc.find(f"{_W}tcPr")
                span = max(1, _int(_val(_find(tc_pr, "gridSpan"))) or 1)
                # The text of a merged cell belongs to its first cell; Word does not show what
                # the cells it swallowed may still hold, so neither is it read here.
                merged_away = any(
                    (el := _find(tc_pr, tag)) is not None and (_val(el) or "continue") != "restart"
                    for tag in ("vMerge", "hMerge")
                )
                slots.append(_Slot(position, () if merged_away else self.cell(tc)))
                position += span
            rows.append(slots)
        return rows

    def cell(self, tc: Element) -> Cell:
        paragraphs: list[Paragraph] = []
        for block in _children(tc, "p", "tbl"):
            if block.tag == f"{_W}p":
                paragraphs.extend(self.paragraph(block))
            else:  # a table inside the cell: its text, cell by cell, as more paragraphs
                for row in self.table(block):
                    for slot in row:
                        paragraphs.extend(slot.cell)
        return tuple(paragraphs)

    def paragraph(self, p: Element) -> list[Paragraph]:
        """The paragraph's runs, split at line breaks the way a conversion splits at <br>, with
        its list number in front; [] when it holds no text."""
        p_pr = p.find(f"{_W}pPr")
        style_id = _val(_find(p_pr, "pStyle")) or self.styles.default.get("paragraph")
        label = self._label(p_pr, style_id)
        p_italic = self.styles.italic("paragraph", style_id)
        lines: list[list[Run]] = [[]]
        for r in _runs(p):
            r_pr = r.find(f"{_W}rPr")
            italic = _on(_find(r_pr, "i"))
            if italic is None:
                italic = self.styles.italic("character", _val(_find(r_pr, "rStyle")))
            if italic is None:
                italic = p_italic if p_italic is not None else self.styles.default_italic
            for i, part in enumerate(_run_text(r).split("\n")):
                if i:
                    lines.append([])
                lines[-1].append(Run(part, bool(italic)))
        out = [para for para in (tidy_paragraph(line) for line in lines) if para]
        if label and out:
            out[0] = tidy_paragraph((Run(label), *out[0]))
        return out

    def _label(self, p_pr: Element | None, style_id: str | None) -> str:
        num_pr = _find(p_pr, "numPr")
        num_id = _int(_val(_find(num_pr, "numId")))
        ilvl = _int(_val(_find(num_pr, "ilvl")))
        if num_id is None:
            from_style = self.styles.num_pr(style_id)
            if from_style is None:
                return ""
            num_id = from_style[0]
            if ilvl is None:
                ilvl = from_style[1]
            if ilvl is None and num_id is not None:
                ilvl = self.numbering.level_of_style(num_id, style_id)
        if not num_id:  # numId 0 is how Word takes a styled paragraph out of its list
            return ""
        return self.numbering.label(num_id, ilvl or 0)


def _find(el: Element | None, tag: str) -> Element | None:
    return None if el is None else el.find(f"{_W}{tag}")


def _runs(p: Element) -> Iterator[Element]:
    """The paragraph's runs, including those inside hyperlinks, fields, content controls and
    tracked insertions; not deleted text, nor the paragraphs of a text box drawn in it."""
    for r in p.iter(f"{_W}r"):
        parent = r.getparent()
        while parent is not p and parent is not None:
            if parent.tag == f"{_W}p" or parent.tag in _HIDDEN:
                break
            parent = parent.getparent()
        else:
            yield r


def _run_text(r: Element) -> str:
    parts: list[str] = []
    for child in r:
        tag = child.tag
        if tag == f"{_W}t":
            parts.append(child.text or "")
        elif tag in (f"{_W}tab", f"{_W}ptab"):
            parts.append("\t")
        elif tag == f"{_W}cr" or (
            tag == f"{_W}br" and (_val(child, "type") or "textWrapping") == "textWrapping"
        ):
            # only a line break ends a line: a page or column break is layout, not text
            parts.append("\n")
        elif tag == f"{_W}noBreakHyphen":
            parts.append("-")
    return "".join(parts)


def _text(paragraph: Paragraph) -> str:
    return "".join(r.text for r in paragraph)


def _cell_line(cell: Cell) -> str:
    return " ".join(_text(p) for p in cell)


def _row_line(row: list[_Slot]) -> str:
    """A row of a table that is not the plan (the RAG key) as one line: "GREEN On Target ..."."""
    return " ".join(t for t in (_cell_line(s.cell) for s in row) if t)
