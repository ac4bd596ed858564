"""The three-way merge of returned copies into the master, as a pure function.

`merge(master, returns, when=...)` takes the master's state (its item rows and its ledger of what
was issued) and the returns as read, and gives back a ChangeSet: the cells to write, the rows to
add to `Updates`, `Changes`, `Conflicts`, `Proposals` and the ledger, and what happened to each
return, line by line, for its receipt. Nothing here touches a file: `sync.merge.apply` applies a
change set through an `Editor` - the file's change-only edit for the command line and the watcher,
the live workbook's for the add-in - so both give the same master.

Per item and field, against what was issued (the base):
- Status: read by the plan's own RAG key (the master's `RAG key` sheet, carried in `MasterState`):
  what a lead types ('achieved') is the code that key gives it, and text it does not know is
  rejected with the key's codes. The lead changed it and the master did not -> applied; both changed
  it, differently -> a conflict for the owner, the master keeps its value; leads sharing an item who
  return different statuses in one batch -> a conflict for each, so the result never depends on
  which file was read first. A blank status is "no answer", never a change.
- New update: appended as a dated entry attributed to the lead, newest first; never overwrites.
- Proposed time-scale: recorded on `Proposals` for the owner to decide; never applied here (the
  owner's Accept is carried out by `sync.decisions`).
Anything else a lead edits is reported and ignored; bad values are rejected with the reason, and
the rest of the return still merges. Each field typed for an item the owner has since deleted is
reported, with what was typed. A return already merged (same SHA-256) changes nothing; an update
already merged from the same lead for the same item, in the same words, is not added twice (from
whichever of their copies it comes), nor a proposal already recorded from the same issue.

Returns of one issued copy are put in the order the lead saved them, by each workbook's own
save time (`ReturnedCopy.saved_at`; recorded as `Saved` on MergedReturns): a return saved before
another of the same copy - one already merged, or one in the same batch - never changes a status
(a different value is a conflict, and the newer return stands), and its update is placed below
the newer return's and flagged. Where a save time is not known on either side, returns are taken
as they come.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from sync.identity import signed_with, verify
from sync.ledger import (
    ConflictRow,
    IssuedCopy,
    IssuedItem,
    Ledger,
    MergedReturnRow,
    ProposalRow,
    changed_locked_fields,
    ledger_from_sheets,
    saved_text,
    to_second,
)
from sync.merge.outcomes import Outcome, ReturnOutcome
from sync.returns import ReturnedCopy, ReturnedRow, display_name
from workbook.errors import ActionPlanError
from workbook.lead_copy.columns import COPY_COLUMNS, EDITABLE_KEYS, PROPOSED_TIMESCALE_TITLE
from workbook.master.rag_key import key_from_sheets
from workbook.master.read import PlanRow, plan_rows, year_of_plan
from workbook.master.settings import (
    SETTING_PLAN_ID,
    SETTING_TITLE,
    document_columns,
    settings_from_sheets,
)
from workbook.master.sheets import (
    CHANGES_COLUMNS,
    COLUMN_BY_KEY,
    SHEET_CHANGES,
    SHEET_PLAN,
    SHEET_UPDATES,
    UPDATES_COLUMNS,
    ChangeRow,
    UpdateRow,
)
from workbook.plan.model import UPDATE_SEPARATOR
from workbook.plan.status import RagKey
from workbook.plan.text import CELL_LIMIT, cell_safe, excel_length
from workbook.plan.timescales import due_date
from workbook.plan.updates import new_entry_label
from workbook.wording import count, one_line
from workbook.xlsx.cells import Grid, cell_str
from workbook.xlsx.read import records, sheet

#: A value quoted back in a note or log row is cut to this many characters.
QUOTE_LIMIT = 200
#: More lines than this of one kind about rows outside a lead's copy are summed up in one line.
STRAY_ROWS_SHOWN = 5


# Field names, as the Changes sheet and receipts say them.
FIELD_STATUS = "Status"
FIELD_UPDATE = "Update"
FIELD_PROPOSED = PROPOSED_TIMESCALE_TITLE
FIELD_RETURN = "Return"
_LOCKED_TITLES = {
    "finding": "Finding",
    "actions": COLUMN_BY_KEY["actions"].title,
    "lead": COLUMN_BY_KEY["lead"].title,
    "timescale": COLUMN_BY_KEY["timescale"].title,
    "updates": COLUMN_BY_KEY["updates"].title,
}

_EDITABLE_TITLES = {c.key: c.title for c in COPY_COLUMNS if c.key in EDITABLE_KEYS}

#: What a lead who typed in a locked column is told to do instead, by the column's key ("{key}":
#: an answer column's title as their copy showed it); any other locked column is the owner's.
LOCKED_ADVICE: Mapping[str, str] = {
    "timescale": "to propose a new time-scale use {proposed_timescale}",
    "updates": "to add an update use {new_update}",
}
OWNERS_COLUMN = "this column is the owner's; write to them if it is wrong"
#: How the note of a locked cell's edit starts: it quotes the lead and names the column, so a
#: receipt gives it as it is.
TOLD_TYPED, TOLD_CLEARED = "you typed ", "you cleared "
#: Quoted back to the lead, what they typed in a locked cell is cut to this many characters.
TYPED_SHOWN = 80

#: Every outcome as the Changes sheet says it; a row saying anything else is not ours.
_OUTCOMES = {str(o) for o in Outcome}
_SOURCE_ISSUE = re.compile(r"\(issue ([^()\s]+)\)\s*$")


def update_source(file_name: str, issue_id: str) -> str:
    """The `Source` of an update merged from a return; it names the issue, so the same update
    from the same copy is never added twice."""
    return f"{file_name} (issue {issue_id})"


# --- The master, as the merge needs it ---------------------------------------------------------


@dataclass(frozen=True)
class MasterState:
    """What the merge reads from the master: item rows by ref, the plan id, the ledger, and the
    plan's RAG key, by which every status is read."""

    plan_id: str
    rows: Mapping[str, PlanRow]
    ledger: Ledger
    rag_key: RagKey
    #: (lead, ref, text) of every update already merged from a return -> its `Source`: the same
    #: words from the same lead for the same item are not added again, from whichever of the
    #: lead's copies they come (a superseded copy and its replacement both carry them)
    merged_updates: Mapping[tuple[str, str, str], str] = field(default_factory=dict)
    #: ref -> each update merged from a return into that item, as (issue id, return file, the
    #: entry as displayed): where an update saved before one already merged is placed
    merged_entries: Mapping[str, tuple[tuple[str, str, str], ...]] = field(default_factory=dict)
    #: (issue id, ref) -> the status last applied from that issue's returns
    applied_status: Mapping[tuple[str, str], str] = field(default_factory=dict)
    #: SHA-256 of returns already rejected whole (logged once, not at every attempt)
    rejected: frozenset[str] = frozenset()
    #: what each merged return's merge did, as logged on Changes, by SHA-256
    logged: Mapping[str, tuple[ReceiptLine, ...]] = field(default_factory=dict)
    #: the plan's title, from Settings
    title: str = ""
    #: the plan's year, in which a proposed time-scale that names none is read (as import does)
    year: int | None = None


