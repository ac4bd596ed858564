"""Who a lead's copy belongs to, and proof that the owner issued it.

Each copy carries its identity (plan id, issue id, lead, issue time, the refs issued) in a
veryHidden sheet, with an HMAC-SHA256 signature made with a key that never leaves the master. A
return whose identity does not verify was not made by us for that lead, whatever it claims.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from workbook.xlsx.cells import at, cell_str

#: The copy's veryHidden identity sheet.
SHEET_IDENTITY = "actionplan"
IDENTITY_PLAN = "Plan id"
IDENTITY_ISSUE = "Issue id"
IDENTITY_LEAD = "Lead"
IDENTITY_ISSUED = "Issued"
IDENTITY_REFS = "Refs"  # copies issued before: the refs space-separated, many to a row
#: One ref a row: a document's own refs may hold spaces ("SR (25/26) 01").
IDENTITY_REF = "Ref"
IDENTITY_SIGNATURE = "Signature"
#: A cell holds at most 32,767 characters; long ref lists are spread over several `Refs` rows.
_REFS_PER_ROW = 1000

_SIGNING_CONTEXT = b"actionplan lead copy v1"


@dataclass(frozen=True)
class CopyIdentity:
    """What a copy says about itself; `refs` in the order issued."""

    plan_id: str
    issue_id: str
    lead: str
    issued: dt.datetime
    refs: tuple[str, ...]

    def message(self) -> bytes:
        """The bytes the signature covers: every field, unambiguously separated."""
        parts = [
            self.plan_id,
            self.issue_id,
            self.lead,
            self.issued.isoformat(timespec="seconds"),
            *self.refs,
        ]
        return _SIGNING_CONTEXT + b"\x00" + b"\x00".join(p.encode("utf-8") for p in parts)


def new_key() -> str:
    """A fresh signing key (hex), kept in the master's veryHidden bookkeeping."""
    return secrets.token_hex(32)


def sign(identity: CopyIdentity, key: str) -> str:
    return hmac.new(bytes.fromhex(key), identity.message(), hashlib.sha256).hexdigest()


def verify(identity: CopyIdentity, signature: str, key: str) -> bool:
    given = signature.strip().lower()
    if not given.isascii():  # compare_digest refuses non-ASCII text; no signature has any
        return False
    return hmac.compare_digest(sign(identity, key), given)


def signed_with(identity: CopyIdentity, signature: str, keys: Sequence[str]) -> str | None:
    """The one of `keys` the signature verifies with, or None when none does (the identity was
    altered, or the copy was signed by another master)."""
    return next((key for key in keys if verify(identity, signature, key)), None)


def new_issue_id(lead: str, when: dt.datetime) -> str:
    """Readable and unique: the date, the lead, and a random tail (e.g. 20261126-GT-3f9a2c)."""
    return f"{when:%Y%m%d}-{lead}-{secrets.token_hex(3)}"


def identity_rows(identity: CopyIdentity, signature: str) -> list[tuple[str, str]]:
    """The identity sheet's (field, value) rows; all text, so no program reformats them."""
    rows = [
        (IDENTITY_PLAN, identity.plan_id),
        (IDENTITY_ISSUE, identity.issue_id),
        (IDENTITY_LEAD, identity.lead),
        (IDENTITY_ISSUED, identity.issued.isoformat(timespec="seconds")),
    ]
    if all(ref and ref == "".join(ref.split()) for ref in identity.refs):
        refs = list(identity.refs)  # no spaces: the compact form every reader knows
        for start in range(0, max(len(refs), 1), _REFS_PER_ROW):
            rows.append((IDENTITY_REFS, " ".join(refs[start : start + _REFS_PER_ROW])))
    else:
        rows.extend((IDENTITY_REF, ref) for ref in identity.refs)
    rows.append((IDENTITY_SIGNATURE, signature))
    return rows


@dataclass(frozen=True)
class ClaimedIdentity:
    """An identity as read from a returned copy, not yet trusted."""

    identity: CopyIdentity | None  # None when a field is missing or unreadable
    signature: str
    problem: str = ""  # why `identity` is None


def identity_from_rows(rows: Sequence[Sequence[object]]) -> ClaimedIdentity:
    """Read the identity sheet's rows (field in column A, value in B)."""
    fields: dict[str, str] = {}
    refs: list[str] = []
    for row in rows:
        if not row:
            continue
        name = cell_str(row[0])
        value = cell_str(at(row, 1))
        if name == IDENTITY_REFS:
            refs.extend(value.split())
        elif name == IDENTITY_REF:
            refs.append(value)
        elif name:
            fields.setdefault(name, value)
    return _claimed(fields, refs)


def _claimed(fields: Mapping[str, str], refs: list[str]) -> ClaimedIdentity:
    signature = fields.get(IDENTITY_SIGNATURE, "")
    missing = [
        f
        for f in (IDENTITY_PLAN, IDENTITY_ISSUE, IDENTITY_LEAD, IDENTITY_ISSUED, IDENTITY_SIGNATURE)
        if not fields.get(f)
    ]
    if missing:
        return ClaimedIdentity(None, signature, f"its identity has no {', '.join(missing)}")
    try:
        issued = dt.datetime.fromisoformat(fields[IDENTITY_ISSUED])
    except ValueError:
        return ClaimedIdentity(None, signature, "its identity has an unreadable issue time")
    identity = CopyIdentity(
        plan_id=fields[IDENTITY_PLAN],
        issue_id=fields[IDENTITY_ISSUE],
        lead=fields[IDENTITY_LEAD],
        issued=issued,
        refs=tuple(refs),
    )
    return ClaimedIdentity(identity, signature)
