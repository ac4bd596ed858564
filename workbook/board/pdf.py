"""Workbooks to PDF through LibreOffice, as a person printing them would get them."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from workbook.errors import ActionPlanError

SOFFICE_MISSING = (
    "LibreOffice is needed for --pdf; install it (apt-get install libreoffice-calc-nogui) "
    "or leave out --pdf"
)
#: A first start of LibreOffice builds its profile, which takes a while on a slow machine.
PDF_TIMEOUT_SECONDS = 180.0


def find_soffice() -> str | None:
    """The LibreOffice program on PATH, or None."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def render_pdf(
    workbook: Path, pdf: Path, *, soffice: str | None = None, timeout: float = PDF_TIMEOUT_SECONDS
) -> None:
    """Print every sheet of `workbook` to `pdf` with LibreOffice, replacing `pdf` in one step.

    LibreOffice runs with a profile of its own in a temporary folder, so a LibreOffice the user
    has open (or one left behind) neither blocks the conversion nor has its settings changed.
    """
    soffice = soffice or find_soffice()
    if soffice is None:
        raise ActionPlanError(SOFFICE_MISSING)
    workbook, pdf = Path(workbook), Path(pdf)
    # beside the target, so the finished PDF is renamed into place, never copied half-written
    work = Path(tempfile.mkdtemp(prefix=f".{pdf.stem}-pdf-", dir=pdf.parent))
    try:
        outdir = work / "out"
        command = [
            soffice,
            f"-env:UserInstallation={(work / 'profile').resolve().as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            "pdf",
            "--outdir",
            str(outdir),
            str(workbook.resolve()),
        ]
        _run(command, timeout)
        made = outdir / f"{workbook.stem}.pdf"
        if not made.exists():
            raise ActionPlanError(
                f"LibreOffice made no PDF of {workbook}; open it in LibreOffice or Excel and "
                "print it to PDF from there"
            )
        os.replace(made, pdf)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _run(command: list[str], timeout: float) -> None:
    posix = os.name == "posix"
    # its own process group, so a timeout ends soffice.bin as well as the launcher script
    proc = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=posix,
    )
    try:
        output, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        if posix:
            os.killpg(proc.pid, signal.SIGKILL)
        else:
            proc.kill()
        proc.communicate()
        raise ActionPlanError(
            f"LibreOffice took more than {timeout:.0f} s to make the PDF and was stopped; "
            "run again, or leave out --pdf and print the workbook from Excel"
        ) from None
    if proc.returncode != 0:
        last = (output or b"").decode(errors="replace").strip().splitlines()[-1:] or ["no output"]
        raise ActionPlanError(
            f"LibreOffice could not make the PDF (exit {proc.returncode}: {last[0]}); "
            "leave out --pdf and print the workbook from Excel"
        )
