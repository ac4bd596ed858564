"""Reminders for leads whose copy has not come back: one draft email (.eml) per outstanding lead,
their copy attached, for the owner to check and send from their own mail program.

The drafts are built by `sync.drafts` (as `issue --emails` builds its own): `X-Unsent: 1`, from
the owner when Settings has their email, naming the return-by date. Nothing is sent from here and
the master is not written.

`reminder` is the pure core (plan, a lead's status, their copy's bytes -> message and problems);
`chase` finds the copies, writes the files and says what needs the owner's attention.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sync.drafts import Draft, draft, draft_file_name, what_to_do, write_draft
from sync.ledger import IssuedCopy
from sync.owner import Owner
from sync.returns import ReturnError, read_return
from sync.status import CycleStatus, LeadStatus, read_cycle_status
from workbook import clock
from workbook.board.summary import headline
from workbook.errors import ActionPlanError, OutputExistsError
from workbook.plan.model import Plan
from workbook.plan.overdue import is_open, is_overdue
from workbook.wording import long_date

#: Where `actionplan issue` puts copies when the owner follows the demo's layout.
DEFAULT_COPIES_FOLDER = "copies"
HEADLINE_LIMIT = 120


#: One reminder as composed, before it is written.
Reminder = Draft


@dataclass(frozen=True)
class ChaseEmail:
    """One reminder written to disk."""

    lead: str
    path: Path
    to: str
    attached: Path | None  # the copy attached, as found on disk
    problems: tuple[str, ...]


@dataclass(frozen=True)
class ChaseRun:
    """What `chase` did."""

    out_dir: Path
    as_of: dt.date
    emails: tuple[ChaseEmail, ...]
    not_issued: tuple[str, ...]  # leads with items who were never sent a copy

    @property
    def exit_code(self) -> int:
        """0 when every reminder is addressed and has its copy, 1 when one needs attention."""
        return 1 if any(e.problems for e in self.emails) else 0


# --- Pure core ---------------------------------------------------------------------------------


def reminder_subject(plan: Plan, lead: str) -> str:
    title = " ".join(plan.title.split())
    return f"Action plan update due: your items ({lead})" + (f" - {title}" if title else "")


def reminder_text(
    plan: Plan,
    status: LeadStatus,
    copy: IssuedCopy | None,
    as_of: dt.date,
    *,
    attached: bool,
    owner: Owner | None = None,
) -> str:
    """The plain-text body: who it is for, which copy, when it was due back and to whom, their
    open items, what to do."""
    owner = owner or Owner()
    who = status.name.strip() or status.lead
    title = " ".join(plan.title.split()) or "the action plan"
    when = f" on {long_date(status.issued)}" if status.issued else ""
    file = copy.file if copy else ""
    lines = [f"Dear {who},", ""]
    lines.append(
        f"This is a reminder that your update to {title} is due. The copy of your items sent "
        f"to you{when} has not come back yet."
        + (f' It is attached: "{file}".' if attached and file else "")
    )
    if owner.due is not None:
        was = "was" if owner.due < as_of else "is"
        lines.append(f"It {was} due back to {owner.who()} on {long_date(owner.due)}.")
    lines.append("")
    key = plan.rag_key
    items = [it for it in plan.items if status.lead in plan.codes_of(it) and is_open(it, key)]
    late = sum(1 for it in items if is_overdue(it, as_of, key))
    if items:
        overdue_note = f"; {late} overdue as of {long_date(as_of)}, marked OVERDUE" if late else ""
        lines.append(f"Your open items ({len(items)}{overdue_note}):")
        lines.append("")
        width = max(len(it.ref) for it in items)
        for it in items:
            if it.due:
                due = f"due {long_date(it.due)}"
            else:
                due = f"time-scale {' '.join(it.timescale.split())}" if it.timescale else "no date"
            mark = " - OVERDUE" if is_overdue(it, as_of, key) else ""
            state = key.shown(it.status) or "none yet"
            lines.append(f"  {it.ref.ljust(width)}  {due}{mark} - status: {state}")
            lines.append(f"  {' ' * width}  {headline(it, limit=HEADLINE_LIMIT)}")
        lines.append("")
    else:
        lines.append("All your items are marked complete; please still send the copy back.")
        lines.append("")
    lines += what_to_do(plan, file, owner, late=owner.due is not None and owner.due < as_of)
    return "\n".join(lines)


def reminder(
    plan: Plan,
    status: LeadStatus,
    copy: IssuedCopy | None,
    as_of: dt.date,
    *,
    attachment: bytes | None,
    copy_problem: str = "",
    owner: Owner | None = None,
) -> Reminder:
    """The draft email to `status.lead` with their copy attached (when `attachment` is given),
    and the problems the owner must see to: no address, a copy that could not be attached."""
    owner = owner or Owner()
    attached = attachment is not None and copy is not None
    return draft(
        lead=status.lead,
        name=status.name,
        email=status.email,
        owner=owner,
        subject=reminder_subject(plan, status.lead),
        body=reminder_text(plan, status, copy, as_of, attached=attached, owner=owner),
        attachment=attachment if attached else None,
        file_name=copy.file if copy is not None else "",
        copy_problem=copy_problem,
    )


def chase_file_name(lead: str, today: dt.date) -> str:
    return draft_file_name("Chase", lead, today)


# --- Files -------------------------------------------------------------------------------------


def copy_candidates(copy: IssuedCopy, master: Path, copies_dir: Path | None) -> list[Path]:
    """Where the copy may be, in order: where it was issued, --copies, copies/ beside the
    master. The first holding the very copy issued wins."""
    folders = []
    if copy.folder:
        folders.append(Path(copy.folder))
    if copies_dir is not None:
        folders.append(Path(copies_dir))
    folders.append(Path(master).parent / DEFAULT_COPIES_FOLDER)
    out: list[Path] = []
    for folder in folders:
        path = folder / copy.file
        if path not in out:
            out.append(path)
    return out


def find_copy(
    copy: IssuedCopy, master: Path, copies_dir: Path | None
) -> tuple[Path | None, bytes | None, str]:
    """The issued copy's file and bytes, or why it could not be found.

    A file of the right name is attached only if its identity says it is this very copy: copies
    issued twice on one day, or a folder of another cycle's copies, can hold a file of the same
    name that is someone else's or out of date."""
    if not copy.file:
        return None, None, f"the ledger has no file name for {copy.lead}'s copy {copy.issue_id}"
    wrong = []
    for path in copy_candidates(copy, master, copies_dir):
        if not path.is_file():
            continue
        try:
            claimed = read_return(path).claimed.identity
        except ReturnError:
            claimed = None
        if claimed is None or claimed.issue_id != copy.issue_id:
            wrong.append(str(path))
            continue
        return path, path.read_bytes(), ""
    where = f" ({', '.join(wrong)} is not the copy issued as {copy.issue_id})" if wrong else ""
    return (
        None,
        None,
        f"copy for {copy.lead} not found: {copy.file}{where}; give its folder with --copies; "
        "written without the attachment",
    )