def master_state(sheets: Mapping[str, Grid]) -> MasterState:
    """The merge's view of a master's sheets (grids of cell values, ledger sheets included)."""
    grid = sheet(sheets, SHEET_PLAN) or ()
    rows: dict[str, PlanRow] = {}
    for row in plan_rows(grid, document_columns(sheets)):
        if not row.is_section and row.texts["ref"]:
            rows.setdefault(row.texts["ref"].strip(), row)
    ledger = ledger_from_sheets(sheets)
    merged_updates: dict[tuple[str, str, str], str] = {}
    merged_entries: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
    for rec in records(sheet(sheets, SHEET_UPDATES) or (), UPDATES_COLUMNS):
        source = cell_str(rec["source"])
        m = _SOURCE_ISSUE.search(source)
        if m:
            ref, display = cell_str(rec["ref"]), cell_str(rec["update"])
            issued = ledger.copies.get(m[1])
            # the lead the issue went to, and the lead the row names (the same, unless edited)
            for lead in {issued.lead if issued else "", cell_str(rec["lead"])} - {""}:
                merged_updates.setdefault((lead, ref, _entry_text(display)), source)
            file = source[: m.start()].rstrip()
            merged_entries[ref].append((m[1], file, display))
    issue_of = {sha: r.issue_id for sha, r in ledger.merged.items()}
    applied: dict[tuple[str, str], str] = {}
    rejected = set()
    logged: dict[str, list[ReceiptLine]] = defaultdict(list)
    for rec in records(sheet(sheets, SHEET_CHANGES) or (), CHANGES_COLUMNS):
        sha, outcome = cell_str(rec["sha-256"]).lower(), cell_str(rec["outcome"])
        if sha in issue_of and outcome in _OUTCOMES:
            logged[sha].append(
                ReceiptLine(
                    cell_str(rec["ref"]),
                    cell_str(rec["field"]),
                    Outcome(outcome),
                    cell_str(rec["old"]),
                    cell_str(rec["new"]),
                    cell_str(rec["note"]),
                )
            )
        if outcome == Outcome.REJECTED and cell_str(rec["field"]) == FIELD_RETURN:
            rejected.add(sha)
        if (
            outcome == Outcome.APPLIED
            and cell_str(rec["field"]) == FIELD_STATUS
            and sha in issue_of
        ):
            applied[(issue_of[sha], cell_str(rec["ref"]))] = cell_str(rec["new"])
    settings = settings_from_sheets(sheets)
    return MasterState(
        plan_id=cell_str(settings.get(SETTING_PLAN_ID)),
        title=cell_str(settings.get(SETTING_TITLE)),
        rows=rows,
        ledger=ledger,
        rag_key=key_from_sheets(sheets),
        merged_updates=merged_updates,
        merged_entries={ref: tuple(found) for ref, found in merged_entries.items()},
        applied_status=applied,
        rejected=frozenset(rejected),
        logged={sha: tuple(lines) for sha, lines in logged.items()},
        year=year_of_plan(sheets),
    )


def _entry_text(display: str) -> str:
    """The lead's own words of a merged entry "Update 26 Nov 26 (GT): words"."""
    head, sep, rest = display.partition(": ")
    return rest if sep and head.startswith("Update ") else display


# --- The change set ----------------------------------------------------------------------------


@dataclass(frozen=True)
class CellWrite:
    """A plan cell to write: the item's row as read, the field's 0-based column."""

    ref: str
    field: str  # "status" or "updates"
    row: int
    column: int
    old: str
    new: str


@dataclass(frozen=True)
class ReceiptLine:
    """One thing that happened to one field of one return, for its receipt and the log."""

    ref: str
    field: str
    outcome: Outcome
    old: str = ""
    new: str = ""
    note: str = ""


@dataclass(frozen=True)
class ReturnResult:
    """What became of one return."""

    name: str
    sha256: str
    lead: str = ""
    issue_id: str = ""
    issued: dt.datetime | None = None
    outcome: ReturnOutcome = ReturnOutcome.MERGED
    reason: str = ""
    lines: tuple[ReceiptLine, ...] = ()

    def count(self, outcome: Outcome) -> int:
        return sum(1 for line in self.lines if line.outcome == outcome)

    @property
    def needs_attention(self) -> bool:
        if self.outcome is not ReturnOutcome.MERGED:  # an earlier merge's lines were seen then
            return self.outcome is ReturnOutcome.REJECTED
        return any(ln.outcome.needs_attention for ln in self.lines)


@dataclass(frozen=True)
class RejectedFile:
    """A return that could not even be read (not an xlsx, damaged, no identity...)."""

    name: str
    sha256: str
    reason: str


