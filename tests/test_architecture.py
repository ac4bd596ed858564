"""The shape of the code, checked: no module imports another that imports it back (imports inside
functions count), only the add-in imports xlwings, and the command line starts without the heavy
libraries."""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("actionplan", "workbook", "sync", "validation", "xl_addin")


def _modules() -> dict[str, Path]:
    out = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            out[name] = path
    return out


MODULES = _modules()


def _imports(path: Path) -> Iterator[tuple[str, int, bool]]:
    """(module imported, line, inside a function) for every import in the file; `from a import b`
    counts as importing a.b when that is a module, else a."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    in_function: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for inner in ast.walk(node):
                if isinstance(inner, ast.Import | ast.ImportFrom):
                    in_function.add(id(inner))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno, id(node) in in_function
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "__future__":
                continue
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                yield (
                    (full if full in MODULES else node.module),
                    node.lineno,
                    id(node) in in_function,
                )


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {name: set() for name in MODULES}
    for name, path in MODULES.items():
        for target, _, _ in _imports(path):
            if target in MODULES and target != name:
                graph[name].add(target)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    sys.setrecursionlimit(10_000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_no_module_imports_one_that_imports_it_back():
    assert _cycles(_graph()) == []


def test_a_package_is_not_imported_by_what_it_serves():
    """The layers of DESIGN.md: the core (workbook, validation) knows nothing of the cycle's
    shells, and nothing but the command line imports the command line."""
    graph = _graph()
    for name, targets in graph.items():
        top = name.split(".")[0]
        for target in targets:
            other = target.split(".")[0]
            if top == "workbook":
                assert other == "workbook", f"{name} imports {target}"
            if top == "validation":
                assert other in ("validation", "workbook"), f"{name} imports {target}"
            if top in ("sync", "validation", "workbook"):
                assert other not in ("actionplan", "xl_addin"), f"{name} imports {target}"


def test_only_the_add_in_imports_xlwings():
    for name, path in MODULES.items():
        for target, line, _ in _imports(path):
            if target.split(".")[0] == "xlwings":
                assert name.startswith("xl_addin"), f"{path}:{line} imports xlwings"


def test_heavy_libraries_are_imported_only_where_used():
    """pandas, pandera and xlwings cost seconds to import: only inside the functions that use
    them, or at the top of the modules only those functions load."""
    heavy = {"pandas", "pandera", "xlwings"}
    loaded_lazily = {"validation.frame", "validation.schema"}
    for name, path in MODULES.items():
        for target, line, inside in _imports(path):
            if target.split(".")[0] in heavy and not inside:
                assert name in loaded_lazily, f"{path}:{line} imports {target} at the top"


def test_the_command_line_starts_without_heavy_libraries():
    code = (
        "import sys; sys.argv = ['actionplan', '--help']\n"
        "from actionplan.cli import cli\n"
        "try:\n    cli.main(prog_name='actionplan')\nexcept SystemExit:\n    pass\n"
        "heavy = {'pandas', 'pandera', 'xlwings', 'openpyxl', 'lxml', 'python_calamine'}\n"
        "print(sorted(heavy & {m.split('.')[0] for m in sys.modules}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_a_merge_does_not_load_a_spreadsheet_writer_or_dataframes(tmp_path: Path):
    """A merge reads returns with python-calamine and patches the master's XML: a whole `merge`
    command loads neither openpyxl (0.14 s with numpy) nor pandas."""
    from tests.cycle import start_cycle
    from workbook.importers.seed import seed_plan

    cycle = start_cycle(tmp_path, seed_plan())
    lead = sorted(cycle.copies)[0]
    from sync.simulate import Answer

    ret = cycle.fill(lead, {cycle.copies[lead].refs[0]: Answer("AMBER", "On track.")})
    code = (
        "import sys\n"
        "from actionplan.cli import main\n"
        f"try:\n    main(['merge', {str(cycle.master)!r}, {str(ret)!r}])\n"
        "except SystemExit:\n    pass\n"
        "heavy = {'pandas', 'pandera', 'numpy', 'openpyxl'}\n"
        "print(sorted(heavy & {m.split('.')[0] for m in sys.modules}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "merged" in out.stdout.lower(), out.stdout + out.stderr
    assert out.stdout.strip().splitlines()[-1] == "[]", out.stdout


def test_a_validate_command_does_not_load_dataframes_or_a_spreadsheet_writer(tmp_path: Path):
    """A one-shot `validate` runs the rules' predicates on plain records: the whole command
    loads neither pandas nor pandera (0.35 s of imports), numpy nor openpyxl; `--pandera` runs
    the same rules through the schema, and does load them."""
    from workbook.importers.seed import seed_plan
    from workbook.master.write import write_master

    master = tmp_path / "master.xlsx"
    write_master(seed_plan(), master)

    def loaded(*options: str) -> tuple[str, list[str]]:
        code = (
            "import sys\n"
            "from actionplan.cli import main\n"
            f"try:\n    main(['validate', {str(master)!r}, *{options!r}])\n"
            "except SystemExit:\n    pass\n"
            "heavy = {'pandas', 'pandera', 'numpy', 'openpyxl'}\n"
            "print(sorted(heavy & {m.split('.')[0] for m in sys.modules}))\n"
        )
        run = [sys.executable, "-c", code]
        out = subprocess.run(run, capture_output=True, text=True, check=True).stdout
        return out, ast.literal_eval(out.strip().splitlines()[-1])

    out, heavy = loaded("--as-of", "2023-08-01")
    assert "warnings" in out, out
    assert heavy == [], out
    out_pandera, heavy = loaded("--as-of", "2023-08-01", "--pandera")
    assert {"pandas", "pandera"} <= set(heavy), out_pandera
    assert out_pandera.splitlines()[:-1] == out.splitlines()[:-1]


def test_the_cycle_finder_finds_a_cycle_through_a_function_level_import(tmp_path: Path):
    """The check above would see a cycle hidden in a function, as the old master_read ->
    master_write -> rag_format -> master_edit -> master_read was."""
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(graph) == [["a", "b", "c"]]
    module = tmp_path / "m.py"
    module.write_text("import os\n\ndef f():\n    from workbook.master import read\n")
    assert list(_imports(module)) == [("os", 1, False), ("workbook.master.read", 4, True)]


#: Third-party libraries that cost time to import, and the standard library's per-platform ones.
HEAVY = {"pandas", "pandera", "xlwings", "openpyxl", "lxml", "python_calamine", "docx", "watchdog"}
PLATFORM = {"fcntl", "msvcrt"}


def _heavy_at_top(path: Path) -> bool:
    """Whether importing the module loads a heavy library at once."""
    return any(target.split(".")[0] in HEAVY for target, _, inside in _imports(path) if not inside)


def test_imports_inside_functions_only_defer_a_heavy_library():
    """The command line defers the whole library so that --help is instant, and the add-in's
    dispatcher defers xlwings; anywhere else an import inside a function must be of a heavy
    library, of a module that loads one at once, or of a platform's own module."""
    for name, path in MODULES.items():
        if name.startswith("actionplan") or name == "xl_addin":
            continue
        for target, line, inside in _imports(path):
            if not inside:
                continue
            top = target.split(".")[0]
            deferred = top in HEAVY | PLATFORM or (
                target in MODULES and _heavy_at_top(MODULES[target])
            )
            assert deferred, f"{path}:{line} imports {target} inside a function"
