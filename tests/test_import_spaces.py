"""Every space survives the Word import: a .docx imports to the same words as its text export, and
the master written from either shows those words (issue 15, point 8).

Word often keeps a space in a run of its own ("in" + " " + "progressing"); a text export writes
the same words as "<i>in</i> <i>progressing</i>". A space-only run written to a workbook cell is
lost by every reader, so the import must leave none.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from cycle import sheets
from docx import Document
from docx.table import _Cell
from docx_builder import LIST_STYLE_ID, plan_table, restart_list, write_plan_docx

from workbook.importers.source import import_plan
from workbook.importers.text import import_text
from workbook.master.sheets import DOCUMENT_COLUMN_TITLES
from workbook.master.write import write_master
from workbook.plan.model import Plan, Run

TITLE = "IMPROVEMENT PLAN"
HEAD = "Quality and impact of supervision. "
NARRATIVE = (
    "Supervision is held regularly, although it is not consistently effective in progressing "
    "children's plans and addressing drift."
)
SECOND = "For unborn children, planning does not routinely start at the earliest opportunity."
ACTIONS = ("Review the supervision policy", "Dip-sample children's records")


def _runs_with_spaces_alone(text: str, italic: bool, space_italic: bool) -> list[Run]:
    """`text` as Word may store it: each word a run, each space between words a run of its own."""
    runs: list[Run] = []
    for i, word in enumerate(text.split(" ")):
        if i:
            runs.append(Run(" ", space_italic))
        runs.append(Run(word, italic))
    return runs


def _write_runs(cell: _Cell, paragraphs: list[list[Run]]) -> None:
    for i, runs in enumerate(paragraphs):
        paragraph = cell.paragraphs[0] if i == 0 else cell.add_paragraph()
        for run in runs:
            paragraph.add_run(run.text).italic = True if run.italic else None


def _docx(path: Path, space_italic: bool) -> Path:
    document = Document()
    document.add_paragraph(TITLE)
    table = plan_table(document)
    finding, actions, lead, timescale, update, status = table.add_row().cells
    _write_runs(
        finding,
        [
            [Run(HEAD), *_runs_with_spaces_alone(NARRATIVE, True, space_italic)],
            _runs_with_spaces_alone(SECOND, True, space_italic),
        ],
    )
    numbers = restart_list(document)
    for i, action in enumerate(ACTIONS):
        paragraph = actions.paragraphs[0] if i == 0 else actions.add_paragraph()
        p_pr = paragraph._p.get_or_add_pPr()
        p_pr.style = LIST_STYLE_ID
        num_pr = p_pr.get_or_add_numPr()
        num_pr.get_or_add_ilvl().val = 0
        num_pr.get_or_add_numId().val = numbers
        paragraph.add_run(action)
    _write_runs(lead, [[Run("Jo Bloggs")], [Run("Sam Smith")]])
    _write_runs(timescale, [[Run("Dec-23")]])
    _write_runs(update, [[Run("Update May 23: policy drafted.")], [Run("Out for comment.")]])
    _write_runs(status, [[Run("AMBER")]])
    document.save(str(path))
    return path


def _text_export() -> str:
    """The same plan as a text export: HTML fragments in tab-separated cells."""
    finding = f"<p>{HEAD}<i>{NARRATIVE}</i></p> <p><i>{SECOND}</i></p>"
    actions = " ".join(f"{n}. {a}" for n, a in enumerate(ACTIONS, 1))
    cells = [
        finding,
        f'<ol style="list-style-type: none"> {actions} </ol>',
        "<p>Jo Bloggs</p> <p>Sam Smith</p>",
        "<p>Dec-23</p>",
        "<p>Update May 23: policy drafted.</p> <p>Out for comment.</p>",
        "<p>AMBER</p>",
    ]
    return f"{TITLE}\n\n" + "\t".join(DOCUMENT_COLUMN_TITLES) + "\n" + "\t".join(cells) + "\n"


def _same(plan: Plan) -> Plan:
    return dataclasses.replace(plan, source="", plan_id="", notes=())


def _cell_texts(master: Path) -> set[str]:
    """Every text cell of the master, as python-calamine (a reader of its own) shows it."""
    return {
        c for rows in sheets(master).values() for row in rows for c in row if isinstance(c, str)
    }


@pytest.mark.parametrize("space_italic", [True, False], ids=["italic-space", "plain-space"])
def test_space_in_a_run_of_its_own_and_cell_paragraphs_import_as_the_text_export(
    tmp_path: Path, space_italic: bool
) -> None:
    from_word = import_plan(_docx(tmp_path / "plan.docx", space_italic))
    from_text = import_text(_text_export(), "plan.txt")
    (item,) = from_word.items
    assert item.finding_text == f"{HEAD}{NARRATIVE}\n{SECOND}"
    # Same words, same italics, the same runs: no run is a lone space.
    assert item.finding == (Run(HEAD), Run(f"{NARRATIVE}\n{SECOND}", True))
    assert item.finding == from_text.items[0].finding
    assert (item.actions, item.lead, item.updates) == (
        from_text.items[0].actions,
        from_text.items[0].lead,
        from_text.items[0].updates,
    )
    assert item.lead == "Jo Bloggs Sam Smith"
    assert item.updates[0].display == "Update May 23: policy drafted.\nOut for comment."

    # The master keeps every space, read back by another reader.
    master = tmp_path / "master.xlsx"
    write_master(dataclasses.replace(from_word, plan_id="plan-test0001"), master)
    assert item.finding_text in _cell_texts(master)


def test_seed_written_as_word_with_every_space_alone_keeps_its_words(
    tmp_path: Path, seed: Plan
) -> None:
    """The embedded seed as a .docx whose every space between words is a run of its own, half of
    them in the other look: the same findings, word for word, as the text export - and the
    master written from it shows each of them."""
    split = tmp_path / "seed.docx"
    plain = tmp_path / "seed_plain.docx"
    write_plan_docx(seed, plain)
    spaced = dataclasses.replace(
        seed,
        items=tuple(
            dataclasses.replace(
                it,
                finding=tuple(
                    piece
                    for n, run in enumerate(it.finding)
                    for piece in _runs_with_spaces_alone(run.text, run.italic, n % 2 == 0)
                ),
            )
            for it in seed.items
        ),
    )
    write_plan_docx(spaced, split)
    from_word = import_plan(split)
    assert [it.finding for it in from_word.items] == [it.finding for it in seed.items]
    assert _same(from_word) == _same(import_plan(plain))

    master = tmp_path / "master.xlsx"
    write_master(from_word, master)
    texts = _cell_texts(master)
    missing = [it.ref for it in seed.items if it.finding_text not in texts]
    assert not missing
