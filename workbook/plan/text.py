"""Text a workbook cell can hold: the characters .xlsx cannot carry, and Excel's cell limit."""

from __future__ import annotations

import re

_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
#: Excel's limit on one cell, in UTF-16 units (an emoji counts twice).
CELL_LIMIT = 32_767


def cell_safe(text: str) -> str:
    """`text` without the characters a workbook cannot store (it would drop them anyway)."""
    return text if text.isprintable() else _XML_ILLEGAL.sub("", text)


def excel_length(text: str) -> int:
    """The length of `text` as Excel counts it against its cell limit (UTF-16 units)."""
    return len(text) if text.isascii() else len(text.encode("utf-16-le")) // 2
