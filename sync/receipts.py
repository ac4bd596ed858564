"""Receipts: for each return, what was taken into the plan, what the owner will decide, and what
was not accepted and why - plain text the owner can paste into a reply to the lead.

One receipt per return, never written over another return's. A receipt is named after its return
without the extension (`GT return - receipt.txt`); by its whole name when that name would be
shared with another return's receipt (`MW.xls` and `MW.xlsx`); and with the start of the return's
SHA-256 when even the whole name would be (two leads' files both called `Action plan.xlsx`). Each
receipt records the SHA-256 of its return, so a later merge tells a receipt already in the folder
for the same return (rewritten, or kept for a return merged before) from one for another (left
alone). `place_receipts` decides, purely; the merge and the watcher write.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sync.merge.core import TOLD_CLEARED, TOLD_TYPED, ReceiptLine, ReturnResult
from sync.merge.outcomes import Outcome, ReturnOutcome
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

#: How a receipt's head names its return, and the return's SHA-256 (read back by `receipt_owner`).
_RECEIPT = "Receipt: "
_SHA256 = "File SHA-256: "


def receipt_text(result: ReturnResult, *, plan_title: str, when: dt.datetime) -> str:
    """The receipt for one return."""
    lines = [f"{_RECEIPT}{display_name(result.name)}", f"Plan: {plan_title}"]
    if result.lead:
        issued = f", issued {result.issued:%d %b %Y}" if result.issued else ""
        lines.append(f"Copy for {result.lead}{issued} (issue {result.issue_id})")
    lines.append(f"Merged: {when:%d %b %Y %H:%M}")
    if result.sha256:
        lines.append(f"{_SHA256}{result.sha256}")
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
        flag = f" ({line.note})" if line.note else ""  # e.g. placed below a newer return's
        return f"{where}update added: {one_line(line.new, 160)}{flag}"
    if line.outcome == Outcome.PROPOSED:
        return f"{where}{line.field}: {line.new!r} (now {line.old or 'blank'})"
    if line.outcome == Outcome.CONFLICT:
        return f"{where}{line.field} {line.new}: {line.note}"
    if line.outcome == Outcome.ALREADY:
        return f"{where}{line.field}: {one_line(line.new, 160)}"
    if line.note.startswith((TOLD_TYPED, TOLD_CLEARED)):  # a locked cell: the note says it all
        return f"{line.ref}: {line.note}" if line.ref else line.note
    detail = f" {one_line(line.new, 160)!r}" if line.new else ""
    return f"{where}{line.field}{detail}: {line.note}"


_SUFFIX = " - receipt.txt"
#: Characters no receipt name holds: those Windows forbids, control characters, lone surrogates
#: (a Linux name that is not UTF-8) and the marks that reorder text on screen.
_UNSAFE = re.compile(
    r'[\\/:*?"<>|\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff]+'
)
#: Names Windows keeps for devices, whatever extension follows them.
_DEVICES = frozenset(
    ["con", "prn", "aux", "nul"] + [f"{d}{n}" for d in ("com", "lpt") for n in "0123456789¹²³"]
)
#: The longest receipt name, in UTF-8 bytes: within the 255 of every common file system, with
#: room for the temp name it is written under (`.name.1a2b3c4d.tmp`) and a ` (2)`.
_MAX_BYTES = 200


def receipt_names(name: str, sha256: str) -> tuple[str, ...]:
    """The names a receipt for the return called `name` with `sha256` may take, in order: the
    name without its extension (`GT return - receipt.txt`), the whole name (`MW.xls - receipt.txt`),
    then the whole name with the first 8 and then all 64 hex digits of the SHA-256
    (`Action plan.xlsx (1a2b3c4d) - receipt.txt`; none for a file that could not be read). Each
    is safe on every file system."""
    stem = name.rsplit(".", 1)[0] or name
    names = [_safe(stem), _safe(name)]
    if sha256:
        names += [_safe(name, f" ({sha256[:8]})"), _safe(name, f" ({sha256})")]
    return tuple(dict.fromkeys(names))


def _safe(base: str, tag: str = "") -> str:
    """`<base><tag> - receipt.txt`, with `base` made safe and short enough."""
    text = _UNSAFE.sub("_", base)
    if text.startswith((".", " ")):  # a hidden file, or a name that seems to start nowhere
        text = "_" + text.lstrip(". ")
    if "." in text and text.split(".", 1)[0].rstrip(" ").casefold() in _DEVICES:
        text = "_" + text  # `CON.xlsx - receipt.txt` would name a device on Windows
    room = _MAX_BYTES - len((tag + _SUFFIX).encode("utf-8"))
    text = text.encode("utf-8")[:room].decode("utf-8", "ignore")
    return f"{text}{tag}{_SUFFIX}"


def same_name(name: str) -> str:
    """`name` as a file system that ignores case and Unicode normalisation sees it (Windows,
    macOS): two names that give the same key are one file there."""
    return unicodedata.normalize("NFC", name).casefold()


@dataclass(frozen=True)
class ReceiptOwner:
    """The return a receipt already on disk was written for, as its text says: the name it gives
    and the SHA-256 it records ("" for a receipt written before receipts recorded it, or a file
    that is not a receipt at all)."""

    name: str
    sha256: str


def receipt_owner(text: str) -> ReceiptOwner:
    """Who a receipt's text (its head, at least) says it is for."""
    name = sha = ""
    for line in text.splitlines():
        if not line:
            break  # the head ends at the first blank line: a lead's words come after it
        if line.startswith(_RECEIPT) and not name:
            name = line.removeprefix(_RECEIPT)
        elif line.startswith(_SHA256) and not sha:
            sha = line.removeprefix(_SHA256).strip().lower()
    return ReceiptOwner(name, sha if re.fullmatch("[0-9a-f]{64}", sha) else "")


