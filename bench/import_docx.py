"""How long importing a Word plan of 2,000 items takes (target: the whole command under 3 s).

A plan is generated the way the seed plan's items look (sections; a finding of a short heading,
often with an italic narrative paragraph; one to a dozen numbered actions; leads by initials;
time-scales; dated updates; statuses), written as a .docx by the tests' `write_plan_docx` (the
trust's layout: title block, RAG key table, one plan table with a merged row per section and a
restarting Word list per item), and checked to import back as exactly the plan written. Then:

- command: `actionplan import plan.docx -o master.xlsx` in a fresh process, interpreter start
  included, best of --repeat; the target applies to this;
- in-process: `import_plan` (reading the .docx into a Plan) and `write_master` (the master the
  command writes) with every module already imported, best of --repeat each;
- scaling: the command and `import_plan` at 500 / 1,000 / 2,000 / 4,000 items.

Usage: python bench/import_docx.py [--items 2000] [--repeat 3] [--skip-scale] [--json]
       [--profile FILE]  (a pyinstrument text profile of one in-process import_plan)
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the tests' .docx writer

from docx_builder import write_plan_docx  # noqa: E402

from workbook.importers.document import section_prefixes  # noqa: E402
from workbook.plan.model import Item, Lead, Plan, Run, UpdateEntry, normalise_runs  # noqa: E402
from workbook.plan.status import RAG_CODES  # noqa: E402
from workbook.plan.updates import entry_date  # noqa: E402

TARGET_S = 3.0
ITEMS = 2000
SCALE = (500, 1000, 2000, 4000)
ITEMS_PER_SECTION = 25
RANDOM_SEED = 20261204

# --- A plan shaped like the seed plan -----------------------------------------------------------
#
# The seed (27 items, 5 sections): findings 20-1,263 characters (median ~170), a plain heading
# line and in 60% of items an italic narrative paragraph; 1-12 actions (median 3) of ~130
# characters; leads as "GT / LH / JoR"; time-scales "Mar-24" or words; 0-1 updates of ~260
# characters. Here 0-3 updates (on ~60% of items): a plan in use gathers them.

_WORD_LIST = (
    "assurance audit practice managers social workers supervision quality plans children young "
    "people families review timely visits recorded consistently partners multi-agency threshold "
    "decisions strategy meetings escalation oversight learning training workforce caseloads "
    "placement sufficiency care leavers pathway health education outcomes voice participation "
    "advocacy independent reviewing officers permanence stability court proceedings legal "
    "planning early help assessment referral contact front door safeguarding exploitation "
    "missing return interviews performance data dashboard board scrutiny leaders senior "
    "corporate parenting council elected members feedback complaints compliance standards "
    "evidence sample findings actions improvement embedded sustained progress monitoring "
    "domestic abuse perpetrator programmes commissioning triage protection plans core groups"
)
_WORDS = _WORD_LIST.split()
_AREAS = (
    "What needs to improve",
    "Early Help and Protection",
    "Care experienced young people",
    "Impact of leaders",
    "Additional improvement areas identified through the process of inspection",
    "Children in need of help and protection",
    "Children missing from home and care",
    "Quality of practice and supervision",
)
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_LEAD_LIST = "GT LH JoR LJ DM AxB MW RB VK LYH DoP AM SC KB HW PJ TN RaS EF CD JM NB OK PL ST WH"
_LEADS = _LEAD_LIST.split()
_ROLES = ("Chair Corporate Parenting Board", "Head of Service", "Principal Social Worker")


def _prose(rng: Any, chars: int) -> str:
    """Plan prose of about `chars` characters, in sentences of 6-20 words."""
    sentences: list[str] = []
    words: list[str] = []
    length, sentence_words = 0, rng.randint(6, 20)
    while length < chars:
        words.append(rng.choice(_WORDS))
        length += len(words[-1]) + 1
        if len(words) == sentence_words or length >= chars:
            sentences.append(" ".join(words).capitalize() + ".")
            words, sentence_words = [], rng.randint(6, 20)
    return " ".join(sentences)


def _chars(rng: Any, median: float, spread: float, low: int, high: int) -> int:
    return max(low, min(high, int(rng.lognormvariate(math.log(median), spread))))


def _finding(rng: Any) -> tuple[Run, ...]:
    if rng.random() < 0.6:  # a heading, then the report's own words in italic
        head = _prose(rng, _chars(rng, 40, 0.6, 15, 180))
        runs = [Run(head), Run("\n"), Run(_prose(rng, _chars(rng, 300, 0.6, 100, 1100)), True)]
        if rng.random() < 0.1:  # and a plain paragraph after them
            runs += [Run("\n"), Run(_prose(rng, _chars(rng, 130, 0.4, 40, 300)))]
        return normalise_runs(runs)
    return (Run(_prose(rng, _chars(rng, 70, 0.6, 20, 170))),)


def _update(rng: Any, newest: int) -> UpdateEntry:
    month = newest % 12
    year = 23 + newest // 12
    word = rng.choice(("Update", "Update", "Up-date"))
    day = rng.choice(("mid ", "mid-", "early ", "", f"{rng.randint(1, 28)} "))
    label = f"{word} {day}{_MONTHS[month]} {year}"
    return UpdateEntry(label, _prose(rng, _chars(rng, 240, 0.4, 100, 520)), entry_date(label))


def generate_plan(items: int) -> Plan:
    """A plan of `items` items in sections of about 25, the same plan every run."""
    import random

    rng = random.Random(RANDOM_SEED)
    n_sections = max(1, round(items / ITEMS_PER_SECTION))
    sections = tuple(
        f"{_AREAS[s % len(_AREAS)]} ({s // len(_AREAS) + 1})" for s in range(n_sections)
    )
    prefixes = section_prefixes(sections)
    out: list[Item] = []
    for s, section in enumerate(sections):
        for n in range(1, (s + 1) * items // n_sections - s * items // n_sections + 1):
            n_actions = rng.choices(range(1, 13), weights=(6, 6, 5, 3, 2, 1, 1, 1, 1, 1, 1, 1))[0]
            if rng.random() < 0.05:
                lead = rng.choice(_ROLES)
            else:
                lead = rng.choice((" / ", " ", "/")).join(rng.sample(_LEADS, rng.randint(1, 4)))
            if rng.random() < 0.85:
                timescale = f"{rng.choice(_MONTHS)}-{rng.randint(23, 26)}"
            else:
                timescale = rng.choice(("", "First audit April 2023", "Quarterly from Jun-24"))
            newest = rng.randint(3, 40)
            n_updates = rng.choices(range(4), weights=(5, 4, 2, 1))[0]
            out.append(
                Item(
                    ref=f"{prefixes[section]}-{n:02d}",
                    section=section,
                    finding=_finding(rng),
                    actions=tuple(
                        _prose(rng, _chars(rng, 125, 0.45, 10, 300)) for _ in range(n_actions)
                    ),
                    lead=lead,
                    timescale=timescale,
                    updates=tuple(_update(rng, newest - 2 * k) for k in range(n_updates)),
                    status=rng.choices(("", *RAG_CODES), weights=(3, *(2,) * len(RAG_CODES)))[0],
                )
            )
    return Plan(
        title="OFSTED ACTION PLAN",
        organisation="BENCHMARK CHILDREN'S TRUST",
        date_label="December 2026",
        sections=sections,
        items=tuple(out),
        leads=tuple(Lead(c) for c in _LEADS),
    )


def plan_shape(plan: Plan) -> dict[str, Any]:
    """What the generated plan holds, to compare with the seed's items."""
    import statistics

    finding = [len(it.finding_text) for it in plan.items]
    action = [len(a) for it in plan.items for a in it.actions]
    return {
        "items": len(plan.items),
        "sections": len(plan.sections),
        "finding_chars_median": statistics.median(finding),
        "finding_chars_max": max(finding),
        "italic_share": sum(any(r.italic for r in it.finding) for it in plan.items)
        / len(plan.items),
        "actions_median": statistics.median(len(it.actions) for it in plan.items),
        "action_chars_median": statistics.median(action),
        "updates": sum(len(it.updates) for it in plan.items),
    }


