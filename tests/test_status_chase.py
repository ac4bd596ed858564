"""`actionplan status` and `actionplan chase`: who has answered, and draft reminders to those who
have not. Real files: a seed master, copies issued, returns filled in and merged, the .eml files
parsed back with the standard library's email parser."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import shutil
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from actionplan.cli import cli
from sync.copies import issue_copies
from sync.drafts import XLSX_TYPE, recipients
from sync.ledger import IssuedCopy, Ledger, MergedReturn
from sync.merge.apply import merge_returns
from sync.simulate import Answer
from sync.status import lead_statuses
from tests.cycle import MERGED, Cycle, start_cycle
from workbook.plan.model import Lead, Plan
from workbook.plan.overdue import overdue_items

REISSUED = dt.datetime(2023, 6, 15, 9, 0)
AS_OF = "2023-08-01"
NAMES = {"GT": "Gill Taylor"}
NO_EMAIL = "VK"
NOT_ISSUED = "LYH"
RETURNED = ["LJ", "MW"]
#: GT returned their first copy, then was sent a fresh one: outstanding again.
OUTSTANDING = ["GT", "LH", "JoR", "DM", "AxB", "RB", "VK", "AM", "CCPB", "DoP"]
#: Due before 1 Aug 2023 and not BLUE (EHP-10 and AIA-08 are returned BLUE).
OVERDUE = ["WNI-02", "WNI-03", "EHP-03", "EHP-05", "EHP-06", "EHP-09", "CEY-02", "IL-02"]
OVERDUE += ["AIA-01", "AIA-02", "AIA-03", "AIA-04", "AIA-06"]
GT_OPEN = ["WNI-01", "WNI-02", "WNI-03", "WNI-04", "EHP-04", "AIA-03"]
GT_OVERDUE = ["WNI-02", "WNI-03", "AIA-03"]


def _with_register(seed: Plan, *, missing_email: tuple[str, ...] = (NO_EMAIL,)) -> Plan:
    """The seed plan with names and email addresses on its Leads sheet, as an owner fills it."""
    leads = tuple(
        Lead(
            lead.code,
            NAMES.get(lead.code, lead.name),
            "" if lead.code in missing_email else f"{lead.code.lower()}@example.org",
        )
        for lead in seed.leads
    )
    return dataclasses.replace(seed, leads=leads)


@dataclasses.dataclass
class Scene:
    cycle: Cycle
    gt_copy: Path  # GT's second copy, the one outstanding


@pytest.fixture(scope="module")
def scene(tmp_path_factory: pytest.TempPathFactory, seed: Plan) -> Scene:
    """Copies to every lead but LYH; LJ, MW and GT return theirs; GT is then sent a new copy."""
    plan = _with_register(seed)
    leads = [lead.code for lead in plan.leads if lead.code != NOT_ISSUED]
    c = start_cycle(tmp_path_factory.mktemp("status"), plan, leads=leads)
    returns = [
        c.fill("LJ", {"EHP-10": Answer("BLUE", "Audit done.")}),
        c.fill("MW", {}),  # sent back untouched: still an answer
        c.fill("GT", {"AIA-08": Answer("BLUE", "Signed off.")}),
    ]
    assert merge_returns(c.master, returns, when=MERGED).changes.exit_code == 0
    again = issue_copies(c.master, c.folder / "copies", leads=["GT"], when=REISSUED)
    return Scene(c, again.copies[0].path)


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


#: The product's clock during these tests: reminders are named by the day they are written.
CHASED = dt.datetime(2023, 6, 9, 9, 30)


@pytest.fixture(autouse=True)
def _chased_on_a_fixed_day(fixed_clock) -> None:
    fixed_clock(CHASED)


def _eml(path: Path) -> EmailMessage:
    with path.open("rb") as fh:
        msg = BytesParser(policy=policy.default).parse(fh)
    assert isinstance(msg, EmailMessage)
    return msg


def _body(msg: EmailMessage) -> str:
    part = msg.get_body(("plain",))
    assert part is not None
    return part.get_content()


def _chase_name(lead: str) -> str:
    return f"Chase - {lead} - {CHASED:%Y-%m-%d}.eml"


def _set_email(master: Path, lead: str, email: str) -> None:
    """Type an address on the Leads sheet, as the owner would in Excel."""
    wb = load_workbook(master)
    ws = wb["Leads"]
    row = next(r for r in ws.iter_rows(min_row=2) if r[0].value == lead)
    row[2].value = email
    wb.save(master)


# --- status ------------------------------------------------------------------------------------


def test_status_json_says_who_is_outstanding_returned_and_not_issued(scene, runner):
    master = scene.cycle.master
    before = hashlib.sha256(master.read_bytes()).hexdigest()
    result = runner.invoke(cli, ["status", str(master), "--as-of", AS_OF, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["as_of"] == AS_OF
    states = {s["lead"]: s["state"] for s in data["leads"]}
    assert [s["lead"] for s in data["leads"]] == [*OUTSTANDING, *RETURNED, NOT_ISSUED]
    assert {lead for lead, s in states.items() if s == "outstanding"} == set(OUTSTANDING)
    assert {lead for lead, s in states.items() if s == "returned"} == set(RETURNED)
    assert states[NOT_ISSUED] == "not issued"
    assert data["summary"] == {
        "leads": 13,
        "outstanding": 10,
        "returned": 2,
        "not_issued": 1,
        "overdue_items": len(OVERDUE),
        "returns_overdue": 0,  # the master names no return-by date
    }
    assert data["returns_due"] is None
    by_lead = {s["lead"]: s for s in data["leads"]}
    gt = by_lead["GT"]
    # GT answered the first copy, but that does not answer the one sent on 15 June
    assert gt["issued"] == REISSUED.isoformat()
    assert gt["returned"] is None and gt["outstanding"] is True
    assert gt["last_returned"] == MERGED.isoformat()
    assert (gt["items"], gt["open_items"]) == (7, 6)
    assert [o["ref"] for o in gt["overdue"]] == GT_OVERDUE
    assert gt["overdue"][0] == {"ref": "WNI-02", "due": "2023-07-31", "status": ""}
    assert gt["name"] == "Gill Taylor" and gt["email"] == "gt@example.org"
    lj = by_lead["LJ"]
    assert lj["returned"] == lj["last_returned"] == MERGED.isoformat()
    assert [o["ref"] for o in lj["overdue"]] == ["WNI-02", "AIA-03", "AIA-06"]  # not EHP-10: BLUE
    lyh = by_lead[NOT_ISSUED]
    assert lyh["issued"] is None and lyh["issue_id"] == "" and lyh["outstanding"] is False
    assert hashlib.sha256(master.read_bytes()).hexdigest() == before  # read only


def test_status_table_matches_the_json_and_ends_with_the_summary(scene, runner):
    master = str(scene.cycle.master)
    text = runner.invoke(cli, ["status", master, "--as-of", AS_OF])
    data = json.loads(runner.invoke(cli, ["status", master, "--as-of", AS_OF, "--json"]).output)
    assert text.exit_code == 0, text.output
    lines = text.output.splitlines()
    assert lines[0].split() == ["LEAD", "NAME", "ISSUED", "RETURNED", "STATE", "OPEN", "OVERDUE"]
    assert lines[-1] == (
        f"13 leads: 10 outstanding, 2 returned, 1 not issued; {len(OVERDUE)} items overdue "
        "as of 1 August 2023"
    )
    rows = lines[1:-1]
    assert [r.split()[0] for r in rows] == [s["lead"] for s in data["leads"]]
    for row, lead in zip(rows, data["leads"], strict=True):
        assert lead["state"] in row
        count = len(lead["overdue"])
        refs = ", ".join(o["ref"] for o in lead["overdue"])
        assert row.endswith(f"{count}: {refs}" if count else "0")
    gt = rows[0]
    assert "Gill Taylor" in gt and "15 Jun 2023" in gt and "(earlier copy 31 May 2023)" in gt
    assert "31 May 2023" in next(r for r in rows if r.startswith("LJ "))


def test_overdue_is_judged_at_the_as_of_date(scene, runner):
    master = str(scene.cycle.master)
    early = json.loads(
        runner.invoke(cli, ["status", master, "--as-of", "2023-05-01", "--json"]).output
    )
    assert early["summary"]["overdue_items"] == 2  # EHP-03, AIA-06 (April); EHP-10 is BLUE
    assert {o["ref"] for s in early["leads"] for o in s["overdue"]} == {"EHP-03", "AIA-06"}
    bad = runner.invoke(cli, ["status", master, "--as-of", "1/8/23"])
    assert bad.exit_code == 2 and "--as-of '1/8/23' is not a date" in bad.output


def test_lead_statuses_pure_edge_cases(seed: Plan):
    """Copies with no readable time rank below dated ones; a return recorded without a time still
    answers its copy; leads only the ledger knows are listed after the register's."""
    t = dt.datetime(2023, 5, 15, 9, 0)
    copies = {
        "a": IssuedCopy("a", "GT", None, "a.xlsx"),
        "b": IssuedCopy("b", "GT", t, "b.xlsx"),
        "c": IssuedCopy("c", "LH", t, "c.xlsx"),
        "d": IssuedCopy("d", "XX", t, "d.xlsx"),  # no longer on the plan
    }
    merged = {
        "1": MergedReturn(None, "c back.xlsx", "1", "c", "LH"),
        "2": MergedReturn(t, "a back.xlsx", "2", "a", "GT"),
    }
    status = {
        s.lead: s
        for s in lead_statuses(seed, Ledger(None, copies, {}, merged), dt.date(2023, 8, 1))
    }
    assert status["GT"].issue_id == "b" and status["GT"].outstanding
    assert status["GT"].last_returned == t and status["GT"].returned is None
    assert status["LH"].state == "returned" and status["LH"].returned is None
    assert status["XX"].state == "outstanding" and status["XX"].items == 0
    assert list(status)[:3] == ["GT", "XX", "LH"]  # outstanding first, register order, then others
    overdue = overdue_items(seed, dt.date(2023, 5, 1))
    assert tuple(it.ref for it in overdue) == ("EHP-03", "EHP-10", "AIA-06")


