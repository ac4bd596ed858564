"""Plans in their own layouts (issue 14): columns found by their titles, never by position; the
document's own other columns kept; an unmappable table refused in one line naming the `--map`.

The documents are written here, each modelled on a public kind of plan (a council's scrutiny
tracker, a school's post-inspection plan, a school plan with termly update columns, a footnoted
scrutiny action plan, a CQC must-do / should-do plan, an improvement plan with its own statuses,
numbered priorities as sections, a care provider's plan with no status column), as text exports,
one as a Word table and a tracker kept in Excel whose statuses are fill colours only
(`tests.trackers`); each runs through import, issue, a filled return, merge and board.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from docx import Document
from hypothesis import given, settings
from hypothesis import strategies as st

from actionplan.cli import cli
from sync.copies import issue_copies
from sync.merge.apply import merge_returns
from sync.simulate import Answer, fill_copy, status_roles
from tests.cycle import cell, header, sheets
from tests.trackers import FILL_ONLY, FILLS, RAG_HEADER, ROW_FILLS, write_tracker
from workbook.board.packs import make_board_pack
from workbook.errors import PlanImportError
from workbook.importers.roles import find_roles, looks_like_header, normal_title, title_roles
from workbook.importers.seed import seed_text
from workbook.importers.source import import_plan
from workbook.importers.text import import_text
from workbook.master.read import read_master
from workbook.master.sheets import SHEET_PLAN
from workbook.master.write import write_master
from workbook.plan.model import Plan

ISSUED = dt.datetime(2025, 6, 2, 9, 0)
MERGED = dt.datetime(2025, 6, 20, 16, 0)


def export(title: str, header: list[str], rows: list[list[str]]) -> str:
    """A text export: a title line, then the tab-separated table."""
    return "\n".join([title, "", "\t".join(header), *("\t".join(r) for r in rows)]) + "\n"


SCRUTINY_TRACKER = export(
    "Scrutiny recommendations tracker 2025/26",
    ["Reference", "Origin", "Date", "Area", "Recommendation", "Exec Date", "Lead Officer/EM",
     "Action taken", "Status"],
    [
        ["SR (25/26) 01", "Task group", "12/05/25", "Housing",
         "The council should publish average void times each month.", "30/09/25", "DM/PL/KL",
         "Void times published from June.", "Complete"],
        ["SR (25/26) 02", "Call-in", "03/06/25", "Parks",
         "Review the grounds maintenance contract before renewal.", "31/03/26",
         "Leadership Team", "", "Ongoing"],
        ["SR (25/26) 03", "Budget scrutiny", "10/06/25", "Finance",
         "Report savings delivery to the committee quarterly.", "31/12/25", "leadership team",
         "First report taken in July.", "Paused"],
    ],
)  # fmt: skip

SCHOOL_PLAN = export(
    "Post-inspection action plan - Greenfield Primary School",
    ["(no.)", "Objective", "Action", "Success Criteria", "When",
     "Resources: Staffing, Time, Money, CPD", "Monitoring", "Evaluation & Further Action"],
    [
        ["1", "Raise attainment in writing at KS2.",
         "1. Introduce daily extended writing 2. Moderate with partner school",
         "70% at expected standard", "Summer term 2026", "Two INSET days; £1,500",
         "Termly book looks", ""],
        ["2", "Improve attendance of disadvantaged pupils.",
         "1. Weekly attendance meetings 2. Family support worker visits",
         "Persistent absence below 12%", "Spring 2", "Family support worker 0.5 FTE",
         "Half-termly data", "Autumn data shows a fall to 15%."],
    ],
)  # fmt: skip

FOOTNOTED_PLAN = export(
    "Scrutiny recommendation action and implementation plan",
    ["Recommendation[i]", "Cabinet Member[ii]", "Response[iii]", "Timetable[iv]",
     "Lead Officer[v]"],
    [
        ["That the council adopts a single front door for early help.",
         "The Portfolio Holder for Economic Development, UK and EU Regional Issues",
         "Agreed; a pilot starts in the north locality.", "December 2025 to July 2026",
         "Sarah Jones"],
        ["That waiting times are reported to scrutiny.", "Cabinet Member for Children",
         "Agreed.", "by July 26", "Simon Jenkins"],
    ],
)  # fmt: skip

CQC_PLAN = export(
    "CQC inspection action plan\nKey: Red – Off Track; Amber – On Track; Green – Complete; "
    "Blue – Complete & peer checked",
    ["Must do / Should do", "Actions to be taken", "Action owner", "Deadline", "Progress update",
     "RAG rating"],
    [
        ["MUST: The trust must ensure staff complete mandatory training.",
         "1. Monthly compliance reports 2. Protected study time", "Director of Nursing",
         "Q3 2025/26", "Compliance at 84%.", "Amber"],
        ["SHOULD: The trust should improve discharge letters.", "1. Template revised",
         "Medical Director", "31/03/2026", "", "Green"],
    ],
)  # fmt: skip

IMPROVEMENT_PLAN = export(
    "Service improvement plan",
    ["Area for improvement", "What we will do", "Responsible", "By when", "Progress", "Status"],
    [
        ["Supervision is not regular.", "1. Diary supervision six-weekly", "HoS2", "Jun-25",
         "", "Not started"],
        ["Case records lack the child's voice.", "1. Audit 20 cases 2. Practice workshop",
         "L21 / L10", "Autumn term 2025", "Audit done.", "In progress"],
    ],
)  # fmt: skip

NUMBERED_AREAS = export(
    "Improvement plan - priorities 1 and 2",
    ["No.", "Priority", "Actions", "Lead", "Target date", "Update", "RAG"],
    [
        ["1. Leadership and management", "", "", "", "", "", ""],
        ["1.1", "Leaders know their services well.", "1. Quarterly self-evaluation", "AB",
         "Mar-26", "", "Green"],
        ["1.2", "Performance data is used at every level.", "1. New dashboards", "CD", "Jun-26",
         "", "Amber"],
        ["2. Practice", "", "", "", "", "", ""],
        ["2.1", "Plans are specific and timely.", "1. Plan template 2. Training", "EF", "Sep-26",
         "", ""],
    ],
)  # fmt: skip

TERMLY_PLAN = export(
    "Post-inspection action plan - Hillside Primary School\nSeptember 2025",
    ["Priority", "Actions", "Lead", "By when", "Autumn term update", "Spring term update",
     "Summer term update"],
    [
        ["Improve the teaching of early reading.", "1. Phonics training 2. Decodable books",
         "Reading Lead", "Summer term", "Training done; books ordered.",
         "Books in use in Year 1.", ""],
        ["Raise attendance to 96%.", "1. First-day calling", "Deputy Head", "Spring term",
         "", "Attendance 95.1% this term.", ""],
        ["Governors check the impact of actions.", "1. Termly monitoring visits",
         "Chair of Governors", "July 2026", "", "", ""],
    ],
)  # fmt: skip

NO_STATUS_PLAN = export(
    "Care home improvement plan",
    ["Ref", "Requirement", "Action to be taken", "Responsible person", "Completion date",
     "Comments", "Evidence"],
    [
        ["R1", "Medicines must be stored at safe temperatures.", "1. Daily fridge checks",
         "Registered Manager", "31/10/2025", "Checks started.", "Fridge log"],
        ["R2", "Care plans must be reviewed monthly.", "1. Review rota 2. Audit",
         "Deputy Manager", "Nov-25", "", "Audit tool"],
    ],
)  # fmt: skip

DOCUMENTS = {
    "scrutiny tracker": SCRUTINY_TRACKER,
    "school plan": SCHOOL_PLAN,
    "termly school plan": TERMLY_PLAN,
    "footnoted plan": FOOTNOTED_PLAN,
    "cqc plan": CQC_PLAN,
    "improvement plan": IMPROVEMENT_PLAN,
    "numbered areas": NUMBERED_AREAS,
    "no status plan": NO_STATUS_PLAN,
}


def table_words(text: str) -> list[str]:
    """Every word of the table under its header, but for the numbers of numbered actions ("1."),
    which become the actions' order; compared without case (a status is kept in capitals)."""
    lines = text.splitlines()
    lines = lines[next(i for i, line in enumerate(lines) if "\t" in line) + 1 :]  # under the header
    words = [w for line in lines for cell in line.split("\t") for w in cell.split()]
    return [w.casefold() for w in words if not re.fullmatch(r"\d+\.", w)]


