"""Simulated returns for the demo: lead copies filled in as a lead would in Excel, every update
labelled "[Simulated]" so nobody mistakes them for real progress.

The answers are chosen from each item's ref (the same every run), and include one of each thing a
real cycle brings: status changes, new updates, a proposed time-scale, a status typed wrongly, and
two leads of a shared item who disagree - so the demo shows receipts, conflicts and rejections too.
The statuses come from the plan's own RAG key: on track, delayed and complete as that key has them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sync.identity import SHEET_IDENTITY
from sync.returns import issued_titles
from workbook.lead_copy.columns import COPY_COLUMNS
from workbook.master.sheets import SHEET_PLAN
from workbook.plan.status import RagKey, family
from workbook.xlsx.cells import set_text

SIMULATED = "[Simulated]"

_UPDATES = (
    "Progress reviewed with the service manager this month; the next step is agreed and booked.",
    "Audit of a sample of cases completed; findings shared with team managers for action.",
    "Staff briefing delivered; practice guidance updated and published on the intranet.",
    "Delayed by recruitment to a key post; interim cover arranged and plan re-profiled.",
    "Work complete and signed off at the performance board; evidence filed.",
)
#: Status by the update chosen, as a role the key's statuses play: the words and the status agree.
_ROLE_FOR_UPDATE = ("on track", "on track", "on track", "delayed", "complete")
#: Colours a lead might type that are not in the key, the first the key does not read.
_NOT_IN_KEY = ("Yellow", "Purple", "Pink", "Orange")


def status_roles(key: RagKey) -> dict[str, str]:
    """The code of `key` a simulated lead gives for work on track, delayed and complete: GREEN,
    AMBER and BLUE in the default key. In any key: its first complete status; the first other
    whose meaning says on track (else GREEN, else the first other); AMBER for delayed unless
    that is on track, then the first that says off track (else the next other)."""
    done = key.complete[0] if key.complete else key.codes[-1]
    others = [e for e in key if e.code not in key.complete] or [key.by_code[done]]
    on_track = key.on_track or others[0].code
    rest = [e for e in others if e.code != on_track] or others
    delayed = next(
        (e.code for e in rest if e.code == "AMBER"),
        next((e.code for e in rest if family(e.meaning) == "off track"), rest[0].code),
    )
    return {"on track": on_track, "delayed": delayed, "complete": done}


@dataclass(frozen=True)
class Answer:
    """What a lead types on one item's row of their copy."""

    status: str = ""
    update: str = ""
    proposed_timescale: str = ""


def simulated_answers(
    copies: Sequence[tuple[str, Sequence[str]]], key: RagKey
) -> dict[str, dict[str, Answer]]:
    """Simulated answers per lead, for copies given as (lead, refs in the copy), with statuses
    of the plan's `key`; some items are left untouched, as leads do."""
    roles = status_roles(key)
    answers: dict[str, dict[str, Answer]] = {}
    for lead, refs in copies:
        mine = answers.setdefault(lead, {})
        for ref in refs:
            pick = int(hashlib.sha256(ref.encode()).hexdigest(), 16)
            if pick % 6 == 5:
                continue  # nothing to report on this one
            choice = (pick // 6) % len(_UPDATES)
            role = _ROLE_FOR_UPDATE[choice]
            status = roles[role]
            proposed = "Mar-24" if role == "delayed" else ""
            mine[ref] = Answer(status, f"{SIMULATED} {_UPDATES[choice]}", proposed)
    _mistype_one_status(answers, key)
    _disagree_on_one_shared_item(answers, roles)
    return answers


def _mistype_one_status(answers: dict[str, dict[str, Answer]], key: RagKey) -> None:
    """The first lead types a colour that is not in the key: the receipt explains, the update
    still lands."""
    typo = next((c for c in _NOT_IN_KEY if key.normalise(c) is None), "Not a status")
    for mine in answers.values():
        for ref, answer in mine.items():
            mine[ref] = Answer(typo, answer.update, answer.proposed_timescale)
            return


def _disagree_on_one_shared_item(
    answers: dict[str, dict[str, Answer]], roles: dict[str, str]
) -> None:
    """Two leads of one item return different statuses: a conflict for the owner to settle."""
    pair = (roles["delayed"], roles["on track"])
    seen: dict[str, str] = {}
    for mine in answers.values():
        for ref, answer in mine.items():
            if ref in seen and seen[ref] == answer.status and answer.status in roles.values():
                other = next((c for c in pair if c != answer.status), None)
                if other is None:
                    return  # a key of one status: nothing else to disagree with
                mine[ref] = Answer(other, answer.update, answer.proposed_timescale)
                return
            seen.setdefault(ref, answer.status)


def fill_copy(copy: Path, out: Path, answers: dict[str, Answer]) -> int:
    """Type `answers` into a copy of `copy` and save it at `out`, as Excel would; returns the
    number of rows filled in."""
    from openpyxl import load_workbook

    wb = load_workbook(copy, rich_text=True)
    ws = wb[SHEET_PLAN]
    identity = [[c.value for c in row] for row in wb[SHEET_IDENTITY].iter_rows()]
    own = issued_titles(identity)  # the document's own titles the copy was issued with
    titles = {c.key: own.get(c.key, c.title) for c in COPY_COLUMNS}
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
