"""Nothing a lead types is lost or misplaced (issue 13): each return built as leads make them
(tests/lead_returns.py: typed in LibreOffice Calc, written as Excel writes it, re-saved by
Gnumeric) merged into a master, and what became of every word looked for in the master and on
the receipt.

The cross-check at the end holds the promise for every kind of return at once: each text that
differs from the issued copy is either taken into the master or quoted on the receipt, and the
merge exits 0 only when nothing was left out.
"""

from __future__ import annotations

import shutil
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from sync.identity import SHEET_IDENTITY
from sync.merge.apply import merge_returns
from sync.merge.outcomes import Outcome
from sync.returns import FORMULA_NOTE, NO_YEAR_NOTE, ReturnError, read_return
from tests import lead_returns as lr
from tests.cycle import MERGED, Cycle, cell, sheets, start_cycle
from tests.office import needs_calc_uno
from workbook.lead_copy.columns import PROPOSED_TIMESCALE_TITLE
from workbook.master.sheets import SHEET_PLAN
from workbook.plan.model import Plan
from workbook.xlsx.cells import cell_text
from workbook.xlsx.numbers import shown
from workbook.xlsx.package import inspect_sheets

needs_ssconvert = pytest.mark.skipif(
    lr.SSCONVERT is None, reason="Gnumeric's ssconvert is needed (apt-get install gnumeric)"
)


@pytest.fixture(scope="module")
def cycle(tmp_path_factory: pytest.TempPathFactory, seed: Plan) -> Cycle:
    return start_cycle(tmp_path_factory.mktemp("lead-words"), seed)


@dataclass(frozen=True)
class Merged:
    """One return merged into a fresh copy of the cycle's master."""

    master: Path
    exit_code: int
    receipt: str
    lines: list[Any]  # the return's receipt lines

    def named(self, words: str) -> bool:
        """Whether the receipt quotes `words` (compared without spacing or case)."""
        return squash(words) in squash(self.receipt)


def squash(text: str) -> str:
    return "".join(text.split()).casefold()


def merged(cycle: Cycle, ret: Path, folder: Path) -> Merged:
    """`ret` merged into a copy of the cycle's master in `folder` (the cycle stays as issued)."""
    folder.mkdir(parents=True, exist_ok=True)
    master = folder / "master.xlsx"
    shutil.copyfile(cycle.master, master)
    run = merge_returns(master, [ret], when=MERGED, receipts_dir=folder / "receipts")
    (result,) = run.changes.results
    receipt = run.receipt_of[(result.name, result.sha256)].read_text()
    return Merged(master, run.changes.exit_code, receipt, list(result.lines))


def updates_of(master: Path) -> str:
    return "\n".join(cell_text(v) for row in sheets(master)["Updates"] for v in row)


def proposals_of(master: Path) -> list[list[Any]]:
    return sheets(master).get("Proposals", [[]])[1:]


# --- 1. formulas --------------------------------------------------------------------------------


def test_excel_error_formulas_are_quoted_not_lost(cycle: Cycle, tmp_path: Path) -> None:
    """`=see attached` (#NAME?), `=1/0` (#DIV/0!) and a formula that makes text: a values reader
    sees the first two as blank and the third as its result; the receipt quotes each formula and
    none of them (nor the result) becomes an update."""
    ret = lr.excel_formulas(cycle, out=tmp_path / "excel formulas.xlsx")
    done = merged(cycle, ret, tmp_path / "m")
    assert done.exit_code == 1
    for ref, formula in lr.excel_formula_cells(cycle).items():
        [line] = [ln for ln in done.lines if ln.ref == ref and ln.field == "New update"]
        assert line.outcome == Outcome.REJECTED and line.note == FORMULA_NOTE
        assert done.named("=" + formula.formula)
        assert squash(formula.value) not in squash(updates_of(done.master))


