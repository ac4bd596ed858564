"""The embedded default plan: the March 2023 Ofsted action plan as a text export."""

from __future__ import annotations

from importlib.resources import files

from workbook.importers.text import import_text
from workbook.plan.model import Plan

SEED_NAME = "ofsted_action_plan_2023-03.txt"


def seed_text() -> str:
    return files("workbook.importers.data").joinpath(SEED_NAME).read_text(encoding="utf-8")


def seed_plan() -> Plan:
    """The embedded plan, imported as any text export is."""
    return import_text(seed_text(), SEED_NAME)
