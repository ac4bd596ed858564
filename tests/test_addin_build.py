"""The desktop add-in as `actionplan addin build` makes it, checked without Excel: the package is
xlwings' template with our ribbon; every button reaches a Python handler through Dispatch.bas."""

from __future__ import annotations

import ast
import re
import sys
import zipfile
from pathlib import Path, PurePosixPath

import pytest
from click.testing import CliRunner
from lxml import etree

from actionplan.cli import cli
from workbook.errors import ActionPlanError
from xl_addin.build import (
    ADDIN_FILE,
    CUSTOM_UI,
    DISPATCH_BAS,
    DISPATCH_FILE,
    DISPATCH_MODULE,
    VBA_PART,
    build_addin,
    has_dispatcher,
    import_vba_module,
    install_addin,
    template_path,
    vba_modules,
)

RIBBON_NS = "http://schemas.microsoft.com/office/2009/07/customui"
#: The relationship type Excel 2010 and later read a 2009/07 ribbon through (MS-OI29500 3.4.1.4).
RIBBON_REL = "http://schemas.microsoft.com/office/2007/relationships/ui/extensibility"
RELS_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
TYPES_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
TAGS = ["validate", "apply_rag", "issue_copies", "merge_returns", "decide_proposals", "board_pack"]
LABELS = [
    "Validate",
    "Apply RAG",
    "Issue copies",
    "Merge returns",
    "Decide proposals",
    "Board pack",
]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_addin(tmp_path_factory.mktemp("addin"))


def _ribbon_part(package: zipfile.ZipFile) -> str:
    rels = etree.fromstring(package.read("_rels/.rels"))
    targets = [
        r.get("Target")
        for r in rels.iter(f"{{{RELS_NS}}}Relationship")
        if r.get("Type") == RIBBON_REL
    ]
    assert len(targets) == 1, targets
    return str(PurePosixPath("/", targets[0])).lstrip("/")


def _content_type(package: zipfile.ZipFile, part: str) -> str | None:
    types = etree.fromstring(package.read("[Content_Types].xml"))
    for o in types.iter(f"{{{TYPES_NS}}}Override"):
        if o.get("PartName", "").lstrip("/") == part:
            return o.get("ContentType")
    ext = part.rsplit(".", 1)[-1].lower()
    for d in types.iter(f"{{{TYPES_NS}}}Default"):
        if d.get("Extension", "").lower() == ext:
            return d.get("ContentType")
    return None


def _buttons(built: Path) -> list[etree._Element]:
    with zipfile.ZipFile(built) as package:
        root = etree.fromstring(package.read(_ribbon_part(package)))
    return root.findall(f".//{{{RIBBON_NS}}}button")


def _vba_subs(text: str) -> dict[str, list[str]]:
    """Each Sub in a VBA module and the statements in its body (comments left out)."""
    subs: dict[str, list[str]] = {}
    body: list[str] | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("'"):  # a comment line (a quote inside a statement is part of it)
            continue
        if m := re.match(r"(?:Public\s+|Private\s+)?Sub\s+(\w+)\s*\(", line, re.IGNORECASE):
            body = subs.setdefault(m.group(1), [])
        elif re.fullmatch(r"End\s+Sub", line, re.IGNORECASE):
            body = None
        elif body is not None and line:
            body.append(line)
    return subs


def _python_for(statement: str, tag: str) -> str:
    """The Python a `RunPython "..." & control.Tag & "..."` statement runs for a button's tag."""
    m = re.fullmatch(r'RunPython\s+"(.*)"\s*&\s*control\.Tag\s*&\s*"(.*)"', statement)
    assert m, statement
    return (m.group(1) + tag + m.group(2)).replace('""', '"')


def test_the_addin_is_a_valid_zip_named_for_its_python_package(built: Path) -> None:
    assert built.name == ADDIN_FILE == "xl_addin.xlam"
    assert zipfile.is_zipfile(built)
    with zipfile.ZipFile(built) as package:
        assert package.testzip() is None


