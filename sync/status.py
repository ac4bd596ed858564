"""Where the update cycle stands (`actionplan status`): who was sent a copy, who has answered,
who is late.

`lead_statuses` is the pure core: it takes the plan and the ledger as read from the master and says,
per lead, which copy they hold, whether it has come back, and which of their items are open or
overdue; with the Settings sheet's return-by date (`sync.owner`), whose return is overdue.
`read_cycle_status` is the thin shell that reads the master once; `status_table`, `summary_line`
and `returns_line` lay the result out for a person. Nothing here writes to the master.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sync.ledger import LEDGER_SHEETS, IssuedCopy, Ledger, ledger_from_sheets
from sync.owner import Owner, owner_from_settings
from workbook.master.read import plan_from_sheets, read_snapshot
from workbook.master.settings import as_of_date
from workbook.plan.model import Plan
from workbook.plan.overdue import is_open, is_overdue, overdue_items
from workbook.wording import count, long_date, short_date

OUTSTANDING = "outstanding"
RETURNED = "returned"
NOT_ISSUED = "not issued"
STATES = (OUTSTANDING, RETURNED, NOT_ISSUED)


@dataclass(frozen=True)
class OverdueItem:
    """One of a lead's items past its due date and not complete."""

    ref: str
    due: dt.date
    status: str  # the RAG code, the typed text when it is not one, "" when blank


@dataclass(frozen=True)
class LeadStatus:
    """Where one lead stands in the cycle."""

    lead: str
    name: str
    email: str
    issued: dt.datetime | None  # when their latest copy was issued
    issue_id: str  # their latest copy's; "" when they were never issued one
    returned: dt.datetime | None  # the latest merged return of that latest copy
    last_returned: dt.datetime | None  # the latest merged return of any of their copies
    outstanding: bool  # issued a copy whose return has not been merged
    items: int
    open_items: int  # not complete by the plan's key
    overdue: tuple[OverdueItem, ...]

    def return_overdue(self, due: dt.date | None, as_of: dt.date) -> bool:
        """Their copy was due back by `due`, `as_of` is past it, and no return of it is merged.
        A copy issued after the date was not sent to be back by it."""
        if due is None or not self.outstanding or as_of <= due:
            return False
        return self.issued is None or self.issued.date() <= due

    @property
    def state(self) -> str:
        if not self.issue_id:
            return NOT_ISSUED
        return OUTSTANDING if self.outstanding else RETURNED

    def to_dict(self) -> dict[str, object]:
        return {
            "lead": self.lead,
            "name": self.name,
            "email": self.email,
            "state": self.state,
            "issued": _iso(self.issued),
            "issue_id": self.issue_id,
            "returned": _iso(self.returned),
            "last_returned": _iso(self.last_returned),
            "outstanding": self.outstanding,
            "items": self.items,
            "open_items": self.open_items,
            "overdue": [
                {"ref": o.ref, "due": o.due.isoformat(), "status": o.status} for o in self.overdue
            ],
        }


@dataclass(frozen=True)
class CycleStatus:
    """A master read for the status view: the plan, its ledger, and each lead's status."""

    master: Path
    as_of: dt.date
    plan: Plan
    ledger: Ledger
    leads: tuple[LeadStatus, ...]
    #: the owner and return-by date on the Settings sheet
    owner: Owner = field(default_factory=Owner)

    @property
    def overdue_refs(self) -> tuple[str, ...]:
        return tuple(it.ref for it in overdue_items(self.plan, self.as_of))

    @property
    def returns_overdue(self) -> tuple[str, ...]:
        """The leads whose copy was due back by the return-by date and has not come back."""
        return tuple(s.lead for s in self.leads if s.return_overdue(self.owner.due, self.as_of))

    def to_dict(self) -> dict[str, object]:
        counts = state_counts(self.leads)
        late = set(self.returns_overdue)
        return {
            "master": str(self.master),
            "title": self.plan.title,
            "as_of": self.as_of.isoformat(),
            "owner": self.owner.name,
            "owner_email": self.owner.email,
            "returns_due": self.owner.due.isoformat() if self.owner.due else None,
            "summary": {
                "leads": len(self.leads),
                **{state.replace(" ", "_"): counts[state] for state in STATES},
                "overdue_items": len(self.overdue_refs),
                "returns_overdue": len(late),
            },
            "leads": [{**s.to_dict(), "return_overdue": s.lead in late} for s in self.leads],
        }


# --- Pure core ---------------------------------------------------------------------------------


def latest_copies(ledger: Ledger) -> dict[str, IssuedCopy]:
    """Each lead's latest issued copy. A copy with no readable issue time ranks below any dated
    one; between equals the later ledger row wins, since copies are recorded as issued."""
    latest: dict[str, tuple[tuple[dt.datetime, int], IssuedCopy]] = {}
    for n, copy in enumerate(ledger.copies.values()):
        rank = (copy.issued or dt.datetime.min, n)
        if copy.lead and (copy.lead not in latest or rank >= latest[copy.lead][0]):
            latest[copy.lead] = (rank, copy)
    return {lead: copy for lead, (_, copy) in latest.items()}


