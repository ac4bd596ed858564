"""Copies say when and to whom, and go out as draft emails (issue 15, points 2 and 3).

Real files throughout: a seed master written with its Leads sheet filled in, copies issued with
`actionplan issue --due --owner --owner-email --emails`, read back with python-calamine; the
.eml drafts parsed with Python's email parser and, as a second reader, by Debian's own Python
with the compat32 parser in a process of its own."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import shutil
import subprocess
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from actionplan.cli import cli
from sync.drafts import XLSX_TYPE
from sync.merge.apply import merge_returns
from sync.owner import parse_day
from sync.simulate import fill_copy
from tests.cycle import sheets
from workbook.master.write import write_master
from workbook.plan.model import Plan

ISSUED = dt.datetime(2023, 5, 15, 9, 0)
DUE = dt.date(2023, 6, 30)
OWNER, OWNER_EMAIL = "Jo Bloggs", "jo.bloggs@example.org"
NO_EMAIL = "VK"
SYSTEM_PYTHON = "/usr/bin/python3"


def _with_register(seed: Plan) -> Plan:
    leads = tuple(
        dataclasses.replace(lead, email="" if lead.code == NO_EMAIL else f"{lead.code}@ex.org")
        for lead in seed.leads
    )
    return dataclasses.replace(seed, leads=leads, plan_id="plan-test0001")


@pytest.fixture
def master(tmp_path: Path, seed: Plan, fixed_clock) -> Path:
    fixed_clock(ISSUED)
    path = tmp_path / "master.xlsx"
    write_master(_with_register(seed), path)
    return path


def _issue(master: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        cli, ["issue", str(master), "--out", str(master.parent / "copies"), *args]
    )
    return result.exit_code, result.output


def _settings(master: Path) -> dict[str, list[object]]:
    """Each setting's values, blank ones left out (a row whose value was cleared)."""
    out: dict[str, list[object]] = {}
    for row in sheets(master)["Settings"][1:]:
        if row and row[0] and row[1] not in ("", None):
            out.setdefault(str(row[0]), []).append(row[1])
    return out


def _texts(path: Path) -> str:
    return "\n".join(
        str(c) for rows in sheets(path).values() for row in rows for c in row if c not in ("", None)
    )


def _eml(path: Path) -> EmailMessage:
    with path.open("rb") as fh:
        msg = BytesParser(policy=policy.default).parse(fh)
    assert isinstance(msg, EmailMessage)
    return msg


# --- Point 2: copies say when and to whom -----------------------------------------------------


def test_issue_keeps_owner_and_due_on_settings_and_every_copy_names_them(master: Path) -> None:
    code, out = _issue(master, "--due", "30/6/2023", "--owner", OWNER, "--owner-email", OWNER_EMAIL)
    assert code == 0, out
    assert f"Returns due to {OWNER} ({OWNER_EMAIL}) by 30 June 2023" in out
    settings = _settings(master)
    assert settings["Owner"] == [OWNER]
    assert settings["Owner email"] == [OWNER_EMAIL]
    (due,) = settings["Returns due"]
    assert due in (DUE, dt.datetime.combine(DUE, dt.time()))  # a date cell
    copies = sorted((master.parent / "copies").glob("*.xlsx"))
    assert len(copies) > 5
    for copy in copies:
        text = _texts(copy)
        assert f"send it back to {OWNER} ({OWNER_EMAIL}) by 30 June 2023" in text, copy.name
        assert "return by 30 June 2023" in text


def test_a_due_date_in_the_past_or_not_a_date_is_refused_and_nothing_written(
    master: Path,
) -> None:
    before = hashlib.sha256(master.read_bytes()).hexdigest()
    for due, says in (
        ("2023-05-14", "--due 14 May 2023 is in the past (today is 15 May 2023)"),
        ("31/2/2023", "--due '31/2/2023' is not a date"),
    ):
        code, out = _issue(master, "--due", due)
        assert code == 2, out
        assert out.count("\n") == 1 and says in out
    code, out = _issue(master, "--owner-email", "jo at example")
    assert code == 2 and "--owner-email 'jo at example' is not one email address" in out
    assert hashlib.sha256(master.read_bytes()).hexdigest() == before
    assert not (master.parent / "copies").exists()


