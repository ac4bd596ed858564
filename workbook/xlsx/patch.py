"""Change-only writes to an .xlsx file: set cells, append rows and add sheets at the zip/XML level.

openpyxl rebuilds the whole workbook from its own model: slow for a large master, and whatever it
does not model (x14 conditional formats in extLst, images, slicers, anything Excel added) is lost.
Here only the parts that must change are parsed and re-serialised: the worksheets written to, and
styles.xml, workbook.xml, the workbook's relationships and [Content_Types].xml only when a new style
or sheet needs them. Every other zip member is copied unchanged, under the same name and in the same
order. Strings are written inline, so sharedStrings.xml is never read.

lxml (not xml.etree) keeps the namespace prefixes and `mc:Ignorable` declarations Excel relies on.
"""

from __future__ import annotations

import bisect
import copy
import datetime as dt
import io
import math
import posixpath
import re
import zipfile
import zlib
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path, PurePath

from lxml import etree

from workbook import clock
from workbook.errors import MasterError
from workbook.formatting.sizes import DATE_FORMAT, HEADER_FILL_COLOUR, TIMESTAMP_FORMAT
from workbook.plan.text import cell_safe, excel_length
from workbook.xlsx.cells import cell_range_bounds, column_letter, column_number, excel_escape
from workbook.xlsx.formats import FormatRule, FormatsApplied, Note, ReportSheet, SheetFormats
from workbook.xlsx.numbers import BUILTIN_FORMAT_IDS

Value = str | int | float | bool | dt.date | dt.datetime | None


def cell_value(value: object) -> Value:
    """`value` as a cell can hold it: text (an enum's or a path's as its text), a number, a truth
    value, a date or a timestamp, or None; anything else is a programming error."""
    if value is None or isinstance(value, bool | int | float | dt.date):
        return value
    if isinstance(value, str):
        return str(value)
    if isinstance(value, PurePath):
        return str(value)
    raise TypeError(f"a {type(value).__name__} cannot be written to a cell")


MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_STRICT_NS = "http://purl.oclc.org/ooxml/spreadsheetml/main"
_DOC_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
_XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
_R_ID = f"{{{_DOC_REL_NS}}}id"

_RT_WORKSHEET = f"{_DOC_REL_NS}/worksheet"
_RT_STYLES = f"{_DOC_REL_NS}/styles"
_RT_CALC_CHAIN = f"{_DOC_REL_NS}/calcChain"
_RT_OFFICE_DOCUMENT = f"{_DOC_REL_NS}/officeDocument"
_RT_COMMENTS = f"{_DOC_REL_NS}/comments"
_RT_VML = f"{_DOC_REL_NS}/vmlDrawing"
_CT_WORKSHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
_CT_COMMENTS = "application/vnd.openxmlformats-officedocument.spreadsheetml.comments+xml"
_CT_VML = "application/vnd.openxmlformats-officedocument.vmlDrawing"

#: The order the schema gives the children of a worksheet, a workbook and a style sheet: Excel
#: refuses a file with them out of order.
_WORKSHEET_ORDER = (
    "sheetPr", "dimension", "sheetViews", "sheetFormatPr", "cols", "sheetData", "sheetCalcPr",
    "sheetProtection", "protectedRanges", "scenarios", "autoFilter", "sortState",
    "dataConsolidate", "customSheetViews", "mergeCells", "phoneticPr", "conditionalFormatting",
    "dataValidations", "hyperlinks", "printOptions", "pageMargins", "pageSetup", "headerFooter",
    "rowBreaks", "colBreaks", "customProperties", "cellWatches", "ignoredErrors", "smartTags",
    "drawing", "legacyDrawing", "legacyDrawingHF", "drawingHF", "picture", "oleObjects",
    "controls", "webPublishItems", "tableParts", "extLst",
)  # fmt: skip
_WORKBOOK_ORDER = (
    "fileVersion", "fileSharing", "workbookPr", "workbookProtection", "bookViews", "sheets",
    "functionGroups", "externalReferences", "definedNames", "calcPr", "oleSize",
    "customWorkbookViews", "pivotCaches", "smartTagPr", "smartTagTypes", "webPublishing",
    "fileRecoveryPr", "webPublishObjects", "extLst",
)  # fmt: skip
_STYLESHEET_ORDER = (
    "numFmts", "fonts", "fills", "borders", "cellStyleXfs", "cellXfs", "cellStyles", "dxfs",
    "tableStyles", "colors", "extLst",
)  # fmt: skip
#: How a report sheet's column titles and links look: the master's title fill, and the blue
#: underlined text Excel gives a hyperlink.
_HEADER_FILL = HEADER_FILL_COLOUR
_LINK_COLOUR = "0563C1"


def _q(local: str) -> str:
    return f"{{{MAIN_NS}}}{local}"


_ROW, _C, _V, _F, _IS, _T = (_q(n) for n in ("row", "c", "v", "f", "is", "t"))
_REL = f"{{{_PKG_REL_NS}}}Relationship"

MAX_ROW = 1_048_576
MAX_COL = 16_384
MAX_ROW_HEIGHT = 409  # points
#: Excel's limit on the characters in one cell.
MAX_CELL_CHARS = 32_767
SHEET_STATES = ("visible", "hidden", "veryHidden")

_EPOCH_1900 = dt.datetime(1899, 12, 30)
_EPOCH_1904 = dt.datetime(1904, 1, 1)

# XML 1.0 cannot carry these at all; lxml would refuse the whole string.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_CELL_REF = re.compile(r"([A-Za-z]{1,3})(\d+)")
_FILTER_DB = "_xlnm._FilterDatabase"
_PRINT_TITLES = "_xlnm.Print_Titles"
_RANGE_END_ROW = re.compile(r"^(.*:\$?[A-Za-z]{1,3}\$?)(\d+)$")
_NOT_XLSX_FIX = "open it in Excel and save it as Excel Workbook (*.xlsx)"


class PatchError(MasterError):
    """The workbook cannot be patched as asked (not an .xlsx, no such sheet, a bad name...)."""


@dataclass(frozen=True)
class CellStyle:
    """How an appended or new cell looks. The workbook's default font (font 0) is used, bold when
    asked."""

    number_format: str | None = None  # e.g. "dd-mmm-yy", "yyyy-mm-dd hh:mm"; None = General
    wrap: bool = False
    bold: bool = False
    vertical: str | None = "top"
    horizontal: str | None = None  # "left", "center", ...
    font_colour: str | None = None  # RRGGBB; None = the default font's
    underline: bool = False
    fill: str | None = None  # RRGGBB of a solid fill; None = no fill


@dataclass
class _SheetEntry:
    """One <sheet> of workbook.xml and the part that holds it."""

    name: str
    element: etree._Element
    part: str | None
    is_worksheet: bool


class _Worksheet:
    """A parsed worksheet part, with its rows indexed by number."""

    def __init__(self, root: etree._Element, part: str) -> None:
        self.root = root
        self.part = part
        data = root.find(_q("sheetData"))
        if data is None:
            raise PatchError(
                f"worksheet part {part} has no sheetData; open it in Excel and save it"
            )
        self.data = data
        self.rows: dict[int, etree._Element] = {}
        number = 0
        for row in data.iterchildren(_ROW):
            r = row.get("r")
            # "r" is optional in the schema: a row without it follows the one before
            number = int(r) if r else number + 1
            if not r:
                row.set("r", str(number))
            self.rows[number] = row
        self.order = sorted(self.rows)
        self.dirty = False
        self.bounds: tuple[int, int, int, int] | None = None  # min_col, min_row, max_col, max_row
        # Rows appended below everything else, kept as serialised XML until the part is written:
        # building tens of thousands of cells as lxml elements costs ~10x the time and memory.
        self.pending: list[str] = []
        self.pending_top = 0  # the highest row number in `pending`
        self.pending_last_value = 0  # the highest row in `pending` holding a value

    @property
    def top(self) -> int:
        """The highest row number with a <row>, pending or parsed."""
        return max(self.order[-1] if self.order else 0, self.pending_top)

    def flush(self) -> None:
        """Turn pending rows into elements, for an edit that needs the tree."""
        if not self.pending:
            return
        prefix = self.data.prefix
        ns = " ".join(f'xmlns{":" + k if k else ""}="{v}"' for k, v in self.data.nsmap.items())
        tag = f"{prefix}:sheetData" if prefix else "sheetData"
        fragment = etree.fromstring(f"<{tag} {ns}>{''.join(self.pending)}</{tag}>".encode())
        for row in list(fragment):
            number = int(row.get("r"))
            self.data.append(row)
            self.rows[number] = row
            self.order.append(number)
        self.pending.clear()
        self.pending_top = self.pending_last_value = 0

    def pending_xml(self, serialised: bytes) -> bytes:
        """`serialised` (this part as lxml wrote it) with the pending rows at the end of
        sheetData."""
        if not self.pending:
            return serialised
        rows = "".join(self.pending).encode("utf-8")
        tag = (f"{self.data.prefix}:sheetData" if self.data.prefix else "sheetData").encode()
        close = b"</" + tag + b">"
        at = serialised.find(close)
        if at >= 0:
            return serialised[:at] + rows + serialised[at:]
        empty = re.search(rb"<" + re.escape(tag) + rb"(\s[^>]*)?/>", serialised)
        if empty is None:
            raise PatchError(f"worksheet part {self.part} lost its sheetData")
        opened = empty.group(0)[:-2] + b">"
        return serialised[: empty.start()] + opened + rows + close + serialised[empty.end() :]

    def row(self, number: int, *, create: bool) -> etree._Element | None:
        self.flush()
        row = self.rows.get(number)
        if row is not None or not create:
            return row
        row = self.data.makeelement(_ROW, {"r": str(number)})
        at = bisect.bisect(self.order, number)
        if at == len(self.order):
            self.data.append(row)
        else:
            self.rows[self.order[at]].addprevious(row)
        self.order.insert(at, number)
        self.rows[number] = row
        self.dirty = True
        return row

    def cell(self, row: int, col: int, *, create: bool) -> tuple[etree._Element | None, bool]:
        """The <c> at (row, col), and whether it was created now."""
        row_el = self.row(row, create=create)
        if row_el is None:
            return None, False
        before = None
        prev_col = 0
        for c in row_el.iterchildren(_C):
            ref = c.get("r")
            if ref:
                this_col = _column_of(ref) or prev_col + 1
            else:
                # like rows, a cell without "r" follows the one before; name it so ours can't clash
                this_col = prev_col + 1
                c.set("r", f"{column_letter(this_col)}{row}")
            if this_col == col:
                return c, False
            if this_col > col:
                before = c
                break
            prev_col = this_col
        if not create:
            return None, False
        c = row_el.makeelement(_C, {"r": f"{column_letter(col)}{row}"})
        if before is not None:
            before.addprevious(c)
        elif len(row_el) and row_el[-1].tag != _C:  # keep a row-level extLst last
            row_el[-1].addprevious(c)
        else:
            row_el.append(c)
        self.touch_row(row_el)
        return c, True

    def touch_row(self, row_el: etree._Element) -> None:
        # spans is only a load hint; once cells change it may be wrong, and absent is valid
        row_el.attrib.pop("spans", None)
        self.dirty = True

    def grow(self, row: int, col: int) -> None:
        if self.bounds is None:
            self.bounds = (col, row, col, row)
        else:
            c0, r0, c1, r1 = self.bounds
            self.bounds = (min(c0, col), min(r0, row), max(c1, col), max(r1, row))

    def last_row(self) -> int:
        if self.pending_last_value:
            return self.pending_last_value
        for number in reversed(self.order):
            if any(_has_value(c) for c in self.rows[number].iterchildren(_C)):
                return number
        return 0

    def finish(self) -> None:
        """Widen <dimension ref> to the cells written."""
        dim = self.root.find(_q("dimension"))
        if dim is None or self.bounds is None:
            return
        c0, r0, c1, r1 = self.bounds
        try:
            old = cell_range_bounds(dim.get("ref", "").split()[0].replace("$", ""))
        except (ValueError, TypeError, IndexError):
            old = None
        if old and None not in old:
            c0, r0 = min(c0, old[0]), min(r0, old[1])
            c1, r1 = max(c1, old[2]), max(r1, old[3])
        first, last = f"{column_letter(c0)}{r0}", f"{column_letter(c1)}{r1}"
        dim.set("ref", first if first == last else f"{first}:{last}")


