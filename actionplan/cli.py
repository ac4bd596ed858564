"""The `actionplan` command line: parse arguments, call the library, print results.

Only click and the standard library are imported at start-up, so `actionplan --help` is instant;
each command imports the library it calls when it runs. What the library raises reaches the user
as one line and an exit code (actionplan.errors); `--debug` shows the traceback instead.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import signal
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from actionplan.errors import CommandError, reported
from actionplan.next_steps import Step, after_merge, next_line
from actionplan.params import (
    as_of_option,
    force_option,
    json_option,
    master_argument,
    out_option,
)

if TYPE_CHECKING:
    from sync.decisions import DecisionSet
    from sync.merge.apply import MergeRun
    from validation.report import Report
    from workbook.board.packs import BoardRun
    from workbook.plan.model import Plan

DEFAULT_DEMO_DIR = "actionplan-demo"
#: What `merge --returns` says of each visible file in the folder that it does not take for a
#: return (see sync.inbox): the owner sees it was looked at, and why it was left.
PASSED_OVER = "note: passed over {name} (a temp or lock file, not a return)"


#: The exit code when the reader of the output went away (`actionplan validate X | head -3`):
#: a process killed by SIGPIPE ends with 128 + 13 in the shell, and this says the same, quietly.
BROKEN_PIPE_EXIT = 141


class _Cli(click.Group):
    """The command group: every command runs inside `reported`, so a library error, an OSError
    or a bug reaches the user as one line with its exit code; output cut short by its reader
    (a pipe into `head`) ends the command quietly."""

    def invoke(self, ctx: click.Context) -> Any:
        with reported(debug=ctx.params.get("debug", False)):
            try:
                return super().invoke(ctx)
            except BrokenPipeError:
                _end_quietly()


def _end_quietly() -> None:
    """Stop after the reader of stdout went away, as the Python docs advise (signal.SIGPIPE
    note): point stdout at devnull, so the flush at exit raises no second error, and exit."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # no real file behind stdout (a test runner)
        pass
    sys.exit(BROKEN_PIPE_EXIT)


