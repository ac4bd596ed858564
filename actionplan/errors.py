"""Errors as the command line shows them: one line on stderr, and an exit code.

The library raises `workbook.errors.ActionPlanError` (each carrying its exit code) for a problem
the user can fix; `reported` turns it, an OSError or anything unexpected into a `CommandError`,
which click prints as `Error: <one line>` and exits with. `--debug` lets the original through,
traceback and all.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import click

from workbook.errors import ActionPlanError

#: The exit code of a command that could not run (and wrote nothing).
CANNOT_RUN = 2


class CommandError(click.ClickException):
    """A problem the user can fix, said in one line; exit code 2 unless told otherwise."""

    exit_code = CANNOT_RUN

    def __init__(self, message: str, exit_code: int = CANNOT_RUN) -> None:
        super().__init__(message)
        # click declares the code per class; a library error's code comes with the instance
        self.exit_code = exit_code  # type: ignore[misc]


def command_error(exc: Exception) -> CommandError:
    """The one line (and exit code) a person sees for an exception from the library."""
    if isinstance(exc, ActionPlanError):
        return CommandError(str(exc), exc.exit_code)
    if isinstance(exc, OSError):
        where = f" ({exc.filename})" if exc.filename else ""
        return CommandError(f"{exc.strerror or exc}{where}; check the path and permissions")
    return CommandError(f"unexpected {type(exc).__name__}: {exc} (run with --debug for details)")


@contextmanager
def reported(*, debug: bool) -> Iterator[None]:
    """Run a command so that what it raises reaches the user as a CommandError; with `debug`,
    as it was raised."""
    try:
        yield
    except (click.ClickException, click.exceptions.Exit, click.exceptions.Abort):
        raise
    except Exception as exc:
        if debug:
            raise
        raise command_error(exc) from exc