@needs_calc_uno
def test_calc_formulas_in_a_copy_with_general_cells_are_quoted(
    cycle: Cycle, tmp_path: Path
) -> None:
    """A copy issued before answer cells were Text: Calc makes formulas of "=> ...", "== ..=="
    and a pasted "=SUM(1,2)" in Status; each is quoted on the receipt, none is taken in."""
    ret = lr.calc_formulas(cycle, out=tmp_path / "calc formulas.xlsx")
    done = merged(cycle, ret, tmp_path / "m")
    assert done.exit_code == 1
    typed = lr.formula_cells(cycle)
    titles = {
        "status": "Status",
        "new_update": "New update",
        "proposed_timescale": PROPOSED_TIMESCALE_TITLE,
    }
    for (ref, key), _text in typed.items():
        [line] = [ln for ln in done.lines if ln.ref == ref and ln.field == titles[key]]
        assert line.outcome == Outcome.REJECTED and line.note == FORMULA_NOTE
        assert line.new.startswith("=")
    assert done.named("=SUM(1,2)")
    assert done.named("=> meeting booked for may")  # as Calc saved it
    status_ref = next(ref for ref, key in typed if key == "status")
    assert cell(sheets(done.master)[SHEET_PLAN], status_ref, "Status") != 3


# --- 2. what Excel and Calc make of typing ------------------------------------------------------


@needs_calc_uno
def test_text_cells_keep_what_calc_would_have_made_formulas_of(
    cycle: Cycle, tmp_path: Path
) -> None:
    """In the copy as issued now, the same typing stays words: the update is taken in exactly
    as typed; "== no change ==" is quoted back as not naming a month and year."""
    ret = lr.calc_formulas(cycle, out=tmp_path / "calc text.xlsx", general=False)
    done = merged(cycle, ret, tmp_path / "m")
    typed = lr.formula_cells(cycle)
    update_ref = next(ref for ref, key in typed if key == "new_update")
    assert "=> meeting booked for May" in updates_of(done.master)
    assert any(ln.ref == update_ref and ln.outcome == Outcome.ADDED for ln in done.lines), (
        done.receipt
    )
    assert done.named("== no change ==")
    assert not any(ln.note == FORMULA_NOTE for ln in done.lines)


@needs_calc_uno
def test_text_cells_keep_typed_dates_and_percentages(cycle: Cycle, tmp_path: Path) -> None:
    ret = lr.calc_numbers(cycle, out=tmp_path / "calc numbers text.xlsx", general=False)
    done = merged(cycle, ret, tmp_path / "m")
    proposed = {row[1]: row[4] for row in proposals_of(done.master)}
    typed = lr.number_cells(cycle)
    for (ref, key), text in typed.items():
        if key == "proposed_timescale":
            assert proposed[ref] == text
        else:
            assert f": {text}" in updates_of(done.master)


@needs_calc_uno
def test_dates_calc_made_are_read_through_their_format(cycle: Cycle, tmp_path: Path) -> None:
    """In General cells Calc makes dates of "Jun-24" and "1/7/2024" (shown DD/MM/YY) and 0.5 of
    "50%" (shown 0.00%): each is read as the cell showed it, never as a bare serial number."""
    ret = lr.calc_numbers(cycle, out=tmp_path / "calc numbers.xlsx")
    done = merged(cycle, ret, tmp_path / "m")
    proposed = {row[1]: row[4] for row in proposals_of(done.master)}
    shown = {"Jun-24": "01/06/24", "1/7/2024": "01/07/24", "50%": "50.00%"}
    for (ref, key), text in lr.number_cells(cycle).items():
        if key == "proposed_timescale":
            assert proposed[ref] == shown[text]
        else:
            assert f": {shown[text]}" in updates_of(done.master)


def test_excel_dates_are_read_through_their_format_and_a_yearless_one_is_refused(
    cycle: Cycle, tmp_path: Path
) -> None:
    ret = lr.excel_numbers(cycle, out=tmp_path / "excel numbers.xlsx")
    done = merged(cycle, ret, tmp_path / "m")
    assert done.exit_code == 1
    proposed = {row[1]: row[4] for row in proposals_of(done.master)}
    for ref, number in lr.excel_number_cells(cycle).items():
        if number.code == r"d\-mmm":  # no year: refused, quoted as shown
            [line] = [ln for ln in done.lines if ln.ref == ref and ln.new == number.shown]
            assert line.outcome == Outcome.REJECTED and line.note == NO_YEAR_NOTE
            assert ref not in proposed
        elif number.key == "proposed_timescale":
            assert proposed[ref] == number.shown
        else:
            assert f": {number.shown}" in updates_of(done.master)


# --- 3. words typed where the merge does not read -----------------------------------------------