def _has_value(c: etree._Element) -> bool:
    for child in c:
        if child.tag == _F:
            return True
        if child.tag == _V and child.text:
            return True
        if child.tag == _IS and "".join(child.itertext()):
            return True
    return False


class XlsxPatch:
    """An .xlsx file held in memory, changed cell by cell and written back part by part."""

    def __init__(self, data: bytes) -> None:
        self._load(data, "the file")

    @classmethod
    def open(cls, path: Path) -> XlsxPatch:
        """The workbook at `path`; error messages then name the file."""
        path = Path(path)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise PatchError(f"cannot read {path}: {exc.strerror or exc}") from exc
        patch = cls.__new__(cls)
        patch._load(data, str(path))
        return patch

    # --- loading ------------------------------------------------------------------------------

    def _load(self, data: bytes, label: str) -> None:
        self._label = label
        # one parser per workbook: lxml parsers must not be shared between threads
        self._parser = etree.XMLParser(
            resolve_entities=False, no_network=True, huge_tree=True, remove_blank_text=False
        )
        if data[:4] == b"\xd0\xcf\x11\xe0":
            raise PatchError(
                f"{label} is not an .xlsx workbook (it is an Excel 97-2003 .xls file or is "
                f"password-protected); remove any password, then {_NOT_XLSX_FIX}"
            )
        try:
            self._zip = zipfile.ZipFile(io.BytesIO(data))
        except zipfile.BadZipFile as exc:
            raise PatchError(f"{label} is not an .xlsx workbook; {_NOT_XLSX_FIX}") from exc
        self._infos = self._zip.infolist()
        # part names are case-insensitive in the package format
        self._names = {info.filename.casefold(): info.filename for info in self._infos}
        self._parsed: dict[str, etree._Element] = {}
        self._dirty: set[str] = set()
        self._new: list[str] = []
        self._raw: dict[str, bytes] = {}  # parts that are not XML (VML drawings), as written
        self._removed: set[str] = set()
        self._worksheets: dict[str, _Worksheet] = {}
        self._by_name: dict[str, _Worksheet] = {}  # as callers spell the name
        self._xf_cache: dict[CellStyle, int] = {}
        self._calc_chain_dropped = False

        self._wb_part = self._main_part()
        wb = self._xml(self._wb_part)
        if etree.QName(wb).namespace == _STRICT_NS:
            raise PatchError(
                f"{label} is saved as Strict Open XML, which this tool cannot edit; {_NOT_XLSX_FIX}"
            )
        if etree.QName(wb).namespace != MAIN_NS:
            raise PatchError(f"{label} is not an .xlsx workbook; {_NOT_XLSX_FIX}")
        self._wb = wb
        self._wb_rels_part = _rels_part_of(self._wb_part)
        if self._member(self._wb_rels_part) is None:
            raise PatchError(
                f"{label} is not a complete .xlsx workbook (no {self._wb_rels_part}); "
                f"{_NOT_XLSX_FIX}"
            )
        self._wb_rels = self._xml(self._wb_rels_part)
        pr = wb.find(_q("workbookPr"))
        self._epoch = (
            _EPOCH_1904 if pr is not None and pr.get("date1904") in ("1", "true") else _EPOCH_1900
        )
        self._sheets: list[_SheetEntry] = []
        sheets = wb.find(_q("sheets"))
        for el in sheets.iterchildren(_q("sheet")) if sheets is not None else ():
            rel = self._relationship(el.get(_R_ID, ""))
            part = None
            if rel is not None and rel.get("TargetMode") != "External":
                part = self._member(_resolve(self._wb_part, rel.get("Target", "")))
            is_ws = rel is not None and rel.get("Type") == _RT_WORKSHEET and part is not None
            self._sheets.append(_SheetEntry(el.get("name", ""), el, part, is_ws))

    def _main_part(self) -> str:
        """The workbook part: where the package's relationships say, else xl/workbook.xml."""
        root_rels = self._member("_rels/.rels")
        if root_rels is not None:
            for rel in self._xml(root_rels).iterchildren(_REL):
                if rel.get("Type") == _RT_OFFICE_DOCUMENT:
                    part = self._member(_resolve("", rel.get("Target", "")))
                    if part is not None:
                        return part
        part = self._member("xl/workbook.xml")
        if part is None:
            raise PatchError(
                f"{self._label} is not an .xlsx workbook (it has no xl/workbook.xml); "
                f"{_NOT_XLSX_FIX}"
            )
        return part

    def _member(self, name: str) -> str | None:
        """The zip member called `name` (any case), if there is one."""
        return self._names.get(name.casefold())

    def _xml(self, part: str) -> etree._Element:
        root = self._parsed.get(part)
        if root is None:
            try:
                root = etree.fromstring(self._zip.read(part), self._parser)
            except etree.XMLSyntaxError as exc:
                msg = str(exc).splitlines()[0] if str(exc) else "syntax error"
                raise PatchError(
                    f"{self._label}: part {part} is not well-formed XML ({msg}); "
                    "open the file in Excel and save it again"
                ) from exc
            self._parsed[part] = root
        return root

    def _relationship(self, rid: str) -> etree._Element | None:
        for rel in self._wb_rels.iterchildren(_REL):
            if rel.get("Id") == rid:
                return rel
        return None

    # --- sheets -------------------------------------------------------------------------------

    @property
    def sheet_names(self) -> list[str]:
        """Every sheet's name in workbook order, hidden ones included."""
        return [s.name for s in self._sheets]

    def sheet_state(self, name: str) -> str:
        """The sheet's state: "visible", "hidden" or "veryHidden"."""
        return self._entry(name).element.get("state", "visible")

    def _entry(self, name: str) -> _SheetEntry:
        key = name.casefold()
        for entry in self._sheets:
            if entry.name.casefold() == key:
                return entry
        raise PatchError(f"no sheet {name!r} in the workbook")

    def _worksheet(self, name: str) -> _Worksheet:
        ws = self._by_name.get(name)
        if ws is not None:
            return ws
        ws = self._parse_worksheet(name)
        self._by_name[name] = ws
        return ws

    def _parse_worksheet(self, name: str) -> _Worksheet:
        entry = self._entry(name)
        if not entry.is_worksheet or entry.part is None:
            raise PatchError(f"sheet {entry.name!r} is not a worksheet (a chart or dialog sheet)")
        ws = self._worksheets.get(entry.part)
        if ws is None:
            ws = _Worksheet(self._xml(entry.part), entry.part)
            self._worksheets[entry.part] = ws
        return ws

    # --- cells --------------------------------------------------------------------------------

    def set_cell(
        self, sheet: str, row: int, col: int, value: Value, *, style: CellStyle | None = None
    ) -> None:
        """Write `value` at (row, col), 1-based. The cell keeps its style unless `style` is given;
        None clears the value but keeps the style. Any formula the cell had is removed.

        A date written with no number format (no style on a new cell, or a style whose
        number_format is None) gets the master's date or timestamp format, so it never shows as
        a bare serial number; an existing cell written without `style` keeps its own format.
        """
        _check_address(row, col)
        self._put(self._worksheet(sheet), row, col, value, style)

    def _put(
        self, ws: _Worksheet, row: int, col: int, value: Value, style: CellStyle | None
    ) -> None:
        text = _clean_text(value) if isinstance(value, str) else None
        c, created = ws.cell(row, col, create=value is not None or style is not None)
        if c is None:
            return
        if isinstance(value, dt.date) and (style is not None or created):
            style = _date_style(value, style)
        if style is not None:
            xf = self._xf(style)
            if xf:
                c.set("s", str(xf))
            else:
                c.attrib.pop("s", None)
        self._clear_value(ws, c)
        if value is not None:
            _write_value(c, value, text, self._epoch)
        ws.touch_row(c.getparent())
        ws.grow(row, col)

    def _clear_value(self, ws: _Worksheet, c: etree._Element) -> None:
        for child in list(c):
            if child.tag == _F:
                self._drop_formula(ws, c, child)
            if child.tag in (_F, _V, _IS):
                c.remove(child)
        # t types the old value; cm and vm point at metadata of the old formula or rich value
        for attr in ("t", "cm", "vm"):
            c.attrib.pop(attr, None)

    def _drop_formula(self, ws: _Worksheet, c: etree._Element, f: etree._Element) -> None:
        if f.get("t") == "shared" and f.get("ref") and f.text:
            # the other cells of a shared formula hold only its id: give each its own copy,
            # moved to its address, before the text they share disappears with this cell
            si = f.get("si")
            origin = c.get("r", "A1")
            for other in ws.root.iter(_F):
                if other is f or other.get("t") != "shared" or other.get("si") != si:
                    continue
                target = other.getparent().get("r", origin)
                from openpyxl.formula.translate import Translator  # rare: defer openpyxl

                moved = Translator("=" + f.text, origin=origin).translate_formula(target)
                other.text = moved[1:]
                for attr in ("t", "si", "ref"):
                    other.attrib.pop(attr, None)
        self._drop_calc_chain()

    def _drop_calc_chain(self) -> None:
        """Excel reports a damaged file when calcChain.xml lists a cell that no longer has a
        formula, and rebuilds the chain when the part is missing; so it goes."""
        if self._calc_chain_dropped:
            return
        self._calc_chain_dropped = True
        for rel in list(self._wb_rels.iterchildren(_REL)):
            if rel.get("Type") != _RT_CALC_CHAIN:
                continue
            part = self._member(_resolve(self._wb_part, rel.get("Target", "")))
            self._wb_rels.remove(rel)
            self._dirty.add(self._wb_rels_part)
            if part is not None:
                self._removed.add(part)
                self._remove_override(part)

    def row_height(self, sheet: str, row: int) -> float | None:
        """The height set on `row` in points, or None when it has the sheet's default."""
        _check_address(row, 1)
        row_el = self._worksheet(sheet).row(row, create=False)
        ht = row_el.get("ht") if row_el is not None else None
        try:
            return float(ht) if ht is not None else None
        except ValueError:
            return None

    def set_row_height(self, sheet: str, row: int, height: float) -> None:
        """Give `row` a fixed height in points."""
        _check_address(row, 1)
        self._set_height(self._worksheet(sheet), row, height)

    def _set_height(self, ws: _Worksheet, row: int, height: float) -> None:
        _check_height(height)
        row_el = ws.row(row, create=True)
        assert row_el is not None
        row_el.set("ht", _number(height))
        row_el.set("customHeight", "1")
        ws.touch_row(row_el)

    def last_row(self, sheet: str) -> int:
        """The highest row holding a cell with a value (or formula); 0 for an empty sheet."""
        return self._worksheet(sheet).last_row()

    def append_rows(
        self,
        sheet: str,
        rows: Sequence[Sequence[Value]],
        *,
        styles: Sequence[CellStyle | None] | None = None,
        heights: Sequence[float | None] | None = None,
    ) -> int:
        """Write `rows` below the last row with a value; return the first new row's number.

        `styles[i]` styles column i+1 and `heights[i]` sets row i's height. An autofilter that ended
        at the old last row grows to cover the new rows.
        """
        ws = self._worksheet(sheet)
        old_last = ws.last_row()
        first = old_last + 1
        if not rows:
            return first
        if ws.top < first:
            self._append_text(ws, first, rows, styles, heights)
        else:  # formatted empty rows below the data: edit them in place
            self._write_rows(ws, first, rows, styles, heights)
        new_last = first + len(rows) - 1
        self._grow_autofilter(sheet, ws, old_last, new_last)
        return first

    def _write_rows(
        self,
        ws: _Worksheet,
        first: int,
        rows: Sequence[Sequence[Value]],
        styles: Sequence[CellStyle | None] | None,
        heights: Sequence[float | None] | None,
    ) -> None:
        _check_address(first + len(rows) - 1, max((len(r) for r in rows), default=1) or 1)
        styles = styles or ()
        heights = heights or ()
        for i, values in enumerate(rows):
            number = first + i
            for j, value in enumerate(values):
                style = styles[j] if j < len(styles) else None
                if value is not None or style is not None:
                    self._put(ws, number, j + 1, value, style)
            height = heights[i] if i < len(heights) else None
            if height is not None:
                self._set_height(ws, number, height)

    def _append_text(
        self,
        ws: _Worksheet,
        first: int,
        rows: Sequence[Sequence[Value]],
        styles: Sequence[CellStyle | None] | None,
        heights: Sequence[float | None] | None,
    ) -> None:
        """New rows below every existing <row>, written as XML text (see _Worksheet.pending);
        the same cells `_write_rows` would make."""
        _check_address(first + len(rows) - 1, max((len(r) for r in rows), default=1) or 1)
        styles = styles or ()
        heights = heights or ()
        prefix = f"{ws.data.prefix}:" if ws.data.prefix else ""
        width = max(len(r) for r in rows)
        letters = [column_letter(j + 1) for j in range(width)]
        plain = [self._xf(st) if st is not None else None for st in styles]
        # each column's cell opening and style, and a text cell's inner tags, made once
        heads = [f'<{prefix}c r="{letter}' for letter in letters]
        s_attrs = [f' s="{plain[j]}"' if j < len(plain) and plain[j] else "" for j in range(width)]
        text_open = f' t="inlineStr"><{prefix}is><{prefix}t xml:space="preserve">'
        text_close = f"</{prefix}t></{prefix}is></{prefix}c>"
        dated: dict[tuple[int, bool], int] = {}
        out: list[str] = []
        last_value = 0
        max_col = 0
        for i, values in enumerate(rows):
            number = first + i
            n = str(number)
            height = heights[i] if i < len(heights) else None
            attrs = ""
            if height is not None:
                _check_height(height)
                attrs = f' ht="{_number(height)}" customHeight="1"'
            cells: list[str] = []
            row_cols = 0
            valued = False
            for j, value in enumerate(values):
                if type(value) is str:  # the common case, kept short: a text cell
                    cells.append(
                        f'{heads[j]}{n}"{s_attrs[j]}{text_open}{_text_xml(value)}{text_close}'
                    )
                    row_cols = j + 1
                    valued = True
                    continue
                style = styles[j] if j < len(styles) else None
                if value is None and style is None:
                    continue
                s_attr = s_attrs[j]
                if isinstance(value, dt.date):
                    key = (j, isinstance(value, dt.datetime))
                    if key not in dated:
                        dated[key] = self._xf(_date_style(value, style))
                    s_attr = f' s="{dated[key]}"' if dated[key] else ""
                cells.append(_cell_xml(prefix, f"{letters[j]}{n}", s_attr, value, self._epoch))
                row_cols = j + 1
                valued = valued or value is not None
            max_col = max(max_col, row_cols)
            if valued:
                last_value = number
            if cells or attrs:
                out.append(f'<{prefix}row r="{n}"{attrs}>{"".join(cells)}</{prefix}row>')
                ws.pending_top = number
        ws.pending.append("".join(out))
        ws.pending_last_value = max(ws.pending_last_value, last_value)
        if max_col:
            ws.grow(first, 1)
            ws.grow(first + len(rows) - 1, max_col)
        ws.dirty = True

    def _grow_autofilter(self, sheet: str, ws: _Worksheet, old_last: int, new_last: int) -> None:
        af = ws.root.find(_q("autoFilter"))
        if af is None:
            return
        try:
            c0, r0, c1, r1 = cell_range_bounds(af.get("ref", "").replace("$", ""))
        except (ValueError, TypeError):
            return
        if r1 != old_last or new_last <= old_last:
            return
        af.set("ref", f"{column_letter(c0)}{r0}:{column_letter(c1)}{new_last}")
        ws.dirty = True
        # Excel keeps the filter's range a second time, as a hidden name local to the sheet
        index = self.sheet_names.index(self._entry(sheet).name)
        names = self._wb.find(_q("definedNames"))
        for dn in names.iterchildren(_q("definedName")) if names is not None else ():
            if dn.get("name") != _FILTER_DB or dn.get("localSheetId") != str(index):
                continue
            match = _RANGE_END_ROW.match((dn.text or "").strip())
            if match and int(match.group(2)) == old_last:
                dn.text = f"{match.group(1)}{new_last}"
                self._dirty.add(self._wb_part)

    # --- new sheets ---------------------------------------------------------------------------

    def add_sheet(
        self,
        name: str,
        rows: Sequence[Sequence[Value]],
        *,
        state: str = "visible",
        widths: Sequence[float] | None = None,
        header_bold: bool = True,
        styles: Sequence[CellStyle | None] | None = None,
        footer: str = "",
        hidden_columns: Sequence[int] = (),
    ) -> None:
        """Add a worksheet after the others; rows[0] is its header (frozen on visible sheets).

        `styles[i]` styles column i+1 of the rows below the header. A visible sheet prints like
        the master's other lists: landscape, one page wide, its header on every page, `footer`
        (e.g. the plan's title) on the left of each page's foot. `hidden_columns` (1-based) are
        hidden from view and print.
        """
        _check_sheet_name(name)
        if state not in SHEET_STATES:
            raise ValueError(f"sheet state must be one of {SHEET_STATES}, not {state!r}")
        if any(s.name.casefold() == name.casefold() for s in self._sheets):
            raise PatchError(f"a sheet called {name!r} is already in the workbook")
        frozen = 1 if state == "visible" and len(rows) > 0 else 0
        root = _new_worksheet(
            frozen_rows=frozen,
            widths=widths or (),
            rows=len(rows),
            footer=footer,
            hidden_columns=hidden_columns,
        )
        ws = self._register_sheet(name, state, root)
        if frozen:
            self._set_print_titles(name, f"$1:${frozen}")
        if rows:
            header_style = CellStyle(bold=True, wrap=True) if header_bold else None
            self._write_rows(ws, 1, rows[:1], [header_style] * len(rows[0]), None)
            if rows[1:]:
                self._append_text(ws, 2, rows[1:], styles, None)

    def _set_print_titles(self, sheet: str, rows: str) -> None:
        """Repeat `rows` ("$1:$1") of `sheet` at the top of each printed page: Excel's sheet-level
        name _xlnm.Print_Titles."""
        index = self.sheet_names.index(self._entry(sheet).name)
        names = self._wb.find(_q("definedNames"))
        if names is None:
            names = self._wb.makeelement(_q("definedNames"), {})
            _place(self._wb, names, _WORKBOOK_ORDER)
        for dn in list(names.iterchildren(_q("definedName"))):
            if dn.get("name") == _PRINT_TITLES and dn.get("localSheetId") == str(index):
                names.remove(dn)
        quoted = sheet.replace("'", "''")
        dn = etree.SubElement(
            names, _q("definedName"), {"name": _PRINT_TITLES, "localSheetId": str(index)}
        )
        dn.text = f"'{quoted}'!{rows}"
        self._dirty.add(self._wb_part)

    def _free_sheet_part(self) -> str:
        folder = posixpath.dirname(self._wb_part)
        n = 1
        while self._member(posixpath.join(folder, "worksheets", f"sheet{n}.xml")) is not None:
            n += 1
        return posixpath.join(folder, "worksheets", f"sheet{n}.xml")

    def _free_relationship_id(self) -> str:
        taken = {rel.get("Id") for rel in self._wb_rels.iterchildren(_REL)}
        n = len(taken) + 1
        while f"rId{n}" in taken:
            n += 1
        return f"rId{n}"

    def _content_types_part(self) -> str:
        part = self._member("[Content_Types].xml")
        if part is None:
            raise PatchError(f"{self._label} has no [Content_Types].xml; {_NOT_XLSX_FIX}")
        return part

    def _remove_override(self, part: str) -> None:
        types = self._xml(self._content_types_part())
        for override in list(types.iterchildren(f"{{{_CT_NS}}}Override")):
            if override.get("PartName", "").lstrip("/").casefold() == part.casefold():
                types.remove(override)
                self._dirty.add(self._content_types_part())

    # --- styles -------------------------------------------------------------------------------

    def _xf(self, style: CellStyle) -> int:
        """The cellXfs index that looks like `style`, appending one if the workbook has none."""
        cached = self._xf_cache.get(style)
        if cached is not None:
            return cached
        part = self._styles_part()
        root = self._xml(part)
        xfs = root.find(_q("cellXfs"))
        if xfs is None:
            raise PatchError(f"{self._label}: {part} has no cellXfs; open it in Excel and save it")
        plain_font = not (style.bold or style.font_colour or style.underline)
        font = 0 if plain_font else self._font(root, part, style)
        fill = self._fill(root, part, style.fill) if style.fill else 0
        fmt = self._number_format_id(root, part, style.number_format)
        align = _alignment(style)
        index = None
        for i, xf in enumerate(xfs.iterchildren(_q("xf"))):
            if _xf_matches(xf, font, fmt, align, fill):
                index = i
                break
        if index is None:
            xf = etree.SubElement(xfs, _q("xf"))
            ids = (("numFmtId", fmt), ("fontId", font), ("fillId", fill), ("borderId", 0))
            for key, val in ids:
                xf.set(key, str(val))
            xf.set("xfId", "0")
            if fmt:
                xf.set("applyNumberFormat", "1")
            if font:
                xf.set("applyFont", "1")
            if fill:
                xf.set("applyFill", "1")
            if align:
                xf.set("applyAlignment", "1")
                etree.SubElement(xf, _q("alignment"), align)
            index = _recount(xfs, _q("xf")) - 1
            self._dirty.add(part)
        self._xf_cache[style] = index
        return index

    def _styles_part(self) -> str:
        for rel in self._wb_rels.iterchildren(_REL):
            if rel.get("Type") == _RT_STYLES:
                part = self._member(_resolve(self._wb_part, rel.get("Target", "")))
                if part is not None:
                    return part
        raise PatchError(f"{self._label} has no styles part; open it in Excel and save it again")

    def _font(self, root: etree._Element, part: str, style: CellStyle) -> int:
        """Font 0 made bold, underlined or coloured as `style` says: found among the fonts, else
        appended."""
        fonts = root.find(_q("fonts"))
        if fonts is None or not len(fonts):
            raise PatchError(f"{self._label}: {part} has no fonts; open it in Excel and save it")
        want = copy.deepcopy(fonts[0])
        for child in list(want):
            if isinstance(child.tag, str) and child.tag in (_q("b"), _q("u"), _q("color")):
                want.remove(child)
        if style.underline:
            want.insert(0, want.makeelement(_q("u"), {}))
        if style.bold:
            want.insert(0, want.makeelement(_q("b"), {}))
        if style.font_colour:
            want.append(want.makeelement(_q("color"), {"rgb": "FF" + style.font_colour.upper()}))
        return self._find_or_append(fonts, _q("font"), want, part, _font_signature)

    def _fill(self, root: etree._Element, part: str, colour: str) -> int:
        """A solid fill of `colour`: found among the fills, else appended."""
        fills = root.find(_q("fills"))
        if fills is None:
            raise PatchError(f"{self._label}: {part} has no fills; open it in Excel and save it")
        want = fills.makeelement(_q("fill"), {})
        pattern = etree.SubElement(want, _q("patternFill"), {"patternType": "solid"})
        argb = "FF" + colour.upper()
        etree.SubElement(pattern, _q("fgColor"), {"rgb": argb})
        etree.SubElement(pattern, _q("bgColor"), {"rgb": argb})
        return self._find_or_append(fills, _q("fill"), want, part)

    def _find_or_append(
        self,
        parent: etree._Element,
        tag: str,
        want: etree._Element,
        part: str,
        signature: Callable[[etree._Element], object] | None = None,
    ) -> int:
        """The index of the child of `parent` that says what `want` says, appending `want` when
        none does (styles are shared by index, so an equal one is reused)."""
        signature = signature or _signature
        key = signature(want)
        for i, child in enumerate(parent.iterchildren(tag)):
            if signature(child) == key:
                return i
        parent.append(want)
        self._dirty.add(part)
        return _recount(parent, tag) - 1

    def _number_format_id(self, root: etree._Element, part: str, code: str | None) -> int:
        if code is None or code == "General":
            return 0
        builtin = BUILTIN_FORMAT_IDS.get(code)
        if builtin is not None:
            return builtin
        fmts = root.find(_q("numFmts"))
        ids = [164]
        for fmt in fmts.iterchildren(_q("numFmt")) if fmts is not None else ():
            if fmt.get("formatCode") == code:
                return int(fmt.get("numFmtId", "0"))
            ids.append(int(fmt.get("numFmtId", "0")) + 1)
        if fmts is None:
            fmts = root.makeelement(_q("numFmts"), {})
            root.insert(0, fmts)  # numFmts comes first in a styleSheet
        new_id = max(ids)
        etree.SubElement(fmts, _q("numFmt"), {"numFmtId": str(new_id), "formatCode": code})
        _recount(fmts, _q("numFmt"))
        self._dirty.add(part)
        return new_id

    # --- placing elements -----------------------------------------------------------------------

    def _sheet_root(self, sheet: str) -> tuple[_Worksheet, etree._Element]:
        ws = self._worksheet(sheet)
        ws.flush()
        return ws, ws.root

    # --- conditional formats and list validations ----------------------------------------------

    def replace_conditional_formats(self, sheet: str, formats: SheetFormats) -> FormatsApplied:
        """Put `formats.rules` on `sheet` first (priorities 1, 2, ...), drop the earlier rules of
        ours (`formats.is_ours`), keep everyone else's after ours in their old order; and replace
        our dropdowns, keeping the owner's validations. Rules Excel keeps in extLst (x14: data
        bars, icon sets of the newer kinds) are left as they are."""
        ws, root = self._sheet_root(sheet)
        replaced = 0
        kept: list[etree._Element] = []
        for cf in list(root.iterchildren(_q("conditionalFormatting"))):
            sqref = cf.get("sqref", "")
            for rule in list(cf.iterchildren(_q("cfRule"))):
                formula = rule.find(_q("formula"))
                if (
                    rule.get("type") == "expression"
                    and formula is not None
                    and formats.is_ours(sqref, formula.text or "")
                ):
                    cf.remove(rule)
                    replaced += 1
                else:
                    kept.append(rule)
            if cf.find(_q("cfRule")) is None:
                root.remove(cf)
        kept.sort(key=lambda rule: _int(rule.get("priority")))
        for priority, rule in enumerate(kept, start=len(formats.rules) + 1):
            rule.set("priority", str(priority))
        new: list[etree._Element] = []
        for priority, rule in enumerate(formats.rules, start=1):
            if not new or new[-1].get("sqref") != rule.sqref:
                new.append(root.makeelement(_q("conditionalFormatting"), {"sqref": rule.sqref}))
            attrs = {"type": "expression", "dxfId": str(self._dxf(rule)), "priority": str(priority)}
            if rule.stop_if_true:
                attrs["stopIfTrue"] = "1"
            el = etree.SubElement(new[-1], _q("cfRule"), attrs)
            etree.SubElement(el, _q("formula")).text = rule.formula
        first_kept = root.find(_q("conditionalFormatting"))
        for el in new:
            if first_kept is not None:
                first_kept.addprevious(el)
            else:
                _place(root, el, _WORKSHEET_ORDER)
        self._replace_validations(root, formats)
        ws.dirty = True
        return FormatsApplied(replaced=replaced, kept=len(kept))

    def _replace_validations(self, root: etree._Element, formats: SheetFormats) -> None:
        dvs = root.find(_q("dataValidations"))
        if dvs is not None:
            for dv in list(dvs.iterchildren(_q("dataValidation"))):
                f1 = dv.find(_q("formula1"))
                text = f1.text if f1 is not None else None
                if formats.is_our_dropdown(dv.get("type"), text, dv.get("errorTitle")):
                    dvs.remove(dv)
        if formats.dropdowns and dvs is None:
            dvs = root.makeelement(_q("dataValidations"), {})
            _place(root, dvs, _WORKSHEET_ORDER)
        for dropdown in formats.dropdowns:
            assert dvs is not None
            dv = etree.SubElement(
                dvs,
                _q("dataValidation"),
                {
                    "type": "list",
                    "errorStyle": "stop",
                    "allowBlank": "1",
                    "showErrorMessage": "1",
                    "errorTitle": dropdown.error_title,
                    "error": dropdown.error,
                    "sqref": dropdown.range,
                },
            )
            etree.SubElement(dv, _q("formula1")).text = dropdown.formula
        if dvs is not None and _recount(dvs, _q("dataValidation")) == 0 and not _has_ext(dvs):
            root.remove(dvs)

    def _dxf(self, rule: FormatRule) -> int:
        """The differential style (styles.xml dxfs) a rule of ours draws with."""
        part = self._styles_part()
        root = self._xml(part)
        dxfs = root.find(_q("dxfs"))
        if dxfs is None:
            dxfs = root.makeelement(_q("dxfs"), {"count": "0"})
            _place(root, dxfs, _STYLESHEET_ORDER)
            self._dirty.add(part)
        want = dxfs.makeelement(_q("dxf"), {})
        font = etree.SubElement(want, _q("font"))
        if rule.bold:
            etree.SubElement(font, _q("b"), {"val": "1"})
        etree.SubElement(font, _q("color"), {"rgb": "FF" + rule.font.upper()})
        # Excel writes a conditional fill's colour as bgColor, yet a solid pattern is drawn in
        # fgColor; both set leaves no reader a choice to get wrong
        pattern = etree.SubElement(
            etree.SubElement(want, _q("fill")), _q("patternFill"), {"patternType": "solid"}
        )
        etree.SubElement(pattern, _q("fgColor"), {"rgb": "FF" + rule.fill.upper()})
        etree.SubElement(pattern, _q("bgColor"), {"rgb": "FF" + rule.fill.upper()})
        return self._find_or_append(dxfs, _q("dxf"), want, part)

    # --- names, columns, merged cells, styles ---------------------------------------------------

    def defined_name(self, name: str) -> str | None:
        """What the workbook-level name `name` refers to ("'Settings'!$B$8"), or None."""
        for dn in self._defined_names():
            if dn.get("name", "").casefold() == name.casefold() and dn.get("localSheetId") is None:
                return dn.text or ""
        return None

    def set_defined_name(self, name: str, refers_to: str) -> bool:
        """Make the workbook-level name `name` refer to `refers_to`, removing any sheet-level name
        of the same spelling (it would hide the workbook's on its sheet). True when it changed."""
        names = self._wb.find(_q("definedNames"))
        changed = False
        found = None
        for dn in list(names.iterchildren(_q("definedName"))) if names is not None else ():
            if dn.get("name", "").casefold() != name.casefold():
                continue
            if dn.get("localSheetId") is not None or found is not None:
                names.remove(dn)
                changed = True
            else:
                found = dn
        if found is None:
            if names is None:
                names = self._wb.makeelement(_q("definedNames"), {})
                _place(self._wb, names, _WORKBOOK_ORDER)
            found = etree.SubElement(names, _q("definedName"), {"name": name})
            changed = True
        if found.text != refers_to:
            found.text = refers_to
            changed = True
        if changed:
            self._dirty.add(self._wb_part)
        return changed

    def _defined_names(self) -> list[etree._Element]:
        names = self._wb.find(_q("definedNames"))
        return list(names.iterchildren(_q("definedName"))) if names is not None else []

    def set_column_width(self, sheet: str, col: int, width: float) -> None:
        """Give column `col` (1-based) a fixed width, in characters."""
        _check_address(1, col)
        ws, root = self._sheet_root(sheet)
        cols = root.find(_q("cols"))
        if cols is None:
            cols = root.makeelement(_q("cols"), {})
            _place(root, cols, _WORKSHEET_ORDER)
        for el in list(cols.iterchildren(_q("col"))):
            lo, hi = _int(el.get("min")), _int(el.get("max"))
            if not lo <= col <= hi:
                continue
            # split a span so only this column changes
            if lo < col:
                left = copy.deepcopy(el)
                left.set("max", str(col - 1))
                el.addprevious(left)
            if col < hi:
                right = copy.deepcopy(el)
                right.set("min", str(col + 1))
                el.addnext(right)
            el.set("min", str(col))
            el.set("max", str(col))
            el.set("width", _number(width))
            el.set("customWidth", "1")
            break
        else:
            at = [el for el in cols.iterchildren(_q("col")) if _int(el.get("min")) > col]
            el = cols.makeelement(
                _q("col"),
                {"min": str(col), "max": str(col), "width": _number(width), "customWidth": "1"},
            )
            if at:
                at[0].addprevious(el)
            else:
                cols.append(el)
        ws.dirty = True

    def merged_ranges(self, sheet: str) -> list[str]:
        """The sheet's merged areas ("A11:H11"), as written."""
        root = self._sheet_root(sheet)[1]
        merged = root.find(_q("mergeCells"))
        if merged is None:
            return []
        return [m.get("ref", "") for m in merged.iterchildren(_q("mergeCell"))]

    def replace_merge(self, sheet: str, old: str, new: str) -> None:
        """Make the merged area `old` cover `new` instead."""
        ws, root = self._sheet_root(sheet)
        merged = root.find(_q("mergeCells"))
        for m in merged.iterchildren(_q("mergeCell")) if merged is not None else ():
            if m.get("ref") == old:
                m.set("ref", new)
                ws.dirty = True
                return
        raise PatchError(f"no merged area {old} on sheet {sheet!r}")

    def restyle(
        self,
        sheet: str,
        row: int,
        col: int,
        *,
        like: tuple[int, int] | None = None,
        number_format: str | None = None,
    ) -> None:
        """Give the cell at (row, col) the look of the cell at `like` (row, col; itself when
        None), with `number_format` instead of its own when given. Its value is kept."""
        _check_address(row, col)
        ws = self._worksheet(sheet)
        source_row, source_col = like or (row, col)
        source, _ = ws.cell(source_row, source_col, create=False)
        xf = _int(source.get("s")) if source is not None else 0
        if number_format is not None:
            xf = self._xf_with_format(xf, number_format)
        c, _ = ws.cell(row, col, create=True)
        assert c is not None
        if xf:
            c.set("s", str(xf))
        else:
            c.attrib.pop("s", None)
        ws.touch_row(c.getparent())
        ws.grow(row, col)

    def _xf_with_format(self, xf: int, code: str) -> int:
        """The cellXfs index of style `xf` with number format `code`."""
        part = self._styles_part()
        root = self._xml(part)
        xfs = root.find(_q("cellXfs"))
        if xfs is None:
            raise PatchError(f"{self._label}: {part} has no cellXfs; open it in Excel and save it")
        records = list(xfs.iterchildren(_q("xf")))
        if not 0 <= xf < len(records):
            xf = 0
        fmt = self._number_format_id(root, part, code)
        if _int(records[xf].get("numFmtId")) == fmt:
            return xf
        want = copy.deepcopy(records[xf])
        want.set("numFmtId", str(fmt))
        want.set("applyNumberFormat", "1")
        return self._find_or_append(xfs, _q("xf"), want, part)

    # --- a report sheet -----------------------------------------------------------------------

    def replace_sheet(self, report: ReportSheet) -> None:
        """Write `report` as the sheet of its name: a new sheet after the others, or the old
        sheet's contents replaced in place (its tab, position and visibility kept)."""
        _check_sheet_name(report.name)
        width = len(report.columns)
        root = _new_worksheet(frozen_rows=2, widths=report.widths, rows=2 + len(report.rows))
        existing = next(
            (e for e in self._sheets if e.name.casefold() == report.name.casefold()), None
        )
        if existing is None:
            ws = self._register_sheet(report.name, "visible", root)
        else:
            if not existing.is_worksheet or existing.part is None:
                raise PatchError(
                    f"sheet {existing.name!r} is not a worksheet; rename it, then run again"
                )
            ws = self._reset_sheet(existing, root)
        heading = CellStyle(bold=True, vertical=None)
        title = CellStyle(bold=True, font_colour="FFFFFF", fill=_HEADER_FILL, vertical=None)
        link = CellStyle(font_colour=_LINK_COLOUR, underline=True, vertical=None)
        self._write_rows(ws, 1, [[report.heading]], [heading], None)
        self._write_rows(ws, 2, [list(report.columns)], [title] * width, None)
        linked = {(ln.row, ln.column) for ln in report.links}
        for i, values in enumerate(report.rows):
            styles = [link if (i, j) in linked else None for j in range(len(values))]
            self._write_rows(ws, 3 + i, [list(values)], styles, None)
        if report.links:
            links = root.makeelement(_q("hyperlinks"), {})
            for ln in report.links:
                etree.SubElement(
                    links,
                    _q("hyperlink"),
                    {
                        "ref": f"{column_letter(ln.column + 1)}{3 + ln.row}",
                        "location": ln.location,
                        "display": str(report.rows[ln.row][ln.column] or ""),
                    },
                )
            _place(root, links, _WORKSHEET_ORDER)

    def _reset_sheet(self, entry: _SheetEntry, root: etree._Element) -> _Worksheet:
        """Give an existing sheet new contents; what its old part pointed at (comments, drawings)
        goes with the old contents."""
        assert entry.part is not None
        part = entry.part
        rels = self._member(_rels_part_of(part))
        if rels is not None:
            self._removed.add(rels)
            self._parsed.pop(rels, None)
            self._dirty.discard(rels)
        self._parsed[part] = root
        ws = _Worksheet(root, part)
        ws.dirty = True
        self._worksheets[part] = ws
        for name in [n for n, w in self._by_name.items() if w.part == part]:
            del self._by_name[name]
        return ws

    def _register_sheet(self, name: str, state: str, root: etree._Element) -> _Worksheet:
        """Add the worksheet part `root` to the workbook as the last sheet, `name`."""
        part = self._free_sheet_part()
        rid = self._free_relationship_id()
        rel = self._wb_rels.makeelement(
            _REL, {"Id": rid, "Type": _RT_WORKSHEET, "Target": _relative(self._wb_part, part)}
        )
        self._wb_rels.append(rel)
        self._dirty.add(self._wb_rels_part)

        sheets = self._wb.find(_q("sheets"))
        if sheets is None:
            raise PatchError(f"{self._label} has no <sheets> list; {_NOT_XLSX_FIX}")
        ids = [int(s.get("sheetId", "0")) for s in sheets.iterchildren(_q("sheet"))]
        el = etree.SubElement(sheets, _q("sheet"), nsmap={"r": _DOC_REL_NS})
        el.set("name", name)
        el.set("sheetId", str(max(ids, default=0) + 1))
        if state != "visible":
            el.set("state", state)
        el.set(_R_ID, rid)
        self._dirty.add(self._wb_part)

        self._add_override(part, _CT_WORKSHEET)
        self._add_part(part, root)
        ws = _Worksheet(root, part)
        ws.dirty = True
        self._worksheets[part] = ws
        self._sheets.append(_SheetEntry(name, el, part, True))
        return ws

    def _add_part(self, part: str, root: etree._Element | None, raw: bytes | None = None) -> None:
        if root is not None:
            self._parsed[part] = root
        if raw is not None:
            self._raw[part] = raw
        self._names[part.casefold()] = part
        self._new.append(part)

    def _add_override(self, part: str, content_type: str) -> None:
        types = self._xml(self._content_types_part())
        types.append(
            types.makeelement(
                f"{{{_CT_NS}}}Override", {"PartName": "/" + part, "ContentType": content_type}
            )
        )
        self._dirty.add(self._content_types_part())

    def _ensure_default(self, extension: str, content_type: str) -> None:
        types = self._xml(self._content_types_part())
        for default in types.iterchildren(f"{{{_CT_NS}}}Default"):
            if default.get("Extension", "").casefold() == extension.casefold():
                return
        types.insert(
            0,
            types.makeelement(
                f"{{{_CT_NS}}}Default", {"Extension": extension, "ContentType": content_type}
            ),
        )
        self._dirty.add(self._content_types_part())

    # --- notes (comments) -----------------------------------------------------------------------

    def replace_notes(self, author: str, notes: Sequence[Note]) -> None:
        """Remove every note written by `author`, on every sheet, and add `notes` by `author`.
        Other people's notes stay; a cell that already has someone else's note keeps it."""
        wanted: dict[str, list[Note]] = {}
        for note in notes:
            wanted.setdefault(self._entry(note.sheet).name, []).append(note)
        for entry in self._sheets:
            if not entry.is_worksheet or entry.part is None:
                continue
            mine = wanted.get(entry.name, [])
            if mine or self._related(entry.part, _RT_COMMENTS) is not None:
                self._replace_sheet_notes(entry, author, mine)

    def _sheet_rels(self, part: str, *, create: bool) -> etree._Element | None:
        rels_part = _rels_part_of(part)
        if self._member(rels_part) is not None and rels_part not in self._removed:
            return self._xml(self._member(rels_part) or rels_part)
        if not create:
            return None
        root = etree.Element(f"{{{_PKG_REL_NS}}}Relationships", nsmap={None: _PKG_REL_NS})
        self._removed.discard(rels_part)
        if rels_part in self._parsed:  # dropped by a reset earlier in this edit
            self._parsed[rels_part] = root
            self._dirty.add(rels_part)
        else:
            self._add_part(rels_part, root)
        return root

    def _related(self, part: str, kind: str) -> tuple[etree._Element, str] | None:
        """The relationship of `part` of type `kind`, and the part it points to."""
        rels = self._sheet_rels(part, create=False)
        for rel in rels.iterchildren(_REL) if rels is not None else ():
            if rel.get("Type") == kind and rel.get("TargetMode") != "External":
                target = self._member(_resolve(part, rel.get("Target", "")))
                if target is not None and target not in self._removed:
                    return rel, target
        return None

    def _replace_sheet_notes(self, entry: _SheetEntry, author: str, notes: list[Note]) -> None:
        assert entry.part is not None
        part = entry.part
        ws, root = self._sheet_root(entry.name)
        found = self._related(part, _RT_COMMENTS)
        if found is None:
            comments_part = None
            comments = etree.Element(_q("comments"), nsmap={None: MAIN_NS})
            etree.SubElement(comments, _q("authors"))
            etree.SubElement(comments, _q("commentList"))
        else:
            comments_part = found[1]
            comments = self._xml(comments_part)
        authors = comments.find(_q("authors"))
        listing = comments.find(_q("commentList"))
        if authors is None or listing is None:
            raise PatchError(
                f"{self._label}: the notes of sheet {entry.name!r} are damaged; open the file "
                "in Excel and save it"
            )
        names = [a.text or "" for a in authors.iterchildren(_q("author"))]
        ours = {i for i, name in enumerate(names) if name == author}
        removed: set[tuple[int, int]] = set()
        taken: set[str] = set()
        for c in list(listing.iterchildren(_q("comment"))):
            ref = c.get("ref", "")
            if _int(c.get("authorId")) in ours:
                listing.remove(c)
                removed.add(_cell_position(ref))
            else:
                taken.add(ref.upper())
        added = [n for n in notes if n.cell.upper() not in taken]
        if added:
            if not ours:
                etree.SubElement(authors, _q("author")).text = author
                ours = {len(names)}
            author_id = str(min(ours))
            for note in added:
                c = etree.SubElement(
                    listing, _q("comment"), {"ref": note.cell.upper(), "authorId": author_id}
                )
                t = etree.SubElement(etree.SubElement(c, _q("text")), _q("t"))
                t.set(_XML_SPACE, "preserve")
                t.text = _clean_text(note.text)
        if not removed and not added:
            return
        if comments_part is None:
            comments_part = self._free_part("xl/comments{}.xml")
            self._add_part(comments_part, comments)
            self._add_override(comments_part, _CT_COMMENTS)
            rels = self._sheet_rels(part, create=True)
            assert rels is not None
            _add_relationship(rels, _RT_COMMENTS, _relative(part, comments_part))
            self._dirty.add(_rels_part_of(part))
        else:
            self._dirty.add(comments_part)
        self._replace_note_shapes(ws, root, removed, added)
        if listing.find(_q("comment")) is None:
            self._drop_related(part, comments_part)

    def _replace_note_shapes(
        self,
        ws: _Worksheet,
        root: etree._Element,
        removed: set[tuple[int, int]],
        added: list[Note],
    ) -> None:
        """The notes' boxes in the sheet's legacy drawing (VML): ours removed and added."""
        legacy = root.find(_q("legacyDrawing"))
        vml_part = None
        if legacy is not None:
            rel = self._sheet_relationship(ws.part, legacy.get(_R_ID, ""))
            if rel is not None:
                vml_part = self._member(_resolve(ws.part, rel.get("Target", "")))
        if vml_part is None:
            if not added:
                return
            number = self._free_number("xl/drawings/vmlDrawing{}.vml")
            vml_part = f"xl/drawings/vmlDrawing{number}.vml"
            self._add_part(vml_part, None, _vml_drawing(number))
            self._ensure_default("vml", _CT_VML)
            rels = self._sheet_rels(ws.part, create=True)
            assert rels is not None
            rid = _add_relationship(rels, _RT_VML, _relative(ws.part, vml_part))
            self._dirty.add(_rels_part_of(ws.part))
            if legacy is not None:
                root.remove(legacy)
            legacy = root.makeelement(_q("legacyDrawing"), {_R_ID: rid}, nsmap={"r": _DOC_REL_NS})
            _place(root, legacy, _WORKSHEET_ORDER)
            ws.dirty = True
        vml = self._raw.get(vml_part)
        if vml is None:
            vml = self._zip.read(vml_part)
        vml = _vml_without(vml, removed)
        if added:
            vml = _vml_with(vml, [_cell_position(n.cell) for n in added], [n.text for n in added])
        self._raw[vml_part] = vml
        if vml_part not in self._new:
            self._dirty.add(vml_part)
        if not _VML_SHAPE.search(vml):
            # nothing left to draw: the drawing goes, and the sheet's pointer to it
            self._drop_related(ws.part, vml_part)
            if legacy is not None and legacy.getparent() is not None:
                root.remove(legacy)
                ws.dirty = True

    def _sheet_relationship(self, part: str, rid: str) -> etree._Element | None:
        rels = self._sheet_rels(part, create=False)
        for rel in rels.iterchildren(_REL) if rels is not None else ():
            if rel.get("Id") == rid:
                return rel
        return None

    def _drop_related(self, part: str, target: str) -> None:
        """Remove the part `target`, the relationship of `part` to it, and its content type."""
        rels = self._sheet_rels(part, create=False)
        for rel in list(rels.iterchildren(_REL)) if rels is not None else ():
            if self._member(_resolve(part, rel.get("Target", ""))) == target:
                rels.remove(rel)  # type: ignore[union-attr]
                self._dirty.add(_rels_part_of(part))
        if target in self._new:
            self._new.remove(target)
        else:
            self._removed.add(target)
        self._dirty.discard(target)
        self._parsed.pop(target, None)
        self._raw.pop(target, None)
        self._remove_override(target)

    def _free_number(self, pattern: str) -> int:
        n = 1
        while self._member(pattern.format(n)) is not None:
            n += 1
        return n

    def _free_part(self, pattern: str) -> str:
        return pattern.format(self._free_number(pattern))

    # --- output -------------------------------------------------------------------------------

    def to_bytes(self) -> bytes:
        """The workbook with the changes: changed parts re-serialised, the rest copied."""
        changed = set(self._dirty)
        for ws in self._worksheets.values():
            if ws.dirty:
                ws.finish()
                changed.add(ws.part)
        kept = [info for info in self._infos if info.filename not in self._removed]
        names = [info.filename for info in kept if info.filename in changed] + list(self._new)
        data = {name: self._serialise(name) for name in names}
        # the big parts (plan sheet, logs) compress at once on two cores: zlib lets go of the GIL
        with ThreadPoolExecutor(max_workers=2) as pool:
            packed = dict(zip(names, pool.map(_deflate, (data[n] for n in names)), strict=True))
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dest:
            for info in kept:
                name = info.filename
                if name in data:
                    item = zipfile.ZipInfo(name, date_time=info.date_time)
                    item.external_attr = info.external_attr
                    _write_deflated(dest, item, data[name], packed[name])
                else:
                    _copy_member(dest, self._zip, info)
            for name in self._new:
                item = zipfile.ZipInfo(name, date_time=clock.now().timetuple()[:6])
                _write_deflated(dest, item, data[name], packed[name])
        return out.getvalue()

    def _serialise(self, part: str) -> bytes:
        if part in self._raw:
            return self._raw[part]
        xml = etree.tostring(
            self._parsed[part], xml_declaration=True, encoding="UTF-8", standalone=True
        )
        ws = self._worksheets.get(part)
        return ws.pending_xml(xml) if ws is not None else xml

    def save(self, path: Path) -> None:
        """Write the patched workbook to `path` (callers replace files atomically themselves)."""
        Path(path).write_bytes(self.to_bytes())


