"""Properties of the merge, on real files: the seed master, copies issued to every lead, some of
them filled in with awkward answers, the owner changing statuses in the master meanwhile, then
`merge_returns` - and a fast version of the status and order rules on the pure `merge` alone.

The file-based properties issue, fill and merge real workbooks (about half a second an example),
so they run FILE_EXAMPLES examples, fewer than the profile's; the pure one runs the profile's.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import shutil
import tempfile
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from python_calamine import CalamineWorkbook
from strategies import plans

from sync.copies import issue_copies, leads_with_items, plan_for_lead
from sync.ledger import (
    SHEET_CONFLICTS,
    SHEET_ISSUED_ITEMS,
    SHEET_MERGED_RETURNS,
    SHEET_PROPOSALS,
)
from sync.merge.apply import merge_returns
from sync.merge.core import ChangeSet, master_state, merge
from sync.returns import ReturnedCopy, returned_copy
from sync.simulate import Answer, fill_copy
from workbook.importers.seed import seed_plan
from workbook.lead_copy.columns import COPY_COLUMNS
from workbook.master.read import read_master
from workbook.master.sheets import COLUMN_BY_KEY, SHEET_CHANGES, SHEET_PLAN, SHEET_UPDATES
from workbook.master.write import write_master
from workbook.plan.model import Plan
from workbook.plan.status import RAG_CODES, normalise_status
from workbook.plan.updates import new_entry_label

ISSUED = dt.datetime(2024, 5, 1, 9, 0)
MERGED = dt.datetime(2024, 6, 3, 17, 30)
MERGED_AGAIN = dt.datetime(2024, 6, 4, 8, 0)

#: Slow examples (real files) scale with the profile, but stay few in "ci".
FILE_EXAMPLES = max(15, settings().max_examples // 10)

SEED = dataclasses.replace(seed_plan(), plan_id="plan-test")
LEADS: tuple[str, ...] = tuple(leads_with_items(SEED))
REFS_OF: dict[str, tuple[str, ...]] = {
    lead: tuple(it.ref for it in plan_for_lead(SEED, lead).items) for lead in LEADS
}
STATUS_TITLE = COLUMN_BY_KEY["status"].title
UPDATE_TITLE = COLUMN_BY_KEY["updates"].title
#: Sheets a merge may add rows to (at the end) or create; every other sheet must stay as it was.
GROWING_SHEETS = (
    SHEET_UPDATES,
    SHEET_CHANGES,
    SHEET_CONFLICTS,
    SHEET_PROPOSALS,
    SHEET_MERGED_RETURNS,
)

# --- Strategies --------------------------------------------------------------------------------


def _xml_char(ch: str) -> bool:
    """A character XML 1.0 (so an .xlsx cell) can hold."""
    cp = ord(ch)
    return (
        ch in "\t\n\r"
        or 0x20 <= cp <= 0xD7FF
        or 0xE000 <= cp <= 0xFFFD
        or 0x10000 <= cp <= 0x10FFFF
    )


_TOKENS = st.sampled_from(
    ["=", "+", "-", "@", "\n", "\r\n", " ", "\t", "done", "SUM(A1)", "é", "–", "😀", "中文", "&",
     "<b>", '"', "'", "Update May 23:", "#N/A"]
) | st.characters(codec="utf-8", exclude_categories=("Cc", "Cs")).filter(_xml_char)  # fmt: skip
#: What a lead types as an update: formula-like starts, line breaks, unicode, or nothing at all.
UPDATE_TEXT = st.lists(_TOKENS, max_size=6).map("".join)
LEAD_STATUS = st.sampled_from(["", "GREEN", "amber", "R", "Complete", "Yellow", " blue "])
PROPOSED = st.sampled_from(["", "Jun-24", "soon", "March 2025"])
#: What the plan says at issue, and what the owner types in the master before the merge.
ISSUED_STATUS = st.sampled_from(["", *RAG_CODES])
OWNER_STATUS = st.sampled_from(["", *RAG_CODES, "green", " Amber "])


@dataclass(frozen=True)
class Scenario:
    """One cycle: the statuses issued, each returning lead's answers by ref, the owner's edits to
    the master's Status cells between issue and merge, and an order to give the returns in."""

    issued: Mapping[str, str]
    answers: Mapping[str, Mapping[str, Answer]]
    owner: Mapping[str, str]
    order: tuple[int, ...]

    def plan(self) -> Plan:
        items = tuple(
            dataclasses.replace(it, status=self.issued.get(it.ref, it.status)) for it in SEED.items
        )
        return dataclasses.replace(SEED, items=items)


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    refs = [it.ref for it in SEED.items]
    issued = draw(st.dictionaries(st.sampled_from(refs), ISSUED_STATUS, max_size=8))
    leads = draw(st.lists(st.sampled_from(LEADS), min_size=1, max_size=4, unique=True))
    # leads sharing items make the agreement rule matter, so favour them
    if draw(st.booleans()):
        leads = list(dict.fromkeys(["GT", "LH", *leads]))
    answers = {}
    for lead in leads:
        mine = draw(st.lists(st.sampled_from(REFS_OF[lead]), unique=True, max_size=3))
        answers[lead] = {
            ref: draw(st.builds(Answer, LEAD_STATUS, UPDATE_TEXT, PROPOSED)) for ref in mine
        }
    touched = sorted({ref for mine in answers.values() for ref in mine})
    owner = draw(
        st.dictionaries(st.sampled_from(touched or refs), OWNER_STATUS, max_size=len(touched))
    )
    order = tuple(draw(st.permutations(range(len(leads)))))
    return Scenario(issued, answers, owner, order)


