"""Which files in a returns folder are returns: one rule for `merge --returns`, the watcher and
the add-in's Merge returns button.

Real folders hold more than returns: Excel writes a temp file with no extension and renames it
over the target, OneDrive writes `name.xlsx~RF….TMP`, `~$name.xlsx` exists while a file is open
(`.~lock.name#` for LibreOffice), browsers leave `.part` and `.crdownload` files, and receipts
are `.txt`. Anything else with an extension is a return - a lead's `.ods` or `.xls` included,
so that it is refused with a reason rather than passed over.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from workbook.xlsx.files import is_lock_file

_TEMP_SUFFIXES = (".tmp", ".temp", ".part", ".partial", ".crdownload", ".download", ".txt")


def is_return_candidate(name: str) -> bool:
    """Whether a file called `name` in the returns folder may be a return, rather than a hidden,
    temp or lock file or a receipt."""
    lower = name.lower()
    if name.startswith((".", "~$")) or is_lock_file(name) or lower.endswith(_TEMP_SUFFIXES):
        return False
    stem, dot, suffix = name.rpartition(".")
    return bool(dot and stem and suffix)


@dataclass(frozen=True)
class Inbox:
    """A returns folder as scanned: the returns, in name order, and the other files passed over
    (so a command can say so rather than leave them unmentioned)."""

    returns: tuple[Path, ...]
    passed_over: tuple[Path, ...]


def scan_inbox(folder: Path, *, master: Path | None = None) -> Inbox:
    """The returns in `folder` (never the master itself, should it sit there), and the visible
    files that are not returns."""
    returns: list[Path] = []
    passed: list[Path] = []
    for path in sorted(Path(folder).iterdir(), key=lambda p: p.name.casefold()):
        if not path.is_file() or (master is not None and _same_file(path, master)):
            continue
        if is_return_candidate(path.name):
            returns.append(path)
        elif not path.name.startswith(".") and not path.name.lower().endswith(".txt"):
            passed.append(path)
    return Inbox(tuple(returns), tuple(passed))


def find_returns(folder: Path, *, master: Path | None = None) -> list[Path]:
    """The returns in `folder`, in name order (see scan_inbox)."""
    return list(scan_inbox(folder, master=master).returns)


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == Path(b).resolve()
    except OSError:
        return False