def plan_words(plan: Plan) -> str:
    parts = []
    for it in plan.items:
        parts += [it.ref, it.section, it.finding_text, " ".join(it.actions), it.lead]
        parts += [it.timescale, it.status, *(u.display for u in it.updates)]
        parts += [t for _, t in it.extra]
    return " ".join([*parts, *plan.sections]).casefold()


def imported_master(tmp_path: Path, text: str, name: str) -> tuple[Plan, Path]:
    """The document `text` saved as `name`, imported, and written as a master."""
    source = tmp_path / name
    source.write_text(text, encoding="utf-8")
    plan = import_plan(source)
    master = tmp_path / "master.xlsx"
    write_master(plan, master)
    return plan, master


def type_in_first_item(master: Path, title: str, text: str) -> None:
    """The owner types `text` in the first item's `title` cell of the master (as Excel would)."""
    from openpyxl import load_workbook

    wb = load_workbook(master)
    ws = wb[SHEET_PLAN]
    head = next(r for r in range(1, 40) if ws.cell(r, 1).value == "Ref")
    col = next(c for c in range(1, 40) if ws.cell(head, c).value == title)
    ws.cell(head + 1, col).value = text
    wb.save(master)


# --- titles -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "role"),
    [
        ("Ofsted Findings / Additional improvements identified through the process", "finding"),
        ("Recommendation[i]", "finding"),
        ("Recommendations", "finding"),
        ("Objective", "finding"),
        ("Area for development", "finding"),
        ("Must do / Should do", "finding"),
        ("Action(s)", "actions"),
        ("What we will do", "actions"),
        ("Lead Officer/EM", "lead"),
        ("Action owner", "lead"),
        ("Who", "lead"),
        ("Time-scale", "timescale"),
        ("TIMESCALE*", "timescale"),
        ("By when", "timescale"),
        ("Timetable[iv]", "timescale"),
        ("Action taken", "update"),
        ("Evaluation & Further Action", "update"),
        ("Progress update", "update"),
        ("RAG rating", "status"),
        ("Status\u00b9", "status"),
        ("(no.)", "ref"),
        ("Reference", "ref"),
    ],
)
def test_titles_people_use_name_their_roles(title: str, role: str) -> None:
    assert title_roles(title) == (role,)


