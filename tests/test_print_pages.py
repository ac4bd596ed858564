"""Pages that print well: page breaks keep a section's band with its first item and even the
pages out, and the board pack printed by LibreOffice has no page more than half blank."""

from __future__ import annotations

import subprocess
from pathlib import Path

from click.testing import CliRunner
from office import needs_office, pdf_pages, to_pdf

from actionplan.cli import cli
from workbook.formatting.layout import page_breaks
from workbook.master.write import write_master
from workbook.plan.model import Plan


def test_a_band_never_ends_a_page() -> None:
    heights = [20.0, 100.0, 100.0, 20.0, 100.0, 20.0, 100.0, 100.0]
    bands = [True, False, False, True, False, True, False, False]
    for page in (130.0, 230.0, 250.0, 330.0):
        ends = page_breaks(heights, bands, first=page - 40, page=page)
        assert ends and all(not bands[e] for e in ends), (page, ends)


def test_pages_are_evened_out_not_left_nearly_empty() -> None:
    ends = page_breaks([10.0] * 21, [False] * 21, first=100.0, page=100.0)
    # 210 points need three pages of 100: seven rows each, not ten, ten and one
    assert ends == [6, 13]
    assert page_breaks([10.0] * 5, [False] * 5, first=100.0, page=100.0) == []


def _blank_runs(pdf: Path, tmp: Path) -> list[float]:
    """Per page, the tallest band of blank paper as a fraction of the page (rendered at 40 dpi,
    greyscale: a pixel row counts as blank when it has no pixel darker than near-white)."""
    subprocess.run(["pdftoppm", "-r", "40", "-gray", str(pdf), str(tmp / "pg")], check=True)
    out = []
    for image in sorted(tmp.glob("pg*.pgm")):
        magic, w, h, _, pixels = image.read_bytes().split(maxsplit=4)
        assert magic == b"P5"
        width, height = int(w), int(h)
        best = run = 0
        for y in range(height):
            blank = min(pixels[y * width : (y + 1) * width]) > 240
            run = run + 1 if blank else 0
            best = max(best, run)
        out.append(best / height)
    return out


def _page_texts(pdf: Path) -> list[str]:
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    return text.split("\f")[: pdf_pages(pdf)]


@needs_office
def test_board_pack_pages_are_full_and_no_band_is_stranded(seed: Plan, tmp_path: Path) -> None:
    from test_board import STATUSES, with_statuses

    plan = with_statuses(seed, STATUSES)
    master = tmp_path / "master.xlsx"
    write_master(plan, master)
    out = tmp_path / "board.xlsx"
    result = CliRunner().invoke(
        cli, ["board", str(master), "--out", str(out), "--as-of", "2023-08-01", "--no-record"]
    )
    assert result.exit_code == 0, result.output
    pdf = to_pdf(out, tmp_path)
    blank = _blank_runs(pdf, tmp_path)
    assert len(blank) >= 3
    assert max(blank) <= 0.5, [round(b, 2) for b in blank]
    sections = [s for s in plan.sections if s]
    for number, page in enumerate(_page_texts(pdf), 1):
        lines = [ln.strip() for ln in page.splitlines() if ln.strip() and "Page " not in ln]
        assert lines and not any(lines[-1].startswith(s[:40]) for s in sections), number


@needs_office
def test_master_pages_end_with_an_item_not_a_band(seed: Plan, tmp_path: Path) -> None:
    plan = seed
    master = tmp_path / "master.xlsx"
    write_master(plan, master)
    pdf = to_pdf(master, tmp_path)
    sections = [s for s in plan.sections if s]
    pages = _page_texts(pdf)
    for number, page in enumerate(pages, 1):
        lines = [ln.strip() for ln in page.splitlines() if ln.strip() and "Page " not in ln]
        if lines:
            assert not any(lines[-1].startswith(s[:40]) for s in sections), number


#: The master's sheets for people other than the plan, each printed on its own.
LIST_SHEETS = ("Leads", "Updates", "Changes", "RAG key", "Settings", "Conflicts", "Proposals")


