"""The README's API session (curl) and Python client, run against a served instance.

The service is served by werkzeug's server in a thread, on SQLite in a temporary
instance folder; ``flask --app app create-token`` runs as the README says, on the same
database.  The blocks are taken from the README as written (only the address is the
test's), so the README cannot drift from what the API does.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from openpyxl import load_workbook
from werkzeug.serving import make_server

from bench.common import free_port
from froi.web import create_app
from froi.web.accounts.store import create_user
from froi.web.core.db import get_session
from froi.web.core.models import ANALYST

from .conftest import PASSWORD, first_organisation

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
#: Ports of this test (a range of its own, away from the service's 5000 and 8000).
PORTS = range(18100, 18200)


def block(marker: str, language: str) -> str:
    found = re.search(rf"<!-- {marker} -->\n```{language}\n(.*?)```", README, re.S)
    assert found, f"the README has no {marker} block"
    return found.group(1)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, dict[str, str], Path]]:
    """The service's address, the environment of a shell beside it, and its folder."""
    instance = tmp_path / "instance"
    database = f"sqlite:///{tmp_path / 'froi.sqlite'}"
    config = {"DATABASE_URL": database, "SECRET_KEY": "readme", "PASSWORD_HASHING": "CHEAPEST"}
    app = create_app(config, instance_path=str(instance))
    with app.app_context():
        session = get_session()
        create_user(
            session, first_organisation(session), "analyst@council.example", ANALYST, PASSWORD
        )
        session.commit()
    port = free_port(PORTS)
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    work = tmp_path / "work"
    work.mkdir()
    (work / "sample_workbooks").symlink_to(ROOT / "sample_workbooks")
    (work / "app.py").symlink_to(ROOT / "app.py")
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "DATABASE_URL": database,
        "FROI_INSTANCE_PATH": str(instance),
        "FROI_SECRET_KEY": "readme",
        "FROI_LOG_FORMAT": "text",
    }
    try:
        yield f"http://127.0.0.1:{port}", env, work
    finally:
        server.shutdown()
        thread.join(timeout=10)
        app.extensions["froi"]["db"].engine.dispose()


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_the_readme_curl_session_runs(served: tuple[str, dict[str, str], Path]) -> None:
    url, env, work = served
    script = block("api-session", "sh").replace("http://127.0.0.1:5000", url)
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads((work / "results.json").read_text())
    run = json.loads((work / "run.json").read_text())
    assert results["projects"][0]["project_id"] == "EOC-HUB"
    assert run["id"] == results["run"]["id"] and run["results"]["projects"] == results["projects"]
    assert "Summary" in load_workbook(work / "results.xlsx", read_only=True).sheetnames


def test_the_readme_python_client_runs(served: tuple[str, dict[str, str], Path]) -> None:
    url, env, work = served
    code = block("api-client", "python")
    assert len(code.strip().splitlines()) <= 12  # "a ten-line client", give or take blanks
    made = subprocess.run(
        ["flask", "--app", "app", "create-token", "analyst@council.example"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    token = made.stdout.strip().splitlines()[-1]
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=work,
        env={**env, "FROI": url, "TOKEN": token},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert re.search(r"^EOC-HUB FROI \d+\.\d\d NPV £[\d,]+$", done.stdout, re.M), done.stdout
    assert re.search(r"^stored as run \d+$", done.stdout, re.M), done.stdout
