"""What a merge did, as told: the counts and words of sync.merge.summary, and the three ways the
shells lay them out (the command line's lines, the watcher's log line, the add-in's sentence)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from actionplan.cli import _print_merge, cli
from sync.merge.apply import MergeRun
from sync.merge.core import ChangeSet, ReceiptLine, ReturnResult
from sync.merge.outcomes import Outcome, ReturnOutcome
from sync.merge.summary import BRIEF_WORDS, WORDS, summarise, summarise_return, tell
from sync.simulate import Answer
from sync.watch import _describe
from tests.cycle import start_cycle
from workbook.plan.model import Plan
from xl_addin.handlers import merge_summary

WHEN = dt.datetime(2023, 5, 31, 17, 0)


def _lines(*outcomes: Outcome) -> tuple[ReceiptLine, ...]:
    return tuple(
        ReceiptLine(f"WNI-{i:02}", "Status", o, note=f"note {i}") for i, o in enumerate(outcomes)
    )


GT = ReturnResult(
    "GT.xlsx",
    "a" * 64,
    "GT",
    lines=_lines(
        Outcome.APPLIED, Outcome.ADDED, Outcome.ADDED, Outcome.ALREADY, Outcome.PROPOSED,
        Outcome.CONFLICT, Outcome.REJECTED, Outcome.IGNORED,
    ),
)  # fmt: skip
QUIET = ReturnResult("CCPB.xlsx", "b" * 64, "CCPB", lines=_lines(Outcome.ALREADY))
BROKEN = ReturnResult(
    "bro\nken.xlsx",
    "c" * 64,
    outcome=ReturnOutcome.REJECTED,
    reason="bro\\nken.xlsx: not an .xlsx workbook; ask the lead to save it as .xlsx",
)
AGAIN = ReturnResult(
    "LH.xlsx",
    "d" * 64,
    "LH",
    outcome=ReturnOutcome.ALREADY_MERGED,
    reason="already merged on 31 May 2023 17:00 (as LH.xlsx); nothing to do",
    lines=_lines(Outcome.APPLIED, Outcome.CONFLICT),  # that merge's, from the log: not counted
)
TWICE = ReturnResult(
    "GT copy.xlsx", "a" * 64, outcome=ReturnOutcome.DUPLICATE, reason="the same file twice"
)
CHANGES = ChangeSet(WHEN, results=(GT, QUIET, BROKEN, AGAIN, TWICE))


def test_a_return_is_counted_and_told_in_one_line() -> None:
    told = summarise_return(GT)
    assert (told.taken_in, told.not_taken) == (3, 2)
    assert told.line == (
        "GT.xlsx (GT): 1 status change, 2 updates, 1 time-scale proposed, 1 conflict, "
        "1 rejected, 1 ignored"
    )
    assert told.brief == (
        "3 changes from GT (GT.xlsx) (1 proposed, 1 in conflict, 1 rejected, 1 ignored)"
    )
    quiet = summarise_return(QUIET)
    assert quiet.line == "CCPB.xlsx (CCPB): nothing new"
    assert quiet.brief == "0 changes from CCPB (CCPB.xlsx)"


def test_a_return_not_merged_is_told_by_its_reason_its_name_escaped_once() -> None:
    told = summarise_return(BROKEN)
    assert told.name == "bro\\nken.xlsx"
    assert (
        told.line
        == told.brief
        == ("bro\\nken.xlsx: not an .xlsx workbook; ask the lead to save it as .xlsx")
    )
    assert summarise_return(TWICE).line == "GT copy.xlsx: the same file twice"


def test_the_batch_totals_count_only_the_returns_merged_now() -> None:
    told = summarise(CHANGES)
    assert [r.outcome for r in told.returns] == [r.outcome for r in CHANGES.results]
    assert {o: told.totals.get(o, 0) for o in WORDS} == {
        Outcome.APPLIED: 1, Outcome.ADDED: 2, Outcome.PROPOSED: 1,
        Outcome.CONFLICT: 1, Outcome.REJECTED: 1, Outcome.IGNORED: 1,
    }  # fmt: skip
    assert told.not_taken == 2
    assert [told.count(o) for o in ReturnOutcome] == [2, 1, 1, 1]
    assert (told.cells, told.updates, told.conflicts, told.proposals) == (0, 0, 0, 0)


def test_tell_keeps_the_order_of_its_words_and_leaves_out_zeros_unless_asked() -> None:
    counts = {Outcome.IGNORED: 2, Outcome.APPLIED: 1}
    assert tell(counts) == ["1 status change", "2 ignored"]
    assert tell(counts, BRIEF_WORDS) == ["2 ignored"]
    assert tell({}, {Outcome.ADDED: WORDS[Outcome.ADDED]}, zeros=True) == ["0 updates"]


def test_the_three_shells_lay_out_the_same_summary(capsys: pytest.CaptureFixture[str]) -> None:
    _print_merge(MergeRun(Path("master.xlsx"), CHANGES, None, (), dry_run=False))
    assert capsys.readouterr().out.splitlines() == [
        "MERGED   GT.xlsx (GT): 1 status change, 2 updates, 1 time-scale proposed, "
        "1 conflict, 1 rejected, 1 ignored",
        "  conflict  WNI-05   Status: note 5",
        "  rejected  WNI-06   Status: note 6",
        "  ignored   WNI-07   Status: note 7",
        "MERGED   CCPB.xlsx (CCPB): nothing new",
        "REJECTED bro\\nken.xlsx: not an .xlsx workbook; ask the lead to save it as .xlsx",
        "ALREADY MERGED LH.xlsx: already merged on 31 May 2023 17:00 (as LH.xlsx); nothing to do",
        "DUPLICATE GT copy.xlsx: the same file twice",
        "Changed 0 cells; 0 updates, 0 conflicts, 0 proposals",
    ]
    assert [_describe(r) for r in CHANGES.results] == [
        "merged 3 changes from GT (GT.xlsx) (1 proposed, 1 in conflict, 1 rejected, 1 ignored)",
        "merged 0 changes from CCPB (CCPB.xlsx)",
        "rejected bro\\nken.xlsx: not an .xlsx workbook; ask the lead to save it as .xlsx",
        "LH.xlsx: already merged on 31 May 2023 17:00 (as LH.xlsx); nothing to do; moved to "
        "merged/",
        "GT copy.xlsx: the same file twice; moved to merged/",
    ]
    assert merge_summary(CHANGES) == (
        "Merged 2 returns: 1 status change, 2 updates, 1 time-scale proposed. Also: "
        "1 conflict (see Conflicts); 2 values not taken (see Changes); 1 file rejected "
        "(see the receipts); 1 already merged before."
    )
    assert merge_summary(ChangeSet(WHEN)) == (
        "Merged 0 returns: 0 status changes, 0 updates, 0 time-scales proposed."
    )


# --- merge --returns: the files it passes over --------------------------------------------------

PASSED_OVER = [
    "note: passed over 5A3B2C00 (a temp or lock file, not a return)",
    "note: passed over GT return.xlsx~RF1a2b.TMP (a temp or lock file, not a return)",
    "note: passed over ~$GT return.xlsx (a temp or lock file, not a return)",
]


def _inbox_with_litter(
    tmp_path: Path, seed: Plan, *, with_return: bool = True
) -> tuple[Path, Path]:
    cycle = start_cycle(tmp_path / "cycle", seed, leads=["GT"])
    inbox = cycle.folder / "returns"
    inbox.mkdir()
    if with_return:
        cycle.fill("GT", {"WNI-01": Answer("GREEN")})
    for name in ("~$GT return.xlsx", "GT return.xlsx~RF1a2b.TMP", "5A3B2C00"):  # said
        (inbox / name).write_bytes(b"litter")
    for name in (".DS_Store", "GT return - receipt.txt"):  # hidden, and our own receipts: not
        (inbox / name).write_bytes(b"ours")
    return cycle.master, inbox


def test_merge_returns_says_which_files_it_passed_over(tmp_path: Path, seed: Plan) -> None:
    master, inbox = _inbox_with_litter(tmp_path, seed)
    result = CliRunner().invoke(cli, ["merge", str(master), "--returns", str(inbox), "--dry-run"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[:4] == [*PASSED_OVER, "MERGED   GT return.xlsx (GT): 1 status change"]


def test_with_json_the_files_passed_over_are_said_on_stderr(tmp_path: Path, seed: Plan) -> None:
    master, inbox = _inbox_with_litter(tmp_path, seed)
    args = ["merge", str(master), "--returns", str(inbox), "--dry-run", "--json"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert [r["file"] for r in json.loads(result.stdout)["returns"]] == ["GT return.xlsx"]
    assert result.stderr.splitlines() == PASSED_OVER


def test_a_folder_of_nothing_but_litter_says_what_it_passed_over_then_why_it_stops(
    tmp_path: Path, seed: Plan
) -> None:
    master, inbox = _inbox_with_litter(tmp_path, seed, with_return=False)
    result = CliRunner().invoke(cli, ["merge", str(master), "--returns", str(inbox)])
    assert result.exit_code == 2
    assert result.output.splitlines() == [
        *PASSED_OVER,
        f"Error: no returns to merge in {inbox}; give the returned files, or --returns FOLDER",
    ]
