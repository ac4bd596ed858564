"""Import a plan document, whatever its kind: a text export, a Word .docx, or a tracker kept in
Excel (.xlsx, .xlsm) or as a .csv."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Mapping
from pathlib import Path

from workbook.errors import PlanImportError
from workbook.importers.docx import import_docx_file
from workbook.importers.text import import_text_file
from workbook.importers.tracker import (
    CSV_SUFFIXES,
    WORKBOOK_SUFFIXES,
    import_tracker_file,
    is_workbook,
)
from workbook.plan.model import Plan

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"


def new_plan_id() -> str:
    """A fresh plan id; lead copies and returns carry it so a return can't land in another plan."""
    return f"plan-{uuid.uuid4().hex[:12]}"


#: Spreadsheets no reader here opens, and what to save them as.
_OTHER_SPREADSHEETS = {
    ".xls": "an old Excel .xls workbook",
    ".xlsb": "an Excel binary (.xlsb) workbook",
    ".ods": "an OpenDocument (.ods) spreadsheet",
}


def import_plan(
    path: Path,
    plan_id: str | None = None,
    mapping: Mapping[str, str] | None = None,
    sheet: str | None = None,
) -> Plan:
    """The plan held in `path` (.txt export, .docx, or an .xlsx/.xlsm/.csv tracker), with a plan
    id (a new one unless given); `mapping` (role -> column title, from `--map`) settles columns
    the titles do not; `sheet` names a workbook's sheet (default: the first with a plan)."""
    if not path.exists():
        raise PlanImportError(f"{path} does not exist; check the path and try again")
    if path.is_dir():
        raise PlanImportError(f"{path} is a folder; give the plan document's file")
    suffix = path.suffix.lower()
    if suffix == ".doc":
        raise PlanImportError(
            f"{path.name} is an old Word .doc file; open it in Word, Save As 'Word Document "
            "(.docx)', and import that"
        )
    if suffix in _OTHER_SPREADSHEETS:
        raise PlanImportError(
            f"{path.name} is {_OTHER_SPREADSHEETS[suffix]}; open it and save it as 'Excel "
            "Workbook (*.xlsx)' (or CSV UTF-8), and import that"
        )
    with path.open("rb") as f:
        head = f.read(8)
    tracker = suffix in WORKBOOK_SUFFIXES or suffix in CSV_SUFFIXES
    if not tracker and suffix != ".docx" and head.startswith(_ZIP_MAGIC):
        tracker = is_workbook(path)  # an .xlsx by another name
    if tracker:
        plan = import_tracker_file(path, mapping, sheet)
    elif sheet is not None:
        raise PlanImportError(
            f"--sheet is for a plan kept in an Excel workbook; {path.name} is not one - leave "
            "out --sheet"
        )
    elif suffix == ".docx" or head.startswith((_ZIP_MAGIC, _OLE_MAGIC)):
        plan = import_docx_file(path, mapping)
    else:
        plan = import_text_file(path, mapping)
    return dataclasses.replace(plan, plan_id=plan_id or new_plan_id())