@click.group(cls=_Cli, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Show the full traceback when something goes wrong.")
def cli(debug: bool) -> None:
    """Run the update cycle of an inspection action plan kept in an Excel workbook.

    The plan owner keeps a master workbook; leads get plain .xlsx copies of their rows and send
    them back; returns are merged into the master; the board gets a RAG-formatted pack.
    """


def _next(step: Step, *, master: Path, receipts: object = "the receipts folder") -> None:
    """The last line of a command: what to do next (actionplan.next_steps)."""
    click.echo(next_line(step, master=master, receipts=receipts))


def _refuse_overwrite(path: Path, force: bool) -> None:
    if path.exists() and not force:
        raise CommandError(f"{path} already exists; choose another --out or add --force")


def _check_xlsx_name(path: Path, what: str) -> None:
    if path.suffix.lower() != ".xlsx":
        raise CommandError(f"{path} must end in .xlsx ({what} is an Excel workbook)")


def _report_import(plan: Plan, out: Path) -> None:
    from workbook.wording import count

    click.echo(
        f"Imported {count(len(plan.items), 'item')} in {count(len(plan.sections), 'section')}, "
        f"{count(len(plan.leads), 'lead')}, from {plan.source}"
    )
    for note in plan.notes:
        click.echo("  note: " + note.replace("\n", "\n        "))
    click.echo(f"Master workbook: {out}")


@cli.command("import")
@click.argument("source", type=click.Path(path_type=Path))
@click.option(
    "--out",
    "-o",
    type=click.Path(path_type=Path, dir_okay=False),
    help="The master workbook to create (.xlsx); not needed with --preview.",
)
@click.option(
    "--map",
    "mapping",
    multiple=True,
    metavar="ROLE=TITLE",
    help="Which column holds a role the titles do not settle, e.g. --map 'finding=Priority' "
    "(roles: ref, finding, action, lead, time-scale, update, status). Repeatable.",
)
@click.option(
    "--sheet",
    metavar="NAME",
    help="For an Excel tracker: the sheet the plan is on (default: the first with a plan header).",
)
@click.option(
    "--preview", is_flag=True, help="Print the columns found and the first items; write nothing."
)
@force_option()
def import_cmd(
    source: Path,
    out: Path | None,
    mapping: tuple[str, ...],
    sheet: str | None,
    preview: bool,
    force: bool,
) -> None:
    """Import a plan document (.txt export, Word .docx, or a tracker kept in Excel .xlsx or as a
    .csv) into a new master workbook. Its columns are found by their titles, never by
    position."""
    from workbook.importers.roles import parse_map
    from workbook.importers.source import import_plan
    from workbook.master.write import write_master

    if out is None and not preview:
        raise click.UsageError("Missing option '--out' / '-o' (or give --preview).")
    roles = parse_map(mapping)
    if out is not None and not preview:
        _check_xlsx_name(out, "the master")
        _refuse_overwrite(out, force)
    plan = import_plan(source, mapping=roles, sheet=sheet)
    if preview:
        _print_preview(plan)
        return
    assert out is not None
    plan = _keep_owner_leads(plan, out)
    write_master(plan, out)
    _report_import(plan, out)
    _next(Step.IMPORTED, master=out)


def _keep_owner_leads(plan: Plan, out: Path) -> Plan:
    """The plan with the Leads sheet of the master it replaces (--force) kept: the codes, names
    and emails the owner set there; the plan as imported when `out` is no master."""
    import dataclasses

    from workbook.errors import MasterError
    from workbook.master.read import read_master
    from workbook.plan.leads import keep_owner_leads

    if not out.exists():
        return plan
    try:
        owner = read_master(out, rich=False).leads
    except MasterError:
        return plan
    leads, note = keep_owner_leads((it.lead for it in plan.items), owner)
    notes = (*plan.notes, note) if note else plan.notes
    return dataclasses.replace(plan, leads=leads, notes=notes)


#: How many items `import --preview` shows.
PREVIEW_ITEMS = 3


def _print_preview(plan: Plan) -> None:
    """The columns found and the first items as they would land; nothing is written."""
    from workbook.importers.roles import OPTIONAL_ROLES, ROLE_NAMES
    from workbook.wording import count, one_line

    click.echo(
        f"{plan.source}: {count(len(plan.items), 'item')} in {count(len(plan.sections), 'section')}"
    )
    click.echo("Columns:")
    for role, title in plan.column_titles:
        click.echo(f"  {title!r} -> {ROLE_NAMES.get(role, role)}")
    for title in plan.extra_titles:
        click.echo(f"  {title or '(no title)'!r} -> kept as the document's own column")
    found = {role for role, _ in plan.column_titles}
    missing = [ROLE_NAMES[r] for r in OPTIONAL_ROLES if r not in found]
    if missing:
        click.echo(f"  not in the document (the master adds them): {', '.join(missing)}")
    for item in plan.items[:PREVIEW_ITEMS]:
        click.echo(f"{item.ref}: {one_line(item.finding_text, 90)}")
        if item.actions:
            click.echo(
                f"  actions: {len(item.actions)}, the first: {one_line(item.actions[0], 70)}"
            )
        for label, value in (
            ("lead", item.lead),
            ("time-scale", item.timescale),
            ("status", item.status),
            ("updates", str(len(item.updates)) if item.updates else ""),
        ):
            if value:
                click.echo(f"  {label}: {one_line(value, 70)}")
        for k, text in item.extra:
            click.echo(f"  {plan.extra_titles[k] or '(no title)'}: {one_line(text, 60)}")
    for note in plan.notes:
        click.echo(f"note: {note}")
    click.echo("Nothing written (--preview).")


@cli.command()
@out_option(
    "Folder for the demo's files (created if missing; its demo files are replaced).",
    folder=True,
    default=DEFAULT_DEMO_DIR,
)
def demo(out: Path) -> None:
    """Run the whole cycle on the embedded March 2023 Ofsted action plan: master, lead copies,
    simulated returns, merge, validation, board pack.

    The returns are simulated (every update says so) and the plan is judged as at 31 May 2023,
    the end of its first update cycle. One lead's return is left outstanding.
    """
    from sync.demo import run_demo
    from workbook.wording import count

    run = run_demo(out)
    _report_import(run.plan, run.master)
    click.echo(
        f"Issued {count(len(run.issued.copies), 'lead copy', 'lead copies')}: {out / 'copies'}"
    )
    click.echo(
        f"Simulated {count(len(run.returned), 'return')} (every update labelled [Simulated]); "
        f"{run.not_replied} has not replied: {run.returns_dir}"
    )
    _print_merge(run.merged)
    report = run.report
    click.echo(
        f"Validation: {_errors_and_warnings(report)} (see: actionplan validate {run.master})"
    )
    for f in report.errors:
        click.echo(f"  {f.cell:5} {f.message}")
    _report_board(run.board, run.master)
    if run.board.pdf is None:
        click.echo("  (no PDF: install LibreOffice to print the board pack)")


@cli.command()
@master_argument()
@as_of_option("Judge overdue items and this cycle's updates")
@json_option("the findings")
@click.option(
    "--write",
    is_flag=True,
    help="Also put the findings in the master: a Validation sheet with links, and a comment "
    "on each offending cell (replaced at the next run).",
)
@click.option(
    "--pandera",
    is_flag=True,
    help="Run the rules through the items frame's pandera schema (the same findings; slower to "
    "start, as it loads pandas).",
)
def validate(
    master: Path, as_of: dt.date | None, as_json: bool, write: bool, pandera: bool
) -> None:
    """Check the master against the plan rules: exit 0 no errors, 1 errors found, 2 cannot run."""
    from sync.returns import display_name, lead_copy_identity
    from validation.run import validate_master

    copy = lead_copy_identity(master)
    if copy is not None:
        whose = f" (issued to {display_name(copy.identity.lead)})" if copy.identity else ""
        raise CommandError(
            f"{master} is a lead's copy{whose}, not a master; validate the master, and merge "
            f"this copy into it with: actionplan merge MASTER {master}"
        )
    report = validate_master(master, as_of=as_of, engine="pandera" if pandera else "plain")
    backup = None
    if write:
        from validation.sheet import write_validation

        backup = write_validation(master, report)
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=2))
    else:
        _print_findings(report, master, written=write)
        if backup:
            click.echo(f"Backup of the master as it was: {backup}")
    sys.exit(0 if report.ok else 1)