def chase(
    master: Path,
    out_dir: Path,
    *,
    as_of: dt.date | None = None,
    copies_dir: Path | None = None,
    force: bool = False,
    today: dt.date | None = None,
) -> ChaseRun:
    """Write a reminder .eml into `out_dir` for every lead whose latest copy is outstanding.

    Refuses (nothing written) when one of the files exists, unless `force`."""
    master, out_dir = Path(master), Path(out_dir)
    today = today or clock.today()
    cycle: CycleStatus = read_cycle_status(master, as_of=as_of, rich=True)
    outstanding = [s for s in cycle.leads if s.outstanding]
    not_issued = tuple(s.lead for s in cycle.leads if s.state == "not issued" and s.items)
    if not outstanding:
        return ChaseRun(out_dir, cycle.as_of, (), not_issued)
    if out_dir.exists() and not out_dir.is_dir():
        raise ActionPlanError(f"--out {out_dir} is a file; give a folder for the emails")
    paths = {s.lead: out_dir / chase_file_name(s.lead, today) for s in outstanding}
    clash = [p for p in paths.values() if p.exists()]
    if clash and not force:
        raise OutputExistsError(
            f"{clash[0]} already exists{f' (and {len(clash) - 1} more)' if len(clash) > 1 else ''}"
            "; send or move the earlier reminders, or add --force to replace them"
        )
    composed = []
    for s in outstanding:
        copy = cycle.ledger.copies[s.issue_id]
        found, data, problem = find_copy(copy, master, copies_dir)
        note = reminder(
            cycle.plan,
            s,
            copy,
            cycle.as_of,
            attachment=data,
            copy_problem=problem,
            owner=cycle.owner,
        )
        composed.append((note, found))
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for note, found in composed:
        path = paths[note.lead]
        write_draft(path, note)
        written.append(ChaseEmail(note.lead, path, note.to, found, note.problems))
    return ChaseRun(out_dir, cycle.as_of, tuple(written), not_issued)


def describe(emails: Sequence[ChaseEmail]) -> str:
    """e.g. "3 reminders written: 2 ready to send, 1 needs attention"."""
    ready = sum(1 for e in emails if not e.problems)
    parts = [f"{ready} ready to send"]
    if len(emails) - ready:
        attention = len(emails) - ready
        parts.append(f"{attention} {'needs' if attention == 1 else 'need'} attention")
    noun = "reminder" if len(emails) == 1 else "reminders"
    return f"{len(emails)} {noun} written: {', '.join(parts)}"