# --- chase -------------------------------------------------------------------------------------


def test_chase_writes_a_draft_per_outstanding_lead_with_their_copy(scene, runner, tmp_path):
    out = tmp_path / "chase"
    master = scene.cycle.master
    result = runner.invoke(cli, ["chase", str(master), "--out", str(out), "--as-of", AS_OF])
    assert result.exit_code == 1, result.output  # VK has no address
    assert sorted(p.name for p in out.iterdir()) == sorted(_chase_name(x) for x in OUTSTANDING)
    assert (
        f"no email address for {NO_EMAIL}: add it on the Leads sheet; written without a recipient"
        in result.output
    )
    assert "10 reminders written: 9 ready to send, 1 needs attention" in result.output

    msg = _eml(out / _chase_name("GT"))
    assert msg["To"] == "Gill Taylor <gt@example.org>"
    assert msg["Subject"] == "Action plan update due: your items (GT) - OFSTED ACTION PLAN"
    assert msg["X-Unsent"] == "1"
    assert msg["From"] is None
    body = _body(msg)
    assert body.startswith("Dear Gill Taylor,")
    assert "15 June 2023" in body  # the copy outstanding, not the first one
    for ref in GT_OPEN:
        line = next(ln for ln in body.splitlines() if ln.strip().startswith(ref + " "))
        assert ("OVERDUE" in line) == (ref in GT_OVERDUE), line
    assert "AIA-08" not in body  # complete
    assert "Proposed time-scale" in body and "New update" in body and ".xlsx" in body
    assert "The effectiveness of the response to domestic abuse" in body  # WNI-01's headline
    (attachment,) = list(msg.iter_attachments())
    assert attachment.get_content_type() == "/".join(XLSX_TYPE)
    assert attachment.get_filename() == scene.gt_copy.name
    assert attachment.get_content() == scene.gt_copy.read_bytes()

    vk = _eml(out / _chase_name(NO_EMAIL))
    assert vk["To"] is None and vk["X-Unsent"] == "1"
    assert _body(vk).startswith("Dear VK,")
    assert len(list(vk.iter_attachments())) == 1
    ccpb = _eml(out / _chase_name("CCPB"))
    assert ccpb["To"] == "Chair Corporate Parenting Board <ccpb@example.org>"
    assert not (out / _chase_name(NOT_ISSUED)).exists()
    assert "note: LYH has items but was never sent a copy" in result.output