@dataclass(frozen=True)
class ChangeSet:
    """Everything a merge would do to the master; empty when there is nothing to do."""

    when: dt.datetime
    writes: tuple[CellWrite, ...] = ()
    updates_rows: tuple[UpdateRow, ...] = ()
    changes_rows: tuple[ChangeRow, ...] = ()
    conflicts_rows: tuple[ConflictRow, ...] = ()
    proposals_rows: tuple[ProposalRow, ...] = ()
    merged_rows: tuple[MergedReturnRow, ...] = ()
    results: tuple[ReturnResult, ...] = ()

    @property
    def changes_master(self) -> bool:
        return bool(
            self.writes
            or self.updates_rows
            or self.changes_rows
            or self.conflicts_rows
            or self.proposals_rows
            or self.merged_rows
        )

    @property
    def exit_code(self) -> int:
        """0 when every return merged cleanly, 1 when something needs the owner's attention."""
        return 1 if any(r.needs_attention for r in self.results) else 0

    def to_dict(self) -> dict[str, object]:
        return {
            "when": self.when.isoformat(timespec="seconds"),
            "exit_code": self.exit_code,
            "writes": [
                {"ref": w.ref, "field": w.field, "row": w.row, "old": w.old, "new": w.new}
                for w in self.writes
            ],
            "returns": [
                {
                    "file": r.name,
                    "sha256": r.sha256,
                    "lead": r.lead,
                    "issue_id": r.issue_id,
                    "outcome": r.outcome,
                    "reason": r.reason,
                    "lines": [
                        {
                            "ref": ln.ref,
                            "field": ln.field,
                            "outcome": ln.outcome,
                            "old": ln.old,
                            "new": ln.new,
                            "note": ln.note,
                        }
                        for ln in r.lines
                    ],
                }
                for r in self.results
            ],
        }


# --- The merge ---------------------------------------------------------------------------------


@dataclass
class _Return:
    """A return being merged: its identity checked, its lines collected."""

    copy: ReturnedCopy
    issued: IssuedCopy
    lines: list[ReceiptLine] = field(default_factory=list)
    #: the newest return of the same issued copy saved after this one: already merged (then
    #: its update is placed below that return's), or else in this batch; None when there is
    #: none, or a save time is not known on either side
    newer: _Newer | None = None

    @property
    def saved(self) -> dt.datetime | None:
        return to_second(self.copy.saved_at)


@dataclass(frozen=True)
class _Newer:
    """A return of the same issued copy saved after the one being merged."""

    file: str
    saved: dt.datetime
    merged: dt.datetime | None  # when it was merged, if known
    in_batch: bool  # merged now, in the same batch

    def told(self, saved: dt.datetime) -> str:
        """`saved 02 Jun 2023 10:15:04, before "GT.xlsx" of the same copy (saved ..., already
        merged on 05 Jun 2023)`."""
        if self.in_batch:
            when = "merged in the same batch"
        else:
            when = f"already merged on {self.merged:%d %b %Y}" if self.merged else "already merged"
        return (
            f"saved {saved:{_SAVED}}, before {display_name(self.file)!r} of the same copy "
            f"(saved {self.saved:{_SAVED}}, {when})"
        )


_SAVED = "%d %b %Y %H:%M:%S"


@dataclass(frozen=True)
class _StatusClaim:
    ret: _Return
    ref: str
    value: str  # normalised
    base: str  # normalised, as issued (or as this issue's own earlier return left it)


def merge(
    master: MasterState,
    returns: Sequence[ReturnedCopy | RejectedFile],
    *,
    when: dt.datetime,
) -> ChangeSet:
    """Merge `returns` into `master` as of `when`; see the module docstring for the rules.

    Raises WrongMasterError, before anything is worked out, when every return given is a copy of
    another plan: the owner gave the wrong master, and nothing is to be written."""
    wrong = wrong_master(master, returns)
    if wrong is not None:
        raise wrong
    results: dict[str, ReturnResult] = {}
    accepted: list[_Return] = []
    changes: list[ChangeRow] = []
    seen: set[str] = set()
    # A canonical order (by content), so the order the files were given in cannot matter.
    for given in sorted(returns, key=lambda r: (r.sha256, r.name)):
        same = given.sha256 or given.name  # a file that could not even be read has no SHA-256
        if same in seen:
            key = f"{given.sha256}{given.name}#{len(results)}"  # never in place of the first's
            results[key] = ReturnResult(
                given.name,
                given.sha256,
                outcome=ReturnOutcome.DUPLICATE,
                reason="the same file twice in one batch",
            )
            continue
        seen.add(same)
        if isinstance(given, RejectedFile):
            reason = given.reason
        elif given.sha256.lower() in master.ledger.merged:
            prior = master.ledger.merged[given.sha256.lower()]
            on = f" on {prior.merged:%d %b %Y %H:%M}" if prior.merged else ""
            copy = master.ledger.copies.get(prior.issue_id)
            results[given.sha256 + given.name] = ReturnResult(
                given.name,
                given.sha256,
                prior.lead,
                prior.issue_id,
                copy.issued if copy else None,
                outcome=ReturnOutcome.ALREADY_MERGED,
                reason=f"already merged{on} (as {prior.file}); nothing to do",
                # what that merge did, from the Changes log: a receipt lost then can be remade
                lines=master.logged.get(given.sha256.lower(), ()),
            )
            continue
        else:
            issued, reason = _check_identity(master, given)
            if issued is not None:
                accepted.append(_Return(given, issued))
                continue
        results[given.sha256 + given.name] = ReturnResult(
            given.name, given.sha256, outcome=ReturnOutcome.REJECTED, reason=reason
        )
        if given.sha256 not in master.rejected:
            changes.append(
                ChangeRow(
                    when=when,
                    file=given.name,
                    sha256=given.sha256,
                    lead="",
                    ref="",
                    field=FIELD_RETURN,
                    old="",
                    new="",
                    outcome=Outcome.REJECTED,
                    note=reason,
                )
            )

    accepted.sort(key=lambda r: (r.issued.lead, r.issued.issue_id, r.copy.sha256))
    _find_newer(master, accepted)
    claims: dict[str, list[_StatusClaim]] = defaultdict(list)
    new_updates: dict[str, list[tuple[_Return, str]]] = defaultdict(list)
    proposals: list[tuple[_Return, ReturnedRow, str]] = []
    for ret in accepted:
        _read_rows(master, ret, claims, new_updates, proposals)

    status_after = {ref: row.texts["status"] for ref, row in master.rows.items()}
    writes: list[CellWrite] = []
    conflicts_rows: list[ConflictRow] = []
    for ref in sorted(claims):
        writes.extend(_settle_status(master, ref, claims[ref], status_after, conflicts_rows, when))

    updates_rows: list[UpdateRow] = []
    for ref in sorted(new_updates):
        write = _add_updates(master, ref, new_updates[ref], status_after[ref], updates_rows, when)
        if write is not None:
            writes.append(write)

    proposals_rows: list[ProposalRow] = []
    for ret, row, value in proposals:
        current = master.rows[row.ref].texts["timescale"]
        proposals_rows.append(
            ProposalRow(
                when,
                row.ref,
                ret.issued.lead,
                current,
                value,
                due_date(value, year=master.year),
                ret.copy.name,
                ret.issued.issue_id,
                "",
                None,
                "",
            )
        )

    merged_rows: list[MergedReturnRow] = []
    for ret in accepted:
        result = ReturnResult(
            ret.copy.name,
            ret.copy.sha256,
            ret.issued.lead,
            ret.issued.issue_id,
            ret.issued.issued,
            lines=tuple(ret.lines),
        )
        results[ret.copy.sha256 + ret.copy.name] = result
        for line in ret.lines:
            if line.outcome != Outcome.ALREADY:
                changes.append(
                    ChangeRow(
                        when,
                        ret.copy.name,
                        ret.copy.sha256,
                        ret.issued.lead,
                        line.ref,
                        line.field,
                        line.old,
                        line.new,
                        line.outcome,
                        line.note,
                    )
                )
        merged_rows.append(
            MergedReturnRow(
                when,
                ret.copy.name,
                ret.copy.sha256,
                ret.issued.issue_id,
                ret.issued.lead,
                result.count(Outcome.APPLIED) + result.count(Outcome.ADDED),
                result.count(Outcome.CONFLICT),
                result.count(Outcome.PROPOSED),
                result.count(Outcome.REJECTED),
                result.count(Outcome.IGNORED),
                saved_text(ret.copy.saved_at),
            )
        )

    return ChangeSet(
        when=when,
        writes=tuple(writes),
        updates_rows=tuple(updates_rows),
        changes_rows=tuple(changes),
        conflicts_rows=tuple(conflicts_rows),
        proposals_rows=tuple(proposals_rows),
        merged_rows=tuple(merged_rows),
        results=tuple(sorted(results.values(), key=lambda r: (r.name, r.sha256))),
    )


