"""The master's `RAG key` sheet: the plan's own key, one status a row (Code | Meaning | Fill | Font
| Words), where the owner can change a meaning or a colour and add the spellings leads use.

Everything that reads, colours, offers, validates, merges or counts a status takes the key from
here (through `Plan.rag_key` or `key_from_sheets`). A master written before the sheet existed has
none and reads as the default key, so old masters keep working as they did.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from workbook.master.sheets import SHEET_RAG_KEY
from workbook.plan.status import (
    COLOURS,
    DEFAULT_KEY,
    RagKey,
    RagStatus,
    colour_code,
    spelling,
    text_colour,
)
from workbook.xlsx.cells import Grid, cell_text
from workbook.xlsx.read import records, sheet

RAG_KEY_COLUMNS: tuple[str, ...] = ("Code", "Meaning", "Fill", "Font", "Words")
#: How the words of one status are written in its Words cell, and what separates them when read.
WORDS_SEPARATOR = "; "
_WORDS_SPLIT = re.compile(r"[;,\n]")
_HEX = re.compile(r"^#?(?:[0-9A-Fa-f]{2})?([0-9A-Fa-f]{6})$")
#: Text a dropdown list cannot hold in one of its values.
_NOT_IN_CODE = (",", '"')
#: The fill of a status whose code names no colour and whose Fill cell is blank.
NO_COLOUR_FILL = "D9D9D9"


def rag_key_rows(key: RagKey) -> list[tuple[str, str, str, str, str]]:
    """The `RAG key` sheet's rows for `key`, in its order."""
    return [(e.code, e.meaning, e.fill, e.font, WORDS_SEPARATOR.join(e.words)) for e in key]


@dataclass(frozen=True)
class KeyReading:
    """The key a master holds, and what on its `RAG key` sheet could not be used as written."""

    key: RagKey
    problems: tuple[str, ...] = ()
    on_sheet: bool = False  # False: the master has no `RAG key` sheet (the default key)


def read_rag_key(sheets: Mapping[str, Grid]) -> KeyReading:
    """The key on a master's `RAG key` sheet (grids of cell values), the default key when the
    master has no such sheet or it lists no status. A row that cannot be a status (no code, a
    code listed twice or holding a comma) is left out and named in `problems`; so is a fill or
    font that is not a colour (the code's own colour, or black or white text, is used), and a
    word two statuses share (read as neither)."""
    grid = sheet(sheets, SHEET_RAG_KEY)
    if grid is None:
        return KeyReading(DEFAULT_KEY)
    entries: list[RagStatus] = []
    problems: list[str] = []
    where = f"the '{SHEET_RAG_KEY}' sheet"
    for n, rec in enumerate(records(grid, RAG_KEY_COLUMNS), start=2):
        code = spelling(cell_text(rec["code"]))
        meaning = " ".join(cell_text(rec["meaning"]).split())
        words = tuple(
            dict.fromkeys(
                " ".join(w.split())
                for w in _WORDS_SPLIT.split(cell_text(rec["words"]))
                if w.strip()
            )
        )
        if not code:
            if meaning or words:
                problems.append(
                    f"row {n} of {where} has no code, so it is not a status; give it a code "
                    "(e.g. GREEN) or delete the row"
                )
            continue
        if any(c in code for c in _NOT_IN_CODE):
            problems.append(
                f"the code {code!r} on row {n} of {where} has a comma or a quote, which a Status "
                "dropdown cannot offer; it is not a status until that is removed"
            )
            continue
        if any(e.code == code for e in entries):
            problems.append(
                f"{code} is on {where} twice (row {n} too); the first row is used, so delete "
                "the other"
            )
            continue
        fill = _colour(rec["fill"])
        if fill is None:
            named = COLOURS.get(colour_code(code) or "")
            fill = named[0] if named else NO_COLOUR_FILL
            if cell_text(rec["fill"]).strip():
                problems.append(
                    f"the fill of {code} on row {n} of {where} is {cell_text(rec['fill'])!r}, "
                    f"not a colour; {fill} is used - type a colour name or six hex digits "
                    "(e.g. 00B050)"
                )
        font = _colour(rec["font"])
        if font is None:
            font = text_colour(fill)
            if cell_text(rec["font"]).strip():
                problems.append(
                    f"the font of {code} on row {n} of {where} is {cell_text(rec['font'])!r}, "
                    f"not a colour; {font} is used"
                )
        entries.append(RagStatus(code, meaning, fill, font, words))
    if not entries:
        problems.append(
            f"{where} lists no status, so the default key ({DEFAULT_KEY.choices}) is used; put "
            "the plan's statuses there, one a row"
        )
        return KeyReading(DEFAULT_KEY, tuple(problems), on_sheet=True)
    key = RagKey(tuple(entries))
    for typed, codes in key.ambiguous:
        problems.append(
            f"{typed!r} is on {where} for {' and '.join(codes)}, so a status typed that way is "
            "read as neither; keep it for one of them"
        )
    return KeyReading(key, tuple(problems), on_sheet=True)


def key_from_sheets(sheets: Mapping[str, Grid]) -> RagKey:
    """The plan's key, as read from a master's sheets (see read_rag_key)."""
    return read_rag_key(sheets).key


def _colour(value: object) -> str | None:
    """A colour cell as RGB hex: six hex digits (a leading '#' or alpha pair allowed), a colour
    name ("Blue"), or a number Excel made of digits typed there ("000000" read as 0)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float) and float(value).is_integer() and 0 <= value < 1_000_000:
        return f"{int(value):06d}"
    text = cell_text(value).strip()
    named = COLOURS.get(colour_code(text) or "")
    if named:
        return named[0]
    m = _HEX.match(text)
    return m[1].upper() if m else None