def test_titles_compare_without_case_spacing_punctuation_or_footnotes() -> None:
    assert normal_title("  Time-Scale [ii] ") == normal_title("time scale*") == "time scale"


# --- each document ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(DOCUMENTS))
def test_each_layout_imports_with_every_word_kept(name: str) -> None:
    text = DOCUMENTS[name]
    plan = import_text(text, f"{name}.txt")
    words = plan_words(plan)
    missing = [w for w in table_words(text) if w not in words]
    assert not missing, missing


def test_the_scrutiny_tracker_keeps_its_refs_titles_and_own_columns() -> None:
    plan = import_text(SCRUTINY_TRACKER, "tracker.txt")
    assert [it.ref for it in plan.items] == ["SR (25/26) 01", "SR (25/26) 02", "SR (25/26) 03"]
    assert dict(plan.column_titles)["finding"] == "Recommendation"
    assert dict(plan.column_titles)["lead"] == "Lead Officer/EM"
    assert plan.extra_titles == ("Origin", "Date", "Area", "Exec Date")
    first = plan.items[0]
    assert first.finding_text.startswith("The council should publish")
    assert first.lead == "DM/PL/KL" and first.status == "Complete"
    assert dict(first.extra) == {0: "Task group", 1: "12/05/25", 2: "Housing", 3: "30/09/25"}
    assert first.updates[0].text == "Void times published from June."
    # "Leadership Team" and "leadership team" are one lead; DM/PL/KL three
    assert {lead.code for lead in plan.leads} == {"DM", "PL", "KL", "LT"}


def test_the_school_plan_numbers_its_items_and_keeps_resources() -> None:
    plan = import_text(SCHOOL_PLAN, "school.txt")
    assert [it.ref for it in plan.items] == ["1", "2"]
    assert plan.items[0].actions == (
        "Introduce daily extended writing",
        "Moderate with partner school",
    )
    assert plan.items[0].timescale == "Summer term 2026"
    assert "Success Criteria" in plan.extra_titles
    roles = dict(plan.column_titles)
    assert roles["update"] == "Evaluation & Further Action"
    assert "lead" not in roles and "status" not in roles


