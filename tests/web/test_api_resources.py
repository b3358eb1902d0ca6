"""The API's projects, unit cost tables and portfolio: each endpoint, its errors and
its organisation boundary."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask import Flask

from froi.web.core.models import ADMIN, ANALYST, SITE_ADMIN, VIEWER

from .api_helpers import auth, problem
from .conftest import OTHER, SAMPLES


def sample(ref: str = "EOC-HUB") -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((SAMPLES / "edge_of_care_appraisal.json").read_text())
    doc["projects"][0]["project_id"] = ref
    return doc


@pytest.fixture
def analyst(app: Flask) -> dict[str, str]:
    return auth(app, ANALYST)


def _create(app: Flask, headers: dict[str, str], ref: str = "EOC-HUB") -> str:
    response = app.test_client().post("/api/v1/projects", json=sample(ref), headers=headers)
    assert response.status_code == 201, response.get_data(as_text=True)[:1000]
    return str(response.headers["Location"])


def test_projects_are_created_read_replaced_listed_and_deleted(
    app: Flask, analyst: dict[str, str]
) -> None:
    client = app.test_client()
    location = _create(app, analyst)
    body = client.get(location, headers=analyst).get_json()
    assert body["project_id"] == "EOC-HUB" and body["revision"] == 1
    assert body["input"]["projects"] == sample()["projects"]
    assert body["problems"] == []
    assert (
        "conflict"
        in problem(client.post("/api/v1/projects", json=sample(), headers=analyst), 409)["type"]
    )
    for ref in ("B-1", "B-2"):
        _create(app, analyst, ref)
    listed = client.get("/api/v1/projects?page_size=2", headers=analyst).get_json()
    assert listed["paging"]["total"] == 3 and len(listed["items"]) == 2
    found = client.get("/api/v1/projects?q=B-2", headers=analyst).get_json()
    assert [p["project_id"] for p in found["items"]] == ["B-2"]
    changed = sample()
    changed["projects"][0]["name"] = "Renamed"
    problem(client.put(location, json=changed, headers={**analyst, "If-Match": '"7"'}), 412)
    replaced = client.put(location, json=changed, headers={**analyst, "If-Match": '"1"'})
    assert replaced.status_code == 200 and replaced.get_json()["name"] == "Renamed"
    problem(client.put(location, json=sample("B-1"), headers=analyst), 409)
    results = client.get(f"{location}/results?simulations=20", headers=analyst)
    assert results.status_code == 200
    assert results.get_json()["projects"][0]["project_id"] == "EOC-HUB"
    assert client.delete(location, headers=analyst).status_code == 204
    problem(client.get(location, headers=analyst), 404)


def test_a_project_with_problems_or_two_projects_is_422(
    app: Flask, analyst: dict[str, str]
) -> None:
    client = app.test_client()
    bad = sample()
    bad["projects"][0]["costs"][0]["amount"] = -5
    body = problem(client.post("/api/v1/projects", json=bad, headers=analyst), 422)
    assert body["errors"][0]["path"] == "projects[0].costs[0].amount"
    two = sample()
    two["projects"].append({**two["projects"][0], "project_id": "OTHER"})
    assert (
        "exactly one project"
        in problem(client.post("/api/v1/projects", json=two, headers=analyst), 422)["detail"]
    )
    problem(
        client.post("/api/v1/projects", data="x", content_type="text/plain", headers=analyst), 415
    )


def test_projects_of_another_organisation_are_404_and_a_viewer_only_reads(
    app: Flask, analyst: dict[str, str]
) -> None:
    client = app.test_client()
    location = _create(app, analyst)
    other = auth(app, SITE_ADMIN, OTHER)
    assert client.get("/api/v1/projects", headers=other).get_json()["items"] == []
    for method in ("get", "put", "delete"):
        problem(client.open(location, method=method.upper(), json=sample(), headers=other), 404)
    problem(client.get(f"{location}/results", headers=other), 404)
    viewer = auth(app, VIEWER)
    assert client.get(location, headers=viewer).status_code == 200
    assert client.get(f"{location}/results", headers=viewer).status_code == 200
    problem(client.post("/api/v1/projects", json=sample("V"), headers=viewer), 403)
    problem(client.put(location, json=sample(), headers=viewer), 403)
    problem(client.delete(location, headers=viewer), 403)


def test_unit_cost_tables_versions_codes_and_csv(app: Flask, analyst: dict[str, str]) -> None:
    client = app.test_client()
    tables = client.get("/api/v1/unit-cost-tables", headers=analyst).get_json()
    national = tables["items"][0]
    assert national["in_use"] and national["scope"] == "national"
    version = client.get(national["url"], headers=analyst).get_json()
    assert version["row_count"] > 100
    csv = client.get(national["url"], headers={**analyst, "Accept": "text/csv"})
    assert csv.mimetype == "text/csv"
    assert len(csv.get_data(as_text=True).splitlines()) == version["row_count"] + 1
    codes = client.get(f"{national['url']}/codes?page_size=5", headers=analyst).get_json()
    assert codes["paging"]["total"] == version["row_count"] and len(codes["items"]) == 5
    code = codes["items"][0]["code"]
    one = client.get(f"{national['url']}/codes/{code}", headers=analyst).get_json()
    assert one["code"] == code and one["value_at_base_year"] > 0
    problem(client.get(f"{national['url']}/codes/NO-SUCH", headers=analyst), 404)
    problem(client.get("/api/v1/unit-cost-tables/Nothing/versions/1", headers=analyst), 404)


def test_a_table_is_imported_by_its_role(app: Flask, analyst: dict[str, str]) -> None:
    client = app.test_client()
    national = client.get("/api/v1/unit-cost-tables", headers=analyst).get_json()["items"][0]
    lines = (
        client.get(national["url"], headers={**analyst, "Accept": "text/csv"})
        .get_data(as_text=True)
        .splitlines()
    )
    body = ("\n".join(lines[:3]) + "\n").encode()

    def send(headers: dict[str, str], **form: Any) -> Any:
        import io

        data = {"file": (io.BytesIO(body), "ours.csv"), **form}
        return client.post(
            "/api/v1/unit-cost-tables",
            data=data,
            headers=headers,
            content_type="multipart/form-data",
        )

    local = {
        "name": "Ours",
        "version": "L1",
        "parent_name": national["name"],
        "parent_version": national["version"],
    }
    problem(send(analyst, **local), 403)
    admin = auth(app, ADMIN)
    made = send(admin, **local, publish="true")
    assert made.status_code == 201, made.get_data(as_text=True)[:1000]
    assert made.get_json()["status"] == "published" and made.get_json()["scope"] == "local"
    problem(send(admin, **local), 409)
    problem(send(admin, name="National", version="N1"), 403)  # national: site administrators
    assert "version" in {e["field"] for e in problem(send(admin, name="x"), 422)["errors"]}
    problem(send(admin, **{**local, "version": "L2", "colour": "red"}), 422)
    # another organisation does not see the local table
    other = auth(app, ANALYST, OTHER)
    problem(client.get(made.headers["Location"], headers=other), 404)


def test_the_portfolio_with_the_pages_filters(app: Flask, analyst: dict[str, str]) -> None:
    client = app.test_client()
    for ref in ("P-1", "P-2", "Q-3"):
        _create(app, analyst, ref)
    body = client.get("/api/v1/portfolio?sort=-froi&page_size=2", headers=analyst).get_json()
    assert body["paging"]["total"] == 3 and len(body["items"]) == 2
    assert body["run"] is None  # read from stored summaries: a GET records no run
    froi = [r["froi"] for r in body["items"]]
    assert froi == sorted(froi, reverse=True)
    only = client.get("/api/v1/portfolio?q=Q-3&mode=appraisal", headers=analyst).get_json()
    assert [r["project_id"] for r in only["items"]] == ["Q-3"]
    bad = problem(client.get("/api/v1/portfolio?sort=colour&base_year=1800", headers=analyst), 422)
    assert {e["field"] for e in bad["errors"]} == {"sort", "base_year"}
    problem(client.get("/api/v1/portfolio?mode=other", headers=analyst), 422)
    assert (
        client.get("/api/v1/portfolio", headers=auth(app, VIEWER, OTHER)).get_json()["items"] == []
    )


def test_a_reference_taken_meanwhile_is_409_and_nothing_is_saved(
    app: Flask, analyst: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two requests creating the same reference at once: the database's unique
    constraint refuses the second, which answers 409 rather than 500."""
    from froi.web.api import projects

    _create(app, analyst)
    monkeypatch.setattr(projects, "_taken", lambda *args: None)  # both passed the check
    body = problem(app.test_client().post("/api/v1/projects", json=sample(), headers=analyst), 409)
    assert "taken by another project meanwhile" in body["detail"]
    listed = app.test_client().get("/api/v1/projects", headers=analyst).get_json()
    assert listed["paging"]["total"] == 1


def test_a_projects_results_are_its_stored_run_when_one_matches(
    app: Flask, analyst: dict[str, str]
) -> None:
    from froi.web.core.db import get_session
    from froi.web.core.models import Project
    from froi.web.core.running import compute_project

    client = app.test_client()
    location = _create(app, analyst)
    with app.app_context():
        session = get_session()
        project = session.get(Project, int(location.rsplit("/", 1)[1]))
        assert project is not None
        run = compute_project(session, project, {"simulations": 20})
        # A mark no fresh computation could give: the answer must be read from the run.
        run.results = {**run.results, "run": {**run.results["run"], "computed_at": "2001-01-01"}}
        session.commit()
        stored = run.results
    assert client.get(f"{location}/results?simulations=20", headers=analyst).get_json() == stored
    fresh = client.get(f"{location}/results?simulations=21", headers=analyst).get_json()
    assert fresh["run"]["computed_at"] != "2001-01-01"
    assert fresh["run"]["settings"]["simulations"] == 21