def _errors_and_warnings(report: Report) -> str:
    from workbook.wording import count

    return f"{count(len(report.errors), 'error')}, {count(len(report.warnings), 'warning')}"


def _print_findings(report: Report, master: Path, *, written: bool) -> None:
    click.echo(f"{master}: {_errors_and_warnings(report)} (as of {report.as_of:%d %b %Y})")
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
@master_argument()
@out_option("The board workbook to write (.xlsx).")
@click.option("--pdf", is_flag=True, help="Also print it to a PDF beside --out (LibreOffice).")
@as_of_option("Report")
@force_option("--out (and its PDF) if they exist")
@click.option(
    "--no-record",
    is_flag=True,
    help="Do not record this pack in the master (a draft: the next pack still compares with the "
    "last one recorded).",
)
def board(
    master: Path, out: Path, pdf: bool, as_of: dt.date | None, force: bool, no_record: bool
) -> None:
    """Write the board pack: a Summary (RAG by section, overdue, what moved since the last pack,
    a chart) and the Action Plan with the latest update per item."""
    _check_xlsx_name(out, "the board pack")
    soffice = None
    if pdf:
        from workbook.board.pdf import SOFFICE_MISSING, find_soffice

        soffice = find_soffice()
        if soffice is None:
            raise CommandError(SOFFICE_MISSING)
    _refuse_overwrite(out, force)
    if pdf:
        _refuse_overwrite(out.with_suffix(".pdf"), force)
    if not no_record:
        _refuse_read_only(master)  # before the pack is written, not once it is to be recorded

    from workbook.board.packs import make_board_pack

    run = make_board_pack(master, out, as_of=as_of, pdf=pdf, record=not no_record, soffice=soffice)
    _report_board(run, master)


