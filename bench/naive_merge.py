"""The merge as a straightforward openpyxl script does it, to compare `actionplan merge` with.

    python bench/naive_merge.py MASTER RETURNS_DIR

Loads the master and every return in RETURNS_DIR whole, copies Status, prepends New update,
logs both and the proposed time-scales on Changes / Updates, and saves the master over itself.
No identity, signature, base or conflict checks, no row refitting, no receipts or backup: a
lower bound on a plain openpyxl tool's work. `bench/merge_cycle.py` runs it as a fresh process
(its interpreter start and `import openpyxl` included) and calls `naive_merge` in-process.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import sys
from pathlib import Path
from typing import Any

from openpyxl import load_workbook


def naive_merge(master: Path, returns: list[Path], out: Path) -> dict[str, int]:
    """Merge `returns` into `master` and save it at `out`; what it did, counted."""
    now = dt.datetime.now().replace(microsecond=0)
    label = f"Update {now.day} {now:%b} {now:%y}"
    wb = load_workbook(master, rich_text=True)
    plan = wb["Action Plan"]
    header, cols = _header(plan, ("Ref", "Update", "Status"))
    row_of: dict[str, int] = {}
    for r, (ref,) in enumerate(
        plan.iter_rows(
            min_row=header + 1, min_col=cols["Ref"], max_col=cols["Ref"], values_only=True
        ),
        header + 1,
    ):
        if ref is not None and str(ref).strip():
            row_of.setdefault(str(ref).strip(), r)
    updates, changes = wb["Updates"], wb["Changes"]
    counts = {"updates_added": 0, "status_writes": 0, "proposals": 0}
    for path in returns:
        sha = hashlib.sha256(path.read_bytes()).hexdigest()
        ret = load_workbook(path)
        lead = next(
            str(value)
            for name, value in ret["actionplan"].iter_rows(max_col=2, values_only=True)
            if name == "Lead"
        )
        sheet = ret["Action Plan"]
        rh, rc = _header(sheet, ("Ref", "Status", "New update", "Proposed time-scale"))
        for values in sheet.iter_rows(min_row=rh + 1, values_only=True):
            ref = values[rc["Ref"] - 1]
            found = row_of.get(str(ref).strip()) if ref is not None else None
            if found is None:
                continue
            r = found
            status = str(values[rc["Status"] - 1] or "").strip().upper()
            status_cell = plan.cell(r, cols["Status"])
            if status and status != (status_cell.value or ""):
                changes.append(
                    [now, path.name, sha, lead, ref, "Status", status_cell.value, status, "applied"]
                )
                status_cell.value = status
                counts["status_writes"] += 1
            words = str(values[rc["New update"] - 1] or "").strip()
            if words:
                entry = f"{label} ({lead}): {words}"
                cell = plan.cell(r, cols["Update"])
                cell.value = f"{entry}\n\n{cell.value}" if cell.value else entry
                updates.append([ref, now.date(), lead, status_cell.value, entry, path.name])
                changes.append([now, path.name, sha, lead, ref, "Update", "", entry, "added"])
                counts["updates_added"] += 1
            proposed = str(values[rc["Proposed time-scale"] - 1] or "").strip()
            if proposed:
                field = "Proposed time-scale"
                changes.append([now, path.name, sha, lead, ref, field, "", proposed, "proposed"])
                counts["proposals"] += 1
        ret.close()
    wb.save(out)
    return counts


def _header(ws: Any, titles: tuple[str, ...]) -> tuple[int, dict[str, int]]:
    for r, values in enumerate(ws.iter_rows(min_row=1, max_row=40, values_only=True), 1):
        found = {str(v).strip(): c for c, v in enumerate(values, 1) if v is not None}
        if all(t in found for t in titles):
            return r, {t: found[t] for t in titles}
    raise ValueError(f"{ws.title}: no header row with {titles}")


def main(argv: list[str]) -> int:
    master, folder = Path(argv[0]), Path(argv[1])
    returns = sorted(p for p in folder.iterdir() if p.suffix.lower() == ".xlsx")
    counts = naive_merge(master, returns, master)
    print(", ".join(f"{k} {v}" for k, v in counts.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
