"""A master behind a symbolic link, and a master marked read-only, through the command line.

A link is written through: the file it points to changes, the link stays a link, and the writer
lock and the backup sit beside the real file. A master marked read-only (no write bit for anyone,
as a file marked read-only looks on Linux and in copies from Windows; tests run as root, where
the bits would not stop a write, so the bits are what is checked) is refused in one line, exit 2,
with nothing written. Every command that writes the master takes the one write path, so merge,
issue, rag, validate --write and board are tried, and the watcher leaves returns where they are.
"""

from __future__ import annotations

import datetime as dt
import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from actionplan.cli import cli
from sync.simulate import Answer
from sync.watch import ReturnsWatcher
from tests.cycle import MERGED, Cycle, cell, sheets, start_cycle
from workbook.errors import MasterError
from workbook.master.edit import BACKUP_FOLDER, editing_master
from workbook.master.sheets import SHEET_PLAN
from workbook.plan.model import Plan

SOLO = "WNI-01"  # led by GT alone
STAMP = f"{MERGED:%Y-%m-%d %H%M%S}"
LOCK = ".master.xlsx.writer-lock"


@pytest.fixture
def when(fixed_clock: Callable[[dt.datetime], dt.datetime]) -> dt.datetime:
    return fixed_clock(MERGED)


@pytest.fixture
def cycle(tmp_path: Path, seed: Plan, when: dt.datetime) -> Cycle:
    return start_cycle(tmp_path / "shared", seed)


@pytest.fixture
def link(cycle: Cycle, tmp_path: Path) -> Path:
    """The owner's own folder, with `plan.xlsx` a relative link to the shared master."""
    desk = tmp_path / "desk"
    desk.mkdir()
    path = desk / "plan.xlsx"
    os.symlink(os.path.relpath(cycle.master, desk), path)
    return path


def _files(folder: Path) -> set[str]:
    """Every file and folder under `folder`, as paths relative to it."""
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


def _temp_files(*folders: Path) -> list[str]:
    return [p.name for f in folders for p in f.rglob("*") if p.name.endswith(".tmp")]


def _run(*args: object) -> tuple[int, str]:
    result = CliRunner().invoke(cli, [str(a) for a in args])
    return result.exit_code, result.output


def _check_written_through(cycle: Cycle, link: Path, before: bytes) -> None:
    """The link is still the same link; the file it points to changed; its writer lock and the
    one backup (the master as it was, named after the real file) are beside it, not the link."""
    assert link.is_symlink()
    assert link.resolve() == cycle.master.resolve()
    assert cycle.master.read_bytes() != before
    assert not cycle.master.is_symlink()
    shared = cycle.folder
    assert (shared / LOCK).is_file() and not (link.parent / LOCK).exists()
    assert not (link.parent / BACKUP_FOLDER).exists()
    (backup,) = (shared / BACKUP_FOLDER).iterdir()
    assert backup.name == f"master {STAMP}.xlsx"
    assert backup.read_bytes() == before
    assert _temp_files(shared, link.parent) == []


def test_merge_into_a_master_behind_a_link_writes_the_file_it_points_to(
    cycle: Cycle, link: Path
) -> None:
    ret = cycle.fill("GT", {SOLO: Answer("GREEN", "Done through the link.")})
    before = cycle.master.read_bytes()
    code, out = _run("merge", link, ret)
    assert code == 0, out
    _check_written_through(cycle, link, before)
    assert cell(sheets(cycle.master)[SHEET_PLAN], SOLO, "Status") == "GREEN"
    assert f"Master: {link} (backup of it before: {cycle.folder / BACKUP_FOLDER}" in out
    # beside the link there is only the link and the receipts the owner reads
    assert _files(link.parent) == {"plan.xlsx", "receipts", "receipts/GT return - receipt.txt"}


@pytest.mark.parametrize(
    "command",
    [
        ["rag", "{master}"],
        ["validate", "--write", "{master}"],
        ["issue", "{master}", "--lead", "GT", "--out", "{out}"],
    ],
    ids=["rag", "validate", "issue"],
)
def test_other_commands_write_through_the_link(
    cycle: Cycle, link: Path, tmp_path: Path, command: list[str]
) -> None:
    before = cycle.master.read_bytes()
    code, out = _run(*(a.format(master=link, out=tmp_path / "out") for a in command))
    assert code in (0, 1), out  # validate exits 1 for the seed plan's findings
    _check_written_through(cycle, link, before)


def test_a_link_to_a_link_is_followed_to_the_file(cycle: Cycle, link: Path) -> None:
    outer = link.with_name("outer.xlsx")
    os.symlink(link.name, outer)
    before = cycle.master.read_bytes()
    code, out = _run("rag", outer)
    assert code == 0, out
    assert outer.is_symlink() and link.is_symlink()
    _check_written_through(cycle, link, before)


# --- Read-only ------------------------------------------------------------------------------------


