"""Fuzzing the readers and the merge: whatever comes in, only the documented errors come out.

Targets, and the properties each must keep on every example:

1. The text-export importer (`import_text` on text, `import_plan` on files of bytes):
   a. arbitrary text built from unicode, HTML fragments (`<p>`, `<i>`, `<ol><li>`, entities,
      unclosed tags and comments), table separator lines, page-heading-like lines, NULs and odd
      line breaks; and files of bytes in UTF-8, UTF-8 with BOM, UTF-16 with BOM, Windows-1252,
      mixtures of them, and random binary;
   b. mutations of the real seed export: lines deleted, duplicated, swapped, characters inserted,
      the text cut short;
   -> a Plan or a PlanImportError whose message is one line; never another exception, never more
   than a few seconds; and no text lost: every word in the cells (and the stray lines) of the
   table rows that are there ends up somewhere in the plan. Realistic exports re-encoded in any
   of the supported encodings import exactly as the text does.
2. The return reader: `returned_copy` on random grids (None, strings with control characters or
   huge, floats with nan/inf, bools, dates, times) with and without the identity sheet and the
   header row, and on the real copy's grids edited at random; `read_return` on random bytes, on
   zips of random parts, on byte-level mutations (flip, truncate, insert, delete) of a real
   returned copy, and on the real copy's XML parts mutated and zipped again
   -> a ReturnedCopy or a ReturnError in one line, never another exception, within seconds.
3. The merge core: thousands of batches (nightly) built from the real master and its issued
   copies: several leads' answers (statuses valid and not, updates up to Excel's cell limit,
   proposed time-scales good and bad), tampered identities, duplicate and foreign rows, the same
   file twice, files already merged or rejected, the owner's own edits
   -> no exception; the same change set whatever order the returns come in; the exit code says
   exactly whether something needs the owner's attention; the change set's rows agree with the
   receipt lines; every cell written fits in an Excel cell.

Every bug this found is fixed and kept as a test of its own (see docs/reliability.md); any
exception the targets meet now fails them at once.

Running it:

    python -m pytest tests/test_fuzz.py -q                              # "ci": 60 a target
    HYPOTHESIS_PROFILE=nightly python -m pytest tests/test_fuzz.py -q   # 2000 a target

Add `--hypothesis-show-statistics` to see each target's examples, timings and events, and
`--hypothesis-seed=N` to replay a run. On 2 cores: "ci" about 20 s, "nightly" 4-7 minutes
(2000 examples a target; 500 for the encodings property, whose plans are slow to draw).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import io
import re
import signal
import subprocess
import sys
import tempfile
import time
import zipfile
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from python_calamine import CalamineWorkbook
from strategies import plans, render_text_export

from sync.identity import SHEET_IDENTITY
from sync.ledger import MergedReturn
from sync.merge.core import ChangeSet, MasterState, RejectedFile, master_state, merge
from sync.merge.outcomes import ATTENTION, Outcome
from sync.returns import ReturnedCopy, ReturnError, read_return, returned_copy
from sync.simulate import Answer
from workbook.errors import PlanImportError
from workbook.importers.document import N_CELLS, cell_text
from workbook.importers.html import parse_cell
from workbook.importers.seed import seed_plan, seed_text
from workbook.importers.source import import_plan
from workbook.importers.text import import_text, is_header
from workbook.lead_copy.columns import COPY_COLUMNS
from workbook.master.sheets import SHEET_PLAN
from workbook.plan.model import Plan
from workbook.plan.status import RAG_CODES

#: Longest any single call may take on a fuzz example (the inputs are small: a real hang or a
#: quadratic blow-up shows as many times this).
BUDGET_S = 5.0
#: Excel's limit on one cell, in UTF-16 code units (Excel counts a character outside the BMP twice).
EXCEL_CELL_UNITS = 32_767
WHEN = dt.datetime(2023, 6, 1, 12, 0)

FUZZ = settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# --- Shared checks ------------------------------------------------------------------------------


class Hang(BaseException):
    """A call ran past its budget. A BaseException, so no `except Exception` in the code under
    test turns it into an ordinary error."""


@contextmanager
def time_limit(seconds: float = BUDGET_S) -> Iterator[None]:
    """Interrupt the block (with Hang) once it has run `seconds`. Pure Python and most regex
    matching are interrupted at once; a native reader (calamine) or a regex loop that does not
    check for signals is caught as soon as it returns. Inside another time_limit, the outer one
    governs."""
    if signal.getitimer(signal.ITIMER_REAL)[0]:
        yield
        return

    def _expired(signum: int, frame: object) -> None:
        raise Hang(f"ran past its {seconds} s budget")

    previous = signal.signal(signal.SIGALRM, _expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def check_one_line(error: Exception) -> None:
    message = str(error)
    assert message.strip(), f"{type(error).__name__} with no message"
    assert len(message.splitlines()) == 1, f"message of more than one line: {message!r}"


# --- 1. The text-export importer ------------------------------------------------------------------

HEADER = (
    "Ofsted Findings / Additional improvements identified through the process of inspection"
    "\tAction\tLead\tTime-scale\tUpdate\tStatus"
)
_HTML = st.sampled_from(
    ["<p>", "</p>", "<i>", "</i>", "<em>", "</em>", '<ol style="list-style-type: none">', "</ol>",
     "<li>", "</li>", "<br>", "<br/>", "<div>", "&amp;", "&lt;", "&#8211;", "&#0;", "&#xD800;",
     "&#99999999;", "&nbsp;", "&bogus;", "<", ">", "</", "<!--", "-->", "<![CDATA[", "<?x ",
     "<!DOCTYPE", "<script>", "</script>", "<style>", "<b", "<i", '<p class="x', "&", ";",
     "<![", "<![if ", "<!x ", "<!", "<?", "]]>"]
)  # fmt: skip
_PLAN_WORDS = st.sampled_from(
    ["1. ", "2. ", " 3. ", "1.", "Update mid-May 23: ", "Up-date April 2023:", "Update 0000:",
     "GREEN", "amber", "BLUE", "Complete", "GT / LH", "JoR", "Mar-24", "Sept 2023", "May 0000",
     "31/03/2024", "Chair Corporate Parenting Board", "What needs to improve", "review the plan",
     "OFSTED ACTION PLAN", "Page 3 of 12", "March 2023", "RAG status Key:", "café", "–", "😀",
     "\x00", "\r", "\r\n", "\u2028", "\ufeff", "\x85", "\x0b", "\x1c", " ", "  ", "\t"]
)  # fmt: skip
_FRAGMENT = st.one_of(_HTML, _PLAN_WORDS, st.text(max_size=12), st.characters())
#: One cell of the table, as a document conversion might leave it.
CELL = st.lists(_FRAGMENT, max_size=6).map("".join)
_SPECIAL_LINES = st.sampled_from(
    [HEADER, HEADER.upper(), "Finding\tAction\tLead\tTime\tUpdate", "|---|---|---|---|---|---|",
     "--\t---\t---------\t-----\t---\t--", "=====", "+---+---+", "What needs to improve\t\t\t\t\t",
     "Early Help and Protection", "OFSTED ACTION PLAN", "Page 2 of 9", "BLUE Complete", "",
     "\t\t\t\t\t", "\x00\x00", "<p>The effectiveness of the response.</p>"]
)  # fmt: skip
LINE = st.one_of(
    st.lists(CELL, min_size=2, max_size=8).map("\t".join),
    _SPECIAL_LINES,
    st.text(max_size=40),
)


@st.composite
def export_texts(draw: st.DrawFn) -> str:
    """Text shaped like an export most of the time (a header line somewhere, rows after it), and
    sometimes not at all."""
    lines = draw(st.lists(LINE, max_size=14))
    if draw(st.integers(0, 4)):
        lines.insert(draw(st.integers(0, len(lines))), HEADER)
    return draw(st.sampled_from(["\n", "\r\n", "\r"])).join(lines)


_WORD = re.compile(r"[^\W\d_]+")


def _words(text: str) -> set[str]:
    return {w.casefold() for w in _WORD.findall(text)}


def table_words(text: str) -> set[str]:
    """The words of the table as the export holds it: every cell of every row under the header
    (markup read as a browser would), and the text outside the table between its rows."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    header_at = next((i for i, line in enumerate(lines) if is_header(line.split("\t"))), None)
    words: set[str] = set()
    if header_at is None:
        return words
    for line in lines[header_at + 1 :]:
        if "\t" not in line:
            words |= _words(line)  # text outside the table: kept as a note, or a repeated heading
            continue
        for cell in line.split("\t")[:N_CELLS]:
            words |= _words(cell_text(parse_cell(cell)))
    return words


