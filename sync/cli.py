"""The `actionplan` command line: parse arguments, call the library, print results.

Only click and the standard library are imported at start-up, so `actionplan --help` is instant;
each command imports what it needs when it runs. Library errors (ActionPlanError) become one line
on stderr and exit code 2; `--debug` shows the traceback instead.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

DEFAULT_DEMO_DIR = "actionplan-demo"


class _Cli(click.Group):
    """Turns the library's errors into one line for a person, with the right exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.exceptions.Abort):
            raise
        except Exception as exc:
            if ctx.obj and ctx.obj.get("debug"):
                raise
            from workbook.errors import ActionPlanError

            if isinstance(exc, ActionPlanError):
                click.echo(f"Error: {exc}", err=True)
                ctx.exit(exc.exit_code)
            if isinstance(exc, OSError):
                where = f" ({exc.filename})" if exc.filename else ""
                click.echo(
                    f"Error: {exc.strerror or exc}{where}; check the path and permissions",
                    err=True,
                )
                ctx.exit(2)
            click.echo(
                f"Error: unexpected {type(exc).__name__}: {exc} (run with --debug for details)",
                err=True,
            )
            ctx.exit(2)


@click.group(cls=_Cli, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Show the full traceback when something goes wrong.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """Run the update cycle of an inspection action plan kept in an Excel workbook.

    The plan owner keeps a master workbook; leads get plain .xlsx copies of their rows and send
    them back; returns are merged into the master; the board gets a RAG-formatted pack.
    """
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug


def _refuse_overwrite(path: Path, force: bool) -> None:
    from workbook.errors import OutputExistsError

    if path.exists() and not force:
        raise OutputExistsError(f"{path} already exists; choose another --out or add --force")


def _check_xlsx_name(path: Path) -> None:
    from workbook.errors import ActionPlanError

    if path.suffix.lower() != ".xlsx":
        raise ActionPlanError(f"{path} must end in .xlsx (the master is an Excel workbook)")


def _report_import(plan: Any, out: Path) -> None:
    click.echo(
        f"Imported {len(plan.items)} items in {len(plan.sections)} sections, "
        f"{len(plan.leads)} leads, from {plan.source}"
    )
    for note in plan.notes:
        click.echo(f"  note: {note}")
    click.echo(f"Master workbook: {out}")


@cli.command("import")
@click.argument("source", type=click.Path(path_type=Path))
@click.option(
    "--out",
    "-o",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="The master workbook to create (.xlsx).",
)
@click.option("--force", is_flag=True, help="Replace --out if it already exists.")
def import_cmd(source: Path, out: Path, force: bool) -> None:
    """Import a plan document (.txt export or Word .docx) into a new master workbook."""
    from workbook.importing import import_plan
    from workbook.master_write import write_master

    _check_xlsx_name(out)
    _refuse_overwrite(out, force)
    plan = import_plan(source)
    write_master(plan, out)
    _report_import(plan, out)


@cli.command()
@click.option(
    "--out",
    "-o",
    default=DEFAULT_DEMO_DIR,
    show_default=True,
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder for the demo's files (created if missing; its demo files are replaced).",
)
def demo(out: Path) -> None:
    """Build a master workbook from the embedded March 2023 Ofsted action plan."""
    import dataclasses

    from workbook.importing import new_plan_id
    from workbook.master_write import write_master
    from workbook.seed import seed_plan

    out.mkdir(parents=True, exist_ok=True)
    plan = dataclasses.replace(seed_plan(), plan_id=new_plan_id())
    master = out / "master.xlsx"
    write_master(plan, master)
    _report_import(plan, master)


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point."""
    cli.main(args=argv, prog_name="actionplan")


if __name__ == "__main__":  # pragma: no cover
    main(sys.argv[1:])