def test_footnote_markers_are_ignored_and_the_columns_land_right() -> None:
    plan = import_text(FOOTNOTED_PLAN, "footnoted.txt")
    roles = dict(plan.column_titles)
    assert roles == {
        "finding": "Recommendation[i]",
        "timescale": "Timetable[iv]",
        "lead": "Lead Officer[v]",
        "update": "Response[iii]",
    }
    assert plan.extra_titles == ("Cabinet Member[ii]",)
    first = plan.items[0]
    assert first.lead == "Sarah Jones" and first.updates[0].text.startswith("Agreed; a pilot")
    assert "Portfolio Holder" in dict(first.extra)[0]
    assert len({lead.code for lead in plan.leads}) == 2  # Sarah Jones and Simon Jenkins


def test_numbered_areas_become_sections_with_their_own_refs() -> None:
    plan = import_text(NUMBERED_AREAS, "areas.txt")
    assert plan.sections == ("1. Leadership and management", "2. Practice")
    assert [(it.ref, it.section) for it in plan.items] == [
        ("1.1", "1. Leadership and management"),
        ("1.2", "1. Leadership and management"),
        ("2.1", "2. Practice"),
    ]


# --- refused in one line -----------------------------------------------------------------------


def test_a_table_with_no_finding_column_says_which_map_to_use() -> None:
    with pytest.raises(PlanImportError) as err:
        find_roles(["Topic", "Action", "Lead", "Status"], source="plan.txt")
    message = str(err.value)
    assert "no column is the finding" in message and "--map finding=TITLE" in message
    assert "Topic | Action | Lead | Status" in message and "\n" not in message


def test_two_columns_for_one_role_are_refused_not_guessed() -> None:
    with pytest.raises(PlanImportError) as err:
        find_roles(["Finding", "Lead", "Lead officer", "Status"], source="plan.txt")
    assert "2 columns could be the lead ('Lead', 'Lead officer')" in str(err.value)
    assert "--map lead=TITLE" in str(err.value)
    found = find_roles(
        ["Finding", "Lead", "Lead officer", "Status"], mapping={"lead": "Lead officer"}
    )
    assert found.roles["lead"] == 2 and (1, "Lead") in found.others


def test_renamed_headers_never_shift_the_columns(seed: Plan) -> None:
    """The user who renamed the headers to get past the old check: the columns are found by
    title whatever their order, so nothing shifts - the embedded plan's table with its columns
    reversed imports to the same plan."""
    lines = seed_text().splitlines()
    at = next(i for i, line in enumerate(lines) if looks_like_header(line.split("\t")))
    width = len(lines[at].split("\t"))
    order = list(reversed(range(width)))
    shuffled = [
        "\t".join((line.split("\t") + [""] * width)[i] for i in order) if "\t" in line else line
        for line in lines[at:]
    ]
    plan = import_text("\n".join(lines[:at] + shuffled), "shuffled.txt")
    assert _same(plan) == _same(seed)


def _same(plan: Plan) -> dict[str, object]:
    """The plan but for what follows the columns' order: its source, the order of its column
    titles and its column order."""
    out = {f.name: getattr(plan, f.name) for f in dataclasses.fields(plan)}
    out["column_titles"] = tuple(sorted(plan.column_titles))
    for name in ("source", "column_order"):
        out.pop(name, None)
    return out


@settings(max_examples=15, deadline=None)
@given(st.permutations(range(6)))
def test_any_order_of_the_columns_imports_to_the_same_plan(order: list[int]) -> None:
    text = CQC_PLAN
    lines = text.splitlines()
    moved = [
        "\t".join(line.split("\t")[i] for i in order) if "\t" in line else line for line in lines
    ]
    assert _same(import_text("\n".join(moved), "cqc.txt")) == _same(import_text(text, "cqc.txt"))


# --- the whole cycle ----------------------------------------------------------------------------


def word_school_plan(path: Path) -> Path:
    """A school plan as a Word table, one table per priority (each repeating the header)."""
    document = Document()
    document.add_paragraph("Post-inspection action plan")
    titles = ["Objective", "Success Criteria", "Action", "When", "Who"]
    for rows in (
        [["Improve reading.", "80% pass phonics", "1. Daily phonics", "Summer 2026", "Head"]],
        [["Improve maths.", "Fluency checks", "1. Times tables", "Easter 2026", "Deputy Head"]],
    ):
        table = document.add_table(rows=1, cols=len(titles))
        for box, title in zip(table.rows[0].cells, titles, strict=True):
            box.text = title
        for row in rows:
            cells = table.add_row().cells
            for box, text in zip(cells, row, strict=True):
                box.text = text
        document.add_paragraph("")
    document.save(str(path))
    return path


