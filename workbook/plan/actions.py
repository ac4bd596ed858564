"""Numbered lists inside one cell: "1. Review ... 2. Pursue ..." split into their items.

A number only starts a new entry when it is the next one in sequence and stands at the start of the
text or after whitespace, followed by a dot and a space; so "12 – 18 days", "38/6 order", "Reg 24",
"post 21yrs" and "2 May 23" stay inside their action.
"""

from __future__ import annotations

import re

_FIRST = re.compile(r"^\s*1\.\s+")


def starts_numbered(text: str) -> bool:
    """True when the text opens a numbered list ("1. ...")."""
    return bool(_FIRST.match(text))


def split_numbered(text: str) -> tuple[str, ...]:
    """Split "1. a 2. b" into ("a", "b"); text with no leading "1." is one entry as it stands.

    Text before "1." (rare; a lead-in) is kept as its own first entry so no word is lost.
    """
    text = text.strip()
    if not text:
        return ()
    starts: list[tuple[int, int]] = []  # (marker start, content start)
    n = 1
    pos = 0
    while True:
        m = re.compile(rf"(?:^|(?<=\s)){n}\.\s+").search(text, pos)
        if not m:
            break
        starts.append((m.start(), m.end()))
        pos = m.end()
        n += 1
    if not starts:
        return (_squash(text),)
    out: list[str] = []
    lead_in = text[: starts[0][0]].strip()
    if lead_in:
        out.append(_squash(lead_in))
    for i, (_, content) in enumerate(starts):
        end = starts[i + 1][0] if i + 1 < len(starts) else len(text)
        entry = _squash(text[content:end])
        if entry:
            out.append(entry)
    return tuple(out)


def _squash(s: str) -> str:
    return re.sub(r"[ \t]+", " ", s).strip()
