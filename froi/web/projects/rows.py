"""Rows of a project's lists (costs, outcomes, usage, cases...): add, change, delete.

One set of views serves every list of ``calculator.fields.PROJECT_LISTS``: the form is
built from the list's declarations and checked with the schema derived from them.  A
saved row is then checked by the engine in its project (unknown unit cost codes, a row
costed two ways, a year after the appraisal period...), and the engine's problems with
that row are shown beside its fields exactly like the schema's.

The unit cost picker lives inside the form, after its Save button, as submit buttons:
"Search" redraws the form with what was typed plus the matching unit costs, and each
match's "Use" button fills in the code.  Nothing typed is lost and no JavaScript is
needed.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from calculator.agencies import agency_choices
from calculator.errors import Problem
from calculator.fields import PROJECT_LISTS, Field

from ..accounts.access import require_role
from ..core import models
from ..core.audit import changed_fields, record
from ..core.db import get_session
from ..core.formatting import percent, singular
from ..core.forms import ErrorItem, FormField, form_fields, is_range, posted, shown, summary
from ..core.reference import (
    app_reference,
    current_table,
    engine_table,
    search_rows,
    value_at_base,
)
from ..core.running import check_input
from ..core.schemas import form_data, load, row_schema
from ..core.words import plain_message
from . import documents
from .routes import (
    CHANGE,
    get_project,
    is_stale,
    save,
    schedules,
    seen_revision,
    stale_errors,
)
from .view import costing_of, financial_year

bp = Blueprint("rows", __name__, url_prefix="/projects/<int:project_id>")

#: Unit costs listed at most by the picker; a narrower search finds the rest.
PICKER_LIMIT = 25

#: The three ways a cost is worked out (METHOD 2.1), as the cost form offers them, and
#: the fields each way asks for.  Fields of the other ways are not shown, not sent on.
COSTING: tuple[tuple[str, str, str], ...] = (
    ("amount", "An amount", "A sum of money, for example £85,000 a year for a contract."),
    (
        "unit",
        "Units of a unit cost",
        "A number of units of a cost in the unit cost table, for example 40 weeks of "
        "foster care. The unit cost's value, prices and agency are used.",
    ),
    (
        "staff",
        "A staff post (salary, on-costs, overheads)",
        "Built up from a salary, with the employer's on-costs and overheads.",
    ),
)
COSTING_FIELDS: dict[str, tuple[str, ...]] = {
    "amount": ("amount", "price_year", "agency"),
    "unit": ("unit_cost_code", "quantity"),
    "staff": (
        "salary",
        "on_costs",
        "overheads",
        "quantity",
        "productive_hours",
        "price_year",
        "agency",
    ),
}
#: Fields two ways ask for: each way's input has a name of its own (``staff-agency``).
SHARED = frozenset({"price_year", "agency", "quantity"})
#: What each way requires beyond the declarations (the engine's rules, said up front).
COSTING_NEEDS: dict[str, dict[str, bool]] = {
    "amount": {"amount": True, "agency": True},
    "unit": {"unit_cost_code": True},
    "staff": {"salary": True, "agency": True},
}
#: Labels and hints a way gives a shared field.
COSTING_WORDS: dict[tuple[str, str], tuple[str, str]] = {
    ("unit", "quantity"): (
        "Number of units each year",
        "For example 52 for a week's care every week of the year. Leave blank for 1.",
    ),
    ("staff", "quantity"): (
        "Number of posts (full-time equivalent)",
        "For example 2, or 0.5 for a half-time post. Leave blank for 1. If you give "
        "productive hours below, give the number of hours instead.",
    ),
    ("staff", "price_year"): (
        "Price year of the salary",
        "The financial year of the salary's prices, for example 2024-25. Left blank, the "
        "project's base year is saved with it.",
    ),
}
COSTING_NAMES = {name for fields in COSTING_FIELDS.values() for name in fields}


def _dated(project: models.Project, list_name: str, values: dict[str, Any]) -> dict[str, Any]:
    """A cost given in pounds (an amount or a salary) with no price year is in the prices
    of the year it was entered in: the project's base year then.  That year is saved with
    it, so a later change of base year (or the portfolio's) moves it to the new prices
    rather than reading the same figure in another year's prices."""
    if list_name != "costs" or values.get("price_year") or values.get("unit_cost_code"):
        return values
    if values.get("amount") is None and values.get("salary") is None:
        return values
    return {**values, "price_year": _base_year(project)}


def _base_year(project: models.Project) -> str:
    reference = app_reference()
    base_year = str(project.settings.get("base_year") or reference.deflators.latest_year)
    return base_year if base_year in reference.deflators.index else reference.deflators.latest_year


def _years(project: models.Project) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...]]:
    """The appraisal's years as a form offers them: 0, 1... with their financial years."""
    try:
        count = int(project.settings.get("appraisal_years") or 5)
    except (TypeError, ValueError):
        count = 5
    base = _base_year(project)
    years = tuple(str(t) for t in range(max(1, min(count, 100))))
    words = tuple(
        (
            y,
            f"Year {int(y) + 1}: {financial_year(base, int(y))}"
            + (" (the first year)" if y == "0" else ""),
        )
        for y in years
    )
    return years, words