@pytest.mark.parametrize("typed", [dt.datetime(2023, 7, 3), "3/7/2023", "2023-07-03"])
def test_owner_and_due_typed_on_settings_are_used(master: Path, typed: object) -> None:
    """The owner types them on Settings: an Excel date (Excel keeps a datetime), or text in UK
    or ISO form."""
    wb = load_workbook(master)
    ws = wb["Settings"]
    for row in ws.iter_rows(min_row=2):
        if row[0].value == "Owner":
            row[1].value = OWNER
        elif row[0].value == "Returns due":
            row[1].value = typed
    wb.save(master)
    code, out = _issue(master)
    assert code == 0, out
    copy = next((master.parent / "copies").glob("*.xlsx"))
    assert f"send it back to {OWNER} by 3 July 2023" in _texts(copy)


def test_a_settings_due_date_left_in_the_past_is_refused(master: Path, fixed_clock) -> None:
    assert _issue(master, "--due", "2023-05-31")[0] == 0
    fixed_clock(dt.datetime(2023, 6, 20, 9, 0))
    code, out = _issue(master)
    assert code == 2
    assert "Settings 'Returns due' 31 May 2023 is in the past" in out and "--due" in out
    # a new date replaces it in place: Settings keeps one
    assert _issue(master, "--due", "2023-07-31", "--owner", "A N Other")[0] == 0
    assert _issue(master, "--owner", "Sam Smith")[0] == 0
    settings = _settings(master)
    assert settings["Owner"] == ["Sam Smith"]
    assert len(settings["Returns due"]) == 1


def test_status_and_chase_say_whose_returns_are_overdue(master: Path, fixed_clock) -> None:
    runner = CliRunner()
    code, out = _issue(
        master, "--due", "2023-06-30", "--owner", OWNER, "--owner-email", OWNER_EMAIL
    )
    assert code == 0, out
    copies = {p.name.split(" - ")[1]: p for p in (master.parent / "copies").glob("*.xlsx")}
    returned = master.parent / "returns" / "LJ.xlsx"
    returned.parent.mkdir()
    fill_copy(copies["LJ"], returned, {})
    assert merge_returns(master, [returned], when=dt.datetime(2023, 6, 1)).changes.exit_code == 0

    before = json.loads(
        runner.invoke(cli, ["status", str(master), "--as-of", "2023-06-30", "--json"]).output
    )
    assert before["returns_due"] == "2023-06-30" and before["owner_email"] == OWNER_EMAIL
    assert before["summary"]["returns_overdue"] == 0

    late = json.loads(
        runner.invoke(cli, ["status", str(master), "--as-of", "2023-07-03", "--json"]).output
    )
    overdue = [s["lead"] for s in late["leads"] if s["return_overdue"]]
    outstanding = [s["lead"] for s in late["leads"] if s["state"] == "outstanding"]
    assert overdue == outstanding and "LJ" not in overdue and len(overdue) > 3
    assert late["summary"]["returns_overdue"] == len(overdue)
    text = runner.invoke(cli, ["status", str(master), "--as-of", "2023-07-03"]).output
    assert (
        f"Returns due to {OWNER} ({OWNER_EMAIL}) by 30 June 2023: {len(overdue)} returns overdue "
        f"({', '.join(overdue)})"
    ) in text

    fixed_clock(dt.datetime(2023, 7, 3, 9, 0))
    result = runner.invoke(
        cli, ["chase", str(master), "--out", str(master.parent / "chase"), "--as-of", "2023-07-03"]
    )
    assert result.exit_code == 1, result.output  # VK has no address
    gt = _eml(master.parent / "chase" / "Chase - GT - 2023-07-03.eml")
    assert str(gt["From"]) == str(gt["Reply-To"]) == f"{OWNER} <{OWNER_EMAIL}>"
    body = gt.get_body(("plain",))
    assert body is not None
    assert f"It was due back to {OWNER} ({OWNER_EMAIL}) on 30 June 2023." in body.get_content()


