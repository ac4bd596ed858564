"""Which column of a plan document's table holds what: found by the column's title, never by its
position.

Plans are laid out many ways - "Findings | Action | Lead | Time-scale | Update | Status", a
council's "Reference | Origin | Date | Area | Recommendation | Exec Date | Lead Officer/EM |
Action taken | Status", a school's "(no.) | Objective | Action | Success Criteria | When | ...".
Each column's title is compared, loosely (case, spacing, punctuation and footnote markers such as
`[i]`, `*` or a superscript ignored), with the titles people use for each role (`ROLE_TITLES`).
`--map ROLE=TITLE` settles what the table cannot. A column no role claims is the document's own
(Success criteria, Resources, Origin, ...): kept with its title, never dropped.

The finding is the one role a plan cannot do without; the others may be missing (the cycle adds
Lead, Update and Status columns of its own). A role two columns could hold, or a title two roles
could claim, is refused in one line that names the titles and the `--map` to use: a plan is never
imported with a column guessed.

The update is the one role several columns may hold: a school's termly columns ("Autumn term
update | Spring term update | Summer term update"), each cell an update of its own, labelled by its
column's title (`ColumnRoles.updates`; the importer makes them dated entries, newest - the
rightmost - first). A title that ends in an update word ("Autumn term update", "Spring progress")
names the update role when nothing else names a role.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from workbook.errors import PlanImportError

#: The roles a column can play, in the order the master shows them.
ROLES = ("ref", "finding", "actions", "lead", "timescale", "update", "status")
#: Roles a document may lack: the master has a column for each all the same.
OPTIONAL_ROLES = ROLES[2:]
#: What each role is called in a `--map` and in messages.
ROLE_NAMES = {
    "ref": "ref",
    "finding": "finding",
    "actions": "action",
    "lead": "lead",
    "timescale": "time-scale",
    "update": "update",
    "status": "status",
}
#: The titles people give each role's column, compared as `normal_title` makes them. A title
#: matches when it is one of these, or begins with one followed by more words ("Ofsted findings /
#: additional improvements ...", "Evaluation & further action").
ROLE_TITLES: dict[str, tuple[str, ...]] = {
    "ref": ("ref", "reference", "no", "number", "item", "item no", "rec no", "id"),
    "finding": (
        "finding",
        "findings",
        "ofsted findings",
        "ofsted finding",
        "inspection findings",
        "recommendation",
        "recommendations",
        "objective",
        "objectives",
        "priority",
        "priorities",
        "area for improvement",
        "areas for improvement",
        "area for development",
        "areas for development",
        "issue",
        "issues",
        "must do",
        "should do",
        "must do should do",
        "requirement",
        "key issue",
    ),
    "actions": (
        "action",
        "actions",
        "actions to be taken",
        "action to be taken",
        "what we will do",
        "planned action",
        "planned actions",
        "key actions",
    ),
    "lead": (
        "lead",
        "leads",
        "lead officer",
        "lead officers",
        "owner",
        "action owner",
        "responsible",
        "responsible officer",
        "responsible person",
        "who",
        "lead person",
    ),
    "timescale": (
        "time scale",
        "timescale",
        "timescales",
        "time scales",
        "deadline",
        "target date",
        "by when",
        "when",
        "timetable",
        "due",
        "due date",
        "completion date",
        "target completion date",
    ),
    "update": (
        "update",
        "updates",
        "progress",
        "progress update",
        "progress to date",
        "action taken",
        "actions taken",
        "response",
        "comments",
        "evaluation",
        "commentary",
    ),
    "status": ("status", "rag", "rag rating", "rag status", "current status", "rating"),
}

#: Words a title may end in to name the update role ("Autumn term update", "Term 2 progress").
UPDATE_ENDINGS = ("update", "updates", "progress", "progress update")

_FOOTNOTE = re.compile(r"\[(?:[ivxlc]+|\d+|[a-z])\]|\((?:[ivxlc]+|\d+)\)$|[*†‡§¶]+")
_SUPERSCRIPT = re.compile("[\u00b2\u00b3\u00b9\u2070-\u209f\u1d2c-\u1d6a]+")


def normal_title(title: str) -> str:
    """A column title compared loosely: lower case, footnote markers (`[i]`, `[2]`, `*`,
    superscripts) and punctuation gone, spacing collapsed. "Time-scale" and "Timescale " and
    "TIME SCALE*" compare as "time scale", "timescale" and "time scale"."""
    text = _SUPERSCRIPT.sub("", title)
    text = unicodedata.normalize("NFKC", text).casefold().strip()
    text = _FOOTNOTE.sub(" ", text)
    text = re.sub(r"[^\w]+", " ", text)
    return " ".join(text.split())


_ENDINGS = tuple(normal_title(t) for t in UPDATE_ENDINGS)
_KNOWN = {
    role: tuple(sorted({normal_title(t) for t in titles}, key=len, reverse=True))
    for role, titles in ROLE_TITLES.items()
}


def title_roles(title: str) -> tuple[str, ...]:
    """The roles a column title names: exact titles first; failing that, titles it begins with.
    Empty when it names none; more than one when it is ambiguous."""
    norm = normal_title(title)
    if not norm:
        return ()
    exact = tuple(role for role in ROLES if norm in _KNOWN[role])
    if exact:
        return exact
    begins = tuple(
        role
        for role in ROLES
        if role != "ref" and any(norm.startswith(t + " ") for t in _KNOWN[role])
    )
    if begins:
        return begins
    return ("update",) if any(norm.endswith(" " + t) for t in _ENDINGS) else ()


@dataclass(frozen=True)
class ColumnRoles:
    """The roles found in a table's header: role -> 0-based column, and the document's own
    other columns (0-based column, title), in the table's order. A table with several update
    columns (termly updates) has them in `updates`, in the table's order, and no "update" in
    `roles`: no one column is the update; the master adds an Update column of its own."""

    titles: tuple[str, ...]
    roles: Mapping[str, int]
    others: tuple[tuple[int, str], ...]
    updates: tuple[int, ...] = ()

    def title(self, role: str) -> str:
        return self.titles[self.roles[role]] if role in self.roles else ""


def parse_map(entries: Sequence[str]) -> dict[str, str]:
    """`--map ROLE=TITLE` entries as role -> title; one line naming a bad entry otherwise."""
    names = {normal_title(v): k for k, v in ROLE_NAMES.items()}
    names |= {normal_title(r): r for r in ROLES}
    out: dict[str, str] = {}
    for entry in entries:
        role, sep, title = entry.partition("=")
        key = names.get(normal_title(role)) if sep else None
        if key is None or not title.strip():
            raise PlanImportError(
                f"--map {entry!r}: write it as ROLE=TITLE, ROLE one of "
                f"{', '.join(ROLE_NAMES[r] for r in ROLES)}, e.g. --map 'finding=Recommendation'"
            )
        out[key] = title.strip()
    return out


def looks_like_header(cells: Sequence[str]) -> bool:
    """Whether a table row is a plan's header: a finding column and at least two more columns
    whose titles name roles (a body row of a plan rarely holds three such short words)."""
    named = [title_roles(c) for c in cells if c.strip() and len(c) <= 120]
    roles = {r for found in named for r in found}
    return "finding" in roles and sum(1 for found in named if found) >= 3


def find_roles(
    titles: Sequence[str],
    *,
    mapping: Mapping[str, str] | None = None,
    source: str = "the plan",
    first_column_values: Sequence[str] = (),
) -> ColumnRoles:
    """Each role's column in a header row, by title; raise PlanImportError, in one line naming
    the titles found and the `--map` to use, when the finding is missing or a role or a title is
    ambiguous. `first_column_values` are the first column's cells under the header: an untitled
    first column of short numbers ("1", "1.2", "SR (25/26) 01") is the items' refs."""
    titles = tuple(titles)
    mapping = dict(mapping or {})
    shown = " | ".join(t.strip() or "(no title)" for t in titles)
    roles: dict[str, int] = {}
    for role, wanted in mapping.items():
        hits = [i for i, t in enumerate(titles) if normal_title(t) == normal_title(wanted)]
        if not hits:
            raise PlanImportError(
                f"{source}: --map {ROLE_NAMES[role]}={wanted!r} names no column; the columns "
                f"are: {shown}"
            )
        roles[role] = hits[0]
    claimed = set(roles.values())
    candidates: dict[str, list[int]] = {}
    several: tuple[int, ...] = ()
    for i, t in enumerate(titles):
        if i in claimed:
            continue
        found = [r for r in title_roles(t) if r not in roles]
        if len(found) > 1:
            options = " or ".join(f"--map {ROLE_NAMES[r]}={t.strip()!r}" for r in found)
            raise PlanImportError(
                f"{source}: the column {t.strip()!r} could be the "
                f"{' or the '.join(ROLE_NAMES[r] for r in found)}; say which with {options}"
            )
        for r in found:
            candidates.setdefault(r, []).append(i)
    for role, columns in candidates.items():
        if role == "update" and len(columns) > 1:
            several = tuple(columns)  # termly update columns: each cell an update of its own
            continue
        if len(columns) > 1:
            named = ", ".join(repr(titles[i].strip()) for i in columns)
            raise PlanImportError(
                f"{source}: {len(columns)} columns could be the {ROLE_NAMES[role]} ({named}); "
                f"say which with --map {ROLE_NAMES[role]}=TITLE"
            )
        roles[role] = columns[0]
    if "ref" not in roles and titles and 0 not in roles.values() and _ref_like(first_column_values):
        roles["ref"] = 0
    if "finding" not in roles:
        raise PlanImportError(
            f"{source}: no column is the finding (the columns are: {shown}); say which with "
            "--map finding=TITLE"
        )
    taken = set(roles.values()) | set(several)
    others = tuple((i, t.strip()) for i, t in enumerate(titles) if i not in taken)
    return ColumnRoles(titles, roles, others, several)


_REF_VALUE = re.compile(r"^[\w().\-/ ]{1,24}$")


def _ref_like(values: Sequence[str]) -> bool:
    """An untitled numbering column: every filled cell short, with a digit, and no two alike."""
    filled = [v.strip() for v in values if v.strip()]
    return (
        len(filled) >= 1
        and all(_REF_VALUE.match(v) and any(ch.isdigit() for ch in v) for v in filled)
        and len(set(filled)) == len(filled)
    )