#: Deflate level for rewritten parts. They are the big ones (the plan sheet, the logs), and level
#: 6 takes about four times as long for files a few percent smaller; untouched parts keep their
#: own compression. (A ZipInfo ignores the ZipFile's level, so it is passed to each writestr.)
_LEVEL = 1


#: A zip member's local file header: its fixed size and signature (APPNOTE 4.3.7).
_LOCAL_HEADER_SIZE = 30
_LOCAL_HEADER_SIGNATURE = b"PK\x03\x04"


def _deflate(data: bytes) -> bytes:
    """`data` as a zip member's raw deflate stream, at the level rewritten parts get."""
    packer = zlib.compressobj(_LEVEL, zlib.DEFLATED, -zlib.MAX_WBITS)
    return packer.compress(data) + packer.flush()


def _write_deflated(
    dest: zipfile.ZipFile, item: zipfile.ZipInfo, data: bytes, packed: bytes
) -> None:
    """Add a member whose deflated bytes are made already (`_deflate`), as writestr would."""
    item.compress_type = zipfile.ZIP_DEFLATED
    item.CRC, item.file_size, item.compress_size = zlib.crc32(data), len(data), len(packed)
    _write_raw(dest, item, packed)


def _write_raw(dest: zipfile.ZipFile, item: zipfile.ZipInfo, raw: bytes) -> None:
    """Write a member's local header and its compressed bytes, sizes and CRC known up front."""
    item.flag_bits &= ~0x08  # sizes go in the local header, not after the data
    item.header_offset = dest.fp.tell()  # type: ignore[union-attr]
    dest.fp.write(item.FileHeader(zip64=item.file_size > zipfile.ZIP64_LIMIT))  # type: ignore[union-attr]
    dest.fp.write(raw)  # type: ignore[union-attr]
    dest.start_dir = dest.fp.tell()  # type: ignore[union-attr]
    dest.filelist.append(item)
    dest.NameToInfo[item.filename] = item
    dest._didModify = True  # type: ignore[attr-defined]  # so close() writes the directory


