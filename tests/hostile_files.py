"""Hostile returns, built as leads (and attackers) make them: damaged, forged, oversized and
booby-trapped files made from copies issued by a seed master. Each `Case` names a file, how it is
built, what the merge must say about it, and what it may change; tests/test_hostile_returns.py
merges each one in a batch with a genuine return (see tests/data/hostile/README.md)."""

from __future__ import annotations

import dataclasses
import io
import re
import struct
import zipfile
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from sync.identity import SHEET_IDENTITY
from sync.ledger import SHEET_CONFLICTS, SHEET_MERGED_RETURNS, SHEET_PROPOSALS
from sync.simulate import Answer, fill_copy
from tests.cycle import MERGED, Cycle, cell, sheets, start_cycle
from tests.office import needs_calc_uno
from workbook.importers.seed import seed_plan
from workbook.lead_copy.columns import SHEET_COLUMNS
from workbook.master.sheets import SHEET_CHANGES, SHEET_PLAN, SHEET_UPDATES
from workbook.plan.updates import new_entry_label

#: The sheets a merge appends rows to; every other sheet must come out exactly as it went in.
LOG_SHEETS = {SHEET_UPDATES, SHEET_CHANGES, SHEET_CONFLICTS, SHEET_PROPOSALS, SHEET_MERGED_RETURNS}
#: Words in every hostile update: they must never reach the plan or its Updates log.
HOSTILE = "HOSTILE"
#: The genuine returns: GT alone leads WNI-01, MW alone leads EHP-03.
GOOD = {
    "GT": ("WNI-01", Answer("GREEN", "Genuine: panel held and two posts filled.")),
    "MW": ("EHP-03", Answer("AMBER", "Genuine: the audit is booked for June.")),
}
#: The column letter of each copy column, as issued.
COL = {c.key: get_column_letter(i) for i, c in enumerate(SHEET_COLUMNS, 1)}
#: A line a person can act on says what to do.
ACTION = re.compile(
    r"\b(ask|merge it|issue a fresh|resend|rename|restore|shorten|use|type it|write it)\b"
)
EXCEL_CELL = 32_767
CALC = not needs_calc_uno.args[0]

RTL_EMOJI = (
    "مرحبا، تم إنجاز المراجعة ✔ \u200fשָׁלוֹם: הבדיקה הושלמה\u200e "
    "👩🏽\u200d⚕️ 🚀 🇬🇧 e\u0301 — mixed: abc אבג 123 عربي"
)
#: Every C0 control character but tab, line feed and carriage return, as Excel stores them.
CONTROL = "".join(chr(i) for i in range(0x20) if chr(i) not in "\t\n\r")
CONTROL_TYPED = "before " + "".join(f"_x{ord(ch):04X}_" for ch in CONTROL) + " after\tnext\nline"
CONTROL_STORED = "before  after\tnext\nline"


# --- Building hostile files ----------------------------------------------------------------------


def _fill(c: Cycle, lead: str, answers: dict[str, Answer], out: Path) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    fill_copy(c.copies[lead].path, out, answers)
    return out


def _edited(
    c: Cycle, lead: str, answers: dict[str, Answer], out: Path, edit: Callable[..., None]
) -> Path:
    """`lead`'s copy filled in, then changed with openpyxl (which stores text as given, so an
    Excel escape like _x0001_ in a value is what Excel would have written for that character)."""
    _fill(c, lead, answers, out)
    wb = load_workbook(out)
    edit(wb)
    wb.save(out)
    return out


def _row(ws, ref: str) -> int:
    return next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == ref)


def _typed_raw(c: Cycle, lead: str, ref: str, value: str, out: Path, status: str = "") -> Path:
    """`value` typed into `ref`'s New update as stored in the file (an _xHHHH_ escape is how
    Excel writes a control character)."""

    def edit(wb) -> None:
        ws = wb[SHEET_PLAN]
        r = _row(ws, ref)
        ws[f"{COL['new_update']}{r}"] = value
        if status:
            ws[f"{COL['status']}{r}"] = status

    return _edited(c, lead, {}, out, edit)


def _members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {i.filename: z.read(i.filename) for i in z.infolist()}


