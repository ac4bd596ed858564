"""The master's bookkeeping of the update cycle: which copies were issued, with what values, and
which returns were merged - the base of the three-way merge is what the owner sent, never what a
copy claims.

The hidden sheets are veryHidden (Excel's Unhide does not offer them, so nobody edits them by
accident); `Conflicts` and `Proposals` are for the owner to read and act on. Everything here is
pure: sheets come in as grids of cell values, rows go out as tuples.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import ClassVar

from workbook.master.sheets import ListRow, title
from workbook.xlsx.cells import Grid, cell_datetime, cell_str
from workbook.xlsx.read import records, sheet

SHEET_ISSUED_COPIES = "IssuedCopies"
SHEET_ISSUED_ITEMS = "IssuedItems"
SHEET_MERGED_RETURNS = "MergedReturns"
SHEET_SIGNING_KEY = "SigningKey"
SIGNING_KEY_SETTING = "Signing key"
SHEET_CONFLICTS = "Conflicts"
SHEET_PROPOSALS = "Proposals"
VERY_HIDDEN = "veryHidden"


@dataclass(frozen=True)
class IssuedCopyRow(ListRow):
    """`IssuedCopies`: one copy issued to a lead."""

    SHEET: ClassVar[str] = SHEET_ISSUED_COPIES
    STATE: ClassVar[str] = VERY_HIDDEN

    issue_id: str = title("Issue id")
    lead: str = title("Lead")
    issued: dt.datetime = title("Issued")
    file: str = title("File")
    items: int = title("Items")
    folder: str = title("Folder")


@dataclass(frozen=True)
class IssuedItemRow(ListRow):
    """`IssuedItems`: one item's values as issued in one copy, the base of the merge."""

    SHEET: ClassVar[str] = SHEET_ISSUED_ITEMS
    STATE: ClassVar[str] = VERY_HIDDEN

    issue_id: str = title("Issue id")
    ref: str = title("Ref")
    status: str = title("Status")
    timescale: str = title("Time-scale")
    digest: str = title("Locked digest")


@dataclass(frozen=True)
class MergedReturnRow(ListRow):
    """`MergedReturns`: a return merged, known by its SHA-256, and what its merge did. `Saved` is
    when the lead's program last saved the return (its own record, as it wrote it), kept as ISO
    text exact to the second - a date serial can come back a fraction off, and the merge compares
    save times of one copy's returns. It is the last column: a master made before it has none,
    reads as not known, and gets the title added with its next merged return."""

    SHEET: ClassVar[str] = SHEET_MERGED_RETURNS
    STATE: ClassVar[str] = VERY_HIDDEN
    WIDTHS: ClassVar[tuple[float, ...] | None] = (17, 36, 20, 22, 8, 8, 8, 8, 8, 8, 20)

    merged: dt.datetime = title("Merged")
    file: str = title("File")
    sha256: str = title("SHA-256")
    issue_id: str = title("Issue id")
    lead: str = title("Lead")
    applied: int = title("Applied")
    conflicts: int = title("Conflicts")
    proposed: int = title("Proposed")
    rejected: int = title("Rejected")
    ignored: int = title("Ignored")
    saved: str = title("Saved")  # ISO text, or blank when the return records no save time


@dataclass(frozen=True)
class SigningKeyRow(ListRow):
    """`SigningKey`: a key copies are signed with; the last one recorded is in force, the earlier
    ones are retired (kept, so a copy signed with one can be told apart from a forged one)."""

    SHEET: ClassVar[str] = SHEET_SIGNING_KEY
    STATE: ClassVar[str] = VERY_HIDDEN

    setting: str = title("Setting")
    value: str = title("Value")