def _read_only(path: Path) -> None:
    mode = stat.S_IMODE(path.stat().st_mode)
    os.chmod(path, mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))


@pytest.fixture
def read_only(cycle: Cycle) -> Iterator[Path]:
    _read_only(cycle.master)
    yield cycle.master
    os.chmod(cycle.master, 0o644)


def _refusal(shown: Path) -> str:
    return (
        f"Error: {shown} is read-only, so the master cannot be changed; clear its read-only "
        "mark (or ask for permission to change it) and run again - nothing was written\n"
    )


@pytest.mark.parametrize(
    "command",
    [
        ["merge", "{master}", "{ret}"],
        ["merge", "{master}", "--returns", "{returns}"],
        ["rag", "{master}"],
        ["validate", "--write", "{master}"],
        ["board", "{master}", "--out", "{board}"],
        ["issue", "{master}", "--out", "{out}"],
    ],
    ids=["merge", "merge-folder", "rag", "validate", "board", "issue"],
)
@pytest.mark.parametrize("through", ["file", "link"])
def test_a_read_only_master_is_refused_in_one_line_with_nothing_written(
    cycle: Cycle, link: Path, read_only: Path, tmp_path: Path, command: list[str], through: str
) -> None:
    ret = cycle.fill("GT", {SOLO: Answer("GREEN", "Typed, but the master is read-only.")})
    shown = link if through == "link" else cycle.master
    before = cycle.master.read_bytes()
    files = _files(tmp_path)
    values = {
        "master": shown,
        "ret": ret,
        "returns": ret.parent,
        "out": tmp_path / "out",
        "board": tmp_path / "board.xlsx",
    }
    code, out = _run(*(a.format(**values) for a in command))
    assert (code, out.splitlines()[-1] + "\n") == (2, _refusal(shown))
    if command[0] != "validate":  # validate reports its findings first, then refuses to write
        assert out == _refusal(shown)
    assert cycle.master.read_bytes() == before
    assert not stat.S_IMODE(cycle.master.stat().st_mode) & 0o222  # still marked read-only
    assert link.is_symlink()
    # no backup, no receipts, no board pack, no copies, no temp file: nothing at all is new
    assert _files(tmp_path) == files


def test_a_master_marked_read_only_during_an_edit_is_refused_at_the_commit(
    cycle: Cycle,
) -> None:
    before = cycle.master.read_bytes()
    with editing_master(cycle.master) as edit:
        edit.set_plan_text(12, 2, "written while it became read-only")
        _read_only(cycle.master)
        try:
            with pytest.raises(MasterError, match="is read-only") as refused:
                edit.commit()
        finally:
            os.chmod(cycle.master, 0o644)
    assert "\n" not in str(refused.value)
    assert cycle.master.read_bytes() == before
    assert not (cycle.folder / BACKUP_FOLDER).exists()
    assert _temp_files(cycle.folder) == []


def test_the_watcher_leaves_returns_where_they_are_while_the_master_is_read_only(
    cycle: Cycle, read_only: Path, tmp_path: Path
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    ret = cycle.fill("GT", {SOLO: Answer("GREEN", "Waiting for the master.")})
    (inbox / ret.name).write_bytes(ret.read_bytes())
    before = cycle.master.read_bytes()
    lines: list[str] = []
    watcher = ReturnsWatcher(cycle.master, inbox, settle=0.0, log=lines.append, retry=0.0)
    watcher.step()  # seen
    watcher.step()  # settled: merged, or here refused
    assert any(
        "waiting: " in line and "is read-only" in line and "trying again" in line for line in lines
    ), lines
    assert sorted(p.name for p in inbox.rglob("*")) in ([ret.name], [".actionplan", ret.name])
    assert cycle.master.read_bytes() == before
    os.chmod(cycle.master, 0o644)
    watcher.step()  # the next try, once the mark is cleared, merges it
    assert (inbox / "merged" / ret.name).exists()
    assert cell(sheets(cycle.master)[SHEET_PLAN], SOLO, "Status") == "GREEN"


def test_issuing_and_board_packs_called_directly_write_nothing_for_a_read_only_master(
    cycle: Cycle, read_only: Path, tmp_path: Path
) -> None:
    """The demo and the benchmarks call `issue_copies` and `make_board_pack` without the command
    line: they too refuse before any copy or pack is written."""
    from sync.copies import issue_copies
    from workbook.board.packs import make_board_pack
    from workbook.errors import ActionPlanError

    before = cycle.master.read_bytes()
    with pytest.raises(ActionPlanError, match="is read-only"):
        issue_copies(cycle.master, tmp_path / "new copies")
    assert not (tmp_path / "new copies").exists()
    (tmp_path / "board").mkdir()
    with pytest.raises(ActionPlanError, match="is read-only"):
        make_board_pack(cycle.master, tmp_path / "board" / "pack.xlsx")
    assert not list((tmp_path / "board").iterdir())
    assert cycle.master.read_bytes() == before
