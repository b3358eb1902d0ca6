"""The schemas are derived from calculator.fields and say what the engine says."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from calculator.errors import Problem
from calculator.fields import OUTCOME, PROJECT, PROJECT_LISTS, SETTINGS, Field, by_name
from calculator.validate import check_column
from froi.web.core.schemas import form_data, load, project_schema, row_schema, schema_for

SCHEDULES = ("health", "standard")
#: Values that are wrong for at least some kinds of field.
BAD = [45, -1, 7.5, 1e9, "abc", "45", "2013-15", True, "Set up!"]


def _engine_message(spec: Field, value: Any) -> str | None:
    def locate(_i: int, s: Field, message: str) -> Problem:
        return Problem(message, field=s.name)

    _, problems = check_column(
        pd.Series([value], dtype=object), spec, 1, locate, schedules=SCHEDULES
    )
    return problems[0].message if problems else None


@pytest.mark.parametrize(
    "fields",
    [PROJECT, SETTINGS, *PROJECT_LISTS.values()],
    ids=["project", "settings", *PROJECT_LISTS],
)
def test_every_field_refuses_what_the_engine_refuses_in_its_words(
    fields: tuple[Field, ...],
) -> None:
    schema = schema_for(fields, SCHEDULES)()
    for spec in fields:
        for value in BAD:
            _, errors = load(
                schema,
                {spec.name: value},
            )
            assert errors.get(spec.name) == _engine_message(spec, value), (spec.name, value)


def test_a_rate_of_45_suggests_45_percent() -> None:
    values, errors = load(
        row_schema("outcomes", SCHEDULES),
        form_data(OUTCOME, {"unit_cost_code": "SS3.0", "cohort": "40", "success": "45"}),
    )
    assert values == {}
    assert errors == {"success": "success must be between 0 and 1; got 45 - did you mean 45%?"}


def test_whole_numbers_are_never_truncated() -> None:
    # the trap marshmallow's Integer falls into without strict=True: 7.5 -> 7
    lag = (by_name(OUTCOME)["lag"],)
    _, errors = load(schema_for(lag)(), form_data(lag, {"lag": "7.5"}))
    assert errors == {"lag": "lag must be a whole number; got 7.5"}
    values, errors = load(schema_for(lag)(), {"lag": 7.0})
    assert (values, errors) == ({"lag": 7}, {})


def test_form_text_is_read_as_the_engine_reads_it() -> None:
    form = {
        "unit_cost_code": " SS3.0 ",
        "cohort": "1,200",
        "success": "45%",
        "discount": "Health",
        "deadweight": "",
    }
    values, errors = load(row_schema("outcomes", SCHEDULES), form_data(OUTCOME, form))
    assert errors == {}
    assert values == {
        "unit_cost_code": "SS3.0",
        "cohort": 1200,
        "success": 0.45,
        "discount": "health",
    }


def test_required_fields_and_unknown_fields() -> None:
    _, errors = load(row_schema("outcomes", SCHEDULES), {"cohort": 3})
    assert errors["success"].startswith("success is required; give a share between 0 and 1")
    assert errors["unit_cost_code"] == "unit_cost_code is required; give text"
    _, errors = load(project_schema(SCHEDULES), {"project_id": "P", "sucess": 0.3})
    assert "sucess" in errors


def test_fields_carry_their_declaration_for_forms_and_api_docs() -> None:
    success = project_schema(SCHEDULES).fields["margin_of_error"].metadata
    assert success["type"] == "number" and success["kind"] == "rate"
    mode = project_schema(SCHEDULES).fields["mode"].metadata
    assert mode["enum"] == ["appraisal", "comparison", "case_level"]
    assert mode["default"] == "appraisal"