def _themes() -> tuple[tuple[str, ...], tuple[tuple[str, str], ...]]:
    themes = app_reference().outcome_themes
    return tuple(str(n) for n in themes), tuple((str(n), name) for n, name in themes.items())


#: What each confidence grade means (unit_costs/optimism_bias.csv, METHOD 1.3).
GRADE_MEANINGS = {
    1: "recent official statistics or audited local data",
    2: "official or peer-reviewed data, older or national rather than local",
    3: "reputable published estimate, some assumptions",
    4: "estimate built from several sources or proxies",
    5: "dated, indirect or unverified figure",
    6: "expert judgement, no local evidence",
}


def _grades() -> tuple[tuple[str, ...], tuple[tuple[str, str], ...]]:
    """Grades 1 to 6 in words, each with the optimism bias it adds."""
    bias = app_reference().optimism_bias.by_grade
    words = tuple(
        (str(g), f"{g}: {meaning} (optimism bias {percent(bias.get(g, 0.0))})")
        for g, meaning in GRADE_MEANINGS.items()
    )
    return tuple(w[0] for w in words), words


def _fields(list_name: str) -> tuple[Field, ...]:
    if list_name not in PROJECT_LISTS:
        abort(404, description="A project has no list of that name.")
    return PROJECT_LISTS[list_name]


def _picker(project: models.Project, text: str) -> dict[str, Any]:
    """The unit costs matching ``text``, each valued at the project's base-year prices."""
    session = get_session()
    table = current_table(session, project.organisation_id)
    project_settings = project.settings
    reference = app_reference()
    base_year = str(project_settings.get("base_year") or reference.deflators.latest_year)
    if base_year not in reference.deflators.index:
        base_year = reference.deflators.latest_year
    found, total = search_rows(session, table, text, PICKER_LIMIT)
    return {
        "text": text,
        "rows": [(row, value_at_base(row, base_year, reference)) for row in found],
        "total": total,
        "base_year": base_year,
        "table": table,
        "choose": True,
    }


def _agencies(project: models.Project) -> tuple[str, ...]:
    """The agencies a row of ``project`` may name: the unit cost table's, its own unit
    costs' and those its input adds on purpose (METHOD: one controlled list)."""
    table = engine_table(current_table(get_session(), project.organisation_id))
    local = [str(r.get("agency")) for r in project.unit_costs or [] if isinstance(r, dict)]
    return tuple(agency_choices(table, [*local, *(project.agencies or [])]))


def _row_problems(
    project: models.Project, doc: dict[str, Any], list_name: str, row: int
) -> list[Problem]:
    """The engine's errors about one row of a project document."""
    return [
        p
        for p in check_input(get_session(), doc, project.organisation_id)
        if p.severity == "error" and p.list == list_name and p.row == row
    ]


def _typed_cost(fields: tuple[Field, ...], form: Any) -> tuple[dict[str, Any], str | None]:
    """What a cost form posted: the fields every way shares, and the chosen way's own
    (each shared field read from that way's input)."""
    costing = form.get("costing") or None
    if costing not in COSTING_FIELDS:
        costing = None
    common = [f for f in fields if f.name not in COSTING_NAMES]
    typed: dict[str, Any] = posted(common, form)
    for name in COSTING_FIELDS.get(costing or "", ()):
        typed[name] = form.get(f"{costing}-{name}" if name in SHARED else name, "")
    return typed, costing