def test_the_ribbon_part_is_well_formed_referenced_and_typed(built: Path) -> None:
    with zipfile.ZipFile(built) as package:
        part = _ribbon_part(package)
        root = etree.fromstring(package.read(part))
        assert root.tag == f"{{{RIBBON_NS}}}customUI"
        # the template relies on the Default for .xml rather than an Override; Excel wants that type
        assert _content_type(package, part) == "application/xml"
        assert package.read(part) == CUSTOM_UI.read_bytes()


def test_one_action_plan_tab_with_its_buttons(built: Path) -> None:
    with zipfile.ZipFile(built) as package:
        root = etree.fromstring(package.read(_ribbon_part(package)))
    tabs = root.findall(f".//{{{RIBBON_NS}}}tab")
    assert [t.get("label") for t in tabs] == ["Action Plan"]
    buttons = _buttons(built)
    assert [b.get("tag") for b in buttons] == TAGS
    assert [b.get("label") for b in buttons] == LABELS
    assert len({b.get("id") for b in buttons}) == len(TAGS)
    for b in buttons:
        assert b.get("size") == "large"
        assert b.get("imageMso") and b.get("screentip") and b.get("supertip"), b.get("tag")
        assert len(b.get("supertip")) <= 1024  # Excel rejects the whole ribbon beyond that


def test_every_tag_names_a_handler(built: Path) -> None:
    import xl_addin

    handlers = getattr(xl_addin, "HANDLERS", None)
    if handlers is None:
        pytest.skip("xl_addin.HANDLERS is not written yet (xl_addin/handlers.py is in progress)")
    for tag in (b.get("tag") for b in _buttons(built)):
        assert tag in handlers, tag
        assert callable(handlers[tag])


def test_every_button_calls_a_sub_in_dispatch_bas(built: Path) -> None:
    text = DISPATCH_BAS.read_text(encoding="ascii")  # VBA reads .bas files in the ANSI code page
    module = re.match(r'Attribute VB_Name = "(\w+)"', text)
    assert module and module.group(1) == DISPATCH_MODULE
    subs = _vba_subs(text)
    # a module named like its macro would make onAction="Dispatch" ambiguous to Excel
    assert DISPATCH_MODULE not in subs
    for b in _buttons(built):
        action = b.get("onAction")
        assert action in subs or action in {f"{DISPATCH_MODULE}.{s}" for s in subs}, action


def test_the_macro_only_runs_python_that_dispatches_the_tag() -> None:
    subs = _vba_subs(DISPATCH_BAS.read_text(encoding="ascii"))
    assert list(subs) == ["Dispatch"]
    [statement] = subs["Dispatch"]
    assert statement.startswith("RunPython ")
    for tag in TAGS:
        tree = ast.parse(_python_for(statement, tag))
        imported, call = tree.body
        assert isinstance(imported, ast.Import)
        assert [a.name for a in imported.names] == ["xl_addin"]
        assert isinstance(call, ast.Expr) and isinstance(call.value, ast.Call)
        func = call.value.func
        assert isinstance(func, ast.Attribute) and func.attr == "dispatch"
        assert isinstance(func.value, ast.Name) and func.value.id == "xl_addin"
        assert [ast.literal_eval(a) for a in call.value.args] == [tag]


def test_the_dispatch_function_exists() -> None:
    import xl_addin

    if not hasattr(xl_addin, "dispatch"):
        pytest.skip("xl_addin.dispatch is not written yet (xl_addin/handlers.py is in progress)")
    assert callable(xl_addin.dispatch)


def test_the_template_is_carried_over_byte_for_byte(built: Path) -> None:
    with zipfile.ZipFile(template_path()) as template, zipfile.ZipFile(built) as package:
        part = _ribbon_part(template)
        assert _ribbon_part(package) == part
        assert package.namelist() == template.namelist()
        assert package.read(VBA_PART) == template.read(VBA_PART)
        for name in template.namelist():
            if name != part:
                assert package.read(name) == template.read(name), name


