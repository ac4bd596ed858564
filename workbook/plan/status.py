"""The RAG key: the statuses an item can have, what each means, how it is coloured, and how a
typed status is read ("green ", "G", "Complete" -> GREEN / BLUE). Anything else is not a status;
callers report it rather than guess."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RagStatus:
    """One entry of the RAG key: its code, what it means, and how it is coloured."""

    code: str
    meaning: str
    fill: str  # RGB hex, no '#'
    font: str  # RGB hex of the text drawn on that fill


RAG_KEY: tuple[RagStatus, ...] = (
    RagStatus("GREEN", "On Target for delivery", "00B050", "000000"),
    RagStatus("AMBER", "Delays / Issues but delivery on course", "FFC000", "000000"),
    RagStatus("RED", "Major Issues preventing delivery", "FF0000", "FFFFFF"),
    RagStatus("BLUE", "Complete", "0070C0", "FFFFFF"),
)
RAG_CODES: tuple[str, ...] = tuple(r.code for r in RAG_KEY)
RAG_BY_CODE: dict[str, RagStatus] = {r.code: r for r in RAG_KEY}
COMPLETE = "BLUE"

# What a person may type for a status, besides the code itself in any case or spacing: the
# single-letter shorthand (R, A, G, B) and the key's own meaning ("Complete", "On target for
# delivery"). Anything else is not a status; callers report it rather than guess.
_STATUS_ALIASES: dict[str, str] = {
    **{r.code: r.code for r in RAG_KEY},
    **{r.code[0]: r.code for r in RAG_KEY},
    **{" ".join(r.meaning.upper().split()): r.code for r in RAG_KEY},
}


def status_spellings(code: str) -> tuple[str, ...]:
    """Every upper-case spelling normalise_status reads as `code` (the spreadsheet's colour rules
    test the same ones, so a cell validation reads as GREEN is also drawn green)."""
    return tuple(typed for typed, meant in _STATUS_ALIASES.items() if meant == code)


def normalise_status(value: object) -> str | None:
    """The RAG code a typed status means ("green " -> GREEN, "b" -> BLUE, "Complete" -> BLUE),
    "" for a blank status, or None when the value is not a status at all."""
    text = " ".join(str(value if value is not None else "").split()).upper()
    if not text:
        return ""
    return _STATUS_ALIASES.get(text)


def status_shown(status: str) -> str:
    """A status as a person should see it: its RAG code, "" for none, the typed text (spacing
    tidied) when the key does not know it - what is actually there, not a guess."""
    code = normalise_status(status)
    return " ".join(status.split()) if code is None else code
