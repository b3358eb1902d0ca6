"""Load benchmark: concurrent signed-in people against a running service, as they would
use it.

    python bench/load.py [--users 20] [--seconds 60] [--max-requests 20000]
                         [--servers dev,gunicorn] [--databases sqlite,postgresql]
                         [--ports 18200-18299]

For each database (SQLite in a new instance folder; PostgreSQL in a new database on
127.0.0.1:5432, dropped afterwards) and each server (Flask's development server, the
baseline, and gunicorn as ``make serve`` runs it: one worker process per core, gthread),
it starts the service on a free port of ``--ports`` (18200-18299), prepares an organisation with
``--users`` analysts and a portfolio of 50 projects whose results are calculated, then
lets ``--users`` threads, each signed in as its own analyst, loop for ``--seconds``
(and at most ``--max-requests`` requests in all; it stops by itself) over a mix:

- ``results``: a project's results page (40%);
- ``project``: a project's page (30%);
- ``portfolio``: the portfolio of the 50 projects (15%);
- ``create``: a new project through the form (10%);
- ``upload``: a workbook of 10 projects uploaded and checked (5%).

It prints, per run, requests per second, p50/p95/p99 by kind, errors (any status of 400
or more, or no answer), the peak resident memory of the server's processes (sampled
from /proc every 0.2 s), each kind's median time with one person and one request at a
time ("alone", measured first: the service time without queueing), and the ratios of
gunicorn's figures to the development server's measured in the same run.  The machine's
load average is printed too: on a shared machine, other work's CPU shows in the figures.
Targets: no errors; p95 under 300 ms for results and project pages and under 1 s for
the portfolio.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script or a module

from bench.common import free_port, portfolio  # noqa: E402
from calculator.reference import load_reference  # noqa: E402
from froi.workbook.template import write_input_workbook  # noqa: E402

BIN = Path(sys.executable).parent
PASSWORD = "a long load test pass phrase"
PORTS = range(18200, 18300)
MIX = (("results", 40), ("project", 30), ("portfolio", 15), ("create", 10), ("upload", 5))
TARGETS = {"results": 0.3, "project": 0.3, "portfolio": 1.0}
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def port_range(text: str) -> range:
    """``--ports``: ``FIRST-LAST``, both included."""
    first, _, last = text.partition("-")
    try:
        ports = range(int(first), int(last or first) + 1)
    except ValueError:
        raise argparse.ArgumentTypeError(f"ports are FIRST-LAST, not {text!r}") from None
    if not ports or ports.start < 1 or ports.stop > 65536:
        raise argparse.ArgumentTypeError(f"no ports in {text!r}")
    return ports


class Person:
    """One signed-in browser: a cookie jar, the CSRF token, no redirects followed."""

    def __init__(self, base: str) -> None:
        self.base = base
        jar = http.cookiejar.CookieJar()

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args: Any, **kwargs: Any) -> None:
                return None

        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(jar), NoRedirect()
        )
        self.token = ""

    def request(
        self, path: str, data: bytes | None = None, content_type: str = ""
    ) -> tuple[int, str, str]:
        headers = {"Content-Type": content_type} if content_type else {}
        req = urllib.request.Request(self.base + path, data=data, headers=headers)
        try:
            with self.opener.open(req, timeout=60) as response:
                return response.status, response.read().decode(), ""
        except urllib.error.HTTPError as error:
            return (
                error.code,
                error.read().decode(errors="replace"),
                error.headers.get("Location", ""),
            )

    def get(self, path: str) -> tuple[int, str, str]:
        return self.request(path)

    def post(self, path: str, fields: dict[str, str]) -> tuple[int, str, str]:
        body = urllib.parse.urlencode({"csrf_token": self.token, **fields}).encode()
        return self.request(path, body, "application/x-www-form-urlencoded")

    def upload(self, path: str, name: str, content: bytes) -> tuple[int, str, str]:
        boundary = uuid.uuid4().hex
        parts = [
            f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n'
            f"{self.token}\r\n".encode(),
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n".encode(),
            content,
            f"\r\n--{boundary}--\r\n".encode(),
        ]
        return self.request(path, b"".join(parts), f"multipart/form-data; boundary={boundary}")

    def sign_in(self, email: str) -> None:
        status, html, _ = self.get("/sign-in")
        found = CSRF.search(html)
        assert status == 200 and found, status
        self.token = found.group(1)
        status, _, _ = self.post("/sign-in", {"email": email, "password": PASSWORD})
        assert status == 302, f"sign-in of {email}: {status}"
        status, html, _ = self.get("/projects/new")
        found = CSRF.search(html)
        assert found, status
        self.token = found.group(1)


def memory_of(pid: int) -> int:
    """Resident bytes of a process and all its descendants, from /proc."""
    total = 0
    children: dict[int, list[int]] = defaultdict(list)
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                children[int(fields[1])].append(int(entry.name))
            except (OSError, IndexError):
                continue
    stack = [pid]
    while stack:
        current = stack.pop()
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
        except OSError:
            pass
        stack += children.get(current, [])
    return total


def prepare(env: dict[str, str], users: int) -> None:
    """Analysts to sign in as (made in the database directly, as create-user would)."""
    code = (
        "import os\n"
        "from froi.web import create_app\n"
        "from froi.web.core.db import get_session\n"
        "from froi.web.accounts.store import create_user\n"
        "from froi.web.core.models import Organisation\n"
        "from sqlalchemy import select\n"
        "app = create_app()\n"
        "with app.app_context():\n"
        "    s = get_session()\n"
        "    org = s.scalars(select(Organisation).order_by(Organisation.id)).first()\n"
        f"    for i in range({users}):\n"
        f"        create_user(s, org, f'load{{i}}@la.example', 'analyst', {PASSWORD!r})\n"
        "    s.commit()\n"
    )
    subprocess.run(
        [str(BIN / "python"), "-c", code], env=env, check=True, capture_output=True, cwd=ROOT
    )


def start(server: str, env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    if server == "dev":
        command = [str(BIN / "flask"), "--app", "app", "run", "--port", str(port)]
        command += ["--no-reload", "--no-debugger", "--with-threads"]
    else:
        command = [str(BIN / "gunicorn"), "--config", "python:froi.web.serving", "app:app"]
    process = subprocess.Popen(
        command,
        env={**env, "PORT": str(port), "HOST": "127.0.0.1"},
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/sign-in", timeout=2):
                return process
        except (OSError, urllib.error.URLError):
            time.sleep(0.3)
    process.kill()
    raise SystemExit(f"the {server} server did not start on port {port}")


def stop(process: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(process.pid, signal.SIGKILL)


def seed(base: str, workbook: bytes, fifty: bytes) -> list[str]:
    """50 projects (a workbook confirmed), each one's results calculated once."""
    person = Person(base)
    person.sign_in("load0@la.example")
    status, _, location = person.upload("/batch/", "fifty.xlsx", fifty)
    assert status == 302, status
    check = urllib.parse.urlsplit(location).path
    status, html, _ = person.get(check)
    action = re.search(r'action="(/batch/\d+/confirm)"', html)
    assert action, html[-2000:]
    status, _, _ = person.post(action.group(1), {})
    assert status == 302, status
    status, html, _ = person.get("/projects/")
    projects = sorted(set(re.findall(r'href="(/projects/\d+)"', html)))
    for project in projects:
        status, _, _ = person.post(f"{project}/results", {})
        assert status in (302, 200), (project, status)
    return projects


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def one(person: Person, kind: str, project: str, workbook: bytes, tag: str) -> int:
    """One request of a kind; its status."""
    if kind == "results":
        return person.get(f"{project}/results")[0]
    if kind == "project":
        return person.get(project)[0]
    if kind == "portfolio":
        return person.get("/portfolio/")[0]
    if kind == "create":
        ref = f"{tag}-{uuid.uuid4().hex[:6]}"
        return person.post("/projects/new", {"project_id": ref, "name": ref})[0]
    return person.upload("/batch/", "ten.xlsx", workbook)[0]


