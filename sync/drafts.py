"""Draft emails to leads (.eml), the one place they are built: a lead's copy as it is issued
(`issue --emails`) and a reminder for a copy that has not come back (`chase`).

Each .eml carries `X-Unsent: 1`, so Outlook opens it as a draft ready to send rather than as a
received message (Thunderbird opens it as a message to edit or send again). It is addressed to
the lead's address(es) on the Leads sheet, from the owner (From and Reply-To, when Settings has
the owner's email; otherwise no From, and the mail program sends from the owner's own account),
with the lead's copy attached. A lead with no address, or a wrong one, gets a draft with no To
and a problem the owner must see to. Nothing is sent from here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email import policy
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import parseaddr
from pathlib import Path

from sync.owner import Owner
from workbook.errors import ActionPlanError
from workbook.plan.model import Plan
from workbook.xlsx.files import write_atomically

XLSX_TYPE = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@dataclass(frozen=True)
class Draft:
    """One draft email as composed, before it is written."""

    lead: str
    message: EmailMessage
    to: str  # the To header as written, "" when there is no address
    attached: str  # the attachment's file name, "" when there is none
    problems: tuple[str, ...]  # what the owner must see to before it goes out

    def as_bytes(self) -> bytes:
        return self.message.as_bytes(policy=policy.default)


def recipients(name: str, email: str) -> tuple[tuple[Address, ...], str]:
    """The addresses in a Leads sheet Email cell and the problem with it, if any. The cell may
    hold one address or several split by ; or , (as Outlook separates them), each bare or as
    "Name <address>". The lead's name goes on a bare address only when it is the only one: the
    same name on several would say they are all that person."""
    parts = [p.strip() for p in re.split(r"[;,]", email) if p.strip()]
    out = []
    for part in parts:
        shown, addr = parseaddr(part)
        user, at, domain = addr.partition("@")
        if not (user and at and domain) or "@" in domain or any(c.isspace() for c in addr):
            return (), f"{part!r} is not an email address"
        try:
            out.append(Address(display_name=shown, addr_spec=addr))
        except (HeaderParseError, ValueError, IndexError):
            return (), f"{part!r} is not an email address"
    if len(out) == 1 and not out[0].display_name and name.strip():
        out = [Address(display_name=" ".join(name.split()), addr_spec=out[0].addr_spec)]
    return tuple(out), ""


def what_to_do(plan: Plan, file: str, owner: Owner, *, late: bool = False) -> list[str]:
    """The steps a lead follows with their copy, ending with when and to whom it goes back."""
    back = "send it back by replying to this email"
    if owner.due is not None and not late:
        back += f", {owner.return_by()}"
    elif late:
        back += " as soon as you can"
    return [
        "What to do:",
        f"  1. Open the attached copy{f' ({file})' if file else ''}.",
        f"  2. For each item choose a Status: {plan.rag_key.described(lower=True)}.",
        "  3. Type what has happened since the last update in New update.",
        "  4. If the time-scale must change, type the new one in Proposed time-scale.",
        f"  5. Save it as .xlsx (keeping its name is fine) and {back}.",
        "",
        "You will get a receipt listing what was taken in.",
        "",
        "Thank you.",
        *([owner.name] if owner.name else []),
        "",
    ]


def check_email(address: str, given_as: str) -> None:
    """Refuse, in one line, an owner's address that is not one email address."""
    found, problem = recipients("", address)
    if problem or len(found) != 1:
        raise ActionPlanError(
            f"{given_as} {address!r} is not one email address; give it as name@example.org"
        )


def draft(
    *,
    lead: str,
    name: str,
    email: str,
    owner: Owner,
    subject: str,
    body: str,
    attachment: bytes | None,
    file_name: str,
    copy_problem: str = "",
) -> Draft:
    """The draft to `lead` (`name`, the Email cell `email`) from `owner`, with `attachment`
    attached as `file_name` when given (else `copy_problem` says why not)."""
    problems = []
    msg = EmailMessage(policy=policy.default)
    addresses, bad = recipients(name, email)
    if not email.strip():
        problems.append(
            f"no email address for {lead}: add it on the Leads sheet; written without a recipient"
        )
    elif bad:
        problems.append(
            f"the email address for {lead} on the Leads sheet is wrong ({bad}); "
            "written without a recipient"
        )
    if addresses:
        msg["To"] = addresses
    sender, _ = recipients(owner.name, owner.email) if owner.email else ((), "")
    if len(sender) == 1:
        msg["From"] = sender
        msg["Reply-To"] = sender
    msg["Subject"] = subject
    msg["X-Unsent"] = "1"  # Outlook opens the file as a draft to send, not as a received mail
    msg.set_content(body)
    if attachment is not None:
        msg.add_attachment(
            attachment, maintype=XLSX_TYPE[0], subtype=XLSX_TYPE[1], filename=file_name
        )
    elif copy_problem:
        problems.append(copy_problem)
    return Draft(
        lead,
        msg,
        str(msg["To"] or ""),
        file_name if attachment is not None else "",
        tuple(problems),
    )


def draft_file_name(kind: str, lead: str, day: object) -> str:
    """ "Chase - GT - 2023-06-09.eml": what, for whom, when. A lead code is typed by the owner;
    it is kept from making a path or a name Windows refuses."""
    safe = re.sub(r'[<>:"/\\|?*\x00-\x1f]', "_", lead).strip(" .") or "lead"
    return f"{kind} - {safe} - {day:%Y-%m-%d}.eml"


def write_draft(path: Path, composed: Draft) -> None:
    data = composed.as_bytes()
    write_atomically(path, lambda fh: fh.write(data))