def _cost_panels(
    fields: tuple[Field, ...],
    typed: dict[str, Any],
    errors: dict[str, str],
    costing: str | None,
    answers: dict[str, tuple[str, ...]],
    answer_words: dict[str, tuple[tuple[str, str], ...]],
) -> list[dict[str, Any]]:
    """The radios of the three ways, each with the fields it reveals; only the chosen
    way's fields carry what was typed and its errors."""
    by_name = {f.name: f for f in fields}
    panels = []
    for way, text, hint in COSTING:
        chosen = way == costing
        panel_fields = []
        for name in COSTING_FIELDS[way]:
            words = COSTING_WORDS.get((way, name))
            panel_fields.append(
                FormField(
                    by_name[name],
                    shown(typed.get(name)) if chosen else "",
                    errors.get(name) if chosen else None,
                    prefix=f"{way}-" if name in SHARED else "",
                    answers=answers.get(name),
                    group="costs",
                    needed=COSTING_NEEDS[way].get(name, False),
                    answer_words=answer_words.get(name, ()),
                    label_text=words[0] if words else None,
                    hint_text=words[1] if words else None,
                )
            )
        panels.append(
            {"value": way, "text": text, "hint": hint, "chosen": chosen, "fields": panel_fields}
        )
    return panels


def _form(project_id: int, list_name: str, row: int | None) -> str | Response:
    """The add and change form: GET draws it, POST searches, picks or saves."""
    session = get_session()
    project = get_project(session, project_id)
    fields = _fields(list_name)
    items = documents.rows(project.doc, list_name)
    if row is not None and not 1 <= row <= len(items):
        abort(404, description="That row does not exist; it may have been deleted.")
    has_code = any(f.name == "unit_cost_code" for f in fields)
    is_cost = list_name == "costs"
    typed: dict[str, Any] = dict(items[row - 1]) if row is not None else {}
    costing = costing_of(typed) if is_cost else None
    if is_cost and row is None:
        typed.setdefault("year", 0)
    errors: dict[str, str] = {}
    extra: list[ErrorItem] = []
    action = "show"
    if request.method == "POST":
        if is_cost:
            typed, costing = _typed_cost(fields, request.form)
        else:
            typed = posted(fields, request.form)
        action = request.form.get("action", "save")
        search = request.form.get("search", "").strip()
        if action == "save" and search and search != request.form.get("searched", ""):
            # Enter in the search box submits with the form's default button, Save; a
            # search not yet run is what the person meant
            action = "search"
        if "pick" in request.form:
            typed["unit_cost_code"] = request.form["pick"]
            if is_cost:
                costing = "unit"
            action = "pick"
        if is_stale(project):
            extra += stale_errors(session, project, seen_revision())
        elif action == "save" and is_cost and costing is None:
            extra.append(ErrorItem("Choose how the cost is worked out", "#field-costing"))
        elif action == "save":
            values, errors = load(row_schema(list_name, schedules()), form_data(fields, typed))
            if not errors:
                values = _dated(project, list_name, values)
                doc = documents.with_row(project.doc, list_name, row, values)
                if list_name == "cases" and not project.doc.get("case_cost_price_year"):
                    doc["case_cost_price_year"] = _base_year(project)
                where = row if row is not None else len(items) + 1
                found = _row_problems(
                    project, project.input_doc() | {"projects": [doc]}, list_name, where
                )
                names = {f.name for f in fields}
                errors = {p.field: p.message for p in found if p.field in names}
                extra += [
                    ErrorItem(plain_message(p.message, None, list_name))
                    for p in found
                    if p.field not in names
                ]
                if not found:
                    project.set_doc(doc)
                    _audit_row(project, list_name, where, items[row - 1] if row else None, values)
                    if save(session):
                        flash(f"{singular(list_name).capitalize()} {where} saved.")
                        anchor = f"#list-{list_name}"
                        return redirect(url_for("projects.show", project_id=project.id) + anchor)
                    extra += stale_errors(session, project, seen_revision())
    picker = None
    if has_code and action == "search":
        picker = _picker(project, request.form.get("search", "").strip())
    answers: dict[str, tuple[str, ...]] = {}
    answer_words: dict[str, tuple[tuple[str, str], ...]] = {}
    names = {f.name for f in fields}
    if "agency" in names:
        answers["agency"] = _agencies(project)
    if "confidence_grade" in names:
        answers["confidence_grade"], answer_words["confidence_grade"] = _grades()
    if "outcome_theme" in names:
        answers["outcome_theme"], answer_words["outcome_theme"] = _themes()
    if is_cost:
        for name in ("year", "end_year"):
            answers[name], answer_words[name] = _years(project)
    needed = {"year": True} if is_cost else {}
    shown_fields = [f for f in fields if not (is_cost and f.name in COSTING_NAMES)]
    form = form_fields(
        shown_fields,
        typed,
        errors,
        answers=answers,
        group=list_name,
        needed=needed,
        answer_words=answer_words,
    )
    panels = _cost_panels(fields, typed, errors, costing, answers, answer_words) if is_cost else []
    panel_fields = [f for p in panels for f in p["fields"]]
    return render_template(
        "rows/form.html",
        project=project,
        list_name=list_name,
        row=row,
        heading=singular(list_name),
        fields=[f for f in form if not is_range(f.spec)],
        range_fields=[f for f in form if is_range(f.spec)],
        panels=panels,
        costing=costing,
        code_name=_code_name(project, typed.get("unit_cost_code")),
        has_code=has_code,
        picker=picker,
        errors=extra + summary(form) + summary(panel_fields),
    )


