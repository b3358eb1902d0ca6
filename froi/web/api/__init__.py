"""The JSON API, ``/api/v1``: flask-smorest on the schemas of :mod:`.schemas`.

- :mod:`.calculations`: ``POST /calculations`` (the canonical input, results out, stored
  as a run) and ``POST /workbooks`` (an input workbook; JSON, or the results workbook);
- :mod:`.runs`: ``GET /runs``, ``GET /runs/{id}`` (JSON, or the results workbook),
  ``POST /runs/{id}/rerun``;
- :mod:`.projects`: list, create, read, replace, delete, and ``GET /projects/{id}/results``;
- :mod:`.unit_costs`: the unit cost tables, versions (JSON or CSV), codes, and import;
- :mod:`.portfolio`: ``GET /portfolio`` with the page's filters.

The OpenAPI 3 document is ``/api/v1/openapi.json`` (flask-smorest writes it from the
views and schemas); ``/api-docs`` shows it with Swagger UI, from the service's own copy
of swagger-ui-dist (``froi/web/static/swagger-ui``).  Who calls is a bearer token
(:mod:`.auth`); every error is ``application/problem+json`` (:mod:`.problems`).  The
views are a thin layer over the same service functions the pages call.
"""

from __future__ import annotations

import http
from typing import Any

from flask import Blueprint, Flask, render_template
from flask_smorest import Api
from flask_smorest.utils import prepare_response
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from ..core.failures import Failure
from . import auth, limits
from .problems import PROBLEM_JSON, ApiProblem, from_http_exception, from_problem, respond
from .schemas import ProblemDocument

VERSION = "1"
PREFIX = f"/api/v{VERSION}"


#: The document's description and its security scheme (a bearer token on every call).
SPEC_OPTIONS: dict[str, Any] = {
    "info": {
        "description": (
            "The FROI calculator's JSON API. Send a token made on your account's "
            "API tokens page as 'Authorization: Bearer <token>'. Errors are "
            "application/problem+json (RFC 9457) listing every problem with where "
            "it is. docs/api.md describes the API, its limits and its errors."
        ),
        "license": {"name": "MIT"},
    },
    "security": [{"bearerAuth": []}],
    "components": {
        "securitySchemes": {
            "bearerAuth": {
                "type": "http",
                "scheme": "bearer",
                "description": "An API token (froi_...) from /account/tokens",
            }
        }
    },
}


class FroiApi(Api):  # type: ignore[misc]
    """flask-smorest's Api, with errors documented as problem documents and answered by
    the service's own handler (which keeps the pages' HTML error pages for the pages)."""

    ERROR_SCHEMA = ProblemDocument

    def _register_error_handlers(self) -> None:
        """The app's handler serves both (see :func:`froi.web.create_app`)."""

    def _register_responses(self) -> None:
        for status in http.HTTPStatus:
            response: dict[str, Any] = {"description": status.phrase}
            content_type = self.DEFAULT_RESPONSE_CONTENT_TYPE
            if status >= 400:
                response["schema"] = self.ERROR_SCHEMA
                content_type = PROBLEM_JSON
            prepare_response(response, self.spec, content_type)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "Any other error", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, PROBLEM_JSON)
        self.spec.components.response("DEFAULT_ERROR", response, lazy=True)


docs_bp = Blueprint("api_docs", __name__)


@docs_bp.get("/api-docs")
def docs() -> str:
    """The API's interactive documentation, from the service's own Swagger UI files."""
    return render_template("api/docs.html", limits=limits.describe())


def init_app(app: Flask) -> None:
    """The API's blueprints, its document, token authentication and its limits."""
    limits.init_app(app)
    # flask-smorest's own keys: fixed by the service, not deployment settings
    app.config.update(
        {
            "API_TITLE": "FROI calculator API",
            "API_VERSION": VERSION,
            "OPENAPI_VERSION": "3.0.3",
            "OPENAPI_URL_PREFIX": PREFIX,
            "OPENAPI_JSON_PATH": "openapi.json",
            "API_SPEC_OPTIONS": SPEC_OPTIONS,
        }
    )
    api = FroiApi(app)
    app.extensions["froi"]["api"] = api
    from . import calculations, portfolio, projects, runs, unit_costs

    for feature in (calculations, runs, projects, unit_costs, portfolio):
        api.register_blueprint(feature.blp)
    app.register_blueprint(docs_bp)
    app.register_error_handler(ApiProblem, from_problem)
    app.extensions["froi"]["failure_answer"] = storage_failure

    @app.before_request
    def api_authentication() -> None:
        if auth.is_api_request():
            auth.authenticate()
            limits.check_request_size()


def storage_failure(failure: Failure) -> Response | None:
    """A storage failure of an API request as a 503 problem document (the pages show
    their 503 page): what happened and what to do, in the page's words."""
    if not auth.is_api_request():
        return None
    return respond(503, "unavailable", f"{failure.title}. {failure.advice}")


def handle_http_exception(error: HTTPException) -> Response | None:
    """An HTTP error of an API request as a problem document (None: not an API request)."""
    if not auth.is_api_request():
        return None
    return from_http_exception(error)
