"""Giving new cells their look fast: a plan's cells come in a handful of looks (body text,
centred body text, an answer cell, a header), so each look is made once per workbook and copied
onto every cell that has it.

Setting `cell.font`, `cell.fill` and so on one by one makes openpyxl hash the whole style object
to find it in the workbook's style lists, each time; for a copy of a few dozen rows that was a
quarter of issuing it. A look is keyed by the identity of the style objects given (the module
constants of `workbook.formatting.layout`), and keeps them alive, so an identity is never reused.
"""

from __future__ import annotations

from copy import copy
from typing import Any
from weakref import WeakKeyDictionary

from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection

#: Per workbook: the identities of a look's parts -> (the parts, kept alive; the look's style).
_LOOKS: WeakKeyDictionary[Any, dict[tuple[int, ...], tuple[tuple[object, ...], Any]]] = (
    WeakKeyDictionary()
)


def stamp(
    cell: Cell,
    *,
    font: Font | None = None,
    alignment: Alignment | None = None,
    border: Border | None = None,
    fill: PatternFill | None = None,
    protection: Protection | None = None,
    number_format: str | None = None,
) -> None:
    """Give a new cell (one with the default look) this look: the parts given, the defaults for
    the rest - as setting each attribute would."""
    parts = (font, alignment, border, fill, protection, number_format)
    looks = _LOOKS.setdefault(cell.parent.parent, {})
    key = tuple(map(id, parts))
    found = looks.get(key)
    if found is not None:
        cell._style = copy(found[1])
        return
    if font is not None:
        cell.font = font
    if alignment is not None:
        cell.alignment = alignment
    if border is not None:
        cell.border = border
    if fill is not None:
        cell.fill = fill
    if protection is not None:
        cell.protection = protection
    if number_format is not None:
        cell.number_format = number_format
    looks[key] = (parts, copy(cell._style))
