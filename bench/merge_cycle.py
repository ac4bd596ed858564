"""How fast the update cycle runs, against issue 16's targets, all measured in one run.

1. Seed cycle as three commands: `actionplan issue`, `actionplan merge` and `actionplan validate`
   on the embedded seed plan (27 items, 13 leads), each a fresh process (interpreter start and
   imports included); the master is written and the returns filled outside the timings (the
   owner's import and the leads' work). Target: the three together under 1.0 s (median of
   --repeat). For reference, the same cycle in one process per cycle and warm in one process.
2. Merge at scale: a generated plan (default 2,000 items, 50 leads, 1-3 leads per item), copies
   issued to every lead, every copy filled in, the returns merged into a fresh copy of the master:
   a. the whole `actionplan merge MASTER --returns DIR --receipts R` command against a plain
      openpyxl script (bench/naive_merge.py), each a fresh process, median of --repeat, the
      two alternated (ours first, then naive first, ...). Target: ours / naive <= 0.20;
   b. `merge_returns` in-process (a child that has imported the modules first), median of
      --repeat. Target: under 0.5 s. The in-process naive merge is timed too, for the ratio
      the benchmark used to report;
   c. the peak memory of the merge command (the process's own high-water mark, from GNU time's
      %M; os.wait4's ru_maxrss where there is no GNU time). Target: under 200 MB.
3. Scaling table: 100 / 500 / 2,000 / 10,000 items x 13 / 50 / 200 leads (a return from every
   lead with items), the whole merge command's time (median of --repeat) and peak memory, and
   its time per 1,000 item rows returned. Target: among the cells with at least 2,000 item rows
   returned, the largest time per row is at most twice the smallest (the cost grows linearly).

Every setup (write the master, issue, fill in the copies) is made first, two at a time, and
cached in a temporary folder for the run; none is timed but each setup's time is printed.

Usage: python bench/merge_cycle.py [--items 2000] [--leads 50] [--repeat 3] [--quick]
       [--skip-seed] [--skip-scale] [--skip-scale-table] [--profile FILE] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

SEED_TARGET_S = 1.0
COMMAND_RATIO_TARGET = 0.20
IN_PROCESS_TARGET_S = 0.5
PEAK_MB_TARGET = 200.0
LINEAR_TARGET = 2.0  # the largest time per returned row over the smallest, big cells only
LINEAR_MIN_ROWS = 2000  # a cell is big when at least this many item rows are returned
TABLE_ITEMS = (100, 500, 2000, 10000)
TABLE_LEADS = (13, 50, 200)
RANDOM_SEED = 20231
ITEMS_PER_SECTION = 100
HERE = Path(__file__).resolve().parent
NAIVE_SCRIPT = HERE / "naive_merge.py"
GNU_TIME = Path("/usr/bin/time")

# --- Measuring a program: wall time and the process's own peak memory -------------------------


def _has_gnu_time() -> bool:
    if not GNU_TIME.exists():
        return False
    try:
        done = subprocess.run([str(GNU_TIME), "--version"], capture_output=True, text=True)
    except OSError:
        return False
    return "GNU" in done.stdout + done.stderr


HAS_GNU_TIME = _has_gnu_time()


def measure(argv: list[str], *, ok: tuple[int, ...] = (0, 1)) -> dict[str, Any]:
    """Run `argv` as a fresh process and wait for it: its wall time as seen from here
    (interpreter start, imports and exit included), its peak RSS in MB, exit code and output.

    The peak is the process's own: GNU time's %M (its child is forked from `time`, a small
    process). Without GNU time it is os.wait4's ru_maxrss of that pid, which on Linux is at least
    this script's RSS when it started the child (the kernel carries the high-water mark of the
    address space the child replaced at exec), so it can only overstate.
    """
    with tempfile.TemporaryDirectory(prefix="measure-") as tmp:
        rss_file, out_file, err_file = (Path(tmp) / n for n in ("rss", "out", "err"))
        full = [str(GNU_TIME), "-f", "%M", "-o", str(rss_file), *argv] if HAS_GNU_TIME else argv
        with out_file.open("w") as out, err_file.open("w") as err:
            start = time.perf_counter()
            proc = subprocess.Popen(full, stdout=out, stderr=err)
            _, status, usage = os.wait4(proc.pid, 0)
            wall = time.perf_counter() - start
        proc.returncode = code = os.waitstatus_to_exitcode(status)
        stdout, stderr = out_file.read_text(), err_file.read_text()
        if HAS_GNU_TIME:
            peak_kb = float(rss_file.read_text().split()[-1])
        else:  # KiB on Linux, bytes on macOS
            peak_kb = usage.ru_maxrss / (1024 if sys.platform == "darwin" else 1)
    if code not in ok:
        raise RuntimeError(f"{' '.join(argv)} failed ({code}):\n{stderr}{stdout[-2000:]}")
    return {"wall": wall, "peak_mb": peak_kb / 1024, "exit": code, "stdout": stdout}


def actionplan_command() -> str:
    """The installed `actionplan` command, beside this interpreter or on PATH."""
    beside = Path(sys.executable).with_name("actionplan")
    found = str(beside) if beside.exists() else shutil.which("actionplan")
    if not found:
        raise SystemExit("no `actionplan` command: install the package (pip install -e .)")
    return found


def merge_command(master: Path, returns_dir: Path) -> list[str]:
    receipts = master.parent / "receipts"
    command = [actionplan_command(), "merge", str(master), "--returns", str(returns_dir)]
    return [*command, "--receipts", str(receipts)]


def naive_command(master: Path, returns_dir: Path) -> list[str]:
    return [sys.executable, str(NAIVE_SCRIPT), str(master), str(returns_dir)]


def merge_output(stdout: str) -> dict[str, int]:
    """What `actionplan merge` said it did: returns merged, updates added."""
    found = re.search(r"Changed [\d,]+ cells?; ([\d,]+) updates?", stdout)
    return {
        "returns_merged": sum(1 for line in stdout.splitlines() if line.startswith("MERGED")),
        "updates_added": int(found.group(1).replace(",", "")) if found else -1,
    }


def naive_output(stdout: str) -> dict[str, int]:
    """What bench/naive_merge.py said it did ("updates_added 9, status_writes 3, ...")."""
    return {k: int(v) for k, v in re.findall(r"(\w+) (\d+)", stdout)}


# --- Children: one in-process measurement each, in a fresh process ------------------------------
#
# A child gets its arguments as JSON on the command line and prints its result as one JSON line.
# Modules are imported inside the child functions, so the measured imports are the child's own.


def _peak_rss() -> dict[str, float]:
    """This process's peak RSS in MB: `ru_maxrss` from getrusage, and on Linux also VmHWM.

    On Linux a child's ru_maxrss starts from its parent's RSS at fork (the kernel carries the
    forked address space's high-water mark across exec), so a child of a big parent reports at
    least the parent's size; VmHWM belongs to the child's own address space and has no such floor.
    """
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # KiB on Linux, bytes on macOS
    out = {"ru_maxrss_mb": peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024}
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        status = ""
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            out["vmhwm_mb"] = int(line.split()[1]) / 1024
    out["peak_rss_mb"] = out.get("vmhwm_mb", out["ru_maxrss_mb"])
    return out


def child_seed_cycle(args: dict[str, Any]) -> dict[str, Any]:
    """A whole cycle in one fresh process: issue, fill (not timed), merge, validate; each step's
    first imports are paid once, by the step that needs them first."""
    start = time.perf_counter()
    from sync.copies import issue_copies

    folder = Path(args["folder"])
    run = issue_copies(Path(args["master"]), folder / "copies")
    t_issue = time.perf_counter()
    returns = fill_returns(folder / "returns", [(c.lead, c.path, c.refs) for c in run.copies])
    t_filled = time.perf_counter()
    from sync.merge.apply import merge_returns

    merge_returns(Path(args["master"]), returns, receipts_dir=folder / "receipts")
    t_merge = time.perf_counter()
    from validation.run import validate_master

    validate_master(Path(args["master"]))
    t_validate = time.perf_counter()
    return {
        "issue": t_issue - start,
        "merge": t_merge - t_filled,
        "validate": t_validate - t_merge,
    }


def _import_ours() -> None:
    import sync.merge.apply  # noqa: F401  (and through it calamine and lxml)


def _import_naive() -> None:
    import openpyxl  # noqa: F401


def child_baseline_ours(args: dict[str, Any]) -> dict[str, Any]:
    _import_ours()
    return _peak_rss()


def child_baseline_naive(args: dict[str, Any]) -> dict[str, Any]:
    _import_naive()
    return _peak_rss()


def child_scale_ours(args: dict[str, Any]) -> dict[str, Any]:
    _import_ours()
    from sync.merge.apply import merge_returns

    profile = args.get("profile")
    start = time.perf_counter()
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        run = profiler.runcall(
            merge_returns,
            Path(args["master"]),
            [Path(p) for p in args["returns"]],
            receipts_dir=Path(args["receipts"]),
        )
        profiler.dump_stats(profile)
    else:
        run = merge_returns(
            Path(args["master"]),
            [Path(p) for p in args["returns"]],
            receipts_dir=Path(args["receipts"]),
        )
    seconds = time.perf_counter() - start
    return {"seconds": seconds, **_peak_rss(), **_merge_counts(run)}


def _merge_counts(run: Any) -> dict[str, Any]:
    changes = run.changes
    return {
        "returns_merged": sum(1 for r in changes.results if r.outcome == "merged"),
        "returns_rejected": sum(1 for r in changes.results if r.outcome != "merged"),
        "cell_writes": len(changes.writes),
        "status_writes": sum(1 for w in changes.writes if w.field == "status"),
        "updates_added": len(changes.updates_rows),
        "changes_rows": len(changes.changes_rows),
        "conflicts": len(changes.conflicts_rows),
        "proposals": len(changes.proposals_rows),
    }


def child_scale_naive(args: dict[str, Any]) -> dict[str, Any]:
    _import_naive()
    sys.path.insert(0, str(HERE.parent))
    from bench.naive_merge import naive_merge

    start = time.perf_counter()
    returns = [Path(p) for p in args["returns"]]
    counts = naive_merge(Path(args["master"]), returns, Path(args["out"]))
    seconds = time.perf_counter() - start
    return {"seconds": seconds, **_peak_rss(), **counts}


CHILDREN = {
    "seed-cycle": child_seed_cycle,
    "baseline-ours": child_baseline_ours,
    "baseline-naive": child_baseline_naive,
    "scale-ours": child_scale_ours,
    "scale-naive": child_scale_naive,
}


def run_child(mode: str, args: dict[str, Any]) -> dict[str, Any]:
    """Run a child mode of this script in a fresh interpreter; its result, plus the process's
    wall time as the parent saw it (interpreter start included)."""
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, __file__, "--child", mode, json.dumps(args)],
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"child {mode} failed ({done.returncode}):\n{done.stderr}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["process_wall"] = wall
    return result


# --- Seed cycle ----------------------------------------------------------------------------------


def seed_master(folder: Path) -> Path:
    import dataclasses

    from workbook.importers.seed import seed_plan
    from workbook.importers.source import new_plan_id
    from workbook.master.write import write_master

    folder.mkdir(parents=True)
    master = folder / "master.xlsx"
    write_master(dataclasses.replace(seed_plan(), plan_id=new_plan_id()), master)
    return master


def fill_returns(folder: Path, copies: list[tuple[str, Path, tuple[str, ...]]]) -> list[Path]:
    """The leads' work: each copy of the seed master filled with the demo's simulated answers,
    statuses of the seed plan's key."""
    from sync.simulate import fill_copy, simulated_answers
    from workbook.importers.seed import seed_plan

    folder.mkdir(parents=True)
    answers = simulated_answers([(lead, refs) for lead, _, refs in copies], seed_plan().rag_key)
    out = []
    for lead, path, _ in copies:
        target = folder / f"return - {lead}.xlsx"
        fill_copy(path, target, answers[lead])
        out.append(target)
    return out


def issued_copies(folder: Path) -> list[tuple[str, Path, tuple[str, ...]]]:
    """The copies `actionplan issue` wrote in `folder`: (lead, path, refs), as each says."""
    from sync.returns import read_return

    out = []
    for path in sorted(folder.glob("*.xlsx")):
        identity = read_return(path).claimed.identity
        if identity is None:
            raise RuntimeError(f"{path}: an issued copy without an identity")
        out.append((identity.lead, path, tuple(identity.refs)))
    return out


def seed_commands(root: Path, repeat: int) -> list[dict[str, Any]]:
    """The seed cycle as three commands, each a fresh process; filling in the copies between
    `issue` and `merge` is the leads' work and not timed."""
    exe = actionplan_command()
    runs = []
    for n in range(repeat):
        folder = root / f"command-{n}"
        master = seed_master(folder)
        issued = measure([exe, "issue", str(master), "--out", str(folder / "copies")], ok=(0,))
        copies = issued_copies(folder / "copies")
        fill_returns(folder / "returns", copies)
        merged = measure(merge_command(master, folder / "returns"))
        validated = measure([exe, "validate", str(master)])
        steps = {"issue": issued, "merge": merged, "validate": validated}
        runs.append(
            {
                **{k: r["wall"] for k, r in steps.items()},
                "peak_mb": {k: r["peak_mb"] for k, r in steps.items()},
                "exit": {k: r["exit"] for k, r in steps.items()},
                "copies": len(copies),
                "merge_said": merge_output(merged["stdout"]),
            }
        )
    return runs


def seed_cycle_process(root: Path, repeat: int) -> list[dict[str, Any]]:
    runs = []
    for n in range(repeat):
        folder = root / f"cycle-{n}"
        master = seed_master(folder)
        runs.append(run_child("seed-cycle", {"master": str(master), "folder": str(folder)}))
    return runs


def seed_warm(root: Path, repeat: int) -> list[dict[str, Any]]:
    from sync.copies import issue_copies
    from sync.merge.apply import merge_returns
    from validation.run import validate_master

    runs = []
    for n in range(repeat + 1):  # the first cycle warms up and is not counted
        folder = root / f"warm-{n}"
        master = seed_master(folder)
        t0 = time.perf_counter()
        issued = issue_copies(master, folder / "copies")
        t1 = time.perf_counter()
        copies = [(c.lead, c.path, c.refs) for c in issued.copies]
        returns = fill_returns(folder / "returns", copies)
        t2 = time.perf_counter()
        merge_returns(master, returns, receipts_dir=folder / "receipts")
        t3 = time.perf_counter()
        validate_master(master)
        t4 = time.perf_counter()
        if n:
            runs.append({"issue": t1 - t0, "merge": t3 - t2, "validate": t4 - t3})
    return runs


def summarise(runs: list[dict[str, Any]], keys: tuple[str, ...]) -> dict[str, float]:
    out = {k: statistics.median(r[k] for r in runs) for k in keys}
    steps = ("issue", "merge", "validate")
    out["total"] = statistics.median(sum(r[k] for k in steps) for r in runs)
    return out


# --- Scale: a generated plan ---------------------------------------------------------------------

_WORD_LIST = (
    "assurance audit practice managers social workers supervision quality plans children young "
    "people families review timely visits recorded consistently partners multi-agency threshold "
    "decisions strategy meetings escalation oversight learning training workforce caseloads "
    "placement sufficiency care leavers pathway health education outcomes voice participation "
    "advocacy independent reviewing officers permanence stability court proceedings legal "
    "planning early help assessment referral contact front door safeguarding exploitation "
    "missing return interviews performance data dashboard board scrutiny leaders senior "
    "corporate parenting council elected members feedback complaints compliance standards "
    "evidence sample findings actions improvement embedded sustained progress monitoring"
)
_WORDS = _WORD_LIST.split()
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _prose(rng: Any, chars: int) -> str:
    """Plausible plan prose of about `chars` characters, one or more sentences."""
    sentences, length = [], 0
    while length < chars:
        words = [rng.choice(_WORDS) for _ in range(rng.randint(8, 18))]
        sentence = " ".join(words).capitalize() + "."
        sentences.append(sentence)
        length += len(sentence) + 1
    return " ".join(sentences)[: chars + 40]


def _lead_codes(rng: Any, n: int) -> list[str]:
    from workbook.plan.leads import is_initials

    upper = "ABCDEFGHJKLMNPRSTVW"
    codes: list[str] = []
    while len(codes) < n:
        shape = rng.random()
        if shape < 0.6:
            code = rng.choice(upper) + rng.choice(upper)
        elif shape < 0.85:
            code = rng.choice(upper) + rng.choice(upper) + rng.choice(upper)
        else:
            code = rng.choice(upper) + rng.choice("aeiou") + rng.choice(upper)
        if code not in codes and is_initials(code):
            codes.append(code)
    return codes


def generate_plan(items: int, leads: int) -> Any:
    """A plan of `items` items in sections of ~100, each led by 1-3 of `leads` leads, with text of
    realistic sizes; the same plan every run."""
    import datetime as dt
    import random

    from workbook.importers.source import new_plan_id
    from workbook.plan.model import Item, Lead, Plan, Run, UpdateEntry

    rng = random.Random(RANDOM_SEED)
    codes = _lead_codes(rng, leads)
    n_sections = max(1, round(items / ITEMS_PER_SECTION))
    sections = tuple(f"Area {s + 1}: {_prose(rng, 50).rstrip('.')}" for s in range(n_sections))
    statuses = ("GREEN", "AMBER", "RED", "BLUE", "")
    out = []
    for i in range(items):
        s = i * n_sections // items
        finding = _prose(rng, 300)
        if rng.random() < 0.2:  # an italic quotation from the report, as findings have
            cut = finding.index(" ", len(finding) // 2)
            runs: tuple[Run, ...] = (Run(finding[:cut]), Run(finding[cut:], italic=True))
        else:
            runs = (Run(finding),)
        newest = dt.date(2024, 1, 1) + dt.timedelta(days=rng.randint(0, 300))
        updates = []
        for k in range(rng.randint(1, 4)):
            day = newest - dt.timedelta(days=45 * k)
            label = f"Update {day.day} {_MONTHS[day.month - 1]} {day:%y}"
            updates.append(UpdateEntry(label, _prose(rng, 200), day))
        out.append(
            Item(
                ref=f"A{s + 1:02d}-{i + 1:04d}",
                section=sections[s],
                finding=runs,
                actions=tuple(_prose(rng, 120) for _ in range(rng.randint(3, 6))),
                lead=" / ".join(rng.sample(codes, rng.randint(1, 3))),
                timescale=f"{rng.choice(_MONTHS)}-{rng.choice((24, 25, 26))}",
                updates=tuple(updates),
                status=rng.choices(statuses, weights=(40, 25, 10, 10, 15))[0],
            )
        )
    return Plan(
        title="Generated action plan (benchmark)",
        organisation="Benchmark council",
        date_label="January 2024",
        sections=sections,
        items=tuple(out),
        leads=tuple(Lead(c) for c in codes),
        plan_id=new_plan_id(),
    )


def scale_answers(plan: Any, copies: list[tuple[str, tuple[str, ...]]]) -> dict[str, dict]:
    """Every item of every copy answered: a status change on ~60% (co-leads mostly agreeing on
    it), a new update on ~80%, a proposed time-scale on ~5%."""
    import random

    from sync.simulate import Answer
    from workbook.plan.status import RAG_CODES

    rng = random.Random(RANDOM_SEED + 1)
    # the item's new status, as its leads mostly agree on it; one in ten reports another
    moved = {
        it.ref: (it.status, rng.choice([c for c in RAG_CODES if c != it.status]))
        for it in plan.items
    }
    answers: dict[str, dict] = {}
    for lead, refs in copies:
        mine = answers.setdefault(lead, {})
        for ref in refs:
            status = ""
            if rng.random() < 0.6:
                old, new = moved[ref]
                status = new
                if rng.random() < 0.1:
                    status = rng.choice([c for c in RAG_CODES if c not in (old, new)])
            update = _prose(rng, rng.randint(120, 260)) if rng.random() < 0.8 else ""
            proposed = ""
            if rng.random() < 0.05:
                proposed = f"{rng.choice(_MONTHS)}-{rng.choice((25, 26))}"
            mine[ref] = Answer(status, update, proposed)
    return answers


# --- Setups: generated plans, issued and filled in, made before anything is timed ---------------


def make_setup(folder: str, items: int, leads: int) -> dict[str, Any]:
    """Write a generated plan's master, issue a copy to every lead with items and fill in every
    copy (all of its items answered) in `folder`; what was made, and how long each step took.
    Runs in a worker process; nothing here is a measurement."""
    from sync.copies import issue_copies
    from sync.simulate import fill_copy
    from workbook.master.write import write_master

    base = Path(folder)
    base.mkdir(parents=True)
    seconds: dict[str, float] = {}
    t = time.perf_counter()
    plan = generate_plan(items, leads)
    seconds["generate"] = time.perf_counter() - t
    master = base / "master.xlsx"
    t = time.perf_counter()
    write_master(plan, master)
    seconds["write_master"] = time.perf_counter() - t
    t = time.perf_counter()
    issued = issue_copies(master, base / "copies")
    seconds["issue"] = time.perf_counter() - t
    copies = [(c.lead, c.refs) for c in issued.copies]
    answers = scale_answers(plan, copies)
    returns_dir = base / "returns"
    returns_dir.mkdir()
    returns = []
    t = time.perf_counter()
    for c in issued.copies:
        path = returns_dir / f"return - {c.lead}.xlsx"
        fill_copy(c.path, path, answers[c.lead])
        returns.append(str(path))
    seconds["fill"] = time.perf_counter() - t
    return {
        "items": items,
        "leads": len(plan.leads),
        "returns": len(returns),
        "item_rows": sum(len(refs) for _, refs in copies),
        "expected_updates": sum(1 for mine in answers.values() for a in mine.values() if a.update),
        "master": str(master),
        "returns_dir": str(returns_dir),
        "return_paths": returns,
        "master_bytes": master.stat().st_size,
        "returns_bytes": sum(Path(p).stat().st_size for p in returns),
        "setup_seconds": seconds,
    }


def make_setups(root: Path, cells: list[tuple[int, int]]) -> dict[tuple[int, int], dict]:
    """Every cell's setup, made two at a time (the biggest first), before any timing."""
    order = sorted(set(cells), key=lambda c: -c[0] * (c[1] + 20))
    workers = max(1, min(2, os.cpu_count() or 1, len(order)))
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures = {
            cell: pool.submit(make_setup, str(root / f"setup-{cell[0]}x{cell[1]}"), *cell)
            for cell in order
        }
        return {cell: future.result() for cell, future in futures.items()}


def fresh_master(setup: dict[str, Any], folder: Path) -> Path:
    """A fresh copy of the setup's master, alone in `folder` (its receipts and backup go there)."""
    folder.mkdir(parents=True)
    return Path(shutil.copy2(setup["master"], folder / "master.xlsx"))


def run_ours_command(setup: dict[str, Any], folder: Path) -> dict[str, Any]:
    master = fresh_master(setup, folder)
    r = measure(merge_command(master, Path(setup["returns_dir"])))
    r.update(merge_output(r.pop("stdout")))
    shutil.rmtree(folder)
    return r


def run_naive_command(setup: dict[str, Any], folder: Path) -> dict[str, Any]:
    master = fresh_master(setup, folder)
    r = measure(naive_command(master, Path(setup["returns_dir"])), ok=(0,))
    r.update(naive_output(r.pop("stdout")))
    shutil.rmtree(folder)
    return r


def compare(root: Path, setup: dict[str, Any], repeat: int, profile: Path | None) -> dict:
    """Targets 2a-c on one setup: the commands side by side, then the in-process merges; each
    pair alternated (ours first, then naive first, ...) so that both share the machine's noise."""
    command: dict[str, list[dict[str, Any]]] = {"ours": [], "naive": []}
    for n in range(repeat):
        for who in ("ours", "naive") if n % 2 == 0 else ("naive", "ours"):
            run = run_ours_command if who == "ours" else run_naive_command
            command[who].append(run(setup, root / f"command-{who}-{n}"))
    in_process: dict[str, list[dict[str, Any]]] = {"ours": [], "naive": []}
    for n in range(repeat):
        for who in ("ours", "naive") if n % 2 == 0 else ("naive", "ours"):
            master = fresh_master(setup, root / f"in-process-{who}-{n}")
            if who == "ours":
                args = {
                    "master": str(master),
                    "returns": setup["return_paths"],
                    "receipts": str(master.parent / "receipts"),
                    "profile": str(profile) if profile and n == 0 else "",
                }
                in_process[who].append(run_child("scale-ours", args))
            else:
                args = {
                    "master": str(master),
                    "returns": setup["return_paths"],
                    "out": str(master.parent / "saved.xlsx"),
                }
                in_process[who].append(run_child("scale-naive", args))
            shutil.rmtree(master.parent)
    ours_wall = statistics.median(r["wall"] for r in command["ours"])
    naive_wall = statistics.median(r["wall"] for r in command["naive"])
    ours_in = statistics.median(r["seconds"] for r in in_process["ours"])
    naive_in = statistics.median(r["seconds"] for r in in_process["naive"])
    peak = max(r["peak_mb"] for r in command["ours"])
    every_run = [*command["ours"], *in_process["ours"]]
    complete = all(
        r["returns_merged"] == setup["returns"] and r["updates_added"] == setup["expected_updates"]
        for r in every_run
    )
    return {
        "command": command,
        "in_process": in_process,
        "ours_command_s": ours_wall,
        "naive_command_s": naive_wall,
        "command_ratio": ours_wall / naive_wall,
        "ours_in_process_s": ours_in,
        "naive_in_process_s": naive_in,
        "in_process_ratio": ours_in / naive_in,
        "peak_mb": peak,
        "naive_peak_mb": max(r["peak_mb"] for r in command["naive"]),
        "baseline_ours": run_child("baseline-ours", {}),
        "baseline_naive": run_child("baseline-naive", {}),
        "complete": complete,
        "pass": {
            "command_ratio": ours_wall / naive_wall <= COMMAND_RATIO_TARGET,
            "in_process": ours_in < IN_PROCESS_TARGET_S,
            "peak": peak < PEAK_MB_TARGET,
        },
    }


def scale_table(
    root: Path,
    setups: dict[tuple[int, int], dict],
    cells: list[tuple[int, int]],
    repeat: int,
    measured: dict[tuple[int, int], list[dict[str, Any]]],
) -> dict[str, Any]:
    """The merge command on every cell: median wall of `repeat`, the largest peak; runs already
    made on a cell (`measured`) are taken, not repeated."""
    rows = []
    for cell in cells:
        setup = setups[cell]
        runs = list(measured.get(cell, []))[:repeat]
        while len(runs) < repeat:
            runs.append(run_ours_command(setup, root / f"table-{cell[0]}x{cell[1]}-{len(runs)}"))
        wall = statistics.median(r["wall"] for r in runs)
        rows.append(
            {
                "items": setup["items"],
                "leads": setup["leads"],
                "returns": setup["returns"],
                "item_rows": setup["item_rows"],
                "wall": wall,
                "walls": [r["wall"] for r in runs],
                "ms_per_1000_rows": wall / setup["item_rows"] * 1e6,
                "peak_mb": max(r["peak_mb"] for r in runs),
                "complete": all(
                    r["returns_merged"] == setup["returns"]
                    and r["updates_added"] == setup["expected_updates"]
                    for r in runs
                ),
                "setup_seconds": sum(setup["setup_seconds"].values()),
            }
        )
    big = [r["ms_per_1000_rows"] for r in rows if r["item_rows"] >= LINEAR_MIN_ROWS]
    spread = max(big) / min(big) if len(big) >= 2 else None
    return {
        "rows": rows,
        "per_row_spread": spread,
        "pass": spread is not None and spread <= LINEAR_TARGET,
    }


# --- Report --------------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    from importlib.metadata import version

    cpu = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_before": os.getloadavg() if hasattr(os, "getloadavg") else None,
        "peak_from": "GNU time %M" if HAS_GNU_TIME else "os.wait4 ru_maxrss",
        "packages": {
            name: version(name) for name in ("openpyxl", "python-calamine", "lxml", "pandera")
        },
    }


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def _seed_report(seed: dict[str, Any]) -> list[str]:
    cmd, cycle, warm, n = seed["command"], seed["cycle"], seed["warm"], seed["repeat"]
    first = seed["command_runs"][0]
    peaks = {k: max(r["peak_mb"][k] for r in seed["command_runs"]) for k in first["peak_mb"]}
    lines = [
        "",
        f"1. Seed cycle as three commands: {seed['items']} items, {first['copies']} leads "
        f"(median of {n}; master write and the leads' filling not timed)",
        f"   {'step':<10}{'command':>12}{'peak':>9}{'(one process':>16}{'warm)':>10}",
    ]
    for step in ("issue", "merge", "validate", "total"):
        peak = f"{peaks[step]:>6.0f} MB" if step in peaks else " " * 9
        lines.append(
            f"   {step:<10}{cmd[step]:>10.3f} s{peak}{cycle[step]:>14.3f} s{warm[step]:>8.3f} s"
        )
    said = first["merge_said"]
    lines += [
        f"   target: the three commands under {SEED_TARGET_S} s in all "
        f"(interpreter starts included): {cmd['total']:.3f} s  {verdict(seed['pass'])}",
        "   command = `actionplan issue/merge/validate`, each a fresh process, as the owner runs "
        "them;",
        "   one process = a fresh process per cycle (each import paid once); warm = after a "
        "warm-up cycle",
        f"   merge said: {said['returns_merged']} returns merged, {said['updates_added']} "
        f"updates; exit codes merge {first['exit']['merge']}, validate "
        f"{first['exit']['validate']}",
    ]
    return lines


def _scale_report(s: dict[str, Any], repeat: int) -> list[str]:
    setup, c = s["setup"], s["compare"]
    setup_s = ", ".join(f"{k} {v:.1f} s" for k, v in setup["setup_seconds"].items())
    b_ours, b_naive = c["baseline_ours"], c["baseline_naive"]

    def walls(runs: list[dict[str, Any]], key: str) -> str:
        return " ".join(f"{r[key]:.2f}" for r in runs)

    ours_in, naive_in = c["in_process"]["ours"], c["in_process"]["naive"]
    return [
        "",
        f"2. Merge: {setup['items']} items, {setup['leads']} leads, {setup['returns']} returns "
        f"({setup['item_rows']} item rows returned, every one answered)",
        f"   master {setup['master_bytes'] / 1e6:.1f} MB, returns "
        f"{setup['returns_bytes'] / 1e6:.1f} MB in all; setup (not timed): {setup_s}",
        f"   a. whole command vs a plain openpyxl script, fresh processes, median of {repeat} "
        "(alternated):",
        f"      actionplan merge    {c['ours_command_s']:>6.2f} s   peak {c['peak_mb']:>4.0f} MB"
        f"   runs {walls(c['command']['ours'], 'wall')}",
        f"      naive_merge.py      {c['naive_command_s']:>6.2f} s   peak "
        f"{c['naive_peak_mb']:>4.0f} MB   runs {walls(c['command']['naive'], 'wall')}",
        f"      ours / naive {c['command_ratio']:.2f}   target <= {COMMAND_RATIO_TARGET:.2f}: "
        f"{verdict(c['pass']['command_ratio'])}",
        f"   b. merge_returns in-process (imports done), median of {repeat}: "
        f"{c['ours_in_process_s']:.2f} s   target < {IN_PROCESS_TARGET_S} s: "
        f"{verdict(c['pass']['in_process'])}",
        f"      runs {walls(ours_in, 'seconds')}; naive_merge in-process "
        f"{c['naive_in_process_s']:.2f} s (runs {walls(naive_in, 'seconds')});",
        f"      ours / naive in-process {c['in_process_ratio']:.2f} (the old figure: naive "
        f"{1 / c['in_process_ratio']:.1f}x slower)",
        f"      child peak RSS (VmHWM): ours {max(r['peak_rss_mb'] for r in ours_in):.0f} MB "
        f"({b_ours['peak_rss_mb']:.0f} MB imports only), naive "
        f"{max(r['peak_rss_mb'] for r in naive_in):.0f} MB ({b_naive['peak_rss_mb']:.0f} MB)",
        f"   c. peak memory of the merge command (largest of {repeat}): {c['peak_mb']:.0f} MB   "
        f"target < {PEAK_MB_TARGET:.0f} MB: {verdict(c['pass']['peak'])}",
        f"   check: every run of ours merged all {setup['returns']} returns and added the "
        f"{setup['expected_updates']} updates typed: {verdict(c['complete'])}",
    ]


def _table_report(t: dict[str, Any], repeat: int) -> list[str]:
    lines = [
        "",
        f"3. Scaling: the merge command (fresh process), median of {repeat}; every copy filled in",
        f"   {'items':>6}{'leads':>6}{'returns':>8}{'rows':>7}{'wall':>9}{'ms/1000 rows':>14}"
        f"{'peak':>9}{'setup':>9}  check",
    ]
    for r in t["rows"]:
        lines.append(
            f"   {r['items']:>6}{r['leads']:>6}{r['returns']:>8}{r['item_rows']:>7}"
            f"{r['wall']:>7.2f} s{r['ms_per_1000_rows']:>11.0f} ms{r['peak_mb']:>6.0f} MB"
            f"{r['setup_seconds']:>7.0f} s  {verdict(r['complete'])}"
        )
    spread = t["per_row_spread"]
    shown = f"{spread:.2f}" if spread is not None else "n/a (fewer than 2 big cells)"
    lines += [
        f"   linear: time per row, largest / smallest among cells of >= {LINEAR_MIN_ROWS} rows: "
        f"{shown}   target <= {LINEAR_TARGET:.0f}: {verdict(t['pass'])}",
        "   rows = item rows returned (items x leads per item); wall includes the interpreter "
        "start and imports;",
        "   check = every return merged and every update typed added; setup = write, issue, "
        "fill (not timed)",
    ]
    return lines


def report(result: dict[str, Any]) -> str:
    m = result["machine"]
    load = m["load_before"]
    lines = [
        f"machine: {m['cpu']}, {m['cpu_count']} CPUs, Python {m['python']}, {m['platform']}",
        "         " + ", ".join(f"{k} {v}" for k, v in m["packages"].items()),
        f"         load average before: {' '.join(f'{x:.2f}' for x in load) if load else '-'}; "
        f"peak memory from {m['peak_from']}; our bytecode {result.get('bytecode', '-')}",
    ]
    if "setup" in result:
        lines.append(
            f"setups: {len(result['setup']['cells'])} made in {result['setup']['seconds']:.0f} s "
            "(two at a time, not timed)"
        )
    repeat = result["repeat"]
    if "seed" in result:
        lines += _seed_report(result["seed"])
    if "scale" in result:
        lines += _scale_report(result["scale"], repeat)
    if "table" in result:
        lines += _table_report(result["table"], repeat)
    verdicts = result["verdicts"]
    lines += [
        "",
        "targets: " + ", ".join(f"{k} {verdict(v)}" for k, v in verdicts.items()),
        f"script took {result['script_seconds']:.0f} s",
    ]
    return "\n".join(lines)


PACKAGES = ("actionplan", "sync", "workbook", "validation", "xl_addin")


def compile_bytecode() -> str:
    """Compile our packages' bytecode, as an installed package has it (pip compiles what it
    installs; openpyxl's is). A machine with PYTHONDONTWRITEBYTECODE set - this one - would
    otherwise compile every module of ours in every command timed, and only ours."""
    import compileall

    root = Path(__file__).resolve().parent.parent
    ok = all(compileall.compile_dir(root / name, quiet=1) for name in PACKAGES)
    return "compiled first (as installed)" if ok else "could not be compiled"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=2000, help="items in the generated plan")
    parser.add_argument("--leads", type=int, default=50, help="leads in the generated plan")
    parser.add_argument("--repeat", type=int, default=3, help="repetitions of each timing")
    parser.add_argument("--quick", action="store_true", help="no 10,000-item row in the table")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--skip-seed", action="store_true", help="no seed cycle")
    parser.add_argument("--skip-scale", action="store_true", help="no merge at --items/--leads")
    parser.add_argument("--skip-scale-table", action="store_true", help="no scaling table")
    parser.add_argument("--profile", type=Path, help="cProfile our first in-process merge here")
    parser.add_argument("--child", nargs=2, metavar=("MODE", "ARGS"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        mode, payload = args.child
        print(json.dumps(CHILDREN[mode](json.loads(payload))))
        return 0

    started = time.perf_counter()
    compiled = compile_bytecode()
    result: dict[str, Any] = {"machine": machine(), "repeat": args.repeat, "bytecode": compiled}
    verdicts: dict[str, bool] = {}
    main_cell = (args.items, args.leads)
    table_cells = [
        (items, leads)
        for items in TABLE_ITEMS
        if not (args.quick and items > 2000)
        for leads in TABLE_LEADS
    ]
    cells = [main_cell] if not args.skip_scale else []
    cells += table_cells if not args.skip_scale_table else []
    with tempfile.TemporaryDirectory(prefix="merge_cycle-") as tmp:
        root = Path(tmp)
        setups: dict[tuple[int, int], dict] = {}
        if cells:
            t = time.perf_counter()
            setups = make_setups(root, cells)
            result["setup"] = {"cells": sorted(setups), "seconds": time.perf_counter() - t}
        if not args.skip_seed:
            from workbook.importers.seed import seed_plan

            command_runs = seed_commands(root, args.repeat)
            cycle_runs = seed_cycle_process(root, args.repeat)
            warm_runs = seed_warm(root, args.repeat)
            keys = ("issue", "merge", "validate")
            seed = {
                "items": len(seed_plan().items),
                "repeat": args.repeat,
                "command": summarise(command_runs, keys),
                "cycle": summarise(cycle_runs, keys),
                "warm": summarise(warm_runs, keys),
                "command_runs": command_runs,
                "cycle_runs": cycle_runs,
                "warm_runs": warm_runs,
                "target_total_s": SEED_TARGET_S,
            }
            seed["pass"] = seed["command"]["total"] < SEED_TARGET_S
            result["seed"] = seed
            verdicts["1 seed commands"] = seed["pass"]
        measured: dict[tuple[int, int], list[dict[str, Any]]] = {}
        if not args.skip_scale:
            setup = setups[main_cell]
            c = compare(root, setup, args.repeat, args.profile)
            result["scale"] = {"setup": setup, "compare": c}
            measured[main_cell] = c["command"]["ours"]
            verdicts["2a command ratio"] = c["pass"]["command_ratio"]
            verdicts["2b in-process"] = c["pass"]["in_process"]
            verdicts["2c peak memory"] = c["pass"]["peak"]
            verdicts["2 complete"] = c["complete"]
        if not args.skip_scale_table:
            table = scale_table(root, setups, table_cells, args.repeat, measured)
            result["table"] = table
            verdicts["3 linear"] = table["pass"]
            verdicts["3 complete"] = all(r["complete"] for r in table["rows"])
    result["verdicts"] = verdicts
    result["script_seconds"] = time.perf_counter() - started
    print(json.dumps(result, indent=2, default=str) if args.json else report(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
