"""API benchmark: the JSON API's latency against ``froi compute`` on the same input.

    python bench/api.py [--runs 3] [--projects 100] [--database-url URL]

Builds the app on a new database (SQLite in a temporary folder, or ``--database-url``),
makes an analyst and an API token as ``flask create-token`` does, and serves it with
werkzeug's threaded server on 127.0.0.1 (a port in 18100-18199), so every request goes
over HTTP as a client's would.  For two inputs, the edge-of-care sample
(sample_workbooks/edge_of_care_appraisal.json, and its workbook) and bench/common.py's
portfolio of ``--projects`` appraisal projects (20 outcomes x 5 years each), it times,
best of ``--runs``:

- ``POST /api/v1/calculations`` (checked, computed, stored as a run, results returned);
- ``GET /api/v1/runs/{id}`` (the stored run as JSON) and the run's results workbook;
- ``POST /api/v1/workbooks`` for the sample's workbook;

and, in the same run on the same files, the baselines: ``froi compute FILE`` as a
process (what a script calls today, Python's start included) and the engine alone in
this process (``calculator.engine.compute`` and the JSON of its results).  It prints
each time and its ratios to both.  Machines here have two noisy cores: compare ratios.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script or a module

from werkzeug.serving import make_server  # noqa: E402

from bench.common import best_of, free_port, portfolio  # noqa: E402
from calculator.engine import compute  # noqa: E402
from calculator.reference import load_reference  # noqa: E402
from froi.web import create_app  # noqa: E402
from froi.web.accounts.store import create_user, find_organisation  # noqa: E402
from froi.web.accounts.tokens import new_token  # noqa: E402
from froi.web.core.audit import Actor  # noqa: E402
from froi.web.core.db import get_session  # noqa: E402
from froi.web.core.models import ANALYST, DEFAULT_ORGANISATION  # noqa: E402

SAMPLE_JSON = ROOT / "sample_workbooks" / "edge_of_care_appraisal.json"
SAMPLE_XLSX = ROOT / "sample_workbooks" / "edge_of_care_appraisal.xlsx"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FROI = [sys.executable, "-m", "froi.cli"]
#: Ports of this benchmark's server.
PORTS = range(18100, 18200)


class Client:
    """A token-carrying HTTP client of the served API (the standard library only)."""

    def __init__(self, base: str, token: str) -> None:
        self.base, self.token = base, token

    def call(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, dict[str, str], bytes]:
        request = urllib.request.Request(
            self.base + path,
            data=body,
            method=method,
            headers={"Authorization": f"Bearer {self.token}", **(headers or {})},
        )
        with urllib.request.urlopen(request, timeout=600) as response:
            return response.status, dict(response.headers), response.read()

    def post_json(self, path: str, doc: Any) -> tuple[int, dict[str, str], bytes]:
        return self.call(
            "POST", path, json.dumps(doc).encode(), {"Content-Type": "application/json"}
        )

    def post_file(self, path: str, file: Path) -> tuple[int, dict[str, str], bytes]:
        boundary = "froibenchboundary"
        body = (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
                f'filename="{file.name}"\r\nContent-Type: {XLSX}\r\n\r\n'
            ).encode()
            + file.read_bytes()
            + f"\r\n--{boundary}--\r\n".encode()
        )
        return self.call(
            "POST", path, body, {"Content-Type": f"multipart/form-data; boundary={boundary}"}
        )


def cli(path: Path) -> Callable[[], bytes]:
    def run() -> bytes:
        done = subprocess.run(
            [*FROI, "compute", str(path)], capture_output=True, check=True, cwd=ROOT
        )
        return done.stdout

    return run


def row(label: str, seconds: float, cli_seconds: float, engine_seconds: float | None) -> None:
    engine = f"{seconds / engine_seconds:6.2f}x" if engine_seconds else "     -"
    print(f"  {label:<48} {seconds:8.3f} s  {seconds / cli_seconds:6.2f}x  {engine}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--projects", type=int, default=100)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    reference = load_reference()
    with tempfile.TemporaryDirectory(prefix="froi-bench-api-") as folder:
        work = Path(folder)
        url = args.database_url or f"sqlite:///{work / 'froi.sqlite'}"
        config = {"DATABASE_URL": url, "SECRET_KEY": "bench", "API_RATE_LIMIT": 10**9}
        app = create_app(config, instance_path=str(work / "instance"))
        with app.app_context():
            session = get_session()
            org = find_organisation(session, DEFAULT_ORGANISATION)
            assert org is not None
            user = create_user(session, org, "bench@council.example", ANALYST, "bench pass phrase")
            token = new_token(session, user, "bench", Actor(None, "bench", org.id))
            session.commit()
        port = free_port(PORTS)
        server = make_server("127.0.0.1", port, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        client = Client(f"http://127.0.0.1:{port}", token)
        big = portfolio(reference, args.projects, 20, 5)
        big_path = work / f"portfolio_{args.projects}.json"
        big_path.write_text(json.dumps(big))
        inputs = [
            ("edge-of-care sample", SAMPLE_JSON),
            (f"{args.projects}-project portfolio", big_path),
        ]
        print(
            f"API latency over HTTP, best of {args.runs}; ratios to `froi compute FILE` (a process)"
        )
        print("and to the engine alone in this process, on the same input in the same run")
        print(f"  {'':<48} {'time':>10}  {'/ cli':>7}  {'/ engine':>7}")
        try:
            for name, path in inputs:
                doc = json.loads(path.read_text())
                cli_s, out = best_of(args.runs, cli(path))
                engine_s, _ = best_of(
                    args.runs, lambda doc=doc: json.dumps(compute(doc, reference).to_dict())
                )
                post_s, (status, headers, body) = best_of(
                    args.runs, lambda doc=doc: client.post_json("/api/v1/calculations", doc)
                )
                assert status == 201, body[:500]
                api = json.loads(body)
                expected = json.loads(out)
                assert [p["froi"] for p in api["projects"]] == [
                    p["froi"] for p in expected["projects"]
                ]
                location = headers["Location"]
                get_s, _ = best_of(
                    args.runs, lambda location=location: client.call("GET", location)
                )
                book_s, _ = best_of(
                    args.runs,
                    lambda location=location: client.call(
                        "GET", location, headers={"Accept": XLSX}
                    ),
                )
                print(f"{name} ({len(doc['projects'])} project(s))")
                row("froi compute FILE (baseline)", cli_s, cli_s, engine_s)
                row("engine in process (compute + JSON)", engine_s, cli_s, engine_s)
                row("POST /api/v1/calculations", post_s, cli_s, engine_s)
                row("GET /api/v1/runs/{id}", get_s, cli_s, engine_s)
                row("GET /api/v1/runs/{id} as the results workbook", book_s, cli_s, engine_s)
            cli_xlsx_s, _ = best_of(args.runs, cli(SAMPLE_XLSX))
            upload_s, (status, _, body) = best_of(
                args.runs, lambda: client.post_file("/api/v1/workbooks", SAMPLE_XLSX)
            )
            assert status == 201, body[:500]
            print("edge-of-care sample workbook (.xlsx)")
            row("froi compute FILE.xlsx (baseline)", cli_xlsx_s, cli_xlsx_s, None)
            row("POST /api/v1/workbooks", upload_s, cli_xlsx_s, None)
        finally:
            server.shutdown()
            app.extensions["froi"]["db"].engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