def plan_texts(plan: Plan) -> str:
    parts = [plan.title, plan.organisation, plan.date_label, *plan.sections, *plan.notes]
    for it in plan.items:
        parts += [it.finding_text, *it.actions, it.lead, it.timescale, it.status]
        parts += [text for _, text in it.extra]  # the document's own columns
        parts += [u.display for u in it.updates]
    return "\n".join(parts)


def check_plan(plan: Plan, text: str) -> None:
    """The plan is well formed, and every word of the table is in it."""
    refs = [it.ref for it in plan.items]
    assert plan.items and len(set(refs)) == len(refs)
    assert {it.section for it in plan.items} <= set(plan.sections)
    assert all(it.finding_text.strip() for it in plan.items)
    texts = plan_texts(plan)
    haystack = texts.casefold()
    # a word may run into its neighbour in the plan (markup between them): look for it as text
    lost = sorted(w for w in table_words(text) - _words(texts) if w not in haystack)
    assert not lost, f"words lost on import: {lost[:20]}"


def import_or_error(text: str) -> Plan | None:
    """import_text's answer: a Plan, or None for a PlanImportError (checked to be one line)."""
    try:
        with time_limit():
            return import_text(text)
    except PlanImportError as e:
        check_one_line(e)
        return None


@FUZZ
@given(export_texts())
def test_fuzz_import_text_arbitrary(text: str) -> None:
    plan = import_or_error(text)
    event("plan" if plan is not None else "PlanImportError")
    if plan is not None:
        check_plan(plan, text)


SEED_LINES = tuple(seed_text().split("\n"))
SEED_ITEMS = seed_plan().items
_SEPARATOR_LINE = re.compile(r"^[\s\-=_|+]*$")
_INSERTED = st.text(
    st.one_of(st.sampled_from("\t\n\r<>&;/.1 \x00i"), st.characters()), min_size=1, max_size=5
)


@dataclass(frozen=True)
class Mutated:
    text: str
    ops: tuple[str, ...]
    harmless: bool  # only blank or separator lines deleted or duplicated: the items must not change


@st.composite
def seed_mutations(draw: st.DrawFn) -> Mutated:
    lines = list(SEED_LINES)
    ops: list[str] = []
    harmless = True
    for op in draw(
        st.lists(st.sampled_from(["delete", "duplicate", "swap", "insert", "cut"]), min_size=1,
                 max_size=4)
    ):  # fmt: skip
        if not lines:
            break
        i = draw(st.integers(0, len(lines) - 1))
        filler = _SEPARATOR_LINE.match(lines[i]) is not None
        if op == "delete":
            del lines[i]
        elif op == "duplicate":
            lines.insert(i, lines[i])
        elif op == "swap":
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
            filler = filler and _SEPARATOR_LINE.match(lines[i]) is not None
        elif op == "insert":
            pos = draw(st.integers(0, len(lines[i])))
            lines[i] = lines[i][:pos] + draw(_INSERTED) + lines[i][pos:]
            filler = False
        else:
            text = "\n".join(lines)
            lines = text[: draw(st.integers(0, len(text)))].split("\n")
            filler = False
        harmless = harmless and filler
        ops.append(op)
    return Mutated("\n".join(lines), tuple(ops), harmless)