def test_chase_refuses_to_overwrite_without_force_and_exits_0_once_all_addressed(
    scene, runner, tmp_path
):
    folder = tmp_path / "cycle"
    shutil.copytree(scene.cycle.folder, folder)
    master, out = folder / "master.xlsx", tmp_path / "chase"
    args = ["chase", str(master), "--out", str(out), "--as-of", AS_OF]
    assert runner.invoke(cli, args).exit_code == 1
    written = (out / _chase_name("GT")).read_bytes()

    again = runner.invoke(cli, args)
    assert again.exit_code == 2
    assert "already exists (and 9 more)" in again.output and "--force" in again.output
    assert (out / _chase_name("GT")).read_bytes() == written

    _set_email(master, NO_EMAIL, "Val Kaur <val.kaur@example.org>")
    fixed = runner.invoke(cli, [*args, "--force"])
    assert fixed.exit_code == 0, fixed.output
    assert "10 reminders written: 10 ready to send" in fixed.output
    assert _eml(out / _chase_name(NO_EMAIL))["To"] == "Val Kaur <val.kaur@example.org>"


def test_chase_finds_moved_copies_and_reports_missing_ones(seed, runner, tmp_path):
    c = start_cycle(tmp_path / "a", _with_register(seed, missing_email=()), leads=["GT", "LJ"])
    gt_bytes = c.copies["GT"].path.read_bytes()
    moved = tmp_path / "sent"
    shutil.move(c.folder / "copies", moved)
    out = tmp_path / "chase"
    args = ["chase", str(c.master), "--out", str(out), "--as-of", AS_OF]

    missing = runner.invoke(cli, args)
    assert missing.exit_code == 1
    assert f"copy for GT not found: {c.copies['GT'].path.name}" in missing.output
    assert "written without the attachment" in missing.output
    msg = _eml(out / _chase_name("GT"))
    assert list(msg.iter_attachments()) == [] and msg["To"] == "Gill Taylor <gt@example.org>"

    found = runner.invoke(cli, [*args, "--copies", str(moved), "--force"])
    assert found.exit_code == 0, found.output
    (att,) = list(_eml(out / _chase_name("GT")).iter_attachments())
    assert att.get_content() == gt_bytes

    # a file of the right name that is another copy is not attached in its place
    decoy = tmp_path / "decoy"
    decoy.mkdir()
    shutil.copy(moved / c.copies["LJ"].path.name, decoy / c.copies["GT"].path.name)
    wrong = runner.invoke(cli, [*args, "--copies", str(decoy), "--force"])
    assert wrong.exit_code == 1
    assert "is not the copy issued as" in wrong.output
    assert list(_eml(out / _chase_name("GT")).iter_attachments()) == []

    # moved with the master: found in copies/ beside it, though the ledger names the old folder
    shutil.move(moved, c.folder / "copies")
    shutil.move(c.folder, tmp_path / "b")
    beside = runner.invoke(cli, ["chase", str(tmp_path / "b" / "master.xlsx"), "--out",
                                 str(tmp_path / "chase2"), "--as-of", AS_OF])  # fmt: skip
    assert beside.exit_code == 0, beside.output


