"""The API's limits: request size, rows, simulations and requests per minute.

Each is a setting (``FROI_API_...`` in the environment, or the instance's config.py),
documented in docs/api.md and on the documentation page, and answered with a problem
document that names the limit and what was sent:

- ``API_MAX_JSON_BYTES`` (5 MB): a JSON body larger is refused with 413 before it is
  read; a workbook may be as large as the workbook reader takes (20 MB, also 413);
- ``API_MAX_ROWS`` (50,000): projects and rows of their lists, with the input's own unit
  cost rows, in one input; more is 422;
- ``API_MAX_SIMULATIONS`` (100,000) Monte Carlo simulations in one run, and
  ``API_MAX_SIMULATION_DRAWS`` (5,000,000) simulations times projects, and
  ``API_MAX_BOOTSTRAP_DRAWS`` (250,000,000) bootstrap resamples times cases (about
  2.5 s of computing here); more is 422;
- ``API_RATE_LIMIT`` (120) requests per token per ``API_RATE_WINDOW`` (60) seconds;
  more is 429 with ``Retry-After`` (:mod:`.auth`).
"""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, request

from calculator.fields import PROJECT_LISTS, SETTINGS, by_name
from calculator.jsonpath import NESTED_LISTS
from froi.workbook.limits import DEFAULT_LIMITS, MB

from .problems import ApiProblem

DEFAULTS = {
    "API_MAX_JSON_BYTES": 5 * MB,
    "API_MAX_ROWS": 50_000,
    "API_MAX_SIMULATIONS": 100_000,
    "API_MAX_SIMULATION_DRAWS": 5_000_000,
    "API_MAX_BOOTSTRAP_DRAWS": 250_000_000,
    "API_RATE_LIMIT": 120,
    "API_RATE_WINDOW": 60,
}
#: Bootstrap resamples when the input does not say (the declaration's default).
DEFAULT_RESAMPLES = int(by_name(SETTINGS)["bootstrap_resamples"].default or 0)
#: A workbook may be as large as the workbook reader takes.
MAX_WORKBOOK_BYTES = DEFAULT_LIMITS.max_bytes


def init_app(app: Flask) -> None:
    for key, value in DEFAULTS.items():
        app.config[key] = int(app.config.get(key, value))


def limit(name: str) -> int:
    return int(current_app.config[name])


def describe() -> dict[str, int]:
    """The limits in force, for the documentation page."""
    return {
        "json_bytes": limit("API_MAX_JSON_BYTES"),
        "workbook_bytes": MAX_WORKBOOK_BYTES,
        "rows": limit("API_MAX_ROWS"),
        "simulations": limit("API_MAX_SIMULATIONS"),
        "simulation_draws": limit("API_MAX_SIMULATION_DRAWS"),
        "bootstrap_draws": limit("API_MAX_BOOTSTRAP_DRAWS"),
        "rate": limit("API_RATE_LIMIT"),
        "rate_window": limit("API_RATE_WINDOW"),
    }


def _megabytes(size: int) -> str:
    return f"{size / MB:,.1f} MB" if size >= MB else f"{size:,} bytes"


def check_request_size() -> None:
    """Before an API request is read: 413 if its declared length is over its limit."""
    if request.content_length is not None:
        check_body_size(request.content_length)


def check_body_size(length: int) -> None:
    """413 if a body of ``length`` bytes is over the limit of its kind."""
    multipart = request.mimetype == "multipart/form-data"
    most = MAX_WORKBOOK_BYTES + 1024 * 1024 if multipart else limit("API_MAX_JSON_BYTES")
    if length > most:
        raise ApiProblem(
            413,
            "too-large",
            f"The request is {_megabytes(length)}; the API takes at most "
            f"{_megabytes(most)} {'in a file upload' if multipart else 'of JSON'}.",
        )


def _rows_of(project: Any) -> int:
    if not isinstance(project, dict):
        return 0
    count = 0
    for name in PROJECT_LISTS:
        holder = project.get(NESTED_LISTS[name]) if name in NESTED_LISTS else project
        items = holder.get(name) if isinstance(holder, dict) else None
        count += len(items) if isinstance(items, list) else 0
    return count


def count_rows(doc: Any) -> int:
    """Projects, their lists' rows and the input's unit cost rows."""
    if not isinstance(doc, dict):
        return 0
    projects = doc.get("projects")
    projects = projects if isinstance(projects, list) else []
    unit_costs = doc.get("unit_costs")
    own = len(unit_costs) if isinstance(unit_costs, list) else 0
    return len(projects) + own + sum(_rows_of(p) for p in projects)


def check_input_size(doc: Any) -> None:
    """422 if an input has more rows, simulations or simulation draws than allowed."""
    rows = count_rows(doc)
    most = limit("API_MAX_ROWS")
    if rows > most:
        raise ApiProblem(
            422,
            "over-limit",
            f"The input has {rows:,} projects and rows; the API computes at most {most:,} "
            "in one request. Send the projects in several requests.",
        )
    settings = doc.get("settings") if isinstance(doc, dict) else None
    _check_bootstrap(doc, settings)
    simulations = settings.get("simulations") if isinstance(settings, dict) else None
    if isinstance(simulations, bool) or not isinstance(simulations, int | float):
        return  # none asked for, or not a number: the engine's check says what is wrong
    simulations = int(simulations)
    most = limit("API_MAX_SIMULATIONS")
    if simulations > most:
        raise ApiProblem(
            422,
            "over-limit",
            f"settings.simulations is {simulations:,}; the API runs at most {most:,} "
            "simulations in one request.",
            errors=[
                _item("settings.simulations", f"must be at most {most:,}; got {simulations:,}")
            ],
        )
    projects = doc.get("projects") if isinstance(doc, dict) else None
    count = len(projects) if isinstance(projects, list) else 0
    draws = simulations * count
    most = limit("API_MAX_SIMULATION_DRAWS")
    if draws > most:
        raise ApiProblem(
            422,
            "over-limit",
            f"{simulations:,} simulations of {count:,} projects is {draws:,} draws; the API "
            f"runs at most {most:,} in one request. Ask for fewer simulations or send "
            "fewer projects.",
            errors=[_item("settings.simulations", f"{draws:,} draws is over {most:,}")],
        )


def _check_bootstrap(doc: Any, settings: Any) -> None:
    """422 if bootstrap resamples times the case-level projects' cases is over the limit."""
    resamples = settings.get("bootstrap_resamples") if isinstance(settings, dict) else None
    if isinstance(resamples, bool) or not isinstance(resamples, int | float):
        resamples = DEFAULT_RESAMPLES  # the declared default (or the engine refuses it)
    projects = doc.get("projects") if isinstance(doc, dict) else None
    cases = sum(
        len(p["cases"])
        for p in (projects if isinstance(projects, list) else [])
        if isinstance(p, dict) and isinstance(p.get("cases"), list)
    )
    draws = int(resamples) * cases
    most = limit("API_MAX_BOOTSTRAP_DRAWS")
    if draws > most:
        raise ApiProblem(
            422,
            "over-limit",
            f"{int(resamples):,} bootstrap resamples of {cases:,} cases is {draws:,} draws; "
            f"the API runs at most {most:,} in one request. Ask for fewer resamples "
            "(settings.bootstrap_resamples) or send fewer cases.",
            errors=[_item("settings.bootstrap_resamples", f"{draws:,} draws is over {most:,}")],
        )


def _item(path: str, message: str) -> dict[str, Any]:
    return {
        "severity": "error",
        "list": "settings",
        "field": path.rsplit(".", 1)[-1],
        "path": path,
        "message": message,
        "text": f"{path}: {message}",
    }
