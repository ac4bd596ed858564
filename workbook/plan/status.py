"""The RAG key: the statuses an item can have, what each means, how it is coloured, and how a
typed status is read.

Each plan has its own key (`Plan.rag_key`, kept on the master's `RAG key` sheet): 'Complete' is
BLUE in one plan and Green in another, so the meaning of a word comes from the plan's key, never
from a table of our own. `DEFAULT_KEY` is the four-colour key plans had before they could say
theirs (and what a master without a `RAG key` sheet still reads as).

A typed status is read by `RagKey.normalise`: the code ("green ", "BLUE"), its first letter when no
other status of the key starts with it ("G"; not "B" in a key with Blue and Black), the key's
meaning ("Complete"), or one of the entry's words ("Achieved", "On track"), case and spacing set
aside. Anything else - or a spelling two statuses share - is not a status: callers keep it as
written and report it rather than guess.

`parse_key` reads a key as a document writes it ("Green: recommendation achieved", "Blue –
complete", "RED Major Issues preventing delivery", "Red | Off Track").
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property


@dataclass(frozen=True)
class RagStatus:
    """One entry of the RAG key: its code, what it means, how it is coloured, and the other words
    that mean it ('Completed', 'Achieved') besides its code, its letter and its meaning."""

    code: str
    meaning: str
    fill: str  # RGB hex, no '#'
    font: str  # RGB hex of the text drawn on that fill
    words: tuple[str, ...] = ()


def spelling(value: object) -> str:
    """A typed status as it is compared: upper case, ends trimmed, inner spacing one space (as a
    spreadsheet's UPPER(TRIM(...)) gives it, so the colour rules test the same spellings)."""
    return " ".join(str(value if value is not None else "").split()).upper()


# --- What a status means: finished, on track, off track ----------------------------------------

#: Word families: what a key entry is read as when its meaning says so, and the words a document's
#: key then gets for it (parse_key). `RagKey.complete` is decided by the first.
_DONE = re.compile(
    r"\b(?:complete[ds]?|completion|achieved|done|closed|delivered|finished)\b", re.IGNORECASE
)
_ON_TRACK = re.compile(
    r"\b(?:on[ -]?track|on target|on course|on schedule|ongoing|in progress|acceptable progress|"
    r"good progress|progressing)\b",
    re.IGNORECASE,
)
_OFF_TRACK = re.compile(
    r"\b(?:off[ -]?track|off target|not on track|not started|unacceptable|major issues?|"
    r"not achieved|no progress)\b",
    re.IGNORECASE,
)
#: A word before a done or on-track word that turns it round ("not yet achieved").
_NEGATION = re.compile(r"\b(?:not|no|never|yet|unlikely|risk)\b", re.IGNORECASE)

DONE_WORDS = ("Complete", "Completed", "Achieved", "Done")
ON_TRACK_WORDS = ("On track", "Ongoing", "In progress")
OFF_TRACK_WORDS = ("Off track", "Not started")
_FAMILIES: tuple[tuple[str, re.Pattern[str], tuple[str, ...]], ...] = (
    ("off track", _OFF_TRACK, OFF_TRACK_WORDS),
    ("done", _DONE, DONE_WORDS),
    ("on track", _ON_TRACK, ON_TRACK_WORDS),
)


def _says(pattern: re.Pattern[str], text: str) -> bool:
    """Whether `text` says what `pattern` matches, not turned round by a negation before it."""
    for m in pattern.finditer(text):
        if pattern is _OFF_TRACK or not _NEGATION.search(text, 0, m.start()):
            return True
    return False


def family(text: str) -> str:
    """What a key entry's words say it is: "off track", "done", "on track", or "" for none of
    them ("Delays / Issues but delivery on course" is on track; "Not yet achieved" is not done)."""
    for name, pattern, _ in _FAMILIES:
        if _says(pattern, text):
            return name
    return ""


# --- The key ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RagKey:
    """A plan's RAG key: its statuses in the order the key lists them."""

    entries: tuple[RagStatus, ...]

    def __post_init__(self) -> None:
        if not self.entries:
            raise ValueError("a RAG key needs at least one status")
        seen: set[str] = set()
        for entry in self.entries:
            if not entry.code or entry.code != spelling(entry.code):
                raise ValueError(f"RAG code {entry.code!r} must be upper case with single spaces")
            if entry.code in seen:
                raise ValueError(f"RAG code {entry.code} is in the key twice")
            seen.add(entry.code)

    def __iter__(self) -> Iterator[RagStatus]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    @cached_property
    def codes(self) -> tuple[str, ...]:
        return tuple(e.code for e in self.entries)

    @cached_property
    def by_code(self) -> dict[str, RagStatus]:
        return {e.code: e for e in self.entries}

    @cached_property
    def _readings(self) -> dict[str, str | None]:
        """Every spelling the key reads -> its code, or None when two statuses claim it at the
        same rank. Ranks, first wins: codes, meanings, words, then single letters - so an exact
        meaning match ('Complete' meaning Green) wins over another status's word."""
        tiers: list[list[tuple[str, str]]] = [
            [(e.code, e.code) for e in self.entries],
            [(spelling(e.meaning), e.code) for e in self.entries],
            [(spelling(w), e.code) for e in self.entries for w in e.words],
            [(e.code[0], e.code) for e in self.entries],
        ]
        out: dict[str, str | None] = {}
        for tier in tiers:
            claims: dict[str, set[str]] = {}
            for typed, code in tier:
                if typed and typed not in out:
                    claims.setdefault(typed, set()).add(code)
            for typed, codes in claims.items():
                out[typed] = next(iter(codes)) if len(codes) == 1 else None
        return out

    def normalise(self, value: object) -> str | None:
        """The code a typed status means in this key, "" for a blank status, or None when the
        value is not one of its statuses (or two of them could be meant)."""
        text = spelling(value)
        if not text:
            return ""
        return self._readings.get(text)

    def spellings(self, code: str) -> tuple[str, ...]:
        """Every upper-case spelling `normalise` reads as `code`, the code first (the colour rules
        test the same ones, so a cell validation reads as GREEN is also drawn green), then its
        letter, its meaning and its words."""
        found = [typed for typed, meant in self._readings.items() if meant == code]
        return tuple(sorted(found, key=lambda typed: (typed != code, len(typed) != 1)))

    def shown(self, status: str) -> str:
        """A status as a person should see it: its code, "" for none, the typed text (spacing
        tidied) when the key does not know it - what is actually there, not a guess."""
        code = self.normalise(status)
        return " ".join(status.split()) if code is None else code

    @cached_property
    def complete(self) -> tuple[str, ...]:
        """The codes that mean the work is done: each status whose meaning or words say so
        (complete, completed, achieved, done, closed, delivered, finished - not "not yet
        achieved"); BLUE in the default key, Green in "Green: recommendation achieved", Green
        and Blue in "Green: Complete; Blue: Complete & peer checked". A key none of whose
        statuses says so counts BLUE as done, as RAG keys conventionally do, if it has BLUE."""
        done = tuple(
            e.code
            for e in self.entries
            if family(e.meaning) == "done" or any(family(w) == "done" for w in e.words)
        )
        if done:
            return done
        return ("BLUE",) if "BLUE" in self.by_code else ()

    @cached_property
    def on_track(self) -> str | None:
        """The code that means the work is going to plan: the first status, in the key's order,
        that is not complete and whose meaning says on track (GREEN "On Target for delivery" in
        the default key), else GREEN when the key has it and it is not complete, else None."""
        others = [e for e in self.entries if e.code not in self.complete]
        return next(
            (e.code for e in others if family(e.meaning) == "on track"),
            "GREEN" if any(e.code == "GREEN" for e in others) else None,
        )

    @cached_property
    def not_on_track(self) -> tuple[str, ...]:
        """The codes a board looks at: every status neither complete nor `on_track` (RED and
        AMBER in the default key - AMBER's "delivery on course" is only the second-best news),
        worst first: those whose meaning says off track, then the others in the key's order."""
        rest = [e for e in self.entries if e.code not in self.complete and e.code != self.on_track]
        return tuple(e.code for e in sorted(rest, key=lambda e: family(e.meaning) != "off track"))

    def is_complete(self, status: object) -> bool:
        """Whether a typed status means the work is done in this key."""
        return self.normalise(status) in self.complete

    @cached_property
    def ambiguous(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """Spellings two statuses claim at the same rank, which are therefore read as neither:
        (spelling, the codes claiming it). The owner settles them on the `RAG key` sheet."""
        out: list[tuple[str, tuple[str, ...]]] = []
        for typed, meant in self._readings.items():
            if meant is None and len(typed) > 1:
                claimants = tuple(
                    e.code
                    for e in self.entries
                    if typed in {spelling(e.meaning), *(spelling(w) for w in e.words)}
                )
                out.append((typed, claimants))
        return tuple(out)

    @property
    def choices(self) -> str:
        """The codes as a person is told them: "GREEN, AMBER, RED or BLUE"."""
        return or_list(self.codes)

    def described(self, *, lower: bool = False) -> str:
        """Each code with its meaning: "GREEN (On Target for delivery), ... or BLUE (Complete)"."""
        return or_list(
            [f"{e.code} ({e.meaning.lower() if lower else e.meaning})" for e in self.entries]
        )


def or_list(parts: Sequence[str]) -> str:
    """ "a, b or c"; "a" alone."""
    parts = list(parts)
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " or " + parts[-1]


DEFAULT_KEY = RagKey(
    (
        RagStatus("GREEN", "On Target for delivery", "00B050", "000000"),
        RagStatus("AMBER", "Delays / Issues but delivery on course", "FFC000", "000000"),
        RagStatus("RED", "Major Issues preventing delivery", "FF0000", "FFFFFF"),
        RagStatus("BLUE", "Complete", "0070C0", "FFFFFF"),
    )
)


# --- The default key as module names, for callers not yet given a plan's key -----------------

RAG_KEY: tuple[RagStatus, ...] = DEFAULT_KEY.entries
RAG_CODES: tuple[str, ...] = DEFAULT_KEY.codes
RAG_BY_CODE: dict[str, RagStatus] = DEFAULT_KEY.by_code
COMPLETE = "BLUE"


def status_spellings(code: str, key: RagKey = DEFAULT_KEY) -> tuple[str, ...]:
    """`key.spellings(code)`."""
    return key.spellings(code)


def normalise_status(value: object, key: RagKey = DEFAULT_KEY) -> str | None:
    """`key.normalise(value)`: "green " -> GREEN, "b" -> BLUE, "Complete" -> BLUE in the default
    key; "" for a blank status, None when the value is not a status of the key."""
    return key.normalise(value)


def status_shown(status: str, key: RagKey = DEFAULT_KEY) -> str:
    """`key.shown(status)`."""
    return key.shown(status)


# --- Colours ------------------------------------------------------------------------------------

#: The colours a key may name, with the fill and the text colour drawn on it.
COLOURS: dict[str, tuple[str, str]] = {
    "RED": ("FF0000", "FFFFFF"),
    "AMBER": ("FFC000", "000000"),
    "GREEN": ("00B050", "000000"),
    "BLUE": ("0070C0", "FFFFFF"),
    "GREY": ("A6A6A6", "000000"),
    "BLACK": ("000000", "FFFFFF"),
    "WHITE": ("FFFFFF", "000000"),
    "PURPLE": ("7030A0", "FFFFFF"),
}
_COLOUR_SPELLINGS = {**{c: c for c in COLOURS}, "GRAY": "GREY"}


def colour_code(name: str) -> str | None:
    """The key colour a name is ("Gray" -> GREY), or None."""
    return _COLOUR_SPELLINGS.get(spelling(name))


def text_colour(fill: str) -> str:
    """Black or white, whichever reads better on `fill` (RGB hex)."""
    r, g, b = (int(fill[i : i + 2], 16) for i in (0, 2, 4))
    return "000000" if 0.299 * r + 0.587 * g + 0.114 * b >= 140 else "FFFFFF"


# --- A key as a document writes it --------------------------------------------------------------

_COLOUR = "|".join([*COLOURS, "GRAY"])
_LABEL = re.compile(r"^\s*(?:rag\s*(?:status|rating)?\s*)?key\b\s*[:\-–—]?\s*", re.IGNORECASE)
_ENTRY = re.compile(
    rf"^[\s\-•*·▪●|]*(?P<colour>{_COLOUR})\b\s*(?:[:\-–—=|\t]+|\s)\s*(?P<meaning>.*?)[\s.;|]*$",
    re.IGNORECASE,
)
#: Where a second entry starts on the same line: a colour and a separator after ";", ",", "." or
#: a gap ("Green: achieved, Amber: acceptable progress").
_NEXT_ENTRY = re.compile(
    rf"(?:[;,.]\s*|\t|\s{{2,}}|\s\|\s*)(?=(?:{_COLOUR})\s*(?:[:=|–—]|\s-\s))", re.IGNORECASE
)


def parse_key(lines: Sequence[str]) -> RagKey | None:
    """The RAG key a document's key paragraphs or table rows give ("Green: recommendation
    achieved", "Blue – complete", "RED Major Issues preventing delivery", "Red | Off Track"; one
    entry per line, or several on a line separated by ";"), or None when they give fewer than two
    statuses. Each colour named is a code (GREEN) with its usual fill; an entry whose meaning says
    it is done, on track or off track gets that family's words ('Completed', 'Achieved'; 'On
    track', 'In progress'; 'Off track', 'Not started') when it is the only entry of the family,
    or the one whose meaning is itself such a word ('Complete' beside 'Complete & peer
    checked'). Lines that are not entries are passed over; a colour listed twice keeps its first
    meaning."""
    found: dict[str, str] = {}
    for line in lines:
        text = _LABEL.sub("", str(line), count=1)
        for part in _NEXT_ENTRY.split(text):
            m = _ENTRY.match(part)
            if m is None:
                continue
            code = colour_code(m["colour"])
            meaning = " ".join(m["meaning"].strip(" \t\"'“”‘’").split())
            if code and meaning and code not in found:
                found[code] = meaning
    if len(found) < 2:
        return None
    words = _family_words(found)
    return RagKey(
        tuple(
            RagStatus(code, meaning, *COLOURS[code], words.get(code, ()))
            for code, meaning in found.items()
        )
    )


def _family_words(meanings: dict[str, str]) -> dict[str, tuple[str, ...]]:
    out: dict[str, tuple[str, ...]] = {}
    for name, _, words in _FAMILIES:
        members = [code for code, meaning in meanings.items() if family(meaning) == name]
        plain = [code for code in members if spelling(meanings[code]) in map(spelling, words)]
        chosen = members[0] if len(members) == 1 else plain[0] if len(plain) == 1 else None
        if chosen is not None:
            own = spelling(meanings[chosen])
            out[chosen] = tuple(w for w in words if spelling(w) not in (own, chosen))
    return out