@dataclass(frozen=True)
class ConflictRow(ListRow):
    """`Conflicts`: a status the lead and the master both changed, for the owner to settle."""

    SHEET: ClassVar[str] = SHEET_CONFLICTS
    WIDTHS: ClassVar[tuple[float, ...] | None] = (17, 9, 10, 8, 12, 12, 12, 50, 30, 22, 10)
    WRAP: ClassVar[str | None] = "Why"

    received: dt.datetime = title("Received")
    ref: str = title("Ref")
    field: str = title("Field")
    lead: str = title("Lead")
    issued_value: str = title("Issued value")
    master_value: str = title("Master value")
    leads_value: str = title("Lead's value")
    why: str = title("Why")
    file: str = title("Return file")
    issue_id: str = title("Issue id")
    resolved: str = title("Resolved")


@dataclass(frozen=True)
class ProposalRow(ListRow):
    """`Proposals`: a time-scale a lead proposed, for the owner to decide. The owner picks Accept
    or Decline in `Decision` (see sync.decisions); when the decision is carried out, `Decided`
    gets the time and `Outcome` what was done ("applied", "declined", "not applied: ..."), so a
    row is acted on once. `Decided` and `Outcome` are the last columns: a Proposals sheet made
    before them gets their titles with its first decision carried out."""

    SHEET: ClassVar[str] = SHEET_PROPOSALS
    WIDTHS: ClassVar[tuple[float, ...] | None] = (17, 9, 8, 14, 16, 11, 36, 22, 12, 17, 40)

    received: dt.datetime = title("Received")
    ref: str = title("Ref")
    lead: str = title("Lead")
    timescale_now: str = title("Time-scale now")
    proposed: str = title("Proposed time-scale")
    proposed_due: dt.date | None = title("Proposed due")
    file: str = title("Return file")
    issue_id: str = title("Issue id")
    decision: str = title("Decision")
    decided: dt.datetime | None = title("Decided")
    outcome: str = title("Outcome")


ISSUED_COPIES_COLUMNS = IssuedCopyRow.columns()
ISSUED_ITEMS_COLUMNS = IssuedItemRow.columns()
MERGED_RETURNS_COLUMNS = MergedReturnRow.columns()
SIGNING_KEY_COLUMNS = SigningKeyRow.columns()
CONFLICTS_COLUMNS = ConflictRow.columns()
PROPOSALS_COLUMNS = ProposalRow.columns()

#: Every sheet this module keeps, and whether the owner sees it.
HIDDEN_SHEETS = (SHEET_ISSUED_COPIES, SHEET_ISSUED_ITEMS, SHEET_MERGED_RETURNS, SHEET_SIGNING_KEY)
OWNER_SHEETS = (SHEET_CONFLICTS, SHEET_PROPOSALS)
SHEET_COLUMNS: dict[str, tuple[str, ...]] = {
    SHEET_ISSUED_COPIES: ISSUED_COPIES_COLUMNS,
    SHEET_ISSUED_ITEMS: ISSUED_ITEMS_COLUMNS,
    SHEET_MERGED_RETURNS: MERGED_RETURNS_COLUMNS,
    SHEET_SIGNING_KEY: SIGNING_KEY_COLUMNS,
    SHEET_CONFLICTS: CONFLICTS_COLUMNS,
    SHEET_PROPOSALS: PROPOSALS_COLUMNS,
}
LEDGER_SHEETS = (*HIDDEN_SHEETS, *OWNER_SHEETS)

#: The plan columns a lead's copy shows but locks: an edit to one of these is reported, not read.
LOCKED_FIELDS = ("finding", "actions", "lead", "timescale", "updates")


# --- Locked cells, as issued ------------------------------------------------------------------


#: The first token of a digest made by the current rule; a digest without it is the first rule's.
DIGEST_V2 = "v2"