def _report_board(run: BoardRun, master: Path) -> None:
    from workbook.wording import count, long_date, percent

    s = run.summary
    counts = ", ".join(
        f"{s.overall.count(c.key)} {c.label}" for c in s.categories if s.overall.count(c.key)
    )
    click.echo(
        f"Board pack as at {long_date(s.as_of)}: {count(s.overall.total, 'item')} ({counts})"
    )
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

    report = rag_master(master)
    click.echo(report.summary())
    if report.backup:
        click.echo(f"Backup of the master as it was: {report.backup}")


@cli.command("issue")
@master_argument()
@out_option("Folder for the copies (created if missing).", folder=True)
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
@click.option(
    "--due",
    metavar="DATE",
    help="The date the copies are to come back by (YYYY-MM-DD or day/month/year); kept on "
    "Settings as 'Returns due'. Default: Settings' 'Returns due', if any.",
)
@click.option("--owner", metavar="NAME", help="Your name, as copies and emails show it.")
@click.option(
    "--owner-email", metavar="ADDR", help="Your email address: leads send their copies to it."
)
@click.option(
    "--emails",
    "emails_dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Also write a draft email (.eml) per lead into this folder, their copy attached, "
    "ready to open and send; a lead with no address on Leads gets one with no recipient.",
)
def issue_cmd(
    master: Path,
    out: Path,
    leads: tuple[str, ...],
    new_key: bool,
    due: str | None,
    owner: str | None,
    owner_email: str | None,
    emails_dir: Path | None,
) -> None:
    """Write a plain .xlsx copy for each lead with only their items, and record it in MASTER.

    Leads fill in Status, New update and Proposed time-scale and send the copy back; merge it
    with `actionplan merge`. Each copy says to whom and by when it goes back (--owner,
    --owner-email, --due, kept on the Settings sheet, where they can also be typed).
    """
    from sync.copies import issue_copies
    from sync.owner import Owner, due_option

    given = Owner(
        name=" ".join((owner or "").split()),
        email=(owner_email or "").strip(),
        due=due_option(due) if due is not None else None,
    )
    _refuse_read_only(master)  # before any copy is written
    run = issue_copies(
        master,
        out,
        leads=leads or None,
        new_signing_key=new_key,
        owner=given,
        emails_dir=emails_dir,
    )
    from workbook.wording import count, noun_for

    for f in run.copies:
        click.echo(f"  {f.lead:6} {len(f.refs):3} {noun_for(len(f.refs), 'item'):5}  {f.path}")
    click.echo(f"Issued {count(len(run.copies), 'copy', 'copies')}; recorded in {master}")
    if run.owner.due is not None:
        click.echo(f"Returns due to {run.owner.who()} {run.owner.return_by()}")
    else:
        click.echo("No return-by date: give --due DATE, or type 'Returns due' on Settings")
    if emails_dir is not None:
        for e in run.emails:
            click.echo(f"  {e.lead:6} {e.to or '(no recipient)'}  -> {e.path.name}")
            for problem in e.problems:
                click.echo(f"    {problem}")
        missing = [e.lead for e in run.emails if e.problems]
        ready = len(run.emails) - len(missing)
        line = f"{ready} of {len(run.emails)} emails ready to send in {emails_dir}"
        if missing:
            line += (
                f"; {', '.join(missing)} without a recipient: add their address on the Leads "
                "sheet, or type it in the draft"
            )
        click.echo(line)
    if run.backup:
        click.echo(f"Backup of the master as it was: {run.backup}")
    _next(Step.ISSUED, master=master)


