"""What the API's views share: reading a body, pages of a list, runs as JSON, errors."""

from __future__ import annotations

import http
import json
import math
from collections.abc import Callable
from typing import Any

import flask_smorest
import marshmallow as ma
from flask import Response, request, url_for
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session
from webargs.flaskparser import FlaskParser

from calculator.engine import Results
from calculator.errors import InvalidInput
from calculator.jsontext import parse_json

from ..core import models
from ..uploads.result_files import write_workbook
from . import limits
from .problems import ApiProblem, items

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv"
JSON = "application/json"


class StrictParser(FlaskParser):
    """webargs' parser, refusing query parameters a view does not take (webargs leaves
    them out by default): a misspelt ``?simulatons=`` is an error, not ignored."""

    DEFAULT_UNKNOWN_BY_LOCATION = {  # noqa: RUF012  (webargs declares it so)
        **FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION,
        "query": ma.RAISE,
        "querystring": ma.RAISE,
    }


class ApiBlueprint(flask_smorest.Blueprint):  # type: ignore[misc]
    """A blueprint of the API: its query parameters are parsed strictly."""

    ARGUMENTS_PARSER = StrictParser()


def errors(blp: flask_smorest.Blueprint, *codes: int) -> Callable[[Any], Any]:
    """Document the problem responses a view may give (401 and 429 on every one), and
    name its operation after the view."""

    def decorate(view: Any) -> Any:
        view = blp.doc(operationId=view.__name__)(view)  # names links and clients' calls
        for code in sorted({401, 429, *codes}, reverse=True):
            view = blp.alt_response(code, response=http.HTTPStatus(code).name)(view)
        return view

    return decorate


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    text = json.dumps(data, ensure_ascii=False, allow_nan=False, default=str)
    response = Response(text, status=status, mimetype=JSON)
    response.headers.update(headers or {})
    return response


def read_json() -> Any:
    """The request's JSON body, parsed within the limits of the command line's reader."""
    if not request.is_json:
        raise ApiProblem(
            415,
            "unsupported-media-type",
            "Send the input as JSON, with 'Content-Type: application/json'"
            + (f"; got '{request.mimetype}'" if request.mimetype else ""),
        )
    data = request.get_data(cache=False)
    limits.check_body_size(len(data))  # a body sent without Content-Length, too
    try:
        return parse_json(data, "request body")
    except InvalidInput as invalid:
        raise ApiProblem(
            400, "invalid-input", str(invalid.problems[0]), errors=items(invalid.problems)
        ) from None


def invalid(error: InvalidInput, what: str = "The input") -> ApiProblem:
    """The engine's problems as a 422 problem document: errors, then warnings."""
    found = [p for p in error.problems if p.severity != "warning"]
    warned = [p for p in error.problems if p.severity == "warning"]
    warned += list(getattr(error, "warnings", []))
    count = len(found)
    first = "; ".join(str(p) for p in found[:3])
    more = f" (and {count - 3:,} more)" if count > 3 else ""
    return ApiProblem(
        422,
        "invalid-input",
        f"{what} has {count:,} problem{'' if count == 1 else 's'}: {first}{more}",
        errors=items(found),
        warnings=items(warned),
    )


def wants(media_type: str) -> bool:
    """Whether the client prefers ``media_type`` to JSON (by its Accept header)."""
    accept = request.accept_mimetypes
    return bool(accept) and accept.best_match([JSON, media_type], JSON) == media_type


def page_of(
    session: Session, query: Select[Any], args: dict[str, Any]
) -> tuple[list[Any], dict[str, int]]:
    """One page of ``query`` and where it stands (``page``, ``page_size``, ``total``)."""
    size, number = int(args["page_size"]), int(args["page"])
    total = int(session.scalar(select(func.count()).select_from(query.subquery())) or 0)
    rows = list(session.scalars(query.offset((number - 1) * size).limit(size)))
    return rows, paging(number, size, total)


def paging(number: int, size: int, total: int) -> dict[str, int]:
    return {
        "page": number,
        "page_size": size,
        "total": total,
        "pages": max(1, math.ceil(total / size)),
    }


def run_url(run: models.Run) -> str:
    return url_for("runs_api.show_run", run_id=run.id)


def run_summary(run: models.Run) -> dict[str, Any]:
    return {
        "id": run.id,
        "url": run_url(run),
        "label": run.label or run.project_ref,
        "project_ref": run.project_ref,
        "project": run.project_id,
        "computed_at": run.computed_at.isoformat(),
        "user": run.user_name,
        "engine_version": run.engine_version,
        "input_sha256": run.input_sha256,
        "unit_cost_table": {
            "name": run.unit_cost_table_name,
            "version": run.unit_cost_table_version,
            "sha256": run.unit_cost_table_sha256,
        },
        "rerun_of": run.rerun_of_id,
        "reproduced": run.reproduced,
        "projects": len(run.results.get("projects", [])),
    }


def run_results(run: models.Run) -> dict[str, Any]:
    """A stored run's results in the ``froi compute`` shape, naming the run."""
    out = dict(run.results)
    out["run"] = {**out.get("run", {}), "id": run.id, "url": run_url(run)}
    return out


def results_workbook(run: models.Run, results: Results | None = None) -> bytes:
    """The standard results workbook of a stored run, naming the run as its input."""
    return write_workbook(run, results, input_sha256=run.input_sha256, input_name=f"run {run.id}")


def workbook_response(
    body: bytes, name: str, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    response = Response(body, status=status, mimetype=XLSX)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers.update(headers or {})
    return response


def links(**targets: tuple[str, str, str]) -> dict[str, Any]:
    """OpenAPI links from a response to the operations its ids open:
    ``name=(operationId, parameter, where in the body)``."""
    return {
        name: {"operationId": operation, "parameters": {parameter: f"$response.body#{where}"}}
        for name, (operation, parameter, where) in targets.items()
    }


def with_overrides(doc: Any, overrides: dict[str, Any]) -> Any:
    """``doc`` with ``?simulations`` and ``?seed`` in its settings (the run records them)."""
    if overrides and isinstance(doc, dict):
        settings = doc.get("settings")
        if settings is None or isinstance(settings, dict):
            doc["settings"] = {**(settings or {}), **overrides}
    return doc
