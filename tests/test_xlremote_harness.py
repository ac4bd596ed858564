"""The remote-engine harness itself (tests/xlremote.py): a workbook goes to xlwings' remote engine
as the Office.js client would send it, a handler works on it through the Book API, and the actions
it returns are applied to a copy of the file as the client would apply them in Excel."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from openpyxl.comments import Comment
from openpyxl.utils.datetime import to_excel
from openpyxl.workbook.defined_name import DefinedName
from python_calamine import CalamineWorkbook
from xlremote import (
    SUPPORTED_ACTIONS,
    Alert,
    LocaleDependentValue,
    apply_actions,
    number_format_category,
    payload_from_workbook,
    remote_book,
    xlremote,  # noqa: F401 - the fixture
)

pytestmark = pytest.mark.usefixtures("xlremote")

JAN_15 = dt.datetime(2024, 1, 15)
FEB_1 = dt.datetime(2024, 2, 1)
FEB_3_1030 = dt.datetime(2024, 2, 3, 10, 30)


def make_book(path: Path) -> Path:
    """Data (visible: text, numbers, dates under a built-in and under custom formats, blanks, a
    boolean, a formula-looking text), Notes (hidden), Secret (veryHidden)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Data"
    ws.append(["ID", "Title", "Due", "Done", "Score", "Open"])
    ws.append(["A1", "Fix roof", JAN_15, None, 3, True])
    ws.append(["A2", "=not a formula", FEB_1, FEB_3_1030, 2.5, False])
    ws.append([])
    ws.append(["A4", "Last", None, None, 7, None])
    ws["B3"].data_type = "s"  # text, as the product's writers store user text
    ws["C2"].number_format = "mm-dd-yy"  # built-in id 14: Excel's "Date" category
    ws["C3"].number_format = "dd-mmm-yy"  # custom: Excel's "Custom" category
    ws["D3"].number_format = "yyyy-mm-dd hh:mm"
    ws["F1"].comment = Comment("true while open", "test")
    wb.defined_names["Scores"] = DefinedName("Scores", attr_text="Data!$E$2:$E$5")
    notes = wb.create_sheet("Notes")
    notes["A1"] = "hidden sheet"
    notes.sheet_state = "hidden"
    secret = wb.create_sheet("Secret")
    secret["B2"] = "very hidden"
    secret.sheet_state = "veryHidden"
    wb.active = 0
    wb.save(path)
    return path


# --- Payload ------------------------------------------------------------------------------------


def test_payload_is_what_the_office_js_client_sends(tmp_path: Path) -> None:
    payload = payload_from_workbook(make_book(tmp_path / "plan.xlsx"))
    import xlwings as xw

    assert payload["client"] == "Office.js"
    assert payload["version"] == xw.__version__
    assert payload["book"] == {
        "name": "plan.xlsx",
        "active_sheet_index": 0,
        "selection": "A1",
        "calculation": "Automatic",
    }
    assert payload["names"] == [
        {
            "name": "Scores",
            "sheet_index": 0,
            "address": "E2:E5",
            "scope_sheet_name": None,
            "scope_sheet_index": None,
            "book_scope": True,
        }
    ]
    data, notes, secret = payload["sheets"]
    assert [s["name"] for s in payload["sheets"]] == ["Data", "Notes", "Secret"]
    assert [s["visibility"] for s in payload["sheets"]] == ["Visible", "Hidden", "VeryHidden"]
    assert data["values"] == [
        ["ID", "Title", "Due", "Done", "Score", "Open"],
        # empty cell: ""; integral number: int; built-in date format: ISO string
        ["A1", "Fix roof", "2024-01-15T00:00:00.000Z", "", 3, True],
        # custom date formats: the serial number; formula-looking text: the text
        ["A2", "=not a formula", 45323, 45325.4375, 2.5, False],
        ["", "", "", "", "", ""],
        ["A4", "Last", "", "", 7, ""],
    ]
    assert (data["used_range_address"], data["used_range_row_count"]) == ("A1:F5", 5)
    assert data["used_range_column_count"] == 6
    assert data["notes"] == [{"address": "F1"}]
    assert notes["values"] == [["hidden sheet"]]
    # values run from A1 to the last cell of the values-only used range
    assert secret["values"] == [["", ""], ["", "very hidden"]]
    assert secret["used_range_address"] == "B2"