def _find_newer(master: MasterState, accepted: list[_Return]) -> None:
    """Mark each return saved before another return of the same issued copy - one already
    merged, or one in this batch - with the newest such return. Save times are the workbooks'
    own (`ReturnedCopy.saved_at`, the `Saved` column of MergedReturns); where either side has
    none, nothing is marked and the merge is as it was before save times were kept."""
    for ret in accepted:
        saved = ret.saved
        if saved is None:
            continue
        issue_id = ret.issued.issue_id
        found = [
            _Newer(m.file, m.saved, m.merged, in_batch=False)
            for m in master.ledger.merged.values()
            if m.issue_id == issue_id and m.saved is not None and m.saved > saved
        ]
        found += [
            _Newer(other.copy.name, other_saved, None, in_batch=True)
            for other in accepted
            if other is not ret
            and other.issued.issue_id == issue_id
            and (other_saved := other.saved) is not None
            and other_saved > saved
        ]
        if found:
            # one already merged comes first: its update is the one to place this one's below
            ret.newer = max(found, key=lambda n: (not n.in_batch, n.saved, n.file))


class WrongMasterError(ActionPlanError):
    """Every return given is a copy of another plan: the owner gave the wrong master (exit 2,
    nothing written). `master` names the file, when the caller knows it."""

    def __init__(
        self,
        returns: Sequence[ReturnedCopy],
        master_title: str,
        master_id: str,
        master: str = "",
    ) -> None:
        self.returns = tuple(sorted(returns, key=lambda r: (r.name, r.sha256)))
        self.master_title, self.master_id, self.master = master_title, master_id, master
        super().__init__(self.line())

    def naming(self, master: str) -> WrongMasterError:
        """The same error, naming the master file given."""
        return WrongMasterError(self.returns, self.master_title, self.master_id, master)

    @property
    def plans(self) -> tuple[tuple[str, str], ...]:
        """Each plan the returns belong to, as (title, plan id) as the copies carry them."""
        found: dict[tuple[str, str], None] = {}
        for ret in self.returns:
            identity = ret.claimed.identity
            found.setdefault((ret.title, identity.plan_id if identity else ""), None)
        return tuple(found)

    def line(self) -> str:
        """`GT.xlsx is a copy of 'Other plan' (plan id P), not of the master given (M.xlsx,
        'Our plan', plan id Q); merge it into the master of 'Other plan'; nothing was written`."""
        plans = self.plans
        named = " and ".join(_plan_named(title, plan_id) for title, plan_id in plans)
        if len(self.returns) == 1:
            what, them = f"{display_name(self.returns[0].name)} is a copy of", "it"
        else:
            what, them = f"all {count(len(self.returns), 'return')} given are copies of", "them"
        given = f"{display_name(self.master)}, " if self.master else ""
        title = one_line(display_name(self.master_title), 80)
        ours = f"{title!r}, " if title else ""
        into = (
            f"the master of {_plan_named(*plans[0], with_id=False)}"
            if len(plans) == 1
            else "each plan's own master"
        )
        return (
            f"{what} {named}, not of the master given ({given}{ours}plan id "
            f"{display_name(self.master_id) or '(none)'}); merge {them} into {into}; "
            "nothing was written"
        )


def _plan_named(title: str, plan_id: str, *, with_id: bool = True) -> str:
    """`'Our plan' (plan id Q)`, or `plan id Q` for a copy that shows no title."""
    shown = one_line(display_name(title), 80) if title else ""
    if not shown:
        return f"plan id {display_name(plan_id) or '(none)'}"
    return f"{shown!r} (plan id {display_name(plan_id)})" if with_id else repr(shown)


