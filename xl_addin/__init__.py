"""The Excel add-in: an "Action Plan" ribbon tab whose buttons run the handlers in
`xl_addin.handlers` on the workbook open in Excel.

This package is the only place that imports xlwings, and only when a button is pressed.
"""

from __future__ import annotations

from typing import Any

from xl_addin.handlers import (
    HANDLERS,
    apply_rag,
    board_pack,
    decide_proposals,
    issue_copies,
    merge_returns,
    validate,
)

__all__ = [
    "HANDLERS",
    "apply_rag",
    "board_pack",
    "decide_proposals",
    "dispatch",
    "issue_copies",
    "main",
    "merge_returns",
    "validate",
]


def dispatch(tag: str) -> str:
    """What the ribbon's VBA runs (`xl_addin.dispatch('merge_returns')`): the handler the button's
    tag names, on the workbook that called it."""
    import xlwings as xw

    book = xw.Book.caller()
    handler = HANDLERS.get(tag)
    if handler is None:
        message = f"The add-in has no button '{tag}'; rebuild it with `actionplan addin build`."
        book.app.alert(message, title="Action Plan")
        return message
    return handler(book)


def main() -> Any:
    """What xlwings' add-in template's own button runs: Merge returns."""
    return dispatch("merge_returns")
