"""Errors of the API as ``application/problem+json`` (RFC 9457), with every problem listed.

Every error the API answers is one JSON object: ``type`` (a URI naming the kind of
problem), ``title`` (that kind in words), ``status``, ``detail`` (this occurrence in
words) and ``instance`` (the request's path).  An input with problems adds ``errors``
(and ``warnings``): one item per problem, in the words and with the locations the check
page shows (:class:`calculator.errors.Problem`): the JSON ``path``
(``projects[0].costs[2].amount``), or for a workbook the ``sheet`` and ``cell``
(``Outcomes``, ``F12``), the project, list, row and field, ``message`` and ``text``
(the message with where it is, as the pages print it).  A bad query parameter or form
field is an item with its ``location`` (``query``, ``form``...) and ``field``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from flask import Response, request
from werkzeug.exceptions import HTTPException

from calculator.errors import Problem

PROBLEM_JSON = "application/problem+json"
#: The URI prefix of the API's problem types (tag URIs, RFC 4151: names, not addresses;
#: docs/api.md lists them).
TYPE_PREFIX = "tag:froi-calculator,2026:problem:"

#: Problem types beyond a plain HTTP status, with their titles.
TITLES = {
    "invalid-input": "The input has problems",
    "invalid-parameters": "A parameter has a problem",
    "workbook-refused": "The workbook cannot be read",
    "too-large": "The request is too large",
    "over-limit": "The request is over one of the service's limits",
    "rate-limited": "Too many requests",
    "unauthorised": "A valid API token is needed",
    "forbidden": "Your role does not allow this",
    "not-found": "Not found",
    "method-not-allowed": "That method is not allowed here",
    "conflict": "That conflicts with what is stored",
    "unsupported-media-type": "The request body is not of a type this endpoint takes",
    "not-acceptable": "The response cannot be given in a type you accept",
    "precondition-failed": "The resource has changed",
    "unavailable": "The service is not available at the moment",
}
#: The problem type of each HTTP status when nothing more precise is known.
BY_STATUS = {
    400: "invalid-input",
    401: "unauthorised",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    406: "not-acceptable",
    409: "conflict",
    412: "precondition-failed",
    413: "too-large",
    415: "unsupported-media-type",
    422: "invalid-input",
    429: "rate-limited",
    503: "unavailable",
}


class ApiProblem(Exception):
    """Raised by a view to answer with a problem document (the handler writes it)."""

    def __init__(
        self,
        status: int,
        kind: str,
        detail: str,
        *,
        errors: Iterable[Mapping[str, Any]] = (),
        warnings: Iterable[Mapping[str, Any]] = (),
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.kind = kind
        self.detail = detail
        self.errors = list(errors)
        self.warnings = list(warnings)
        self.headers = dict(headers or {})


def problem_item(problem: Problem) -> dict[str, Any]:
    """One problem as an item of ``errors``/``warnings``: the engine's record, with a
    workbook cell split into its sheet and cell (``Outcomes!F12``)."""
    item: dict[str, Any] = dict(problem.as_dict())
    cell = item.pop("cell", None)
    item["sheet"], item["cell"] = None, None
    if isinstance(cell, str) and cell:
        sheet, _, ref = cell.rpartition("!")
        item["sheet"] = sheet.strip("'").replace("''", "'") or None
        item["cell"] = ref or cell
    item["where"] = problem.where() or None
    return item


def items(problems: Iterable[Problem]) -> list[dict[str, Any]]:
    return [problem_item(p) for p in problems]


def parameter_items(messages: Any, location: str = "") -> list[dict[str, Any]]:
    """Webargs/marshmallow messages (``{"query": {"page": ["..."]}}``) as items."""
    out: list[dict[str, Any]] = []
    if isinstance(messages, Mapping):
        for key, value in messages.items():
            if not location and key in ("query", "json", "form", "files", "headers", "path"):
                out += parameter_items(value, str(key))
            elif isinstance(value, Mapping):
                for inner in parameter_items(value, location):
                    inner["field"] = f"{key}.{inner['field']}" if inner["field"] else str(key)
                    out.append(inner)
            else:
                for message in value if isinstance(value, list) else [value]:
                    out.append(_parameter(location, str(key), str(message)))
    elif isinstance(messages, list):
        out += [_parameter(location, None, str(m)) for m in messages]
    return out


def _parameter(location: str, field: str | None, message: str) -> dict[str, Any]:
    where = ", ".join(
        part
        for part in (f"{location} parameter" if location else "", field and f"'{field}'")
        if part
    )
    return {
        "severity": "error",
        "location": location or None,
        "field": field,
        "message": message,
        "text": f"{where}: {message}" if where else message,
    }


def respond(
    status: int,
    kind: str,
    detail: str,
    *,
    errors: Iterable[Mapping[str, Any]] = (),
    warnings: Iterable[Mapping[str, Any]] = (),
    headers: Mapping[str, str] | None = None,
) -> Response:
    """The problem document as a response."""
    body: dict[str, Any] = {
        "type": TYPE_PREFIX + kind,
        "title": TITLES.get(kind, kind),
        "status": status,
        "detail": detail,
        "instance": request.path,
    }
    errors, warnings = list(errors), list(warnings)
    if errors:
        body["errors"] = errors
    if warnings:
        body["warnings"] = warnings
    text = json.dumps(body, ensure_ascii=False, allow_nan=False, default=str)
    response = Response(text, status=status, mimetype=PROBLEM_JSON)
    response.headers.update(dict(headers or {}))
    return response


def from_problem(error: ApiProblem) -> Response:
    return respond(
        error.status,
        error.kind,
        error.detail,
        errors=error.errors,
        warnings=error.warnings,
        headers=error.headers,
    )


def from_http_exception(error: HTTPException) -> Response:
    """An HTTP error (``abort``, a webargs refusal, 404 or 405 of the router, 413 of a
    body over the limit) as a problem document."""
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    errors = parameter_items(data.get("messages") or data.get("errors") or {})
    kind = BY_STATUS.get(status, "invalid-input" if 400 <= status < 500 else "unavailable")
    if errors and status in (400, 422):
        kind = "invalid-parameters"
        status = 422
    detail = str(data.get("message") or error.description or error.name)
    if errors and not data.get("message"):
        detail = "; ".join(e["text"] for e in errors[:3])
    headers = dict(data.get("headers") or {})
    if status == 405 and hasattr(error, "valid_methods") and error.valid_methods:
        headers["Allow"] = ", ".join(error.valid_methods)
    return respond(status, kind, detail, errors=errors, headers=headers)
