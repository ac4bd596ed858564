"""What a workbook's parts say beyond its cell values: formulas as typed, each number's format,
comments, and when the workbook was saved - read straight from the zip's XML.

A values reader (python-calamine) gives a formula cell's saved result (nothing at all for an
error such as #NAME?), a date cell as a date whatever it showed, and no comments; a lead's words
can hide in any of those. `inspect_sheets` reads them for the sheets asked for, once, with
regular expressions over the XML (any namespace prefix), never evaluating anything.
"""

from __future__ import annotations

import datetime as dt
import html
import posixpath
import re
import zipfile
import zlib
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

from workbook.xlsx.cells import column_number
from workbook.xlsx.numbers import format_code

Cell = tuple[int, int]  # (row, column), 1-based


@dataclass(frozen=True)
class SheetParts:
    """One sheet's formulas, number formats and comments, by cell."""

    #: the formula text of every formula cell, without its "=" ("" for a cell that shares the
    #: formula of another cell and writes none of its own)
    formulas: Mapping[Cell, str] = field(default_factory=dict)
    #: the number format code of every cell holding a number (dates are numbers)
    number_formats: Mapping[Cell, str] = field(default_factory=dict)
    #: the text of every comment (note), by the cell it is on
    comments: Mapping[Cell, str] = field(default_factory=dict)


@dataclass(frozen=True)
class PackageFacts:
    """The facts of a workbook's parts that a values reader does not give."""

    #: when the workbook was last saved (`dcterms:modified`), naive as written; None if unknown
    saved_at: dt.datetime | None = None
    #: sheet title -> its parts, for the sheets asked for
    sheets: Mapping[str, SheetParts] = field(default_factory=dict)

    def sheet(self, title: str) -> SheetParts:
        wanted = title.strip().casefold()
        return next(
            (p for t, p in self.sheets.items() if t.strip().casefold() == wanted), SheetParts()
        )


_ATTR = re.compile(r'([\w:]+)\s*=\s*(?:"([^"]*)"|\'([^\']*)\')')
_CELL = re.compile(rb"<(?:\w+:)?c\b([^>]*?)(?:/>|>(.*?)</(?:\w+:)?c>)", re.DOTALL)
_REF = re.compile(rb"\br\s*=\s*[\"']\s*\$?([A-Za-z]+)\$?([0-9]+)")
_TYPE = re.compile(rb"\bt\s*=\s*[\"']([^\"']*)[\"']")
_STYLE = re.compile(rb"\bs\s*=\s*[\"']\s*([0-9]+)")
_FORMULA = re.compile(rb"<(?:\w+:)?f\b[^>]*?(?:/>|>(.*?)</(?:\w+:)?f>)", re.DOTALL)
_FORMULA_TAG = re.compile(rb"<(?:\w+:)?f[\s/>]")
#: A cell with a value and no type but number (`t="n"` or none): its start tag's attributes, up
#: to its `<v>`, never past its own end.
_NUMBER_CELL = re.compile(
    rb"<(?:\w+:)?c\b(?![^>]*\bt\s*=\s*[\"'](?!n[\"']))([^>]*?)(?<!/)>"
    rb"(?:(?!</(?:\w+:)?c>).)*?<(?:\w+:)?v>",
    re.DOTALL,
)
_MODIFIED = re.compile(r"<(?:\w+:)?modified\b[^>]*>([^<]+)<")
_NUMFMT = re.compile(r"<(?:\w+:)?numFmt\b([^>]*)/?>")
_XFS = re.compile(r"<(?:\w+:)?cellXfs\b[^>]*>(.*?)</(?:\w+:)?cellXfs>", re.DOTALL)
_XF = re.compile(r"<(?:\w+:)?xf\b([^>]*?)(?:/>|>)")
_COMMENT = re.compile(r"<(?:\w+:)?comment\b([^>]*)>(.*?)</(?:\w+:)?comment>", re.DOTALL)
_TEXT = re.compile(r"<(?:\w+:)?t\b[^>]*>(.*?)</(?:\w+:)?t>", re.DOTALL)
_RPH = re.compile(r"<(?:\w+:)?rPh\b.*?</(?:\w+:)?rPh>", re.DOTALL)


def _attrs(text: str) -> dict[str, str]:
    return {k: a if a else b for k, a, b in _ATTR.findall(text)}


def _cell(ref: str) -> Cell | None:
    m = re.fullmatch(r"\s*\$?([A-Za-z]{1,3})\$?([0-9]+)\s*", ref)
    return (int(m[2]), column_number(m[1])) if m else None


def inspect_sheets(
    z: zipfile.ZipFile,
    titles: Collection[str] | None = None,
    *,
    unpacked: Mapping[str, bytes] | None = None,
) -> PackageFacts:
    """The facts of the sheets called `titles` (any case; all sheets when None) in an open
    .xlsx zip; `unpacked` holds members the caller has already unpacked, by name. Parts that
    are missing or cannot be read are taken as empty: a values reader decides whether the
    workbook can be read at all."""
    names = set(z.namelist())
    wanted = None if titles is None else {t.strip().casefold() for t in titles}
    formats = _number_formats(_read(z, "xl/styles.xml", names))
    sheets: dict[str, SheetParts] = {}
    for title, part in sheet_parts(z, names).items():
        if wanted is not None and title.strip().casefold() not in wanted:
            continue
        xml = unpacked[part] if unpacked and part in unpacked else _read_bytes(z, part, names)
        formulas, number_formats = _cells(xml, formats)
        sheets[title] = SheetParts(formulas, number_formats, _comments(z, part, names))
    return PackageFacts(_saved_at(_read(z, "docProps/core.xml", names)), sheets)


