"""Build and install the desktop add-in, `xl_addin.xlam`: xlwings' ribbon add-in template with the
"Action Plan" tab (ribbon/customUI.xml) in place of the template's demo tab.

The template brings the VBA that runs Python - its `xlwings` module (RunPython, the settings, the
error alert) - under xlwings' BSD licence, so no xlwings PRO licence is needed. The ribbon is
swapped by editing the zip, which works anywhere. The one macro the buttons call
(ribbon/Dispatch.bas) can only be put into the VBA project by Excel itself: on Windows through
COM (`import_vba_module`), elsewhere by hand (`manual_import_steps`).
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import locale
import os
import sys
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

from workbook.errors import ActionPlanError
from workbook.xlsx.files import write_atomically

ADDIN_FILE = "xl_addin.xlam"
#: xlwings' template for a custom add-in with a ribbon (`xlwings quickstart NAME --addin --ribbon`)
TEMPLATE_FILE = "quickstart_addin_ribbon.xlam"
RIBBON_DIR = Path(__file__).with_name("ribbon")
CUSTOM_UI = RIBBON_DIR / "customUI.xml"
DISPATCH_BAS = RIBBON_DIR / "Dispatch.bas"
#: The copy of Dispatch.bas written beside the add-in, the one to import (Excel wants CRLF).
DISPATCH_FILE = "Dispatch.bas"
#: Dispatch.bas's VB_Name: how the macro shows in the add-in's VBA project once imported.
DISPATCH_MODULE = "ActionPlanRibbon"
VBA_PART = "xl/vbaProject.bin"
PACKAGE_RELS = "_rels/.rels"
#: Which customUI namespace Excel reads from a part with each ribbon relationship type: the 2006
#: pair is Office 2007's, the 2007 pair Office 2010's and later (MS-OI29500 3.4.1.3-4).
UI_NAMESPACES = {
    "http://schemas.microsoft.com/office/2006/relationships/ui/extensibility": (
        "http://schemas.microsoft.com/office/2006/01/customui"
    ),
    "http://schemas.microsoft.com/office/2007/relationships/ui/extensibility": (
        "http://schemas.microsoft.com/office/2009/07/customui"
    ),
}
#: PROJECT_NAME in the template's xlwings module: it names the add-in's settings file and sheet
#: (`myaddin.conf`), so our add-in reads those, not xlwings.conf.
SETTINGS_NAME = "myaddin"
TRUST_CENTER = (
    "File > Options > Trust Center > Trust Center Settings > Macro Settings > "
    '"Trust access to the VBA project object model"'
)

_RELS_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_CFB_END = 0xFFFFFFFA  # sector numbers from here up mark chain ends, free and FAT sectors


def template_path() -> Path:
    """xlwings' ribbon add-in template, found without importing xlwings (slow, and not needed)."""
    spec = importlib.util.find_spec("xlwings")
    if spec is None or not spec.submodule_search_locations:
        raise ActionPlanError("xlwings is not installed; run: python -m pip install xlwings")
    path = Path(next(iter(spec.submodule_search_locations))) / TEMPLATE_FILE
    if not path.is_file():
        raise ActionPlanError(
            f"xlwings has no {TEMPLATE_FILE} at {path.parent}; reinstall it: "
            "python -m pip install --force-reinstall xlwings"
        )
    return path


def build_addin(out: Path) -> Path:
    """Write `xl_addin.xlam` into the folder `out` (created if missing) and return its full path; a
    CRLF copy of Dispatch.bas goes beside it, ready to import into its VBA project.

    Every part of the template is carried over byte for byte (its VBA project too) except the
    ribbon part, which becomes ribbon/customUI.xml under the template's own part name,
    relationship and content type. Both files are written atomically.
    """
    missing = [p.name for p in (CUSTOM_UI, DISPATCH_BAS) if not p.is_file()]
    if missing:
        raise ActionPlanError(
            f"this actionplan install lacks {', '.join(missing)} in {RIBBON_DIR}; reinstall it"
        )
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ActionPlanError(f"{out} is a file; --out takes a folder")
    out.mkdir(parents=True, exist_ok=True)
    xlam = (out / ADDIN_FILE).resolve()
    write_atomically(xlam, _with_our_ribbon(template_path().read_bytes()))
    # VBA's File > Import reads the Attribute line only from a CRLF file in the system code page;
    # the text is ASCII, so the same bytes suit every code page
    bas = DISPATCH_BAS.read_text(encoding="ascii").replace("\r\n", "\n").replace("\n", "\r\n")
    write_atomically(xlam.with_name(DISPATCH_FILE), lambda fh: fh.write(bas.encode("ascii")))
    return xlam


