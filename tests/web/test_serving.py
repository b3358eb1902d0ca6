"""Serving for a council: health checks, request ids, JSON logs, the settings table, and
``make serve`` (gunicorn) started for real on a free port."""

from __future__ import annotations

import json
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from bench.common import free_port
from froi.web.core import observe
from froi.web.core.db import make_database

ROOT = Path(__file__).resolve().parents[2]


def test_healthz_needs_no_sign_in(app: Flask) -> None:
    response = app.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_readyz_checks_the_database_and_the_queue(app: Flask) -> None:
    response = app.test_client().get("/readyz")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json() == {"status": "ok", "checked": ["database", "queue"]}


def test_readyz_is_503_while_the_database_is_down_and_recovers(app: Flask) -> None:
    """A database that refuses connections (a closed port, as a stopped server does)."""
    good = app.extensions["froi"]["db"]
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()  # nothing listens there now
    down = make_database(f"postgresql+psycopg://postgres@127.0.0.1:{port}/froi?connect_timeout=2")
    client = app.test_client()
    app.extensions["froi"]["db"] = down
    try:
        response = client.get("/readyz")
        assert response.status_code == 503
        assert response.get_json() == {
            "status": "unavailable",
            "failed": {"database": "unreachable"},
        }
        assert response.headers["Retry-After"]
        assert client.get("/healthz").status_code == 200  # alive, just not ready
    finally:
        app.extensions["froi"]["db"] = good
        down.engine.dispose()
    assert client.get("/readyz").status_code == 200


def test_a_request_id_is_honoured_or_made_and_returned(
    client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="froi.request"):
        sent = client.get("/projects/", headers={"X-Request-ID": "lb-7f3a.2:x"})
    assert sent.headers["X-Request-ID"] == "lb-7f3a.2:x"
    lines = [r for r in caplog.records if r.name == "froi.request"]
    assert [(r.request_id, r.status, r.path) for r in lines] == [  # type: ignore[attr-defined]
        ("lb-7f3a.2:x", 200, "/projects/")
    ]
    for hostile in ("two words", "x" * 129, 'quote"', "tab\there", "é", ""):
        made = client.get("/projects/", headers={"X-Request-ID": hostile})
        assert re.fullmatch(r"[0-9a-f]{32}", made.headers["X-Request-ID"]), hostile
    a, b = client.get("/healthz"), client.get("/healthz")
    assert a.headers["X-Request-ID"] != b.headers["X-Request-ID"]


def test_a_refused_request_is_logged_with_its_id_too(
    app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="froi.request"):
        response = app.test_client().get("/projects/", headers={"X-Request-ID": "r1"})
    assert response.status_code == 302  # to the sign-in page
    assert response.headers["X-Request-ID"] == "r1"
    assert [(r.request_id, r.status) for r in caplog.records if r.name == "froi.request"] == [  # type: ignore[attr-defined]
        ("r1", 302)
    ]


def test_json_lines_carry_the_context() -> None:
    formatter = observe.formatter("json")
    record = logging.LogRecord("froi.x", logging.WARNING, __file__, 1, "disk %s", ("full",), None)
    record.request_id, record.job_id = "abc", None
    line = json.loads(formatter.format(record))
    assert line["message"] == "disk full"
    assert (line["level"], line["logger"], line["request_id"]) == ("WARNING", "froi.x", "abc")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4}", line["time"])
    with pytest.raises(ValueError, match="json or text"):
        observe.configure("xml")


#: Flask's own keys and internals that are not deployment settings.
NOT_SETTINGS = {"TESTING", "SERVER_NAME", "SESSION_COOKIE_SECURE", "MAX_CONTENT_LENGTH"}
#: Where code reads a setting: the app's config, or the environment.
READS = re.compile(
    r"""(?:config(?:\.get\(|\[|\.setdefault\()|environ(?:\.get\(|\[|\.setdefault\()|"""
    r"""_number\(|_above\()\s*"([A-Z][A-Z0-9_]+)\""""
)


