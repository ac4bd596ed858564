"""The finding codes: stable names tools and tests rely on, with their severity and the column
of the `Action Plan` sheet they point at."""

from __future__ import annotations

from validation.report import ERROR, WARNING

# code: (severity, plan column key)
CODES: dict[str, tuple[str, str]] = {
    # errors: the plan is wrong and must be put right
    "missing-ref": (ERROR, "ref"),
    "duplicate-ref": (ERROR, "ref"),
    "empty-finding": (ERROR, "finding"),
    "no-actions": (ERROR, "actions"),
    "missing-lead": (ERROR, "lead"),
    "unknown-lead": (ERROR, "lead"),
    "missing-timescale": (ERROR, "timescale"),
    "unreadable-timescale": (ERROR, "timescale"),
    "unknown-status": (ERROR, "status"),
    # warnings: worth the owner's look before the board sees it
    "no-recent-update": (WARNING, "updates"),
    "no-completion-update": (WARNING, "updates"),
    "overdue": (WARNING, "timescale"),
    "no-status": (WARNING, "status"),
}

# plan-level codes, not tied to one item row
PLAN_CODES: dict[str, str] = {
    "no-items": ERROR,
    "duplicate-lead-code": ERROR,
}
