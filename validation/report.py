"""A validation report: findings with a stable code, severity, item ref, cell and message.

Like frictionless, validation returns a report rather than raising; tests pin codes, not wording,
with `report.flatten([...])`, and the CLI's --json output is `report.to_dict()`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True)
class Finding:
    """One thing wrong (error) or worth a look (warning) in the plan, and where."""

    code: str
    severity: str
    ref: str
    cell: str  # A1 address on the Action Plan sheet ("G12"), or "Sheet!A1" elsewhere
    message: str


@dataclass
class Report:
    """Every finding of one validation run, errors first, then in sheet order."""

    master: str
    as_of: dt.date
    findings: list[Finding] = field(default_factory=list)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == ERROR]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == WARNING]

    @property
    def ok(self) -> bool:
        return not self.errors

    def flatten(self, fields: list[str]) -> list[list[str]]:
        """The findings as rows of the named fields, e.g. ["ref", "code"]."""
        return [[getattr(f, name) for name in fields] for f in self.findings]

    def to_dict(self) -> dict[str, object]:
        return {
            "master": self.master,
            "as_of": self.as_of.isoformat(),
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "findings": [asdict(f) for f in self.findings],
        }