def test_the_vba_project_is_the_templates_until_dispatch_is_imported(built: Path) -> None:
    modules = vba_modules(built)
    assert modules == vba_modules(template_path())
    assert "xlwings" in modules  # RunPython's module
    assert "RibbonMyAddin" in modules  # the template's own Run button
    assert "Dictionary" in modules  # a class module (xlwings' Scripting.Dictionary for Macs)
    assert not has_dispatcher(built)


def test_an_imported_dispatch_module_is_seen(built: Path, tmp_path: Path) -> None:
    """What `install` checks before copying: stand in for Excel's import by renaming a module in
    the PROJECT stream in place (same length, so the compound file stays valid)."""
    with zipfile.ZipFile(built) as package:
        members = [(i, package.read(i)) for i in package.infolist()]
    listed, imported = b"Document=Sheet2/&H00000000", b"Module=ActionPlanRibbon\r\nX"
    assert len(listed) == len(imported)
    patched = tmp_path / ADDIN_FILE
    with zipfile.ZipFile(patched, "w") as out:
        for info, data in members:
            if info.filename == VBA_PART:
                assert data.count(listed) == 1
                data = data.replace(listed, imported)
            out.writestr(info.filename, data)
    assert DISPATCH_MODULE in vba_modules(patched)
    assert has_dispatcher(patched)


def test_an_unreadable_vba_project_is_one_line(tmp_path: Path) -> None:
    broken = tmp_path / ADDIN_FILE
    with zipfile.ZipFile(broken, "w") as out:
        out.writestr(VBA_PART, b"not a compound file")
    with pytest.raises(ActionPlanError, match="cannot read the VBA project"):
        has_dispatcher(broken)


def test_dispatch_bas_is_written_beside_the_addin_ready_to_import(built: Path) -> None:
    bas = built.with_name(DISPATCH_FILE).read_bytes()
    assert bas.decode("ascii").replace("\r\n", "\n") == DISPATCH_BAS.read_text(encoding="ascii")
    assert b"\n" not in bas.replace(b"\r\n", b"")  # CRLF throughout, or VBA keeps the Attribute


def test_build_replaces_a_previous_build(tmp_path: Path) -> None:
    first = build_addin(tmp_path)
    first.write_bytes(b"old")
    assert build_addin(tmp_path) == first
    assert zipfile.is_zipfile(first)
    assert sorted(p.name for p in tmp_path.iterdir()) == [DISPATCH_FILE, ADDIN_FILE]


@pytest.mark.skipif(sys.platform == "win32", reason="Windows imports the macro with Excel")
def test_without_windows_the_macro_import_says_what_to_do_by_hand(built: Path) -> None:
    with pytest.raises(ActionPlanError, match=r"import .*Dispatch\.bas by hand") as e:
        import_vba_module(built, built.with_name(DISPATCH_FILE))
    assert "\n" not in str(e.value)


def test_cli_addin_build(tmp_path: Path) -> None:
    out = tmp_path / "addin"
    result = CliRunner().invoke(cli, ["addin", "build", "--out", str(out)])
    assert result.exit_code == 0, result.output
    xlam = out / ADDIN_FILE
    assert f"Built {xlam}" in result.output
    assert zipfile.is_zipfile(xlam)
    if sys.platform != "win32":
        assert str(out / DISPATCH_FILE) in result.output
        assert result.output.rstrip().endswith("Then: actionplan addin install")


def test_cli_addin_build_defaults_to_the_current_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["addin", "build"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / ADDIN_FILE).is_file()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux has no Excel")
def test_cli_addin_install_on_linux_is_one_line_and_exit_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["addin", "install", "--out", str(tmp_path)])
    assert result.exit_code == 2, result.output
    xlam = tmp_path / ADDIN_FILE
    assert result.output == (
        f"Error: install is for Windows or macOS with Excel; the add-in is built at {xlam}: "
        "run actionplan addin install on the computer with Excel\n"
    )
    assert zipfile.is_zipfile(xlam)  # built, as install does when there is none


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux has no Excel")
def test_install_addin_on_linux_raises(built: Path) -> None:
    with pytest.raises(ActionPlanError, match="install is for Windows or macOS with Excel"):
        install_addin(built)
