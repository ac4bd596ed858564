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
# The demo's simulated cycle: copies out mid-May, returns merged at the end of the month.
DEMO_ISSUED = (2023, 5, 15, 9, 0)
DEMO_MERGED = (2023, 5, 31, 17, 0)


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
    from workbook.importers.source import import_plan
    from workbook.master.write import write_master

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
    """Run the whole cycle on the embedded March 2023 Ofsted action plan: master, lead copies,
    simulated returns, merge, validation, board pack.

    The returns are simulated (every update says so) and the plan is judged as at 31 May 2023,
    the end of its first update cycle. One lead's return is left outstanding.
    """
    import dataclasses
    import datetime as dt
    import shutil

    from sync.copies import issue_copies
    from sync.merge.apply import merge_returns
    from sync.simulate import fill_copy, simulated_answers
    from validation.run import validate_master
    from workbook.board.packs import make_board_pack
    from workbook.board.pdf import find_soffice
    from workbook.importers.seed import seed_plan
    from workbook.importers.source import new_plan_id
    from workbook.master.write import write_master

    out.mkdir(parents=True, exist_ok=True)
    for folder in ("copies", "returns", "receipts", "backups"):
        shutil.rmtree(out / folder, ignore_errors=True)
    plan = dataclasses.replace(seed_plan(), plan_id=new_plan_id())
    master = out / "master.xlsx"
    write_master(plan, master, settings={"As-of date": dt.date(*DEMO_AS_OF)})
    _report_import(plan, master)

    issued = issue_copies(master, out / "copies", when=dt.datetime(*DEMO_ISSUED))
    click.echo(f"Issued {len(issued.copies)} lead copies: {out / 'copies'}")
    returns_dir = out / "returns"
    returns_dir.mkdir()
    replied = issued.copies[:-1]  # the last lead has not replied yet
    answers = simulated_answers([(c.lead, c.refs) for c in replied])
    returned = []
    for copy in replied:
        path = returns_dir / f"SIMULATED return - {copy.lead}.xlsx"
        fill_copy(copy.path, path, answers[copy.lead])
        returned.append(path)
    click.echo(
        f"Simulated {len(returned)} returns (every update labelled [Simulated]); "
        f"{issued.copies[-1].lead} has not replied: {returns_dir}"
    )
    run = merge_returns(
        master, returned, receipts_dir=out / "receipts", when=dt.datetime(*DEMO_MERGED)
    )
    _print_merge(run)

    report = validate_master(master)
    click.echo(
        f"Validation: {len(report.errors)} errors, {len(report.warnings)} warnings "
        f"(see: actionplan validate {master})"
    )
    for f in report.errors:
        click.echo(f"  {f.cell:5} {f.message}")
    soffice = find_soffice()
    board = make_board_pack(master, out / "board.xlsx", pdf=soffice is not None, soffice=soffice)
    _report_board(board, master)
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
        from validation.sheet import write_validation

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
        from workbook.board.pdf import SOFFICE_MISSING, find_soffice

        soffice = find_soffice()
        if soffice is None:
            raise ActionPlanError(SOFFICE_MISSING)
    _refuse_overwrite(out, force)
    if pdf:
        _refuse_overwrite(out.with_suffix(".pdf"), force)

    from workbook.board.packs import make_board_pack

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
    from workbook.board.summary import CATEGORIES
    from workbook.wording import long_date, percent

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
    from workbook.formatting.rag import rag_master

    click.echo(rag_master(master).summary())