def _text_source(name: str) -> Callable[[Path], Path]:
    def write(folder: Path) -> Path:
        path = folder / f"{name}.txt"
        path.write_text(DOCUMENTS[name], encoding="utf-8")
        return path

    return write


#: Every plan document of these tests, as a file written into a folder.
SOURCES: dict[str, Callable[[Path], Path]] = {
    **{name: _text_source(name) for name in DOCUMENTS},
    "word school plan": lambda folder: word_school_plan(folder / "school.docx"),
    "excel tracker with fill-only rag": lambda folder: write_tracker(
        folder / "tracker.xlsx", FILL_ONLY, header=RAG_HEADER, fills=FILLS, row_fills=ROW_FILLS
    ),
}


def test_there_are_at_least_eight_documents_in_different_layouts() -> None:
    assert len(SOURCES) >= 8


@pytest.mark.parametrize("name", list(SOURCES))
def test_each_layout_runs_the_whole_cycle(name: str, tmp_path: Path) -> None:
    """Import, issue, a filled return, merge and board, for each document; a plan whose
    document names no leads gets one typed in by the owner first, as the cycle needs one."""
    source = SOURCES[name](tmp_path)
    plan = import_plan(source)
    master = tmp_path / "master.xlsx"
    write_master(plan, master)
    back = read_master(master)
    assert back.extra_titles == plan.extra_titles
    assert [it.extra for it in back.items] == [it.extra for it in plan.items]
    assert [it.updates for it in back.items] == [it.updates for it in plan.items]
    assert set(back.column_titles) == set(plan.column_titles)  # in whatever order
    if not any(it.lead for it in plan.items):
        type_in_first_item(master, dict(plan.column_titles).get("lead", "Lead"), "Head Teacher")
    run = issue_copies(master, tmp_path / "copies", when=ISSUED)
    copy = run.copies[0]
    ref = copy.refs[0]
    on_track = status_roles(plan.rag_key)["on track"]
    ret = tmp_path / "returns" / "return.xlsx"
    ret.parent.mkdir()
    fill_copy(copy.path, ret, {ref: Answer(on_track, "Work under way, on track.")})
    merged = merge_returns(master, [ret], when=MERGED)
    assert merged.changes.exit_code == 0, merged.changes.to_dict()
    item = read_master(master).item(ref)
    assert item.status == on_track
    assert item.updates_text.startswith(
        f"Update 20 Jun 25 ({copy.lead}): Work under way, on track."
    )
    assert item.updates_text.endswith(plan.item(ref).updates_text)  # the document's kept below
    # the document's own columns are still there after the merge
    assert read_master(master).extra_titles == plan.extra_titles
    (tmp_path / "board").mkdir()
    board = make_board_pack(master, tmp_path / "board" / "pack.xlsx", as_of=MERGED.date())
    shown = " ".join(str(v) for rows in sheets(board.out).values() for row in rows for v in row)
    assert plan.items[0].finding_text[:40] in shown


# --- several update columns, and no status column ----------------------------------------------


def test_termly_update_columns_are_each_an_update_labelled_by_its_title() -> None:
    """A school's Autumn, Spring and Summer term update columns: each filled cell an update of
    its own, labelled by its column's title and dated by its term in the school year the plan's
    date starts (September 2025: autumn 2025, spring and summer 2026), newest first; the import
    notes it; the master has our one Update column, not one per term."""
    plan = import_text(TERMLY_PLAN, "termly.txt")
    roles = dict(plan.column_titles)
    assert "update" not in roles and roles["timescale"] == "By when"
    assert plan.extra_titles == ()  # the term columns are updates, not columns of its own
    first, second, third = plan.items
    assert [(u.label, u.text, u.date) for u in first.updates] == [
        ("Spring term update", "Books in use in Year 1.", dt.date(2026, 3, 31)),
        ("Autumn term update", "Training done; books ordered.", dt.date(2025, 12, 31)),
    ]
    assert [u.label for u in second.updates] == ["Spring term update"]
    assert third.updates == ()
    (note,) = [n for n in plan.notes if "update columns" in n]
    assert (
        "3 update columns ('Autumn term update', 'Spring term update', 'Summer term update')"
        in note
    )
    assert "rightmost (newest) first" in note


