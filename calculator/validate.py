"""Vectorised checks of whole columns against their :class:`~calculator.fields.Field`.

Each check takes a column of raw values (from JSON or a workbook) and returns it typed
(float, bool, canonical text) with defaults filled, plus one :class:`Problem` per bad
cell.  A numeric column is checked with array operations.  Any other column is first
factorised (``pd.factorize``, a hash pass in C) and each *distinct* value is parsed once
in Python, so a 200,000-row sheet whose rates, codes and schedules repeat costs a few
thousand parses, not 200,000.  Python runs per bad cell only to word its message.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from .errors import InvalidPriceYear, Problem
from .fields import Field
from .prices import parse_price_year
from .unit_costs import parse_bool

#: Builds a located Problem for the cell at a position of the column.
Locator = Callable[[int, Field, str], Problem]
Mask = npt.NDArray[np.bool_]


#: Characters of a value a message repeats; a longer one is cut, with its length.
SHOWN_CHARS = 40


def shown(value: Any) -> str:
    """A cell's value as a person would recognise it in a message (a long one cut short)."""
    if isinstance(value, float) and value.is_integer():
        text = f"{value:.0f}"
    elif isinstance(value, int) and not isinstance(value, bool):
        text = str(value) if value.bit_length() < 200 else f"a {len(str(value)):,}-digit number"
    else:
        text = repr(value) if isinstance(value, str) else str(value)
    if len(text) > SHOWN_CHARS:
        return f"{text[: SHOWN_CHARS - 12]}... ({len(text):,} characters)"
    return text


@dataclass(frozen=True)
class Distinct:
    """A column as codes into its distinct values (``-1`` for a missing cell)."""

    codes: npt.NDArray[np.intp]
    values: list[Any]

    @classmethod
    def of(cls, column: pd.Series) -> Distinct:
        codes, uniques = pd.factorize(column.to_numpy(dtype=object), use_na_sentinel=True)
        return cls(np.asarray(codes), list(uniques))

    def gather(self, per_value: list[Any], missing: Any, dtype: Any = object) -> np.ndarray:
        """Spread one result per distinct value back over the cells."""
        table = np.empty(len(per_value) + 1, dtype=dtype)
        table[:-1] = per_value
        table[-1] = missing
        return table[self.codes]  # code -1 takes the last slot: the missing value


def _is_blank_text(value: Any) -> bool:
    return isinstance(value, str) and not value.strip()


def _number(value: Any, rate: bool) -> tuple[float, bool]:
    """(value, was written as a percentage); NaN when the cell is not a finite number.

    ``inf``, ``Infinity``, ``NaN``, ``1e309`` and integers too large for a float are not
    numbers a calculation can use: they come back as NaN, so the cell is refused.
    """
    if isinstance(value, bool | np.bool_):
        return np.nan, False
    try:
        if isinstance(value, int | float | np.integer | np.floating):
            number, percent = float(value), False
        else:
            text = str(value).strip().replace(",", "").replace("£", "")
            percent = rate and text.endswith("%")
            number = float(text[:-1].strip()) / 100.0 if percent else float(text)
    except (ValueError, OverflowError):
        return np.nan, False
    return (number, percent) if math.isfinite(number) else (np.nan, False)