def test_chase_with_nothing_outstanding_writes_nothing(seed, runner, tmp_path):
    c = start_cycle(tmp_path / "c", _with_register(seed), leads=["LJ"])
    merge_returns(c.master, [c.fill("LJ", {})], when=MERGED)
    out = tmp_path / "chase"
    result = runner.invoke(cli, ["chase", str(c.master), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Nothing outstanding" in result.output
    assert not out.exists()


def test_chase_errors_exit_2(runner, tmp_path):
    result = runner.invoke(cli, ["chase", str(tmp_path / "nope.xlsx"), "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert result.output.startswith("Error: ")


@pytest.mark.parametrize(
    ("name", "cell", "expected"),
    [
        ("Gill Taylor", "gt@example.org", ["Gill Taylor <gt@example.org>"]),
        ("", "gt@example.org", ["gt@example.org"]),
        ("Gill", "G T <gt@example.org>", ["G T <gt@example.org>"]),
        ("Team", "a@example.org; b@example.org", ["a@example.org", "b@example.org"]),
    ],
)
def test_recipients_from_the_leads_sheet(name, cell, expected):
    addresses, problem = recipients(name, cell)
    assert [str(a) for a in addresses] == expected and problem == ""


def test_a_wrong_address_is_reported_not_used():
    addresses, problem = recipients("Gill", "gill at example")
    assert addresses == () and "is not an email address" in problem