def _zip(members: Mapping[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, body in members.items():
            z.writestr(name, body)
    return out.getvalue()


def _found(pattern: str, text: str) -> str:
    """The first group of `pattern`'s first match in `text` (the test's own files: it is there)."""
    m = re.search(pattern, text)
    assert m is not None, pattern
    return m[1]


def _sheet_part(members: Mapping[str, bytes], title: str) -> str:
    """The zip member holding the sheet named `title`."""
    book = members["xl/workbook.xml"].decode()
    rels = members["xl/_rels/workbook.xml.rels"].decode()
    rid = _found(rf'<sheet [^>]*name="{re.escape(title)}"[^>]*r:id="([^"]+)"', book)
    rel = next(r for r in re.findall(r"<Relationship [^>]*>", rels) if f'Id="{rid}"' in r)
    target = _found(r'Target="([^"]+)"', rel)
    return target.lstrip("/") if target.startswith("/") else f"xl/{target}"


def _rewrite(src: Path, out: Path, changes: Mapping[str, bytes | Callable[[bytes], bytes]]) -> Path:
    """`src` with some zip members replaced (a callable gets the old bytes) or added."""
    members = _members(src.read_bytes())
    for name, change in changes.items():
        members[name] = change(members[name]) if callable(change) else change
    out.write_bytes(_zip(members))
    return out


def _plan_part(path: Path) -> str:
    return _sheet_part(_members(path.read_bytes()), SHEET_PLAN)


def _set_cell_xml(cell_ref: str, xml: str) -> Callable[[bytes], bytes]:
    def change(body: bytes) -> bytes:
        text = body.decode()
        new = re.sub(rf'<c r="{cell_ref}"[^>]*?(/>|>.*?</c>)', xml, text, count=1)
        assert new != text, f"no cell {cell_ref}"
        return new.encode()

    return change


def _raw_zip(entries: list[tuple[str, bytes, int, int, int]]) -> bytes:
    """A zip written by hand from (name, raw deflate data, crc, unpacked size, declared size),
    so a member can be compressed once in blocks (fast) and can lie about its size."""
    out = io.BytesIO()
    central = []
    for name, raw, crc, _size, declared in entries:
        n = name.encode()
        offset = out.tell()
        sizes = (crc, len(raw), declared, len(n))
        # local header: version, flags, method 8 (deflate), time, date, crc, sizes, name, extra
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, *sizes, 0))
        out.write(n + raw)
        entry = (20, 20, 0, 8, 0, 0x21, *sizes, 0, 0, 0, 0, 0, offset)
        central.append(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, *entry) + n)
    start = out.tell()
    out.write(b"".join(central))
    count = len(central)
    end = (0, 0, count, count, out.tell() - start, start, 0)
    out.write(struct.pack("<IHHHHIIH", 0x06054B50, *end))
    return out.getvalue()


def _deflate(body: bytes) -> tuple[bytes, int, int]:
    co = zlib.compressobj(6, zlib.DEFLATED, -15)
    return co.compress(body) + co.flush(), zlib.crc32(body), len(body)


def _zip_bomb(src: Path, out: Path, *, megabytes: int, honest: bool) -> Path:
    """`src` with its Action Plan sheet padded with `megabytes` MiB of spaces (valid XML), which
    deflate squeezes about 1000:1. A 1 MiB block is compressed once and repeated (a full flush
    makes every block compress to the same bytes). `honest=False` declares the sheet's original
    size, as a bomb made to slip past a size check would."""
    members = _members(src.read_bytes())
    part = _sheet_part(members, SHEET_PLAN)
    entries = []
    for name, body in members.items():
        if name != part:
            entries.append((name, *_deflate(body), len(body)))
            continue
        cut = body.index(b"<sheetData")
        block = b" " * (1 << 20)
        co = zlib.compressobj(9, zlib.DEFLATED, -15)
        head = co.compress(body[:cut]) + co.flush(zlib.Z_FULL_FLUSH)
        one = co.compress(block) + co.flush(zlib.Z_FULL_FLUSH)
        assert co.compress(block) + co.flush(zlib.Z_FULL_FLUSH) == one
        raw = head + one * megabytes + co.compress(body[cut:]) + co.flush()
        crc = zlib.crc32(body[:cut])
        for _ in range(megabytes):
            crc = zlib.crc32(block, crc)
        crc = zlib.crc32(body[cut:], crc)
        size = len(body) + megabytes * len(block)
        entries.append((name, raw, crc, size, size if honest else len(body)))
    out.write_bytes(_raw_zip(entries))
    return out