@pytest.mark.parametrize(
    ("builder", "words", "place"),
    [
        ("calc_duplicated_sheet", lr.DUPLICATE_WORDS, f"the sheet '{lr.DUPLICATE_SHEET}'"),
        ("calc_inserted_column", lr.INSERTED_WORDS, "a column with no title"),
        ("calc_notes_column", lr.NOTES_WORDS, f"a column titled '{lr.NOTES_TITLE}'"),
        ("calc_comment", lr.COMMENT_WORDS, "a comment"),
        ("calc_cleared_ref", lr.CLEARED_REF_WORDS, "a row with no ref"),
    ],
)
@needs_calc_uno
def test_words_typed_where_the_merge_does_not_read_are_named(
    cycle: Cycle, tmp_path: Path, builder: str, words: str, place: str
) -> None:
    ret = getattr(lr, builder)(cycle, out=tmp_path / f"{builder}.xlsx")
    done = merged(cycle, ret, tmp_path / "m")
    assert done.exit_code == 1
    [line] = [ln for ln in done.lines if squash(words) in squash(ln.new)]
    assert line.outcome == Outcome.IGNORED
    assert f"typed in {place}" in line.note and "cell " in line.note
    assert words not in updates_of(done.master)


@needs_calc_uno
def test_answers_beside_an_inserted_column_are_still_read(cycle: Cycle, tmp_path: Path) -> None:
    ret = lr.calc_inserted_column(cycle, out=tmp_path / "inserted.xlsx")
    done = merged(cycle, ret, tmp_path / "m")
    words = dict(lr.BESIDE_INSERTED)
    assert f": {words['new_update']}" in updates_of(done.master)
    # read from its own column, which moved right: "Autumn" names no month, so it is quoted
    second = lr.read_copy(cycle, lr.busiest_lead(cycle)).refs[1]
    [line] = [ln for ln in done.lines if ln.ref == second and ln.field == PROPOSED_TIMESCALE_TITLE]
    assert line.new == words["proposed_timescale"]


# --- 4. answers sorted off their items ----------------------------------------------------------


@needs_calc_uno
def test_sorted_answers_are_refused_not_put_on_other_items(cycle: Cycle, tmp_path: Path) -> None:
    ret = lr.calc_sorted(cycle, out=tmp_path / "sorted.xlsx")
    answers = lr.sorted_answers(cycle)
    copy = read_return(ret)
    moved = set(copy.moved_refs)
    assert moved and moved <= set(answers)
    done = merged(cycle, ret, tmp_path / "m")
    assert done.exit_code == 1
    [line] = [ln for ln in done.lines if "moved there from other rows" in ln.note]
    assert line.outcome == Outcome.REJECTED
    grid = sheets(done.master)[SHEET_PLAN]
    before = sheets(cycle.master)[SHEET_PLAN]
    for ref, answer in answers.items():
        assert answer.update not in updates_of(done.master)
        if ref in moved:
            assert cell(grid, ref, "Status") == cell(before, ref, "Status")


# --- 10. titles ---------------------------------------------------------------------------------


@needs_calc_uno
def test_a_renamed_title_is_named(cycle: Cycle) -> None:
    ret = lr.calc_renamed_title(cycle)
    with pytest.raises(ReturnError) as e:
        read_return(ret)
    message = str(e.value)
    assert "no column titled 'New update'" in message and repr(lr.RENAMED_TITLE) in message
    assert "\n" not in message


@needs_calc_uno
def test_a_cleared_title_is_named(cycle: Cycle) -> None:
    ret = lr.calc_untitled_status(cycle)
    with pytest.raises(ReturnError, match="no column titled 'Status'"):
        read_return(ret)


# --- every word, every kind of return -----------------------------------------------------------


def typed_texts(issued: Path, ret: Path) -> Iterator[tuple[str, int, str]]:
    """(sheet, 1-based row, text) of every text in `ret` that the issued copy's plan sheet does
    not hold anywhere (so a column inserted or a sheet copied moves no issued text into it):
    values as their cells show them, formulas as "=...", and comments."""
    issued_texts = {squash(cell_text(v)) for row in sheets(issued)[SHEET_PLAN] for v in row}
    with zipfile.ZipFile(ret) as z:
        facts = inspect_sheets(z)
    for title, grid in sheets(ret).items():
        if title == SHEET_IDENTITY:
            continue
        formulas = facts.sheet(title).formulas
        formats = facts.sheet(title).number_formats
        for r, row in enumerate(grid):
            for c, value in enumerate(row):
                code = formats.get((r + 1, c + 1))
                text = shown(value, code) if code else cell_text(value)
                if (r + 1, c + 1) in formulas:
                    text = "=" + formulas[(r + 1, c + 1)]
                if squash(text) and squash(text) not in issued_texts:
                    yield title, r + 1, text
        for (r, _c), text in facts.sheet(title).comments.items():
            yield title, r, text