def load(
    base: str, projects: list[str], users: int, seconds: float, cap: int, workbook: bytes, pid: int
) -> dict[str, Any]:
    people = []
    for i in range(users):
        person = Person(base)
        person.sign_in(f"load{i}@la.example")
        people.append(person)
    times: dict[str, list[float]] = defaultdict(list)
    errors: dict[str, list[str]] = defaultdict(list)
    count = [0]
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds
    peak = [memory_of(pid)]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], memory_of(pid))
            time.sleep(0.2)

    kinds = [k for k, w in MIX for _ in range(w)]
    # first, alone: one person, one request at a time, each kind ten times (the service
    # time without queueing, to read the concurrent figures against)
    alone: dict[str, float] = {}
    for kind, _ in MIX:
        spent = []
        for n in range(10):
            began = time.perf_counter()
            one(people[0], kind, projects[n % len(projects)], workbook, f"A{n}")
            spent.append(time.perf_counter() - began)
        alone[kind] = statistics.median(spent)

    def user(i: int, person: Person) -> None:
        rng = random.Random(i)
        n = 0
        while time.monotonic() < stop_at:
            with lock:
                if count[0] >= cap:
                    return
                count[0] += 1
            kind = rng.choice(kinds)
            project = rng.choice(projects)
            n += 1
            began = time.perf_counter()
            try:
                status = one(person, kind, project, workbook, f"L{i}-{n}")
                error = "" if status < 400 else f"HTTP {status}"
            except Exception as failure:
                error = type(failure).__name__
            elapsed = time.perf_counter() - began
            with lock:
                times[kind].append(elapsed)
                if error:
                    errors[kind].append(error)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    began = time.perf_counter()
    threads = [threading.Thread(target=user, args=(i, p)) for i, p in enumerate(people)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 120)
    wall = time.perf_counter() - began
    done.set()
    total = sum(len(v) for v in times.values())
    return {
        "requests": total,
        "throughput": total / wall,
        "errors": sum(len(v) for v in errors.values()),
        "error_kinds": {k: sorted(set(v)) for k, v in errors.items()},
        "peak_mb": peak[0] / 2**20,
        "alone": alone,
        "kinds": {
            kind: {
                "n": len(v),
                "p50": percentile(v, 50),
                "p95": percentile(v, 95),
                "p99": percentile(v, 99),
                "mean": statistics.fmean(v),
            }
            for kind, v in times.items()
        },
    }


