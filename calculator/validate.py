"""Vectorised checks of whole columns against their :class:`~calculator.fields.Field`.

Each check takes a column of raw values (from JSON or a workbook) and returns it typed
(float, int, bool, canonical text) with defaults filled, plus one :class:`Problem` per
bad cell.  The work is done with pandas over the whole column; Python only runs per
*distinct* value (price years, discount names) or per *bad* cell (to word the message),
so a 200,000-row sheet is checked in well under a second.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

import numpy as np
import pandas as pd

from .errors import InvalidPriceYear, Problem
from .fields import Field
from .prices import parse_price_year
from .unit_costs import parse_bool

#: Builds a located Problem for the cell at a position of the column.
Locator = Callable[[int, Field, str], Problem]


def _is_mixed(column: pd.Series) -> bool:
    """True for columns of text or mixed values (object or string dtype)."""
    return not (pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column))


def _blank(column: pd.Series) -> np.ndarray:
    if _is_mixed(column):
        stripped = column.map(lambda v: v.strip() if isinstance(v, str) else v)
        return np.asarray(stripped.isna() | (stripped == ""), dtype=bool)
    return np.asarray(column.isna(), dtype=bool)


def _shown(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return f"{value:.0f}"
    return repr(value) if isinstance(value, str) else str(value)


def _percent_text(column: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Turn text such as '45%' into 0.45; report which cells were percentages."""
    is_text = column.map(lambda v: isinstance(v, str)).to_numpy(dtype=bool)
    if not is_text.any():
        return column, np.zeros(len(column), dtype=bool)
    text = column[is_text].str.strip()
    pct = text.str.endswith("%").fillna(False).to_numpy(dtype=bool)
    out = column.copy()
    converted = pd.to_numeric(text[pct].str.rstrip("%").str.strip(), errors="coerce") / 100.0
    out.loc[text.index[pct]] = converted
    marks = np.zeros(len(column), dtype=bool)
    marks[np.flatnonzero(is_text)[pct]] = True
    return out, marks