def wrong_master(
    master: MasterState, returns: Sequence[ReturnedCopy | RejectedFile]
) -> WrongMasterError | None:
    """The error to raise when every return given claims another plan than the master's; None
    when at least one could be ours (a return that cannot be read, or whose identity cannot, is
    no evidence of a wrong master, nor is a copy of an issue this master made whose plan id was
    altered) - then each other plan's copy is rejected on its own."""
    foreign = [
        r
        for r in returns
        if isinstance(r, ReturnedCopy)
        and r.claimed.identity is not None
        and r.claimed.identity.plan_id != master.plan_id
        # a copy this master issued, its plan id altered, is ours and is rejected as altered
        and r.claimed.identity.issue_id not in master.ledger.copies
    ]
    if not foreign or len(foreign) != len(returns):
        return None
    return WrongMasterError(foreign, master.title, master.plan_id)


def _check_identity(master: MasterState, ret: ReturnedCopy) -> tuple[IssuedCopy | None, str]:
    """The issue a return belongs to, or why its identity cannot be trusted."""
    shown = display_name(ret.name)
    claimed = ret.claimed
    identity = claimed.identity
    if identity is None:
        return (
            None,
            f"{shown}: {claimed.problem}; ask the lead to fill in the copy they were sent",
        )
    # what the copy claims is shown escaped: a line break in it cannot split the one line
    plan_id, issue_id, lead = (
        display_name(v) for v in (identity.plan_id, identity.issue_id, identity.lead)
    )
    if identity.plan_id != master.plan_id:
        return None, (
            f"{shown}: a copy of another plan (plan id {plan_id}, this master is "
            f"{master.plan_id}); merge it into its own master"
        )
    issued = master.ledger.copies.get(identity.issue_id)
    if issued is None:
        return None, (
            f"{shown}: issue {issue_id} was not issued from this master; was it issued "
            "from another copy of the master? Merge it there, or issue a fresh copy"
        )
    key = master.ledger.key
    if key is None or not verify(identity, claimed.signature, key):
        if signed_with(identity, claimed.signature, master.ledger.retired_keys):
            return None, _retired(master, shown, issued)
        return None, (
            f"{shown}: its signature does not match (the copy's identity was altered); "
            f"issue {issue_id} went to {issued.lead} - ask them to fill in the copy "
            "they were sent"
        )
    if identity.lead != issued.lead:
        return None, (
            f"{shown}: claims lead {lead} but issue {issue_id} went to "
            f"{issued.lead}; ask {issued.lead} to return their own copy"
        )
    if set(identity.refs) != set(issued.refs):
        return None, (
            f"{shown}: its items do not match what issue {issue_id} recorded; issue a fresh copy"
        )
    return issued, ""


def _retired(master: MasterState, shown: str, issued: IssuedCopy) -> str:
    """Why a copy signed with a key since retired (`issue --new-key`) is refused: not altered,
    out of date; the lead needs the newest copy issued to them, if there is one."""
    lead = issued.lead
    later = [
        c.issued
        for c in master.ledger.copies.values()
        if c.lead == lead
        and c.issued is not None
        and (issued.issued is None or c.issued > issued.issued)
    ]
    if later:
        on = f"{max(later):%d %b %Y}"
        what = f"copies were re-issued on {on}"
        then = f"ask {lead} to fill in the new copy issued to them on {on} and return that"
    else:
        what = "copies were re-issued with a new key"
        then = f"issue {lead} a new copy and ask them to fill that in"
    return (
        f"{shown}: its signature does not match the key in force - it was signed with a key "
        f"since retired ({what}), so issue {display_name(issued.issue_id)} is no longer "
        f"accepted; {then}"
    )


def _read_rows(
    master: MasterState,
    ret: _Return,
    claims: dict[str, list[_StatusClaim]],
    new_updates: dict[str, list[tuple[_Return, str]]],
    proposals: list[tuple[_Return, ReturnedRow, str]],
) -> None:
    issue_id = ret.issued.issue_id
    mine = set(ret.issued.refs)
    lines = ret.lines
    for ref in ret.copy.duplicate_refs[:STRAY_ROWS_SHOWN]:
        note = "the ref is on more than one row; none was read - keep one row per item"
        lines.append(ReceiptLine(_quote(ref), FIELD_RETURN, Outcome.REJECTED, note=note))
    if len(ret.copy.duplicate_refs) > STRAY_ROWS_SHOWN:
        more = len(ret.copy.duplicate_refs) - STRAY_ROWS_SHOWN
        note = f"{more:,} more refs are on more than one row; none of them was read"
        lines.append(ReceiptLine("", FIELD_RETURN, Outcome.REJECTED, note=note))
    lines.extend(reading_lines(ret.copy))
    returned = {row.ref: row for row in ret.copy.rows}
    stray = [
        ref
        for ref in sorted(set(returned) - mine)
        if any(v.strip() for v in (returned[ref].new_update, returned[ref].proposed_timescale,
                                   returned[ref].status))
    ]  # fmt: skip
    if len(stray) > STRAY_ROWS_SHOWN:
        shown = ", ".join(_quote(r) for r in stray[:STRAY_ROWS_SHOWN])
        note = (
            f"{len(stray):,} rows: not one of the items in your copy (the first: {shown}); none "
            "was read - type only on your own items' rows"
        )
        lines.append(ReceiptLine("", FIELD_RETURN, Outcome.IGNORED, note=note))
    else:
        for ref in stray:
            note = "not one of the items in your copy; ask the owner to change other items"
            lines.append(ReceiptLine(_quote(ref), FIELD_RETURN, Outcome.IGNORED, note=note))
    for ref in ret.issued.refs:
        row = returned.get(ref)
        if row is None:
            continue  # a lead may delete rows they have nothing to say about
        current = master.rows.get(ref)
        if current is None:
            _read_deleted(master, ret, row, master.ledger.items.get((issue_id, ref)))
            continue
        issued = master.ledger.items[(issue_id, ref)]
        for key in changed_locked_fields(issued.digest, row.locked):
            lines.append(locked_edit(ret.copy, row, key, current.texts.get(key, "")))
        for key, value, why in row.unreadable:
            ret.lines.append(
                ReceiptLine(
                    ref, _EDITABLE_TITLES[key], Outcome.REJECTED, new=_quote(value), note=why
                )
            )
        _read_status(master, ret, row, issued.status, claims)
        text = _clean(row.new_update)
        if text:
            source = master.merged_updates.get((ret.issued.lead, ref, text))
            if source is not None:
                note = f"already added from {display_name(source)}"
                lines.append(ReceiptLine(ref, FIELD_UPDATE, Outcome.ALREADY, new=text, note=note))
            else:
                new_updates[ref].append((ret, text))
        proposed = " ".join(row.proposed_timescale.split())
        if proposed:
            _read_proposal(master, ret, row, proposed, proposals)


