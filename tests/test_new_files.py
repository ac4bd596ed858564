"""Writing a batch of files (an issue's copies) at once: every file whole or none in place, no
temporary file left behind, whatever fails."""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

import pytest

from workbook.xlsx.files import write_new_files


def writes(data: bytes):
    def write(fh: BinaryIO) -> None:
        fh.write(data)

    return write


def fails(fh: BinaryIO) -> None:
    fh.write(b"half")
    raise OSError("disk full")


def test_a_batch_is_written_whole(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    jobs = [(tmp_path / "one.xlsx", writes(b"1")), (tmp_path / "b" / "two.xlsx", writes(b"22"))]
    write_new_files(jobs)
    assert (tmp_path / "one.xlsx").read_bytes() == b"1"
    assert (tmp_path / "b" / "two.xlsx").read_bytes() == b"22"
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == ["one.xlsx", "two.xlsx"]


def test_a_failure_leaves_no_file_of_the_batch_and_no_temporary_file(tmp_path: Path) -> None:
    old = tmp_path / "one.xlsx"
    old.write_bytes(b"before")
    jobs = [
        (old, writes(b"after")),
        (tmp_path / "two.xlsx", fails),
        (tmp_path / "3.xlsx", writes(b"3")),
    ]
    with pytest.raises(OSError, match="disk full"):
        write_new_files(jobs)
    assert old.read_bytes() == b"before"
    assert [p.name for p in tmp_path.iterdir()] == ["one.xlsx"]


def test_a_replaced_file_keeps_its_permissions(tmp_path: Path) -> None:
    shared = tmp_path / "shared.xlsx"
    shared.write_bytes(b"old")
    shared.chmod(0o664)
    write_new_files([(shared, writes(b"new"))])
    assert shared.read_bytes() == b"new"
    assert shared.stat().st_mode & 0o777 == 0o664