def test_parse_day_reads_iso_and_uk_dates_only() -> None:
    assert parse_day("2023-08-01") == parse_day("1/8/2023") == parse_day(" 01/08/2023 ")
    assert parse_day("1/8/2023") == dt.date(2023, 8, 1)
    for bad in ("8/1/23", "31/2/2023", "1 Aug 2023", "", "2023-13-01"):
        assert parse_day(bad) is None


# --- Point 3: copies go out as emails ---------------------------------------------------------

_SECOND_READER = r"""
import json, sys, hashlib
from email import policy
from email.parser import BytesParser
out = []
for name in sys.argv[1:]:
    with open(name, "rb") as fh:
        msg = BytesParser(policy=policy.compat32).parse(fh)
    parts = [p for p in msg.walk() if not p.is_multipart()]
    body = [p for p in parts if p.get_content_type() == "text/plain"][0]
    files = [p for p in parts if p.get_filename()]
    out.append({
        "to": msg["To"], "from": msg["From"], "reply_to": msg["Reply-To"],
        "subject": str(msg["Subject"]), "unsent": msg["X-Unsent"],
        "body": body.get_payload(decode=True).decode(body.get_content_charset() or "ascii"),
        "files": [(f.get_filename(), f.get_content_type(),
                   hashlib.sha256(f.get_payload(decode=True)).hexdigest()) for f in files],
    })
print(json.dumps(out))
"""


@pytest.mark.skipif(not shutil.which(SYSTEM_PYTHON), reason=f"{SYSTEM_PYTHON} is the 2nd reader")
def test_issue_emails_are_drafts_with_each_copy_attached(master: Path, seed: Plan) -> None:
    emails = master.parent / "emails"
    code, out = _issue(
        master,
        "--due",
        "2023-06-30",
        "--owner",
        OWNER,
        "--owner-email",
        OWNER_EMAIL,
        "--emails",
        str(emails),
    )
    assert code == 0, out
    assert f"{NO_EMAIL} without a recipient" in out
    plan = _with_register(seed)
    copies = {p.name.split(" - ")[1]: p for p in (master.parent / "copies").glob("*.xlsx")}
    drafts = sorted(emails.glob("*.eml"))
    assert len(drafts) == len(copies)
    done = subprocess.run(
        [SYSTEM_PYTHON, "-I", "-c", _SECOND_READER, *map(str, drafts)],
        capture_output=True,
        check=True,
        text=True,
    )
    second = dict(zip(drafts, json.loads(done.stdout), strict=True))
    for path in drafts:
        lead = path.name.split(" - ")[1]
        copy = copies[lead]
        msg = _eml(path)
        assert msg["X-Unsent"] == "1"
        assert str(msg["From"]) == str(msg["Reply-To"]) == f"{OWNER} <{OWNER_EMAIL}>"
        registered = plan.register.lead(lead)
        assert registered is not None
        if lead == NO_EMAIL:
            assert msg["To"] is None and f"  {lead:6} (no recipient)" in out
        else:
            assert msg["To"].addresses[0].addr_spec == registered.email
        assert plan.title in str(msg["Subject"]) and "30 June 2023" in str(msg["Subject"])
        part = msg.get_body(("plain",))
        assert part is not None
        body = part.get_content()
        assert f"Please send it back to {OWNER} ({OWNER_EMAIL}) by 30 June 2023." in body
        refs = [it.ref for it in plan.items if lead in plan.codes_of(it)]
        for ref in refs:
            assert f"  {ref}  " in body
        (attachment,) = msg.iter_attachments()
        assert attachment.get_filename() == copy.name
        assert attachment.get_content_type() == "/".join(XLSX_TYPE)
        assert attachment.get_content() == copy.read_bytes()

        other = second[path]
        assert other["unsent"] == "1" and OWNER_EMAIL in other["from"] == other["reply_to"]
        assert (other["to"] or "") == ("" if lead == NO_EMAIL else str(msg["To"]))
        assert other["body"].replace("\r\n", "\n") == body
        assert other["files"] == [
            [copy.name, "/".join(XLSX_TYPE), hashlib.sha256(copy.read_bytes()).hexdigest()]
        ]