# --- Expected outcomes (the rules of sync/merge.py, restated) -----------------------------------


def _clean(words: str) -> str:
    return words.replace("\r\n", "\n").replace("\r", "\n").strip()


def _entry(lead: str, words: str) -> str:
    return f"{new_entry_label(MERGED.date(), lead)}: {_clean(words)}"


@dataclass(frozen=True)
class Expected:
    #: (lead, ref) -> the Status outcome its return gets, when it gets one
    status_outcome: dict[tuple[str, str], str]
    #: ref -> the status applied to it (any other item keeps whatever the master has)
    status_after: dict[str, str]
    #: (lead, ref) -> the entry added to the item's updates
    entries: dict[tuple[str, str], str]
    #: (lead, ref) -> "proposed" or "rejected", for each proposed time-scale typed
    proposals: dict[tuple[str, str], str]

    @property
    def exit_code(self) -> int:
        outcomes = [*self.status_outcome.values(), *self.proposals.values()]
        return int(any(o in ("conflict", "rejected") for o in outcomes))


def expected(s: Scenario) -> Expected:
    outcome: dict[tuple[str, str], str] = {}
    pending: dict[str, dict[str, str]] = {}
    for lead, mine in s.answers.items():
        for ref, answer in mine.items():
            base = normalise_status(s.issued.get(ref, ""))
            current = normalise_status(s.owner.get(ref, s.issued.get(ref, "")))
            # a blank answer leaves the issued status in the copy
            value = normalise_status(answer.status) if answer.status else base
            if value is None:
                outcome[(lead, ref)] = "rejected"
            elif not value or value == base:
                continue  # no answer, or the status as issued: nothing claimed
            elif value == current:
                outcome[(lead, ref)] = "already in the plan"
            elif current != base:
                outcome[(lead, ref)] = "conflict"
            else:
                pending.setdefault(ref, {})[lead] = value
    after: dict[str, str] = {}
    for ref, claims in pending.items():
        agreed = len(set(claims.values())) == 1
        for lead in claims:
            outcome[(lead, ref)] = "applied" if agreed else "conflict"
        if agreed:
            after[ref] = next(iter(claims.values()))
    entries = {
        (lead, ref): _entry(lead, answer.update)
        for lead, mine in s.answers.items()
        for ref, answer in mine.items()
        if _clean(answer.update)
    }
    # no seed time-scale is one of these, so each is news to the owner
    proposals = {
        (lead, ref): "rejected" if answer.proposed_timescale == "soon" else "proposed"
        for lead, mine in s.answers.items()
        for ref, answer in mine.items()
        if answer.proposed_timescale
    }
    return Expected(outcome, after, entries, proposals)


