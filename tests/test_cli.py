"""The `actionplan` CLI on real files: what the commands write, say and exit with."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

import sync.status
from actionplan.cli import cli
from actionplan.params import DATE
from workbook.errors import ActionPlanError
from workbook.importers.seed import SEED_NAME, seed_text
from workbook.master.read import read_master

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def seed_file(tmp_path: Path) -> Path:
    p = tmp_path / SEED_NAME
    p.write_text(seed_text(), encoding="utf-8")
    return p


def _commands(group: click.Group, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """The path of every command and group under `group` (`("addin", "build")`), groups first."""
    for name, command in sorted(group.commands.items()):
        yield (*path, name)
        if isinstance(command, click.Group):
            yield from _commands(command, (*path, name))


def _command(path: tuple[str, ...]) -> click.Command:
    command: click.Command = cli
    for name in path:
        assert isinstance(command, click.Group)
        command = command.commands[name]
    return command


def test_every_command_and_group_has_help(runner: CliRunner) -> None:
    assert cli.help
    paths = list(_commands(cli))
    assert ("addin",) in paths and ("addin", "install") in paths
    for path in paths:
        command = _command(path)
        assert command.help, f"{' '.join(path)} has no help text"
        result = runner.invoke(cli, [*path, "--help"])
        assert result.exit_code == 0, result.output
        assert "Usage: " in result.output
        for param in command.params:
            if isinstance(param, click.Option):
                assert param.help, f"{' '.join(path)} {param.opts[0]} has no help text"


def _documented_commands() -> list[str]:
    """The commands the README's "## Commands" table lists: each `actionplan ...` in a row's
    first cell, up to its first argument or option."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## Commands\n", 1)[1].split("\n## ", 1)[0]
    found = []
    for row in section.splitlines():
        if not row.startswith("| `actionplan "):
            continue
        first_cell = re.split(r"(?<!\\)\|", row)[1]
        for usage in re.findall(r"`actionplan ([^`]*)`", first_cell):
            words = []
            for word in usage.split():
                if not re.fullmatch(r"[a-z][a-z-]*", word):
                    break
                words.append(word)
            found.append(" ".join(words))
    return found


def test_commands_are_documented() -> None:
    """The README's command table lists exactly the command line's commands, once each (a
    group's commands, not the group)."""
    documented = _documented_commands()
    commands = [
        " ".join(path) for path in _commands(cli) if not isinstance(_command(path), click.Group)
    ]
    assert sorted(documented) == sorted(commands)


def test_python_m_actionplan_runs_the_command_line(tmp_path: Path) -> None:
    """`python -m actionplan` is the `actionplan` script: same name in its usage, same one-line
    errors and exit codes."""
    done = subprocess.run(
        [sys.executable, "-m", "actionplan", "--help"], capture_output=True, text=True
    )
    assert done.returncode == 0 and done.stdout.startswith("Usage: actionplan [OPTIONS] COMMAND")
    missing = tmp_path / "nope.txt"
    args = ["import", str(missing), "--out", str(tmp_path / "m.xlsx")]
    for module in ("actionplan", "actionplan.cli"):
        done = subprocess.run(
            [sys.executable, "-m", module, *args], capture_output=True, text=True, cwd=tmp_path
        )
        assert (done.returncode, done.stdout) == (2, "")
        assert done.stderr == f"Error: {missing} does not exist; check the path and try again\n"


AS_OF_COMMANDS = {
    "validate": [],
    "board": ["--out", "board.xlsx"],
    "status": [],
    "chase": ["--out", "emails"],
}


def test_as_of_is_one_date_option_shared_by_the_commands_that_take_it() -> None:
    takes = {
        " ".join(path)
        for path in _commands(cli)
        if any(p.name == "as_of" for p in _command(path).params)
    }
    assert takes == set(AS_OF_COMMANDS)
    for name in takes:
        (option,) = [p for p in _command((name,)).params if p.name == "as_of"]
        assert option.type is DATE and option.opts == ["--as-of"]


@pytest.mark.parametrize("name", sorted(AS_OF_COMMANDS))
@pytest.mark.parametrize("given", ["2023-02-30", "1/8/23", "next week"])
def test_a_bad_as_of_date_is_one_line_exit_2(
    runner: CliRunner, tmp_path: Path, name: str, given: str
) -> None:
    master = tmp_path / "master.xlsx"  # never read: the date is refused first
    args = [name, str(master), *AS_OF_COMMANDS[name], "--as-of", given]
    result = runner.invoke(cli, args)
    assert result.exit_code == 2
    assert result.output == (
        f"Error: --as-of '{given}' is not a date; give it as YYYY-MM-DD, e.g. 2023-08-01\n"
    )
    assert list(tmp_path.iterdir()) == []


def test_a_good_as_of_date_reaches_the_library(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = []

    def read_cycle_status(master: Path, *, as_of: object) -> None:
        seen.append(as_of)
        raise ActionPlanError("stop here")

    monkeypatch.setattr(sync.status, "read_cycle_status", read_cycle_status)
    result = runner.invoke(cli, ["status", str(tmp_path / "m.xlsx"), "--as-of", " 2023-08-01 "])
    assert (result.exit_code, result.output) == (2, "Error: stop here\n")
    assert [str(d) for d in seen] == ["2023-08-01"]


class _NeedsAttention(ActionPlanError):
    """A library error with an exit code of its own."""

    exit_code = 1


@pytest.mark.parametrize(
    ("raised", "exit_code", "line"),
    [
        (ActionPlanError("master.xlsx is not a master; check it"), 2,
         "Error: master.xlsx is not a master; check it"),
        (_NeedsAttention("two leads disagree"), 1, "Error: two leads disagree"),
        (PermissionError(13, "Permission denied", "/shares/plan/master.xlsx"), 2,
         "Error: Permission denied (/shares/plan/master.xlsx); check the path and permissions"),
        (OSError("disk on fire"), 2, "Error: disk on fire; check the path and permissions"),
        (KeyError("Status"), 2,
         "Error: unexpected KeyError: 'Status' (run with --debug for details)"),
    ],
)  # fmt: skip
def test_errors_are_one_line_with_their_exit_code(
    runner: CliRunner,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    raised: Exception,
    exit_code: int,
    line: str,
) -> None:
    def read_cycle_status(master: Path, *, as_of: object) -> None:
        raise raised

    monkeypatch.setattr(sync.status, "read_cycle_status", read_cycle_status)
    result = runner.invoke(cli, ["status", str(tmp_path / "master.xlsx")])
    assert (result.exit_code, result.output) == (exit_code, line + "\n")
    debug = runner.invoke(cli, ["--debug", "status", str(tmp_path / "master.xlsx")])
    assert debug.exception is raised


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