def _code_name(project: models.Project, code: Any) -> str | None:
    """The name of the unit cost a row names, to show beside its code."""
    if not code:
        return None
    for local in project.unit_costs or []:
        if isinstance(local, dict) and str(local.get("code", "")).lower() == str(code).lower():
            return str(local.get("name") or "")
    session = get_session()
    found, _ = search_rows(session, current_table(session, project.organisation_id), str(code), 50)
    for found_row in found:
        if found_row.code.lower() == str(code).lower():
            return f"{found_row.name} ({found_row.unit})" if found_row.unit else found_row.name
    return None


def _audit_row(
    project: models.Project,
    list_name: str,
    row: int,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> None:
    """Record a row added, changed or deleted, with the row's values before and after."""
    action = "row.added" if before is None else "row.deleted" if after is None else "row.changed"
    words = {"row.added": "added", "row.changed": "changed", "row.deleted": "deleted"}[action]
    if before is not None and after is not None:  # only the fields that changed
        before, after = changed_fields(before, after)
    revision = {"revision": project.revision}
    record(
        get_session(),
        action,
        f"Project {project.project_ref}: {singular(list_name)} {row} {words}",
        object_type="project",
        object_id=project.id,
        before={"list": list_name, "row": row, **before} if before else None,
        after={"list": list_name, "row": row, **after, **revision} if after else revision,
    )


@bp.route("/<list_name>/new", methods=["GET", "POST"])
@require_role(models.ANALYST, CHANGE)
def new(project_id: int, list_name: str) -> str | Response:
    return _form(project_id, list_name, None)


@bp.route("/<list_name>/<int:row>/edit", methods=["GET", "POST"])
@require_role(models.ANALYST, CHANGE)
def edit(project_id: int, list_name: str, row: int) -> str | Response:
    return _form(project_id, list_name, row)


@bp.route("/<list_name>/<int:row>/delete", methods=["GET", "POST"])
@require_role(models.ANALYST, CHANGE)
def delete(project_id: int, list_name: str, row: int) -> str | Response:
    session = get_session()
    project = get_project(session, project_id)
    _fields(list_name)
    items = documents.rows(project.doc, list_name)
    if not 1 <= row <= len(items):
        abort(404, description="That row does not exist; it may have been deleted.")
    heading = singular(list_name)
    errors: list[ErrorItem] = []
    if request.method == "POST":
        if not is_stale(project):
            project.set_doc(documents.without_row(project.doc, list_name, row))
            _audit_row(project, list_name, row, items[row - 1], None)
            if save(session):
                flash(f"{heading.capitalize()} {row} deleted.")
                anchor = f"#list-{list_name}"
                return redirect(url_for("projects.show", project_id=project.id) + anchor)
        errors = stale_errors(session, project, seen_revision())
        items = documents.rows(project.doc, list_name)
        if not 1 <= row <= len(items):
            abort(404, description="That row does not exist; it may have been deleted.")
    return render_template(
        "rows/delete.html",
        project=project,
        list_name=list_name,
        row=row,
        item=items[row - 1],
        heading=heading,
        errors=errors,
    )
