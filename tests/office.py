"""Real programs for the tests that check what a person sees: LibreOffice and poppler."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

import pytest

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
needs_office = pytest.mark.skipif(
    not (SOFFICE and shutil.which("pdftotext")),
    reason="LibreOffice and poppler-utils are needed (apt-get install libreoffice-calc-nogui "
    "poppler-utils)",
)

# Debian's uno module imports only in Debian's own Python, so Calc is driven from a script run
# with it (tests/calc_edit.py); -I keeps the project's environment out of that interpreter.
SYSTEM_PYTHON = "/usr/bin/python3"
CALC_EDIT = Path(__file__).with_name("calc_edit.py")


def _uno_imports() -> bool:
    try:
        done = subprocess.run(
            [SYSTEM_PYTHON, "-I", "-c", "import uno"], capture_output=True, timeout=60
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


needs_calc_uno = pytest.mark.skipif(
    not (SOFFICE and _uno_imports()),
    reason=f"LibreOffice Calc and its Python bridge for {SYSTEM_PYTHON} are needed "
    "(apt-get install libreoffice-calc-nogui python3-uno)",
)


def to_pdf(workbook: Path, outdir: Path) -> Path:
    """Render a workbook to PDF with LibreOffice, as a person printing it would get it."""
    assert SOFFICE
    outdir = outdir.resolve()  # soffice needs an absolute profile URL, else it hangs
    profile = outdir / ".lo-profile"  # own profile: parallel or leftover soffice never blocks us
    subprocess.run(
        [SOFFICE, f"-env:UserInstallation=file://{profile}", "--headless", "--norestore",
         "--convert-to", "pdf", "--outdir", str(outdir), str(workbook)],
        check=True, capture_output=True, timeout=180,
    )  # fmt: skip
    pdf = outdir / (workbook.stem + ".pdf")
    assert pdf.exists(), f"LibreOffice wrote no PDF for {workbook}"
    return pdf


def pdf_text(pdf: Path) -> str:
    out = subprocess.run(
        ["pdftotext", "-raw", str(pdf), "-"], check=True, capture_output=True, text=True
    )
    return out.stdout


def pdf_pages(pdf: Path) -> int:
    out = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True)
    return int(next(ln.split()[-1] for ln in out.stdout.splitlines() if ln.startswith("Pages:")))


def edit_in_calc(src: Path, dst: Path, edits: list[dict], timeout: float = 180) -> None:
    """Edit ``src`` in LibreOffice Calc as a person does and save it to ``dst`` as Calc saves
    .xlsx; see tests/calc_edit.py for the operations in ``edits``."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", encoding="utf-8", delete=False) as f:
        json.dump(edits, f)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["CALC_EDIT_SECONDS"] = str(max(timeout - 30, timeout / 2))  # it kills a hung soffice
    try:
        proc = subprocess.Popen(
            [SYSTEM_PYTHON, "-I", str(CALC_EDIT), str(src), str(dst), f.name],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        )  # fmt: skip
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGTERM)  # the script then ends its soffice and profile
            try:
                out, err = proc.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                out, err = proc.communicate()
            raise AssertionError(
                f"calc_edit.py took over {timeout} s on {src.name}: {err.strip()}"
            ) from None
    finally:
        os.unlink(f.name)
    if proc.returncode != 0:
        raise AssertionError(
            f"calc_edit.py failed ({proc.returncode}) on {src.name}: {(err or out).strip()}"
        )
