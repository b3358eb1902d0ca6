"""Web benchmark: a portfolio workbook from upload to downloadable results, through the service.

    python bench/web.py [--projects 1000] [--runs 2] [--database-url URL]

Builds the app on a new database (SQLite in a temporary folder, or ``--database-url``)
with its default settings, writes bench/common.py's portfolio (20 outcomes x 5 years a
project) as an input workbook, and times, through Flask's test client as a browser
would drive it (CSRF tokens, redirects; the background jobs awaited as the job page
would be polled):

- upload -> check page ready;
- confirm -> results page ready (the projects, the run and the upload saved);
- -> the results workbook downloaded;
- the portfolio page of those projects, first visit and again;

then the same journey with the results workbook written by a task on the queue after the
run is saved (``RESULTS_WORKBOOK_PROCESS`` off, as under ``make worker``) instead of by
the helper process beside the save.

The baseline, timed in the same run on the same file, is the command line's path:
:func:`froi.workbook.reader.compute_workbook` then
:func:`froi.workbook.results.write_results_workbook`.  The ratio is what the service
adds (storing the upload, the projects and the run, and drawing the pages).  Machines
here have two noisy cores: compare ratios, not seconds.
"""

from __future__ import annotations

import argparse
import io
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script or a module


from flask import Flask
from flask.testing import FlaskClient

from bench.common import best_of, portfolio
from calculator.reference import load_reference
from froi.web import create_app
from froi.web.uploads import jobs
from froi.workbook.reader import compute_workbook
from froi.workbook.results import write_results_workbook
from froi.workbook.template import write_input_workbook

HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')
CONFIRM = re.compile(r'action="(/batch/\d+/confirm)"')


def hidden(html: str) -> dict[str, str]:
    return dict(HIDDEN.findall(html))


def signed_in(app: Flask) -> FlaskClient:
    """A client signed in as an analyst, made with ``flask create-user`` as an
    administrator would make one."""
    email, password = "bench@council.example", "benchmark pass phrase"
    made = app.test_cli_runner().invoke(
        args=["create-user", email, "--organisation", "Local authority", "--role", "analyst"],
        input=password + "\n",
    )
    assert made.exit_code == 0, made.output
    client = app.test_client()
    form = hidden(client.get("/sign-in").get_data(as_text=True))
    response = client.post("/sign-in", data={**form, "email": email, "password": password})
    assert response.status_code == 302
    return client


def follow(client: FlaskClient, location: str) -> str:
    """Follow redirects to a page's address; a job page is asked again every 0.05 s
    until its job is done and it redirects (as a browser polling it would, without the
    page's own refresh interval)."""
    deadline = time.monotonic() + 600
    while True:
        response = client.get(location)
        if response.status_code == 302:
            location = response.headers["Location"]
            continue
        assert response.status_code == 200, (location, response.status_code)
        if not location.startswith("/jobs/"):
            return location
        assert time.monotonic() < deadline, f"{location} did not finish in 10 minutes"
        assert "The work did not finish" not in response.get_data(as_text=True), location
        time.sleep(0.05)


def journey(app: Flask, client: FlaskClient, path: Path) -> dict[str, float]:
    """One upload from the form to the downloaded results workbook; seconds per stage."""
    times: dict[str, float] = {}
    start = time.perf_counter()
    form = hidden(client.get("/batch/").get_data(as_text=True))
    data: dict[str, Any] = {**form, "file": (io.BytesIO(path.read_bytes()), path.name)}
    posted = client.post("/batch/", data=data, content_type="multipart/form-data")
    assert posted.status_code == 302, posted.status_code
    check = follow(client, posted.headers["Location"])
    html = client.get(check).get_data(as_text=True)
    times["upload to check page"] = time.perf_counter() - start

    start = time.perf_counter()
    action = CONFIRM.search(html)
    assert action, "the check page has no Confirm form: the workbook has problems"
    # the second journey uploads the same references again: new revisions of them
    confirmed = client.post(action.group(1), data={**hidden(html), "clash": "update"})
    assert confirmed.status_code == 302, confirmed.status_code
    results = follow(client, confirmed.headers["Location"])
    times["confirm to results page"] = time.perf_counter() - start

    start = time.perf_counter()
    download = client.get(results + ".xlsx")  # waits for the workbook being written
    assert download.status_code == 200 and download.data[:2] == b"PK"
    times["results workbook downloaded"] = time.perf_counter() - start
    times["upload to downloadable results"] = sum(times.values())
    jobs.wait_for_jobs(app, timeout=600)  # nothing left running into the next journey
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--projects", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=2, help="best of this many journeys")
    parser.add_argument("--database-url", help="default: SQLite in a temporary folder")
    args = parser.parse_args()
    reference = load_reference()

    with tempfile.TemporaryDirectory(prefix="froi-bench-web-") as tmp:
        folder = Path(tmp)
        source = folder / "portfolio.xlsx"
        write_input_workbook(portfolio(reference, args.projects, 20, 5), source, reference)
        print(
            f"workbook: {args.projects:,} projects x 20 outcomes x 5 years "
            f"({source.stat().st_size / 1e6:.1f} MB)"
        )

        def cli() -> None:
            results = compute_workbook(source, reference)
            write_results_workbook(results, folder / "cli.xlsx", reference=reference)

        t_cli, _ = best_of(args.runs, cli)

        app = create_app(
            {
                "DATABASE_URL": args.database_url or f"sqlite:///{folder / 'froi.sqlite'}",
                "SECRET_KEY": "bench",
                "RESULTS_DIR": str(folder / "results"),
            },
            instance_path=str(folder / "instance"),
        )
        client = signed_in(app)
        best: dict[str, float] = {}
        for _ in range(args.runs):
            for stage, seconds in journey(app, client, source).items():
                best[stage] = min(best.get(stage, float("inf")), seconds)
        first = time.perf_counter()
        assert client.get("/portfolio/").status_code == 200
        t_first = time.perf_counter() - first
        t_again, _ = best_of(args.runs, lambda: client.get("/portfolio/"))
        # the option measured beside it: no helper process, the workbook written by a
        # task on the queue after the run is saved (as under make worker)
        app.config["RESULTS_WORKBOOK_PROCESS"] = False
        queued: dict[str, float] = {}
        for _ in range(args.runs):
            for stage, seconds in journey(app, client, source).items():
                queued[stage] = min(queued.get(stage, float("inf")), seconds)
        jobs.shutdown(app)

    print(f"baseline: command line, read + compute + results workbook   {t_cli:7.2f} s")
    print(f"through the service (best of {args.runs}, default thresholds):")
    for stage, seconds in best.items():
        print(f"  {stage:<58}{seconds:7.2f} s")
    total = best["upload to downloadable results"]
    print(f"  ratio service / command line{'':<31}{total / t_cli:7.2f}x")
    print("the same with FROI_RESULTS_WORKBOOK_PROCESS=false (written by a queued task after):")
    for stage, seconds in queued.items():
        print(f"  {stage:<58}{seconds:7.2f} s")
    slower = queued["upload to downloadable results"]
    print(f"  ratio to the helper process{'':<32}{slower / total:7.2f}x")
    shown = args.runs * args.projects
    print(f"portfolio page of {shown:,} projects: first {t_first:.2f} s, again {t_again:.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
