"""Lead text as the document writes it ("LH / JoR / GT / LJ", "MW RB", "1. DM 2. DM/AxB",
"Chair Corporate Parenting Board") parsed into lead codes.

Initials are kept as written (JoR, AxB, LYH). A role written out in words becomes a lead of its own,
coded by the initials of its words (Chair Corporate Parenting Board -> CCPB), with the role as name.
"""

from __future__ import annotations

import re

from workbook.plan.actions import split_numbered, starts_numbered

_INITIALS = re.compile(r"^[A-Z](?:[a-z]?[A-Z]){1,3}$")
_SPLIT = re.compile(r"\s*(?:/|,|;|&|\+|\band\b)\s*")


def is_initials(token: str) -> bool:
    """True for a lead code written as initials: GT, LYH, JoR, AxB, DoP."""
    return bool(_INITIALS.match(token))


def role_code(role: str) -> str:
    """The code of a role written in words: the initials of its capitalised words."""
    letters = [w[0].upper() for w in re.findall(r"[A-Za-z][\w'-]*", role) if w[0].isupper()]
    return "".join(letters) or role.strip().upper()[:4]


def parse_leads(text: str) -> tuple[tuple[str, str], ...]:
    """(code, name) for each lead named, first mention first; name is '' for initials."""
    text = (text or "").strip()
    if not text:
        return ()
    parts = split_numbered(text) if starts_numbered(text) else (text,)
    found: dict[str, str] = {}
    for part in parts:
        for chunk in _SPLIT.split(part):
            chunk = chunk.strip(" .")
            if not chunk:
                continue
            words = chunk.split()
            if all(is_initials(w) for w in words):
                for w in words:
                    found.setdefault(w, "")
            else:
                found.setdefault(role_code(chunk), chunk)
    return tuple(found.items())


def lead_codes(text: str) -> tuple[str, ...]:
    """The lead codes named in the text, first mention first."""
    return tuple(code for code, _ in parse_leads(text))