def _copy_member(dest: zipfile.ZipFile, src: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    """Copy a member's compressed bytes as they are: decompressing and compressing again every
    part that did not change (the shared strings, the other sheets) is most of a save's time.

    zipfile has no public call for this; it writes the member's local header and raw data the
    way ZipFile.write does, with the sizes and CRC known up front (no data descriptor)."""
    src.fp.seek(info.header_offset)  # type: ignore[union-attr]
    header = src.fp.read(_LOCAL_HEADER_SIZE)  # type: ignore[union-attr]
    if header[:4] != _LOCAL_HEADER_SIGNATURE:
        raise PatchError(
            f"zip member {info.filename} is damaged; open the file in Excel and save it"
        )
    name_len, extra_len = (
        int.from_bytes(header[26:28], "little"),
        int.from_bytes(header[28:30], "little"),
    )
    src.fp.seek(info.header_offset + _LOCAL_HEADER_SIZE + name_len + extra_len)  # type: ignore[union-attr]
    raw = src.fp.read(info.compress_size)  # type: ignore[union-attr]
    item = zipfile.ZipInfo(info.filename, date_time=info.date_time)
    item.compress_type = info.compress_type
    item.external_attr = info.external_attr
    item.create_system = info.create_system
    item.flag_bits = info.flag_bits
    item.CRC, item.compress_size, item.file_size = info.CRC, info.compress_size, info.file_size
    _write_raw(dest, item, raw)


# --- values -------------------------------------------------------------------------------------


def _check_height(height: float) -> None:
    if not 0 <= height <= MAX_ROW_HEIGHT:
        raise ValueError(f"row height {height} is outside 0 to {MAX_ROW_HEIGHT} points")


_COLUMNS: dict[str, int] = {}


def _column_of(ref: str) -> int:
    """The 1-based column of a cell reference like "F123" (0 when it names none), its letters
    looked up once: a row's few columns repeat on every row."""
    letters = ref.rstrip("0123456789")
    column = _COLUMNS.get(letters)
    if column is None:
        match = _CELL_REF.fullmatch(ref)
        column = column_number(match.group(1).upper()) if match else 0
        if match and match.group(1) == letters:
            _COLUMNS[letters] = column
    return column


def _check_address(row: int, col: int) -> None:
    if not (1 <= row <= MAX_ROW and 1 <= col <= MAX_COL):
        raise ValueError(f"row {row}, column {col} is outside a worksheet")


def _clean_text(text: str) -> str:
    text = cell_safe(text)
    # Excel counts UTF-16 units, so a character outside the BMP counts twice
    if len(text) * 2 > MAX_CELL_CHARS and excel_length(text) > MAX_CELL_CHARS:
        raise PatchError(
            f"text of {len(text):,} characters is longer than the {MAX_CELL_CHARS:,} characters "
            "an Excel cell can hold; shorten it"
        )
    return excel_escape(text)


def _date_style(value: dt.date, style: CellStyle | None) -> CellStyle:
    base = style or CellStyle(vertical=None)  # a new unstyled cell: General, plus the format
    if base.number_format is not None:
        return base
    code = TIMESTAMP_FORMAT if isinstance(value, dt.datetime) else DATE_FORMAT
    return replace(base, number_format=code)


def _write_value(c: etree._Element, value: Value, text: str | None, epoch: dt.datetime) -> None:
    if text is not None:
        # inline, so sharedStrings.xml stays untouched; text is never read as a formula
        c.set("t", "inlineStr")
        t = etree.SubElement(c.makeelement(_IS, {}), _T, {_XML_SPACE: "preserve"})
        t.text = text
        c.insert(0, t.getparent())
        return
    v = c.makeelement(_V, {})
    if isinstance(value, bool):
        c.set("t", "b")
        v.text = "1" if value else "0"
    elif isinstance(value, int):
        v.text = str(value)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{value} cannot be stored in an Excel cell")
        v.text = repr(value)
    elif isinstance(value, dt.date):
        v.text = _number(_serial(value, epoch))
    else:
        raise TypeError(f"cannot write a {type(value).__name__} to a cell: {value!r}")
    c.insert(0, v)


def _escape_xml_text(text: str) -> str:
    """Text as XML character data; a carriage return as a reference, since a parser would
    otherwise read it as a line feed. (Chained replace is several times faster than translate.)"""
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    if "\r" in text:
        text = text.replace("\r", "&#13;")
    return text


def _text_xml(text: str) -> str:
    """User text as a cell's XML character data: cleaned and checked as any cell's text, then
    escaped."""
    return _escape_xml_text(_clean_text(text))


def _cell_xml(prefix: str, ref: str, s_attr: str, value: Value, epoch: dt.datetime) -> str:
    """One <c> as XML text, as _write_value would build it."""
    if value is None:
        return f'<{prefix}c r="{ref}"{s_attr}/>'
    if isinstance(value, str):
        text = _text_xml(value)
        return (
            f'<{prefix}c r="{ref}"{s_attr} t="inlineStr"><{prefix}is>'
            f'<{prefix}t xml:space="preserve">{text}</{prefix}t></{prefix}is></{prefix}c>'
        )
    if isinstance(value, bool):
        return f'<{prefix}c r="{ref}"{s_attr} t="b"><{prefix}v>{int(value)}</{prefix}v></{prefix}c>'
    if isinstance(value, int):
        v = str(value)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{value} cannot be stored in an Excel cell")
        v = repr(value)
    elif isinstance(value, dt.date):
        v = _number(_serial(value, epoch))
    else:
        raise TypeError(f"cannot write a {type(value).__name__} to a cell: {value!r}")
    return f'<{prefix}c r="{ref}"{s_attr}><{prefix}v>{v}</{prefix}v></{prefix}c>'


def _serial(value: dt.date, epoch: dt.datetime) -> float:
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            raise ValueError("Excel has no time zones: convert the datetime to naive local time")
        delta = value - epoch
    else:
        delta = dt.datetime.combine(value, dt.time()) - epoch
    return delta.days + delta.seconds / 86_400 + delta.microseconds / 86_400_000_000


def _number(x: float) -> str:
    x = float(x)
    return str(int(x)) if x.is_integer() else repr(x)


# --- styles helpers -----------------------------------------------------------------------------


def _alignment(style: CellStyle) -> dict[str, str]:
    align = {}
    if style.horizontal:
        align["horizontal"] = style.horizontal
    if style.vertical:
        align["vertical"] = style.vertical
    if style.wrap:
        align["wrapText"] = "1"
    return align


def _truthy(text: str | None) -> bool:
    return text in ("1", "true")


def _xf_matches(
    xf: etree._Element, font: int, fmt: int, align: dict[str, str], fill: int = 0
) -> bool:
    ids = {k: int(xf.get(k, "0")) for k in ("numFmtId", "fontId", "fillId", "borderId", "xfId")}
    if ids != {"numFmtId": fmt, "fontId": font, "fillId": fill, "borderId": 0, "xfId": 0}:
        return False
    if _truthy(xf.get("quotePrefix")):
        return False
    # an explicit apply...="0" tells LibreOffice to ignore that part of the xf
    applied = (
        ("applyNumberFormat", fmt),
        ("applyFont", font),
        ("applyFill", fill),
        ("applyAlignment", align),
    )
    for attr, used in applied:
        if used and xf.get(attr) in ("0", "false"):
            return False
    have: dict[str, str] = {}
    for child in xf:
        if child.tag != _q("alignment"):
            return False  # protection or extLst: not a plain style
        have = dict(child.attrib)
    if _truthy(have.get("wrapText")):
        have["wrapText"] = "1"
    else:
        have.pop("wrapText", None)
    return have == align


def _signature(el: etree._Element) -> tuple[object, ...]:
    """What an element says - its name, attributes and children, in order, namespace prefixes
    aside - to tell two style records apart."""
    children = tuple(_signature(child) for child in el if isinstance(child.tag, str))
    return (etree.QName(el).localname, tuple(sorted(el.attrib.items())), children)


#: Font properties that are on when present with no value (or "1"/"true").
_FONT_FLAGS = frozenset(("b", "i", "strike", "outline", "shadow", "condense", "extend"))


def _font_signature(font: etree._Element) -> tuple[object, ...]:
    """A font's properties in any order, `<b/>` and `<b val="1"/>` alike."""
    props = []
    for child in font:
        if not isinstance(child.tag, str):
            continue
        name = etree.QName(child).localname
        attrs = dict(child.attrib)
        if name in _FONT_FLAGS:
            if attrs.get("val", "1") not in ("1", "true"):
                continue  # switched off: the same as absent
            attrs.pop("val", None)
        elif name == "u" and attrs.get("val", "single") == "single":
            attrs.pop("val", None)
        props.append((name, tuple(sorted(attrs.items()))))
    return tuple(sorted(props))


def _recount(parent: etree._Element, tag: str) -> int:
    n = sum(1 for _ in parent.iterchildren(tag))
    parent.set("count", str(n))
    return n


# --- package helpers ----------------------------------------------------------------------------


def _rels_part_of(part: str) -> str:
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", name + ".rels")


def _resolve(source: str, target: str) -> str:
    """A relationship target as a zip member name: absolute from the package root, or relative to
    the folder of the part the relationship belongs to."""
    if target.startswith("/"):
        return posixpath.normpath(target.lstrip("/"))
    return posixpath.normpath(posixpath.join(posixpath.dirname(source), target))


def _relative(source: str, part: str) -> str:
    return posixpath.relpath(part, posixpath.dirname(source) or ".")


def _place(parent: etree._Element, el: etree._Element, order: Sequence[str]) -> None:
    """Insert `el` among `parent`'s children where the schema's `order` puts it: after the last
    child that comes before it (children the order does not name are passed over)."""
    rank = {name: i for i, name in enumerate(order)}
    mine = rank[etree.QName(el).localname]
    at = 0
    for i, child in enumerate(parent):
        if not isinstance(child.tag, str):
            continue
        theirs = rank.get(etree.QName(child).localname)
        if theirs is not None and theirs <= mine:
            at = i + 1
    parent.insert(at, el)


def _int(text: str | None) -> int:
    try:
        return int(text or 0)
    except ValueError:
        return 0


def _has_ext(el: etree._Element) -> bool:
    return el.find(_q("extLst")) is not None


def _cell_position(ref: str) -> tuple[int, int]:
    """0-based (row, column) of an A1 reference, as a note's drawing numbers them."""
    match = _CELL_REF.fullmatch(ref.replace("$", ""))
    if match is None:
        raise PatchError(f"{ref!r} is not a cell address")
    return int(match.group(2)) - 1, column_number(match.group(1).upper()) - 1


def _add_relationship(rels: etree._Element, kind: str, target: str) -> str:
    """Add a relationship to `rels`; return its new id."""
    taken = {rel.get("Id") for rel in rels.iterchildren(_REL)}
    n = len(taken) + 1
    while f"rId{n}" in taken:
        n += 1
    etree.SubElement(rels, _REL, {"Id": f"rId{n}", "Type": kind, "Target": target})
    return f"rId{n}"


# --- notes' drawings (VML) ------------------------------------------------------------------------
# Excel draws a note's box from a legacy VML drawing beside the comments part. VML is not always
# well-formed XML as Excel writes it, so it is edited as text: whole <v:shape> blocks removed or
# added, the rest of the drawing (an owner's notes, form controls) left byte for byte.

# Excel writes the prefix v:, openpyxl ns0:, ns1:, ...: any prefix is taken
_VML_SHAPE = re.compile(rb"<((?:[\w.-]+:)?)shape[\s>].*?</\1shape>(?:\r?\n)?", re.DOTALL)
_VML_ROW = re.compile(rb"<(?:[\w.-]+:)?Row>\s*(\d+)\s*</(?:[\w.-]+:)?Row>")
_VML_COLUMN = re.compile(rb"<(?:[\w.-]+:)?Column>\s*(\d+)\s*</(?:[\w.-]+:)?Column>")
_VML_IDMAP = re.compile(rb'<(?:[\w.-]+:)?idmap [^>]*data="(\d+)')
_VML_NOTE_TYPE = b"_x0000_t202"
_VML_SHAPE_ID = re.compile(rb"_x0000_s(\d+)")


def _vml_drawing(number: int) -> bytes:
    """An empty drawing for notes, as Excel starts one."""
    return (
        b'<xml xmlns:v="urn:schemas-microsoft-com:vml" '
        b'xmlns:o="urn:schemas-microsoft-com:office:office" '
        b'xmlns:x="urn:schemas-microsoft-com:office:excel">\n'
        b'<o:shapelayout v:ext="edit"><o:idmap v:ext="edit" data="'
        + str(number).encode()
        + b'"/></o:shapelayout>\n'
        + _VML_NOTE_SHAPETYPE
        + b"</xml>\n"
    )


_VML_NOTE_SHAPETYPE = (
    b'<v:shapetype id="_x0000_t202" coordsize="21600,21600" o:spt="202" '
    b'path="m,l,21600r21600,l21600,xe"><v:stroke joinstyle="miter"/>'
    b'<v:path gradientshapeok="t" o:connecttype="rect"/></v:shapetype>\n'
)


def _vml_without(vml: bytes, cells: set[tuple[int, int]]) -> bytes:
    """`vml` without the note boxes of `cells` (0-based row, column)."""
    if not cells:
        return vml

    def keep(match: re.Match[bytes]) -> bytes:
        shape = match.group(0)
        if b'ObjectType="Note"' not in shape:
            return shape
        row, col = _VML_ROW.search(shape), _VML_COLUMN.search(shape)
        if row and col and (int(row.group(1)), int(col.group(1))) in cells:
            return b""
        return shape

    return _VML_SHAPE.sub(keep, vml)


def _vml_with(vml: bytes, cells: list[tuple[int, int]], texts: list[str]) -> bytes:
    """`vml` with a (hidden until pointed at) note box for each of `cells`."""
    ids = [int(m) for m in _VML_SHAPE_ID.findall(vml)]
    idmap = _VML_IDMAP.search(vml)
    next_id = max([*ids, (int(idmap.group(1)) if idmap else 1) * 1024]) + 1
    shapes = []
    for (row, col), text in zip(cells, texts, strict=True):
        lines = max(3, min(20, 1 + sum(len(line) // 40 + 1 for line in text.split("\n"))))
        shapes.append(
            f'<v:shape id="_x0000_s{next_id}" type="#_x0000_t202" style="position:absolute;'
            f"margin-left:80pt;margin-top:2pt;width:240pt;height:{lines * 12 + 6}pt;z-index:1;"
            'visibility:hidden" fillcolor="#ffffe1" o:insetmode="auto">'
            '<v:fill color2="#ffffe1"/><v:shadow on="t" color="black" obscured="t"/>'
            '<v:path o:connecttype="none"/><v:textbox style="mso-direction-alt:auto">'
            '<div style="text-align:left"></div></v:textbox>'
            '<x:ClientData ObjectType="Note"><x:MoveWithCells/><x:SizeWithCells/>'
            f"<x:Anchor>{col + 1}, 15, {max(0, row - 1)}, 2, {col + 5}, 15, "
            f"{max(0, row - 1) + lines}, 4</x:Anchor><x:AutoFill>False</x:AutoFill>"
            f"<x:Row>{row}</x:Row><x:Column>{col}</x:Column></x:ClientData></v:shape>\n"
        )
        next_id += 1
    body = "".join(shapes).encode("ascii")
    if b'id="' + _VML_NOTE_TYPE + b'"' not in vml:
        body = _VML_NOTE_SHAPETYPE + body
    end = vml.rfind(b"</xml>")
    if end < 0:
        raise PatchError(
            "a notes drawing (VML) of the workbook is damaged; open it in Excel and save it"
        )
    return vml[:end] + body + vml[end:]


_BAD_SHEET_CHARS = frozenset(":\\/?*[]")


def _check_sheet_name(name: str) -> None:
    if (
        not name
        or len(name) > 31
        or any(ch in _BAD_SHEET_CHARS for ch in name)
        or name[0] == "'"
        or name[-1] == "'"
        or _XML_ILLEGAL.search(name)
        or name.casefold() == "history"  # Excel keeps this name for its change history
    ):
        raise PatchError(
            f"{name!r} is not a valid Excel sheet name: use 1 to 31 characters, none of "
            ": \\ / ? * [ ], not starting or ending with ' and not 'History'"
        )


def _new_worksheet(
    *,
    frozen_rows: int,
    widths: Sequence[float],
    rows: int,
    footer: str = "",
    hidden_columns: Sequence[int] = (),
) -> etree._Element:
    """An empty worksheet part like the ones Excel writes; with `frozen_rows`, the rows above
    the data stay in view and the last of them gets a filter over `rows` rows in all, and the
    sheet prints one page wide with `footer`, its name and the page number at each page's foot.
    """
    frozen = frozen_rows > 0
    root = etree.Element(_q("worksheet"), nsmap={None: MAIN_NS, "r": _DOC_REL_NS})
    if frozen:  # a sheet for people: print it one page wide
        props = etree.SubElement(root, _q("sheetPr"))
        etree.SubElement(props, _q("pageSetUpPr"), {"fitToPage": "1"})
    etree.SubElement(root, _q("dimension"), {"ref": "A1"})
    view = etree.SubElement(etree.SubElement(root, _q("sheetViews")), _q("sheetView"))
    view.set("workbookViewId", "0")
    if frozen:
        top = f"A{frozen_rows + 1}"
        etree.SubElement(
            view,
            _q("pane"),
            {
                "ySplit": str(frozen_rows),
                "topLeftCell": top,
                "activePane": "bottomLeft",
                "state": "frozen",
            },
        )
        etree.SubElement(
            view, _q("selection"), {"pane": "bottomLeft", "activeCell": top, "sqref": top}
        )
    etree.SubElement(root, _q("sheetFormatPr"), {"defaultRowHeight": "15"})
    if widths:
        cols = etree.SubElement(root, _q("cols"))
        for i, width in enumerate(widths, 1):
            col = etree.SubElement(
                cols,
                _q("col"),
                {"min": str(i), "max": str(i), "width": _number(width), "customWidth": "1"},
            )
            if i in hidden_columns:
                col.set("hidden", "1")
    etree.SubElement(root, _q("sheetData"))
    if frozen and widths:
        last = column_letter(len(widths))
        ref = f"A{frozen_rows}:{last}{max(rows, frozen_rows)}"
        etree.SubElement(root, _q("autoFilter"), {"ref": ref})
    etree.SubElement(
        root,
        _q("pageMargins"),
        {"left": "0.25", "right": "0.25", "top": "0.75", "bottom": "0.75", "header": "0.3",
         "footer": "0.3"},
    )  # fmt: skip
    if frozen:
        etree.SubElement(
            root,
            _q("pageSetup"),
            {"paperSize": "9", "orientation": "landscape", "fitToWidth": "1", "fitToHeight": "0"},
        )
        # '&' starts a code: a literal one is doubled; &A is the sheet's name, &P and &N pages
        left = f"&L{footer.replace('&', '&&')}" if footer else ""
        foot = etree.SubElement(etree.SubElement(root, _q("headerFooter")), _q("oddFooter"))
        foot.text = f"{left}&C&A&RPage &P of &N"
    return root