_LAUGHS = (
    '<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{i} "{("&lol;" if i == 1 else f"&lol{i - 1};") * 10}">' for i in range(1, 10)
    )
    + "]>"
)  # billion laughs: &lol9; is 10^9 "lol"s, 3 GB


def _xml_bomb_in_sheet(src: Path, out: Path, row: int) -> Path:
    part = _plan_part(src)

    at = f"{COL['new_update']}{row}"
    laughing = _set_cell_xml(at, f'<c r="{at}" t="inlineStr"><is><t>&lol9;</t></is></c>')

    def change(body: bytes) -> bytes:
        text = re.sub(r"^<\?xml[^>]*\?>", "", laughing(body).decode())
        return f'<?xml version="1.0" encoding="UTF-8"?>{_LAUGHS}{text}'.encode()

    return _rewrite(src, out, {part: change})


def _xml_bomb_in_shared_strings(src: Path, out: Path, row: int) -> Path:
    part = _plan_part(src)
    at = f"{COL['new_update']}{row}"
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    strings = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>{_LAUGHS}'
        f'<sst xmlns="{main}" count="1" uniqueCount="1"><si><t>&lol9;</t></si></sst>'
    ).encode()
    ctype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
    override = f'<Override PartName="/xl/sharedStrings.xml" ContentType="{ctype}"/>'.encode()
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"
    relationship = f'<Relationship Type="{rel}" Target="sharedStrings.xml" Id="rIdSST"/>'.encode()
    return _rewrite(
        src,
        out,
        {
            "xl/sharedStrings.xml": strings,
            part: _set_cell_xml(at, f'<c r="{at}" t="s"><v>0</v></c>'),
            "[Content_Types].xml": lambda b: b.replace(b"</Types>", override + b"</Types>"),
            "xl/_rels/workbook.xml.rels": lambda b: b.replace(
                b"</Relationships>", relationship + b"</Relationships>"
            ),
        },
    )


def _junk_rows(src: Path, out: Path, count: int) -> Path:
    """`src` with `count` rows added under its items, each with a ref that is nobody's item and
    a New update (written into the sheet XML: openpyxl would take seconds)."""
    part = _plan_part(src)

    def change(body: bytes) -> bytes:
        text = body.decode()
        last = max(int(r) for r in re.findall(r'<row r="(\d+)"', text))
        h = COL["new_update"]
        rows = "".join(
            f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>X-{r:06d}</t></is></c>'
            f'<c r="{h}{r}" t="inlineStr"><is><t>{HOSTILE} junk {r}</t></is></c></row>'
            for r in range(last + 1, last + 1 + count)
        )
        text = text.replace("</sheetData>", rows + "</sheetData>")
        dimension = f'<dimension ref="A1:I{last + count}"/>'
        return re.sub(r'<dimension ref="[^"]+"/>', dimension, text).encode()

    return _rewrite(src, out, {part: change})


def _far_cell(src: Path, out: Path, cell_ref: str) -> Path:
    """`src` with one more cell, far down or far right, in its Action Plan sheet."""
    part = _plan_part(src)
    row = int(_found(r"[A-Z]+(\d+)", cell_ref))
    extra = f'<row r="{row}"><c r="{cell_ref}" t="inlineStr"><is><t>x</t></is></c></row>'
    end = b"</sheetData>"
    return _rewrite(src, out, {part: lambda b: b.replace(end, extra.encode() + end)})


def _identity_edit(field: str, value: Callable[[str], str | None]) -> Callable[..., None]:
    def edit(wb) -> None:
        ws = wb[SHEET_IDENTITY]
        r = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == field)
        ws.cell(r, 2).value = value(str(ws.cell(r, 2).value))

    return edit


# --- The cases -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """A hostile return: how to make it, and what the merge must say about it."""

    name: str  # the file name, as the lead sent it
    build: Callable[[Cycle, Path], Path]  # (issued cycle, output path) -> the file
    says: str  # a phrase of the one line that explains it
    #: "rejected" whole; "row": merged, with the bad value rejected/ignored on its row; "taken":
    #: merged, the value stored exactly (these change `changes`, (ref, column title) pairs)
    outcome: str = "rejected"
    changes: tuple[tuple[str, str], ...] = ()
    #: whether the line also says what to do (False: observed not to; see the report)
    advice: bool = True