BUILDERS: list[tuple[str, Callable[..., Path]]] = [
    ("excel_formulas", lr.excel_formulas),
    ("excel_numbers", lr.excel_numbers),
]
CALC_BUILDERS: list[tuple[str, Callable[..., Path]]] = [
    ("calc_formulas", lr.calc_formulas),
    ("calc_numbers", lr.calc_numbers),
    ("calc_duplicated_sheet", lr.calc_duplicated_sheet),
    ("calc_inserted_column", lr.calc_inserted_column),
    ("calc_notes_column", lr.calc_notes_column),
    ("calc_comment", lr.calc_comment),
    ("calc_cleared_ref", lr.calc_cleared_ref),
    ("calc_sorted", lr.calc_sorted),
]


def _every_word(cycle: Cycle, tmp_path: Path, build: Callable[..., Path], name: str) -> None:
    ret = build(cycle, out=tmp_path / f"{name}.xlsx")
    done = merged(cycle, ret, tmp_path / "m")
    issued = next(c.path for c in cycle.copies.values() if _same_identity(c.path, ret))
    kept = squash(updates_of(done.master)) + squash(
        "\n".join(cell_text(v) for row in proposals_of(done.master) for v in row)
    )
    copy = read_return(ret)
    plan = sheets(ret)[SHEET_PLAN]
    moved_rows = {
        r + 1 for r, row in enumerate(plan) if row and cell_text(row[0]) in copy.moved_refs
    }
    refused = [ln for ln in done.lines if "moved there from other rows" in ln.note]
    left_out = [
        (sheet, row, text)
        for sheet, row, text in typed_texts(issued, ret)
        if squash(text)[:60] not in kept
        and not done.named(text[:60])
        and not _is_status_taken(done, text)
        # answers sorted off their items are refused in one line naming their items
        and not (sheet == SHEET_PLAN and row in moved_rows and refused)
    ]
    assert not left_out, f"{name}: typed but neither taken in nor named: {left_out}"
    if any(ln.outcome.needs_attention for ln in done.lines):
        assert done.exit_code == 1


def _is_status_taken(done: Merged, text: str) -> bool:
    return any(
        ln.field == "Status"
        and squash(ln.new) == squash(text)
        and ln.outcome in (Outcome.APPLIED, Outcome.ALREADY, Outcome.CONFLICT)
        for ln in done.lines
    )


def _same_identity(issued: Path, ret: Path) -> bool:
    a, b = (
        sheets(issued)[SHEET_IDENTITY],
        {t.strip(): g for t, g in sheets(ret).items()}.get(SHEET_IDENTITY),
    )
    return b is not None and a == b


@pytest.mark.parametrize(("name", "build"), BUILDERS, ids=[n for n, _ in BUILDERS])
def test_every_word_is_taken_in_or_named(
    cycle: Cycle, tmp_path: Path, name: str, build: Callable[..., Path]
) -> None:
    _every_word(cycle, tmp_path, build, name)


@needs_calc_uno
@pytest.mark.parametrize(("name", "build"), CALC_BUILDERS, ids=[n for n, _ in CALC_BUILDERS])
def test_every_word_calc_saved_is_taken_in_or_named(
    cycle: Cycle, tmp_path: Path, name: str, build: Callable[..., Path]
) -> None:
    _every_word(cycle, tmp_path, build, name)


@needs_ssconvert
def test_a_copy_resaved_by_gnumeric_merges_without_false_alarms(
    cycle: Cycle, tmp_path: Path
) -> None:
    """Gnumeric drops the space at the edge of a finding's rich-text run and shows the identity
    sheet: neither is reported as something the lead typed or edited."""
    ret = lr.gnumeric_filled(cycle, out=tmp_path / "gnumeric.xlsx")
    done = merged(cycle, ret, tmp_path / "m")
    assert not [ln for ln in done.lines if ln.outcome == Outcome.IGNORED], done.receipt
    assert done.exit_code == 0, done.receipt
    assert squash(lr.GNUMERIC_ANSWER.update) in squash(updates_of(done.master))
