"""What a merge did, counted and worded once: per return, and for the batch.

The command line prints a line per return, the watcher logs one, the add-in shows one sentence
for the batch; each lays these out its own way, from the counts and words here.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

from sync.merge.core import ChangeSet, ReturnResult
from sync.merge.outcomes import Outcome, ReturnOutcome
from sync.returns import display_name
from workbook.wording import count

#: How a merged return's field outcomes are counted, in the order they are told: the words
#: after 1, and after any other number.
Words = tuple[str, str]
WORDS: Mapping[Outcome, Words] = {
    Outcome.APPLIED: ("status change", "status changes"),
    Outcome.ADDED: ("update", "updates"),
    Outcome.PROPOSED: ("time-scale proposed", "time-scales proposed"),
    Outcome.CONFLICT: ("conflict", "conflicts"),
    Outcome.REJECTED: ("rejected", "rejected"),
    Outcome.IGNORED: ("ignored", "ignored"),
}
#: The same in brief, after the number of changes taken in (see ReturnSummary.brief).
BRIEF_WORDS: Mapping[Outcome, Words] = {
    Outcome.PROPOSED: ("proposed", "proposed"),
    Outcome.CONFLICT: ("in conflict", "in conflict"),
    Outcome.REJECTED: ("rejected", "rejected"),
    Outcome.IGNORED: ("ignored", "ignored"),
}
#: A lead's value taken into the plan: a status applied, an update added.
TAKEN_IN = (Outcome.APPLIED, Outcome.ADDED)
#: A lead's value not taken in: rejected with its reason, or typed where a lead may not.
NOT_TAKEN = (Outcome.REJECTED, Outcome.IGNORED)


def tell(
    counts: Mapping[Outcome, int], words: Mapping[Outcome, Words] = WORDS, *, zeros: bool = False
) -> list[str]:
    """`["3 status changes", "1 conflict"]`: each outcome of `words` with its count, in that
    order; those counted none are left out unless `zeros`."""
    return [count(counts.get(o, 0), *word) for o, word in words.items() if zeros or counts.get(o)]


def _sum(counts: Mapping[Outcome, int], outcomes: tuple[Outcome, ...]) -> int:
    return sum(counts.get(o, 0) for o in outcomes)


@dataclass(frozen=True)
class ReturnSummary:
    """One return's result as told: its name fit for one line, and its field outcomes counted."""

    result: ReturnResult
    name: str  # control characters escaped, so a name cannot split a line or forge one
    lead: str
    outcome: ReturnOutcome
    reason: str  # why it was not merged, without the file name it may start with
    counts: Mapping[Outcome, int]

    @property
    def taken_in(self) -> int:
        return _sum(self.counts, TAKEN_IN)

    @property
    def not_taken(self) -> int:
        return _sum(self.counts, NOT_TAKEN)

    @property
    def line(self) -> str:
        """`GT.xlsx (GT): 1 status change, 2 updates` for a merged return (`nothing new` when
        it changed nothing), `name: reason` for any other."""
        if self.outcome is ReturnOutcome.MERGED:
            return f"{self.name} ({self.lead}): {', '.join(tell(self.counts)) or 'nothing new'}"
        return f"{self.name}: {self.reason}"

    @property
    def brief(self) -> str:
        """`2 changes from GT (GT.xlsx) (1 proposed)` for a merged return; else as `line`."""
        if self.outcome is not ReturnOutcome.MERGED:
            return self.line
        extra = tell(self.counts, BRIEF_WORDS)
        more = f" ({', '.join(extra)})" if extra else ""
        return f"{count(self.taken_in, 'change')} from {self.lead} ({self.name}){more}"


def summarise_return(result: ReturnResult) -> ReturnSummary:
    """What became of one return, counted."""
    name = display_name(result.name)
    return ReturnSummary(
        result=result,
        name=name,
        lead=result.lead,
        outcome=result.outcome,
        reason=result.reason.removeprefix(f"{name}: "),
        counts=Counter(line.outcome for line in result.lines),
    )


@dataclass(frozen=True)
class BatchSummary:
    """A batch of returns as told: each return, and the totals over the batch."""

    returns: tuple[ReturnSummary, ...]
    totals: Mapping[Outcome, int]  # field outcomes, over the returns merged
    cells: int  # plan cells written
    updates: int  # rows added to Updates
    conflicts: int  # ... to Conflicts
    proposals: int  # ... to Proposals

    def count(self, outcome: ReturnOutcome) -> int:
        """How many returns came to `outcome`."""
        return sum(1 for r in self.returns if r.outcome is outcome)

    @property
    def not_taken(self) -> int:
        return _sum(self.totals, NOT_TAKEN)


def summarise(changes: ChangeSet) -> BatchSummary:
    """What a merge (or a dry run of it) did with each return, and in all."""
    returns = tuple(summarise_return(r) for r in changes.results)
    totals: Counter[Outcome] = Counter()
    for r in returns:
        if r.outcome is ReturnOutcome.MERGED:
            totals.update(r.counts)
    return BatchSummary(
        returns=returns,
        totals=totals,
        cells=len(changes.writes),
        updates=len(changes.updates_rows),
        conflicts=len(changes.conflicts_rows),
        proposals=len(changes.proposals_rows),
    )