def locked_digest(texts: Mapping[str, str]) -> str:
    """A short digest of each locked field as issued ("v2 finding:1a2b3c4d actions:..."), so a
    return can be checked for edits outside its editable columns without storing every text
    again. Whitespace is left out altogether: a spreadsheet program may re-wrap or re-space
    text, and Gnumeric drops the line break or space at the edge of a rich-text run ("abuse.\nThe"
    comes back "abuse.The"), so only the other characters tell an edit.

    The rule is named in the digest ("v2", and ":" between field and hash) so a digest made by
    the first rule ("finding=1a2b3c4d ...", whitespace runs made one space) is still checked by
    that rule, and a reader that knows only the first rule finds no field it could misjudge."""
    parts = (f"{key}:{_digest_v2(texts.get(key, ''))}" for key in LOCKED_FIELDS)
    return " ".join((DIGEST_V2, *parts))


def changed_locked_fields(issued_digest: str, texts: Mapping[str, str]) -> tuple[str, ...]:
    """The locked fields whose returned text differs from what was issued, each checked by the
    rule its digest was made with."""
    tokens = issued_digest.split()
    digest: Callable[[str], str]
    if tokens[:1] == [DIGEST_V2]:
        issued = dict(part.split(":", 1) for part in tokens[1:] if ":" in part)
        digest = _digest_v2
    else:  # made before digests were versioned: "key=hash", whitespace compared loosely
        issued = dict(part.split("=", 1) for part in tokens if "=" in part)
        digest = _digest_v1
    return tuple(
        key for key in LOCKED_FIELDS if key in issued and issued[key] != digest(texts.get(key, ""))
    )


def _digest_v1(text: str) -> str:
    """The first rule: whitespace runs made one space, ends trimmed."""
    return _hash(" ".join(text.split()))


@lru_cache(maxsize=1 << 16)
def _digest_v2(text: str) -> str:
    """The current rule: no whitespace at all. (Remembered: the copies of an item led by
    several leads return the same texts, checked once each.)"""
    return _hash("".join(text.split()))


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:8]


# --- Reading the ledger -----------------------------------------------------------------------


@dataclass(frozen=True)
class IssuedItem:
    """An item's values as the owner issued them in one copy."""

    issue_id: str
    ref: str
    status: str
    timescale: str
    digest: str


@dataclass(frozen=True)
class IssuedCopy:
    """One copy issued to a lead."""

    issue_id: str
    lead: str
    issued: dt.datetime | None
    file: str
    refs: tuple[str, ...] = ()
    folder: str = ""  # where the copy was written, to attach it to a reminder


@dataclass(frozen=True)
class MergedReturn:
    """A return already merged, known by the SHA-256 of its file."""

    merged: dt.datetime | None
    file: str
    sha256: str
    issue_id: str
    lead: str
    #: when the lead's program last saved it, to the second; None when not known (it recorded
    #: none, or it was merged before save times were kept)
    saved: dt.datetime | None = None


@dataclass(frozen=True)
class Ledger:
    #: the signing key in force (the last recorded)
    key: str | None
    copies: Mapping[str, IssuedCopy] = field(default_factory=dict)
    items: Mapping[tuple[str, str], IssuedItem] = field(default_factory=dict)
    merged: Mapping[str, MergedReturn] = field(default_factory=dict)
    #: (issue id, ref, proposed time-scale) already on the Proposals sheet
    proposals: frozenset[tuple[str, str, str]] = frozenset()
    #: (issue id, ref, field, lead's value) already on the Conflicts sheet
    conflicts: frozenset[tuple[str, str, str, str]] = frozenset()
    #: keys in force before `key`, oldest first: copies signed with one are no longer accepted
    retired_keys: tuple[str, ...] = ()