def _numbers(column: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Float values and a mask of cells that are not numbers (text, booleans)."""
    if pd.api.types.is_bool_dtype(column):
        return np.full(len(column), np.nan), np.ones(len(column), dtype=bool)
    if _is_mixed(column):
        bools = column.map(lambda v: isinstance(v, bool | np.bool_)).to_numpy(dtype=bool)
        text = column.map(lambda v: v.strip().replace(",", "") if isinstance(v, str) else v)
        values = pd.to_numeric(text, errors="coerce").to_numpy(dtype=np.float64, copy=True)
        values[bools] = np.nan
        return values, bools | (np.isnan(values) & ~_blank(column))
    values = column.to_numpy(dtype=np.float64, na_value=np.nan, copy=True)
    return values, ~np.isfinite(values) & ~np.isnan(values)


def check_column(
    raw: pd.Series | None,
    spec: Field,
    size: int,
    locate: Locator,
    *,
    schedules: Collection[str] = (),
    percent_marks: np.ndarray | None = None,
) -> tuple[pd.Series, list[Problem]]:
    """Check and type one column.  ``raw`` None means the column is absent (all blank).

    ``percent_marks`` flags cells already known to be percentages (a workbook's number
    format), so 0.45 shown as 45% and 45% typed as text are both 0.45, while a bare 45
    in a rate column is an error that suggests 45%.
    """
    problems: list[Problem] = []
    column = pd.Series([None] * size, dtype=object) if raw is None else raw.reset_index(drop=True)
    if _is_mixed(column):  # pandas' string dtype cannot hold the numbers we convert to
        column = column.astype(object)
    blank = _blank(column)

    def bad(mask: np.ndarray, message: Callable[[Any], str]) -> None:
        for i in np.flatnonzero(mask):
            problems.append(locate(int(i), spec, message(column.iat[int(i)])))

    if spec.required:
        bad(blank, lambda _: f"{spec.name} is required; give {spec.accepted()}")

    kind = spec.kind
    if kind in ("number", "integer", "rate"):
        marks = np.zeros(size, dtype=bool) if percent_marks is None else percent_marks
        if kind == "rate" and _is_mixed(column):
            column, text_marks = _percent_text(column)
            marks = marks | text_marks
        values, not_number = _numbers(column)
        bad(not_number, lambda v: f"{spec.name} must be {spec.accepted()}; got {_shown(v)}")
        ok = ~blank & ~not_number
        if kind == "integer":
            bad(
                ok & (values != np.round(values)),
                lambda v: f"{spec.name} must be a whole number; got {_shown(v)}",
            )
        if kind == "rate":
            outside = ok & ((values < 0) | (values > 1))
            looks_percent = outside & (values > 1) & (values <= 100) & ~marks
            bad(
                looks_percent,
                lambda v: (
                    f"{spec.name} must be between 0 and 1; got {_shown(v)}"
                    f" - did you mean {_shown(v)}%?"
                ),
            )
            bad(
                outside & ~looks_percent,
                lambda v: f"{spec.name} must be between 0 and 1; got {_shown(v)}",
            )
        else:
            if spec.minimum is not None:
                bad(
                    ok & (values < spec.minimum),
                    lambda v: f"{spec.name} must be {spec.accepted()}; got {_shown(v)}",
                )
            if spec.maximum is not None:
                bad(
                    ok & (values > spec.maximum),
                    lambda v: f"{spec.name} must be {spec.accepted()}; got {_shown(v)}",
                )
        default = np.nan if spec.default is None else float(spec.default)
        values = np.where(blank | not_number, default, values)
        return pd.Series(values, dtype=np.float64), problems

    if kind == "bool":
        parsed = column.map(
            lambda v: None if v is None or (isinstance(v, float) and np.isnan(v)) else parse_bool(v)
        )
        unreadable = parsed.isna().to_numpy(dtype=bool) & ~blank
        bad(unreadable, lambda v: f"{spec.name} must be true or false; got {_shown(v)}")
        return parsed.where(~(blank | unreadable), spec.default).astype(object), problems

    # text-like kinds work on stripped strings; numbers typed into text cells are kept
    # as their shortest form (a project_id of 7 is "7", not "7.0")
    def as_text(v: Any) -> Any:
        if v is None or (isinstance(v, float) and np.isnan(v)):
            return None
        if isinstance(v, float) and v.is_integer():
            return str(int(v))
        return str(v).strip()

    text = column.map(as_text)
    text = text.where(~blank, None)

    if kind == "choice":
        lowered = text.str.lower().str.replace(" ", "_", regex=False).str.replace("-", "_")
        wrong = ~blank & ~lowered.isin(spec.choices).to_numpy(dtype=bool)
        bad(wrong, lambda v: f"{spec.name} must be {spec.accepted()}; got {_shown(v)}")
        return lowered.where(~(blank | wrong), spec.default), problems

    if kind == "price_year":
        parsed_years: dict[Any, str | None] = {}
        for value in column[~blank].unique():
            try:
                parsed_years[value] = parse_price_year(value)
            except InvalidPriceYear:
                parsed_years[value] = None
        years = column.map(lambda v: parsed_years.get(v) if v in parsed_years else None)
        wrong = ~blank & years.isna().to_numpy(dtype=bool)
        bad(
            wrong,
            lambda v: (
                f"{spec.name} must be {spec.accepted()} (2013/14, 2013-2014 and "
                f"2013 are also accepted); got {_shown(v)}"
            ),
        )
        return years.where(~blank, spec.default), problems

    if kind == "discount":
        return _discount(column, blank, spec, schedules, bad), problems

    return text.where(~blank, spec.default), problems


def _discount(
    column: pd.Series,
    blank: np.ndarray,
    spec: Field,
    schedules: Collection[str],
    bad: Callable[[np.ndarray, Callable[[Any], str]], None],
) -> pd.Series:
    """A discount is a schedule name (kept lower-case) or a flat rate (kept as a float)."""

    def read(v: Any) -> Any:
        if isinstance(v, bool):
            return None
        if isinstance(v, int | float):
            return float(v) if 0 <= v < 1 else None
        text = str(v).strip().lower()
        if text in schedules:
            return text
        try:
            rate = float(text[:-1]) / 100 if text.endswith("%") else float(text)
        except ValueError:
            return None
        return rate if 0 <= rate < 1 else None

    values = column.map(lambda v: None if v is None else read(v)).astype(object)
    wrong = ~blank & values.isna().to_numpy(dtype=bool)
    names = ", ".join(sorted(schedules))
    bad(
        wrong,
        lambda v: (
            f"{spec.name} must be a schedule name ({names}) or a flat rate from "
            f"0 to 1 such as 0.035 or 3.5%; got {_shown(v)}"
        ),
    )
    return values.where(~(blank | wrong), spec.default)
