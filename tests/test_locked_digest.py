"""The digest of a copy's locked cells (issue 13, item 10a): no false alarm from a program that
re-spaces text, and digests made by the first rule still checked by that rule.

Gnumeric drops the line break or space at the edge of a rich-text run when it re-saves a copy
("abuse.\\nThe" comes back "abuse.The"); the first rule (whitespace runs made one space) then
took the lead for having edited the finding. Digests made now leave whitespace out and say so
("v2 finding:..."); a master issued before keeps its "finding=..." digests, checked as before.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from openpyxl import load_workbook

from sync.ledger import (
    LOCKED_FIELDS,
    SHEET_ISSUED_ITEMS,
    changed_locked_fields,
    locked_digest,
)
from sync.merge.apply import MergeRun, merge_returns
from sync.merge.outcomes import Outcome
from sync.simulate import Answer
from tests import lead_returns as lr
from tests.cycle import MERGED, Cycle, start_cycle
from workbook.master.write import item_texts
from workbook.plan.model import Plan

needs_ssconvert = pytest.mark.skipif(
    lr.SSCONVERT is None, reason="Gnumeric's ssconvert is needed (apt-get install gnumeric)"
)

FINDING = "Leaders do not yet identify abuse.\nThe narrative in italics, after a line break."
TEXTS = {"finding": FINDING, "actions": "1. Audit.\n2. Train.", "lead": "GT", "timescale": "Mar-24"}


def first_rule_digest(texts: dict[str, str]) -> str:
    """A digest made the way masters issued before this change made it: "key=hash" per locked
    field, whitespace runs made one space, the first 8 hex digits of SHA-256."""

    def h(text: str) -> str:
        return hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest()[:8]

    return " ".join(f"{key}={h(texts.get(key, ''))}" for key in LOCKED_FIELDS)


def gnumeric(text: str) -> str:
    """What a Gnumeric re-save leaves of a two-run finding: the break at the run edge gone."""
    return text.replace(".\n", ".")


# --- The rule ----------------------------------------------------------------------------------


def test_a_new_digest_names_its_rule_and_ignores_whitespace():
    digest = locked_digest(TEXTS)
    assert digest.split()[0] == "v2"
    assert [p.split(":")[0] for p in digest.split()[1:]] == list(LOCKED_FIELDS)
    # a reader of the first rule ("key=hash") finds no field in it to misjudge
    assert "=" not in digest
    for returned in (
        {**TEXTS, "finding": gnumeric(FINDING)},
        {**TEXTS, "finding": FINDING.replace("\n", "\n\n  "), "actions": "1. Audit. 2. Train."},
    ):
        assert changed_locked_fields(digest, returned) == ()
    edited = {**TEXTS, "finding": FINDING.replace("abuse", "misuse"), "timescale": "Dec-30"}
    assert changed_locked_fields(digest, edited) == ("finding", "timescale")


def test_a_digest_made_by_the_first_rule_is_checked_by_that_rule():
    digest = first_rule_digest(TEXTS)
    assert changed_locked_fields(digest, TEXTS) == ()
    # re-spaced text was always read loosely ...
    respaced = {
        **TEXTS,
        "finding": FINDING.replace("\n", "  \n "),
        "actions": "1. Audit. 2. Train.",
    }
    assert changed_locked_fields(digest, respaced) == ()
    # ... but a space taken out is a change under that rule, as it was
    assert changed_locked_fields(digest, {**TEXTS, "finding": gnumeric(FINDING)}) == ("finding",)
    edited = {**TEXTS, "actions": "1. Audit.\n2. Train everyone."}
    assert changed_locked_fields(digest, edited) == ("actions",)


# --- Real copies -------------------------------------------------------------------------------


@pytest.fixture
def cycle(tmp_path: Path, seed: Plan) -> Cycle:
    return start_cycle(tmp_path, seed)


def ignored(run: MergeRun) -> list[tuple[str, str]]:
    return [
        (ln.ref, ln.field)
        for r in run.changes.results
        for ln in r.lines
        if ln.outcome == Outcome.IGNORED
    ]


def digests_made_the_first_way(c: Cycle, seed: Plan) -> None:
    """Rewrite the master's IssuedItems digests as a master issued before this change has them."""
    wb = load_workbook(c.master, rich_text=True)
    ws = wb[SHEET_ISSUED_ITEMS]
    head = [cell.value for cell in ws[1]]
    ref_col, digest_col = head.index("Ref") + 1, head.index("Locked digest") + 1
    for row in range(2, ws.max_row + 1):
        assert str(ws.cell(row, digest_col).value).startswith("v2 ")
        texts = item_texts(seed.item(ws.cell(row, ref_col).value))
        ws.cell(row, digest_col).value = first_rule_digest(texts)
    wb.save(c.master)


@needs_ssconvert
def test_a_copy_resaved_by_gnumeric_is_not_taken_for_edited(cycle: Cycle):
    returned = lr.gnumeric_filled(cycle)
    run = merge_returns(cycle.master, [returned], when=MERGED)
    (result,) = run.changes.results
    assert result.outcome == "merged" and result.count(Outcome.ADDED) > 0
    assert ignored(run) == []


@needs_ssconvert
def test_a_master_issued_before_keeps_its_digests_and_their_rule(cycle: Cycle, seed: Plan):
    digests_made_the_first_way(cycle, seed)
    # a copy as issued, filled in as Excel saves it: nothing reported
    plain = cycle.fill("LH", {"WNI-02": Answer("GREEN", "Done.")})
    # a copy whose finding the lead edited: reported, as before
    edited = cycle.fill("AxB", {})
    wb = load_workbook(edited, rich_text=True)
    ws = wb["Action Plan"]
    ws.protection.sheet = False
    ref = cycle.copies["AxB"].refs[0]
    row = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == ref)
    ws.cell(row, 2).value = "A finding the lead rewrote"
    wb.save(edited)
    # the first rule's blind spot stays as it was on such a master: Gnumeric's lost line break
    gnumeric = lr.gnumeric_filled(cycle)
    run = merge_returns(cycle.master, [plain, edited, gnumeric], when=MERGED)
    by_file = {r.name: r for r in run.changes.results}
    assert {ln.outcome for ln in by_file[plain.name].lines} <= {"applied", "added", "conflict"}
    assert by_file[plain.name].count(Outcome.ADDED) == 1
    finding = dict(seed.column_titles)["finding"]  # the column as the copy titles it
    assert [(ln.ref, ln.field) for ln in by_file[edited.name].lines] == [(ref, finding)]
    assert any(ln.field == finding for ln in by_file[gnumeric.name].lines)