def test_several_update_columns_are_allowed_but_two_of_another_role_are_not() -> None:
    found = find_roles(["Finding", "Progress", "Comments", "Status"], source="plan.txt")
    assert found.updates == (1, 2) and "update" not in found.roles
    assert found.others == ()
    one = find_roles(["Finding", "Progress", "Comments"], mapping={"update": "Comments"})
    assert one.roles["update"] == 2 and one.updates == () and (1, "Progress") in one.others
    with pytest.raises(PlanImportError, match="2 columns could be the status"):
        find_roles(["Finding", "Status", "RAG"], source="plan.txt")


def test_titles_ending_in_an_update_word_name_the_update() -> None:
    assert title_roles("Autumn term update") == ("update",)
    assert title_roles("Term 2 progress") == ("update",)
    assert title_roles("Lead update") == ("lead",)  # a title that begins with a role keeps it
    assert title_roles("Evidence") == ()


def test_a_plan_with_no_status_column_gets_one_after_its_own_and_the_merge_sets_it(
    tmp_path: Path,
) -> None:
    plan, master = imported_master(tmp_path, NO_STATUS_PLAN, "care.txt")
    assert "status" not in dict(plan.column_titles)
    titles = header(sheets(master)[SHEET_PLAN])
    own = ["Ref", "Requirement", "Action to be taken", "Responsible person", "Completion date",
           "Comments", "Evidence"]  # fmt: skip
    assert [t for t in titles if t in own] == own  # the document's own order
    assert titles.index("Status") > max(titles.index(t) for t in own)
    run = issue_copies(master, tmp_path / "copies", when=ISSUED)
    copy = next(c for c in run.copies if "R1" in c.refs)
    ret = tmp_path / "returns" / "RM.xlsx"
    ret.parent.mkdir()
    fill_copy(copy.path, ret, {"R1": Answer("GREEN", "Fridge checks logged daily.")})
    done = merge_returns(master, [ret], when=MERGED)
    assert done.changes.exit_code == 0, done.changes.to_dict()
    grid = sheets(master)[SHEET_PLAN]
    assert cell(grid, "R1", "Status") == "GREEN" and cell(grid, "R2", "Status") in ("", None)
    assert read_master(master).item("R1").status == "GREEN"


# --- Word, and the command line ------------------------------------------------------------------


def test_a_word_plan_in_its_own_layout_imports_by_title(tmp_path: Path) -> None:
    """A school plan as a Word table, one table per priority (each repeating the header)."""
    path = word_school_plan(tmp_path / "school.docx")
    plan = import_plan(path)
    assert [it.finding_text for it in plan.items] == ["Improve reading.", "Improve maths."]
    assert [it.lead for it in plan.items] == ["Head", "Deputy Head"]
    assert [it.timescale for it in plan.items] == ["Summer 2026", "Easter 2026"]
    assert plan.extra_titles == ("Success Criteria",)
    assert [dict(it.extra)[0] for it in plan.items] == ["80% pass phonics", "Fluency checks"]


def test_import_preview_prints_the_mapping_and_writes_nothing(tmp_path: Path) -> None:
    source = tmp_path / "tracker.txt"
    source.write_text(SCRUTINY_TRACKER, encoding="utf-8")
    result = CliRunner().invoke(cli, ["import", str(source), "--preview"])
    assert result.exit_code == 0, result.output
    assert "'Recommendation' -> finding" in result.output
    assert "'Origin' -> kept as the document's own column" in result.output
    assert "SR (25/26) 01: The council should publish" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tracker.txt"]
    mapped = CliRunner().invoke(
        cli, ["import", str(source), "--preview", "--map", "time-scale=Exec Date"]
    )
    assert "'Exec Date' -> time-scale" in mapped.output
    bad = CliRunner().invoke(cli, ["import", str(source), "--preview", "--map", "when=Date"])
    assert bad.exit_code == 2 and "write it as ROLE=TITLE" in bad.output


