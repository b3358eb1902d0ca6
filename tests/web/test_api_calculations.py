"""The API's tokens, POST /calculations and /workbooks, runs and their errors."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from openpyxl import load_workbook
from sqlalchemy import select

from calculator.engine import compute
from froi.web.core.db import get_session
from froi.web.core.models import ANALYST, VIEWER, ApiToken, AuditEvent, Run, User
from froi.web.core.reference import current_table, reference_for

from .api_helpers import XLSX, auth, problem, token_for
from .conftest import OTHER, SAMPLES, make_user, sign_in
from .pages import page

EDGE = SAMPLES / "edge_of_care_appraisal.json"
WORKBOOK = SAMPLES / "edge_of_care_appraisal.xlsx"
BAD_WORKBOOK = Path(__file__).resolve().parents[1] / "data" / "workbooks" / "rate_45.xlsx"


def sample() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(EDGE.read_text())
    return doc


@pytest.fixture
def analyst(app: Flask) -> dict[str, str]:
    return auth(app, ANALYST)


# --- tokens -------------------------------------------------------------------------


def test_without_a_token_every_endpoint_is_401(app: Flask) -> None:
    client = app.test_client()
    spec = client.get("/api/v1/openapi.json").get_json()
    for path, operations in spec["paths"].items():
        url = path.replace("{run_id}", "1").replace("{project_id}", "1")
        url = url.replace("{name}", "x").replace("{version}", "1").replace("{code}", "x")
        for method in set(operations) & {"get", "post", "put", "delete"}:
            response = client.open(url, method=method.upper())
            body = problem(response, 401)
            assert "Bearer" in body["detail"]
            assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_bad_revoked_or_deactivated_token_is_401(app: Flask) -> None:
    user = make_user(app, ANALYST)
    token = token_for(app, user)
    client = app.test_client()
    for header in ("Bearer froi_nothing", "Basic abc", "Bearer", token):
        problem(client.get("/api/v1/runs", headers={"Authorization": header}), 401)
    assert (
        client.get("/api/v1/runs", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    )
    with app.app_context():
        session = get_session()
        row = session.scalars(select(ApiToken)).one()
        assert token not in (row.token_sha256, row.prefix)  # stored hashed
        assert row.last_used_at is not None
        owner = session.get(User, user.id)
        assert owner is not None
        owner.active = False
        session.commit()
    problem(client.get("/api/v1/runs", headers={"Authorization": f"Bearer {token}"}), 401)


def test_the_session_cookie_does_not_reach_the_api(app: Flask, client: FlaskClient) -> None:
    """A signed-in browser is not signed in to the API (so the API needs no CSRF token)."""
    problem(client.get("/api/v1/runs"), 401)
    problem(client.post("/api/v1/calculations", json=sample()), 401)


def test_tokens_are_made_listed_and_revoked_on_the_account_page(app: Flask) -> None:
    user = make_user(app, VIEWER)
    client = app.test_client()
    sign_in(client, user.email)
    form = page(client.get("/account/tokens/")).hidden()
    missing = client.post("/account/tokens/", data={**form, "name": ""})
    assert "Enter a name for the token" in missing.get_data(as_text=True)
    made = client.post("/account/tokens/", data={**form, "name": "Warehouse"})
    html = made.get_data(as_text=True)
    token = html.split('id="new-token">', 1)[1].split("<", 1)[0]
    assert token.startswith("froi_") and len(token) > 40
    headers = {"Authorization": f"Bearer {token}"}
    assert app.test_client().get("/api/v1/runs", headers=headers).status_code == 200
    listed = client.get("/account/tokens/").get_data(as_text=True)
    assert "Warehouse" in listed and token not in listed  # shown once only
    assert "Never" not in listed  # last used is shown
    with app.app_context():
        row = get_session().scalars(select(ApiToken)).one()
        actions = set(get_session().scalars(select(AuditEvent.action)))
    assert "token.created" in actions
    revoked = client.post(f"/account/tokens/{row.id}/revoke", data=form)
    assert revoked.status_code == 302
    problem(app.test_client().get("/api/v1/runs", headers=headers), 401)
    # another user's token is not found
    other = app.test_client()
    sign_in(other, make_user(app, ANALYST, email="b@la.example").email)
    assert (
        other.post(
            f"/account/tokens/{row.id}/revoke", data=page(other.get("/account/tokens/")).hidden()
        ).status_code
        == 404
    )


def test_create_token_prints_a_token(app: Flask, runner: FlaskCliRunner) -> None:
    user = make_user(app, ANALYST)
    result = runner.invoke(args=["create-token", user.email, "--name", "script"])
    assert result.exit_code == 0, result.output
    token = result.output.strip()
    response = app.test_client().get("/api/v1/runs", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    missing = runner.invoke(args=["create-token", "nobody@la.example"])
    assert missing.exit_code != 0 and "no active user" in missing.output


def test_the_rate_limit_is_429_with_retry_after(app: Flask, analyst: dict[str, str]) -> None:
    app.config["API_RATE_LIMIT"] = 3
    client = app.test_client()
    for _ in range(3):
        assert client.get("/api/v1/runs", headers=analyst).status_code == 200
    body = problem(client.get("/api/v1/runs", headers=analyst), 429)
    assert "more than 3 requests" in body["detail"]
    assert int(client.get("/api/v1/runs", headers=analyst).headers["Retry-After"]) >= 1


# --- POST /calculations -------------------------------------------------------------


def test_a_calculation_is_computed_and_recorded(app: Flask, analyst: dict[str, str]) -> None:
    client = app.test_client()
    response = client.post(
        "/api/v1/calculations?simulations=50&seed=4", json=sample(), headers=analyst
    )
    assert response.status_code == 201, response.get_data(as_text=True)[:1000]
    body = response.get_json()
    location = response.headers["Location"]
    assert body["run"]["url"] == location == f"/api/v1/runs/{body['run']['id']}"
    assert body["run"]["settings"]["simulations"] == 50
    # the figures are the engine's, as `froi compute` prints them
    doc = sample()
    doc["settings"] = {**doc.get("settings", {}), "simulations": 50, "seed": 4}
    with app.app_context():
        expected = compute(doc, reference_for(current_table(get_session()))).to_dict()
        run = get_session().get(Run, body["run"]["id"])
        assert run is not None and run.input_doc == doc
    assert body["projects"] == json.loads(json.dumps(expected["projects"]))
    fetched = client.get(location, headers=analyst).get_json()
    assert fetched["results"]["projects"] == body["projects"]
    assert fetched["input"] == doc


def test_problems_are_listed_with_their_json_paths(app: Flask, analyst: dict[str, str]) -> None:
    doc = sample()
    doc["projects"][0]["costs"][0]["amount"] = "lots"
    doc["projects"][0]["colour"] = "blue"
    body = problem(app.test_client().post("/api/v1/calculations", json=doc, headers=analyst), 422)
    paths = {e["path"]: e for e in body["errors"]}
    assert "amount must be a number" in paths["projects[0].costs[0].amount"]["message"]
    assert "unknown key 'colour'" in paths["projects[0].colour"]["message"]
    assert body["type"].endswith("invalid-input")
    with app.app_context():
        assert get_session().scalars(select(Run)).first() is None  # nothing recorded


@pytest.mark.parametrize(
    ("body", "content_type", "status", "words"),
    [
        (b"{not json", "application/json", 400, "is not valid JSON"),
        (b"[" * 50 + b"]" * 50, "application/json", 400, "50 deep"),
        (b'{"projects": [{"x": NaN}]}', "application/json", 400, "NaN"),
        (b"project_id,name", "text/csv", 415, "Content-Type: application/json"),
        (b"[]", "application/json", 422, "must be a JSON object"),
    ],
)
def test_bad_bodies_are_4xx(
    app: Flask, analyst: dict[str, str], body: bytes, content_type: str, status: int, words: str
) -> None:
    response = app.test_client().post(
        "/api/v1/calculations", data=body, content_type=content_type, headers=analyst
    )
    assert words in problem(response, status)["detail"]


def test_limits_are_413_and_422(app: Flask, analyst: dict[str, str]) -> None:
    client = app.test_client()
    app.config["API_MAX_JSON_BYTES"] = 1000
    big = json.dumps({"projects": [{"name": "x" * 2000}]})
    assert (
        "at most 1,000 bytes"
        in problem(
            client.post(
                "/api/v1/calculations", data=big, content_type="application/json", headers=analyst
            ),
            413,
        )["detail"]
    )
    app.config["API_MAX_JSON_BYTES"] = 5_000_000
    app.config["API_MAX_ROWS"] = 3
    assert (
        "at most 3"
        in problem(client.post("/api/v1/calculations", json=sample(), headers=analyst), 422)[
            "detail"
        ]
    )
    app.config["API_MAX_ROWS"] = 50_000
    app.config["API_MAX_SIMULATIONS"] = 1000
    body = problem(
        client.post("/api/v1/calculations?simulations=1001", json=sample(), headers=analyst), 422
    )
    assert body["errors"][0]["path"] == "settings.simulations"
    app.config["API_MAX_SIMULATION_DRAWS"] = 10
    doc = sample()
    doc["projects"] = doc["projects"] * 2
    assert (
        "draws"
        in problem(
            client.post("/api/v1/calculations?simulations=6", json=doc, headers=analyst), 422
        )["detail"]
    )
    app.config["API_MAX_SIMULATION_DRAWS"] = 5_000_000
    app.config["API_MAX_BOOTSTRAP_DRAWS"] = 1000
    case_level = json.loads((SAMPLES / "enfield_case_level.json").read_text())
    over = problem(client.post("/api/v1/calculations", json=case_level, headers=analyst), 422)
    assert over["errors"][0]["path"] == "settings.bootstrap_resamples"
    bad = problem(
        client.post(
            "/api/v1/calculations?simulations=-1&seed=x&extra=1", json=sample(), headers=analyst
        ),
        422,
    )
    assert {e["field"] for e in bad["errors"]} == {"simulations", "seed", "extra"}


def test_a_viewer_may_not_compute(app: Flask) -> None:
    headers = auth(app, VIEWER)
    body = problem(
        app.test_client().post("/api/v1/calculations", json=sample(), headers=headers), 403
    )
    assert "analyst" in body["detail"]


# --- runs ---------------------------------------------------------------------------


def _run(app: Flask, headers: dict[str, str]) -> int:
    response = app.test_client().post("/api/v1/calculations", json=sample(), headers=headers)
    assert response.status_code == 201
    return int(response.get_json()["run"]["id"])


def test_runs_are_listed_a_page_at_a_time(app: Flask, analyst: dict[str, str]) -> None:
    ids = [_run(app, analyst) for _ in range(3)]
    client = app.test_client()
    first = client.get("/api/v1/runs?page_size=2", headers=analyst).get_json()
    assert [r["id"] for r in first["items"]] == ids[::-1][:2]
    assert first["paging"] == {"page": 1, "page_size": 2, "total": 3, "pages": 2}
    second = client.get("/api/v1/runs?page_size=2&page=2", headers=analyst).get_json()
    assert [r["id"] for r in second["items"]] == [ids[0]]
    for query in ("page=0", "page_size=101", "page=x", "page=100001", "colour=red"):
        problem(client.get(f"/api/v1/runs?{query}", headers=analyst), 422)


def test_another_organisations_run_is_404(app: Flask, analyst: dict[str, str]) -> None:
    run_id = _run(app, analyst)
    other = auth(app, ANALYST, OTHER)
    client = app.test_client()
    assert client.get("/api/v1/runs", headers=other).get_json()["items"] == []
    problem(client.get(f"/api/v1/runs/{run_id}", headers=other), 404)
    problem(client.post(f"/api/v1/runs/{run_id}/rerun", headers=other), 404)
    problem(client.get("/api/v1/runs/99999999999", headers=analyst), 404)


def test_a_run_downloads_as_the_results_workbook(app: Flask, analyst: dict[str, str]) -> None:
    run_id = _run(app, analyst)
    response = app.test_client().get(f"/api/v1/runs/{run_id}", headers={**analyst, "Accept": XLSX})
    assert response.status_code == 200 and response.mimetype == XLSX
    book = load_workbook(io.BytesIO(response.data), read_only=True)
    assert "Summary" in book.sheetnames


def test_a_rerun_reproduces_and_a_viewer_may_not(app: Flask, analyst: dict[str, str]) -> None:
    run_id = _run(app, analyst)
    client = app.test_client()
    for tables in ("stored", "current"):
        response = client.post(f"/api/v1/runs/{run_id}/rerun?tables={tables}", headers=analyst)
        assert response.status_code == 201
        body = response.get_json()
        assert body["rerun_of"] == run_id and body["reproduced"] is True
        assert body["differences"] == []
    problem(client.post(f"/api/v1/runs/{run_id}/rerun?tables=other", headers=analyst), 422)
    problem(client.post(f"/api/v1/runs/{run_id}/rerun", headers=auth(app, VIEWER)), 403)


# --- POST /workbooks ----------------------------------------------------------------


def _upload(app: Flask, headers: dict[str, str], path: Path, **extra: Any) -> Any:
    with path.open("rb") as fh:
        data = {"file": (fh, path.name), **extra}
        return app.test_client().post(
            "/api/v1/workbooks", data=data, headers=headers, content_type="multipart/form-data"
        )


def test_a_workbook_is_computed_as_json_or_a_workbook(app: Flask, analyst: dict[str, str]) -> None:
    response = _upload(app, analyst, WORKBOOK)
    assert response.status_code == 201, response.get_data(as_text=True)[:1000]
    body = response.get_json()
    assert body["projects"][0]["project_id"] == "EOC-HUB"
    assert response.headers["Location"] == body["run"]["url"]
    as_book = _upload(app, {**analyst, "Accept": XLSX}, WORKBOOK)
    assert as_book.status_code == 201 and as_book.mimetype == XLSX
    assert "Summary" in load_workbook(io.BytesIO(as_book.data), read_only=True).sheetnames


def test_a_workbooks_problems_name_sheet_and_cell(app: Flask, analyst: dict[str, str]) -> None:
    body = problem(_upload(app, analyst, BAD_WORKBOOK), 422)
    cells = {(e["sheet"], e["cell"]): e["message"] for e in body["errors"]}
    assert any(sheet == "Outcomes" and "did you mean 45%" in m for (sheet, _), m in cells.items())
    assert all(e["cell"] for e in body["errors"])


def test_bad_uploads_are_4xx(app: Flask, analyst: dict[str, str], tmp_path: Path) -> None:
    text = tmp_path / "input.xlsx"
    text.write_text("not a workbook")
    assert problem(_upload(app, analyst, text), 422)["type"].endswith("workbook-refused")
    csv = tmp_path / "input.csv"
    csv.write_text("a,b")
    assert ".xlsx or .xlsm" in problem(_upload(app, analyst, csv), 422)["detail"]
    extra = problem(_upload(app, analyst, WORKBOOK, colour="red"), 422)
    assert extra["errors"][0]["field"] == "colour"
    problem(app.test_client().post("/api/v1/workbooks", json={}, headers=analyst), 415)
    problem(_upload(app, auth(app, VIEWER), WORKBOOK), 403)


def test_a_full_disk_is_a_503_problem(app: Flask, analyst: dict[str, str], backend: str) -> None:
    """A storage failure answers an API request as a problem document, not the page."""
    if backend != "sqlite":
        pytest.skip("a full disk is simulated with SQLite's page limit")
    from sqlalchemy import event

    database = app.extensions["froi"]["db"]
    with database.engine.connect() as connection:
        connection.exec_driver_sql("VACUUM")
        pages = int(connection.exec_driver_sql("PRAGMA page_count").scalar() or 0)

    def limit(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute(f"PRAGMA max_page_count = {pages}")

    database.engine.dispose()
    event.listen(database.engine, "connect", limit)
    try:
        client = app.test_client()
        for _ in range(50):
            response = client.post("/api/v1/calculations", json=sample(), headers=analyst)
            if response.status_code == 503:
                break
    finally:
        event.remove(database.engine, "connect", limit)
        database.engine.dispose()
    body = problem(response, 503)
    assert "storage is full" in body["detail"]
    assert response.headers["Retry-After"]


def test_the_rate_limit_is_shared_by_every_process(app: Flask, analyst: dict[str, str]) -> None:
    """Two apps on one database (two gunicorn workers) count against the same limit."""
    from froi.web import create_app

    app.config["API_RATE_LIMIT"] = 4
    other = create_app(
        {**app.config, "DATABASE_URL": app.config["DATABASE_URL"]},
        instance_path=app.instance_path,
    )
    other.config["API_RATE_LIMIT"] = 4
    try:
        clients = (app.test_client(), other.test_client())
        answers = [
            clients[i % 2].get("/api/v1/runs", headers=analyst).status_code for i in range(6)
        ]
    finally:
        other.extensions["froi"]["db"].engine.dispose()
    assert answers == [200, 200, 200, 200, 429, 429]


def test_a_body_without_a_length_is_held_to_the_limit(app: Flask, analyst: dict[str, str]) -> None:
    app.config["API_MAX_JSON_BYTES"] = 1000
    body = json.dumps({"projects": [{"name": "x" * 5000}]}).encode()
    response = app.test_client().post(
        "/api/v1/calculations",
        input_stream=io.BytesIO(body),
        headers={**analyst, "Content-Type": "application/json", "Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},  # as a server reading chunks says
    )
    assert "at most 1,000 bytes" in problem(response, 413)["detail"]
