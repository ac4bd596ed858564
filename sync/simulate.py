"""Simulated returns for the demo: lead copies filled in as a lead would in Excel, every update
labelled "[Simulated]" so nobody mistakes them for real progress.

The answers are chosen from each item's ref (the same every run), and include one of each thing a
real cycle brings: status changes, new updates, a proposed time-scale, a status typed wrongly, and
two leads of a shared item who disagree - so the demo shows receipts, conflicts and rejections too.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from workbook.lead_copy.columns import COPY_COLUMNS
from workbook.master.sheets import SHEET_PLAN
from workbook.plan.status import RAG_CODES
from workbook.xlsx.cells import set_text

SIMULATED = "[Simulated]"

_UPDATES = (
    "Progress reviewed with the service manager this month; the next step is agreed and booked.",
    "Audit of a sample of cases completed; findings shared with team managers for action.",
    "Staff briefing delivered; practice guidance updated and published on the intranet.",
    "Delayed by recruitment to a key post; interim cover arranged and plan re-profiled.",
    "Work complete and signed off at the performance board; evidence filed.",
)
#: Status by the update chosen: the words and the status agree.
_STATUS_FOR_UPDATE = ("GREEN", "GREEN", "GREEN", "AMBER", "BLUE")


@dataclass(frozen=True)
class Answer:
    """What a lead types on one item's row of their copy."""

    status: str = ""
    update: str = ""
    proposed_timescale: str = ""


def simulated_answers(copies: Sequence[tuple[str, Sequence[str]]]) -> dict[str, dict[str, Answer]]:
    """Simulated answers per lead, for copies given as (lead, refs in the copy); some items are
    left untouched, as leads do."""
    answers: dict[str, dict[str, Answer]] = {}
    for lead, refs in copies:
        mine = answers.setdefault(lead, {})
        for ref in refs:
            pick = int(hashlib.sha256(ref.encode()).hexdigest(), 16)
            if pick % 6 == 5:
                continue  # nothing to report on this one
            choice = (pick // 6) % len(_UPDATES)
            status = _STATUS_FOR_UPDATE[choice]
            proposed = "Mar-24" if status == "AMBER" else ""
            mine[ref] = Answer(status, f"{SIMULATED} {_UPDATES[choice]}", proposed)
    _mistype_one_status(answers)
    _disagree_on_one_shared_item(answers)
    return answers


def _mistype_one_status(answers: dict[str, dict[str, Answer]]) -> None:
    """The first lead types a colour that is not in the key: the receipt explains, the update
    still lands."""
    for mine in answers.values():
        for ref, answer in mine.items():
            mine[ref] = Answer("Yellow", answer.update, answer.proposed_timescale)
            return


def _disagree_on_one_shared_item(answers: dict[str, dict[str, Answer]]) -> None:
    """Two leads of one item return different statuses: a conflict for the owner to settle."""
    seen: dict[str, str] = {}
    for mine in answers.values():
        for ref, answer in mine.items():
            if ref in seen and seen[ref] == answer.status and answer.status in RAG_CODES:
                other = next(c for c in ("AMBER", "GREEN") if c != answer.status)
                mine[ref] = Answer(other, answer.update, answer.proposed_timescale)
                return
            seen.setdefault(ref, answer.status)


def fill_copy(copy: Path, out: Path, answers: dict[str, Answer]) -> int:
    """Type `answers` into a copy of `copy` and save it at `out`, as Excel would; returns the
    number of rows filled in."""
    from openpyxl import load_workbook

    wb = load_workbook(copy, rich_text=True)
    ws = wb[SHEET_PLAN]
    titles = {c.key: c.title for c in COPY_COLUMNS}
    header_row, cols = _header(ws, titles)
    filled = 0
    for row in range(header_row + 1, ws.max_row + 1):
        ref = ws.cell(row, cols["ref"]).value
        answer = answers.get(str(ref).strip()) if ref else None
        if answer is None:
            continue
        for key, value in (
            ("status", answer.status),
            ("new_update", answer.update),
            ("proposed_timescale", answer.proposed_timescale),
        ):
            if value:
                set_text(ws.cell(row, cols[key]), value)
        filled += 1
    # openpyxl decodes Excel's _xHHHH_ escapes on reading but does not encode them on saving;
    # Excel keeps them, so re-escape what the copy holds to save it as Excel would
    for sheet in wb.worksheets:
        for cells in sheet.iter_rows():
            for cell in cells:
                if isinstance(cell.value, str) and "_x" in cell.value:
                    set_text(cell, cell.value)
    wb.save(out)
    return filled


def _header(ws: object, titles: dict[str, str]) -> tuple[int, dict[str, int]]:
    for row in ws.iter_rows(min_row=1, max_row=40):  # type: ignore[attr-defined]
        values = {str(c.value).strip(): c.column for c in row if c.value is not None}
        if titles["ref"] in values and titles["new_update"] in values:
            return row[0].row, {k: values[t] for k, t in titles.items() if t in values}
    raise ValueError(f"{SHEET_PLAN} sheet has no header row")