#: Why nothing typed for an item the owner has deleted since the copy was issued is taken in.
DELETED_NOTE = "the item is no longer in the plan; the owner will be in touch"


def locked_edit(copy: ReturnedCopy, row: ReturnedRow, key: str, now: str) -> ReceiptLine:
    """The line for a locked cell the lead changed (`now`: the master's text): in words for the
    lead, what they typed, in the column as their copy titled it, and where it should go."""
    titles = {**_EDITABLE_TITLES, **_LOCKED_TITLES, **copy.titles}
    title = titles.get(key, key)
    typed = row.locked.get(key, "")
    shown = one_line(cell_safe(typed), TYPED_SHOWN)
    said = f"{TOLD_TYPED}'{shown}' in {title}" if shown else f"{TOLD_CLEARED}{title}"
    advice = LOCKED_ADVICE.get(key, OWNERS_COLUMN).format_map(titles)
    return ReceiptLine(
        row.ref,
        title,
        Outcome.IGNORED,
        old=_quote(now),
        new=_quote(typed),
        note=f"{said}; {advice}",
    )


def _read_deleted(
    master: MasterState, ret: _Return, row: ReturnedRow, issued: IssuedItem | None
) -> None:
    """An item deleted from the plan since the copy was issued: each field the lead answered
    gets its own line, with what they typed (an update whole, so the Changes log keeps their
    words for the owner), and nothing is taken in. A status left as issued is no answer."""
    for key, value, _why in row.unreadable:  # a formula or a year-less date: still the lead's
        ret.lines.append(
            ReceiptLine(
                row.ref,
                _EDITABLE_TITLES[key],
                Outcome.REJECTED,
                new=_quote(value),
                note=DELETED_NOTE,
            )
        )
    status = row.status.strip()
    was = issued.status if issued else ""
    if status and _status(master, status) != _status(master, was):
        ret.lines.append(
            ReceiptLine(
                row.ref, FIELD_STATUS, Outcome.REJECTED, new=_quote(status), note=DELETED_NOTE
            )
        )
    text = _clean(row.new_update)
    if text:
        ret.lines.append(
            ReceiptLine(row.ref, FIELD_UPDATE, Outcome.REJECTED, new=text, note=DELETED_NOTE)
        )
    proposed = " ".join(row.proposed_timescale.split())
    was = " ".join((issued.timescale if issued else "").split())
    if proposed and proposed.casefold() != was.casefold():
        ret.lines.append(
            ReceiptLine(
                row.ref, FIELD_PROPOSED, Outcome.REJECTED, new=_quote(proposed), note=DELETED_NOTE
            )
        )


def _read_status(
    master: MasterState,
    ret: _Return,
    row: ReturnedRow,
    issued_status: str,
    claims: dict[str, list[_StatusClaim]],
) -> None:
    key = master.rag_key
    value = key.normalise(row.status)
    if value is None:
        ret.lines.append(
            ReceiptLine(
                row.ref,
                FIELD_STATUS,
                Outcome.REJECTED,
                new=_quote(row.status),
                note=f"{_quote(row.status)!r} is not a RAG status in this plan's key; use "
                f"{', '.join(key.codes)}",
            )
        )
        return
    base = _status(master, issued_status)
    if not value or value == base:
        return  # blank is no answer; unchanged is nothing to do
    earlier = master.applied_status.get((ret.issued.issue_id, row.ref))
    master_value = _status(master, master.rows[row.ref].texts["status"])
    if earlier is not None and _status(master, earlier) == master_value:
        base = master_value  # this copy's own earlier return set it; the lead may revise it
    claims[row.ref].append(_StatusClaim(ret, row.ref, value, base))


def _settle_status(
    master: MasterState,
    ref: str,
    claims: list[_StatusClaim],
    status_after: dict[str, str],
    conflicts_rows: list[ConflictRow],
    when: dt.datetime,
) -> list[CellWrite]:
    """The item's status after the claims on it: those from returns no later return of the
    same copy overtakes are settled first; then a claim from a return saved before another
    of its copy (merged before, or in this batch) never changes the status - the same value
    is already there, a different one is a conflict, and the newer return stands."""
    live = [c for c in claims if c.ret.newer is None]
    writes = _settle_live(master, ref, live, status_after, conflicts_rows, when)
    after = _status(master, status_after[ref])
    for claim in claims:
        newer, saved = claim.ret.newer, claim.ret.saved
        if newer is None or saved is None:
            continue
        if claim.value == after:
            claim.ret.lines.append(ReceiptLine(ref, FIELD_STATUS, Outcome.ALREADY, new=claim.value))
            continue
        note = (
            f"this return was {newer.told(saved)}; the newer return stands and the master keeps "
            f"{after or 'blank'}"
        )
        _conflict(master, claim, after, note, conflicts_rows, when)
    return writes


