"""Issuing lead copies: one plain .xlsx per lead with only their items, signed, and recorded in
the master's ledger so their return can be merged against exactly what was sent.

`plan_for_lead` and `issue_records` are pure; `issue_copies` does the files: it checks the master
can be written, writes the copies, then records them in the master (removing the copies again if
that fails, so a copy never exists that the master does not know about).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from sync.decisions import decisions_for_lead
from sync.drafts import Draft, check_email, draft, draft_file_name, what_to_do, write_draft
from sync.identity import (
    SHEET_IDENTITY,
    CopyIdentity,
    identity_rows,
    new_issue_id,
    new_key,
    sign,
)
from sync.ledger import (
    LEDGER_SHEETS,
    SIGNING_KEY_SETTING,
    IssuedCopyRow,
    IssuedItem,
    IssuedItemRow,
    SigningKeyRow,
    issued_rows,
    ledger_from_sheets,
    locked_digest,
)
from sync.owner import Owner, OwnerEdits, owner_edits, owner_for_issue, record_owner
from workbook import clock
from workbook.board.summary import headline
from workbook.errors import ActionPlanError, MasterError
from workbook.lead_copy.layout import CopyText, build_lead_copy
from workbook.master.edit import MasterEdit
from workbook.master.editor import Editor, append_rows
from workbook.master.read import plan_from_sheets, read_snapshot
from workbook.master.sheets import LeadRow
from workbook.master.write import item_texts
from workbook.plan.model import Item, Plan
from workbook.wording import count, long_date
from workbook.xlsx.cells import Grid
from workbook.xlsx.files import (
    check_not_open,
    check_writable,
    free_path,
    write_new_files,
    writer_lock,
)

#: How long a finding's first line may be in an email's list of items.
HEADLINE_LIMIT = 120


@dataclass(frozen=True)
class IssuedFile:
    """One copy written."""

    lead: str
    path: Path
    issue_id: str
    refs: tuple[str, ...]


@dataclass(frozen=True)
class IssueEmail:
    """A draft email written for one copy."""

    lead: str
    path: Path
    to: str  # "" when the Leads sheet has no (right) address for the lead
    problems: tuple[str, ...]


@dataclass(frozen=True)
class IssueRun:
    """What `issue_copies` did."""

    master: Path
    copies: tuple[IssuedFile, ...]
    backup: Path | None
    owner: Owner = field(default_factory=Owner)
    emails: tuple[IssueEmail, ...] = ()
    plan: Plan | None = None  # the plan as issued


# --- Pure core ---------------------------------------------------------------------------------


def plan_for_lead(plan: Plan, lead: str) -> Plan:
    """The plan as `lead`'s copy shows it: only the items they lead (alone or with others), in
    the master's order, with their sections for context."""
    items = tuple(it for it in plan.items if lead in plan.codes_of(it))
    sections = tuple(s for s in plan.sections if any(it.section == s for it in items))
    return dataclasses.replace(plan, items=items, sections=sections)


def leads_with_items(plan: Plan) -> list[str]:
    """Every lead code some item names: the register's order first, then any others as met."""
    named = list(dict.fromkeys(code for it in plan.items for code in plan.codes_of(it)))
    register = [code for code in plan.lead_codes if code in named]
    return register + [code for code in named if code not in register]


def choose_leads(plan: Plan, requested: Sequence[str] | None) -> list[str]:
    """The leads to issue copies to: all with items, or those asked for (by code, any case)."""
    available = leads_with_items(plan)
    if not requested:
        if not available:
            raise ActionPlanError(
                "no item has a lead, so there is nobody to send a copy to; fill in the Lead column"
            )
        return available
    by_fold = {code.casefold(): code for code in available}
    chosen: list[str] = []
    for code in requested:
        found = by_fold.get(code.strip().casefold())
        if found is None:
            raise ActionPlanError(
                f"no item has lead {code!r}; leads with items: {', '.join(available) or 'none'}"
            )
        if found not in chosen:
            chosen.append(found)
    return chosen


