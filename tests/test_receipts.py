"""One receipt per return, never written over by another return's: two leads' files both called
`Action plan.xlsx`, `MW.xls` beside `MW.xlsx`, a later run's rejection beside an earlier good
receipt - through the command line and the watcher, on real files."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import random
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from actionplan.cli import cli
from sync.merge.core import ReturnResult
from sync.merge.outcomes import ReturnOutcome
from sync.receipts import ReceiptOwner, place_receipts, receipt_names, receipt_owner
from sync.simulate import Answer
from sync.watch import MERGED_FOLDER, REJECTED_FOLDER, STAGING_FOLDER, ReturnsWatcher
from tests.cycle import MERGED, Cycle, start_cycle
from workbook.plan.model import Plan

SOLO = "WNI-01"  # led by GT alone
OLD_EXCEL = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 1024  # an .xls: not a copy we issued


@pytest.fixture
def cycle(tmp_path: Path, seed: Plan, fixed_clock: Callable[[dt.datetime], dt.datetime]) -> Cycle:
    fixed_clock(MERGED)
    return start_cycle(tmp_path / "plan", seed)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _merge(cycle: Cycle, *returns: Path) -> int:
    result = CliRunner().invoke(cli, ["merge", str(cycle.master), *map(str, returns)])
    assert result.exit_code in (0, 1), result.output
    return result.exit_code


def _receipts(cycle: Cycle) -> dict[str, str]:
    folder = cycle.folder / "receipts"
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(folder.iterdir())}


def _put(source: Path, where: Path) -> Path:
    where.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, where)
    return where


def _junk(where: Path, data: bytes = OLD_EXCEL) -> Path:
    where.parent.mkdir(parents=True, exist_ok=True)
    where.write_bytes(data)
    return where


def test_two_leads_returns_with_one_name_from_two_folders_get_a_receipt_each(
    cycle: Cycle, tmp_path: Path
) -> None:
    gt = _put(
        cycle.fill("GT", {SOLO: Answer("GREEN", "GT's words.")}), tmp_path / "a/Action plan.xlsx"
    )
    lh = _put(
        cycle.fill("LH", {"WNI-02": Answer("", "LH's words.")}), tmp_path / "b/Action plan.xlsx"
    )
    assert _merge(cycle, gt, lh) == 0
    receipts = _receipts(cycle)
    assert set(receipts) == {
        f"Action plan.xlsx ({_sha(gt)[:8]}) - receipt.txt",
        f"Action plan.xlsx ({_sha(lh)[:8]}) - receipt.txt",
    }
    for lead, ret in (("GT", gt), ("LH", lh)):
        text = receipts[f"Action plan.xlsx ({_sha(ret)[:8]}) - receipt.txt"]
        assert text.startswith("Receipt: Action plan.xlsx\n")
        assert f"Copy for {lead}, issued" in text and f"\nFile SHA-256: {_sha(ret)}\n" in text
        assert f"{lead}'s words." in text

    # the same two again: merged before, so each first receipt stands, and nothing is added
    assert _merge(cycle, lh, gt) == 0
    assert _receipts(cycle) == receipts
    # a receipt lost since is remade, under its own name; the other is left as it was
    lost = cycle.folder / "receipts" / f"Action plan.xlsx ({_sha(gt)[:8]}) - receipt.txt"
    lost.unlink()
    assert _merge(cycle, gt, lh) == 0
    again = _receipts(cycle)
    assert set(again) == set(receipts)
    assert (
        "This return was already merged" in again[lost.name] and "GT's words." in again[lost.name]
    )


def test_merge_returns_does_not_look_in_subfolders(cycle: Cycle, tmp_path: Path) -> None:
    """So two returns of one name can only come from folders given one by one, as above."""
    _put(cycle.fill("GT", {SOLO: Answer("GREEN")}), tmp_path / "in/a/Action plan.xlsx")
    result = CliRunner().invoke(
        cli, ["merge", str(cycle.master), "--returns", str(tmp_path / "in")]
    )
    assert result.exit_code == 2 and "no returns to merge" in result.output


def test_mw_xls_and_mw_xlsx_in_one_batch_get_a_receipt_each(cycle: Cycle, tmp_path: Path) -> None:
    xlsx = _put(cycle.fill("MW", {}), tmp_path / "in/MW.xlsx")
    xls = _junk(tmp_path / "in/MW.xls")
    assert _merge(cycle, xls, xlsx) == 1  # the .xls is rejected
    receipts = _receipts(cycle)
    assert set(receipts) == {"MW.xls - receipt.txt", "MW.xlsx - receipt.txt"}
    assert receipts["MW.xlsx - receipt.txt"].startswith("Receipt: MW.xlsx\n")
    assert "Copy for MW, issued" in receipts["MW.xlsx - receipt.txt"]
    assert receipts["MW.xls - receipt.txt"].startswith("Receipt: MW.xls\n")
    assert "Nothing was taken in: " in receipts["MW.xls - receipt.txt"]


def test_a_later_rejection_never_replaces_a_good_receipt(cycle: Cycle, tmp_path: Path) -> None:
    good = _put(cycle.fill("MW", {}), tmp_path / "first/MW.xlsx")
    assert _merge(cycle, good) == 0
    (first,) = _receipts(cycle).items()
    assert first[0] == "MW - receipt.txt" and "Copy for MW, issued" in first[1]

    # an old-Excel file of the same stem, then a damaged file of the very same name
    xls = _junk(tmp_path / "second/MW.xls")
    assert _merge(cycle, xls) == 1
    damaged = _junk(tmp_path / "third/MW.xlsx", good.read_bytes()[:3000])
    assert _merge(cycle, damaged) == 1
    receipts = _receipts(cycle)
    assert receipts["MW - receipt.txt"] == first[1]
    assert set(receipts) == {"MW - receipt.txt", "MW.xls - receipt.txt", "MW.xlsx - receipt.txt"}
    assert f"File SHA-256: {_sha(xls)}" in receipts["MW.xls - receipt.txt"]
    rejected = receipts["MW.xlsx - receipt.txt"]
    assert f"File SHA-256: {_sha(damaged)}" in rejected and "Nothing was taken in: " in rejected

    # the damaged file sent again: its own receipt is rewritten, no other is touched or added
    receipt = cycle.folder / "receipts" / "MW.xlsx - receipt.txt"
    receipt.write_text("stale\n" + rejected, encoding="utf-8")
    assert _merge(cycle, damaged) == 1
    assert _receipts(cycle) == receipts
    # and the good file again (merged before): its first receipt stands
    assert _merge(cycle, good) == 0
    assert _receipts(cycle) == receipts


def test_a_receipt_from_before_receipts_recorded_the_file_is_never_written_over(
    cycle: Cycle, tmp_path: Path
) -> None:
    good = cycle.fill("GT", {SOLO: Answer("GREEN", "Before.")})
    assert _merge(cycle, good) == 0
    path = cycle.folder / "receipts" / "GT return - receipt.txt"
    older = "".join(
        line
        for line in path.read_text(encoding="utf-8").splitlines(keepends=True)
        if not line.startswith("File SHA-256: ")
    )
    path.write_text(older, encoding="utf-8")
    # its own return again: the receipt it names stands
    assert _merge(cycle, good) == 0
    assert _receipts(cycle) == {path.name: older}
    # another file of that name: not provably that receipt's, so it gets its own
    other = _junk(tmp_path / "other/GT return.xlsx", good.read_bytes()[:2000])
    assert _merge(cycle, other) == 1
    receipts = _receipts(cycle)
    assert receipts[path.name] == older
    assert set(receipts) == {path.name, "GT return.xlsx - receipt.txt"}


# --- The watcher ----------------------------------------------------------------------------------


def _folder(path: Path) -> list[str]:
    return sorted(p.name for p in path.iterdir()) if path.exists() else []


def _watch_once(cycle: Cycle, inbox: Path) -> list[str]:
    lines: list[str] = []
    watcher = ReturnsWatcher(cycle.master, inbox, settle=0.0, log=lines.append, retry=0.0)
    watcher.step()  # seen
    watcher.step()  # settled: merged as one batch
    return lines


def test_the_watcher_files_a_receipt_beside_each_return_whatever_their_names(
    cycle: Cycle, tmp_path: Path
) -> None:
    inbox = tmp_path / "inbox"
    good = _put(cycle.fill("MW", {}), inbox / "MW.xlsx")
    good_bytes = good.read_bytes()
    damaged = _junk(inbox / "mw.XLSX", good_bytes[:3000])
    xls = _junk(inbox / "MW.xls")
    first_shas = {_sha(p): p.name for p in (good, damaged, xls)}
    _watch_once(cycle, inbox)
    assert _folder(inbox / MERGED_FOLDER) == ["MW - receipt.txt", "MW.xlsx"]
    rejected = inbox / REJECTED_FOLDER
    # `mw` is `MW` where case does not count (Windows, macOS): so each takes its whole name
    assert _folder(rejected) == [
        "MW.xls",
        "MW.xls - receipt.txt",
        "mw.XLSX",
        "mw.XLSX - receipt.txt",
    ]
    for folder in (inbox / MERGED_FOLDER, rejected):
        for receipt in folder.glob("* - receipt.txt"):
            owner = receipt_owner(receipt.read_text(encoding="utf-8"))
            assert (folder / first_shas[owner.sha256]).exists()
            assert receipt.name.startswith(first_shas[owner.sha256].rsplit(".", 1)[0])
    assert _folder(inbox / STAGING_FOLDER) == []

    # later, the good MW.xlsx sent again: filed as MW (2).xlsx, its receipt beside it by that
    # name, and the first receipt left as it was
    first = (inbox / MERGED_FOLDER / "MW - receipt.txt").read_bytes()
    (inbox / "MW.xlsx").write_bytes(good_bytes)
    _watch_once(cycle, inbox)
    assert _folder(inbox / MERGED_FOLDER) == [
        "MW (2) - receipt.txt",
        "MW (2).xlsx",
        "MW - receipt.txt",
        "MW.xlsx",
    ]
    assert (inbox / MERGED_FOLDER / "MW - receipt.txt").read_bytes() == first
    text = (inbox / MERGED_FOLDER / "MW (2) - receipt.txt").read_text(encoding="utf-8")
    assert receipt_owner(text) == ReceiptOwner("MW.xlsx", _sha(inbox / MERGED_FOLDER / "MW.xlsx"))
    assert "This return was already merged" in text
    assert _folder(inbox / STAGING_FOLDER) == []


# --- The names, purely ----------------------------------------------------------------------------

HOSTILE_NAMES = [
    "GT return.xlsx",
    "Action plan.xlsx",
    'a<b>c:d"e|f?g*h\\i.xlsx',
    "tab\there\nnewline.xlsx",
    "bidi \u202egnp.xlsx",
    "CON.xlsx",
    "lpt1 .xlsx",
    "nul",
    ".hidden.xlsx",
    " leading space.xlsx",
    ".xlsx",
    "é" * 250 + ".xlsx",
    "😀" * 80 + ".xlsx",
    "not utf-8 \udcff.xlsx",
]
WINDOWS_DEVICES = {"con", "prn", "aux", "nul"} | {
    f"{d}{n}" for d in ("com", "lpt") for n in "123456789"
}


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_every_receipt_name_is_safe_on_every_file_system(name: str, tmp_path: Path) -> None:
    names = receipt_names(name, "c0ffee" + "0" * 58)
    assert len(names) == len(set(names)) >= 2
    for receipt in names:
        assert receipt.endswith(" - receipt.txt")
        assert not set(receipt) & set('<>:"/\\|?*')
        assert all(ch.isprintable() for ch in receipt), receipt
        assert len(receipt.encode("utf-8")) <= 200  # raises for a lone surrogate
        assert not receipt.startswith((".", " "))
        assert receipt.split(".", 1)[0].rstrip().casefold() not in WINDOWS_DEVICES
        (tmp_path / receipt).write_text("x", encoding="utf-8")
    assert "(c0ffee00)" in names[-2] and "c0ffee" + "0" * 58 in names[-1]


def _result(name: str, sha: str, outcome: ReturnOutcome = ReturnOutcome.MERGED) -> ReturnResult:
    return ReturnResult(name, sha, outcome=outcome)


def _nothing(name: str) -> ReceiptOwner | None:
    return None


def test_the_names_a_batch_gets_do_not_depend_on_its_order() -> None:
    batch = [
        _result("Action plan.xlsx", "a" * 64),
        _result("Action plan.xlsx", "b" * 64, ReturnOutcome.REJECTED),
        _result("MW.xls", "c" * 64, ReturnOutcome.REJECTED),
        _result("MW.xlsx", "d" * 64),
        _result("MW.xlsx.xlsx", "e" * 64),
        _result("gt.xlsx", "f" * 64),
        _result("GT.xlsx", "0" * 64),
        _result("GT return.xlsx", "1" * 64),
        _result("GT return.xlsx", "1" * 64, ReturnOutcome.DUPLICATE),
        _result("unreadable.xlsx", "", ReturnOutcome.REJECTED),
    ]
    orders = [batch, batch[::-1], sorted(batch, key=lambda r: r.sha256)]
    for n in range(20):
        shuffled = batch[:]
        random.Random(n).shuffle(shuffled)
        orders.append(shuffled)
    seen = {
        frozenset((p.result.name, p.result.sha256, p.name) for p in place_receipts(o, _nothing))
        for o in orders
    }
    (names,) = seen
    by_return = {(name, sha): receipt for name, sha, receipt in names}
    assert by_return == {
        ("Action plan.xlsx", "a" * 64): "Action plan.xlsx (aaaaaaaa) - receipt.txt",
        ("Action plan.xlsx", "b" * 64): "Action plan.xlsx (bbbbbbbb) - receipt.txt",
        ("MW.xls", "c" * 64): "MW.xls - receipt.txt",
        ("MW.xlsx", "d" * 64): "MW.xlsx (dddddddd) - receipt.txt",
        ("MW.xlsx.xlsx", "e" * 64): "MW.xlsx.xlsx - receipt.txt",
        # one name where case does not count (Windows, macOS)
        ("gt.xlsx", "f" * 64): "gt.xlsx (ffffffff) - receipt.txt",
        ("GT.xlsx", "0" * 64): "GT.xlsx (00000000) - receipt.txt",
        ("GT return.xlsx", "1" * 64): "GT return - receipt.txt",
        ("unreadable.xlsx", ""): "unreadable - receipt.txt",
    }
    assert len(set(by_return.values())) == len(by_return)


def test_a_receipt_on_disk_is_rewritten_only_for_its_own_return() -> None:
    sha, other = "a" * 64, "b" * 64
    on_disk = {"mw - receipt.txt": ReceiptOwner("MW.xlsx", other)}  # found whatever the case

    def lookup(name: str) -> ReceiptOwner | None:
        return on_disk.get(name.casefold())

    (placed,) = place_receipts([_result("MW.xlsx", sha)], lookup)
    assert (placed.name, placed.keep) == ("MW.xlsx - receipt.txt", False)
    on_disk["mw.xlsx - receipt.txt"] = ReceiptOwner("MW.xlsx", sha)
    (placed,) = place_receipts([_result("MW.xlsx", sha, ReturnOutcome.REJECTED)], lookup)
    assert (placed.name, placed.keep) == ("MW.xlsx - receipt.txt", False)  # rewritten
    (placed,) = place_receipts([_result("MW.xlsx", sha, ReturnOutcome.ALREADY_MERGED)], lookup)
    assert (placed.name, placed.keep) == ("MW.xlsx - receipt.txt", True)  # stands
    (placed,) = place_receipts([_result("MW.xlsx", other)], lookup)
    assert (placed.name, placed.keep) == ("MW - receipt.txt", False)
    # merged before, its receipt stands under a name a new return of the batch shares
    batch = [_result("MW.xlsx", sha, ReturnOutcome.ALREADY_MERGED), _result("MW.xlsx", "d" * 64)]
    assert [(p.name, p.keep) for p in place_receipts(batch, lookup)] == [
        ("MW.xlsx - receipt.txt", True),
        ("MW.xlsx (dddddddd) - receipt.txt", False),
    ]
    # every name taken by others: a numbered one, never one of theirs
    on_disk["mw.xlsx (cccccccc) - receipt.txt"] = ReceiptOwner("", "")
    on_disk["mw.xlsx (" + "c" * 64 + ") - receipt.txt"] = ReceiptOwner("", "")
    (placed,) = place_receipts([_result("MW.xlsx", "c" * 64)], lookup)
    assert placed.name == f"MW.xlsx ({'c' * 64}) - receipt (2).txt"


def test_a_receipt_says_whose_it_is_in_its_head_only() -> None:
    sha = "ab" * 32
    text = (
        f"Receipt: MW.xlsx\nPlan: P\nMerged: x\nFile SHA-256: {sha}\n\nFile SHA-256: {'0' * 64}\n"
    )
    assert receipt_owner(text) == ReceiptOwner("MW.xlsx", sha)
    assert receipt_owner("Receipt: MW.xlsx\n\nFile SHA-256: " + sha) == ReceiptOwner("MW.xlsx", "")
    assert receipt_owner("not a receipt") == ReceiptOwner("", "")
    assert os.sep not in "".join(receipt_names("a/b.xlsx", sha))
