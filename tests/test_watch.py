"""The returns desk: the watcher run against the ways files really arrive (Excel's temp file and
rename, chunked copies, OneDrive temp names, lock files, corrupt files, batches, duplicates),
with native events and with polling."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from sync.inbox import is_return_candidate
from sync.simulate import Answer
from sync.watch import ReturnsWatcher, Seen, settle_files
from tests.cycle import Cycle, cell, sheets, start_cycle
from workbook.master.sheets import SHEET_PLAN
from workbook.plan.model import Plan

SETTLE = 0.4


# --- The pure core --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "candidate"),
    [
        ("GT.xlsx", True),
        ("Action plan - GT - issued 2023-05-15.xlsx", True),
        ("saved.ods", True),  # merged, so that it is rejected with a reason, not ignored
        ("A1B2C3D4", False),  # Excel's temp file: no extension
        ("GT.xlsx~RF1a2b3c4.TMP", False),  # OneDrive
        ("~$GT.xlsx", False),
        (".~lock.GT.xlsx#", False),
        (".DS_Store", False),
        ("GT - receipt.txt", False),
        ("GT.xlsx.crdownload", False),
    ],
)
def test_which_files_may_be_returns(name: str, candidate: bool) -> None:
    assert is_return_candidate(name) is candidate


def _settle(previous, scan, now, is_zip=lambda name: True):
    return settle_files(previous, scan, now=now, settle=1.0, is_zip=is_zip)


def test_a_file_is_ready_only_after_it_stays_unchanged() -> None:
    first = _settle({}, {"GT.xlsx": (100, 1)}, now=0.0)
    assert first.new == ("GT.xlsx",) and first.ready == ()
    growing = _settle(first.seen, {"GT.xlsx": (200, 2)}, now=0.9)
    assert growing.ready == ()
    still = _settle(growing.seen, {"GT.xlsx": (200, 2)}, now=1.5)
    assert still.ready == ()  # unchanged for 0.6 s only
    ready = _settle(still.seen, {"GT.xlsx": (200, 2)}, now=2.0)
    assert ready.ready == ("GT.xlsx",) and ready.new == ()


def test_a_file_open_in_excel_waits_for_its_lock_to_go() -> None:
    seen = {"GT.xlsx": Seen(100, 1, since=0.0, first_seen=0.0)}
    locked = _settle(seen, {"GT.xlsx": (100, 1), "~$GT.xlsx": (165, 1)}, now=5.0)
    assert locked.ready == () and locked.waiting == ("GT.xlsx",)
    assert _settle(seen, {"GT.xlsx": (100, 1)}, now=5.0).ready == ("GT.xlsx",)


def test_an_unreadable_file_waits_a_while_then_is_merged_to_be_rejected() -> None:
    seen = {"GT.xlsx": Seen(100, 1, since=0.0, first_seen=0.0)}
    assert _settle(seen, {"GT.xlsx": (100, 1)}, now=2.0, is_zip=lambda n: False).ready == ()
    late = _settle(seen, {"GT.xlsx": (100, 1)}, now=6.0, is_zip=lambda n: False)
    assert late.ready == ("GT.xlsx",)


# --- The watcher on real folders ------------------------------------------------------------------


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory, seed: Plan) -> Cycle:
    """A master with copies issued, and returns from GT and LH filled in (kept aside)."""
    c = start_cycle(tmp_path_factory.mktemp("watch"), seed)
    c.fill("GT", {"WNI-01": Answer("AMBER", "GT's update")}, name="GT.xlsx")
    c.fill("LH", {"WNI-02": Answer("GREEN", "LH's update")}, name="LH.xlsx")
    return c


class CycleStatus:
    """A fresh master and an empty returns folder, with a watcher running in a thread."""

    def __init__(self, folder: Path, template: Cycle, *, poll: bool) -> None:
        folder.mkdir()
        self.master = folder / "master.xlsx"
        self.master.write_bytes(template.master.read_bytes())
        self.returns = template.folder / "returns"
        self.inbox = folder / "inbox"
        self.lines: list[str] = []
        self.watcher = ReturnsWatcher(
            self.master,
            self.inbox,
            poll=poll,
            settle=SETTLE,
            interval=0.1,
            log=self.lines.append,
            retry=0.5,
        )
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.watcher.run, args=(self.stop,), daemon=True)
        self.thread.start()
        wait_for(lambda: self.inbox.exists() and self.lines)

    def close(self) -> None:
        self.stop.set()
        self.watcher.wake()
        self.thread.join(timeout=20)
        assert not self.thread.is_alive()

    def data(self, name: str) -> bytes:
        return (self.returns / name).read_bytes()

    def status(self, ref: str) -> object:
        return cell(sheets(self.master)[SHEET_PLAN], ref, "Status")

    def folder(self, name: str) -> list[str]:
        path = self.inbox / name
        return sorted(p.name for p in path.iterdir()) if path.exists() else []


def wait_for(
    condition: Callable[[], object],
    timeout: float = 20.0,
    message: Callable[[], str] = lambda: "",
) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting\n{message()}")


@pytest.fixture(params=[False, True], ids=["native", "poll"])
def desk(request: pytest.FixtureRequest, tmp_path: Path, template: Cycle) -> Iterator[CycleStatus]:
    d = CycleStatus(tmp_path / "desk", template, poll=request.param)
    yield d
    d.close()


def test_an_excel_style_save_temp_file_then_rename_is_merged_once(desk: CycleStatus) -> None:
    temp = desk.inbox / "5A3B2C00"
    temp.write_bytes(desk.data("GT.xlsx"))
    time.sleep(SETTLE * 2)  # the temp file alone is never taken for a return
    assert temp.exists() and desk.folder("merged") == []
    os.replace(temp, desk.inbox / "GT.xlsx")
    wait_for(lambda: desk.folder("merged") == ["GT - receipt.txt", "GT.xlsx"])
    assert desk.status("WNI-01") == "AMBER"
    assert any(line.endswith("merged 2 changes from GT (GT.xlsx)") for line in desk.lines)
    assert sorted(p.name for p in desk.inbox.iterdir()) == [".actionplan", "merged"]


def test_a_copy_arriving_in_chunks_is_merged_whole(desk: CycleStatus) -> None:
    data = desk.data("GT.xlsx")
    target = desk.inbox / "GT.xlsx"
    with target.open("wb") as fh:
        for start in range(0, len(data), 2048):
            fh.write(data[start : start + 2048])
            fh.flush()
            time.sleep(SETTLE / 4)
    wait_for(lambda: desk.folder("merged"))
    assert desk.folder("rejected") == []
    assert desk.status("WNI-01") == "AMBER"


def test_onedrive_temp_files_are_left_alone(desk: CycleStatus) -> None:
    (desk.inbox / "GT.xlsx~RF1a2b3c4.TMP").write_bytes(desk.data("GT.xlsx"))
    (desk.inbox / "LH.xlsx").write_bytes(desk.data("LH.xlsx"))
    wait_for(lambda: desk.folder("merged"))
    time.sleep(SETTLE * 2)
    assert (desk.inbox / "GT.xlsx~RF1a2b3c4.TMP").exists()
    assert desk.folder("merged") == ["LH - receipt.txt", "LH.xlsx"]


def test_a_return_still_open_waits_for_its_lock_file_to_go(desk: CycleStatus) -> None:
    lock = desk.inbox / "~$GT.xlsx"
    lock.write_bytes(b"owner")
    (desk.inbox / "GT.xlsx").write_bytes(desk.data("GT.xlsx"))
    time.sleep(SETTLE * 3)
    assert desk.folder("merged") == [] and (desk.inbox / "GT.xlsx").exists()
    lock.unlink()
    wait_for(lambda: desk.folder("merged"))
    assert desk.status("WNI-01") == "AMBER"


def test_a_corrupt_file_is_rejected_and_the_watcher_goes_on(desk: CycleStatus) -> None:
    (desk.inbox / "broken.xlsx").write_bytes(desk.data("GT.xlsx")[:3000])
    wait_for(lambda: "broken.xlsx" in desk.folder("rejected"), timeout=30)
    assert desk.folder("rejected") == ["broken - receipt.txt", "broken.xlsx"]
    assert any("rejected broken.xlsx: the file is incomplete or damaged" in ln for ln in desk.lines)
    (desk.inbox / "LH.xlsx").write_bytes(desk.data("LH.xlsx"))
    wait_for(lambda: "LH.xlsx" in desk.folder("merged"))
    assert desk.status("WNI-02") == "GREEN"


def test_returns_landing_together_are_merged_in_one_batch(desk: CycleStatus) -> None:
    (desk.inbox / "GT.xlsx").write_bytes(desk.data("GT.xlsx"))
    (desk.inbox / "LH.xlsx").write_bytes(desk.data("LH.xlsx"))
    wait_for(lambda: len(desk.folder("merged")) == 4)
    assert desk.watcher.batches == 1
    assert (desk.status("WNI-01"), desk.status("WNI-02")) == ("AMBER", "GREEN")
    assert len(list((desk.master.parent / "backups").iterdir())) == 1  # one master write


def test_the_same_return_dropped_twice_is_merged_once(desk: CycleStatus) -> None:
    (desk.inbox / "GT.xlsx").write_bytes(desk.data("GT.xlsx"))
    wait_for(lambda: len(desk.folder("merged")) == 2)
    after_first = desk.master.read_bytes()
    (desk.inbox / "GT.xlsx").write_bytes(desk.data("GT.xlsx"))
    wait_for(lambda: "GT (2).xlsx" in desk.folder("merged"))
    assert desk.master.read_bytes() == after_first
    assert any("GT.xlsx: already merged" in line for line in desk.lines)


def test_a_master_open_in_excel_is_waited_for(desk: CycleStatus) -> None:
    lock = desk.master.parent / "~$master.xlsx"
    lock.write_bytes(b"owner")
    (desk.inbox / "GT.xlsx").write_bytes(desk.data("GT.xlsx"))
    wait_for(lambda: any("waiting:" in line for line in desk.lines))
    assert (desk.inbox / "GT.xlsx").exists() and desk.status("WNI-01") == ""
    lock.unlink()
    wait_for(lambda: desk.folder("merged"), message=lambda: "\n".join(desk.lines))
    assert desk.status("WNI-01") == "AMBER"


def test_the_command_stops_cleanly_on_sigterm(tmp_path: Path, template: Cycle) -> None:
    master = tmp_path / "master.xlsx"
    master.write_bytes(template.master.read_bytes())
    inbox = tmp_path / "inbox"
    proc = subprocess.Popen(
        [sys.executable, "-m", "actionplan.cli", "watch", str(master), "--returns", str(inbox),
         "--settle", "0.3"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        wait_for(lambda: inbox.exists())
        (inbox / "GT.xlsx").write_bytes((template.folder / "returns" / "GT.xlsx").read_bytes())
        wait_for(lambda: (inbox / "merged" / "GT.xlsx").exists())
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert err == ""
    lines = out.splitlines()
    assert "watching" in lines[0] and lines[-1].endswith("stopped watching")
    assert any(line.endswith("received GT.xlsx") for line in lines)
    assert cell(sheets(master)[SHEET_PLAN], "WNI-01", "Status") == "AMBER"


def test_ready_returns_wait_for_one_still_arriving_so_they_merge_together() -> None:
    seen = {
        "GT.xlsx": Seen(100, 1, since=0.0, first_seen=0.0),
        "LH.xlsx": Seen(100, 1, since=0.5, first_seen=0.5),
    }
    scan = {"GT.xlsx": (100, 1), "LH.xlsx": (100, 1)}
    held = _settle(seen, scan, now=1.2)
    assert held.ready == () and held.next_check == 1.5
    assert _settle(seen, scan, now=1.5).ready == ("GT.xlsx", "LH.xlsx")
    # a file still arriving long after cannot hold the others back for ever
    late = {**seen, "LH.xlsx": Seen(100, 1, since=5.5, first_seen=0.5)}
    assert _settle(late, scan, now=6.0).ready == ("GT.xlsx",)
