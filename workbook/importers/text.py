"""The text export of a plan document: title lines, then a tab-separated table whose cells may hold
HTML fragments, with page-break debris (dashed separator lines, split rows, repeated headings)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from workbook.errors import PlanImportError
from workbook.importers.document import RawDocument, RawRow, RawText, assemble_plan
from workbook.importers.html import parse_cell
from workbook.importers.roles import looks_like_header
from workbook.plan.model import Plan

#: What a table separator line is made of; it needs at least one "-". A set test, not a regex:
#: the obvious pattern backtracks quadratically on a long run of dashes ending in a letter.
_SEPARATOR_CHARS = frozenset(" \t\r\n\f\v-=_|+")


#: What to do with a file that is not readable text, as a text export's import says it.
UNREADABLE_EXPORT = "save the plan as 'Plain Text' with UTF-8 encoding, or give the .docx itself"


def decode(data: bytes, source: str, *, advice: str = UNREADABLE_EXPORT) -> str:
    """The text of an export (or a .csv): UTF-8 (with or without BOM), UTF-16 with BOM, else
    Windows-1252; one line ending in `advice` when it is none of them."""
    if not data.strip():
        raise PlanImportError(f"{source} is empty; export the plan document again and retry")
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    elif b"\x00" not in data:
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError:
            try:
                text = data.decode("cp1252")
            except UnicodeDecodeError:
                text = ""
            if text and not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", text):
                return text
    raise PlanImportError(
        f"{source} is not readable text (unknown encoding or a binary file); {advice}"
    )


def is_header(cells: list[str]) -> bool:
    """Whether a table row is the plan's header: its titles name a finding and two more roles."""
    return looks_like_header(cells)


def read_text_document(text: str, source: str) -> RawDocument:
    """Split an export into its title lines, its header's titles and its table rows (no
    interpretation of the rows yet)."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    header_at = next((i for i, line in enumerate(lines) if is_header(line.split("\t"))), None)
    if header_at is None:
        raise PlanImportError(
            f"{source} does not look like an action plan: no table header naming a finding and "
            "its actions, lead, time-scale, update or status was found; export the document's "
            "plan table with its header row"
        )
    header = tuple(" ".join(c.split()) for c in lines[header_at].split("\t"))
    while header and not header[-1]:
        header = header[:-1]
    width = len(header)
    rows: list[RawRow | RawText] = []
    stray_open = False  # the last non-blank line was text outside the table
    for i in range(header_at + 1, len(lines)):
        line, lineno = lines[i], i + 1
        if not line.strip() or _is_separator(line):
            continue
        if "\t" not in line:
            # Text outside the table: consecutive lines (blank lines between) form one block.
            prev = rows[-1] if stray_open else None
            if isinstance(prev, RawText):
                rows[-1] = RawText(prev.line, f"{prev.text}\n{line.strip()}")
            else:
                rows.append(RawText(lineno, line.strip()))
            stray_open = True
            continue
        stray_open = False
        cells = line.split("\t")
        if len(cells) > width and any(c.strip() for c in cells[width:]):
            raise PlanImportError(
                f"{source}, line {lineno}: the row has {len(cells)} columns but the plan's "
                f"header has {width}; a cell probably holds a tab character - replace it and "
                "import again"
            )
        rows.append(RawRow(lineno, tuple(parse_cell(c) for c in cells[:width])))
    return RawDocument(
        source=source, title_lines=tuple(lines[:header_at]), rows=tuple(rows), header=header
    )


def import_text(
    text: str, source: str = "plan.txt", mapping: Mapping[str, str] | None = None
) -> Plan:
    """The plan held in a text export."""
    return assemble_plan(read_text_document(text, source), mapping)


def import_text_file(path: Path, mapping: Mapping[str, str] | None = None) -> Plan:
    return import_text(decode(path.read_bytes(), path.name), path.name, mapping)


def _is_separator(line: str) -> bool:
    return "-" in line and set(line) <= _SEPARATOR_CHARS