def _psql(sql: str, *, check: bool) -> None:
    """Run one statement on the local PostgreSQL (trust auth), from its ``test`` database."""
    subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "test", "-c", sql],
        check=check,
        capture_output=True,
    )


def postgres_database() -> tuple[str, str]:
    name = f"froi_load_{uuid.uuid4().hex[:10]}"
    _psql(f'CREATE DATABASE "{name}"', check=True)
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}", name


def drop_postgres(name: str) -> None:
    _psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', check=False)


def report(label: str, result: dict[str, Any]) -> None:
    print(
        f"\n{label}: {result['requests']:,} requests, {result['throughput']:.1f}/s, "
        f"errors {result['errors']}, peak memory {result['peak_mb']:.0f} MB"
    )
    if result["error_kinds"]:
        print(f"  errors: {result['error_kinds']}")
    print(f"  {'kind':<10} {'n':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'alone':>8}  target")
    for kind, _ in MIX:
        k = result["kinds"].get(kind)
        if not k:
            continue
        target = TARGETS.get(kind)
        verdict = "" if target is None else ("met" if k["p95"] < target else "MISSED")
        print(
            f"  {kind:<10} {k['n']:>6} {k['p50'] * 1000:>8.0f} {k['p95'] * 1000:>8.0f} "
            f"{k['p99'] * 1000:>8.0f} {result['alone'].get(kind, 0) * 1000:>8.0f}  {verdict}"
        )


def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--max-requests", type=int, default=20_000)
    parser.add_argument("--servers", default="dev,gunicorn")
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument(
        "--ports", type=port_range, default=PORTS, help="FIRST-LAST (default 18200-18299)"
    )
    args = parser.parse_args()
    reference = load_reference()
    with tempfile.TemporaryDirectory() as folder:
        ten, fifty = Path(folder) / "ten.xlsx", Path(folder) / "fifty.xlsx"
        write_input_workbook(portfolio(reference, 10, 5, 5), ten, reference)
        write_input_workbook(portfolio(reference, 50, 5, 5), fifty, reference)
        workbook, fifty_bytes = ten.read_bytes(), fifty.read_bytes()
        for database in args.databases.split(","):
            results: dict[str, dict[str, Any]] = {}
            for server in args.servers.split(","):
                instance = Path(folder) / f"{database}-{server}"
                env = {
                    **os.environ,
                    "FROI_INSTANCE_PATH": str(instance),
                    "FROI_LOG_LEVEL": "WARNING",
                }
                env.pop("DATABASE_URL", None)
                pg_name = ""
                if database == "postgresql":
                    env["DATABASE_URL"], pg_name = postgres_database()
                try:
                    prepare(env, args.users)
                    port = free_port(args.ports)
                    process = start(server, env, port)
                    try:
                        base = f"http://127.0.0.1:{port}"
                        projects = seed(base, workbook, fifty_bytes)
                        results[server] = load(
                            base,
                            projects,
                            args.users,
                            args.seconds,
                            args.max_requests,
                            workbook,
                            process.pid,
                        )
                    finally:
                        stop(process)
                finally:
                    if pg_name:
                        drop_postgres(pg_name)
                report(f"{database}, {server} server", results[server])
                print(f"  load average after: {load_average()} ({os.cpu_count()} cores)")
            if "dev" in results and "gunicorn" in results:
                dev, gun = results["dev"], results["gunicorn"]
                print(f"\n{database}: gunicorn / development server")
                print(f"  throughput x{gun['throughput'] / dev['throughput']:.2f}")
                for kind, _ in MIX:
                    if kind in dev["kinds"] and kind in gun["kinds"]:
                        ratio = gun["kinds"][kind]["p95"] / dev["kinds"][kind]["p95"]
                        print(f"  {kind:<10} p95 x{ratio:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