def issue_records(items: Sequence[Item], issue_id: str) -> list[IssuedItem]:
    """What the ledger keeps of each item as issued: the base of the three-way merge."""
    return [
        IssuedItem(issue_id, it.ref, it.status, it.timescale, locked_digest(item_texts(it)))
        for it in items
    ]


def copy_text(
    plan: Plan,
    lead: str,
    issued: dt.datetime,
    owner: Owner | None = None,
    decided: Sequence[str] = (),
) -> CopyText:
    """The words at the top of `lead`'s copy: whose it is, what to do, and to whom and by when
    it goes back; then `decided`, a line per proposal of theirs the owner decided since their
    last copy (`sync.decisions.decisions_for_lead`)."""
    owner = owner or Owner()
    name = next((ld.name for ld in plan.leads if ld.code == lead and ld.name), "")
    who = f"{lead} ({name})" if name else lead
    codes = ", ".join(f"{r.code} {r.meaning.lower()}" for r in plan.rag_key)
    back = " ".join(p for p in ("send it back to", owner.who(), owner.return_by()) if p)
    return CopyText(
        heading=f"Copy for {who} - issued {issued.day} {issued:%B %Y}"
        + (f" - return {owner.return_by()}" if owner.due else ""),
        instructions=(
            f"For each of your items choose a Status ({codes}) and type what has happened since "
            "the last update in New update. If the time-scale must change, type the new one in "
            "Proposed time-scale.",
            "The other columns are locked. Save the file as .xlsx (keeping its name is fine) and "
            f"{back}; you will get a receipt listing what was taken in.",
            *decided,
        ),
        footer=f"{plan.title} - copy for {lead}, issued {issued:%d %b %Y}",
    )


def issue_subject(plan: Plan, lead: str, owner: Owner) -> str:
    title = " ".join(plan.title.split()) or "Action plan"
    due = f", return {owner.return_by()}" if owner.due else ""
    return f"{title}: your items for update ({lead}){due}"


def issue_email_text(plan: Plan, lead: str, file: str, owner: Owner) -> str:
    """The body of the email a copy goes out with: the lead's items (ref and the finding's first
    line), the return-by date and the owner, and what to do."""
    name = plan.register.lead(lead)
    who = (name.name.strip() if name else "") or lead
    title = " ".join(plan.title.split()) or "the action plan"
    items = [it for it in plan.items if lead in plan.codes_of(it)]
    lines = [f"Dear {who},", ""]
    lines.append(
        f"Attached is your copy of {title}, with the {count(len(items), 'item')} you lead: "
        f'"{file}".'
    )
    if owner.due is not None:
        lines.append(f"Please send it back to {owner.who()} by {long_date(owner.due)}.")
    lines.append("")
    lines.append("Your items:")
    lines.append("")
    width = max((len(it.ref) for it in items), default=0)
    for it in items:
        lines.append(f"  {it.ref.ljust(width)}  {headline(it, limit=HEADLINE_LIMIT)}")
    lines.append("")
    return "\n".join([*lines, *what_to_do(plan, file, owner)])


def issue_email(plan: Plan, lead: str, copy: bytes, file: str, owner: Owner) -> Draft:
    """The draft email that sends `lead` their copy (its bytes, attached as `file`)."""
    registered = plan.register.lead(lead)
    return draft(
        lead=lead,
        name=registered.name if registered else "",
        email=registered.email if registered else "",
        owner=owner,
        subject=issue_subject(plan, lead, owner),
        body=issue_email_text(plan, lead, file, owner),
        attachment=copy,
        file_name=file,
    )


def copy_file_name(lead: str, issued: dt.datetime) -> str:
    """Whose copy and when it was issued, readable in an email attachment list."""
    return f"Action plan - {lead} - issued {issued:%Y-%m-%d}.xlsx"


# --- Files -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlannedCopy:
    """A copy to write: where, what it shows, and the identity it carries."""

    lead: str
    path: Path
    plan: Plan
    text: CopyText
    identity_rows: tuple[tuple[str, str], ...]
    issue_id: str
    refs: tuple[str, ...]