@cli.command("merge")
@master_argument()
@click.argument("returns", nargs=-1, type=click.Path(path_type=Path, exists=True))
@click.option(
    "--returns",
    "returns_dir",
    type=click.Path(path_type=Path, exists=True, file_okay=False),
    help="Merge every file in this folder.",
)
@click.option("--dry-run", is_flag=True, help="Show what would change; write nothing.")
@json_option("the change set")
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
    from sync.inbox import scan_inbox
    from sync.merge.apply import merge_returns
    from sync.returns import display_name

    for path in returns:
        if path.is_dir():
            folder = display_name(str(path).rstrip("/\\") + "/")
            raise CommandError(f"{folder} is a folder; use --returns {folder}")
    files = list(returns)
    if returns_dir is not None:
        inbox = scan_inbox(returns_dir, master=master)
        files.extend(inbox.returns)
        for path in inbox.passed_over:  # on stderr with --json, so the JSON stays whole
            click.echo(PASSED_OVER.format(name=display_name(path.name)), err=as_json)
    if not files:
        where = f" in {returns_dir}" if returns_dir is not None else ""
        raise CommandError(
            f"no returns to merge{where}; give the returned files, or --returns FOLDER"
        )
    run = merge_returns(master, files, dry_run=dry_run, receipts_dir=receipts_dir)
    if run.decisions is not None:  # on stderr with --json, so the JSON stays whole
        _print_decisions(run.decisions, err=as_json)
    if as_json:
        click.echo(json.dumps(run.changes.to_dict(), indent=2, ensure_ascii=False))
    else:
        _print_merge(run)
        _next_after_merge(run)
    sys.exit(run.changes.exit_code)


@cli.command("decide")
@master_argument()
def decide_cmd(master: Path) -> None:
    """Carry out your decisions on the Proposals sheet of MASTER: each proposed time-scale you
    chose Accept for becomes the item's Time-scale (and Due), logged on Changes; Decline keeps
    the time-scale. Each is marked done, so running again changes nothing (merge does this too,
    before its returns). Exit 1 when a decision could not be carried out or read."""
    from sync.decisions import decide_master

    run = decide_master(master)
    _print_decisions(run.decisions, always=True)
    if run.backup:
        click.echo(f"Master: {master} (backup of it before: {run.backup})")
    sys.exit(run.decisions.exit_code)


def _print_decisions(decisions: DecisionSet, *, err: bool = False, always: bool = False) -> None:
    """A line per decision carried out (or not), then the summary - unless `always`, nothing
    when none was made and none waits."""
    from sync.decisions import summary_line

    for line in decisions.lines:
        click.echo(line.text, err=err)
    if always or decisions.lines or decisions.undecided:
        click.echo(summary_line(decisions), err=err)


@cli.command("watch")
@master_argument(exists=True)
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


def _refuse_read_only(master: Path) -> None:
    """Refuse, in one line, a master that is missing or marked read-only before a command that
    writes files besides the master (copies, a board pack) writes any; the one write path checks
    again when it changes the master."""
    from workbook.master.read import check_master_file
    from workbook.xlsx.files import check_writable

    check_master_file(master)
    check_writable(master)