def _hostile_lh(c: Cycle, out: Path) -> Path:
    """LH's copy with a status and an update that must never reach the master."""
    return _fill(c, "LH", {"WNI-02": Answer("RED", f"{HOSTILE} words")}, out)


def _truncated(c: Cycle, out: Path) -> Path:
    data = _hostile_lh(c, out).read_bytes()
    out.write_bytes(data[: len(data) // 2])
    return out


def _corrupt_member(c: Cycle, out: Path) -> Path:
    """The zip directory intact, but 64 bytes of the sheet's compressed data scrambled."""
    data = bytearray(_hostile_lh(c, out).read_bytes())
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as z:
        info = z.getinfo(_sheet_part(_members(bytes(data)), SHEET_PLAN))
    n, e = struct.unpack("<HH", data[info.header_offset + 26 : info.header_offset + 30])
    middle = info.header_offset + 30 + n + e + info.compress_size // 2
    for i in range(middle, middle + 64):
        data[i] ^= 0x5A
    out.write_bytes(bytes(data))
    return out


def _bytes(content: bytes) -> Callable[[Cycle, Path], Path]:
    def build(c: Cycle, out: Path) -> Path:
        out.write_bytes(content)
        return out

    return build


def _other_zip(c: Cycle, out: Path) -> Path:
    out.write_bytes(_zip({"readme.txt": b"a zip, but not a workbook"}))
    return out


def _minimal_ods(c: Cycle, out: Path) -> Path:
    out.write_bytes(
        _zip(
            {
                "mimetype": b"application/vnd.oasis.opendocument.spreadsheet",
                "content.xml": b"<office:document-content/>",
            }
        )
    )
    return out


def _bomb(honest: bool) -> Callable[[Cycle, Path], Path]:
    def build(c: Cycle, out: Path) -> Path:
        src = _hostile_lh(c, out)
        return _zip_bomb(src, out, megabytes=600, honest=honest)

    return build


def _xml_bomb(where: str) -> Callable[[Cycle, Path], Path]:
    def build(c: Cycle, out: Path) -> Path:
        src = _hostile_lh(c, out)
        row = _row(load_workbook(src)[SHEET_PLAN], "WNI-02")
        make = _xml_bomb_in_sheet if where == "sheet" else _xml_bomb_in_shared_strings
        return make(src, out, row)

    return build


def _other_plan(c: Cycle, out: Path) -> Path:
    other = start_cycle(
        out.parent / ".other plan",
        dataclasses.replace(seed_plan(), plan_id="plan-someone-else"),
        leads=["LH"],
    )
    return _hostile_lh(other, out)


def _identity(field: str, value: Callable[[str], str | None]) -> Callable[[Cycle, Path], Path]:
    def build(c: Cycle, out: Path) -> Path:
        answers = {"WNI-02": Answer("RED", f"{HOSTILE} words")}
        return _edited(c, "LH", answers, out, _identity_edit(field, value))

    return build


def _no_identity(c: Cycle, out: Path) -> Path:
    def edit(wb) -> None:
        del wb[SHEET_IDENTITY]

    return _edited(c, "LH", {"WNI-02": Answer("RED", f"{HOSTILE} words")}, out, edit)


def _renamed(c: Cycle, out: Path) -> Path:
    def edit(wb) -> None:
        wb[SHEET_PLAN].title = "My actions"

    return _edited(c, "LH", {"WNI-02": Answer("RED", f"{HOSTILE} words")}, out, edit)


def _no_header(c: Cycle, out: Path) -> Path:
    def edit(wb) -> None:
        ws = wb[SHEET_PLAN]
        ws.delete_rows(next(r for r in range(1, 40) if ws.cell(r, 1).value == "Ref"))

    return _edited(c, "LH", {"WNI-02": Answer("RED", f"{HOSTILE} words")}, out, edit)


def _duplicate_refs(c: Cycle, out: Path) -> Path:
    """JoR's EHP-05 row copied below the items, with a different update on each."""

    def edit(wb) -> None:
        ws = wb[SHEET_PLAN]
        r = _row(ws, "EHP-05")
        below = ws.max_row + 1
        for col in range(1, len(SHEET_COLUMNS) + 1):
            ws.cell(below, col).value = ws.cell(r, col).value
        ws[f"{COL['new_update']}{below}"] = f"{HOSTILE} the other version"

    return _edited(c, "JoR", {"EHP-05": Answer("RED", f"{HOSTILE} one version")}, out, edit)


def _someone_elses_ref(c: Cycle, out: Path) -> Path:
    """DoP's only row (AIA-05) retyped as IL-02, AxB's item, with an update on it."""

    def edit(wb) -> None:
        ws = wb[SHEET_PLAN]
        ws.cell(_row(ws, "AIA-05"), 1).value = "IL-02"

    return _edited(c, "DoP", {"AIA-05": Answer("RED", f"{HOSTILE} for AxB's item")}, out, edit)


def _update_of_excel_limit(c: Cycle, out: Path) -> Path:
    words = HOSTILE + "x" * (EXCEL_CELL - len(HOSTILE))
    return _fill(c, "DM", {"EHP-07": Answer("", words)}, out)


def _update_overflowing_the_cell(c: Cycle, out: Path) -> Path:
    """An update one character too long for what AIA-06's Update cell already holds."""
    words = HOSTILE + "y" * (_room(c, "AIA-06", "LJ") + 1 - len(HOSTILE))
    return _fill(c, "LJ", {"AIA-06": Answer("", words)}, out)


def _room(c: Cycle, ref: str, lead: str) -> int:
    """How many characters of a new update still fit in `ref`'s Update cell."""
    history = str(cell(sheets(c.master)[SHEET_PLAN], ref, "Update") or "")
    label = f"{new_entry_label(MERGED.date(), lead)}: "
    return EXCEL_CELL - len(label) - (len("\n\n") + len(history) if history else 0)


def _merged_status_and_update(c: Cycle, out: Path) -> Path:
    """CCPB merges Status and New update of their row and types the update into the merged
    cell (so it lands in the Status column)."""

    def edit(wb) -> None:
        ws = wb[SHEET_PLAN]
        r = _row(ws, "CEY-02")
        ws.merge_cells(f"{COL['status']}{r}:{COL['new_update']}{r}")
        ws[f"{COL['status']}{r}"] = f"{HOSTILE} typed into the merged cell"

    return _edited(c, "CCPB", {}, out, edit)


def _hundred_thousand_rows(c: Cycle, out: Path) -> Path:
    src = _fill(c, "LYH", {}, out)
    return _junk_rows(src, out, 100_000)


def _control_characters(c: Cycle, out: Path) -> Path:
    return _typed_raw(c, "RB", "EHP-01", CONTROL_TYPED, out)


def _rtl_and_emoji(c: Cycle, out: Path) -> Path:
    return _fill(c, "VK", {"EHP-09": Answer("", RTL_EMOJI)}, out)


def _formula_without_cached_value(c: Cycle, out: Path) -> Path:
    """A real formula cell as openpyxl writes it: no cached value."""

    def edit(wb) -> None:
        ws = wb[SHEET_PLAN]
        ws[f"{COL['new_update']}{_row(ws, 'CEY-01')}"] = "=1+1"

    return _edited(c, "AM", {}, out, edit)


def _formula_with_cached_value(c: Cycle, out: Path) -> Path:
    """A formula cell as Excel saves it: the formula and its cached value."""
    base = _fill(c, "AM", {"CEY-01": Answer("", "placeholder")}, out)
    r = _row(load_workbook(base)[SHEET_PLAN], "CEY-01")
    h = COL["new_update"]
    xml = (
        f'<c r="{h}{r}" t="str"><f>HYPERLINK("http://example.invalid/x","click me")</f>'
        "<v>click me</v></c>"
    )
    return _rewrite(base, out, {_plan_part(base): _set_cell_xml(f"{h}{r}", xml)})


XLSM_MAIN = b"application/vnd.ms-excel.sheet.macroEnabled.main+xml"


def _xlsm(c: Cycle, out: Path) -> Path:
    """AxB's copy re-saved as .xlsm: a vbaProject part, its relationship, the macro content
    type."""
    _fill(c, "AxB", {"IL-02": Answer("AMBER", "Saved as xlsm.")}, out)
    vba = OLE + b"\0" * 504 + b'Sub Workbook_Open()\nShell "x"\n'
    main = b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
    vba_type = b'<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/>'
    rel = b"http://schemas.microsoft.com/office/2006/relationships/vbaProject"
    vba_rel = b'<Relationship Type="%s" Target="vbaProject.bin" Id="rIdVBA"/>' % rel

    def types(body: bytes) -> bytes:
        return body.replace(main, XLSM_MAIN).replace(b"</Types>", vba_type + b"</Types>")

    def rels(body: bytes) -> bytes:
        return body.replace(b"</Relationships>", vba_rel + b"</Relationships>")

    changes: dict[str, bytes | Callable[[bytes], bytes]] = {
        "xl/vbaProject.bin": vba,
        "[Content_Types].xml": types,
    }
    return _rewrite(out, out, {**changes, "xl/_rels/workbook.xml.rels": rels})


#: An OLE2 compound file's signature: .xls, and Office's encrypted workbooks (which also hold
#: an "EncryptionInfo" stream, its name in UTF-16).
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ENCRYPTED = "EncryptionInfo".encode("utf-16-le")

CASES = [
    Case("truncated.xlsx", _truncated, "incomplete or damaged"),
    Case("corrupt member.xlsx", _corrupt_member, "damaged or not a workbook"),
    Case("empty.xlsx", _bytes(b""), "the file is empty"),
    Case("not a zip.xlsx", _bytes(b"Dear owner, my update is below.\n"), "not an .xlsx workbook"),
    Case("another zip.xlsx", _other_zip, "not an .xlsx workbook"),
    Case("zip bomb.xlsx", _bomb(honest=True), "unpacks to 600 MB", advice=False),
    Case("zip bomb lying sizes.xlsx", _bomb(honest=False), "damaged or not a workbook"),
    Case("xml bomb sheet.xlsx", _xml_bomb("sheet"), "damaged or not a workbook"),
    Case("xml bomb sharedStrings.xlsx", _xml_bomb("strings"), "damaged or not a workbook"),
    Case("old.xls", _bytes(OLE + b"\0" * 1024), "old-style .xls"),
    Case("locked.xlsx", _bytes(OLE + b"\0" * 512 + ENCRYPTED + b"\0" * 512), "password-protected"),
    Case("minimal.ods", _minimal_ods, "OpenDocument (.ods)"),
    Case("other plan.xlsx", _other_plan, "a copy of another plan"),
    Case("identity lead.xlsx", _identity("Lead", lambda v: "GT"), "signature does not match"),
    Case(
        "identity issue.xlsx",
        _identity("Issue id", lambda v: v[:-6] + "000000"),
        "was not issued from this master",
    ),
    Case(
        "identity refs.xlsx", _identity("Refs", lambda v: v + " WNI-01"), "signature does not match"
    ),
    Case("identity signature.xlsx", _identity("Signature", lambda v: None), "has no Signature"),
    Case("identity removed.xlsx", _no_identity, "not an actionplan copy"),
    Case("renamed sheet.xlsx", _renamed, "rename the sheet back to 'Action Plan'"),
    Case("no header.xlsx", _no_header, "lost its header row"),
    Case("duplicate refs.xlsx", _duplicate_refs, "on more than one row", "row"),
    Case("someone else's ref.xlsx", _someone_elses_ref, "not one of the items in your copy", "row"),
    Case("update 32767.xlsx", _update_of_excel_limit, "32,767-character limit", "row"),
    Case("update overflows.xlsx", _update_overflowing_the_cell, "32,767-character limit", "row"),
    Case("merged cells.xlsx", _merged_status_and_update, "is not a RAG status", "row"),
    Case("100k rows.xlsx", _hundred_thousand_rows, "not one of the items in your copy", "row"),
    # taken in on purpose: stored exactly, never evaluated
    Case("control characters.xlsx", _control_characters, "", "taken", (("EHP-01", "Update"),)),
    Case("rtl and emoji.xlsx", _rtl_and_emoji, "", "taken", (("EHP-09", "Update"),)),
    # a formula in an answer cell is quoted on the receipt, whatever its value, never taken in
    Case("formula no cache.xlsx", _formula_without_cached_value, "holds a formula", "row"),
    Case("formula cached.xlsx", _formula_with_cached_value, "holds a formula", "row"),
    Case("macros.xlsm", _xlsm, "", "taken", (("IL-02", "Status"), ("IL-02", "Update"))),
]
REFUSED = [c for c in CASES if c.outcome != "taken"]
CASE = {c.name: c for c in CASES}
TIMED = {"zip bomb.xlsx", "zip bomb lying sizes.xlsx", "xml bomb sheet.xlsx"}
TIMED |= {"xml bomb sharedStrings.xlsx", "100k rows.xlsx"}
