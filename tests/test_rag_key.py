"""The plan's own RAG key (issue 14, item 3): read from a document's key paragraphs or table rows,
kept on the master's `RAG key` sheet where the owner edits it, and used wherever a status is read,
coloured, offered, validated, merged and counted. 'Complete' is BLUE in one plan and Green in
another: the meaning of a word comes from the plan's key."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from sync.copies import issue_copies
from sync.ledger import LEDGER_SHEETS, Ledger, ledger_from_sheets
from sync.merge.apply import merge_returns
from sync.simulate import Answer, simulated_answers, status_roles
from sync.status import lead_statuses
from tests.cycle import ISSUED, MERGED, Cycle, cell, sheets, start_cycle
from validation.run import validate_master
from workbook.board.packs import make_board_pack
from workbook.board.summary import NO_STATUS, NOT_RECOGNISED, board_summary
from workbook.formatting.rag import DROPDOWN_ERROR_TITLE, rag_master
from workbook.master.rag_key import RAG_KEY_COLUMNS, read_rag_key
from workbook.master.read import read_master, read_master_sheets, read_sheets
from workbook.master.sheets import SHEET_PLAN, SHEET_RAG_KEY
from workbook.master.write import write_master
from workbook.plan.model import Plan
from workbook.plan.status import (
    COMPLETE,
    DEFAULT_KEY,
    RAG_CODES,
    RAG_KEY,
    RagKey,
    RagStatus,
    normalise_status,
    parse_key,
    status_shown,
    status_spellings,
)

#: An NHS trust's CQC plan: two statuses mean done, and Green is plain "Complete".
CQC_LINES = [
    "RAG rating key",
    "Red | Off Track",
    "Amber | On Track",
    "Green | Complete",
    "Blue | Complete & peer checked",
]
#: A council's plan: three colours, one paragraph; Green is "achieved".
COUNCIL_LINES = [
    "Key: Green: recommendation achieved; Amber: acceptable progress; Red: unacceptable progress."
]
#: The default key as the 2023 plan document prints it.
DOCUMENT_LINES = [
    "RAG status Key:",
    "GREEN On Target for delivery",
    "AMBER Delays / Issues but delivery on course",
    "RED Major Issues preventing delivery",
    "BLUE Complete",
]

AS_OF = dt.date(2023, 6, 30)


def key_of(lines: list[str]) -> RagKey:
    key = parse_key(lines)
    assert key is not None, lines
    return key


# --- Reading a key as a document writes it -----------------------------------------------------


def test_parse_key_reads_the_cqc_table_rows() -> None:
    key = key_of(CQC_LINES)
    assert [(e.code, e.meaning) for e in key] == [
        ("RED", "Off Track"),
        ("AMBER", "On Track"),
        ("GREEN", "Complete"),
        ("BLUE", "Complete & peer checked"),
    ]
    assert [e.fill for e in key] == ["FF0000", "FFC000", "00B050", "0070C0"]
    assert key.by_code["RED"].font == "FFFFFF" and key.by_code["AMBER"].font == "000000"
    assert key.complete == ("GREEN", "BLUE")
    # the family words go to the plain "Complete", not to "Complete & peer checked"
    assert key.by_code["GREEN"].words == ("Completed", "Achieved", "Done")
    assert key.by_code["BLUE"].words == ()
    assert key.by_code["AMBER"].words == ("Ongoing", "In progress")
    assert key.by_code["RED"].words == ("Not started",)


def test_parse_key_reads_the_councils_three_colours_in_one_paragraph() -> None:
    key = key_of(COUNCIL_LINES)
    assert [(e.code, e.meaning) for e in key] == [
        ("GREEN", "recommendation achieved"),
        ("AMBER", "acceptable progress"),
        ("RED", "unacceptable progress"),
    ]
    assert key.complete == ("GREEN",)
    assert key.by_code["GREEN"].words == ("Complete", "Completed", "Achieved", "Done")
    assert key.by_code["AMBER"].words == ("On track", "Ongoing", "In progress")
    assert key.by_code["RED"].words == ("Off track", "Not started")


@pytest.mark.parametrize(
    ("line", "code", "meaning"),
    [
        ("Green: recommendation achieved", "GREEN", "recommendation achieved"),
        ("Blue – complete", "BLUE", "complete"),
        ("RED Major Issues preventing delivery", "RED", "Major Issues preventing delivery"),
        ("Red | Off Track", "RED", "Off Track"),
        ("• Amber - some slippage.", "AMBER", "some slippage"),
        ("Gray = not yet due", "GREY", "not yet due"),
        ("PURPLE\tclosed by the board", "PURPLE", "closed by the board"),
        ('Black: "withdrawn"', "BLACK", "withdrawn"),
    ],
)
def test_parse_key_reads_each_way_an_entry_is_written(line: str, code: str, meaning: str) -> None:
    key = key_of([line, "White: not applicable"])
    assert (key.entries[0].code, key.entries[0].meaning) == (code, meaning)
    assert key.by_code["WHITE"].fill == "FFFFFF" and key.by_code["WHITE"].font == "000000"


def test_parse_key_gives_the_documents_key_as_the_default_was() -> None:
    key = key_of(DOCUMENT_LINES)
    assert [(e.code, e.meaning, e.fill, e.font) for e in key] == [
        (e.code, e.meaning, e.fill, e.font) for e in DEFAULT_KEY
    ]
    assert key.complete == DEFAULT_KEY.complete == ("BLUE",)


def test_parse_key_is_none_for_text_that_is_not_a_key() -> None:
    assert parse_key([]) is None
    assert parse_key(["Green: only one colour"]) is None
    assert parse_key(["The board met in March.", "Redesign of the front door"]) is None
    # a colour twice keeps its first meaning
    key = key_of(["Green: achieved", "Red: stuck", "Green: something else"])
    assert key.by_code["GREEN"].meaning == "achieved" and len(key) == 2


# --- Reading a typed status by a key -----------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "default", "cqc", "council"),
    [
        ("Complete", "BLUE", "GREEN", "GREEN"),  # exact meaning match wins in the CQC key
        ("complete & peer  checked", None, "BLUE", None),
        ("achieved", None, "GREEN", "GREEN"),
        ("Recommendation Achieved", None, None, "GREEN"),
        ("on track", None, "AMBER", "AMBER"),
        ("Off track", None, "RED", "RED"),
        (" green ", "GREEN", "GREEN", "GREEN"),
        ("g", "GREEN", "GREEN", "GREEN"),
        ("b", "BLUE", "BLUE", None),
        ("BLUE", "BLUE", "BLUE", None),
        ("On target for delivery", "GREEN", None, None),
        ("done", None, "GREEN", "GREEN"),
        ("", "", "", ""),
        ("Purple", None, None, None),
    ],
)
def test_a_word_means_what_the_plans_key_says(
    typed: str, default: str | None, cqc: str | None, council: str | None
) -> None:
    assert DEFAULT_KEY.normalise(typed) == default
    assert key_of(CQC_LINES).normalise(typed) == cqc
    assert key_of(COUNCIL_LINES).normalise(typed) == council


def test_a_letter_is_read_only_when_one_status_starts_with_it() -> None:
    key = key_of(["Blue: complete", "Black: withdrawn", "Green: on track"])
    assert key.normalise("b") is None and key.normalise("g") == "GREEN"
    assert key.normalise("black") == "BLACK"


def test_a_spelling_two_statuses_share_is_read_as_neither() -> None:
    key = RagKey(
        (
            RagStatus("GREEN", "On track", "00B050", "000000", ("Fine",)),
            RagStatus("BLUE", "Closed", "0070C0", "FFFFFF", ("Fine", "On track")),
        )
    )
    assert key.normalise("fine") is None  # words of both: not guessed
    assert key.normalise("on track") == "GREEN"  # a meaning beats another status's word
    assert key.ambiguous == (("FINE", ("GREEN", "BLUE")),)
    assert key.spellings("BLUE") == ("BLUE", "B", "CLOSED")
    assert key.complete == ("BLUE",)


def test_shown_keeps_what_the_key_does_not_know_as_written() -> None:
    key = key_of(COUNCIL_LINES)
    assert key.shown("  achieved ") == "GREEN"
    assert key.shown("Blue  sky") == "Blue sky"
    assert key.shown("") == ""


def test_a_key_with_no_done_status_counts_blue_as_done_if_it_has_it() -> None:
    assert key_of(["Red: stuck", "Amber: slow", "Blue: signed off"]).complete == ("BLUE",)
    assert key_of(["Red: stuck", "Amber: slow"]).complete == ()
    assert key_of(["Green: not yet achieved", "Red: stuck"]).complete == ()


def test_the_module_names_are_the_default_key() -> None:
    assert DEFAULT_KEY.entries == RAG_KEY and RAG_CODES == ("GREEN", "AMBER", "RED", "BLUE")
    assert COMPLETE == "BLUE" and DEFAULT_KEY.complete == ("BLUE",)
    assert normalise_status("Complete") == "BLUE" and normalise_status("done") is None
    assert normalise_status("achieved", key_of(COUNCIL_LINES)) == "GREEN"
    assert status_shown(" amber ") == "AMBER" and status_spellings("BLUE")[0] == "BLUE"
    assert DEFAULT_KEY.choices == "GREEN, AMBER, RED or BLUE"


def test_a_key_refuses_codes_it_could_not_offer() -> None:
    with pytest.raises(ValueError):
        RagKey(())
    with pytest.raises(ValueError):
        RagKey((RagStatus("green", "x", "00B050", "000000"),))
    with pytest.raises(ValueError):
        RagKey((RagStatus("RED", "x", "FF0000", "FFFFFF"), RagStatus("RED", "y", "FF0000", "0")))


# --- The key in the master ---------------------------------------------------------------------


def key_sheet(path: Path) -> Worksheet:
    return load_workbook(path)[SHEET_RAG_KEY]


def test_the_master_keeps_the_plans_key_on_its_own_sheet(tmp_path: Path, seed: Plan) -> None:
    key = key_of(CQC_LINES)
    master = tmp_path / "master.xlsx"
    write_master(dataclasses.replace(seed, rag_key=key), master)
    ws = key_sheet(master)
    assert ws.sheet_state == "visible"
    rows = [[c.value or "" for c in row] for row in ws.iter_rows(max_col=5)]
    assert rows[0] == list(RAG_KEY_COLUMNS)
    assert rows[1:] == [
        ["RED", "Off Track", "FF0000", "FFFFFF", "Not started"],
        ["AMBER", "On Track", "FFC000", "000000", "Ongoing; In progress"],
        ["GREEN", "Complete", "00B050", "000000", "Completed; Achieved; Done"],
        ["BLUE", "Complete & peer checked", "0070C0", "FFFFFF", ""],
    ]
    assert ws.cell(2, 1).fill.fgColor.rgb.endswith("FF0000")
    plan = read_master(master, rich=False)
    assert plan.rag_key == key
    # the key block above the header is the plan's key, in its order
    grid = sheets(master)[SHEET_PLAN]
    assert [row[0] for row in grid[4:8]] == ["RED", "AMBER", "GREEN", "BLUE"]
    assert grid[6][1] == "Complete"


def test_the_owner_edits_the_key_on_its_sheet(tmp_path: Path, seed: Plan) -> None:
    master = tmp_path / "master.xlsx"
    write_master(seed, master)
    wb = load_workbook(master)
    ws = wb[SHEET_RAG_KEY]
    ws.cell(2, 5).value = "On track, Fine"  # GREEN's words, the owner's spellings
    ws.cell(5, 3).value = "#7030a0"  # BLUE drawn purple
    ws.cell(6, 1).value = "grey"  # a new status with no fill: its colour's own
    ws.cell(6, 2).value = "Not yet due"
    wb.save(master)
    reading = read_rag_key(sheets(master))
    assert reading.problems == () and reading.on_sheet
    key = reading.key
    assert key.codes == ("GREEN", "AMBER", "RED", "BLUE", "GREY")
    assert key.normalise("fine") == "GREEN" and key.normalise("on  track") == "GREEN"
    assert key.by_code["BLUE"].fill == "7030A0" and key.by_code["BLUE"].font == "FFFFFF"
    assert key.by_code["GREY"].fill == "A6A6A6" and key.by_code["GREY"].font == "000000"
    assert read_master(master, rich=False).rag_key == key


def test_a_master_without_the_key_sheet_reads_as_the_default_key(
    tmp_path: Path, seed: Plan
) -> None:
    master = old_master(tmp_path / "old.xlsx", seed)
    plan, grids = read_master_sheets(master, rich=False)
    assert plan.rag_key == DEFAULT_KEY
    assert read_rag_key(grids).on_sheet is False
    assert not [f for f in validate_master(master, as_of=AS_OF).findings if f.code == "rag-key"]


def old_master(path: Path, plan: Plan) -> Path:
    """A master as written before the `RAG key` sheet existed."""
    write_master(dataclasses.replace(plan, plan_id=plan.plan_id or "plan-old00001"), path)
    wb = load_workbook(path)
    del wb[SHEET_RAG_KEY]
    wb.save(path)
    return path


# --- A three-colour plan through the whole cycle ------------------------------------------------


def council_plan(seed: Plan) -> Plan:
    statuses = {"WNI-01": "AMBER", "EHP-04": "AMBER", "WNI-03": "RED", "AIA-08": "achieved"}
    items = tuple(dataclasses.replace(it, status=statuses.get(it.ref, "")) for it in seed.items)
    return dataclasses.replace(
        seed, items=items, rag_key=key_of(COUNCIL_LINES), plan_id="plan-council01"
    )


def status_validation(ws: Worksheet) -> tuple[str, str]:
    (dv,) = [v for v in ws.data_validations.dataValidation if v.errorTitle == DROPDOWN_ERROR_TITLE]
    return dv.formula1, dv.error


def test_a_three_colour_plan_through_the_cycle(
    tmp_path: Path, seed: Plan, fixed_clock: Callable[[dt.datetime], dt.datetime]
) -> None:
    fixed_clock(ISSUED)
    plan = council_plan(seed)
    c = start_cycle(tmp_path, plan)

    # The copies offer the plan's three codes, in its colours, and explain them in its words.
    copy = load_workbook(c.copies["GT"].path)[SHEET_PLAN]
    formula, error = status_validation(copy)
    assert formula == '"GREEN,AMBER,RED"'
    assert "GREEN (recommendation achieved)" in error and "BLUE" not in error
    codes = [copy.cell(r, 1).value for r in range(1, 12)]
    assert [x for x in codes if x in ("GREEN", "AMBER", "RED", "BLUE")] == ["GREEN", "AMBER", "RED"]
    assert "GREEN recommendation achieved" in copy.cell(3, 1).value
    green_rule = next(
        rule
        for cf in copy.conditional_formatting
        for rule in cf.rules
        if rule.dxf.fill.fgColor.rgb.endswith("00B050")
    )
    assert '="ACHIEVED"' in green_rule.formula[0]

    # A lead types the key's words: "achieved" is GREEN here; "Blue" is no status of this plan.
    fixed_clock(MERGED)
    ret = c.fill(
        "GT",
        {
            "WNI-01": Answer("achieved", "Recommendation signed off by the board."),
            "EHP-04": Answer("Blue", "Nearly there."),
        },
    )
    run = merge_returns(c.master, [ret], when=MERGED)
    grid = sheets(c.master)[SHEET_PLAN]
    assert cell(grid, "WNI-01", "Status") == "GREEN"
    assert cell(grid, "EHP-04", "Status") == "AMBER"
    (rejected,) = [
        line
        for result in run.changes.results
        for line in result.lines
        if line.ref == "EHP-04" and line.field == "Status"
    ]
    assert rejected.note.endswith("use GREEN, AMBER, RED")
    assert "not a RAG status in this plan's key" in rejected.note

    # The owner types a status the key does not know: kept as written, reported by validate.
    wb = load_workbook(c.master, rich_text=True)
    ws = wb[SHEET_PLAN]
    row = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == "EHP-05")
    ws.cell(row, 7).value = "Blue"
    wb.save(c.master)
    assert read_master(c.master, rich=False).item("EHP-05").status == "Blue"
    report = validate_master(c.master, as_of=AS_OF)
    unknown = [f for f in report.findings if f.code == "unknown-status"]
    assert [(f.ref, f.cell) for f in unknown] == [("EHP-05", f"G{row}")]
    assert "'Blue' is not in the plan's RAG key; use GREEN, AMBER or RED" in unknown[0].message
    assert not [f for f in report.findings if f.code == "rag-key"]
    # WNI-01 is GREEN, complete in this key: a completion update is wanted, not an overdue mark
    assert not [f for f in report.findings if f.ref == "WNI-01" and f.code == "overdue"]

    # The RAG formatting colours by the key: three colours, its spellings, complete is GREEN.
    rag_master(c.master)
    ws = load_workbook(c.master)[SHEET_PLAN]
    header = next(r for r in range(1, 30) if ws.cell(r, 1).value == "Ref")
    status_rules = [
        rule
        for cf in ws.conditional_formatting
        if str(cf.sqref) == f"G{header + 1}:G{ws.max_row}"
        for rule in cf.rules
    ]
    assert [r.dxf.fill.fgColor.rgb[-6:] for r in status_rules] == ["00B050", "FFC000", "FF0000"]
    green = status_rules[0].formula[0]
    for spelling in ("GREEN", "G", "RECOMMENDATION ACHIEVED", "ACHIEVED", "COMPLETE"):
        assert f'UPPER(TRIM($G{header + 1}))="{spelling}"' in green
    overdue = next(
        rule.formula[0]
        for cf in ws.conditional_formatting
        for rule in cf.rules
        if rule.formula[0].startswith("AND(")
    )
    assert f'NOT(OR(UPPER(TRIM($G{header + 1}))="GREEN"' in overdue and '"BLUE"' not in overdue
    assert status_validation(ws)[0] == '"GREEN,AMBER,RED"'
    key_cells = [ws.cell(r, 1).value for r in range(5, 8)]
    assert key_cells == ["GREEN", "AMBER", "RED"]

    # The board counts in the key's categories; complete is GREEN.
    plan_now = read_master(c.master, rich=False)
    summary = board_summary(plan_now, as_of=AS_OF, previous=None)
    assert [cat.key for cat in summary.categories] == [
        "GREEN",
        "AMBER",
        "RED",
        NO_STATUS,
        NOT_RECOGNISED,
    ]
    assert summary.categories[0].label == "Green (complete)"
    overall = summary.overall
    assert (overall.count("GREEN"), overall.count("AMBER"), overall.count("RED")) == (2, 1, 1)
    assert overall.not_recognised == 1 and overall.no_status == len(plan_now.items) - 5
    assert overall.complete == 2 and overall.complete_fraction == pytest.approx(
        2 / len(plan_now.items)
    )
    assert summary.unrecognised == (("EHP-05", "Blue"),)
    board = make_board_pack(c.master, tmp_path / "board.xlsx", as_of=AS_OF, record=False)
    titles = sheets(board.out)["Summary"]
    assert any("Green (complete)" in row for row in titles)

    # Who has answered: GT's achieved items are not open.
    (gt,) = [s for s in lead_statuses(plan_now, _ledger(c), AS_OF) if s.lead == "GT"]
    gt_items = [it for it in plan_now.items if "GT" in it.lead_codes]
    done = [it.ref for it in gt_items if plan_now.rag_key.is_complete(it.status)]
    assert sorted(done) == ["AIA-08", "WNI-01"]
    assert gt.open_items == len(gt_items) - 2


def _ledger(c: Cycle) -> Ledger:
    return ledger_from_sheets(read_sheets(c.master, also=LEDGER_SHEETS))


def test_an_old_master_without_the_key_sheet_still_merges_by_the_default_key(
    tmp_path: Path, seed: Plan, fixed_clock: Callable[[dt.datetime], dt.datetime]
) -> None:
    fixed_clock(ISSUED)
    folder = tmp_path / "old"
    folder.mkdir()
    master = old_master(folder / "master.xlsx", seed)
    run = issue_copies(master, folder / "copies", leads=["GT"], when=ISSUED)
    c = Cycle(folder, master, {copy.lead: copy for copy in run.copies})
    formula, _ = status_validation(load_workbook(c.copies["GT"].path)[SHEET_PLAN])
    assert formula == '"GREEN,AMBER,RED,BLUE"'
    ret = c.fill("GT", {"WNI-01": Answer("Complete", "All done."), "EHP-04": Answer("achieved")})
    merged = merge_returns(master, [ret], when=MERGED)
    grid = sheets(master)[SHEET_PLAN]
    assert cell(grid, "WNI-01", "Status") == "BLUE"
    assert cell(grid, "EHP-04", "Status") in ("", None)  # 'achieved' is no word of the default
    notes = [line.note for r in merged.changes.results for line in r.lines if line.ref == "EHP-04"]
    assert any("use GREEN, AMBER, RED, BLUE" in n for n in notes)
    assert SHEET_RAG_KEY not in load_workbook(master).sheetnames  # the merge adds no key sheet


def test_the_demo_answers_use_the_plans_own_codes() -> None:
    council = key_of(COUNCIL_LINES)
    default = {"on track": "GREEN", "delayed": "AMBER", "complete": "BLUE"}
    assert status_roles(DEFAULT_KEY) == default
    assert status_roles(council) == {"on track": "AMBER", "delayed": "RED", "complete": "GREEN"}
    cqc = key_of(CQC_LINES)
    assert status_roles(cqc) == {"on track": "AMBER", "delayed": "RED", "complete": "GREEN"}
    refs = [f"R-{n:02d}" for n in range(12)]
    answers = simulated_answers([("AA", refs[:6]), ("BB", refs[3:])], council)
    typed = {a.status for mine in answers.values() for a in mine.values()}
    assert typed <= {"GREEN", "AMBER", "RED", "Yellow"} and "Yellow" in typed
