"""A big batch of returns is read on two cores (sync.merge.parallel): the results are the same,
in the same order, as reading in turn - also when the child fails, and never with other threads
running (the watcher's and the add-in's processes read in turn)."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from sync.merge.apply import read_returns
from sync.merge.parallel import PARALLEL_FROM, map_in_two
from sync.returns import read_return
from sync.simulate import Answer
from tests.cycle import start_cycle
from workbook.plan.model import Plan

PARENT = os.getpid()

needs_fork = pytest.mark.skipif(
    not hasattr(os, "fork") or (os.cpu_count() or 1) < 2, reason="needs fork and two cores"
)


@pytest.fixture(autouse=True)
def _no_other_threads() -> None:
    """The reading forks only in a process with no other threads; these tests need one."""
    if threading.active_count() > 1:
        pytest.skip("a thread another test started is still running")


def where(x: int) -> tuple[int, int]:
    return x * x, os.getpid()


def dies_in_the_child(x: int) -> tuple[int, int]:
    if os.getpid() != PARENT:
        os._exit(3)  # the child dies mid-batch, as if killed
    return x * x, os.getpid()


@needs_fork
def test_the_second_half_is_read_in_a_child_and_the_order_is_kept() -> None:
    n = max(PARALLEL_FROM, 20)
    out = map_in_two(where, range(n))
    assert [v for v, _ in out] == [x * x for x in range(n)]
    pids = [pid for _, pid in out]
    assert set(pids[: n // 2]) == {os.getpid()}
    assert os.getpid() not in pids[n // 2 :]


@needs_fork
def test_a_child_that_dies_leaves_the_results_whole() -> None:
    n = max(PARALLEL_FROM, 20)
    out = map_in_two(dies_in_the_child, range(n))
    assert out == [(x * x, os.getpid()) for x in range(n)]


def test_small_batches_and_processes_with_threads_read_in_turn() -> None:
    assert {pid for _, pid in map_in_two(where, range(PARALLEL_FROM - 1))} == {os.getpid()}
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        out = map_in_two(where, range(PARALLEL_FROM * 2))
    finally:
        stop.set()
        other.join()
    assert {pid for _, pid in out} == {os.getpid()}


def test_returns_read_together_are_the_returns_read_one_by_one(tmp_path: Path, seed: Plan) -> None:
    cycle = start_cycle(tmp_path, seed)
    paths = []
    for lead, issued in sorted(cycle.copies.items()):
        answers = {ref: Answer("AMBER", f"{lead} on {ref}.") for ref in issued.refs}
        paths.append(cycle.fill(lead, answers))
    broken = tmp_path / "returns" / "broken.xlsx"
    broken.write_bytes(b"not a workbook")
    paths.insert(3, broken)
    assert len(paths) >= PARALLEL_FROM
    together = read_returns(paths)
    assert together[3].reason.startswith("broken.xlsx")  # type: ignore[union-attr]
    assert [r for i, r in enumerate(together) if i != 3] == [
        read_return(p) for i, p in enumerate(paths) if i != 3
    ]
