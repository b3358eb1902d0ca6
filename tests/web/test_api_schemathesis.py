"""Schemathesis against the served OpenAPI document: every operation, bounded examples.

Schemathesis reads ``/api/v1/openapi.json`` from the app (WSGI, no server), generates
requests from each operation's parameters and bodies, sends them with a valid token, and
checks every response: never a 5xx, a status and content type the document lists, and
a body that matches the documented schema (problem documents included).  Examples are
bounded so the test takes about a minute.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import func, select

from froi.web.api.schemas import EXAMPLE_INPUT
from froi.web.core.db import get_session
from froi.web.core.models import SITE_ADMIN, Project, Run

from .api_helpers import auth

#: Examples per operation and mode: enough to reach every parameter, about a minute in all.
EXAMPLES = 10
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.mark.parametrize("mode", ["positive", "negative"])
def test_the_api_keeps_its_document(app: Flask, backend: str, mode: str) -> None:
    if backend != "sqlite":
        pytest.skip("schemathesis runs on SQLite; the endpoints' tests cover PostgreSQL")
    app.config["API_RATE_LIMIT"] = 1_000_000  # the examples come fast
    app.config["API_MAX_SIMULATIONS"] = 1_000  # and stay cheap to compute
    app.config["API_MAX_SIMULATION_DRAWS"] = 2_000
    headers = auth(app, SITE_ADMIN)  # the highest role: every operation past its role check
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    tried = 0
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy(generation_mode=GenerationMode(mode)))
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            phases=[Phase.explicit, Phase.generate],  # a failure is reported, not shrunk
            suppress_health_check=list(HealthCheck),
        )
        def check(case: Any) -> None:
            case.call_and_validate(headers=headers, checks=CHECKS)

        check()
        tried += 1
    assert tried >= 15  # every operation of the document


def test_the_api_keeps_its_document_across_linked_calls(app: Flask, backend: str) -> None:
    """Stateful: the document's links (a calculation's run, a new project's id) are
    followed, so the operations on stored runs and projects get ids that exist."""
    if backend != "sqlite":
        pytest.skip("schemathesis runs on SQLite; the endpoints' tests cover PostgreSQL")
    app.config["API_RATE_LIMIT"] = 1_000_000
    app.config["API_MAX_SIMULATIONS"] = 1_000
    app.config["API_MAX_SIMULATION_DRAWS"] = 2_000
    headers = auth(app, SITE_ADMIN)
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    machine = schema.as_state_machine()

    seeded: set[str] = set()
    followed: set[str] = set()  # operations on a stored resource that found it

    class Workflow(machine):  # type: ignore[misc,valid-type]
        def before_call(self, case: Any, **kwargs: Any) -> None:
            # realistic data (Schemathesis's guide to stateful testing): the first
            # calculation of each sequence is the document's example, so a run exists
            # whose links the later steps follow; the rest are generated
            if (case.method, case.path) == ("POST", "/api/v1/calculations") and not seeded:
                seeded.add(case.path)
                case.body = copy.deepcopy(EXAMPLE_INPUT)

        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"headers": headers}

        def validate_response(self, response: Any, case: Any, **kwargs: Any) -> None:
            if "{" in case.path and response.status_code < 300:
                followed.add(f"{case.method} {case.path}")
            case.validate_response(response, checks=CHECKS)

    Workflow.run(
        settings=settings(
            max_examples=EXAMPLES,
            stateful_step_count=6,
            deadline=None,
            derandomize=True,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
    )
    with app.app_context():  # the links were followed: calls made what others read
        session = get_session()
        made = session.scalar(select(func.count()).select_from(Run)) or 0
        made += session.scalar(select(func.count()).select_from(Project)) or 0
    assert made > 0
    assert any("{run_id}" in operation for operation in followed), followed