def ribbon_part(package: zipfile.ZipFile) -> tuple[str, str]:
    """The ribbon part's name in `package` and the type of the relationship that points to it."""
    try:
        rels = ET.fromstring(package.read(PACKAGE_RELS))
    except (KeyError, ET.ParseError) as e:
        raise ActionPlanError(f"the add-in template has no readable {PACKAGE_RELS} ({e})") from e
    found = [
        (rel.get("Target", "").lstrip("/"), rel.get("Type", ""))
        for rel in rels.iter(f"{_RELS_NS}Relationship")
        if rel.get("Type") in UI_NAMESPACES
    ]
    if len(found) != 1:
        raise ActionPlanError(
            f"the add-in template has {len(found)} ribbon parts, not one; reinstall xlwings"
        )
    return found[0]


def _with_our_ribbon(template: bytes) -> Callable[[BinaryIO], None]:
    """A writer of `template` (an add-in's bytes) with our ribbon as its ribbon part."""
    ribbon = CUSTOM_UI.read_bytes()
    namespace = ET.fromstring(ribbon).tag.partition("}")[0].lstrip("{")
    with zipfile.ZipFile(io.BytesIO(template)) as package:
        part, rel_type = ribbon_part(package)
        if UI_NAMESPACES[rel_type] != namespace:
            # Excel would load the add-in without its tab and say nothing
            raise ActionPlanError(
                f"the template's ribbon relationship ({rel_type}) needs the customUI namespace "
                f"{UI_NAMESPACES[rel_type]}, and {CUSTOM_UI.name} uses {namespace}"
            )
        members = [(info, package.read(info)) for info in package.infolist()]

    def write(fh: BinaryIO) -> None:
        with zipfile.ZipFile(fh, "w") as built:
            for info, data in members:
                # a fresh ZipInfo: writestr fills in sizes and offsets on the one it is given
                copy = zipfile.ZipInfo(info.filename, info.date_time)
                copy.compress_type = info.compress_type
                copy.external_attr = info.external_attr
                built.writestr(copy, ribbon if info.filename == part else data)

    return write


def vba_modules(xlam: Path) -> list[str]:
    """The names of the modules in the add-in's VBA project (as listed in its PROJECT stream)."""
    try:
        with zipfile.ZipFile(xlam) as package:
            project = _cfb_stream(package.read(VBA_PART), "PROJECT")
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as e:
        raise ActionPlanError(f"cannot read the VBA project in {xlam} ({e})") from e
    names = []
    for line in project.decode("latin-1").splitlines():
        if line.startswith("["):  # the [Host Extender Info] and [Workspace] sections follow
            break
        key, _, value = line.partition("=")
        if key in ("Module", "Document", "Class", "BaseClass"):
            names.append(value.split("/")[0])
    return names


def has_dispatcher(xlam: Path) -> bool:
    """Whether Dispatch.bas has been imported into the add-in, so its buttons can run."""
    return DISPATCH_MODULE in vba_modules(xlam)


def manual_import_steps(xlam: Path, bas: Path) -> str:
    """What the owner does by hand where Excel cannot be driven to import the macro."""
    xlam, bas = Path(xlam).resolve(), Path(bas).resolve()
    return "\n".join(
        [
            "Next, add the ribbon's macro by hand, once per build, in Excel:",
            f"  1. File > Open {xlam} (it opens hidden: it is an add-in)",
            "  2. open the Visual Basic Editor: Alt+F11 on Windows; on a Mac Tools > Macro > "
            "Visual Basic Editor (Opt+F11)",
            f'  3. click VBAProject "MyAddin ({ADDIN_FILE})", then File > Import File... and '
            f"choose {bas}",
            f"  4. File > Save {ADDIN_FILE} (Ctrl+S, Cmd+S on a Mac), and quit Excel",
            "Then: actionplan addin install",
        ]
    )


