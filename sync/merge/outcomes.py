"""What a merge can do with one field of a return, and with a return as a whole, as the Changes
sheet, the receipts and the command line say it."""

from __future__ import annotations

from enum import StrEnum


class Outcome(StrEnum):
    """What became of one field of one return (a line of its receipt and of `Changes`)."""

    APPLIED = "applied"  # a status taken into the plan
    ADDED = "added"  # an update added to the plan
    ALREADY = "already in the plan"
    PROPOSED = "proposed"  # a time-scale recorded for the owner to decide
    CONFLICT = "conflict"  # for the owner to settle; the master keeps its value
    REJECTED = "rejected"  # not taken in, with the reason
    IGNORED = "ignored"  # typed where a lead may not change anything

    @property
    def needs_attention(self) -> bool:
        """Outcomes the owner must look at (the merge then exits 1)."""
        return self in (Outcome.CONFLICT, Outcome.REJECTED, Outcome.IGNORED)


class ReturnOutcome(StrEnum):
    """What became of a returned file as a whole."""

    MERGED = "merged"  # read and merged, field by field
    REJECTED = "rejected"  # refused whole: not one of our copies, or unreadable
    ALREADY_MERGED = "already merged"  # the same file was merged before; nothing to do
    DUPLICATE = "duplicate"  # the same file twice in one batch


#: Outcomes that need the owner's attention (exit code 1).
ATTENTION = tuple(o for o in Outcome if o.needs_attention)
