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
DEMO_AS_OF = (2023, 5, 31)  # the end of the March 2023 plan's first update cycle


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
    """Run the cycle on the embedded March 2023 Ofsted action plan: master, validation, board pack.

    The demo judges the plan as at 31 May 2023, the end of its first update cycle.
    """
    import dataclasses
    import datetime as dt

    from validation.run import validate_master
    from workbook.board_packs import make_board_pack
    from workbook.importing import new_plan_id
    from workbook.master_write import write_master
    from workbook.pdf import find_soffice
    from workbook.seed import seed_plan

    out.mkdir(parents=True, exist_ok=True)
    plan = dataclasses.replace(seed_plan(), plan_id=new_plan_id())
    master = out / "master.xlsx"
    write_master(plan, master, settings={"As-of date": dt.date(*DEMO_AS_OF)})
    _report_import(plan, master)
    report = validate_master(master)
    click.echo(
        f"Validation: {len(report.errors)} errors, {len(report.warnings)} warnings "
        f"(see: actionplan validate {master})"
    )
    for f in report.errors:
        click.echo(f"  {f.cell:5} {f.message}")
    soffice = find_soffice()
    run = make_board_pack(master, out / "board.xlsx", pdf=soffice is not None, soffice=soffice)
    _report_board(run, master)
    if soffice is None:
        click.echo("  (no PDF: install LibreOffice to print the board pack)")


@cli.command()
@click.argument("master", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--as-of",
    "as_of_text",
    metavar="DATE",
    help="Judge overdue items and this cycle's updates at this date (YYYY-MM-DD); "
    "default: the master's Settings 'As-of date', else today.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON for tools.")
@click.option(
    "--write",
    is_flag=True,
    help="Also put the findings in the master: a Validation sheet with links, and a comment "
    "on each offending cell (replaced at the next run).",
)
def validate(master: Path, as_of_text: str | None, as_json: bool, write: bool) -> None:
    """Check the master against the plan rules: exit 0 no errors, 1 errors found, 2 cannot run."""
    from validation.run import validate_master

    as_of = _parse_date(as_of_text, "--as-of") if as_of_text else None
    report = validate_master(master, as_of=as_of)
    if write:
        from workbook.validation_sheet import write_validation

        write_validation(master, report)
    if as_json:
        import json

        click.echo(json.dumps(report.to_dict(), indent=2))
    else:
        _print_findings(report, master, written=write)
    sys.exit(0 if report.ok else 1)


def _print_findings(report: Any, master: Path, *, written: bool) -> None:
    click.echo(
        f"{master}: {len(report.errors)} errors, {len(report.warnings)} warnings "
        f"(as of {report.as_of:%d %b %Y})"
    )
    rows = report.flatten(["severity", "code", "ref", "cell", "message"])
    if rows:
        widths = [
            max(len(r[i]) for r in [["SEVERITY", "CODE", "REF", "CELL"], *rows]) for i in range(4)
        ]
        head = ["SEVERITY", "CODE", "REF", "CELL", "MESSAGE"]
        for r in [head, *rows]:
            click.echo(
                "  ".join(v.ljust(w) for v, w in zip(r[:4], widths, strict=True)) + "  " + r[4]
            )
    if written:
        click.echo(f"Findings written to the Validation sheet of {master}")


@cli.command()
@click.argument("master", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--out",
    "-o",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="The board workbook to write (.xlsx).",
)
@click.option("--pdf", is_flag=True, help="Also print it to a PDF beside --out (LibreOffice).")
@click.option(
    "--as-of",
    "as_of_text",
    metavar="DATE",
    help="Report at this date (YYYY-MM-DD); default: the master's Settings 'As-of date', "
    "else today.",
)
@click.option("--force", is_flag=True, help="Replace --out (and its PDF) if they exist.")
@click.option(
    "--no-record",
    is_flag=True,
    help="Do not record this pack in the master (a draft: the next pack still compares with the "
    "last one recorded).",
)
def board(
    master: Path, out: Path, pdf: bool, as_of_text: str | None, force: bool, no_record: bool
) -> None:
    """Write the board pack: a Summary (RAG by section, overdue, what moved since the last pack,
    a chart) and the Action Plan with the latest update per item."""
    from workbook.errors import ActionPlanError

    as_of = _parse_date(as_of_text, "--as-of") if as_of_text else None
    if out.suffix.lower() != ".xlsx":
        raise ActionPlanError(f"{out} must end in .xlsx (the board pack is an Excel workbook)")
    soffice = None
    if pdf:
        from workbook.pdf import SOFFICE_MISSING, find_soffice

        soffice = find_soffice()
        if soffice is None:
            raise ActionPlanError(SOFFICE_MISSING)
    _refuse_overwrite(out, force)
    if pdf:
        _refuse_overwrite(out.with_suffix(".pdf"), force)

    from workbook.board_packs import make_board_pack

    run = make_board_pack(master, out, as_of=as_of, pdf=pdf, record=not no_record, soffice=soffice)
    _report_board(run, master)


def _parse_date(text: str, option: str) -> Any:
    import datetime as dt

    from workbook.errors import ActionPlanError

    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise ActionPlanError(
            f"{option} {text!r} is not a date; give it as YYYY-MM-DD, e.g. 2023-08-01"
        ) from None


def _report_board(run: Any, master: Path) -> None:
    from workbook.board import CATEGORIES, long_date, percent

    s = run.summary
    counts = ", ".join(
        f"{s.overall.count(c.key)} {c.label}" for c in CATEGORIES if s.overall.count(c.key)
    )
    click.echo(f"Board pack as at {long_date(s.as_of)}: {s.overall.total} items ({counts})")
    click.echo(f"  {percent(s.complete_fraction)} complete, {len(s.overdue)} overdue")
    if run.previous is None:
        click.echo("  moved: no earlier board pack recorded")
    else:
        since = f" (as at {long_date(run.previous.as_of)})" if run.previous.as_of else ""
        click.echo(f"  {len(s.moved)} moved since board pack {run.previous.number}{since}")
    click.echo(f"Board workbook: {run.out}")
    if run.pdf is not None:
        click.echo(f"Board PDF: {run.pdf}")
    if run.recorded is None:
        click.echo("Not recorded in the master (--no-record)")
    else:
        click.echo(f"Recorded as board pack {run.recorded} in {master}")


@cli.command()
@click.argument("master", type=click.Path(path_type=Path))
def rag(master: Path) -> None:
    """(Re)apply RAG formatting to MASTER: Status colours, overdue time-scales, Status dropdown."""
    from workbook.rag_format import rag_master

    click.echo(rag_master(master).summary())


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point."""
    cli.main(args=argv, prog_name="actionplan")


if __name__ == "__main__":  # pragma: no cover
    main(sys.argv[1:])