def write_docx(items: int, folder: Path) -> tuple[Path, Plan, float]:
    """The generated plan written as .docx; the plan and the seconds writing took."""
    plan = generate_plan(items)
    path = folder / f"plan-{items}.docx"
    start = time.perf_counter()
    write_plan_docx(plan, path)
    return path, plan, time.perf_counter() - start


def check_round_trip(path: Path, plan: Plan) -> None:
    """The .docx imports back as exactly the plan written: the benchmark times a real import."""
    from workbook.importers.source import import_plan

    got = import_plan(path)
    if got.sections != plan.sections or got.items != plan.items:
        wrong = next(
            (a.ref for a, b in zip(got.items, plan.items, strict=False) if a != b), "count"
        )
        raise SystemExit(f"{path.name} does not import as the plan written (first: {wrong})")


# --- Timing -------------------------------------------------------------------------------------


def best_of(repeat: int, run: Callable[[], object]) -> tuple[float, list[float]]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times), times


def actionplan_command() -> list[str]:
    """The installed `actionplan` beside this interpreter, else the module run by it."""
    script = Path(sys.executable).parent / "actionplan"
    if script.exists():
        return [str(script)]
    found = shutil.which("actionplan")
    return [found] if found else [sys.executable, "-m", "actionplan.cli"]