def test_custom_date_formats_can_be_sent_as_dates(tmp_path: Path) -> None:
    payload = payload_from_workbook(make_book(tmp_path / "plan.xlsx"), custom_dates="iso")
    assert payload["sheets"][0]["values"][2][2:4] == [
        "2024-02-01T00:00:00.000Z",
        "2024-02-03T10:30:00.000Z",
    ]


@pytest.mark.parametrize(
    ("number_format", "category"),
    [
        ("General", "Other"),
        ("0.00", "Other"),
        ("mm-dd-yy", "Date"),
        ("d-mmm-yy", "Date"),
        ("m/d/yy h:mm", "Date"),
        ("h:mm", "Time"),
        ("[$-409]d-mmm-yy;@", "Date"),
        ("yyyy-mm-dd;@", "Date"),
        ("[$-F400]h:mm:ss AM/PM", "Time"),
        ("dd-mmm-yy", "Other"),
        ("yyyy-mm-dd hh:mm", "Other"),
    ],
)
def test_number_format_categories(number_format: str, category: str) -> None:
    assert number_format_category(number_format) == category


def test_payload_options(tmp_path: Path) -> None:
    path = make_book(tmp_path / "plan.xlsx")
    payload = payload_from_workbook(path, book_name="Plan (live).xlsx", active_sheet="Notes")
    assert payload["book"]["name"] == "Plan (live).xlsx"
    assert payload["book"]["active_sheet_index"] == 1


def test_a_formula_without_a_cached_value_is_refused(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    wb.active["A1"] = "=1+1"
    wb.save(tmp_path / "f.xlsx")
    with pytest.raises(ValueError, match=r"Sheet!A1 holds '=1\+1' with no cached value"):
        payload_from_workbook(tmp_path / "f.xlsx")


# --- Reading through the remote engine ----------------------------------------------------------


def remote_from_calamine(value: Any, number_format: str) -> Any:
    """A python-calamine value as the remote engine gives the same cell, for the default
    custom_dates="serial": an empty cell (and an error, which calamine reads as "") is None;
    an integral number is an int (JSON); a date, datetime or time under a "Date"/"Time" format
    is a datetime (a time on 1899-12-30); under any other (custom) date format, it is the
    serial number."""
    if value == "":
        return None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dt.date | dt.time | dt.timedelta) and not isinstance(value, bool):
        if number_format_category(number_format) == "Other":
            serial = to_excel(value)
            return int(serial) if float(serial).is_integer() else serial
        if isinstance(value, dt.datetime):
            return value
        if isinstance(value, dt.date):
            return dt.datetime.combine(value, dt.time())
        if isinstance(value, dt.time):
            return dt.datetime.combine(dt.date(1899, 12, 30), value)
    return value


def test_remote_values_are_calamines_modulo_the_documented_mapping(tmp_path: Path) -> None:
    path = make_book(tmp_path / "plan.xlsx")
    wb = openpyxl.load_workbook(path)
    wb["Data"]["G2"] = dt.time(10, 30)
    wb["Data"]["G2"].number_format = "h:mm"
    wb["Data"]["G3"] = "#N/A"  # an error cell
    wb["Data"]["H2"] = 1e-3
    wb.save(path)
    book = remote_book(path)
    calamine = CalamineWorkbook.from_path(path)
    for sheet in wb.worksheets:
        grid = calamine.get_sheet_by_name(sheet.title).to_python()  # from the first used cell
        used = book.sheets[sheet.title].used_range
        top, left = used.row, used.column
        expected = [
            [
                remote_from_calamine(v, sheet.cell(top + r, left + c).number_format)
                for c, v in enumerate(row)
            ]
            for r, row in enumerate(grid)
        ]
        assert used.options(ndim=2).value == expected, sheet.title
    assert book.sheets["Data"]["C2:D3"].value == [[JAN_15, None], [45323, 45325.4375]]
    assert [s.visible for s in book.sheets] == [True, False, False]