def lead_statuses(plan: Plan, ledger: Ledger, as_of: dt.date) -> list[LeadStatus]:
    """Per lead who has items or was ever issued a copy: outstanding first, then the rest; each
    group in the Leads sheet's order, then leads it does not list as met in items and ledger."""
    latest = latest_copies(ledger)
    merged_by_issue: dict[str, list[dt.datetime | None]] = {}
    merged_by_lead: dict[str, list[dt.datetime]] = {}
    for ret in ledger.merged.values():
        merged_by_issue.setdefault(ret.issue_id, []).append(ret.merged)
        lead = ledger.copies[ret.issue_id].lead if ret.issue_id in ledger.copies else ret.lead
        if ret.merged is not None:
            merged_by_lead.setdefault(lead, []).append(ret.merged)

    register = {lead.code: lead for lead in plan.leads}
    with_items = [code for it in plan.items for code in plan.codes_of(it)]
    known = set(with_items) | set(latest)
    order = [code for code in register if code in known]
    order += [code for code in dict.fromkeys([*with_items, *latest]) if code not in order]

    out = []
    for code in order:
        items = [it for it in plan.items if code in plan.codes_of(it)]
        copy = latest.get(code)
        answers = merged_by_issue.get(copy.issue_id, []) if copy else []
        dated = [d for d in answers if d is not None]
        previous = merged_by_lead.get(code, [])
        registered = register.get(code)
        out.append(
            LeadStatus(
                lead=code,
                name=registered.name if registered else "",
                email=registered.email if registered else "",
                issued=copy.issued if copy else None,
                issue_id=copy.issue_id if copy else "",
                returned=max(dated) if dated else None,
                last_returned=max(previous) if previous else None,
                # a return recorded without a readable time still answered the copy
                outstanding=copy is not None and not answers,
                items=len(items),
                open_items=sum(1 for it in items if is_open(it, plan.rag_key)),
                overdue=tuple(
                    OverdueItem(it.ref, it.due, plan.rag_key.shown(it.status))
                    for it in items
                    if it.due is not None and is_overdue(it, as_of, plan.rag_key)
                ),
            )
        )
    out.sort(key=lambda s: not s.outstanding)  # stable: register order within each group
    return out


def state_counts(leads: Sequence[LeadStatus]) -> dict[str, int]:
    return {state: sum(1 for s in leads if s.state == state) for state in STATES}


def summary_line(leads: Sequence[LeadStatus], overdue: int, as_of: dt.date) -> str:
    """e.g. "13 leads: 4 outstanding, 8 returned, 1 not issued; 5 items overdue as of 31 May 2023"
    (`overdue` counts items once, however many leads share them)."""
    counts = state_counts(leads)
    states = ", ".join(f"{counts[s]} {s}" for s in STATES if counts[s]) or "nothing issued"
    return (
        f"{count(len(leads), 'lead')}: {states}; "
        f"{count(overdue, 'item')} overdue as of {long_date(as_of)}"
    )


def returns_line(owner: Owner, late: Sequence[str], as_of: dt.date) -> str:
    """e.g. "Returns due to Jo Bloggs (jo@example.org) by 31 May 2023: 2 overdue (GT, LH)"; ""
    when Settings names no owner and no date."""
    if owner.due is None:
        if not (owner.name or owner.email):
            return ""
        return f"Returns go to {owner.who()}; no return-by date (issue --due, or Settings)"
    line = f"Returns due to {owner.who()} by {long_date(owner.due)}"
    if as_of <= owner.due:
        return line
    if not late:
        return f"{line}: none overdue"
    return f"{line}: {count(len(late), 'return')} overdue ({', '.join(late)})"


def status_table(leads: Sequence[LeadStatus]) -> list[str]:
    """The cycle view as aligned text lines, a header first."""
    head = ("LEAD", "NAME", "ISSUED", "RETURNED", "STATE", "OPEN", "OVERDUE")
    rows = [head]
    for s in leads:
        if s.returned is not None:
            returned = short_date(s.returned)
        elif s.outstanding and s.last_returned is not None:
            # they did answer an earlier copy; say so, or the owner may think they never reply
            returned = f"(earlier copy {short_date(s.last_returned)})"
        elif s.state == RETURNED:
            returned = "(date unknown)"
        else:
            returned = "-"
        issued = short_date(s.issued) if s.issued else ("(date unknown)" if s.issue_id else "-")
        overdue = str(len(s.overdue))
        if s.overdue:
            overdue += ": " + ", ".join(o.ref for o in s.overdue)
        rows.append((s.lead, s.name, issued, returned, s.state, str(s.open_items), overdue))
    widths = [max(len(r[i]) for r in rows) for i in range(len(head) - 1)]
    return [
        "  ".join(v.ljust(w) for v, w in zip(r[:-1], widths, strict=True)) + "  " + r[-1]
        for r in rows
    ]


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") if value else None


# --- Shell -------------------------------------------------------------------------------------


def read_cycle_status(
    master: Path, *, as_of: dt.date | None = None, rich: bool = False
) -> CycleStatus:
    """Read the master once and work out every lead's status at `as_of` (else the Settings
    sheet's As-of date, else today). `rich` keeps the findings' italics, for headlines."""
    master = Path(master)
    snapshot = read_snapshot(master, also=LEDGER_SHEETS, rich=rich)
    plan = plan_from_sheets(snapshot.sheets)
    ledger = ledger_from_sheets(snapshot.sheets)
    when = as_of_date(snapshot.sheets, as_of)
    return CycleStatus(
        master,
        when,
        plan,
        ledger,
        tuple(lead_statuses(plan, ledger, when)),
        owner_from_settings(snapshot.sheets),
    )
