"""marshmallow schemas for forms and the API, derived from ``calculator.fields``.

Each input field is declared once, in ``calculator.fields``; nothing here restates a rule.
A schema has one :class:`Declared` field per declaration, and a Declared field checks a
value by handing it, as a one-cell column, to the engine's own column check
(``calculator.validate.check_column``).  So a form, the API, a JSON input and a workbook
accept exactly the same values and refuse them in exactly the same words ("success must
be between 0 and 1; got 45 - did you mean 45%?"), and a change to a declaration or to
the engine's check changes all of them at once.  The engine's check never truncates: 7.5
for a whole-number field is refused ("must be a whole number"), which is the trap
marshmallow's own ``Integer`` falls into without ``strict=True``.

Each field also carries its declaration as metadata (type, minimum, maximum, enum,
description, unit, example) for forms to label themselves and for API documentation.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

import marshmallow as ma
import pandas as pd

from calculator.errors import Problem
from calculator.fields import PROJECT, PROJECT_LISTS, SETTINGS, Field
from calculator.validate import check_column

#: JSON types by field kind, for API documentation.
JSON_TYPES = {
    "number": "number",
    "integer": "integer",
    "rate": "number",
    "bool": "boolean",
}
NUMERIC_KINDS = ("number", "integer", "rate")


def _locate(_i: int, spec: Field, message: str) -> Problem:
    return Problem(message, field=spec.name)


def check_value(spec: Field, value: Any, schedules: Iterable[str] = ()) -> tuple[Any, str | None]:
    """The engine's verdict on one value: (typed value, None) or (None, message)."""
    column = pd.Series([value], dtype=object)
    typed, problems = check_column(column, spec, 1, _locate, schedules=tuple(schedules))
    if problems:
        return None, problems[0].message
    return _plain(spec, typed.iloc[0]), None


def _plain(spec: Field, value: Any) -> Any:
    """A typed cell as plain JSON: whole numbers as int (a count of 120, not 120.0)."""
    if spec.kind in NUMERIC_KINDS:
        number = float(value)
        if math.isnan(number):
            return None
        if spec.kind == "integer" or (spec.kind == "number" and number.is_integer()):
            return int(number)
        return number
    if spec.kind == "bool":
        return bool(value)
    return value


class Declared(ma.fields.Field[Any]):
    """A marshmallow field checked by the engine's rule for its declaration."""

    def __init__(self, spec: Field, schedules: Iterable[str] = ()) -> None:
        self.spec = spec
        self.schedules = tuple(schedules)
        # the engine's own words for a blank required field ("success is required; give...")
        required = check_value(spec, "", self.schedules)[1] if spec.required else None
        metadata: dict[str, Any] = {
            "type": JSON_TYPES.get(spec.kind, "string"),
            "description": spec.help,
            "accepted": spec.accepted(),
            "kind": spec.kind,
        }
        optional = {
            "unit": spec.unit,
            "example": spec.example,
            "default": spec.default,
            "minimum": spec.minimum,
            "maximum": spec.maximum,
            "enum": list(spec.choices) or None,
        }
        metadata.update({k: v for k, v in optional.items() if v not in (None, "")})
        super().__init__(
            required=spec.required,
            allow_none=not spec.required,
            metadata=metadata,
            error_messages={"required": required, "null": required} if required else None,
        )

    def _deserialize(
        self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any
    ) -> Any:
        typed, message = check_value(self.spec, value, self.schedules)
        if message is not None:
            raise ma.ValidationError(message)
        return typed

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        return value


class DeclaredSchema(ma.Schema):
    """A schema of Declared fields; unknown keys are refused (a misspelt field is visible)."""

    class Meta:
        unknown = ma.RAISE

    @ma.post_load
    def drop_blanks(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        """Blank optional fields are left out, so the engine applies its defaults."""
        return {k: v for k, v in data.items() if v is not None}


@lru_cache(maxsize=32)
def schema_for(fields: tuple[Field, ...], schedules: tuple[str, ...] = ()) -> type[ma.Schema]:
    """The schema class of a tuple of declarations (cached: declarations never change)."""
    declared: dict[str, ma.fields.Field[Any]] = {
        spec.name: Declared(spec, schedules) for spec in fields
    }
    schema: type[ma.Schema] = type(
        "DeclaredSchema_" + "_".join(f.name for f in fields[:2]),
        (DeclaredSchema,),
        declared,
    )
    return schema


def project_schema(schedules: tuple[str, ...]) -> ma.Schema:
    """The project fields (METHOD 6), flat: the comparison and service figures included."""
    return schema_for(PROJECT, schedules)()


def settings_schema(schedules: tuple[str, ...]) -> ma.Schema:
    return schema_for(SETTINGS, schedules)()


def row_schema(list_name: str, schedules: tuple[str, ...]) -> ma.Schema:
    """The schema of one row of a project's list (``costs``, ``outcomes``...)."""
    return schema_for(PROJECT_LISTS[list_name], schedules)()


def form_data(fields: Iterable[Field], form: Mapping[str, str]) -> dict[str, Any]:
    """What a form posted, as the schema takes it: blanks left out, numbers as numbers.

    A number typed into a numeric field is passed as a number, so a message quotes it
    as the person typed it (``got 45``, not ``got '45'``); anything else (``45%``,
    ``£1,200``, ``abc``) goes to the engine's check as text, which reads or refuses it.
    """
    data: dict[str, Any] = {}
    for spec in fields:
        text = (form.get(spec.name) or "").strip()
        if not text:
            continue
        data[spec.name] = _as_number(text) if spec.kind in NUMERIC_KINDS else text
    return data


def _as_number(text: str) -> Any:
    try:
        return int(text)
    except ValueError:
        pass
    try:
        number = float(text)
    except ValueError:
        return text
    return number if math.isfinite(number) else text


def load(schema: ma.Schema, data: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """(typed values, {field: first message}) — never raises for a bad value."""
    try:
        loaded: dict[str, Any] = schema.load(data)
    except ma.ValidationError as error:
        messages = error.messages if isinstance(error.messages, dict) else {}
        return {}, {str(k): _first(v) for k, v in messages.items()}
    return loaded, {}


def _first(messages: Any) -> str:
    if isinstance(messages, list) and messages:
        return str(messages[0])
    return str(messages)