# --- A handler's round trip ---------------------------------------------------------------------


def tiny_handler(book: Any) -> None:
    """Reads the Data grid, writes a total, a date, a formula and a text that starts with "=",
    formats, adds a sheet after Data with a log and hides it, says it is done."""
    data = book.sheets["Data"]
    grid = data.used_range.value
    total = sum(row[4] for row in grid[1:] if isinstance(row[4], int | float))
    data.range((len(grid) + 1, 1)).value = [["Total", None, None, None, total]]
    data.range("C5").value = dt.date(2024, 3, 1)
    data.range("G1:G3").value = [["Check"], ["=E2*2"], ["'=E2*2 is a formula"]]
    data.range("E2:E6").number_format = "0.00"
    data.range("A1").row_height = 30
    log = book.sheets.add("Log", after=data)
    log.range("A1").value = [["When", "What"], [dt.datetime(2024, 3, 1, 10, 30), "total"]]
    log.visible = False
    book.app.alert("Done", title="Action plan")


def test_a_handler_round_trip(tmp_path: Path) -> None:
    src = make_book(tmp_path / "plan.xlsx")
    book = remote_book(src)
    tiny_handler(book)
    actions = book.json()["actions"]
    assert [(a["func"], a["sheet_position"]) for a in actions] == [
        ("setValues", 0),
        ("setValues", 0),
        ("setValues", 0),
        ("setNumberFormat", 0),
        ("setRowHeight", 0),
        ("addSheet", None),
        ("setValues", 1),
        ("setSheetVisibility", 1),
        ("alert", None),
    ]
    assert actions[0]["values"] == [["Total", "", "", "", 12.5]]  # None clears a cell
    assert actions[0]["start_row"] == 5  # 0-based: Excel row 6
    assert actions[1]["values"] == [["2024-03-01"]]  # dates travel as ISO text
    assert actions[5]["args"] == [1, "Log"]  # 0-based position, after Data
    assert actions[6]["values"] == [["When", "What"], ["2024-03-01 10:30:00", "total"]]
    assert actions[7]["args"] == ["Hidden"]

    dst = tmp_path / "after.xlsx"
    alerts = apply_actions(src, book.json(), dst)
    assert alerts == [Alert("Done", "Action plan", "ok", "", "")]

    calamine = CalamineWorkbook.from_path(dst)
    assert calamine.sheet_names == ["Data", "Log", "Notes", "Secret"]
    assert calamine.get_sheet_by_name("Data").to_python(skip_empty_area=False) == [
        ["ID", "Title", "Due", "Done", "Score", "Open", "Check"],
        ["A1", "Fix roof", JAN_15.date(), "", 3.0, True, ""],  # a formula, not calculated
        ["A2", "=not a formula", FEB_1.date(), FEB_3_1030, 2.5, False, "=E2*2 is a formula"],
        ["", "", "", "", "", "", ""],
        ["A4", "Last", dt.date(2024, 3, 1), "", 7.0, "", ""],
        ["Total", "", "", "", 12.5, "", ""],
    ]
    assert calamine.get_sheet_by_name("Log").to_python() == [
        ["When", "What"],
        [dt.datetime(2024, 3, 1, 10, 30), "total"],
    ]

    wb = openpyxl.load_workbook(dst)
    states = [(ws.title, ws.sheet_state) for ws in wb.worksheets]
    assert states == [
        ("Data", "visible"),
        ("Log", "hidden"),
        ("Notes", "hidden"),
        ("Secret", "veryHidden"),
    ]
    assert wb.active.title == "Data"
    data = wb["Data"]
    assert (data["G2"].value, data["G2"].data_type) == ("=E2*2", "f")
    assert (data["G3"].value, data["G3"].data_type) == ("=E2*2 is a formula", "s")
    assert data["G3"].quotePrefix
    assert (data["C5"].value, data["C5"].number_format) == (dt.datetime(2024, 3, 1), "mm-dd-yy")
    assert [data.cell(r, 5).number_format for r in range(1, 8)] == [
        "General",
        *["0.00"] * 5,
        "General",
    ]
    assert data.row_dimensions[1].height == 30
    assert wb["Log"]["A2"].number_format == "m/d/yy h:mm"
    assert wb.defined_names["Scores"].attr_text == "Data!$E$2:$E$5"


