"""docs/screenshots.py still draws every screenshot the documentation shows.

It runs as a newcomer would run it (its own process: Playwright's sync API is already
running in this one), into a folder of the test's own, never over docs/screenshots/.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

from .conftest import CHROMIUM, ROOT, unavailable

SCRIPT = ROOT / "docs" / "screenshots.py"
PNG = b"\x89PNG\r\n\x1a\n"


def test_the_screenshot_script_draws_every_page_the_docs_show(tmp_path: Path) -> None:
    if importlib.util.find_spec("playwright") is None:
        unavailable("Playwright for Python is not installed (pip install -e '.[test]')")
    if not CHROMIUM.is_file():
        unavailable(f"Chromium is not at {CHROMIUM} (apt-get install -y chromium)")
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--out", str(tmp_path), "--chromium", str(CHROMIUM)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    # a request off the machine exits 1 and names it
    assert done.returncode == 0, done.stderr[-3000:]
    drawn = sorted(p.name for p in tmp_path.glob("*.png"))
    shown = sorted(p.name for p in (ROOT / "docs" / "screenshots").glob("*.png"))
    assert drawn == shown
    for name in drawn:
        data = (tmp_path / name).read_bytes()
        assert data.startswith(PNG) and len(data) > 5_000, name