def test_the_documents_own_key_is_read_and_its_statuses_kept() -> None:
    """The council's key paragraph gives a three-colour key; "Complete" and "Ongoing" read
    through its words, "Paused" is in no entry: kept as written (validate reports it)."""
    text = SCRUTINY_TRACKER.replace(
        "Scrutiny recommendations tracker 2025/26\n",
        "Scrutiny recommendations tracker 2025/26\n"
        "Green: recommendation achieved; Amber: acceptable progress; Red: unacceptable progress\n",
    )
    plan = import_text(text, "tracker.txt")
    assert plan.rag_key.codes == ("GREEN", "AMBER", "RED")
    assert plan.title == "Scrutiny recommendations tracker 2025/26" and not plan.organisation
    assert [it.status for it in plan.items] == ["Complete", "Ongoing", "Paused"]
    assert plan.rag_key.normalise("Complete") == "GREEN"
    assert plan.rag_key.normalise("Ongoing") == "AMBER"
    assert plan.rag_key.normalise("Paused") is None


def test_the_seed_keeps_the_default_key(seed: Plan) -> None:
    from workbook.plan.status import DEFAULT_KEY

    assert seed.rag_key == DEFAULT_KEY


def test_two_people_with_the_same_initials_get_their_own_copies(tmp_path: Path) -> None:
    """Sarah Jones and Simon Jenkins are SJ and SJ2 in the plan's register, and each is sent a
    copy with their own item only - issue, status and chase read leads through the register."""
    from sync.chase import reminder_text
    from sync.status import read_cycle_status

    plan, master = imported_master(tmp_path, FOOTNOTED_PLAN, "footnoted.txt")
    run = issue_copies(master, tmp_path / "copies", when=ISSUED)
    refs = {c.lead: c.refs for c in run.copies}
    assert sorted(refs) == ["SJ", "SJ2"]
    assert sorted(r for rs in refs.values() for r in rs) == sorted(it.ref for it in plan.items)
    assert all(len(rs) == 1 for rs in refs.values())
    status = read_cycle_status(master, as_of=MERGED.date())
    assert {s.lead: s.items for s in status.leads} == {"SJ": 1, "SJ2": 1}
    for lead in status.leads:  # each reminder lists their own item only
        text = reminder_text(status.plan, lead, None, MERGED.date(), attached=False)
        (ref,) = refs[lead.lead]
        others = [it.ref for it in plan.items if it.ref != ref]
        assert ref in text and not any(other in text for other in others)


def test_validation_reads_leads_through_the_register(tmp_path: Path) -> None:
    """Names on the Leads sheet are known whatever their initials; a new name typed in a Lead
    cell is reported with the code it would get."""
    from validation.run import validate_master

    _, master = imported_master(tmp_path, FOOTNOTED_PLAN, "footnoted.txt")
    found = validate_master(master, as_of=MERGED.date())
    assert not [f for f in found.findings if f.code == "unknown-lead"]
    type_in_first_item(master, "Lead Officer[v]", "Priya Patel")  # the document's own title
    found = validate_master(master, as_of=MERGED.date())
    (unknown,) = [f for f in found.findings if f.code == "unknown-lead"]
    assert "lead PP is not on the Leads sheet" in unknown.message


def test_a_document_without_action_or_time_scale_columns_gets_one_warning_each(
    tmp_path: Path,
) -> None:
    """The council tracker has neither column: one warning each, not an error on every item;
    once the owner fills one item's, the rest are checked item by item."""
    from validation.run import validate_master

    _, master = imported_master(tmp_path, SCRUTINY_TRACKER, "tracker.txt")
    found = validate_master(master, as_of=MERGED.date())
    codes = [f.code for f in found.findings]
    assert "no-actions" not in codes and "missing-timescale" not in codes
    lacking = [f.message for f in found.findings if f.code == "document-lacks-column"]
    assert len(lacking) == 2 and any("no Action column" in m for m in lacking)
    type_in_first_item(master, "Time-scale", "Mar-26")
    found = validate_master(master, as_of=MERGED.date())
    assert [f.code for f in found.findings].count("missing-timescale") == 2