def test_unknown_actions_are_refused(tmp_path: Path) -> None:
    src = make_book(tmp_path / "plan.xlsx")
    book = remote_book(src)
    book.sheets["Data"].range("A1:B2").autofit()  # Excel's autofit cannot be modelled
    with pytest.raises(NotImplementedError, match="'setAutofit'"):
        apply_actions(src, book.json(), tmp_path / "out.xlsx")
    bogus = [{"func": "frobnicate", "args": [], "sheet_position": 0}]
    with pytest.raises(NotImplementedError, match="'frobnicate'"):
        apply_actions(src, bogus, tmp_path / "out.xlsx")
    assert "setAutofit" not in SUPPORTED_ACTIONS
    assert not (tmp_path / "out.xlsx").exists()


@pytest.mark.parametrize(
    ("written", "stored", "data_type", "number_format"),
    [
        ("007", 7, "n", "General"),  # Excel takes number-like text for a number ...
        ("'007", "007", "s", "General"),  # ... unless an apostrophe marks it as text
        ("10%", 0.1, "n", "0%"),
        ("TRUE", True, "b", "General"),
        ("#N/A", "#N/A", "e", "General"),
        ("- see notes", "=- see notes", "f", "General"),  # "-" or "+" starts a formula
        ("'- see notes", "- see notes", "s", "General"),
        ("2024-03-01", dt.datetime(2024, 3, 1), "d", "mm-dd-yy"),  # a date serial ...
        ("10:30", dt.time(10, 30), "d", "h:mm"),  # ... as openpyxl reads it back
        ("plain text", "plain text", "s", "General"),
    ],
)
def test_text_is_stored_as_excel_stores_typed_input(
    tmp_path: Path, written: str, stored: object, data_type: str, number_format: str
) -> None:
    src = make_book(tmp_path / "plan.xlsx")
    book = remote_book(src)
    book.sheets["Data"]["H1"].value = written
    apply_actions(src, book.json(), tmp_path / "out.xlsx")
    cell = openpyxl.load_workbook(tmp_path / "out.xlsx")["Data"]["H1"]
    assert (cell.value, cell.data_type, cell.number_format) == (stored, data_type, number_format)


def test_a_cell_formatted_as_text_keeps_the_text(tmp_path: Path) -> None:
    src = make_book(tmp_path / "plan.xlsx")
    book = remote_book(src)
    book.sheets["Data"]["H1:H2"].number_format = "@"
    book.sheets["Data"]["H1:H2"].value = [["007"], ["=1+1"]]
    apply_actions(src, book.json(), tmp_path / "out.xlsx")
    ws = openpyxl.load_workbook(tmp_path / "out.xlsx")["Data"]
    assert [(c.value, c.data_type) for c in (ws["H1"], ws["H2"])] == [("007", "s"), ("=1+1", "s")]


@pytest.mark.parametrize("written", ["1/2", "1.2.3", "3 Mar", "Mar 2024", "£5", "1,000"])
def test_text_that_excel_reads_by_locale_is_refused(tmp_path: Path, written: str) -> None:
    src = make_book(tmp_path / "plan.xlsx")
    book = remote_book(src)
    book.sheets["Data"]["H1"].value = written
    with pytest.raises(LocaleDependentValue):
        apply_actions(src, book.json(), tmp_path / "out.xlsx")


