"""What more than one command takes, declared once: the date type and the shared options."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])

#: How a date is given on the command line, as the error for a bad one says.
DATE_FORMAT_HINT = "give it as YYYY-MM-DD, e.g. 2023-08-01"


class BadDate(click.BadParameter):
    """A date option given something that is not a YYYY-MM-DD date."""

    def format_message(self) -> str:
        return self.message

    # The message says how to give the date, so no usage block above it: one line, as every
    # error of ours (exit code 2, as click's usage errors).
    show = click.ClickException.show


class Date(click.ParamType):
    """A calendar date, given as YYYY-MM-DD."""

    name = "date"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(str(value).strip())
        except ValueError:
            option = max(param.opts, key=len) if param is not None and param.opts else "date"
            raise BadDate(
                f"{option} {value!r} is not a date; {DATE_FORMAT_HINT}", ctx, param
            ) from None


DATE = Date()


def as_of_option(does: str) -> Callable[[F], F]:
    """`--as-of DATE` (the command's `as_of`, a date or None): `does` says what the command does
    at that date, e.g. "Judge overdue items"."""
    return click.option(
        "--as-of",
        "as_of",
        type=DATE,
        metavar="DATE",
        help=f"{does} at this date (YYYY-MM-DD); default: the master's Settings 'As-of date', "
        "else today.",
    )


def json_option(what: str) -> Callable[[F], F]:
    """`--json` (the command's `as_json`): print `what` (e.g. "the findings") as JSON."""
    return click.option("--json", "as_json", is_flag=True, help=f"Print {what} as JSON for tools.")


def force_option(replaces: str = "--out if it already exists") -> Callable[[F], F]:
    """`--force`: replace what the command writes (`replaces` says what) if it is there."""
    return click.option("--force", is_flag=True, help=f"Replace {replaces}.")


def master_argument(*, exists: bool = False) -> Callable[[F], F]:
    """The master workbook every command but `import` and `demo` works on (the command's
    `master`); the library says what is wrong with a file that is missing or not a master."""
    return click.argument("master", type=click.Path(path_type=Path, exists=exists, dir_okay=False))


def out_option(
    help: str,
    *,
    folder: bool = False,
    default: str | None = None,
    show_default: bool | str = True,
) -> Callable[[F], F]:
    """`--out`/`-o` (the command's `out`): the file the command writes, or with `folder` the
    folder it writes into; required unless it has a default."""
    # no default=None for a required option: click (8.3) would take None for a value given
    given: dict[str, Any] = {"required": True}
    if default is not None:
        given = {"default": default, "show_default": show_default}
    return click.option(
        "--out",
        "-o",
        type=click.Path(path_type=Path, file_okay=not folder, dir_okay=folder),
        help=help,
        **given,
    )