@dataclass(frozen=True)
class IssuePlan:
    """Everything an issue does: the copies to write and the ledger rows recording them."""

    copies: tuple[PlannedCopy, ...]
    key_rows: tuple[SigningKeyRow, ...]  # a new signing key, when the master has none
    copy_rows: tuple[IssuedCopyRow, ...]
    item_rows: tuple[IssuedItemRow, ...]
    #: leads the items name that the Leads sheet does not list yet (a name typed into a Lead
    #: cell after import), with the code the register gave them, so that code stays theirs
    lead_rows: tuple[LeadRow, ...] = ()
    #: the owner and return-by date the copies name, and what of them goes onto Settings
    owner: Owner = field(default_factory=Owner)
    owner_edits: OwnerEdits | None = None
    #: the plan as issued, for the emails
    plan: Plan | None = None


def plan_issue(
    sheets: Mapping[str, Grid],
    out_dir: Path,
    *,
    leads: Sequence[str] | None = None,
    when: dt.datetime,
    source: str = "the master",
    new_signing_key: bool = False,
    owner: Owner | None = None,
) -> IssuePlan:
    """What issuing copies from a master's sheets to `out_dir` would do (it only looks at which
    file names are free there). `owner` is what the command line gives of the owner and the
    return-by date; Settings gives the rest, and keeps what is given."""
    given = owner or Owner()
    if given.email:
        check_email(given.email, "--owner-email")
    issued_owner = owner_for_issue(sheets, given, when.date(), source=source)
    plan = plan_from_sheets(sheets)
    if not plan.plan_id:
        raise MasterError(
            f"{source}: the Settings sheet has no 'Plan id', so returns could not be matched to "
            "this plan; rebuild the master with `actionplan import`"
        )
    chosen = choose_leads(plan, leads)
    ledger = ledger_from_sheets(sheets)
    key = ledger.key
    key_rows: tuple[SigningKeyRow, ...] = ()
    if key is None or new_signing_key:
        key = new_key()
        key_rows = (SigningKeyRow(SIGNING_KEY_SETTING, key),)
    copies: list[PlannedCopy] = []
    copy_rows: list[IssuedCopyRow] = []
    item_rows: list[IssuedItemRow] = []
    taken: set[Path] = set()
    for lead in chosen:
        lead_plan = plan_for_lead(plan, lead)
        issue_id = new_issue_id(lead, when)
        refs = tuple(it.ref for it in lead_plan.items)
        identity = CopyIdentity(plan.plan_id, issue_id, lead, when, refs)
        before = [c.issued for c in ledger.copies.values() if c.lead == lead and c.issued]
        decided = decisions_for_lead(
            sheets,
            lead,
            {it.ref: it.timescale for it in lead_plan.items},
            max(before, default=None),
        )
        path = free_path(out_dir / copy_file_name(lead, when), taken)
        taken.add(path)
        copies.append(
            PlannedCopy(
                lead,
                path,
                lead_plan,
                copy_text(plan, lead, when, issued_owner, decided),
                tuple(identity_rows(identity, sign(identity, key))),
                issue_id,
                refs,
            )
        )
        copy_row, rows = issued_rows(
            issue_id,
            lead,
            when,
            path.name,
            issue_records(lead_plan.items, issue_id),
            folder=str(out_dir.resolve()),
        )
        copy_rows.append(copy_row)
        item_rows.extend(rows)
    listed = {lead.code.casefold() for lead in plan.leads}
    lead_rows = tuple(
        LeadRow(lead.code, lead.name, lead.email)
        for lead in plan.register.leads
        if lead.code.casefold() not in listed
    )
    return IssuePlan(
        tuple(copies),
        key_rows,
        tuple(copy_rows),
        tuple(item_rows),
        lead_rows,
        issued_owner,
        owner_edits(sheets, given),
        plan,
    )


def record_issue(editor: Editor, issue: IssuePlan) -> None:
    """Put the issue's ledger rows (and a new signing key) into the master through `editor`."""
    append_rows(editor, issue.key_rows)
    append_rows(editor, issue.copy_rows)
    append_rows(editor, issue.item_rows)
    append_rows(editor, issue.lead_rows)
    if issue.owner_edits is not None:
        record_owner(editor, issue.owner_edits)