# --- Files -------------------------------------------------------------------------------------

Grid = list[list[Any]]


def grids(path: Path) -> dict[str, Grid]:
    """Every sheet as python-calamine reads it, hidden ones included, trailing blanks trimmed (a
    sheet that grows wider pads its earlier rows)."""
    wb = CalamineWorkbook.from_path(str(path))
    try:
        out = {}
        for name in wb.sheet_names:
            rows = [
                _trim(row) for row in wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
            ]
            while rows and not rows[-1]:
                rows.pop()
            out[name] = rows
        return out
    finally:
        wb.close()


def _trim(row: Sequence[object]) -> list[Any]:
    row = list(row)
    while row and row[-1] in ("", None):
        row.pop()
    return row


def _header_index(grid: Grid) -> int:
    return next(i for i, row in enumerate(grid) if row[:1] == ["Ref"] and "Action" in row)


def plan_cell(grid: Grid, ref: str, title: str) -> Any:
    head = _header_index(grid)
    row = next(r for r in grid[head + 1 :] if r[:1] == [ref])
    col = grid[head].index(title)
    return row[col] if col < len(row) else ""


def owner_sets_statuses(master: Path, statuses: Mapping[str, str]) -> None:
    """The owner types statuses into the master and saves it (openpyxl stands in for Excel)."""
    wb = load_workbook(master, rich_text=True)
    ws = wb[SHEET_PLAN]
    header = next(r for r in ws.iter_rows() if r[0].value == "Ref" and r[2].value == "Action")
    col = next(c.column for c in header if c.value == STATUS_TITLE)
    for row in ws.iter_rows(min_row=header[0].row + 1):
        ref = row[0].value
        if ref in statuses:
            cell = ws.cell(row[0].row, col)
            cell.value = statuses[ref] or None
            cell.data_type = "s"
    wb.save(master)


@dataclass
class Cycle:
    master: Path
    returns: list[Path]  # in the scenario's lead order
    leads: list[str]


def run_cycle(folder: Path, s: Scenario) -> Cycle:
    """Write the master, issue copies to every lead, fill in the returning leads' copies, then let
    the owner change the master; nothing merged yet."""
    master = folder / "owner" / "master.xlsx"
    master.parent.mkdir(parents=True)
    write_master(s.plan(), master)
    issued = {c.lead: c for c in issue_copies(master, folder / "copies", when=ISSUED).copies}
    assert set(issued) == set(LEADS)
    returns = []
    (folder / "returns").mkdir()
    for lead, mine in s.answers.items():
        out = folder / "returns" / f"{lead} return.xlsx"
        fill_copy(issued[lead].path, out, dict(mine))
        returns.append(out)
    if s.owner:
        owner_sets_statuses(master, s.owner)
    return Cycle(master, returns, list(s.answers))


def outcomes(changes: ChangeSet, field: str) -> dict[tuple[str, str], str]:
    """(lead, ref) -> the outcome of `field` in that lead's return."""
    return {
        (r.lead, ln.ref): ln.outcome for r in changes.results for ln in r.lines if ln.field == field
    }


# --- The file-based property -------------------------------------------------------------------