def sheet_parts(z: zipfile.ZipFile, names: Collection[str] | None = None) -> dict[str, str]:
    """Sheet title -> the zip member holding it, through workbook.xml and its relationships."""
    names = set(z.namelist()) if names is None else names
    book = _read(z, "xl/workbook.xml", names)
    targets = _targets(_read(z, "xl/_rels/workbook.xml.rels", names), "xl/workbook.xml")
    out: dict[str, str] = {}
    for m in re.finditer(r"<(?:\w+:)?sheet\b([^>]*)/?>", book):
        attrs = _attrs(m[1])
        rid = next((v for k, v in attrs.items() if k.endswith(":id")), "")
        if "name" in attrs and rid in targets:
            out[html.unescape(attrs["name"])] = targets[rid]
    return out


def _targets(rels: str, source: str) -> dict[str, str]:
    """Relationship id -> the member it points to, resolved against `source`'s folder."""
    out = {}
    for m in re.finditer(r"<(?:\w+:)?Relationship\b([^>]*)/?>", rels):
        attrs = _attrs(m[1])
        target = attrs.get("Target", "")
        if not target or attrs.get("TargetMode") == "External":
            continue
        if target.startswith("/"):
            path = target.lstrip("/")
        else:
            path = posixpath.normpath(posixpath.join(posixpath.dirname(source), target))
        out[attrs.get("Id", "")] = path
        out.setdefault("type:" + attrs.get("Type", "").rsplit("/", 1)[-1], path)
    return out


def _read_bytes(z: zipfile.ZipFile, member: str, names: Collection[str]) -> bytes:
    if member not in names:
        return b""
    try:
        return z.read(member)
    except (zipfile.BadZipFile, zlib.error, EOFError, ValueError, KeyError, OSError):
        return b""


def _read(z: zipfile.ZipFile, member: str, names: Collection[str]) -> str:
    return _read_bytes(z, member, names).decode("utf-8", "replace")


def _saved_at(core: str) -> dt.datetime | None:
    m = _MODIFIED.search(core)
    if m is None:
        return None
    try:
        when = dt.datetime.fromisoformat(m[1].strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    # Excel writes UTC, LibreOffice the local time, both marked "Z": kept as written, naive
    return when.replace(tzinfo=None)


def _number_formats(styles: str) -> list[str]:
    """Each cell format (`s="n"` on a cell) to its number format code."""
    own = {}
    for m in _NUMFMT.finditer(styles):
        attrs = _attrs(m[1])
        if attrs.get("numFmtId", "").isdigit():
            own[int(attrs["numFmtId"])] = html.unescape(attrs.get("formatCode", ""))
    xfs = _XFS.search(styles)
    codes = []
    for m in _XF.finditer(xfs[1] if xfs else ""):
        fmt = _attrs(m[1]).get("numFmtId", "0")
        codes.append(format_code(own, int(fmt) if fmt.isdigit() else 0))
    return codes


def _cells(xml: bytes, formats: list[str]) -> tuple[dict[Cell, str], dict[Cell, str]]:
    """Each formula as typed, and the number format of each cell holding a number that is shown
    other than as General or Text. Only cells that can have either are looked at one by one:
    a copy's cells are text, so this stays a scan of the XML in the regex engine."""
    formulas: dict[Cell, str] = {}
    if _FORMULA_TAG.search(xml):  # not a rule's <formula>: only a cell's <f>
        for m in _CELL.finditer(xml):
            ref = _REF.search(m[1])
            if ref is not None and (f := _FORMULA.search(m[2] or b"")):
                where = (int(ref[2]), column_number(ref[1]))
                formulas[where] = html.unescape((f[1] or b"").decode("utf-8", "replace"))
    number_formats: dict[Cell, str] = {}
    for m in _NUMBER_CELL.finditer(xml):
        ref = _REF.search(m[1])
        if ref is None:
            continue
        style = _STYLE.search(m[1])
        index = int(style[1]) if style else 0
        code = formats[index] if index < len(formats) else "General"
        if code not in ("General", "@"):
            number_formats[(int(ref[2]), column_number(ref[1]))] = code
    return formulas, number_formats


def _comments(z: zipfile.ZipFile, part: str, names: Collection[str]) -> dict[Cell, str]:
    rels_name = posixpath.join(posixpath.dirname(part), "_rels", posixpath.basename(part) + ".rels")
    if rels_name not in names:
        return {}
    target = _targets(_read(z, rels_name, names), part).get("type:comments")
    if target is None:
        return {}
    out: dict[Cell, str] = {}
    for m in _COMMENT.finditer(_read(z, target, names)):
        where = _cell(_attrs(m[1]).get("ref", ""))
        if where is None:
            continue
        body = _RPH.sub("", m[2])  # phonetic runs are not what was typed
        text = "".join(html.unescape(t) for t in _TEXT.findall(body))
        if text.strip():
            out[where] = text
    return out