@FUZZ
@given(seed_mutations())
def test_fuzz_import_text_seed_mutations(m: Mutated) -> None:
    plan = import_or_error(m.text)
    event("plan" if plan is not None else "PlanImportError")
    if plan is None:
        return
    check_plan(plan, m.text)
    if m.harmless:
        assert plan.items == SEED_ITEMS


_ENCODINGS = ("utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "cp1252", "latin-1")
_BOMS = {"utf-16-le": b"\xff\xfe", "utf-16-be": b"\xfe\xff"}


def _encode(text: str, encoding: str) -> bytes:
    return _BOMS.get(encoding, b"") + text.encode(encoding, errors="replace")


@st.composite
def export_files(draw: st.DrawFn) -> tuple[str, bytes]:
    """(file name, bytes): exports in any encoding, mixtures of encodings, and binary."""
    kind = draw(st.sampled_from(["export", "export", "encoded", "mixed", "binary", "magic"]))
    if kind == "export":  # a real export, maybe cut short, in any encoding
        text = draw(st.sampled_from([seed_text()]) | plans(max_items=4).map(render_text_export))
        text = text[: draw(st.integers(len(text) // 2, len(text)))]
        data = _encode(text, draw(st.sampled_from(_ENCODINGS)))
    elif kind == "encoded":
        data = _encode(draw(export_texts()), draw(st.sampled_from(_ENCODINGS)))
    elif kind == "mixed":
        pieces = draw(
            st.lists(st.tuples(export_texts(), st.sampled_from(_ENCODINGS)), min_size=2,
                     max_size=3)
        )  # fmt: skip
        data = b"".join(_encode(t, e) for t, e in pieces)
    elif kind == "binary":
        data = draw(st.binary(max_size=300))
    else:
        prefix = draw(
            st.sampled_from([b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", b"\xef\xbb\xbf"])
        )
        data = prefix + draw(st.binary(max_size=300))
    suffix = draw(st.sampled_from([".txt", ".txt", ".TXT", ".docx", ".doc", ".csv", ""]))
    return f"plan{suffix}", data


@FUZZ
@given(export_files())
def test_fuzz_import_plan_files(file: tuple[str, bytes]) -> None:
    name, data = file
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        try:
            with time_limit():
                plan = import_plan(path)
        except PlanImportError as e:
            check_one_line(e)
            event("PlanImportError")
            return
    event("plan")
    assert plan.plan_id and plan.items


@settings(FUZZ, max_examples=min(settings().max_examples, 500))  # plans() are slow to draw
@given(plans(max_items=8), st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"]))
def test_fuzz_import_plan_encodings_agree(plan: Plan, encoding: str) -> None:
    """A realistic export reads the same from a file in any encoding it may be saved in."""
    text = render_text_export(plan)
    want = import_text(text, "plan.txt")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "plan.txt"
        path.write_bytes(text.encode(encoding))
        got = import_plan(path, plan_id="plan-x")
    assert got.items == want.items
    assert (got.title, got.sections, got.leads) == (want.title, want.sections, want.leads)


# --- The real cycle: a seed master and a copy for every lead --------------------------------------


@dataclass(frozen=True)
class RealCycle:
    folder: Path
    master: dict[str, list[list[object]]]  # the master's sheets, as the merge reads them
    copies: dict[str, dict[str, list[list[object]]]]  # each lead's copy, as read_return reads it
    refs: dict[str, tuple[str, ...]]
    returned: bytes  # a copy filled in and saved as Excel would, as a file
    returned_parts: dict[str, bytes]  # the same file's zip parts


def _read_grids(data: bytes, only: Sequence[str] | None = None) -> dict[str, list[list[object]]]:
    """Sheets as the readers give them to the merge (empty cells as None)."""
    wb = CalamineWorkbook.from_filelike(io.BytesIO(data))
    try:
        return {
            name: [
                [None if v == "" else v for v in row]
                for row in wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
            ]
            for name in wb.sheet_names
            if only is None or name in only
        }
    finally:
        wb.close()


@cache
def real_cycle() -> RealCycle:
    """Made once a session (about two seconds): tests/cycle.py's seed master, issued to every
    lead, and GT's copy filled in."""
    from cycle import start_cycle

    folder = Path(tempfile.mkdtemp(prefix="actionplan-fuzz-"))
    c = start_cycle(folder / "cycle", seed_plan())
    gt = c.copies["GT"]
    returned = c.fill("GT", {gt.refs[0]: Answer("amber", "Audit booked.", "Jun-24")})
    data = returned.read_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    return RealCycle(
        folder=folder,
        master=_read_grids(c.master.read_bytes()),
        copies={
            lead: _read_grids(f.path.read_bytes(), (SHEET_PLAN, SHEET_IDENTITY))
            for lead, f in c.copies.items()
        },
        refs={lead: f.refs for lead, f in c.copies.items()},
        returned=data,
        returned_parts=parts,
    )


@pytest.fixture(scope="module", autouse=True)
def _clean_real_cycle() -> Iterator[None]:
    yield
    if real_cycle.cache_info().currsize:
        import shutil

        shutil.rmtree(real_cycle().folder, ignore_errors=True)
        real_cycle.cache_clear()


# --- 2. The return reader -------------------------------------------------------------------------

_TITLES = [c.title for c in COPY_COLUMNS]
_IDENTITY_FIELDS = ["Plan id", "Issue id", "Lead", "Issued", "Refs", "Signature"]
_CONTROL = st.text(st.characters(categories=["Cc", "Cf", "Zl", "Zp"]), min_size=1, max_size=8)
_HUGE = st.sampled_from(["x" * 40_000, "😀" * 20_000, "\n" * 5_000, "a b " * 10_000])
VALUE = st.one_of(
    st.none(),
    st.text(max_size=20),
    _CONTROL,
    _HUGE,
    st.floats(),
    st.sampled_from([float("nan"), float("inf"), -float("inf"), 1e308, -0.0, 2.0**63]),
    st.booleans(),
    st.integers(-(2**63), 2**63),
    st.datetimes(),
    st.dates(),
    st.times(),
    st.timedeltas(),
    st.sampled_from([*_TITLES, *_IDENTITY_FIELDS, *RAG_CODES, "WNI-01", "EHP-08", "GT", " Ref "]),
)
GRID = st.lists(st.lists(VALUE, max_size=12), max_size=12)


@st.composite
def random_sheets(draw: st.DrawFn) -> dict[str, list[list[object]]]:
    names = st.sampled_from(["Action Plan", " action PLAN ", "actionplan", "ACTIONPLAN", "Sheet1"])
    sheets = draw(st.dictionaries(names | st.text(max_size=8), GRID, max_size=4))
    if draw(st.booleans()):  # an identity sheet with its fields, values anything
        rows = [[f, draw(VALUE)] for f in draw(st.lists(st.sampled_from(_IDENTITY_FIELDS)))]
        sheets[draw(st.sampled_from(["actionplan", "ActionPlan "]))] = rows
    if draw(st.booleans()):  # an Action Plan sheet with the copy's header row somewhere
        grid = draw(GRID)
        titles = draw(st.permutations(_TITLES))
        titles = [t.upper() if draw(st.booleans()) else f" {t} " for t in titles]
        grid.insert(draw(st.integers(0, len(grid))), [draw(VALUE), *titles])
        sheets["Action Plan"] = grid
    return sheets


def read_or_error(sheets: Mapping[str, list[list[object]]], name: str = "x.xlsx") -> object:
    """returned_copy's answer: a ReturnedCopy, or a RejectedFile as the merge gets it."""
    sha = hashlib.sha256(repr(sheets).encode("utf-8", "surrogatepass")).hexdigest()
    try:
        with time_limit():
            copy = returned_copy(sheets, name=name, sha256=sha)
    except ReturnError as e:
        check_one_line(e)
        return RejectedFile(name, sha, str(e))
    check_returned_copy(copy)
    return copy


def check_returned_copy(copy: ReturnedCopy) -> None:
    refs = [r.ref for r in copy.rows]
    assert len(set(refs)) == len(refs) and all(r == r.strip() and r for r in refs)
    assert not set(refs) & set(copy.duplicate_refs)
    assert all(isinstance(r.status, str) and isinstance(r.new_update, str) for r in copy.rows)


@FUZZ
@given(random_sheets())
def test_fuzz_returned_copy_random_grids(sheets: dict[str, list[list[object]]]) -> None:
    got = read_or_error(sheets)
    event(type(got).__name__)
    # and the merge takes whatever the reader gave it
    check_merge(real_state(), [got])  # type: ignore[list-item]


@st.composite
def edited_grids(draw: st.DrawFn, grid: list[list[object]]) -> list[list[object]]:
    """A copy's sheet after a lead (or a damaged file) had their way with it."""
    grid = [list(r) for r in grid]
    for _ in range(draw(st.integers(0, 6))):
        op = draw(st.sampled_from(["cell", "cell", "delete", "duplicate", "column", "swap"]))
        if not grid:
            break
        r = draw(st.integers(0, len(grid) - 1))
        if op == "cell":
            row = grid[r]
            c = draw(st.integers(0, len(row)))
            if c == len(row):
                row.append(None)
            row[c] = draw(VALUE)
        elif op == "delete":
            del grid[r]
        elif op == "duplicate":
            grid.insert(r, list(grid[r]))
        elif op == "column":
            c = draw(st.integers(0, 10))
            for row in grid:
                row.insert(min(c, len(row)), None)
        else:
            s = draw(st.integers(0, len(grid) - 1))
            grid[r], grid[s] = grid[s], grid[r]
    return grid


@FUZZ
@given(st.data())
def test_fuzz_returned_copy_edited_real_copy(data: st.DataObject) -> None:
    cyc = real_cycle()
    lead = data.draw(st.sampled_from(sorted(cyc.copies)))
    sheets = dict(cyc.copies[lead])
    for name in data.draw(st.lists(st.sampled_from(sorted(sheets)), max_size=2, unique=True)):
        sheets[name] = data.draw(edited_grids(sheets[name]))
    got = read_or_error(sheets, name=f"{lead}.xlsx")
    event(type(got).__name__)
    check_merge(real_state(), [got])  # type: ignore[list-item]


def read_file_or_error(data: bytes, name: str = "return.xlsx") -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        started = time.perf_counter()
        try:
            with time_limit():
                copy = read_return(path)
        except ReturnError as e:
            check_one_line(e)
            event(f"ReturnError: {str(e).split(';')[0].removeprefix(name + ': ')[:40]}")
            copy = None
        assert time.perf_counter() - started < BUDGET_S
    if copy is None:
        return
    event("ReturnedCopy")
    check_returned_copy(copy)


_MAGIC = st.sampled_from(
    [b"", b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
     b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + "EncryptionInfo".encode("utf-16-le")]
)  # fmt: skip
_PART_NAMES = st.sampled_from(
    ["xl/workbook.xml", "[Content_Types].xml", "xl/_rels/workbook.xml.rels", "content.xml",
     "xl/worksheets/sheet1.xml", "xl/sharedStrings.xml", "_rels/.rels"]
)  # fmt: skip


@st.composite
def random_zips(draw: st.DrawFn) -> bytes:
    out = io.BytesIO()
    method = draw(st.sampled_from([zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED]))
    with zipfile.ZipFile(out, "w", method) as z:
        for name in draw(st.lists(_PART_NAMES, unique=True, max_size=5)):
            z.writestr(name, draw(st.binary(max_size=200) | st.sampled_from([b"<x/>", b"<"])))
    return out.getvalue()


@FUZZ
@given(st.one_of(st.tuples(_MAGIC, st.binary(max_size=500)).map(b"".join), random_zips()))
def test_fuzz_read_return_random_bytes(data: bytes) -> None:
    read_file_or_error(data)


@st.composite
def byte_mutations(draw: st.DrawFn, original: bytes) -> bytes:
    data = bytearray(original)
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.sampled_from(["flip", "flip", "truncate", "insert", "delete"]))
        at = draw(st.integers(0, max(0, len(data) - 1)))
        if op == "flip" and data:
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif op == "truncate":
            del data[at:]
        elif op == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
        else:
            del data[at : at + draw(st.integers(1, 64))]
    return bytes(data)


@FUZZ
@given(st.data())
def test_fuzz_read_return_byte_mutations(data: st.DataObject) -> None:
    read_file_or_error(data.draw(byte_mutations(real_cycle().returned)))


#: A cell or row address in sheet XML; see largest_address.
_ADDRESS = re.compile(rb"""(?<![:\w])r\s*=\s*["']\s*([A-Za-z]*)(\d*)""")


def largest_address(xml: bytes) -> tuple[int, int]:
    """(rows, columns) the cell and row addresses in a sheet part reach."""
    rows = cols = 0
    for letters, digits in _ADDRESS.findall(xml):
        rows = max(rows, int(digits) if digits else 0)
        col = 0
        for ch in letters.upper():
            col = col * 26 + ch - 64
        cols = max(cols, col)
    return rows, cols


_XML_BITS = st.sampled_from(
    [b"<", b">", b'"', b"&", b"&#0;", b"]]>", b"<c>", b"</row>", b'<c r="B2" t="s"><v>999</v></c>',
     b'<c t="e"><v>#REF!</v></c>', b'<c t="n"><v>1e999</v></c>', b'<c t="d"><v>x</v></c>',
     b'<c t="b"><v>7</v></c>', b"\x00", b"\xff\xfe", b"9", b"A", b"-1", b'<row r="3">',
     b'<sheet name="Action Plan" sheetId="9" r:id="rId9"/>', b"<is><t>x</t></is>"]
)  # fmt: skip


@st.composite
def part_mutations(draw: st.DrawFn) -> bytes:
    """The returned copy with one of its XML parts edited and the whole zipped again, so the
    mutations reach the XML readers instead of stopping at a zip checksum."""
    parts = dict(real_cycle().returned_parts)
    name = draw(st.sampled_from(sorted(parts)))
    part = bytearray(parts[name])
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(part)))
        op = draw(st.sampled_from(["insert", "delete", "flip"]))
        if op == "insert":
            part[at:at] = draw(_XML_BITS | st.binary(min_size=1, max_size=4))
        elif op == "delete":
            del part[at : at + draw(st.integers(1, 40))]
        elif part:
            part[min(at, len(part) - 1)] ^= 1 << draw(st.integers(0, 7))
    rows, cols = largest_address(bytes(part)) if name.startswith("xl/worksheets/") else (0, 0)
    if rows * max(cols, 1) > 200_000 or rows > 100_000 or cols > 1_000:
        # A far cell is refused before reading (tests/test_hostile_returns.py pins every way of
        # writing one); here it would only make the mutated part a copy of those cases.
        event("far cell (left as it was)")
    else:
        parts[name] = bytes(part)
    out = io.BytesIO()
    method = draw(st.sampled_from([zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED]))
    with zipfile.ZipFile(out, "w", method) as z:
        for n, v in parts.items():
            z.writestr(n, v)
    return out.getvalue()


@FUZZ
@given(part_mutations())
def test_fuzz_read_return_part_mutations(data: bytes) -> None:
    read_file_or_error(data)


# --- 3. The merge core ----------------------------------------------------------------------------


@cache
def real_state() -> MasterState:
    return master_state(real_cycle().master)


def _header_at(grid: Sequence[Sequence[object]]) -> int:
    return next(i for i, row in enumerate(grid) if row and row[0] == "Ref" and "Action" in row)


_STATUS = st.one_of(
    st.sampled_from(["", "GREEN", "green", " Amber ", "R", "b", "Complete", "RED", "BLUE",
                     "On target for delivery", "Yellow", "N/A", "TRUE", "g r e e n"]),
    st.text(max_size=6),
    st.floats(allow_nan=True),
    st.booleans(),
)  # fmt: skip
_UPDATE = st.one_of(
    st.sampled_from(["", "Done.", "=SUM(A1)", "  \r\n  ", "Update May 23: done", "Audit booked."]),
    st.text(max_size=30),
    # at and past Excel's limit (an emoji is two UTF-16 units there)
    st.sampled_from(["u" * 16_000, "v" * 32_700, "w" * 40_000, "😀" * 17_000]),
)
_PROPOSED = st.one_of(
    st.sampled_from(["", "Jun-24", "March 2025", "soon", "31/02/2024", "2024-13-01", "Sept 23",
                     "Ongoing", "Mar-24", "Jun 0000"]),
    st.text(max_size=10),
    st.datetimes(),
    st.floats(),
)  # fmt: skip
_TAMPER = st.sampled_from(
    ["none", "none", "none", "lead", "signature", "refs", "plan", "issue", "issued", "identity",
     "header", "duplicate row", "no ref", "foreign ref", "locked", "delete row", "column"]
)  # fmt: skip


@dataclass(frozen=True)
class Batch:
    state: MasterState
    returns: tuple[ReturnedCopy | RejectedFile, ...]
    order: tuple[int, ...]


def _set(grid: list[list[object]], r: int, c: int, value: object) -> None:
    row = grid[r]
    row.extend([None] * (c + 1 - len(row)))
    row[c] = value


@st.composite
def lead_return(draw: st.DrawFn, lead: str) -> ReturnedCopy | RejectedFile:
    """`lead`'s copy, filled in, maybe tampered with, as the reader gives it to the merge."""
    cyc = real_cycle()
    sheets = {k: [list(r) for r in g] for k, g in cyc.copies[lead].items()}
    grid = sheets[SHEET_PLAN]
    head = _header_at(grid)
    col = {c.key: grid[head].index(c.title) for c in COPY_COLUMNS}
    row_of = {row[0]: r for r, row in enumerate(grid) if r > head and row and row[0]}
    for ref in draw(st.lists(st.sampled_from(cyc.refs[lead]), unique=True, max_size=4)):
        for key, values in (("status", _STATUS), ("new_update", _UPDATE),
                            ("proposed_timescale", _PROPOSED)):  # fmt: skip
            value = draw(values)
            if value not in ("", None):
                _set(grid, row_of[ref], col[key], value)
    identity = sheets[SHEET_IDENTITY]
    field_row = {row[0]: r for r, row in enumerate(identity) if row}
    for tamper in draw(st.lists(_TAMPER, max_size=2)):
        if len(grid) <= head + 2:
            break  # keep an item row or two to tamper with
        if tamper in ("lead", "plan", "issue", "issued", "signature"):
            name = {"lead": "Lead", "plan": "Plan id", "issue": "Issue id", "issued": "Issued",
                    "signature": "Signature"}[tamper]  # fmt: skip
            value = draw(st.sampled_from(sorted(cyc.refs)) | st.text(max_size=12) | VALUE)
            _set(identity, field_row[name], 1, value)
        elif tamper == "refs":
            identity[field_row["Refs"]] = ["Refs", draw(st.text(max_size=20))]
        elif tamper == "identity":
            sheets.pop(SHEET_IDENTITY, None)
        elif tamper == "header":
            grid[head] = [None] * len(grid[head])
        elif tamper == "duplicate row":
            r = draw(st.integers(head + 1, len(grid) - 1))
            grid.insert(r, list(grid[r]))
        elif tamper == "no ref":
            r = draw(st.integers(head + 1, len(grid) - 1))
            _set(grid, r, col["ref"], None)
            _set(grid, r, col["new_update"], "An update on a row without its ref")
        elif tamper == "foreign ref":
            other = draw(st.sampled_from([*SEED_REFS, "ZZZ-99", "wni-01"]))
            grid.append([other, *[None] * (len(grid[head]) - 1)])
            _set(grid, len(grid) - 1, col["status"], draw(_STATUS))
            _set(grid, len(grid) - 1, col["new_update"], draw(_UPDATE))
        elif tamper == "locked":
            r = draw(st.integers(head + 1, len(grid) - 1))
            key = draw(st.sampled_from(["finding", "actions", "lead", "timescale", "updates"]))
            _set(grid, r, col[key], draw(VALUE))
        elif tamper == "delete row":
            del grid[draw(st.integers(head + 1, len(grid) - 1))]
        else:  # a column inserted before the first
            for row in grid:
                row.insert(0, None)
    return read_or_error(sheets, name=f"{lead} return.xlsx")  # type: ignore[return-value]


SEED_REFS = tuple(it.ref for it in SEED_ITEMS)


@st.composite
def batches(draw: st.DrawFn) -> Batch:
    cyc = real_cycle()
    state = real_state()
    leads = draw(st.lists(st.sampled_from(sorted(cyc.refs)), max_size=6, unique=True))
    # leads sharing items make the agreement rule matter, so favour them
    if draw(st.booleans()):
        leads = list(dict.fromkeys(["GT", "LH", *leads]))
    returns: list[ReturnedCopy | RejectedFile] = [draw(lead_return(lead)) for lead in leads]
    for _ in range(draw(st.integers(0, 2))):  # files the reader could not read at all
        sha = hashlib.sha256(draw(st.binary(max_size=8))).hexdigest()
        name = draw(st.sampled_from(["x.xlsx", "y.xlsx"]))
        # the same bytes give the same reason, as they do when read
        returns.append(RejectedFile(name, sha, f"{name}: not an .xlsx workbook ({sha[:6]})"))
    if returns and draw(st.booleans()):  # type: ignore[arg-type]  # the same file twice, or under another name
        again = draw(st.sampled_from(returns))
        renamed = dataclasses.replace(again, name=draw(st.sampled_from([again.name, "copy.xlsx"])))
        returns.append(renamed)
    # the master: the owner's own statuses and long update cells, files merged or rejected before
    rows = dict(state.rows)
    for ref in draw(st.lists(st.sampled_from(sorted(rows)), unique=True, max_size=4)):
        texts = dict(rows[ref].texts)
        if draw(st.booleans()):
            texts["status"] = draw(st.sampled_from(["", *RAG_CODES, "green", "Blue ", "odd"]))
        else:
            texts["updates"] = draw(st.sampled_from(["", "Update May 23: x", "z" * 32_000]))
        rows[ref] = dataclasses.replace(rows[ref], texts=texts)
    merged, rejected = dict(state.ledger.merged), set(state.rejected)
    for ret in draw(st.lists(st.sampled_from(returns), max_size=2)) if returns else []:
        if isinstance(ret, RejectedFile):
            rejected.add(ret.sha256)
        else:
            when = draw(st.none() | st.just(WHEN))
            merged[ret.sha256.lower()] = MergedReturn(when, ret.name, ret.sha256, "i", "GT")
    state = dataclasses.replace(
        state,
        rows=rows,
        ledger=dataclasses.replace(state.ledger, merged=merged),
        rejected=frozenset(rejected),
    )
    order = tuple(draw(st.permutations(range(len(returns)))))
    return Batch(state, tuple(returns), order)


_CLEAN_OUTCOMES = {Outcome.APPLIED, Outcome.ADDED, Outcome.ALREADY, Outcome.PROPOSED}


def check_merge(state: MasterState, returns: Sequence[ReturnedCopy | RejectedFile]) -> ChangeSet:
    """merge()'s change set for `returns`, checked."""
    key = lambda r: (r.name, r.sha256)  # noqa: E731
    changes = _merge(state, returns)
    # the exit code says exactly whether something needs the owner's attention
    lines = [ln for r in changes.results for ln in r.lines]
    attention = any(r.outcome == "rejected" for r in changes.results) or any(
        ln.outcome in ATTENTION for ln in lines
    )
    assert changes.exit_code == int(attention)
    outcomes = {r.outcome for r in changes.results}
    assert outcomes <= {"merged", "rejected", "already merged", "duplicate"}
    assert {ln.outcome for ln in lines} <= _CLEAN_OUTCOMES | set(ATTENTION)
    # every file given has a result; the change set's rows agree with the receipts
    assert {key(r) for r in changes.results} == {key(r) for r in returns}
    merged = {r.sha256: r for r in changes.results if r.outcome == "merged"}
    assert sorted(row.sha256 for row in changes.merged_rows) == sorted(merged)
    for row in changes.merged_rows:
        r = merged[row.sha256]
        assert (row.applied, row.conflicts, row.proposed, row.rejected, row.ignored) == (
            r.count(Outcome.APPLIED) + r.count(Outcome.ADDED),
            r.count(Outcome.CONFLICT),
            r.count(Outcome.PROPOSED),
            r.count(Outcome.REJECTED),
            r.count(Outcome.IGNORED),
        )
    newly_rejected = [
        r for r in changes.results if r.outcome == "rejected" and r.sha256 not in state.rejected
    ]
    logged = [ln for r in merged.values() for ln in r.lines if ln.outcome != Outcome.ALREADY]
    assert len(changes.changes_rows) == len(logged) + len(newly_rejected)
    assert all(row.outcome not in ATTENTION for row in changes.changes_rows) or changes.exit_code
    assert sum(ln.outcome == Outcome.ADDED for ln in lines) == len(changes.updates_rows)
    assert sum(ln.outcome == Outcome.PROPOSED for ln in lines) == len(changes.proposals_rows)
    assert len(changes.conflicts_rows) <= sum(ln.outcome == Outcome.CONFLICT for ln in lines)
    # writes: one a cell, statuses only RAG codes, updates only added on top, and each fits
    cells = Counter((w.ref, w.field) for w in changes.writes)
    assert all(n == 1 for n in cells.values())
    for w in changes.writes:
        assert w.old == state.rows[w.ref].texts[w.field]
        if w.field == "status":
            assert w.new in RAG_CODES
            applied = {ln.new for ln in lines if ln.ref == w.ref and ln.outcome == Outcome.APPLIED}
            assert applied == {w.new}
        else:
            assert w.field == "updates" and w.new.endswith(w.old) and len(w.new) > len(w.old)
            assert len(w.new.encode("utf-16-le")) // 2 <= EXCEL_CELL_UNITS
    # nothing is applied, added or proposed for an item the master does not have
    assert all(
        ln.ref in state.rows
        for ln in lines
        if ln.outcome in (Outcome.APPLIED, Outcome.ADDED, Outcome.PROPOSED)
    )
    return changes


def _merge(state: MasterState, returns: Sequence[ReturnedCopy | RejectedFile]) -> ChangeSet:
    with time_limit():
        return merge(state, returns, when=WHEN)


@FUZZ
@given(batches())
def test_fuzz_merge_batches(batch: Batch) -> None:
    changes = check_merge(batch.state, batch.returns)
    event(f"exit {changes.exit_code}")
    for r in changes.results:
        event(f"return {r.outcome}")
    # the result does not depend on the order the returns come in, nor on running it twice
    first = _merge(batch.state, batch.returns)
    assert _merge(batch.state, [batch.returns[i] for i in batch.order]) == first
    assert _merge(batch.state, batch.returns) == first


# --- Bugs found, each a minimal example (fixed; kept so they stay fixed) -----------------------

_ROW = "Finding.\t1. Do it.\tGT\t{timescale}\t{update}\t"


def test_a_marked_section_in_a_cell_is_kept_as_text() -> None:
    text = f"{HEADER}\n<p>See <![x y</p>\t1. Do it.\tGT\t\t\t\n"
    plan = import_or_error(text)  # a PlanImportError in one line would do, as would a plan
    if plan is not None:
        check_plan(plan, text)


def test_an_update_heading_in_the_year_0000_is_undated() -> None:
    text = f"{HEADER}\n{_ROW.format(timescale='', update='Update May 0000: done')}\n"
    try:
        plan = import_text(text)
    except PlanImportError as e:
        check_one_line(e)
        return
    assert plan.items[0].updates


def _one_return(answer: Answer, *, signature: object = None) -> ReturnedCopy:
    cyc = real_cycle()
    sheets = {k: [list(r) for r in g] for k, g in cyc.copies["GT"].items()}
    grid = sheets[SHEET_PLAN]
    head = _header_at(grid)
    col = {c.key: grid[head].index(c.title) for c in COPY_COLUMNS}
    r = next(i for i, row in enumerate(grid) if row and row[0] == cyc.refs["GT"][0])
    for key, value in (("status", answer.status), ("new_update", answer.update),
                       ("proposed_timescale", answer.proposed_timescale)):  # fmt: skip
        if value:
            _set(grid, r, col[key], value)
    if signature is not None:
        identity = sheets[SHEET_IDENTITY]
        r = next(i for i, row in enumerate(identity) if row and row[0] == "Signature")
        _set(identity, r, 1, signature)
    copy = returned_copy(sheets, name="GT return.xlsx", sha256="0" * 64)
    return copy


def test_a_proposed_timescale_in_the_year_0000_is_rejected() -> None:
    changes = merge(real_state(), [_one_return(Answer(proposed_timescale="Jun 0000"))], when=WHEN)
    assert changes.exit_code == 1  # the proposal rejected, like "soon"


def test_a_non_ascii_signature_is_rejected() -> None:
    changes = merge(real_state(), [_one_return(Answer(), signature="é")], when=WHEN)
    assert [r.outcome for r in changes.results] == ["rejected"]


def test_the_same_rejected_file_twice_is_still_rejected() -> None:
    bad = RejectedFile("bad.xlsx", "ab" * 32, "bad.xlsx: not an .xlsx workbook")
    changes = merge(real_state(), [bad, bad], when=WHEN)
    assert changes.exit_code == 1
    assert [r.outcome for r in changes.results] == ["rejected", "duplicate"]


def test_an_update_of_astral_characters_is_held_to_the_cell_limit() -> None:
    changes = merge(real_state(), [_one_return(Answer(update="😀" * 17_000))], when=WHEN)
    written = [w.new for w in changes.writes if w.field == "updates"]
    assert all(len(t.encode("utf-16-le")) // 2 <= EXCEL_CELL_UNITS for t in written)


@pytest.mark.parametrize(
    "line",
    [
        pytest.param("-" * 50_000 + "x", id="separator-regex"),
        pytest.param("F\t" + "<a" * 35_000 + "\tGT\t\t\t", id="tag-hint-regex"),
        pytest.param("F\t<b>" + "<!--" * 25_000 + "\tGT\t\t\t", id="stdlib-html-parser"),
    ],
)
def test_one_long_line_takes_linear_time(line: str) -> None:
    with time_limit(0.5):
        import_or_error(f"{HEADER}\n{line}\n")


_FAR_CELL = """
import resource, sys, time
resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))
from pathlib import Path
from sync.returns import ReturnError, read_return
path = Path(sys.argv[1])
started = time.perf_counter()
try:
    read_return(path)
    print("read", time.perf_counter() - started)
except ReturnError as e:
    print("ReturnError", time.perf_counter() - started)
"""


@pytest.mark.parametrize("address", ["XFD1048576", "A600000"])
def test_a_far_cell_in_a_return_is_refused_before_reading(address: str, tmp_path: Path) -> None:
    parts = dict(real_cycle().returned_parts)
    sheet = "xl/worksheets/sheet1.xml"
    row = re.sub("[A-Z]", "", address)
    cell = f'<row r="{row}"><c r="{address}" t="inlineStr"><is><t>x</t></is></c></row>'
    parts[sheet] = parts[sheet].replace(b"</sheetData>", cell.encode() + b"</sheetData>")
    path = tmp_path / "far.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for n, v in parts.items():
            z.writestr(n, v)
    run = subprocess.run(
        [sys.executable, "-c", _FAR_CELL, str(path)], capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, f"reader died with {run.returncode}: {run.stderr[:200]!r}"
    outcome, seconds = run.stdout.split()
    assert float(seconds) < 1.0, f"{outcome} after {float(seconds):.1f} s"


def _far(row: str, cell: str, quote: str = '"', eq: str = "=") -> str:
    return (
        f"<row r{eq}{quote}{row}{quote}><c r{eq}{quote}{cell}{quote} t={quote}inlineStr{quote}>"
        f"<is><t>x</t></is></c></row>"
    )


@pytest.mark.parametrize(
    "cells",
    [
        pytest.param(_far("13000000", "A13000000"), id="eight-digit-row"),
        pytest.param(_far("1048576", "XFD1048576", quote="'"), id="single-quotes"),
        pytest.param(_far("1048576", "XFD1048576", eq=" = "), id="spaces-around-equals"),
        pytest.param(_far("01048576", "XFD01048576"), id="leading-zero"),
        pytest.param(_far("21", "ZZZZ21"), id="four-letter-column"),
    ],
)
def test_a_far_cell_written_otherwise_is_refused_too(cells: str, tmp_path: Path) -> None:
    parts = dict(real_cycle().returned_parts)
    sheet = "xl/worksheets/sheet1.xml"
    parts[sheet] = parts[sheet].replace(b"</sheetData>", cells.encode() + b"</sheetData>")
    path = tmp_path / "far.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for n, v in parts.items():
            z.writestr(n, v)
    run = subprocess.run(
        [sys.executable, "-c", _FAR_CELL, str(path)], capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, f"reader died with {run.returncode}: {run.stderr[:200]!r}"
    assert run.stdout.split()[0] == "ReturnError", run.stdout