@settings(max_examples=FILE_EXAMPLES, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_merging_real_returns(s: Scenario) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        c = run_cycle(folder, s)
        twin = folder / "twin" / "master.xlsx"
        twin.parent.mkdir()
        shutil.copyfile(c.master, twin)
        before, plan_before = grids(c.master), read_master(c.master, rich=False)

        first = merge_returns(c.master, c.returns, when=MERGED)
        after = grids(c.master)
        want = expected(s)
        check_every_return_merged(first.changes, c.leads)
        check_updates_added_once_in_the_leads_words(first.changes, after, want)
        check_only_editable_fields_changed(first.changes, before, after)
        check_plan_fields_kept(plan_before, read_master(c.master, rich=False))
        check_status_rules(first.changes, after, s, want)
        assert outcomes(first.changes, "Proposed time-scale") == want.proposals
        assert first.changes.exit_code == want.exit_code

        # c. the same files again change nothing
        data = c.master.read_bytes()
        again = merge_returns(c.master, c.returns, when=MERGED_AGAIN)
        assert again.changes.exit_code == 0
        assert [r.outcome for r in again.changes.results] == ["already merged"] * len(c.returns)
        assert not again.changes.changes_master and again.backup is None
        assert c.master.read_bytes() == data
        assert grids(c.master) == after

        # d. the order the files are given in does not matter
        permuted = [c.returns[i] for i in s.order]
        twin_run = merge_returns(twin, permuted, when=MERGED)
        assert grids(twin) == after
        assert twin_run.changes == first.changes
        assert _receipts(twin_run.receipts) == _receipts(first.receipts)


def _receipts(paths: Sequence[Path]) -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in paths}


def check_every_return_merged(changes: ChangeSet, leads: list[str]) -> None:
    assert sorted(r.lead for r in changes.results) == sorted(leads)
    assert all(r.outcome == "merged" for r in changes.results), changes.to_dict()


def check_updates_added_once_in_the_leads_words(
    changes: ChangeSet, after: dict[str, Grid], want: Expected
) -> None:
    """a. Every non-blank update is added, once in the log and once in the item's cell, in the
    lead's own words; nothing else is added."""
    added = {
        (r.lead, ln.ref): ln.new for r in changes.results for ln in r.lines if ln.outcome == "added"
    }
    assert added == want.entries
    log = after[SHEET_UPDATES]
    ref_col, text_col = log[0].index("Ref"), log[0].index("Update")
    logged = Counter((row[ref_col], row[text_col]) for row in log[1:] if len(row) > text_col)
    for (_lead, ref), entry in added.items():
        assert logged[(ref, entry)] == 1, (ref, entry)
        cell = plan_cell(after[SHEET_PLAN], ref, UPDATE_TITLE)
        assert isinstance(cell, str) and cell.count(entry) == 1, (ref, entry, cell)


def check_only_editable_fields_changed(
    changes: ChangeSet, before: dict[str, Grid], after: dict[str, Grid]
) -> None:
    """b. The plan changes only in the Status and Update cells the change set names; the log
    sheets only grow at the end; every other sheet is as it was."""
    assert set(before) <= set(after)
    assert set(after) - set(before) <= set(GROWING_SHEETS)
    written = {(w.row - 1, w.column): w for w in changes.writes}
    plan_before, plan_after = before[SHEET_PLAN], after[SHEET_PLAN]
    head = plan_before[_header_index(plan_before)]
    status_col, updates_col = head.index(STATUS_TITLE), head.index(UPDATE_TITLE)
    assert {w.column for w in changes.writes} <= {status_col, updates_col}
    assert len(plan_after) == len(plan_before)
    for r, (old, new) in enumerate(zip(plan_before, plan_after, strict=True)):
        for col in range(max(len(old), len(new))):
            was = old[col] if col < len(old) else ""
            now = new[col] if col < len(new) else ""
            if (r, col) in written:
                w = written[(r, col)]
                assert (was, now) == (w.old, w.new), (w.ref, w.field)
            else:
                assert now == was, (r + 1, col, was, now)
    for name, grid in before.items():
        if name in GROWING_SHEETS:
            assert after[name][: len(grid)] == grid, name
        elif name != SHEET_PLAN:
            assert after[name] == grid, name
    assert len(after[SHEET_UPDATES]) - len(before[SHEET_UPDATES]) == len(changes.updates_rows)
    assert len(after[SHEET_CHANGES]) - len(before[SHEET_CHANGES]) == len(changes.changes_rows)


