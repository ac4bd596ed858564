"""Real programs for the tests that check what a person sees: LibreOffice and poppler."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
needs_office = pytest.mark.skipif(
    not (SOFFICE and shutil.which("pdftotext")),
    reason="LibreOffice and poppler-utils are needed (apt-get install libreoffice-calc-nogui "
    "poppler-utils)",
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