def _settle_live(
    master: MasterState,
    ref: str,
    claims: list[_StatusClaim],
    status_after: dict[str, str],
    conflicts_rows: list[ConflictRow],
    when: dt.datetime,
) -> list[CellWrite]:
    row = master.rows[ref]
    current = _status(master, row.texts["status"])
    pending: list[_StatusClaim] = []
    for claim in claims:
        if claim.value == current:
            claim.ret.lines.append(ReceiptLine(ref, FIELD_STATUS, Outcome.ALREADY, new=claim.value))
        elif current != claim.base:
            note = (
                f"issued as {claim.base or 'blank'}, since changed in the master to "
                f"{current or 'blank'}; the master keeps {current or 'blank'}"
            )
            _conflict(master, claim, current, note, conflicts_rows, when)
        else:
            pending.append(claim)
    values = {c.value for c in pending}
    if len(values) > 1:
        others = ", ".join(f"{c.ret.issued.lead} {c.value}" for c in pending)
        for claim in pending:
            note = f"the item's leads returned different statuses ({others}); the master keeps "
            note += current or "blank"
            _conflict(master, claim, current, note, conflicts_rows, when)
        return []
    if not pending:
        return []
    value = pending[0].value
    for claim in pending:
        claim.ret.lines.append(
            ReceiptLine(ref, FIELD_STATUS, Outcome.APPLIED, old=row.texts["status"], new=value)
        )
    status_after[ref] = value
    return [
        CellWrite(ref, "status", row.excel_row, row.columns["status"], row.texts["status"], value)
    ]


def _conflict(
    master: MasterState,
    claim: _StatusClaim,
    current: str,
    note: str,
    conflicts_rows: list[ConflictRow],
    when: dt.datetime,
) -> None:
    ret = claim.ret
    ret.lines.append(
        ReceiptLine(
            claim.ref, FIELD_STATUS, Outcome.CONFLICT, old=current, new=claim.value, note=note
        )
    )
    key = (ret.issued.issue_id, claim.ref, FIELD_STATUS, claim.value)
    if key not in master.ledger.conflicts:
        conflicts_rows.append(
            ConflictRow(
                when,
                claim.ref,
                FIELD_STATUS,
                ret.issued.lead,
                claim.base,
                current,
                claim.value,
                note,
                ret.copy.name,
                ret.issued.issue_id,
                "",
            )
        )


def _add_updates(
    master: MasterState,
    ref: str,
    entries: list[tuple[_Return, str]],
    status: str,
    updates_rows: list[UpdateRow],
    when: dt.datetime,
) -> CellWrite | None:
    """Put the new entries in the item's Update cell and in the Updates log, newest first as the
    document does: at the top, those of one issued copy in the order they were saved (so the
    later save is above). An update from a return saved before one already merged from the same
    copy is older than that return's update: it goes just below it, and its line says so. The
    same words from the same lead are added once. An entry that would overflow the cell is
    rejected, not cut."""
    row = master.rows[ref]
    old = row.texts["updates"]
    kept = _same_words_once(ref, entries)
    behind = sorted(
        (e for e in kept if _behind_merged(e[0])), key=lambda e: (e[0].saved, e[0].copy.sha256)
    )
    top = _in_save_order([e for e in kept if not _behind_merged(e[0])])
    text = old
    added = False
    for ret, words in [*behind, *top]:  # the top ones last: each goes above what is there
        display = f"{new_entry_label(when.date(), ret.issued.lead)}: {words}"
        at = _below_newer(master, ref, ret, text) if _behind_merged(ret) else None
        if at is None:
            candidate = display + (UPDATE_SEPARATOR + text if text else "")
        else:
            candidate = text[:at] + UPDATE_SEPARATOR + display + text[at:]
        if excel_length(candidate) > CELL_LIMIT:
            ret.lines.append(
                ReceiptLine(
                    ref,
                    FIELD_UPDATE,
                    Outcome.REJECTED,
                    new=_quote(words),
                    note=f"the item's Update cell would pass Excel's {CELL_LIMIT:,}-character "
                    "limit; shorten the update, or the owner archives older updates",
                )
            )
            continue
        text, added = candidate, True
        note = _older_note(ret, placed_below=at is not None or _newer_above(ret, top))
        ret.lines.append(ReceiptLine(ref, FIELD_UPDATE, Outcome.ADDED, new=display, note=note))
        source = update_source(ret.copy.name, ret.issued.issue_id)
        updates_rows.append(UpdateRow(ref, when.date(), ret.issued.lead, status, display, source))
    if not added:
        return None
    return CellWrite(ref, "updates", row.excel_row, row.columns["updates"], old, text)


def _behind_merged(ret: _Return) -> bool:
    """Saved before a return of the same copy that is already merged."""
    return ret.newer is not None and not ret.newer.in_batch


def _same_words_once(ref: str, entries: list[tuple[_Return, str]]) -> list[tuple[_Return, str]]:
    """The entries to add: the same words from the same lead for the item (from two returns of
    one copy, or a superseded copy and its replacement) are added once - from a return no later
    one overtakes, where there is one - and the others are told they are already in."""
    first: dict[tuple[str, str], _Return] = {}
    keep: set[int] = set()
    for i in sorted(range(len(entries)), key=lambda i: (entries[i][0].newer is not None, i)):
        ret, words = entries[i]
        found = first.setdefault((ret.issued.lead, words), ret)
        if found is ret:
            keep.add(i)
            continue
        note = f"the same words as {display_name(found.copy.name)!r}, added from it in this merge"
        ret.lines.append(ReceiptLine(ref, FIELD_UPDATE, Outcome.ALREADY, new=words, note=note))
    return [e for i, e in enumerate(entries) if i in keep]


def _in_save_order(entries: list[tuple[_Return, str]]) -> list[tuple[_Return, str]]:
    """`entries` with those of each issued copy put in the order they were saved (earliest
    first, so the latest ends on top), in the places that copy's entries had; a copy with a
    return whose save time is not known keeps the order it had."""
    out = list(entries)
    slots: dict[str, list[int]] = defaultdict(list)
    for i, (ret, _) in enumerate(entries):
        slots[ret.issued.issue_id].append(i)
    for places in slots.values():
        mine = [entries[i] for i in places]
        if len(mine) < 2 or any(ret.saved is None for ret, _ in mine):
            continue
        ordered = sorted(mine, key=lambda e: (e[0].saved or dt.datetime.min, e[0].copy.sha256))
        for i, entry in zip(places, ordered, strict=True):
            out[i] = entry
    return out


def _newer_above(ret: _Return, top: list[tuple[_Return, str]]) -> bool:
    """Whether an update of a return of the same copy saved after `ret` goes on top of it."""
    saved = ret.saved
    return saved is not None and any(
        other is not ret
        and other.issued.issue_id == ret.issued.issue_id
        and (other_saved := other.saved) is not None
        and other_saved > saved
        for other, _ in top
    )