def test_every_setting_the_code_reads_is_in_the_one_table() -> None:
    table = (ROOT / "docs" / "deployment.md").read_text(encoding="utf-8")
    section = table.split("## Settings", 1)[1]
    documented = set(re.findall(r"^\| `([A-Z0-9_]+)`", section, re.M))
    documented |= set(re.findall(r", `([A-Z0-9_]+)`", section))  # rows naming several
    read: dict[str, str] = {}
    for path in [*(ROOT / "froi").rglob("*.py"), ROOT / "app.py"]:
        for name in READS.findall(path.read_text(encoding="utf-8")):
            read.setdefault(name, str(path.relative_to(ROOT)))
    assert len(read) > 15, read  # the pattern finds them
    missing = {
        name: where
        for name, where in read.items()
        if name not in NOT_SETTINGS and name not in documented and f"FROI_{name}" not in documented
    }
    assert not missing, f"settings read but not in docs/deployment.md's table: {missing}"
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "docs/deployment.md" in readme


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_make_serve_runs_gunicorn_with_health_checks_and_json_logs(tmp_path: Path) -> None:
    """The command of docs/deployment.md, as a council would start it, on a fresh folder."""
    port = free_port()
    env = {
        **os.environ,
        "PORT": str(port),
        "WEB_CONCURRENCY": "2",
        "FROI_INSTANCE_PATH": str(tmp_path / "instance"),
    }
    env.pop("DATABASE_URL", None)
    gunicorn = Path(sys.executable).parent / "gunicorn"
    server = subprocess.Popen(
        [str(gunicorn), "--config", "python:froi.web.serving", "app:app"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                status, headers, body = _get(f"{base}/readyz", {"X-Request-ID": "probe-1"})
                break
            except OSError:
                assert server.poll() is None, server.communicate()
                assert time.monotonic() < deadline, "gunicorn did not start in 60 s"
                time.sleep(0.3)
        assert status == 200, body
        assert json.loads(body)["checked"] == ["database", "queue"]
        assert headers["X-Request-ID"] == "probe-1"
        assert headers["Server"] == "froi"
        status, headers, _ = _get(f"{base}/sign-in")
        assert status == 200
        assert re.fullmatch(r"[0-9a-f]{32}", headers["X-Request-ID"])
    finally:
        server.send_signal(signal.SIGTERM)
        out, err = server.communicate(timeout=30)
    assert server.returncode == 0, err[-2000:]
    # the first start printed where to sign in, at gunicorn's address, once
    assert f"address:  http://127.0.0.1:{port}/sign-in" in out
    assert out.count("Created the site administrator") == 1
    lines = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    assert len(lines) == len(err.splitlines()), err[-2000:]  # every line is JSON
    requests = [line for line in lines if line["logger"] == "froi.request"]
    probe = [line for line in requests if line["request_id"] == "probe-1"]
    assert len(probe) == 1, requests  # once, not once per handler
    assert (probe[0]["path"], probe[0]["status"]) == ("/readyz", 200)
    assert any(line["logger"] == "gunicorn.error" for line in lines)


def test_a_jobs_log_lines_carry_its_id() -> None:
    record = logging.LogRecord("froi.x", logging.INFO, __file__, 1, "working", (), None)
    with observe.job_context(42):
        observe.ContextFilter().filter(record)
    assert (record.request_id, record.job_id) == ("", 42)  # type: ignore[attr-defined]
    outside = logging.LogRecord("froi.x", logging.INFO, __file__, 1, "idle", (), None)
    observe.ContextFilter().filter(outside)
    assert outside.job_id is None  # type: ignore[attr-defined]
    line = json.loads(observe.formatter("json").format(record))
    assert line["job_id"] == 42
    assert observe.formatter("text").format(record).endswith("working [job 42]")


PORT_RANGE = "a whole number from 1 to 65535"
ONE_OR_MORE = "a whole number, 1 or more"
CONCURRENCY = "WEB_CONCURRENCY (gunicorn worker processes)"
THREADS = "WEB_THREADS (threads in each worker process)"


@pytest.mark.parametrize(
    ("setting", "value", "message"),
    [
        ("PORT", "eighty", f"PORT (the port gunicorn listens on) must be {PORT_RANGE}"),
        ("PORT", "70000", f"PORT (the port gunicorn listens on) must be {PORT_RANGE}"),
        ("WEB_CONCURRENCY", "0", f"{CONCURRENCY} must be {ONE_OR_MORE}"),
        ("WEB_CONCURRENCY", "\u0663", f"{CONCURRENCY} must be {ONE_OR_MORE}"),
        ("WEB_THREADS", "2.5", f"{THREADS} must be {ONE_OR_MORE}"),
        ("WEB_TIMEOUT", "-5", f"WEB_TIMEOUT (seconds a request may take) must be {ONE_OR_MORE}"),
    ],
)  # fmt: skip
def test_a_bad_serving_setting_stops_make_serve_saying_what_is_accepted(
    setting: str, value: str, message: str, tmp_path: Path
) -> None:
    """``make serve`` with a bad setting stops before it starts anything, and says which
    variable, what it sets and what it accepts."""
    env = {**os.environ, "FROI_INSTANCE_PATH": str(tmp_path / "instance"), setting: value}
    gunicorn = Path(sys.executable).parent / "gunicorn"
    done = subprocess.run(
        [str(gunicorn), "--config", "python:froi.web.serving", "app:app"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode != 0
    last = done.stderr.strip().splitlines()[-1]
    assert last == f"{message}, not {value!r}", done.stderr[-2000:]
    assert not (tmp_path / "instance").exists()  # nothing was started or created


def test_serving_settings_take_whole_numbers_and_their_defaults(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from froi.web import serving

    monkeypatch.setenv("WEB_THREADS", " 8 ")
    assert serving._number("WEB_THREADS", 4, "threads") == 8
    monkeypatch.setenv("WEB_THREADS", "")
    assert serving._number("WEB_THREADS", 4, "threads") == 4
    monkeypatch.setenv("PORT", "65535")
    assert serving._number("PORT", 8000, "port", 65535) == 65535
    monkeypatch.setenv("PORT", "1_000")
    with pytest.raises(SystemExit, match="PORT \\(port\\) must be a whole number from 1 to 65535"):
        serving._number("PORT", 8000, "port", 65535)


def test_free_port_is_one_helper_that_skips_taken_ports() -> None:
    """Tests and benchmarks find a port with bench.common.free_port, written once."""
    copies = [
        str(path.relative_to(ROOT))
        for folder in ("tests", "bench")
        for path in (ROOT / folder).rglob("*.py")
        if re.search(r"^\s*def _?free_port\(", path.read_text(encoding="utf-8"), re.M)
    ]
    assert copies == ["bench/common.py"]
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        port = int(taken.getsockname()[1])
        with pytest.raises(RuntimeError, match=f"no free port in {port}-{port}"):
            free_port(range(port, port + 1))
        found = free_port(range(port, port + 50))
        assert found in range(port + 1, port + 50)
    assert free_port(range(port, port + 1)) == port  # released: free again