def time_command(docx: Path, folder: Path, repeat: int) -> tuple[float, list[float]]:
    """`actionplan import plan.docx -o master.xlsx`, a fresh process and a new master each run."""
    runs = iter(range(repeat))

    def run() -> None:
        out = folder / f"master-{docx.stem}-{next(runs)}.xlsx"
        done = subprocess.run(
            [*actionplan_command(), "import", str(docx), "-o", str(out)],
            capture_output=True,
            text=True,
        )
        if done.returncode != 0 or not out.exists():
            raise SystemExit(f"actionplan import failed ({done.returncode}):\n{done.stderr}")

    return best_of(repeat, run)


def time_in_process(docx: Path, folder: Path, repeat: int) -> dict[str, Any]:
    from workbook.importers.source import import_plan
    from workbook.master.write import write_master

    plan = import_plan(docx)  # and every module it needs, imported before the timing
    outs = iter(range(repeat))
    imported, import_runs = best_of(repeat, lambda: import_plan(docx))
    written, write_runs = best_of(
        repeat, lambda: write_master(plan, folder / f"inproc-{docx.stem}-{next(outs)}.xlsx")
    )
    return {
        "import_plan": imported,
        "import_plan_runs": import_runs,
        "write_master": written,
        "write_master_runs": write_runs,
    }


def bare_start(repeat: int) -> float:
    return best_of(repeat, lambda: subprocess.run([sys.executable, "-c", "pass"], check=True))[0]


def profile_import(docx: Path, out: Path) -> None:
    from pyinstrument import Profiler

    from workbook.importers.source import import_plan

    import_plan(docx)
    profiler = Profiler(interval=0.0005)
    profiler.start()
    import_plan(docx)
    profiler.stop()
    out.write_text(profiler.output_text(unicode=False, color=False, show_all=False))


# --- Report -------------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    from importlib.metadata import version

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "packages": {name: version(name) for name in ("python-docx", "lxml", "openpyxl")},
    }