def ledger_from_sheets(sheets: Mapping[str, Grid]) -> Ledger:
    """The ledger in a master's sheets; missing sheets read as empty."""
    items: dict[tuple[str, str], IssuedItem] = {}
    refs: dict[str, list[str]] = {}
    for rec in _records(sheets, SHEET_ISSUED_ITEMS):
        issue_id, ref = cell_str(rec["issue id"]), cell_str(rec["ref"])
        if not issue_id or not ref:
            continue
        items[(issue_id, ref)] = IssuedItem(
            issue_id,
            ref,
            cell_str(rec["status"]),
            cell_str(rec["time-scale"]),
            cell_str(rec["locked digest"]),
        )
        refs.setdefault(issue_id, []).append(ref)
    copies = {}
    for rec in _records(sheets, SHEET_ISSUED_COPIES):
        issue_id = cell_str(rec["issue id"])
        if issue_id:
            copies[issue_id] = IssuedCopy(
                issue_id,
                cell_str(rec["lead"]),
                _datetime(rec["issued"]),
                cell_str(rec["file"]),
                tuple(refs.get(issue_id, ())),
                cell_str(rec["folder"]),
            )
    merged: dict[str, MergedReturn] = {}
    for rec in _records(sheets, SHEET_MERGED_RETURNS):
        sha = cell_str(rec["sha-256"]).lower()
        if sha:
            merged.setdefault(
                sha,
                MergedReturn(
                    _datetime(rec["merged"]),
                    cell_str(rec["file"]),
                    sha,
                    cell_str(rec["issue id"]),
                    cell_str(rec["lead"]),
                    to_second(_datetime(rec["saved"])),
                ),
            )
    proposals = frozenset(
        (cell_str(r["issue id"]), cell_str(r["ref"]), cell_str(r["proposed time-scale"]))
        for r in _records(sheets, SHEET_PROPOSALS)
    )
    conflicts = frozenset(
        (
            cell_str(r["issue id"]),
            cell_str(r["ref"]),
            cell_str(r["field"]),
            cell_str(r["lead's value"]),
        )
        for r in _records(sheets, SHEET_CONFLICTS)
    )
    keys = _signing_keys(sheets)
    return Ledger(
        key=keys[-1] if keys else None,
        copies=copies,
        items=items,
        merged=merged,
        proposals=proposals,
        conflicts=conflicts,
        retired_keys=tuple(dict.fromkeys(k for k in keys[:-1] if k != keys[-1])),
    )


def _signing_keys(sheets: Mapping[str, Grid]) -> list[str]:
    """Every key recorded, oldest first; the last is in force (`issue --new-key` adds a row, so
    copies signed with an earlier key stop verifying)."""
    return [
        cell_str(rec["value"])
        for rec in _records(sheets, SHEET_SIGNING_KEY)
        if cell_str(rec["setting"]) == SIGNING_KEY_SETTING and cell_str(rec["value"])
    ]


def _records(sheets: Mapping[str, Grid], name: str) -> list[dict[str, object]]:
    grid = sheet(sheets, name)
    return records(grid, SHEET_COLUMNS[name]) if grid else []


def _datetime(value: object) -> dt.datetime | None:
    return cell_datetime(value)


def to_second(when: dt.datetime | None) -> dt.datetime | None:
    """A save time as the merge compares it: naive, as the program wrote it (a zone it named
    is dropped, not converted), to the nearest second."""
    if when is None:
        return None
    when = when.replace(tzinfo=None)
    return (when + dt.timedelta(microseconds=500_000)).replace(microsecond=0)


def saved_text(when: dt.datetime | None) -> str:
    """A save time as the `Saved` column keeps it: ISO text to the second with a space, not "T"
    (xlwings' remote engine reads any text shaped like "2023-05-30T10:05:00" as a datetime, and
    cuts its last character), blank when unknown."""
    found = to_second(when)
    return found.isoformat(sep=" ", timespec="seconds") if found else ""


# --- Rows to record ---------------------------------------------------------------------------


def issued_rows(
    issue_id: str,
    lead: str,
    issued: dt.datetime,
    file: str,
    items: Sequence[IssuedItem],
    *,
    folder: str = "",
) -> tuple[IssuedCopyRow, list[IssuedItemRow]]:
    """The IssuedCopies row and IssuedItems rows recording one copy."""
    copy_row = IssuedCopyRow(issue_id, lead, issued, file, len(items), folder)
    item_rows = [IssuedItemRow(i.issue_id, i.ref, i.status, i.timescale, i.digest) for i in items]
    return copy_row, item_rows
