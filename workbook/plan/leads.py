"""Lead text as people write it, read as leads: each distinct person or role one lead with a code
of its own, kept in a register (`LeadRegister`, built by `build_register`).

What a Lead cell can hold: initials ("LH / JoR / GT / LJ", "MW RB", "HoS2", "L21 / L10"), full
names ("Sarah Jones; Simon Jenkins", "Cllr Smith and Cllr Jones"), roles ("Chair Corporate
Parenting Board", "The Portfolio Holder for Economic Development, UK and EU Regional Issues"),
committees, a name with its code ("Head of Service (HoS2)", "GT (Gill Taylor)"), and numbered lists
("1. DM 2. DM/AxB"), in any capitalisation.

Splitting. "/", ";", "+", line breaks and a numbered list always separate leads. ",", "and" and
"&" separate leads only when every part they leave looks like a lead of its own: initials, a name
with its code, a role (a phrase naming a head, director, chair, team, board, committee, service,
...), or a person's name (an optional title such as Cllr or Dr, then two or three capitalised words
none of which names a subject such as Development or Services; one capitalised word each when the
whole list is single words, as in "Sarah & Tom"). Otherwise the text stays one lead, so a role that
lists its remit ("... Economic Development, UK and EU Regional Issues") is one lead, not three.
Nothing inside brackets splits.

Sameness. Two mentions are the same lead when their initials match or their names match, ignoring
case, spacing, punctuation and a leading "The" ("Leadership Team" = "leadership  team.",
"JoR" = "JOR"). Initials and a name are never assumed to be the same person ("SJ" and "Sarah
Jones" are two leads until the owner names SJ "Sarah Jones" on the Leads sheet); a name written
with its code ("Sarah Jones (SJ)") ties them.

Codes. Initials keep the code as written (JoR, AxB, HoS2, L21). A name or role is coded by the
initials of its words, small words (of, for, and, the, ...) left out, at most 8 letters ("Chair
Corporate Parenting Board" -> CCPB, "Leadership team" -> LT, "Head of Service" -> HS). When that
code is already another lead's, the name takes the first free of CODE2, CODE3, ... (Sarah Jones ->
SJ, Simon Jenkins -> SJ2). New names are coded in the order of their normalised names, not the
order met, so the same texts in any order give the same codes; codes differ ignoring case (copy file
names on Windows ignore case too). A register given as `existing` (the master's Leads sheet) keeps
every code, name and email it holds (a blank name is filled only by "Name (CODE)" in a text): new
leads only ever take codes nobody holds. One case depends on order: when two leads share a name
("Head of Service (HoS1)", "Head of Service (HoS2)"), the bare name goes to the one in the register
first (an existing lead first, else the first named).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property

from workbook.plan.actions import split_numbered, starts_numbered
from workbook.wording import count

CODE_LETTERS = 8  # the longest code made from a name's words (before a CODE2 suffix)

_INITIALS = re.compile(r"^(?:[A-Z](?:[a-z]?[A-Z]){1,3}\d{0,3}|[A-Z](?:[a-z]?[A-Z]){0,3}\d{1,3})$")
_HARD = re.compile(r"\s*(?:/|;|\+|\r\n|\r|\n|\u2028)\s*")
_SOFT = re.compile(r"\s*(?:,|&|\band\b)\s*", re.IGNORECASE)
_BRACKETED = re.compile(r"^(.*?)\s*[(\[]([^()\[\]]*)[)\]]$")
_NAME_WORD = re.compile(r"^[A-Z][a-z]*(?:['’-]?[A-Z]?[a-z]+)*\.?$")
_KEY_WORDS = re.compile(r"[^\W_]+")
_STRIP = " \t.,;:"

_SMALL_WORDS = frozenset(
    {"a", "an", "and", "at", "by", "for", "in", "of", "on", "the", "to", "with"}
)
_TITLES = frozenset(
    {
        "cllr",
        "councillor",
        "dame",
        "dr",
        "lady",
        "lord",
        "miss",
        "mr",
        "mrs",
        "ms",
        "mx",
        "prof",
        "professor",
        "rev",
        "revd",
        "sir",
    }
)
_ROLE_WORDS = frozenset(
    {
        "administrator",
        "adviser",
        "advisor",
        "analyst",
        "board",
        "boards",
        "cabinet",
        "chair",
        "chairman",
        "chairperson",
        "chairs",
        "champion",
        "chief",
        "cllr",
        "commissioner",
        "committee",
        "committees",
        "consultant",
        "coordinator",
        "council",
        "councillor",
        "councillors",
        "department",
        "deputy",
        "director",
        "directorate",
        "directors",
        "executive",
        "forum",
        "governor",
        "governors",
        "group",
        "head",
        "heads",
        "holder",
        "hub",
        "inspector",
        "lead",
        "leader",
        "leaders",
        "leadership",
        "leads",
        "manager",
        "managers",
        "mayor",
        "member",
        "members",
        "network",
        "nurse",
        "officer",
        "officers",
        "owner",
        "panel",
        "partnership",
        "portfolio",
        "practitioner",
        "practitioners",
        "president",
        "principal",
        "secretary",
        "service",
        "services",
        "sponsor",
        "staff",
        "superintendent",
        "supervisor",
        "supervisors",
        "team",
        "teams",
        "trustee",
        "trustees",
        "unit",
        "worker",
        "workers",
    }
)
# Words that name a subject, not a person: "Early Help", "Family Support", "EU Regional Issues"
# are never taken for a person's name when deciding where a list splits.
_SUBJECT_WORDS = frozenset(
    {
        "access",
        "adoption",
        "adult",
        "adults",
        "affairs",
        "assurance",
        "audit",
        "care",
        "children",
        "childrens",
        "commissioning",
        "communications",
        "communities",
        "community",
        "contracts",
        "corporate",
        "data",
        "development",
        "digital",
        "disabilities",
        "disability",
        "early",
        "economic",
        "economy",
        "education",
        "engagement",
        "environment",
        "estates",
        "families",
        "family",
        "finance",
        "fostering",
        "governance",
        "health",
        "help",
        "housing",
        "improvement",
        "inclusion",
        "intelligence",
        "issues",
        "justice",
        "learning",
        "legal",
        "local",
        "national",
        "operations",
        "parenting",
        "participation",
        "partnerships",
        "people",
        "performance",
        "placements",
        "planning",
        "policy",
        "practice",
        "procurement",
        "protection",
        "public",
        "quality",
        "regeneration",
        "regional",
        "residential",
        "resources",
        "safeguarding",
        "schools",
        "skills",
        "social",
        "standards",
        "strategy",
        "support",
        "targeted",
        "transport",
        "wellbeing",
        "workforce",
        "young",
        "youth",
    }
)
_WORDS_NOT_INITIALS = _ROLE_WORDS | _SUBJECT_WORDS


@dataclass(frozen=True)
class Lead:
    """A lead in the register: a code (initials as written, or made from the name), a name (a
    person or role; '' when only initials are known) and an email."""

    code: str
    name: str = ""
    email: str = ""


# --- Reading lead text ----------------------------------------------------------------------


def is_initials(token: str) -> bool:
    """True for a lead code written as initials, digits allowed: GT, LYH, JoR, AxB, HoS2, L21."""
    return bool(_INITIALS.match(token))


def lead_key(text: str) -> str:
    """What makes two names the same lead: case, spacing, punctuation and a leading "The" aside
    ("Leadership Team" and "leadership  team." -> "leadership team")."""
    words = _KEY_WORDS.findall(text.casefold().replace("'", "").replace("’", ""))
    if len(words) > 1 and words[0] == "the":
        words = words[1:]
    return " ".join(words)


def role_code(name: str) -> str:
    """The code made from a name or role: the initials of its words, small words left out, at
    most `CODE_LETTERS` (Chair Corporate Parenting Board -> CCPB, Head of Service 2 -> HS2)."""
    words = _KEY_WORDS.findall(name.replace("'", "").replace("’", ""))
    letters = []
    for word in words:
        if word.casefold() in _SMALL_WORDS:
            continue
        digits = re.match(r"\d+", word)
        letters.append(digits[0] if digits else word[0].upper())
    return "".join(letters)[:CODE_LETTERS] or "LEAD"


@dataclass(frozen=True)
class Mention:
    """One lead as a text names it: initials, a name, or both ("Head of Service (HoS2)")."""

    code: str = ""
    name: str = ""


def parse_mentions(text: str) -> tuple[Mention, ...]:
    """Each lead the text names, in the order written, repeats left in."""
    text = (text or "").strip()
    if not text:
        return ()
    parts = split_numbered(text) if starts_numbered(text) else (text,)
    found: list[Mention] = []
    for part in parts:
        for chunk in _split_outside_brackets(part, _HARD):
            for piece in _soft_split(chunk):
                found.extend(_piece_mentions(piece))
    return tuple(found)


def _split_outside_brackets(text: str, pattern: re.Pattern[str]) -> list[str]:
    depth = 0
    depths = []
    for ch in text:
        depths.append(depth)
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth = max(0, depth - 1)
    pieces, start = [], 0
    for m in pattern.finditer(text):
        if depths[m.start()] == 0:
            pieces.append(text[start : m.start()])
            start = m.end()
    pieces.append(text[start:])
    return [p for p in (_clean(p) for p in pieces) if p]


def _soft_split(chunk: str) -> list[str]:
    """The chunk split at ",", "and" and "&" when every part looks like a lead; else whole."""
    pieces = _split_outside_brackets(chunk, _SOFT)
    if len(pieces) < 2:
        return [chunk]
    singles = all(len(p.split()) == 1 for p in pieces)
    if all(_looks_like_a_lead(p, singles) for p in pieces):
        return pieces
    return [chunk]


def _looks_like_a_lead(piece: str, singles: bool) -> bool:
    if _code_and_name(piece) or _all_initials(piece):
        return True
    words = piece.split()
    keys = lead_key(piece).split()
    if any(k in _ROLE_WORDS for k in keys) and len(words) <= 8:
        return True
    titled = lead_key(words[0]) in _TITLES
    names = words[1:] if titled else words
    if not names or any(lead_key(w) in _SUBJECT_WORDS for w in names):
        return False
    if not all(_NAME_WORD.match(w) for w in names):
        return False
    least = 1 if titled or singles else 2
    return least <= len(names) <= 3


def _code_and_name(piece: str) -> Mention | None:
    """ "Head of Service (HoS2)" or "GT (Gill Taylor)": a name with its code in brackets."""
    m = _BRACKETED.match(piece)
    if not m:
        return None
    outer, inner = _clean(m[1]), _clean(m[2])
    if not outer or not inner:
        return None
    if is_initials(inner) and not _all_initials(outer):
        return Mention(inner, outer)
    if is_initials(outer) and not _all_initials(inner):
        return Mention(outer, inner)
    return None


def _all_initials(text: str) -> bool:
    """Every word initials, and none a word of a role or subject written in capitals ("LEAD
    TEAM", "HEAD OF SERVICE" are names; "MW RB" is two leads)."""
    words = text.split()
    return all(is_initials(w) and w.casefold() not in _WORDS_NOT_INITIALS for w in words)


def _piece_mentions(piece: str) -> list[Mention]:
    pair = _code_and_name(piece)
    if pair:
        return [pair]
    m = _BRACKETED.match(piece)
    if m and not _clean(m[1]) and _clean(m[2]):  # "(GT)"
        return _piece_mentions(_clean(m[2]))
    if not lead_key(piece):
        return []
    if _all_initials(piece):
        return [Mention(code=w) for w in piece.split()]
    return [Mention(name=piece)]


def _clean(text: str) -> str:
    return " ".join(text.split()).strip(_STRIP)


# --- The register ---------------------------------------------------------------------------


@dataclass(frozen=True)
class LeadRegister:
    """The leads of a plan, each with a code no other lead has (ignoring case), and the way from
    lead text to their codes."""

    leads: tuple[Lead, ...] = ()

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(lead.code for lead in self.leads)

    def lead(self, code: str) -> Lead | None:
        """The lead with this code, any case; None when there is none."""
        return self._by_code.get(code.strip().casefold())

    def codes_for(self, text: str) -> tuple[str, ...]:
        """The codes of the leads the text names, first mention first. A lead the register does
        not hold is coded as `build_register([text], self.leads)` would code it."""
        return tuple(lead.code for lead in self.leads_for(text))

    def leads_for(self, text: str) -> tuple[Lead, ...]:
        """The leads the text names, first mention first (see `codes_for`)."""
        mentions = parse_mentions(text)
        found = [self._resolve(m) for m in mentions]
        if any(lead is None for lead in found):
            wider = build_register([text], self.leads)
            found = [wider._resolve(m) for m in mentions]
        return tuple(dict.fromkeys(lead for lead in found if lead is not None))

    @cached_property
    def _by_code(self) -> dict[str, Lead]:
        out: dict[str, Lead] = {}
        for lead in self.leads:
            if lead.code.strip():
                out.setdefault(lead.code.strip().casefold(), lead)
        return out

    @cached_property
    def _by_name(self) -> dict[str, Lead]:
        out: dict[str, Lead] = {}
        for lead in self.leads:
            if lead.code.strip() and (key := lead_key(lead.name)):
                out.setdefault(key, lead)
        return out

    def _resolve(self, mention: Mention) -> Lead | None:
        if mention.code:
            lead = self._by_code.get(mention.code.casefold())
            if lead is not None and (
                not mention.name or not lead.name or lead_key(lead.name) == lead_key(mention.name)
            ):
                return lead
            if not mention.name:
                return None
        return self._by_name_or_token(mention.name)

    def _by_name_or_token(self, name: str) -> Lead | None:
        key = lead_key(name)
        lead = self._by_name.get(key)
        if lead is None and " " not in key:  # a code the owner set, written as a word
            lead = self._by_code.get(key)
        return lead


class _Slot:
    """A lead while the register is built: its code, name, email and where it was first named."""

    def __init__(self, code: str, name: str, email: str, first: int) -> None:
        self.code, self.name, self.email, self.first = code, name, email, first


def build_register(lead_texts: Iterable[str], existing: Sequence[Lead] = ()) -> LeadRegister:
    """The register of every lead the texts name: `existing` first, kept as it is (codes, names
    and emails; a lead with a name and no code is given one, a blank name is filled from "Name
    (CODE)"), then each new lead in the order first named. Codes are unique ignoring case; two
    different names never share one; the same texts in any order give every lead the same code
    (but see the module's notes)."""
    mentions = [m for text in lead_texts for m in parse_mentions(text)]
    slots = [_Slot(ld.code, ld.name, ld.email, -1) for ld in existing]
    by_code: dict[str, _Slot] = {}
    for slot in slots:
        if slot.code.strip():
            by_code.setdefault(slot.code.strip().casefold(), slot)

    def seen(slot: _Slot, i: int) -> None:
        if slot.first >= 0:
            slot.first = min(slot.first, i)

    # Initials, with or without a name: a lead per code, spelt as preferred among its spellings.
    spellings: dict[str, list[str]] = {}
    for m in mentions:
        if m.code and m.code.casefold() not in by_code:
            spellings.setdefault(m.code.casefold(), []).append(m.code)
    for i, m in enumerate(mentions):
        key = m.code.casefold()
        if m.code and not m.name:
            if key not in by_code:
                by_code[key] = _Slot(min(spellings[key], key=_code_preference), "", "", i)
                slots.append(by_code[key])
            seen(by_code[key], i)

    # A name with its code names the code's lead, unless that lead is someone else by name; then
    # the name stands on its own. Taken in sorted order, so which of two names written with one
    # code claims it never depends on the order of the texts.
    names: list[tuple[int, str]] = []
    for i, m in sorted(enumerate(mentions), key=lambda e: _pair_order(e[1])):
        if not m.code or not m.name:
            if m.name:
                names.append((i, m.name))
            continue
        key = m.code.casefold()
        holder = by_code.get(key)
        if holder is None:
            by_code[key] = _Slot(min(spellings[key], key=_code_preference), m.name, "", i)
            slots.append(by_code[key])
        elif not holder.name or lead_key(holder.name) == lead_key(m.name):
            holder.name = holder.name or m.name
            seen(holder, i)
        else:
            names.append((i, m.name))

    taken = set(by_code)
    for slot in slots:  # an owner's lead with a name and no code
        if not slot.code.strip() and lead_key(slot.name):
            slot.code = _free_code(role_code(slot.name), taken)
            by_code[slot.code.casefold()] = slot
            taken.add(slot.code.casefold())

    # A name alone: the lead already holding the name (the first in register order), or a code
    # the owner set written as a word, or a new lead, coded in the order of the names' keys.
    known = _by_name(slots)
    variants: dict[str, list[str]] = {}
    new_first: dict[str, int] = {}
    for i, name in sorted(names):
        key = lead_key(name)
        if key in known:
            seen(known[key], i)
        elif " " in key or key not in by_code:
            variants.setdefault(key, []).append(name)
            new_first.setdefault(key, i)
    for key in sorted(variants):
        name = min(variants[key], key=_name_preference)
        code = _free_code(role_code(name), taken)
        taken.add(code.casefold())
        slots.append(_Slot(code, name, "", new_first[key]))

    ordered = [s for s in slots if s.first < 0] + sorted(
        (s for s in slots if s.first >= 0), key=lambda s: s.first
    )
    return LeadRegister(tuple(Lead(s.code, s.name, s.email) for s in ordered))


def keep_owner_leads(
    lead_texts: Iterable[str], owner: Sequence[Lead]
) -> tuple[tuple[Lead, ...], str]:
    """The register of a plan imported again over a master whose `Leads` sheet the owner has
    set: each of the owner's leads kept as set (code, name, email), a lead the document names
    by those initials or that name taking that code, then each new lead, coded clear of the
    owner's; and a note for the owner ("" when the master had no leads). A lead the document no
    longer names stays on the sheet: nothing the owner typed is lost."""
    if not owner:
        return build_register(lead_texts).leads, ""
    texts = list(lead_texts)
    register = build_register(texts, owner)
    named = {lead.code for text in texts for lead in register.leads_for(text)}
    idle = [lead.code for lead in register.leads[: len(owner)] if lead.code not in named]
    new = len(register.leads) - len(owner)
    note = (
        f"kept the {count(len(owner), 'lead')} (codes, names and emails) on the Leads sheet of "
        f"the master this import replaced; {count(new, 'new lead')} added"
    )
    if idle:
        note += f"; no item names {', '.join(idle)} now - delete the row if they are gone"
    return register.leads, note


def _by_name(slots: list[_Slot]) -> dict[str, _Slot]:
    """Name key to the lead holding it; of two holding one name, the first in register order."""
    out: dict[str, _Slot] = {}
    for slot in sorted(slots, key=lambda s: (s.first >= 0, s.first)):
        if slot.code.strip() and (key := lead_key(slot.name)):
            out.setdefault(key, slot)
    return out


def _pair_order(m: Mention) -> tuple[str, str, str, str]:
    return (m.code.casefold(), lead_key(m.name), m.code, m.name)


def _code_preference(code: str) -> tuple[bool, str]:
    """Among spellings of one code, one with small letters as written (JoR before JOR)."""
    return (code.isupper() or not any(c.isalpha() for c in code), code)


def _name_preference(name: str) -> tuple[bool, int, str]:
    """Among spellings of one name, neither all capitals nor all small letters, with the most
    capitalised words ("Leadership Team" before "Leadership team" and "LEADERSHIP TEAM")."""
    words = name.split()
    capitalised = sum(1 for w in words if w[:1].isupper() and not w.isupper())
    return (name.isupper() or name.islower(), -capitalised, name)


def _free_code(base: str, taken: set[str]) -> str:
    code, n = base, 2
    while code.casefold() in taken:
        code, n = f"{base}{n}", n + 1
    return code


# --- Lead text to codes, one text at a time -------------------------------------------------


def parse_leads(text: str) -> tuple[tuple[str, str], ...]:
    """(code, name) for each lead the text names, first mention first; name is '' for initials.
    Codes are as `build_register([text])` gives them: unique within the text."""
    register = build_register([text])
    return tuple((lead.code, lead.name) for lead in register.leads_for(text))


def lead_codes(text: str) -> tuple[str, ...]:
    """The lead codes named in the text, first mention first (see `parse_leads`). A plan's items
    are better coded by the plan's register (`Plan.codes_of`): codes unique across its items."""
    return build_register([text]).codes_for(text)
