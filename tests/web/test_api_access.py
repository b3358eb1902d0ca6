"""The API's boundaries, from its own document: every operation with an id answers 404
to another organisation, and every operation that changes something answers 403 to a
viewer, naming the role it needs."""

from __future__ import annotations

import json
from typing import Any

from flask import Flask

from froi.web.core.models import ADMIN, ANALYST, SITE_ADMIN, VIEWER

from .api_helpers import auth, problem
from .conftest import OTHER, SAMPLES

#: What each write operation needs (the pages' roles: docs/web.md).
WRITES = {
    ("post", "/api/v1/calculations"): ANALYST,
    ("post", "/api/v1/workbooks"): ANALYST,
    ("post", "/api/v1/runs/{run_id}/rerun"): ANALYST,
    ("post", "/api/v1/projects"): ANALYST,
    ("put", "/api/v1/projects/{project_id}"): ANALYST,
    ("delete", "/api/v1/projects/{project_id}"): ANALYST,
    ("post", "/api/v1/unit-cost-tables"): ADMIN,
}


def operations(app: Flask) -> list[tuple[str, str]]:
    spec = app.test_client().get("/api/v1/openapi.json").get_json()
    return [
        (method, path)
        for path, item in spec["paths"].items()
        for method in item
        if method in ("get", "post", "put", "delete")
    ]


def world(app: Flask, headers: dict[str, str]) -> dict[str, str]:
    """A run and a project of the first organisation, by the path parameter names."""
    client = app.test_client()
    doc = json.loads((SAMPLES / "edge_of_care_appraisal.json").read_text())
    run = client.post("/api/v1/calculations", json=doc, headers=headers).get_json()
    project = client.post("/api/v1/projects", json=doc, headers=headers).get_json()
    return {"run_id": str(run["run"]["id"]), "project_id": str(project["id"])}


def url(path: str, values: dict[str, str]) -> str:
    for name, value in values.items():
        path = path.replace("{" + name + "}", value)
    return path


def test_every_id_of_another_organisation_is_404(app: Flask) -> None:
    owner = auth(app, ANALYST)
    values = world(app, owner)
    # the highest role of another organisation: no role check stands before the 404
    stranger = auth(app, SITE_ADMIN, OTHER)
    client = app.test_client()
    doc = json.loads((SAMPLES / "edge_of_care_appraisal.json").read_text())
    tried = 0
    for method, path in operations(app):
        if "{run_id}" not in path and "{project_id}" not in path:
            continue
        address = url(path, values)
        if method == "get":  # the owner reaches it: the 404 below is not a broken address
            assert client.get(address, headers=owner).status_code == 200, address
        response = client.open(address, method=method.upper(), json=doc, headers=stranger)
        problem(response, 404)
        tried += 1
    assert tried == 6


def test_every_write_refuses_a_lesser_role(app: Flask) -> None:
    values = world(app, auth(app, ANALYST))
    viewer = auth(app, VIEWER)
    client = app.test_client()
    writes = [(m, p) for m, p in operations(app) if m != "get"]
    assert set(writes) == set(WRITES)  # a new write operation names its role here
    for (method, path), role in WRITES.items():
        lesser = viewer if role == ANALYST else auth(app, ANALYST, email=f"a{len(path)}@la.example")
        body: Any = {"projects": []}
        response = client.open(url(path, values), method=method.upper(), json=body, headers=lesser)
        assert "you need the role" in problem(response, 403)["detail"], path