def _below_newer(master: MasterState, ref: str, ret: _Return, text: str) -> int | None:
    """Where in the Update cell `text` an update of `ret` goes, when a return of its copy saved
    after it is already merged: just below the lowest entry that such a return put there (the
    end of that entry); None when none of them is in the cell as it was added."""
    saved = ret.saved
    if saved is None:
        return None
    issue_id = ret.issued.issue_id
    ends = []
    for issue, file, display in master.merged_entries.get(ref, ()):
        if issue != issue_id:
            continue
        file_saved = _file_saved(master.ledger, issue, file)
        if file_saved is None or file_saved <= saved:
            continue
        end = _entry_end(text, display)
        if end is not None:
            ends.append(end)
    return max(ends, default=None)


def _file_saved(ledger: Ledger, issue_id: str, file: str) -> dt.datetime | None:
    """When the return of `issue_id` merged as `file` was saved; the earliest, when several
    were merged under that name; None when any of them has no save time."""
    saves = [m.saved for m in ledger.merged.values() if m.issue_id == issue_id and m.file == file]
    if not saves or any(s is None for s in saves):
        return None
    return min(s for s in saves if s is not None)


def _entry_end(text: str, display: str) -> int | None:
    """The end of the first whole entry `display` in an Update cell's `text`, or None."""
    start = 0
    while (p := text.find(display, start)) >= 0:
        end = p + len(display)
        whole_start = p == 0 or text.endswith(UPDATE_SEPARATOR, 0, p)
        if whole_start and (end == len(text) or text.startswith(UPDATE_SEPARATOR, end)):
            return end
        start = p + 1
    return None


def _older_note(ret: _Return, *, placed_below: bool) -> str:
    """The note on an update from a return saved before another of its copy; "" otherwise."""
    newer, saved = ret.newer, ret.saved
    if newer is None or saved is None:
        return ""
    if placed_below:
        return f"this return was {newer.told(saved)}; its update is placed below the newer one"
    return (
        f"this return was {newer.told(saved)}; no update from the newer return is in the item, "
        "so this one is added on top - check it is still current"
    )


def _read_proposal(
    master: MasterState,
    ret: _Return,
    row: ReturnedRow,
    proposed: str,
    proposals: list[tuple[_Return, ReturnedRow, str]],
) -> None:
    current = master.rows[row.ref].texts["timescale"]
    if due_date(proposed, year=master.year) is None:
        shown = _quote(proposed)
        note = f"{shown!r} names no month and year; write it like Jun-24 or June 2024"
        ret.lines.append(
            ReceiptLine(row.ref, FIELD_PROPOSED, Outcome.REJECTED, new=shown, note=note)
        )
    elif " ".join(current.split()).casefold() == proposed.casefold():
        ret.lines.append(ReceiptLine(row.ref, FIELD_PROPOSED, Outcome.ALREADY, new=proposed))
    elif (ret.issued.issue_id, row.ref, proposed) in master.ledger.proposals:
        ret.lines.append(
            ReceiptLine(
                row.ref, FIELD_PROPOSED, Outcome.ALREADY, new=proposed, note="already proposed"
            )
        )
    else:
        note = "recorded for the plan owner to accept"
        newer, saved = ret.newer, ret.saved
        if newer is not None and saved is not None:
            note += f"; this return was {newer.told(saved)}"
        ret.lines.append(
            ReceiptLine(
                row.ref, FIELD_PROPOSED, Outcome.PROPOSED, old=current, new=proposed, note=note
            )
        )
        proposals.append((ret, row, proposed))


def _status(master: MasterState, text: str) -> str:
    """A status for comparison: its code in the plan's key when it is one, else the text as
    typed."""
    value = master.rag_key.normalise(text)
    return value if value is not None else text.strip()


def _clean(text: str) -> str:
    """A lead's update as it will be stored: ends trimmed, line ends made Excel's, and without
    characters a workbook cannot hold (the receipt then shows exactly what was stored)."""
    return cell_safe(text.replace("\r\n", "\n").replace("\r", "\n")).strip()


def _quote(text: str) -> str:
    """A lead's value as quoted back in a note, receipt or log row: one line, and cut short if
    long (the whole value stays in their return)."""
    text = " ".join(cell_safe(text).split())
    return text if len(text) <= QUOTE_LIMIT else text[: QUOTE_LIMIT - 1] + "…"


#: More places than this where a return holds text the merge does not read are summed up.
UNTAKEN_SHOWN = 40


def reading_lines(copy: ReturnedCopy) -> list[ReceiptLine]:
    """What the reading of a return found that the merge will not take in, as receipt lines:
    answers sorted off their items, and every place text was typed where it is not read."""
    lines: list[ReceiptLine] = []
    if copy.moved_refs:
        refs = ", ".join(_quote(r) for r in copy.moved_refs[:STRAY_ROWS_SHOWN])
        more = len(copy.moved_refs) - STRAY_ROWS_SHOWN
        refs += f" and {more:,} more" if more > 0 else ""
        note = (
            f"the answers on the rows of {refs} were moved there from other rows (sorted?), so "
            "none of them was read; undo the sort, or type the answers again on a fresh copy, "
            "and send it again"
        )
        lines.append(ReceiptLine("", FIELD_RETURN, Outcome.REJECTED, note=note))
    for found in copy.untaken[:UNTAKEN_SHOWN]:
        sheet = "" if found.sheet == SHEET_PLAN else f"sheet {found.sheet!r}, "
        note = (
            f"typed in {found.place} ({sheet}cell {found.cell}), which is not read; {found.advice}"
        )
        lines.append(
            ReceiptLine("", FIELD_RETURN, Outcome.IGNORED, new=_quote(found.text), note=note)
        )
    if len(copy.untaken) > UNTAKEN_SHOWN:
        rest = copy.untaken[UNTAKEN_SHOWN:]
        cells = ", ".join(f"{u.sheet}!{u.cell}" for u in rest)
        note = f"{len(rest):,} more cells hold text that is not read: {cells}"
        lines.append(ReceiptLine("", FIELD_RETURN, Outcome.IGNORED, note=note))
    return lines