def check_column(
    raw: pd.Series | None,
    spec: Field,
    size: int,
    locate: Locator,
    *,
    schedules: Collection[str] = (),
    percent_marks: Mask | None = None,
) -> tuple[pd.Series, list[Problem]]:
    """Check and type one column.  ``raw`` None means the column is absent (all blank).

    ``percent_marks`` flags cells already known to be percentages (a workbook's number
    format), so 0.45 shown as 45% and 45% typed as text are both 0.45, while a bare 45
    in a rate column is an error that suggests 45%.
    """
    if raw is None or size == 0:
        values, missing = all_blank(spec, size, locate)
        return pd.Series(values, dtype=values.dtype), missing
    problems: list[Problem] = []
    column = raw.reset_index(drop=True)

    def bad(mask: Mask, message: Callable[[Any], str]) -> None:
        for i in np.flatnonzero(mask):
            problems.append(locate(int(i), spec, message(column.iat[int(i)])))

    numeric_dtype = pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)
    if not numeric_dtype and (spec.kind == "code" or spec.name in LABELLED_CHOICES):
        column = column.map(chosen_value)  # a template dropdown's "code — name"
    if spec.kind in ("number", "integer", "rate"):
        if numeric_dtype:
            values = column.to_numpy(dtype=np.float64, na_value=np.nan, copy=True)
            blank = np.isnan(values)
            not_number = np.isinf(values)
            marks = np.zeros(size, dtype=bool)
        else:
            distinct = Distinct.of(column)
            parsed = [_number(v, spec.kind == "rate") for v in distinct.values]
            values = distinct.gather([p[0] for p in parsed], np.nan, np.float64)
            marks = distinct.gather([p[1] for p in parsed], False, bool)
            blank = distinct.gather([_is_blank_text(v) for v in distinct.values], True, bool)
            not_number = np.isnan(values) & ~blank
            values[blank] = np.nan
        if percent_marks is not None:
            marks = marks | percent_marks
        return _check_numbers(values, blank, not_number, marks, spec, bad), problems

    distinct = Distinct.of(column)
    blank = distinct.gather([_is_blank_text(v) for v in distinct.values], True, bool)
    if spec.required:
        bad(blank, lambda _: f"{spec.name} is required; give {spec.accepted()}")
    parse = _PARSERS[spec.kind]
    parsed_values = [parse(v, spec, schedules) for v in distinct.values]
    typed = distinct.gather([p[0] for p in parsed_values], spec.default)
    errors = distinct.gather([p[1] for p in parsed_values], None)
    wrong = ~blank & pd.notna(errors)
    for i in np.flatnonzero(wrong):
        problems.append(locate(int(i), spec, str(errors[i])))
    typed[blank | wrong] = spec.default
    return pd.Series(typed, dtype=object), problems


def all_blank(spec: Field, size: int, locate: Locator) -> tuple[np.ndarray, list[Problem]]:
    """A column with nothing written in it (absent, or a table of no rows), typed: the
    default in every cell, and a problem at each when the field is required.  What
    :func:`check_column` gives such a column, without factorising and parsing nothing."""
    problems: list[Problem] = []
    if spec.required and size:
        message = f"{spec.name} is required; give {spec.accepted()}"
        problems = [locate(i, spec, message) for i in range(size)]
    if spec.kind in ("number", "integer", "rate"):
        default = np.nan if spec.default is None else float(spec.default)
        return np.full(size, default, dtype=np.float64), problems
    typed = np.empty(size, dtype=object)
    typed[:] = [spec.default] * size
    return typed, problems


def _check_numbers(
    values: npt.NDArray[np.float64],
    blank: Mask,
    not_number: Mask,
    marks: Mask,
    spec: Field,
    bad: Callable[[Mask, Callable[[Any], str]], None],
) -> pd.Series:
    if spec.required:
        bad(blank, lambda _: f"{spec.name} is required; give {spec.accepted()}")
    bad(not_number, lambda v: f"{spec.name} must be {spec.accepted()}; got {shown(v)}")
    ok = ~blank & ~not_number
    with np.errstate(invalid="ignore"):
        if spec.kind == "integer":
            bad(
                ok & (values != np.round(values)),
                lambda v: f"{spec.name} must be a whole number; got {shown(v)}",
            )
        if spec.kind == "rate":
            outside = ok & ((values < 0) | (values > 1))
            looks_percent = outside & (values > 1) & (values <= 100) & ~marks
            bad(
                looks_percent,
                lambda v: (
                    f"{spec.name} must be between 0 and 1; got {shown(v)}"
                    f" - did you mean {shown(v)}%?"
                ),
            )
            bad(
                outside & ~looks_percent,
                lambda v: f"{spec.name} must be between 0 and 1; got {shown(v)}",
            )
        else:
            if spec.minimum is not None:
                bad(
                    ok & (values < spec.minimum),
                    lambda v: f"{spec.name} must be {spec.accepted()}; got {shown(v)}",
                )
            if spec.maximum is not None:
                bad(
                    ok & (values > spec.maximum),
                    lambda v: f"{spec.name} must be {spec.accepted()}; got {shown(v)}",
                )
    default = np.nan if spec.default is None else float(spec.default)
    return pd.Series(np.where(blank | not_number, default, values), dtype=np.float64)


Parsed = tuple[Any, str | None]