@needs_office
def test_master_sheets_print_legibly_on_their_own(tmp_path: Path) -> None:
    """After a merge (Conflicts and Proposals added by the patcher), printing the master prints
    the plan first, and every other sheet one page wide, its header on every page, its name and
    page number at the foot, no text cut off."""
    from cycle import sheets

    result = CliRunner().invoke(cli, ["demo", "--out", str(tmp_path / "demo")])
    assert result.exit_code == 0, result.output
    master = tmp_path / "demo" / "master.xlsx"
    grids = sheets(master)
    pdf = to_pdf(master, tmp_path)
    pages = _page_texts(pdf)
    assert grids["Action Plan"][0][0] in pages[0]  # the plan's title starts the print
    by_sheet: dict[str, list[str]] = {}
    for page in pages:
        foot = [ln for ln in page.splitlines() if "Page " in ln][-1]
        name = next((s for s in LIST_SHEETS if f" {s} " in f" {' '.join(foot.split())} "), "plan")
        by_sheet.setdefault(name, []).append(page)
    assert set(by_sheet) == {"plan", *LIST_SHEETS}, sorted(by_sheet)
    for name in LIST_SHEETS:
        titles = [t for t in grids[name][0] if t and t != "SHA-256"]
        for page in by_sheet[name]:
            head = " ".join(" ".join(page.split("\n", 3)[:3]).split())
            assert titles[0] in head and titles[-1].split()[-1] in head, (name, head[:200])
        words = " ".join(" ".join(by_sheet[name]).split())
        for row in grids[name][1:]:
            for value in row:
                if isinstance(value, str) and value and len(value) < 64:
                    # every word is printed: no column cut off or written over by the next
                    for word in value.split():
                        assert word in words, (name, word, value)


def _calc_rows(book: Path) -> dict:
    """tests/calc_rows.py on `book`: Calc's line spacing and, per visible sheet, each row's
    height as loaded and Calc's optimal height for it."""
    import json

    from office import SYSTEM_PYTHON

    script = Path(__file__).parent / "calc_rows.py"
    done = subprocess.run(
        [SYSTEM_PYTHON, "-I", str(script), str(book)],
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return json.loads(done.stdout)


@needs_office
def test_rows_are_sized_to_their_text_in_libreoffice(seed: Plan, tmp_path: Path) -> None:
    """Each of the plan's texts alone in a row of its column: the estimate of LibreOffice's
    lines is never fewer than Calc draws, nor more than one over; Excel's estimate, which sizes
    the row, never fewer. Then the master as LibreOffice shows it: no row cut short, and none
    taller than the lines its text takes plus two lines of Excel's (taller) line height."""
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    from workbook.formatting import layout, sizes
    from workbook.master.sheets import COLUMN_BY_KEY
    from workbook.master.write import item_texts

    keys = ("finding", "actions", "lead", "timescale", "updates")
    samples = [
        (key, text)
        for item in seed.items
        for key, text in item_texts(item).items()
        if key in keys and text
    ]
    wb = Workbook()
    layout.use_body_font_as_default(wb)
    ws = wb.active
    for i, key in enumerate(keys, 1):
        ws.column_dimensions[get_column_letter(i)].width = COLUMN_BY_KEY[key].width
    for row, (key, text) in enumerate(samples, 1):
        cell = ws.cell(row, keys.index(key) + 1, text)
        cell.alignment = layout.WRAP_TOP
    book = tmp_path / "samples.xlsx"
    wb.save(book)
    measured = _calc_rows(book)
    line = measured["line"]
    rows = next(iter(measured["sheets"].values()))
    first = rows[0][2] - line * (round(rows[0][2] / line) - 1)  # one line and the margins
    for (key, text), (_, _, needed, _) in zip(samples, rows, strict=True):
        drawn = round((needed - first) / line) + 1
        excel, office = sizes.line_counts(text, COLUMN_BY_KEY[key].width)
        assert drawn <= office <= drawn + 1, (key, drawn, office, text[:60])
        assert excel >= drawn, (key, drawn, excel, text[:60])

    master = tmp_path / "master.xlsx"
    write_master(seed, master)
    measured = _calc_rows(master)
    shown = 0
    for row, height, needed, merged in measured["sheets"]["Action Plan"]:
        if merged or height == 0:
            continue
        drawn = round((needed - first) / line) + 1
        assert height >= needed - 0.5, (row, height, needed)  # nothing cut off
        assert height <= sizes.height_for_lines(drawn + 2) + 0.5, (row, height, needed)
        shown += 1
    assert shown >= len(seed.items)
