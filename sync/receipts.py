"""Receipts: for each return, what was taken into the plan, what the owner will decide, and what
was not accepted and why - plain text the owner can paste into a reply to the lead."""

from __future__ import annotations

import datetime as dt
import re

from sync.merge.core import ReceiptLine, ReturnResult
from sync.merge.outcomes import Outcome
from sync.returns import display_name
from workbook.wording import one_line

_HEADINGS = (
    ((Outcome.APPLIED, Outcome.ADDED), "Taken into the plan"),
    ((Outcome.PROPOSED,), "Recorded for the plan owner to decide"),
    ((Outcome.CONFLICT,), "Not taken in yet: for the plan owner to settle with you"),
    ((Outcome.REJECTED,), "Not taken in"),
    ((Outcome.IGNORED,), "Ignored"),
    ((Outcome.ALREADY,), "Already in the plan"),
)  # fmt: skip


def receipt_text(result: ReturnResult, *, plan_title: str, when: dt.datetime) -> str:
    """The receipt for one return."""
    lines = [f"Receipt: {display_name(result.name)}", f"Plan: {plan_title}"]
    if result.lead:
        issued = f", issued {result.issued:%d %b %Y}" if result.issued else ""
        lines.append(f"Copy for {result.lead}{issued} (issue {result.issue_id})")
    lines.append(f"Merged: {when:%d %b %Y %H:%M}")
    lines.append("")
    if result.outcome == "already merged":
        # remade from the Changes log, for a return whose first receipt was never written
        lines.append(f"This return was {result.reason.removesuffix('; nothing to do')}:")
        lines.append("")
    elif result.outcome != "merged":
        reason = result.reason.removeprefix(f"{display_name(result.name)}: ")
        lines.append(f"Nothing was taken in: {reason}")
        return "\n".join(lines) + "\n"
    if not result.lines:
        lines.append("Nothing to take in: no status, update or time-scale was changed.")
    for outcomes, heading in _HEADINGS:
        chosen = sorted(
            (ln for ln in result.lines if ln.outcome in outcomes), key=lambda ln: ln.ref
        )
        if not chosen:
            continue
        lines.append(f"{heading}:")
        lines.extend(f"  - {_line(ln)}" for ln in chosen)
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def _line(line: ReceiptLine) -> str:
    where = f"{line.ref} " if line.ref else ""
    if line.outcome == Outcome.APPLIED:
        return f"{where}{line.field}: {line.old or 'blank'} -> {line.new}"
    if line.outcome == Outcome.ADDED:
        return f"{where}update added: {one_line(line.new, 160)}"
    if line.outcome == Outcome.PROPOSED:
        return f"{where}{line.field}: {line.new!r} (now {line.old or 'blank'})"
    if line.outcome == Outcome.CONFLICT:
        return f"{where}{line.field} {line.new}: {line.note}"
    if line.outcome == Outcome.ALREADY:
        return f"{where}{line.field}: {one_line(line.new, 160)}"
    detail = f" {one_line(line.new, 160)!r}" if line.new else ""
    return f"{where}{line.field}{detail}: {line.note}"


def receipt_file_name(result: ReturnResult) -> str:
    """`<return name> - receipt.txt`, safe on every file system."""
    stem = re.sub(r"[\\/:*?\"<>|\x00-\x1f\x7f]+", "_", result.name.rsplit(".", 1)[0])
    return f"{stem} - receipt.txt"
