"""The `actionplan` CLI on real files: what the commands write, say and exit with."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from actionplan.cli import cli
from workbook.importers.seed import SEED_NAME, seed_text
from workbook.master.read import read_master


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def seed_file(tmp_path: Path) -> Path:
    p = tmp_path / SEED_NAME
    p.write_text(seed_text(), encoding="utf-8")
    return p


def _commands(group: click.Group) -> list[tuple[str, click.Command]]:
    return sorted(group.commands.items())


def test_every_command_has_help(runner: CliRunner) -> None:
    assert cli.help
    for name, command in _commands(cli):
        assert command.help, f"{name} has no help text"
        result = runner.invoke(cli, [name, "--help"])
        assert result.exit_code == 0, result.output
        assert "Usage: " in result.output


def test_import_writes_a_master_that_reads_back(
    runner: CliRunner, seed_file: Path, seed, tmp_path: Path
) -> None:
    out = tmp_path / "master.xlsx"
    result = runner.invoke(cli, ["import", str(seed_file), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Imported 27 items in 5 sections, 13 leads" in result.output
    assert "note: line 42: left out text outside the table" in result.output
    plan = read_master(out)
    assert plan.plan_id.startswith("plan-")
    assert plan.items == seed.items
    assert plan.sections == seed.sections


def test_import_refuses_to_overwrite(runner: CliRunner, seed_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "master.xlsx"
    out.write_bytes(b"owner's work")
    result = runner.invoke(cli, ["import", str(seed_file), "--out", str(out)])
    assert result.exit_code == 2
    assert result.output == f"Error: {out} already exists; choose another --out or add --force\n"
    assert out.read_bytes() == b"owner's work"
    result = runner.invoke(cli, ["import", str(seed_file), "--out", str(out), "--force"])
    assert result.exit_code == 0, result.output
    assert len(read_master(out).items) == 27


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("empty.txt", b"", "is empty"),
        (
            "minutes.txt",
            b"Minutes of the meeting\nAll present.\n",
            "does not look like an action plan",
        ),
        ("binary.txt", bytes(range(256)) * 4, "is not readable text"),
        ("plan.doc", b"\xd0\xcf\x11\xe0whatever", "old Word .doc file"),
        ("plan.docx", b"not a zip at all", ".docx"),
    ],
)
def test_import_bad_input_exit_2_nothing_written(
    runner: CliRunner, tmp_path: Path, name: str, data: bytes, message: str
) -> None:
    src = tmp_path / name
    src.write_bytes(data)
    out = tmp_path / "master.xlsx"
    result = runner.invoke(cli, ["import", str(src), "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert result.output.startswith("Error: ") and message in result.output
    assert result.output.count("\n") == 1
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [src]  # no temp files left behind either


def test_import_missing_source_and_bad_out(
    runner: CliRunner, tmp_path: Path, seed_file: Path
) -> None:
    result = runner.invoke(
        cli, ["import", str(tmp_path / "nope.txt"), "--out", str(tmp_path / "m.xlsx")]
    )
    assert result.exit_code == 2
    assert "does not exist" in result.output
    result = runner.invoke(cli, ["import", str(seed_file), "--out", str(tmp_path / "m.csv")])
    assert result.exit_code == 2
    assert "must end in .xlsx" in result.output


def test_demo_runs_the_cycle(runner: CliRunner, tmp_path: Path, seed) -> None:
    out = tmp_path / "demo"
    result = runner.invoke(cli, ["demo", "--out", str(out)])
    assert result.exit_code == 0, result.output
    master = out / "master.xlsx"
    assert f"Master workbook: {master}" in result.output
    assert "Issued 13 lead copies" in result.output
    assert "Simulated 12 returns (every update labelled [Simulated]); DoP has not replied" in (
        result.output
    )
    assert len(list((out / "copies").iterdir())) == 13
    assert len(list((out / "receipts").iterdir())) == 12
    # the merge changed statuses and added updates, and nothing else of the plan
    plan = read_master(master)
    for got, want in zip(plan.items, seed.items, strict=True):
        assert (got.ref, got.finding, got.actions, got.lead, got.timescale) == (
            want.ref, want.finding, want.actions, want.lead, want.timescale
        )  # fmt: skip
        new = got.updates[: len(got.updates) - len(want.updates)]
        assert got.updates[len(new) :] == want.updates
        assert all(u.text.startswith("[Simulated] ") for u in new)
    assert (
        sum(len(g.updates) - len(w.updates) for g, w in zip(plan.items, seed.items, strict=True))
        > 20
    )
    assert "conflict" in result.output and "'Yellow' is not a RAG status" in result.output
    assert "Board pack as at 31 May 2023: 27 items" in result.output
    assert (out / "board.xlsx").exists()
    # run again into the same folder: the demo replaces its own files
    assert runner.invoke(cli, ["demo", "--out", str(out)]).exit_code == 0
    assert len(list((out / "copies").iterdir())) == 13


def test_debug_shows_traceback(runner: CliRunner, tmp_path: Path) -> None:
    src = tmp_path / "empty.txt"
    src.write_bytes(b"")
    result = runner.invoke(cli, ["--debug", "import", str(src), "--out", str(tmp_path / "m.xlsx")])
    assert result.exit_code != 0
    assert type(result.exception).__name__ == "PlanImportError"


def test_help_imports_nothing_heavy() -> None:
    """`actionplan --help` stays instant: no spreadsheet or data library on the start-up path."""
    code = (
        "import sys; from actionplan.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = {'openpyxl', 'pandas', 'pandera', 'xlwings', 'docx', 'python_calamine',"
        " 'watchdog', 'lxml'}\n"
        "print(sorted(heavy & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"