#: How a template dropdown shows a unit cost or an outcome theme: the value, then its
#: name (``SS3.0 — Residential care for a child``); the value is what is read.
DROPDOWN_SEPARATOR = " — "
#: Fields other than unit cost codes whose dropdown shows "value — name".
LABELLED_CHOICES = ("outcome_theme",)


def chosen_value(value: Any) -> Any:
    """The value of a dropdown entry "value — name"; anything else unchanged."""
    if isinstance(value, str) and DROPDOWN_SEPARATOR in value:
        return value.split(DROPDOWN_SEPARATOR, 1)[0].strip()
    return value


#: Longest text of a field that declares no limit of its own.
TEXT_MAX = 1000
#: Control characters refused in text: C0 (but tab and line breaks, which a spreadsheet
#: cell may hold), DEL and C1.  NUL in particular cannot be stored by PostgreSQL.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
#: References (project_id, case_id, unit cost codes): letters, digits, spaces and these.
IDENTIFIER_PUNCTUATION = "-_./&()+:#,'"
IDENTIFIER_CHARACTERS = (
    f"letters, digits, spaces and {' '.join(IDENTIFIER_PUNCTUATION)}"  # for messages
)
_NOT_IDENTIFIER = re.compile(r"[^\w " + re.escape(IDENTIFIER_PUNCTUATION) + "]")


def _text(value: Any, spec: Field, schedules: Collection[str]) -> Parsed:
    # numbers typed into text cells keep their shortest form: a project_id of 7 is "7"
    if isinstance(value, float) and value.is_integer():
        text = str(int(value))
    else:
        text = str(value).strip()
    limit = spec.max_length or TEXT_MAX
    if len(text) > limit:
        return None, (
            f"{spec.name} is {len(text):,} characters long; it may have at most {limit:,}"
        )
    control = _CONTROL.search(text)
    if control:
        return None, (
            f"{spec.name} holds a control character (U+{ord(control.group()):04X}) that "
            "cannot be shown or stored; remove it"
        )
    if spec.identifier:
        odd = sorted(set(_NOT_IDENTIFIER.findall(text)))
        if odd:
            found = " ".join(repr(c) for c in odd)
            return None, (
                f"{spec.name} may hold only {IDENTIFIER_CHARACTERS}; got {shown(text)}, "
                f"which holds {found}"
            )
    return text, None


def _choice(value: Any, spec: Field, schedules: Collection[str]) -> Parsed:
    word = str(value).strip().lower().replace(" ", "_").replace("-", "_")
    if word in spec.choices:
        return word, None
    return None, f"{spec.name} must be {spec.accepted()}; got {shown(value)}"


def _bool(value: Any, spec: Field, schedules: Collection[str]) -> Parsed:
    answer = parse_bool(value)
    if answer is None:
        return None, f"{spec.name} must be true or false; got {shown(value)}"
    return answer, None


def _price_year(value: Any, spec: Field, schedules: Collection[str]) -> Parsed:
    try:
        return parse_price_year(value), None
    except InvalidPriceYear:
        return None, (
            f"{spec.name} must be {spec.accepted()} (2013/14, 2013-2014 and 2013 are "
            f"also accepted); got {shown(value)}"
        )


def _discount(value: Any, spec: Field, schedules: Collection[str]) -> Parsed:
    """A schedule name (kept lower-case) or a flat rate (kept as a float)."""
    rate: float | None = None
    if isinstance(value, bool | np.bool_):
        rate = None
    elif isinstance(value, int | float | np.integer | np.floating):
        rate = float(value)
    else:
        text = str(value).strip().lower()
        if text in schedules:
            return text, None
        number, _ = _number(text, rate=True)
        rate = None if np.isnan(number) else number
    if rate is not None and 0 <= rate < 1:
        return rate, None
    names = ", ".join(sorted(schedules))
    return None, (
        f"{spec.name} must be a schedule name ({names}) or a flat rate from 0 to 1 "
        f"such as 0.035 or 3.5%; got {shown(value)}"
    )


_PARSERS: dict[str, Callable[[Any, Field, Collection[str]], Parsed]] = {
    "text": _text,
    "code": _text,
    "choice": _choice,
    "bool": _bool,
    "price_year": _price_year,
    "discount": _discount,
}