def test_formats_rules_and_sheet_changes(tmp_path: Path) -> None:
    src = make_book(tmp_path / "plan.xlsx")
    book = remote_book(src)
    data = book.sheets["Data"]
    data["B:B"].column_width = 105  # points on this engine (characters on desktop Excel)
    data["A1:F1"].font.bold = True
    data["A1:F1"].color = "#D9D9D9"
    data["B2:B5"].wrap_text = True
    data["E2:E5"].conditional_formats.add_cell_value("less_than", 3, fill_color="#FFC7CE")
    data["F2:F5"].data_validation.set_list(["TRUE", "FALSE"])
    data["A3"].rows.hidden = True
    book.sheets["Notes"].name = "Notes (old)"
    book.sheets["Secret"].visible = True
    apply_actions(src, book.json(), tmp_path / "out.xlsx")

    wb = openpyxl.load_workbook(tmp_path / "out.xlsx")
    ws = wb["Data"]
    assert ws.column_dimensions["B"].width == pytest.approx(20.0)  # 140 px / 7 px per digit
    assert ws["A1"].font.b and ws["F1"].font.b and not ws["A2"].font.b
    assert ws["C1"].fill.fgColor.rgb == "FFD9D9D9"
    assert ws["B4"].alignment.wrap_text
    (rules,) = list(ws.conditional_formatting)
    assert str(rules.sqref) == "E2:E5"
    assert [(r.type, r.operator, r.formula) for r in rules.rules] == [("cellIs", "lessThan", ["3"])]
    assert rules.rules[0].dxf.fill.bgColor.rgb == "FFFFC7CE"
    (dv,) = ws.data_validations.dataValidation
    assert (dv.type, dv.formula1, str(dv.sqref)) == ("list", '"TRUE,FALSE"', "F2:F5")
    assert ws.row_dimensions[3].hidden
    assert [(s.title, s.sheet_state) for s in wb.worksheets] == [
        ("Data", "visible"),
        ("Notes (old)", "hidden"),
        ("Secret", "visible"),
    ]


def test_excel_refusals_are_errors(tmp_path: Path) -> None:
    src = make_book(tmp_path / "plan.xlsx")
    book = remote_book(src)
    book.sheets["Data"].visible = False  # the only visible sheet
    with pytest.raises(ValueError, match="at least one visible sheet"):
        apply_actions(src, book.json(), tmp_path / "out.xlsx")
    book = remote_book(src)
    book.sheets["Notes"].name = "data"  # sheet names are unique regardless of case
    with pytest.raises(ValueError, match="already exists"):
        apply_actions(src, book.json(), tmp_path / "out.xlsx")


def test_a_large_sheet_round_trips(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Action Plan"
    ws.append(["ID", "Action", "Due", "Status"])
    for i in range(2000):
        ws.append([f"1.{i}", f"Action {i} " * 5, JAN_15 + dt.timedelta(days=i), "Open"])
        ws.cell(i + 2, 1).data_type = "s"
    wb.save(tmp_path / "big.xlsx")
    book = remote_book(tmp_path / "big.xlsx")
    sheet = book.sheets["Action Plan"]
    grid = sheet.used_range.value
    assert len(grid) == 2001 and grid[-1][0] == "1.1999"
    assert grid[1][2] == to_excel(JAN_15)  # openpyxl's default date format is custom
    sheet.range((2, 4), (2001, 4)).value = [["Closed"] if i % 2 else ["Open"] for i in range(2000)]
    apply_actions(tmp_path / "big.xlsx", book.json(), tmp_path / "out.xlsx")
    out = CalamineWorkbook.from_path(tmp_path / "out.xlsx").get_sheet_by_name("Action Plan")
    column = [row[3] for row in out.to_python()[1:]]
    assert column == ["Closed" if i % 2 else "Open" for i in range(2000)]


# --- xlwings' remote engine as it is (pins behaviour the handlers must work around) -------------


def test_alerts_go_to_the_book_opened_last(tmp_path: Path) -> None:
    first = remote_book(make_book(tmp_path / "a.xlsx"))
    second = remote_book(make_book(tmp_path / "b.xlsx"))
    first.app.alert("for the first book")
    assert first.json()["actions"] == []
    assert [a["func"] for a in second.json()["actions"]] == ["alert"]


def test_adding_a_sheet_before_another_lands_one_too_early(tmp_path: Path) -> None:
    book = remote_book(make_book(tmp_path / "plan.xlsx"))
    book.sheets.add("New", before=book.sheets["Secret"])
    assert [s.name for s in book.sheets] == ["Data", "New", "Notes", "Secret"]
    assert book.json()["actions"][0]["args"] == [1, "New"]
