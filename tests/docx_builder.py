"""Word documents laid out like the trust's own plan document, for the .docx import tests.

The trust's document has its title block, a coloured RAG key table, then one table: a repeated
header row, a row merged across all six columns for each section, and a row per item with the
actions as a real Word numbered list that starts again at 1 in each item.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from docx import Document
from docx.document import Document as WordDocument
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.table import Table, _Cell, _Row
from docx.text.paragraph import Paragraph

from workbook.master.sheets import DOCUMENT_COLUMN_TITLES
from workbook.plan.model import Item, Plan, Run
from workbook.plan.status import RAG_KEY

LIST_STYLE = "List Number"
LIST_STYLE_ID = "ListNumber"  # its id in python-docx's default template


def write_plan_docx(plan: Plan, path: Path) -> None:
    """Write `plan` as a .docx shaped like the trust's Word document."""
    document = Document()
    document.add_paragraph(plan.title, style="Title")
    for line in (plan.date_label, plan.organisation):
        if line:
            document.add_paragraph(line)
    document.add_paragraph("RAG status Key:")
    key = document.add_table(rows=0, cols=2)
    key.style = "Table Grid"
    for rag in RAG_KEY:
        code, meaning = key.add_row().cells
        code.text, meaning.text = rag.code, rag.meaning
        shade(code, rag.fill)
    # Word joins two tables with nothing between them into one; the real document has a gap.
    document.add_paragraph()
    table = plan_table(document)
    for section in plan.sections:
        if section:
            add_section_row(table, section)
        for item in plan.items_in(section):
            add_item_row(document, table, item)
    document.save(str(path))


def plan_table(document: WordDocument) -> Table:
    """The plan table with its header row (repeated on every page, as in the real document)."""
    table = document.add_table(rows=1, cols=len(DOCUMENT_COLUMN_TITLES))
    table.style = "Table Grid"
    header = table.rows[0]
    for cell, title in zip(header.cells, DOCUMENT_COLUMN_TITLES, strict=True):
        cell.paragraphs[0].add_run(title).bold = True
    header._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))
    return table


def add_section_row(table: Table, section: str) -> None:
    row = table.add_row()
    merged = row.cells[0].merge(row.cells[-1])
    merged.paragraphs[0].add_run(section).bold = True


def add_item_row(document: WordDocument, table: Table, item: Item) -> _Row:
    row = table.add_row()
    finding, actions, lead, timescale, update, status = row.cells
    write_paragraphs(finding, finding_paragraphs(item.finding))
    if item.actions:
        write_paragraphs(actions, [[Run(a)] for a in item.actions], restart_list(document))
    write_paragraphs(lead, [[Run(item.lead)]])
    write_paragraphs(timescale, [[Run(item.timescale)]])
    write_paragraphs(
        update, [[Run(line)] for entry in item.updates for line in entry.display.split("\n")]
    )
    write_paragraphs(status, [[Run(item.status)]])
    return row


def finding_paragraphs(runs: Sequence[Run]) -> list[list[Run]]:
    """The finding's runs cut into paragraphs where the model keeps a "\\n"."""
    paragraphs: list[list[Run]] = [[]]
    for run in runs:
        for i, part in enumerate(run.text.split("\n")):
            if i:
                paragraphs.append([])
            if part:
                paragraphs[-1].append(Run(part, run.italic))
    return paragraphs


def write_paragraphs(
    cell: _Cell, paragraphs: Sequence[Sequence[Run]], list_id: int | None = None
) -> None:
    """Fill an empty cell; with `list_id`, each paragraph is an item of that numbered list."""
    for i, runs in enumerate(paragraphs):
        paragraph = cell.paragraphs[0] if i == 0 else cell.add_paragraph()
        if list_id is not None:
            number_paragraph(paragraph, list_id)
        for run in runs:
            if run.text:
                paragraph.add_run(run.text).italic = True if run.italic else None


def restart_list(document: WordDocument) -> int:
    """A new instance of the "List Number" list that starts again at 1 - what Word's "Restart at
    1" makes; its numId, for number_paragraph()."""
    numbering = document.part.numbering_part.element
    style_num_id = document.styles[LIST_STYLE].element.pPr.numPr.numId.val
    abstract_id = numbering.num_having_numId(style_num_id).abstractNumId.val
    num = numbering.add_num(abstract_id)
    num.add_lvlOverride(ilvl=0).add_startOverride(1)
    return num.numId


def number_paragraph(paragraph: Paragraph, list_id: int) -> None:
    # By id: python-docx looks a style given by name up through every style, per paragraph.
    p_pr = paragraph._p.get_or_add_pPr()
    p_pr.style = LIST_STYLE_ID
    num_pr = p_pr.get_or_add_numPr()
    num_pr.get_or_add_ilvl().val = 0
    num_pr.get_or_add_numId().val = list_id


def shade(cell: _Cell, fill: str) -> None:
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), fill)
    cell._tc.get_or_add_tcPr().append(shd)