def test_a_time_scale_with_no_year_is_read_in_the_plans_year_and_noted(tmp_path: Path) -> None:
    """ "Summer term" and "Spring 2" name no year: read in the plan's year (its date, March
    2026), noted on import for the owner to check, and kept as written; the master, the RAG
    formatting and validation read them the same way."""
    from validation.run import validate_master

    text = SCHOOL_PLAN.replace(
        "Post-inspection action plan - Greenfield Primary School\n",
        "Post-inspection action plan - Greenfield Primary School\nMarch 2026\n",
    ).replace("Summer term 2026", "Summer term")
    plan, master = imported_master(tmp_path, text, "school.txt")
    assert plan.date_label == "March 2026"
    assert [it.timescale for it in plan.items] == ["Summer term", "Spring 2"]
    assert [it.due for it in plan.items] == [dt.date(2026, 7, 31), dt.date(2026, 3, 31)]
    (note,) = [n for n in plan.notes if "name no year" in n]
    assert "'Summer term' -> 31 Jul 2026" in note and "(2026)" in note
    assert [it.due for it in read_master(master).items] == [it.due for it in plan.items]
    found = validate_master(master, as_of=dt.date(2026, 1, 10))
    assert not [f for f in found.findings if "time-scale" in f.message and f.ref in ("1", "2")]


def test_the_master_and_the_copies_show_the_documents_own_titles(tmp_path: Path) -> None:
    """A council's plan reads "Recommendation" and "Lead Officer/EM", not our finding and lead
    titles, in the master and in each lead's copy; the copy's return still merges by them."""
    plan, master = imported_master(tmp_path, SCRUTINY_TRACKER, "tracker.txt")
    header = next(row for row in sheets(master)[SHEET_PLAN] if row and row[0] == "Ref")
    # the document's columns in its order (its Reference is our Ref), then the columns the cycle
    # needs and it lacks (its "Exec Date" is a date of its own, not a time-scale), then Due
    document = SCRUTINY_TRACKER.splitlines()[2].split("\t")
    assert [t for t in header if t] == ["Ref", *document[1:], "Action", "Time-scale", "Due"]
    assert read_master(master).items == plan.items
    run = issue_copies(master, tmp_path / "copies", when=ISSUED)
    copy = next(c for c in run.copies if c.lead == "DM")
    titles = next(row for row in sheets(copy.path)[SHEET_PLAN] if row and row[0] == "Ref")
    assert "Recommendation" in titles and "Lead Officer/EM" in titles
    ret = tmp_path / "returns" / "DM.xlsx"
    ret.parent.mkdir()
    fill_copy(copy.path, ret, {copy.refs[0]: Answer("GREEN", "Published every month now.")})
    done = merge_returns(master, [ret], when=MERGED)
    assert done.changes.exit_code == 0, done.changes.to_dict()
    assert read_master(master).item(copy.refs[0]).status == "GREEN"


def test_the_cqc_plans_key_makes_complete_green() -> None:
    plan = import_text(CQC_PLAN, "cqc.txt")
    assert plan.rag_key.codes == ("RED", "AMBER", "GREEN", "BLUE")
    assert plan.rag_key.normalise("Complete") == "GREEN"
    assert plan.rag_key.normalise("Complete & peer checked") == "BLUE"
    assert plan.rag_key.normalise("On track") == "AMBER"
    assert [it.status for it in plan.items] == ["AMBER", "GREEN"]


def test_issue_adds_a_lead_named_in_a_lead_cell_to_the_leads_sheet(tmp_path: Path) -> None:
    """A name typed into a Lead cell after import gets its code from the register when copies
    are issued, and the Leads sheet gains that row, so the code stays theirs and the owner can
    add an email; validation then knows the lead."""
    from validation.run import validate_master

    _, master = imported_master(tmp_path, FOOTNOTED_PLAN, "footnoted.txt")
    type_in_first_item(master, "Lead Officer[v]", "Priya Patel")
    run = issue_copies(master, tmp_path / "copies", when=ISSUED)
    assert "PP" in {c.lead for c in run.copies}
    leads = {lead.code: lead.name for lead in read_master(master).leads}
    assert leads["PP"] == "Priya Patel" and leads["SJ2"] == "Simon Jenkins"
    found = validate_master(master, as_of=MERGED.date())
    assert not [f for f in found.findings if f.code == "unknown-lead"]
    again = issue_copies(master, tmp_path / "copies again", when=MERGED)
    assert {c.lead for c in again.copies} == {c.lead for c in run.copies}
    assert len(read_master(master).leads) == len(leads)  # not added twice
