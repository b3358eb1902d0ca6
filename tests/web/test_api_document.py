"""The OpenAPI document: complete (every operation's errors, every schema), public, and
the documentation page that draws it with the service's own files."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from froi.web.core.security import CONTENT_SECURITY_POLICY

ERRORS = ("401", "429", "default")


def document(app: Flask) -> dict[str, Any]:
    response = app.test_client().get("/api/v1/openapi.json")  # no token: it is public
    assert response.status_code == 200 and response.mimetype == "application/json"
    spec: dict[str, Any] = response.get_json()
    return spec


def refs(value: Any) -> list[str]:
    if isinstance(value, dict):
        found = [value["$ref"]] if isinstance(value.get("$ref"), str) else []
        return found + [r for v in value.values() for r in refs(v)]
    if isinstance(value, list):
        return [r for v in value for r in refs(v)]
    return []


def test_every_operation_documents_its_errors_as_problem_documents(app: Flask) -> None:
    spec = document(app)
    assert spec["openapi"].startswith("3.")
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    operations = [
        (path, method, op)
        for path, item in spec["paths"].items()
        for method, op in item.items()
        if method in ("get", "post", "put", "delete")
    ]
    assert len(operations) == 17
    responses = spec["components"]["responses"]
    for path, method, op in operations:
        assert op.get("summary"), (path, method)
        codes = set(op["responses"])
        assert set(ERRORS) <= codes, (path, method, codes)
        assert any(c.startswith("2") for c in codes), (path, method, codes)
        for code, answer in op["responses"].items():
            if code.startswith("2"):
                continue
            target = responses[answer["$ref"].rsplit("/", 1)[1]] if "$ref" in answer else answer
            assert list(target["content"]) == ["application/problem+json"], (path, code)
    # every reference resolves, and the concepts are schemas of their own
    schemas = spec["components"]["schemas"]
    for ref in refs(spec):
        kind, name = ref.split("/")[-2:]
        assert name in spec["components"][kind], ref
    for name in (
        "CalculationInput",
        "Project",
        "Settings",
        "CostsRow",
        "Results",
        "ProblemDocument",
    ):
        assert name in schemas, sorted(schemas)


def test_the_input_schema_is_the_engines_declarations(app: Flask) -> None:
    """Field by field, the document states what calculator.fields declares."""
    from calculator.fields import PROJECT_LISTS, SETTINGS

    schemas = document(app)["components"]["schemas"]
    simulations = schemas["Settings"]["properties"]["simulations"]
    declared = next(f for f in SETTINGS if f.name == "simulations")
    assert (simulations["type"], simulations["minimum"], simulations["maximum"]) == (
        "integer",
        declared.minimum,
        declared.maximum,
    )
    assert simulations["description"] == declared.help
    costs = schemas["CostsRow"]["properties"]
    assert set(costs) == {f.name for f in PROJECT_LISTS["costs"]}
    assert "teams" in schemas["Service"]["properties"]
    assert "price_year" in schemas["Service"]["properties"]


def test_the_documentation_page_uses_the_services_own_files(
    app: Flask, viewer_client: FlaskClient
) -> None:
    page = viewer_client.get("/api-docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert page.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY  # unchanged
    assert "<script>" not in html and " style=" not in html  # no inline script or style
    sources = re.findall(r'(?:src|href)="([^"]+\.(?:js|css))"', html)
    assert {s.rsplit("/", 1)[1] for s in sources} >= {
        "swagger-ui-bundle.js",
        "swagger-ui.css",
        "api-docs.js",
    }
    for source in sources:
        assert source.startswith("/static/"), source  # nothing from another site
        served = viewer_client.get(source)
        assert served.status_code == 200 and len(served.data) > 100
        served.close()
    assert 'data-spec-url="/api/v1/openapi.json"' in html
    # the footer of every page links to it
    assert 'href="/api-docs"' in viewer_client.get("/projects/").get_data(as_text=True)