def _print_merge(run: MergeRun) -> None:
    """A line per return, then under it each field the owner must look at (with --dry-run,
    every change too), then the totals."""
    from sync.merge.outcomes import Outcome, ReturnOutcome
    from sync.merge.summary import summarise
    from workbook.wording import count, one_line

    told = summarise(run.changes)
    for r in told.returns:
        click.echo(f"{r.outcome.upper():8} {r.line}")
        if r.outcome is not ReturnOutcome.MERGED:
            continue
        for line in r.result.lines:
            if line.outcome.needs_attention:
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
        f"{verb} {count(told.cells, 'cell')}; {count(told.updates, 'update')}, "
        f"{count(told.conflicts, 'conflict')}, {count(told.proposals, 'proposal')}"
    )
    if run.dry_run:
        click.echo("Dry run: nothing was written")
        return
    if run.backup:
        click.echo(f"Master: {run.master} (backup of it before: {run.backup})")
    if run.receipts:
        click.echo(f"Receipts: {run.receipts[0].parent}")


def _next_after_merge(run: MergeRun) -> None:
    """The last line of `merge`: what the outcome asks of the owner next."""
    from sync.merge.outcomes import ReturnOutcome
    from sync.merge.summary import summarise

    told = summarise(run.changes)
    receipts = next(iter(run.receipt_of.values()), None)
    step = after_merge(
        dry_run=run.dry_run,
        merged=told.count(ReturnOutcome.MERGED),
        attention=run.changes.exit_code != 0,
        proposals=told.proposals,
    )
    _next(step, master=run.master, receipts=receipts.parent if receipts else "the receipts folder")


@cli.command("status")
@master_argument()
@as_of_option("Judge overdue items")
@json_option("the status")
def status_cmd(master: Path, as_of: dt.date | None, as_json: bool) -> None:
    """Show who has been sent a copy, who has sent it back, and whose items are overdue.

    Outstanding leads (their latest copy not yet merged back) come first. Nothing is written.
    """
    from sync.status import read_cycle_status, returns_line, status_table, summary_line

    cycle = read_cycle_status(master, as_of=as_of)
    if as_json:
        click.echo(json.dumps(cycle.to_dict(), indent=2, ensure_ascii=False))
        return
    for line in status_table(cycle.leads):
        click.echo(line)
    if returns := returns_line(cycle.owner, cycle.returns_overdue, cycle.as_of):
        click.echo(returns)
    click.echo(summary_line(cycle.leads, len(cycle.overdue_refs), cycle.as_of))


@cli.command("chase")
@master_argument()
@out_option("Folder for the reminder emails (.eml; created if missing).", folder=True)
@as_of_option("Mark items overdue")
@click.option(
    "--copies",
    "copies_dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Where the issued copies are, if they were moved from where `actionplan issue` wrote "
    "them (default: there, else copies/ beside the master).",
)
@force_option("today's reminders if already written")
def chase_cmd(
    master: Path, out: Path, as_of: dt.date | None, copies_dir: Path | None, force: bool
) -> None:
    """Write a draft reminder email (.eml, copy attached) to each lead whose copy is outstanding.

    Open each in Outlook (it opens as a draft), check it and send it. Exit 0 all ready to send,
    1 some need attention (no email address, copy not found), 2 nothing written.
    """
    from sync.chase import chase, describe

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


_ADDIN_OUT = out_option(
    "Folder for xl_addin.xlam and the Dispatch.bas it needs (created if missing).",
    folder=True,
    default=".",
    show_default="the current folder",
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
    """The command line, as a function: runs one command and raises SystemExit with its code."""
    cli.main(args=argv, prog_name="actionplan")


def run() -> None:
    """The `actionplan` console script: `main`, then out of the process without tearing the
    interpreter down. Freeing every object of a big merge one by one is time the owner waits
    for and nothing needs: the files are written and closed, and the output is flushed here
    (mypy ends the same way). Exceptions other than SystemExit take the normal way out."""
    status: object = 0
    try:
        main()
    except SystemExit as e:
        status = e.code
    if status is not None and not isinstance(status, int):
        print(status, file=sys.stderr)  # as Python itself does for a SystemExit with a message
        status = 1
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe: nowhere to go
            stream.flush()
    os._exit(status or 0)


if __name__ == "__main__":  # pragma: no cover
    main(sys.argv[1:])