@cli.command("issue")
@click.argument("master", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--out",
    "-o",
    required=True,
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder for the copies (created if missing).",
)
@click.option(
    "--lead",
    "leads",
    multiple=True,
    metavar="CODE",
    help="Only this lead's copy (repeat for several); default: every lead with items.",
)
@click.option(
    "--new-key",
    is_flag=True,
    help="Sign with a new key (if the master may have been seen by others): copies issued "
    "before can no longer be merged, so issue to every lead.",
)
def issue_cmd(master: Path, out: Path, leads: tuple[str, ...], new_key: bool) -> None:
    """Write a plain .xlsx copy for each lead with only their items, and record it in MASTER.

    Leads fill in Status, New update and Proposed time-scale and send the copy back; merge it
    with `actionplan merge`.
    """
    from sync.copies import issue_copies

    run = issue_copies(master, out, leads=leads or None, new_signing_key=new_key)
    for f in run.copies:
        click.echo(f"  {f.lead:6} {len(f.refs):3} items  {f.path}")
    click.echo(f"Issued {len(run.copies)} copies; recorded in {master}")
    if run.backup:
        click.echo(f"Backup of the master as it was: {run.backup}")


@cli.command("merge")
@click.argument("master", type=click.Path(path_type=Path, dir_okay=False))
@click.argument("returns", nargs=-1, type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option(
    "--returns",
    "returns_dir",
    type=click.Path(path_type=Path, exists=True, file_okay=False),
    help="Merge every file in this folder.",
)
@click.option("--dry-run", is_flag=True, help="Show what would change; write nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the change set as JSON for tools.")
@click.option(
    "--receipts",
    "receipts_dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder for the receipts, one per return (default: receipts/ beside the master).",
)
def merge_cmd(
    master: Path,
    returns: tuple[Path, ...],
    returns_dir: Path | None,
    dry_run: bool,
    as_json: bool,
    receipts_dir: Path | None,
) -> None:
    """Merge returned lead copies into MASTER: exit 0 all merged, 1 something rejected or in
    conflict (the rest merged), 2 nothing written."""
    from sync.inbox import find_returns
    from sync.merge.apply import merge_returns
    from workbook.errors import ActionPlanError

    files = list(returns)
    if returns_dir is not None:
        files.extend(find_returns(returns_dir, master=master))
    if not files:
        where = f" in {returns_dir}" if returns_dir is not None else ""
        raise ActionPlanError(
            f"no returns to merge{where}; give the returned files, or --returns FOLDER"
        )
    run = merge_returns(master, files, dry_run=dry_run, receipts_dir=receipts_dir)
    if as_json:
        import json

        click.echo(json.dumps(run.changes.to_dict(), indent=2, ensure_ascii=False))
    else:
        _print_merge(run)
    sys.exit(run.changes.exit_code)


@cli.command("watch")
@click.argument("master", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option(
    "--returns",
    "returns_dir",
    required=True,
    type=click.Path(path_type=Path, file_okay=False),
    help="The folder leads' returns land in (created if missing).",
)
@click.option(
    "--poll",
    is_flag=True,
    help="Scan the folder on a timer instead of relying on file-system events: for network "
    "shares and synced (OneDrive, SharePoint) folders, where events are unreliable.",
)
@click.option(
    "--settle",
    type=click.FloatRange(min=0.1),
    default=2.0,
    show_default=True,
    metavar="SECONDS",
    help="How long a file must stay unchanged before it is merged.",
)
@click.option(
    "--interval",
    type=click.FloatRange(min=0.1),
    default=1.0,
    show_default=True,
    metavar="SECONDS",
    help="With --poll, how often the folder is scanned.",
)
def watch_cmd(master: Path, returns_dir: Path, poll: bool, settle: float, interval: float) -> None:
    """Merge returns into MASTER as they land in the returns folder, until Ctrl-C.

    Each return is merged once it has finished arriving, then moved with its receipt to
    merged/ or rejected/ in the folder. Returns that land together are merged in one batch.
    """
    import signal
    import threading

    from sync.watch import ReturnsWatcher

    stop = threading.Event()
    watcher = ReturnsWatcher(
        master, returns_dir, poll=poll, settle=settle, interval=interval, log=click.echo
    )

    def request_stop(signum: int, frame: object) -> None:
        # the batch being merged is finished first: the master is never left half-written
        stop.set()
        watcher.wake()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    watcher.run(stop)


def _print_merge(run: Any) -> None:
    from sync.merge.outcomes import Outcome
    from sync.returns import display_name
    from workbook.wording import one_line

    changes = run.changes
    for r in changes.results:
        if r.outcome != "merged":
            name = display_name(r.name)
            click.echo(f"{r.outcome.upper():8} {name}: {r.reason.removeprefix(name + ': ')}")
            continue
        counts = ", ".join(
            f"{r.count(o)} {label}"
            for o, label in (
                (Outcome.APPLIED, "status changes"),
                (Outcome.ADDED, "updates"),
                (Outcome.PROPOSED, "time-scales proposed"),
                (Outcome.CONFLICT, "conflicts"),
                (Outcome.REJECTED, "rejected"),
                (Outcome.IGNORED, "ignored"),
            )
            if r.count(o)
        )
        click.echo(f"MERGED   {display_name(r.name)} ({r.lead}): {counts or 'nothing new'}")
        for line in r.lines:
            if line.outcome in (Outcome.CONFLICT, Outcome.REJECTED, Outcome.IGNORED):
                click.echo(f"  {line.outcome:9} {line.ref:8} {line.field}: {line.note}")
            elif run.dry_run and line.outcome in (Outcome.APPLIED, Outcome.ADDED, Outcome.PROPOSED):
                change = (
                    f"{line.old or 'blank'} -> {line.new}"
                    if line.outcome != Outcome.ADDED
                    else line.new
                )
                click.echo(f"  {line.outcome:9} {line.ref:8} {line.field}: {one_line(change, 100)}")
    verb = "Would change" if run.dry_run else "Changed"
    click.echo(
        f"{verb} {len(changes.writes)} cells; {len(changes.updates_rows)} updates, "
        f"{len(changes.conflicts_rows)} conflicts, {len(changes.proposals_rows)} proposals"
    )
    if run.dry_run:
        click.echo("Dry run: nothing was written")
        return
    if run.backup:
        click.echo(f"Master: {run.master} (backup of it before: {run.backup})")
    if run.receipts:
        click.echo(f"Receipts: {run.receipts[0].parent}")


@cli.command("status")
@click.argument("master", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--as-of",
    "as_of_text",
    metavar="DATE",
    help="Judge overdue items at this date (YYYY-MM-DD); default: the master's Settings "
    "'As-of date', else today.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON for tools.")
def status_cmd(master: Path, as_of_text: str | None, as_json: bool) -> None:
    """Show who has been sent a copy, who has sent it back, and whose items are overdue.

    Outstanding leads (their latest copy not yet merged back) come first. Nothing is written.
    """
    from sync.status import read_desk, status_table, summary_line

    as_of = _parse_date(as_of_text, "--as-of") if as_of_text else None
    desk = read_desk(master, as_of=as_of)
    if as_json:
        import json

        click.echo(json.dumps(desk.to_dict(), indent=2, ensure_ascii=False))
        return
    for line in status_table(desk.leads):
        click.echo(line)
    click.echo(summary_line(desk.leads, len(desk.overdue_refs), desk.as_of))


@cli.command("chase")
@click.argument("master", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--out",
    "-o",
    required=True,
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder for the reminder emails (.eml; created if missing).",
)
@click.option(
    "--as-of",
    "as_of_text",
    metavar="DATE",
    help="Mark items overdue at this date (YYYY-MM-DD); default: the master's Settings "
    "'As-of date', else today.",
)
@click.option(
    "--copies",
    "copies_dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Where the issued copies are, if they were moved from where `actionplan issue` wrote "
    "them (default: there, else copies/ beside the master).",
)
@click.option("--force", is_flag=True, help="Replace today's reminders if already written.")
def chase_cmd(
    master: Path, out: Path, as_of_text: str | None, copies_dir: Path | None, force: bool
) -> None:
    """Write a draft reminder email (.eml, copy attached) to each lead whose copy is outstanding.

    Open each in Outlook (it opens as a draft), check it and send it. Exit 0 all ready to send,
    1 some need attention (no email address, copy not found), 2 nothing written.
    """
    from sync.chase import chase, describe

    as_of = _parse_date(as_of_text, "--as-of") if as_of_text else None
    run = chase(master, out, as_of=as_of, copies_dir=copies_dir, force=force)
    for lead in run.not_issued:
        click.echo(f"note: {lead} has items but was never sent a copy (actionplan issue --lead)")
    if not run.emails:
        click.echo("Nothing outstanding: every copy issued has come back; nothing written")
        sys.exit(0)
    for e in run.emails:
        to = e.to or "(no recipient)"
        attached = e.attached.name if e.attached else "(no attachment)"
        click.echo(f"  {e.lead:6} {to}  {attached}  -> {e.path.name}")
        for problem in e.problems:
            click.echo(f"    {problem}")
    click.echo(f"{describe(run.emails)}; in {run.out_dir}")
    sys.exit(run.exit_code)


@cli.group("addin")
def addin() -> None:
    """The Excel add-in: an "Action Plan" tab in desktop Excel (Windows, macOS) with Validate,
    Apply RAG, Issue copies, Merge returns and Board pack buttons. See docs/addin-setup.md.
    """


_ADDIN_OUT = click.option(
    "--out",
    "-o",
    default=".",
    show_default="the current folder",
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder for xl_addin.xlam and the Dispatch.bas it needs (created if missing).",
)


@addin.command("build")
@_ADDIN_OUT
def addin_build(out: Path) -> None:
    """Build xl_addin.xlam from xlwings' ribbon add-in template.

    On Windows, Excel then adds the ribbon's macro to it (turn on Trust Center > Macro Settings >
    "Trust access to the VBA project object model" first); elsewhere this says how to add it by
    hand.
    """
    from xl_addin.build import DISPATCH_FILE, build_addin, import_vba_module, manual_import_steps

    xlam = build_addin(out)
    bas = xlam.with_name(DISPATCH_FILE)
    click.echo(f"Built {xlam} (the Action Plan tab on xlwings' ribbon add-in template)")
    if sys.platform == "win32":
        import_vba_module(xlam, bas)
        click.echo(f"Excel added the ribbon's macro from {bas}")
        click.echo("Next: actionplan addin install")
    else:
        click.echo(manual_import_steps(xlam, bas))


@addin.command("install")
@_ADDIN_OUT
def addin_install(out: Path) -> None:
    """Install xl_addin.xlam in Excel's start-up folder so the Action Plan tab is there whenever
    Excel starts (Windows, macOS). Builds it in --out first if it is not there.

    Also points the add-in at this Python (its myaddin.conf settings file) unless that file exists.
    """
    from xl_addin.build import (
        ADDIN_FILE,
        DISPATCH_FILE,
        build_addin,
        import_vba_module,
        install_addin,
        write_user_settings,
    )

    xlam = out / ADDIN_FILE
    built = not xlam.exists()
    if built:
        xlam = build_addin(out)
        if sys.platform == "win32":
            import_vba_module(xlam, xlam.with_name(DISPATCH_FILE))
    target = install_addin(xlam)
    settings, written = write_user_settings()
    if built:
        click.echo(f"Built {xlam}")
    click.echo(f"Installed {target}")
    if written:
        click.echo(f"The add-in will run {sys.executable} (set in {settings})")
    else:
        click.echo(f"Kept your add-in settings in {settings}")
    if sys.platform == "darwin":
        click.echo("Next: quit Excel (Cmd+Q) and start it again; the Action Plan tab appears")
    else:
        click.echo("Next: open your master workbook; the Action Plan tab is on the ribbon")


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point."""
    cli.main(args=argv, prog_name="actionplan")


if __name__ == "__main__":  # pragma: no cover
    main(sys.argv[1:])