def import_vba_module(xlam: Path, bas: Path) -> None:
    """Import the VBA module `bas` into the add-in `xlam` with Excel and save it (Windows only).

    Needs Excel's Trust Center setting "Trust access to the VBA project object model". A module of
    the same name is replaced, so importing again is harmless.
    """
    xlam, bas = Path(xlam).resolve(), Path(bas).resolve()
    by_hand = f"import {bas} by hand (Alt+F11, File > Import File; docs/addin-setup.md)"
    if sys.platform != "win32":
        raise ActionPlanError(f"only Excel on Windows can import the macro for you; {by_hand}")
    import xlwings as xw

    try:
        app = xw.App(visible=False, add_book=False)
    except Exception as e:
        raise ActionPlanError(f"could not start Excel ({_brief(e)}); {by_hand}") from e
    try:
        app.display_alerts = False
        book = app.books.open(str(xlam))
        try:
            components = book.api.VBProject.VBComponents
            existing = [c for c in components if c.Name == DISPATCH_MODULE]
        except Exception as e:
            raise ActionPlanError(
                f"Excel refused access to the add-in's VBA: turn on {TRUST_CENTER} and run "
                f"again, or {by_hand}"
            ) from e
        for component in existing:
            components.Remove(component)
        components.Import(str(bas))
        book.save()
        book.close()
    except ActionPlanError:
        raise
    except Exception as e:
        raise ActionPlanError(f"Excel could not import {bas.name} ({_brief(e)}); {by_hand}") from e
    finally:
        _quit(app)
    _keep_our_ribbon(xlam)
    if not has_dispatcher(xlam):
        raise ActionPlanError(f"Excel saved {xlam} without the {DISPATCH_MODULE} macro; {by_hand}")


def _keep_our_ribbon(xlam: Path) -> None:
    """Put our ribbon back if Excel's save changed it (it should keep it as it is)."""
    data = xlam.read_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        part, _ = ribbon_part(package)
        if package.read(part) == CUSTOM_UI.read_bytes():
            return
    write_atomically(xlam, _with_our_ribbon(data))


def install_addin(xlam: Path) -> Path:
    """Copy the built add-in into Excel's start-up folder (XLSTART), where `xlwings addin install`
    puts xlwings' own, so Excel opens it every time it starts; return where it went.

    Refuses an add-in without the ribbon's macro: its buttons would do nothing. On macOS it also
    installs xlwings' AppleScript, which RunPython needs there.
    """
    xlam = Path(xlam).resolve()
    if sys.platform not in ("win32", "darwin"):
        raise ActionPlanError(
            f"install is for Windows or macOS with Excel; the add-in is built at {xlam}: "
            "run actionplan addin install on the computer with Excel"
        )
    if not xlam.is_file():
        raise ActionPlanError(f"{xlam} does not exist; run actionplan addin build first")
    if not has_dispatcher(xlam):
        raise ActionPlanError(
            f"{xlam.name} has no {DISPATCH_MODULE} macro yet, so its buttons would do nothing: "
            f"import {xlam.with_name(DISPATCH_FILE)} into it (see actionplan addin build), save, "
            "and run install again"
        )
    import xlwings as xw

    target = _startup_folder(xw) / ADDIN_FILE
    for app in xw.apps:
        # a loaded add-in keeps its file open (locked, on Windows)
        with contextlib.suppress(Exception):
            app.books[ADDIN_FILE].close()
    data = xlam.read_bytes()
    try:
        write_atomically(target, lambda fh: fh.write(data))
    except PermissionError as e:
        raise ActionPlanError(
            f"could not write {target}: quit Excel and run actionplan addin install again"
        ) from e
    if sys.platform == "darwin":
        from xlwings.cli import runpython_install

        runpython_install(None)  # what `xlwings addin install` does for RunPython on a Mac
    else:
        for app in xw.apps:
            # load it in the Excel already running, as `xlwings addin install` does
            with contextlib.suppress(Exception):
                app.books.open(str(target))
    return target


def _startup_folder(xw: Any) -> Path:
    """Excel's own XLSTART folder, as Excel reports it (xlwings' `get_addin_dir`)."""
    try:
        if xw.apps:
            return Path(xw.apps.active.startup_path)
        with xw.App(visible=False, add_book=False) as app:
            return Path(app.startup_path)
    except Exception as e:
        raise ActionPlanError(
            f"could not ask Excel where its add-in folder is ({_brief(e)}); is Excel installed?"
        ) from e