def write_copies(issue: IssuePlan) -> tuple[IssuedFile, ...]:
    """Write the planned copies, all or none (workbook.xlsx.files.write_new_files)."""

    def writer(c: PlannedCopy) -> Callable[[BinaryIO], object]:
        def write(fh: BinaryIO) -> None:  # each copy is built as it is written, not all at once
            wb = build_lead_copy(
                c.plan, c.text, identity_sheet=SHEET_IDENTITY, identity_rows=c.identity_rows
            )
            wb.save(fh)

        return write

    for c in issue.copies:
        c.path.parent.mkdir(parents=True, exist_ok=True)
    # all or none: no copy is put in place unless every one was written
    write_new_files([(c.path, writer(c)) for c in issue.copies])
    return tuple(IssuedFile(c.lead, c.path, c.issue_id, c.refs) for c in issue.copies)


def remove_copies(copies: Sequence[IssuedFile]) -> None:
    """A copy the master does not record could never be merged: take it back."""
    for f in copies:
        f.path.unlink(missing_ok=True)


def issue_copies(
    master: Path,
    out_dir: Path,
    *,
    leads: Sequence[str] | None = None,
    when: dt.datetime | None = None,
    new_signing_key: bool = False,
    owner: Owner | None = None,
    emails_dir: Path | None = None,
) -> IssueRun:
    """Write a copy per lead into `out_dir` and record each in the master's ledger.

    `new_signing_key` replaces the key the copies are signed with (after a master may have been
    seen by someone else): copies issued before stop verifying, so issue to every lead.
    `owner` (name, email, return-by date) is named in each copy and kept on Settings; with
    `emails_dir`, a draft email per copy is written there, the copy attached."""
    master, out_dir = Path(master), Path(out_dir)
    when = (when or clock.now()).replace(microsecond=0)
    if emails_dir is not None and emails_dir.exists() and not emails_dir.is_dir():
        raise ActionPlanError(f"--emails {emails_dir} is a file; give a folder for the emails")
    check_writable(master)  # before any copy is written: a read-only master records none
    with writer_lock(master):
        run = _issue_copies(
            master,
            out_dir,
            leads=leads,
            when=when,
            new_signing_key=new_signing_key,
            owner=owner,
        )
    if emails_dir is None:
        return run
    return dataclasses.replace(run, emails=write_issue_emails(run, emails_dir, when))


def _issue_copies(
    master: Path,
    out_dir: Path,
    *,
    leads: Sequence[str] | None,
    when: dt.datetime,
    new_signing_key: bool,
    owner: Owner | None,
) -> IssueRun:
    # rich: the copies show each finding's italic narrative as the master does
    snapshot = read_snapshot(master, also=LEDGER_SHEETS, rich=True)
    if out_dir.exists() and not out_dir.is_dir():
        raise ActionPlanError(f"--out {out_dir} is a file; give a folder for the copies")
    issue = plan_issue(
        snapshot.sheets,
        out_dir,
        leads=leads,
        when=when,
        source=str(master),
        new_signing_key=new_signing_key,
        owner=owner,
    )
    check_not_open(master)
    edit = MasterEdit(snapshot)
    record_issue(edit, issue)
    written = write_copies(issue)
    try:
        backup = edit.commit(when=when)
    except BaseException:
        remove_copies(written)
        raise
    return IssueRun(master, written, backup, issue.owner, plan=issue.plan)


def write_issue_emails(
    run: IssueRun, emails_dir: Path, when: dt.datetime
) -> tuple[IssueEmail, ...]:
    """A draft email per copy issued, its copy attached (read back from disk, so what goes out
    is the very file recorded), named by lead and day in free names in `emails_dir`."""
    plan = run.plan
    if plan is None:
        return ()
    emails_dir.mkdir(parents=True, exist_ok=True)
    out: list[IssueEmail] = []
    taken: set[Path] = set()
    for f in run.copies:
        composed = issue_email(plan, f.lead, f.path.read_bytes(), f.path.name, run.owner)
        path = free_path(emails_dir / draft_file_name("Copy", f.lead, when), taken)
        taken.add(path)
        write_draft(path, composed)
        out.append(IssueEmail(f.lead, path, composed.to, composed.problems))
    return tuple(out)
