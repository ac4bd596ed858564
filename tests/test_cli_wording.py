"""The command line as a person reads it: counts in the singular and plural, a pipe closed by its
reader ending quietly, a folder given where returns go, a lead's copy given to `validate`, and one
last line after `import`, `issue` and `merge` saying what to do next."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from actionplan.cli import BROKEN_PIPE_EXIT, cli
from actionplan.next_steps import NEXT, Step, after_merge, next_line
from sync.simulate import Answer
from tests.cycle import MERGED, Cycle, solo_items, start_cycle
from workbook.importers.seed import SEED_NAME, seed_text
from workbook.plan.model import Plan

ROOT = Path(__file__).resolve().parents[1]
#: The nouns our messages count, singular and plural.
NOUNS = {
    "item": "items",
    "section": "sections",
    "lead": "leads",
    "copy": "copies",
    "cell": "cells",
    "update": "updates",
    "conflict": "conflicts",
    "proposal": "proposals",
    "error": "errors",
    "warning": "warnings",
    "return": "returns",
    "status change": "status changes",
}
_COUNTED = re.compile(
    r"\b(\d+) (" + "|".join(sorted({*NOUNS, *NOUNS.values()}, key=len, reverse=True)) + r")\b"
)


def _wrong_counts(output: str) -> list[str]:
    """Every "1 items" or "2 item" in `output`."""
    return [
        m[0]
        for m in _COUNTED.finditer(output)
        if (m[1] == "1") != (m[2] in NOUNS)  # singular noun exactly when the number is 1
    ]


@pytest.fixture
def cycle(tmp_path: Path, seed: Plan, fixed_clock) -> Cycle:
    fixed_clock(MERGED)
    return start_cycle(tmp_path / "plan", seed)


def _invoke(*args: object) -> tuple[int, str]:
    result = CliRunner().invoke(cli, [str(a) for a in args])
    return result.exit_code, result.output


# --- (a) one and many ----------------------------------------------------------------------------


def test_every_count_printed_agrees_with_its_number(tmp_path: Path, seed: Plan) -> None:
    source = tmp_path / SEED_NAME
    source.write_text(seed_text(), encoding="utf-8")
    master = tmp_path / "master.xlsx"
    outputs = [_invoke("import", source, "--out", master)[1]]
    lead, (ref,) = solo_items(seed, 1)
    issued = _invoke("issue", master, "--out", tmp_path / "copies", "--lead", lead)[1]
    outputs.append(issued)
    assert re.search(r"Issued 1 copy;", issued), issued
    copy = next((tmp_path / "copies").glob("*.xlsx"))
    ret = tmp_path / "returns" / "one.xlsx"
    ret.parent.mkdir()
    from sync.simulate import fill_copy

    fill_copy(copy, ret, {ref: Answer("", "one update")})
    merged = _invoke("merge", master, ret)[1]
    outputs.append(merged)
    assert "Changed 1 cell; 1 update, 0 conflicts, 0 proposals" in merged, merged
    assert f"({lead}): 1 update\n" in merged
    outputs.append(_invoke("validate", master, "--as-of", "2023-05-31")[1])
    for output in outputs:
        assert _wrong_counts(output) == [], output


def test_the_count_check_can_fail() -> None:
    assert _wrong_counts("Issued 1 copies; 2 item, 1 conflict, 3 status change") == [
        "1 copies",
        "2 item",
        "3 status change",
    ]


# --- (b) a closed pipe ---------------------------------------------------------------------------


def test_output_into_a_closed_pipe_ends_quietly(cycle: Cycle) -> None:
    """`actionplan validate X | head -3`: the reader goes away; no "Error: Broken pipe"."""
    read, write = os.pipe()
    os.close(read)  # the reader has gone before the first line is written
    try:
        done = subprocess.run(
            [sys.executable, "-m", "actionplan", "validate", str(cycle.master)],
            stdout=write,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
    finally:
        os.close(write)
    assert done.stderr == ""
    assert done.returncode == BROKEN_PIPE_EXIT


def test_output_into_head_ends_quietly(cycle: Cycle) -> None:
    done = subprocess.run(
        f"{sys.executable} -m actionplan validate '{cycle.master}' | head -1; "
        'echo "exit ${PIPESTATUS[0]}"',
        shell=True,
        executable="/bin/bash",
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert done.stderr == ""
    first, status = done.stdout.splitlines()
    assert first.startswith(f"{cycle.master}: ")
    assert status in ("exit 0", "exit 1", f"exit {BROKEN_PIPE_EXIT}")  # done, or cut short


# --- (c) a folder given as a return ---------------------------------------------------------------


def test_a_folder_given_as_a_return_says_to_use_returns(cycle: Cycle) -> None:
    folder = cycle.folder / "returns"
    folder.mkdir()
    before = cycle.master.read_bytes()
    code, output = _invoke("merge", cycle.master, folder)
    assert code == 2
    assert output == f"Error: {folder}/ is a folder; use --returns {folder}/\n"
    assert cycle.master.read_bytes() == before
    assert not (cycle.folder / "receipts").exists() and not (cycle.folder / "backups").exists()


# --- (d) validate on a lead's copy ---------------------------------------------------------------


def test_validate_on_a_lead_copy_says_it_is_a_copy_and_how_to_merge_it(cycle: Cycle) -> None:
    copy = next(iter(cycle.copies.values()))
    code, output = _invoke("validate", copy.path)
    assert code == 2
    assert output == (
        f"Error: {copy.path} is a lead's copy (issued to {copy.lead}), not a master; validate "
        f"the master, and merge this copy into it with: actionplan merge MASTER {copy.path}\n"
    )
    code, output = _invoke("validate", cycle.master)  # the master itself still validates
    assert code in (0, 1) and "lead's copy" not in output


# --- (f) what to do next -------------------------------------------------------------------------


def _last(output: str) -> str:
    return output.rstrip("\n").splitlines()[-1]


def test_import_and_issue_end_by_saying_what_to_do_next(tmp_path: Path) -> None:
    source = tmp_path / SEED_NAME
    source.write_text(seed_text(), encoding="utf-8")
    master = tmp_path / "master.xlsx"
    code, output = _invoke("import", source, "--out", master)
    assert code == 0
    assert _last(output) == "Next: check the master in Excel, then issue the copies: " + (
        f"actionplan issue {master} --out copies/"
    )
    code, output = _invoke("issue", master, "--out", tmp_path / "copies")
    assert code == 0
    assert _last(output) == (
        f"Next: send each lead their copy; merge their returns with actionplan merge {master} "
        "--returns DIR"
    )


def test_merge_ends_with_the_next_step_its_outcome_calls_for(cycle: Cycle, seed: Plan) -> None:
    lead, (ref,) = solo_items(seed, 1)
    ret = cycle.fill(lead, {ref: Answer("GREEN", "done")})
    code, output = _invoke("merge", cycle.master, ret, "--dry-run")
    assert _last(output) == NEXT[Step.MERGE_DRY_RUN]
    code, output = _invoke("merge", cycle.master, ret)
    assert code == 0
    receipts = cycle.folder / "receipts"
    assert _last(output) == next_line(Step.MERGE_CLEAN, master=cycle.master, receipts=receipts)
    code, output = _invoke("merge", cycle.master, ret)  # the same file again: nothing new
    assert _last(output) == next_line(Step.MERGE_NOTHING_NEW, master=cycle.master)
    # a status the plan's key does not know, rejected: the owner is sent to Conflicts, Changes
    other = cycle.fill(lead, {ref: Answer("PURPLE")}, name="again.xlsx")
    code, output = _invoke("merge", cycle.master, other)
    assert code == 1
    assert _last(output).startswith("Next: settle the conflicts on the Conflicts sheet")
    # --json stays one JSON document
    code, output = _invoke("merge", cycle.master, ret, "--json", "--dry-run")
    json.loads(output)


def test_the_next_step_after_a_merge_follows_its_outcome() -> None:
    assert after_merge(dry_run=True, merged=1, attention=True, proposals=1) is Step.MERGE_DRY_RUN
    assert after_merge(dry_run=False, merged=1, attention=True, proposals=1) is (
        Step.MERGE_NEEDS_YOU
    )
    assert after_merge(dry_run=False, merged=1, attention=False, proposals=2) is (
        Step.MERGE_PROPOSALS
    )
    assert after_merge(dry_run=False, merged=2, attention=False, proposals=0) is Step.MERGE_CLEAN
    assert after_merge(dry_run=False, merged=0, attention=False, proposals=0) is (
        Step.MERGE_NOTHING_NEW
    )
    assert set(NEXT) == set(Step)
    assert "'my plan.xlsx'" in next_line(Step.ISSUED, master=Path("my plan.xlsx"))