def load() -> str:
    try:
        return "load average " + " / ".join(f"{x:.2f}" for x in os.getloadavg()) + " (1/5/15 min)"
    except OSError:
        return "load average unknown"


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def report(result: dict[str, Any]) -> str:
    m, main = result["machine"], result["main"]
    shape = main["shape"]
    command = main["command"]
    lines = [
        f"machine: {m['cpu']}, {m['cores']} cores, Python {m['python']}, {m['platform']}",
        "         " + ", ".join(f"{k} {v}" for k, v in m["packages"].items()),
        f"         {result['load_before']} before, {result['load_after']} after",
        "",
        f"plan: {shape['items']} items in {shape['sections']} sections; findings median "
        f"{shape['finding_chars_median']:.0f} chars (max {shape['finding_chars_max']}), "
        f"{shape['italic_share']:.0%} with italic narrative; actions median "
        f"{shape['actions_median']:.0f} of {shape['action_chars_median']:.0f} chars; "
        f"{shape['updates']} updates",
        f"      {main['docx_bytes'] / 1e6:.1f} MB .docx (written in {main['write_docx']:.1f} s, "
        "not timed); imports back as the plan written: yes",
        "",
        f"actionplan import plan.docx -o master.xlsx (fresh process, best of {result['repeat']}):"
        f" {command:.2f} s   target < {TARGET_S:.1f} s: {verdict(command < TARGET_S)}",
        "   runs: " + ", ".join(f"{t:.2f}" for t in main["command_runs"]) + " s",
        f"in-process, modules imported (best of {result['repeat']}): import_plan "
        f"{main['import_plan']:.2f} s, write_master {main['write_master']:.2f} s",
        f"bare interpreter start: {result['bare_start']:.3f} s",
    ]
    if result.get("scale"):
        lines += ["", f"scaling (best of {result['repeat']}):"]
        lines.append(f"   {'items':>6}{'command':>11}{'import_plan':>14}{'per 1,000 items':>19}")
        for row in result["scale"]:
            lines.append(
                f"   {row['items']:>6,}{row['command']:>9.2f} s{row['import_plan']:>12.2f} s"
                f"{row['import_plan'] / row['items'] * 1000:>17.2f} s"
            )
        first, last = result["scale"][0], result["scale"][-1]
        growth = (last["import_plan"] / last["items"]) / (first["import_plan"] / first["items"])
        lines.append(
            f"   import_plan per item at {last['items']:,} / at {first['items']:,}: {growth:.2f}"
            " (1.00 = linear)"
        )
    lines += ["", f"script took {result['script_seconds']:.0f} s"]
    return "\n".join(lines)


def measure(items: int, folder: Path, repeat: int) -> dict[str, Any]:
    docx, plan, wrote = write_docx(items, folder)
    check_round_trip(docx, plan)
    command, command_runs = time_command(docx, folder, repeat)
    return {
        "items": items,
        "shape": plan_shape(plan),
        "docx_bytes": docx.stat().st_size,
        "write_docx": wrote,
        "command": command,
        "command_runs": command_runs,
        **time_in_process(docx, folder, repeat),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=ITEMS, help="items in the generated plan")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each timing (best taken)")
    parser.add_argument("--skip-scale", action="store_true", help="no scaling line")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--profile", type=Path, help="write a pyinstrument profile of import_plan")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    result: dict[str, Any] = {"machine": machine(), "repeat": args.repeat, "load_before": load()}
    with tempfile.TemporaryDirectory(prefix="import_docx-") as tmp:
        folder = Path(tmp)
        result["bare_start"] = bare_start(args.repeat)
        result["main"] = measure(args.items, folder, args.repeat)
        if args.profile:
            profile_import(folder / f"plan-{args.items}.docx", args.profile)
        if not args.skip_scale:
            scale = []
            for n in SCALE:
                row = result["main"] if n == args.items else measure(n, folder, args.repeat)
                scale.append({k: row[k] for k in ("items", "command", "import_plan")})
            result["scale"] = scale
    result["load_after"] = load()
    result["script_seconds"] = time.perf_counter() - started
    result["target_s"] = TARGET_S
    result["pass"] = result["main"]["command"] < TARGET_S
    print(json.dumps(result, indent=2, default=str) if args.json else report(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
