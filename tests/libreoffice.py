"""LibreOffice headless recalculation, shared by the workbook recalculation tests.

LibreOffice copies the cached values of an .xlsx rather than recalculating them
(TESTING.md), so callers hand it files saved by openpyxl (formulas, no values).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


def require_soffice() -> str:
    """The LibreOffice program; skips the test without it, except under CI, where it fails."""
    if SOFFICE is None:
        if os.environ.get("CI", "").lower() not in ("", "0", "false", "no"):
            pytest.fail("LibreOffice is required under CI: apt-get install -y libreoffice-calc")
        pytest.skip("LibreOffice (soffice) is not installed")
    return SOFFICE


def recalculate(
    files: list[Path], out: Path, profile: Path, timeout: int, to: str = "xlsx"
) -> subprocess.CompletedProcess[str]:
    """Convert ``files`` to .xlsx (or ``to``: "pdf" prints them) in ``out`` in one
    headless LibreOffice start with a fresh profile, which recalculates every formula;
    the caller checks the return code."""
    return subprocess.run(
        [
            require_soffice(),
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--convert-to",
            to,
            "--outdir",
            str(out),
            *(str(f) for f in files),
        ],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