@dataclass(frozen=True)
class PlacedReceipt:
    """Where the receipt for `result` goes; `keep`: a receipt for this very return, written by the
    merge that first took it in, is there already and stands."""

    result: ReturnResult
    name: str
    keep: bool = False


def place_receipts(
    results: Sequence[ReturnResult], on_disk: Callable[[str], ReceiptOwner | None]
) -> tuple[PlacedReceipt, ...]:
    """A receipt name for each return of one batch (none for a file given twice): never one
    another return of the batch could also take, never one `on_disk` (what is in the folder under
    a name, if anything) shows holding another return's receipt. A receipt already there for the
    same return (the same SHA-256) is rewritten - a re-run remakes a lost or stale receipt - or,
    for a return merged before, kept."""
    given = [r for r in results if r.outcome is not ReturnOutcome.DUPLICATE]
    options = [receipt_names(r.name, r.sha256) for r in given]
    # a name two returns of the batch could both take is neither's, whoever comes first
    wanted = Counter(key for names in options for key in {same_name(n) for n in names})
    placed: list[PlacedReceipt] = []
    taken: set[str] = set()
    for result, names in zip(given, options, strict=True):
        # its own receipt, under any of its names: no other return can have that one
        spot = next((n for n in names if _holds(on_disk(n), result)), None)
        own = [n for n in names if wanted[same_name(n)] == 1]
        if spot is not None:
            keep = result.outcome is ReturnOutcome.ALREADY_MERGED
        else:
            keep = False
            spot = next(
                (n for n in own if same_name(n) not in taken and on_disk(n) is None),
                None,
            ) or _numbered(names[-1], lambda n: same_name(n) in taken or on_disk(n) is not None)
        taken.add(same_name(spot))
        placed.append(PlacedReceipt(result, spot, keep))
    return tuple(placed)


def _holds(owner: ReceiptOwner | None, result: ReturnResult) -> bool:
    """Whether a receipt already on disk is this return's own."""
    if owner is None:
        return False
    if owner.sha256 and result.sha256:
        return owner.sha256 == result.sha256.lower()
    # written before receipts recorded the SHA-256: taken for this return's only when it names
    # the same file and the return was merged before (so it stands, and is never rewritten)
    return (
        not owner.sha256
        and result.outcome is ReturnOutcome.ALREADY_MERGED
        and owner.name == display_name(result.name)
    )


def _numbered(name: str, taken: Callable[[str], bool]) -> str:
    """`name` as `... - receipt (2).txt`, `(3)`...: the first not `taken` (the last resort, for a
    file with no SHA-256 whose every name is taken)."""
    stem = name.removesuffix(".txt")
    n = 2
    while taken(candidate := f"{stem} ({n}).txt"):
        n += 1
    return candidate