def check_plan_fields_kept(before: Plan, after: Plan) -> None:
    """b. Read back as a plan, every item is as it was apart from its status and updates."""

    def locked(plan: Plan) -> list[Any]:
        return [dataclasses.replace(it, status="", updates=()) for it in plan.items]

    assert locked(after) == locked(before)
    assert (after.sections, after.leads, after.title) == (
        before.sections,
        before.leads,
        before.title,
    )


def check_status_rules(
    changes: ChangeSet, after: dict[str, Grid], s: Scenario, want: Expected
) -> None:
    """e. A status is applied only when the master kept its issued status and every lead who
    changed it agrees; otherwise the master keeps its value and each claim is a conflict."""
    assert outcomes(changes, "Status") == want.status_outcome
    grid = after[SHEET_PLAN]
    for it in SEED.items:
        typed = s.owner.get(it.ref, s.issued.get(it.ref, ""))
        cell = plan_cell(grid, it.ref, STATUS_TITLE)
        if it.ref in want.status_after:
            assert cell == want.status_after[it.ref], it.ref
        else:
            assert cell == typed, it.ref
    conflicts = after.get(SHEET_CONFLICTS, [[]])[1:]
    assert len(conflicts) == sum(1 for o in want.status_outcome.values() if o == "conflict")
    assert len([w for w in changes.writes if w.field == "status"]) == len(want.status_after)


# --- Any plan: the locked columns come back as issued --------------------------------------------


def issue_fill_merge(folder: Path, plan: Plan, answer: Answer) -> ChangeSet:
    """Issue `plan` to every lead, give `answer` on every item of every copy, merge them all."""
    master = folder / "master.xlsx"
    write_master(plan, master)
    run = issue_copies(master, folder / "copies", when=ISSUED)
    (folder / "returns").mkdir()
    returns = []
    for c in run.copies:
        out = folder / "returns" / f"{c.lead} return.xlsx"
        fill_copy(c.path, out, dict.fromkeys(c.refs, answer))
        returns.append(out)
    return merge_returns(master, returns, when=MERGED).changes


@settings(max_examples=FILE_EXAMPLES, suppress_health_check=[HealthCheck.too_slow])
@given(plans(max_items=8))
def test_a_lead_who_types_only_in_their_columns_is_never_told_of_other_edits(plan: Plan) -> None:
    """Whatever the plan's texts ("=SUM(A1)", "<b>", "café", numbered actions...), a copy read
    back matches the digest of its locked cells as issued: no "ignored" edit the lead never made."""
    with tempfile.TemporaryDirectory() as tmp:
        changes = issue_fill_merge(
            Path(tmp), dataclasses.replace(plan, plan_id="plan-any"), Answer(update="Done.")
        )
    assert changes.exit_code == 0, changes.to_dict()
    assert {ln.outcome for r in changes.results for ln in r.lines} == {"added"}


def test_plan_text_that_looks_like_an_xml_escape_survives_the_cycle() -> None:
    item = dataclasses.replace(SEED.item("WNI-01"), actions=("Rename file_x0041_.docx",))
    plan = dataclasses.replace(
        SEED, items=tuple(item if it.ref == item.ref else it for it in SEED.items)
    )
    with tempfile.TemporaryDirectory() as tmp:
        changes = issue_fill_merge(Path(tmp), plan, Answer(status="GREEN"))
    lines = {(ln.ref, ln.field, ln.outcome) for r in changes.results for ln in r.lines}
    assert ("WNI-01", "Action", "ignored") not in lines
    assert changes.exit_code == 0
    # the root of it: the master as Excel (and calamine) reads it already says "fileA"
    with tempfile.TemporaryDirectory() as tmp:
        master = Path(tmp) / "master.xlsx"
        write_master(plan, master)
        assert read_master(master, rich=False).item("WNI-01").actions == item.actions


# --- The pure merge: many more examples, no files ----------------------------------------------