def user_settings_path() -> Path:
    """The add-in's user settings file, where its xlwings module looks for it (GetConfigFilePath);
    Excel on a Mac is sandboxed, so its home folder is inside its container."""
    name = f"{SETTINGS_NAME}.conf"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Containers" / "com.microsoft.Excel" / "Data" / name
    return Path.home() / f".{SETTINGS_NAME}" / name


def interpreter_settings() -> list[tuple[str, str]]:
    """The settings that make the add-in run this Python, as `xlwings config create` writes them:
    a conda environment on Windows is named (it must be activated), otherwise the interpreter."""
    conda_env, conda_exe = os.environ.get("CONDA_DEFAULT_ENV"), os.environ.get("CONDA_EXE")
    if sys.platform == "win32" and conda_env and conda_exe:
        return [("CONDA PATH", str(Path(conda_exe).parents[1])), ("CONDA ENV", conda_env)]
    key = "INTERPRETER_MAC" if sys.platform == "darwin" else "INTERPRETER_WIN"
    return [(key, sys.executable)]


def write_user_settings() -> tuple[Path, bool]:
    """Point the add-in at this Python unless the owner already has a settings file (kept as it
    is); return the file and whether it was written now."""
    path = user_settings_path()
    if path.exists():
        return path, False
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = "".join(f'"{key}","{value}"\n' for key, value in interpreter_settings())
    # VBA's Input # reads the file in the system code page, as xlwings writes its own
    path.write_text(lines, encoding=locale.getpreferredencoding(False))
    return path, True


def _brief(exc: BaseException) -> str:
    return " ".join(f"{type(exc).__name__}: {exc}".split())[:160]


def _quit(app: Any) -> None:
    try:
        app.quit()
    except Exception:
        app.kill()


def _cfb_stream(data: bytes, name: str) -> bytes:
    """The stream `name` at the top of an OLE compound file (MS-CFB), such as vbaProject.bin's
    PROJECT; read through the file's allocation tables, as a stream need not be contiguous."""
    if data[:8] != _CFB_MAGIC:
        raise ValueError("not an OLE compound file")
    size = 1 << int.from_bytes(data[30:32], "little")
    mini_size = 1 << int.from_bytes(data[32:34], "little")
    dir_start, mini_cutoff, minifat_start = (
        int.from_bytes(data[i : i + 4], "little") for i in (48, 56, 60)
    )
    difat_next, difat_count = (int.from_bytes(data[i : i + 4], "little") for i in (68, 72))

    def sector(n: int) -> bytes:
        return data[(n + 1) * size : (n + 2) * size]

    def numbers(block: bytes) -> list[int]:
        return [int.from_bytes(block[i : i + 4], "little") for i in range(0, len(block), 4)]

    fat_sectors = numbers(data[76:512])
    for _ in range(difat_count):
        entries = numbers(sector(difat_next))
        fat_sectors += entries[:-1]
        difat_next = entries[-1]
    fat = [n for s in fat_sectors if s < _CFB_END for n in numbers(sector(s))]

    def chain(start: int, table: list[int], read: Callable[[int], bytes]) -> bytes:
        out: list[bytes] = []
        n = start
        while n < _CFB_END:
            if len(out) > len(table):
                raise ValueError("a sector chain loops")
            out.append(read(n))
            n = table[n]
        return b"".join(out)

    directory = chain(dir_start, fat, sector)
    dir_entries = [directory[i : i + 128] for i in range(0, len(directory), 128)]

    def field(entry: bytes, at: int) -> int:
        return int.from_bytes(entry[at : at + 4], "little")

    # the root's children form a tree through their left and right siblings
    todo, found = [field(dir_entries[0], 76)], None
    while todo and found is None:
        n = todo.pop()
        if n >= len(dir_entries):
            continue
        entry = dir_entries[n]
        length = int.from_bytes(entry[64:66], "little")
        if entry[66] == 2 and entry[: max(length - 2, 0)].decode("utf-16-le") == name:
            found = entry
        todo += [field(entry, 68), field(entry, 72)]
    if found is None:
        raise ValueError(f"no {name} stream")
    start, length = field(found, 116), field(found, 120)
    if length >= mini_cutoff:
        return chain(start, fat, sector)[:length]
    root = dir_entries[0]
    mini_stream = chain(field(root, 116), fat, sector)
    minifat = numbers(chain(minifat_start, fat, sector)) if minifat_start < _CFB_END else []
    stream = chain(start, minifat, lambda n: mini_stream[n * mini_size : (n + 1) * mini_size])
    return stream[:length]
