"""Errors a person can act on: each message is one line saying what is wrong and how to fix it."""

from __future__ import annotations


class ActionPlanError(Exception):
    """Base class: a problem with the user's input or files, reported as one line (exit 2)."""

    exit_code = 2


class PlanImportError(ActionPlanError):
    """The source document could not be read as an action plan."""


class MasterError(ActionPlanError):
    """The master workbook is missing, unreadable or not an actionplan master."""


class OutputExistsError(ActionPlanError):
    """Refusing to overwrite a file the user did not ask to replace."""