@dataclass(frozen=True)
class Issued:
    """A seed master with copies issued to every lead, as grids: what `merge` reads."""

    master: dict[str, Grid]
    copies: dict[str, dict[str, Grid]]


@cache
def _issued() -> Issued:
    with tempfile.TemporaryDirectory() as tmp:
        master = Path(tmp) / "master.xlsx"
        write_master(SEED, master)
        run = issue_copies(master, Path(tmp) / "copies", when=ISSUED)
        return Issued(_raw(master), {c.lead: _raw(c.path) for c in run.copies})


def _raw(path: Path) -> dict[str, Grid]:
    """Sheets as the readers give them to the merge: empty cells as None."""
    wb = CalamineWorkbook.from_path(str(path))
    try:
        return {
            name: [
                [None if v == "" else v for v in row]
                for row in wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
            ]
            for name in wb.sheet_names
        }
    finally:
        wb.close()


def pure_master(s: Scenario) -> dict[str, Grid]:
    """The issued master's grids as if it had been issued with `s.issued` and the owner had
    since typed `s.owner`: the plan's Status cells and the ledger's issued statuses."""
    sheets = dict(_issued().master)
    plan = [list(r) for r in sheets[SHEET_PLAN]]
    head = _header_index(_blank(plan))
    status_col = plan[head].index(STATUS_TITLE)
    typed = {**s.issued, **s.owner}
    for row in plan[head + 1 :]:
        if row[0] in typed:
            row[status_col] = typed[row[0]] or None
    sheets[SHEET_PLAN] = plan
    items = [list(r) for r in sheets[SHEET_ISSUED_ITEMS]]
    ref_col, st_col = items[0].index("Ref"), items[0].index("Status")
    for row in items[1:]:
        if row[ref_col] in s.issued:
            row[st_col] = s.issued[row[ref_col]] or None
    sheets[SHEET_ISSUED_ITEMS] = items
    return sheets


def _blank(grid: Grid) -> Grid:
    """`grid` with empty cells as "" again, as the file helpers above read them."""
    return [[("" if v is None else v) for v in r] for r in grid]


def pure_return(s: Scenario, lead: str) -> ReturnedCopy:
    """`lead`'s copy as issued with `s.issued`, filled in with their answers, as read."""
    sheets = dict(_issued().copies[lead])
    grid = [list(r) for r in sheets[SHEET_PLAN]]
    head = _header_index(_blank(grid))
    col = {c.key: grid[head].index(c.title) for c in COPY_COLUMNS}
    for row in grid[head + 1 :]:
        ref = row[col["ref"]]
        if ref in s.issued:
            row[col["status"]] = s.issued[ref] or None
        answer = s.answers[lead].get(ref)
        if answer is not None:
            for key, value in (
                ("status", answer.status),
                ("new_update", answer.update),
                ("proposed_timescale", answer.proposed_timescale),
            ):
                if value:
                    row[col[key]] = value
    sheets[SHEET_PLAN] = grid
    sha = hashlib.sha256(repr(grid).encode()).hexdigest()
    return returned_copy(sheets, name=f"{lead} return.xlsx", sha256=sha)


@given(scenarios())
def test_pure_merge_status_rules_and_order(s: Scenario) -> None:
    state = master_state(pure_master(s))
    returns = [pure_return(s, lead) for lead in s.answers]
    changes = merge(state, returns, when=MERGED)
    want = expected(s)
    assert outcomes(changes, "Status") == want.status_outcome
    assert outcomes(changes, "Proposed time-scale") == want.proposals
    assert changes.exit_code == want.exit_code
    status_writes = {w.ref: w.new for w in changes.writes if w.field == "status"}
    assert status_writes == want.status_after
    added = {
        (r.lead, ln.ref): ln.new for r in changes.results for ln in r.lines if ln.outcome == "added"
    }
    assert added == want.entries
    assert merge(state, [returns[i] for i in s.order], when=MERGED) == changes
