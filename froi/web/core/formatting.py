"""How figures are written on every page: money as £1,234, ratios as "£1.84 per £1", dates
as 22 November 2026.

The engine keeps full precision and never rounds; rounding happens here, once, when a
figure is shown.  A missing figure (a ratio with no positive costs, a payback that never
comes) is written in words rather than left blank, so that a blank cell never has to be
interpreted.  The functions are plain so CSV exports and tests can use them too; they
are registered as Jinja filters by :func:`init_app`.
"""

from __future__ import annotations

import math
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from flask import Flask

NOT_AVAILABLE = "not available"
MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth")


def finite_number(value: Any) -> float | None:
    """A finite float, or None for anything that is not a figure (None, NaN, text)."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def money(value: Any, pence: bool = False) -> str:
    """£1,234 (whole pounds) or, with ``pence``, £1,234.56; a minus sign before the £."""
    number = finite_number(value)
    if number is None:
        return NOT_AVAILABLE
    # half up, as people round money (Python's round() would take £0.5 to £0)
    step = Decimal("0.01") if pence else Decimal(1)
    rounded = Decimal(abs(number)).quantize(step, rounding=ROUND_HALF_UP)
    text = f"£{rounded:,}"
    negative = number < 0 and rounded != 0
    return f"-{text}" if negative else text


def ratio(value: Any) -> str:
    """A return per pound: 1.8412 -> "£1.84 per £1"."""
    number = finite_number(value)
    if number is None:
        return NOT_AVAILABLE
    return f"{money(number, pence=True)} per £1"


def percent(value: Any, places: int = 0) -> str:
    """A share as a percentage: 0.876 -> "88%" (or "87.6%" with one place)."""
    number = finite_number(value)
    if number is None:
        return NOT_AVAILABLE
    return f"{number * 100:,.{places}f}%"


def number(value: Any, places: int = 0) -> str:
    """A plain figure with thousands separators; trailing ".0" never shown for whole ones."""
    figure = finite_number(value)
    if figure is None:
        return NOT_AVAILABLE
    if places == 0 or figure.is_integer():
        return f"{figure:,.0f}"
    return f"{figure:,.{places}f}"


def _as_date(value: Any) -> date | None:
    if isinstance(value, datetime | date):
        return value
    if isinstance(value, str) and value:
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return None
    return None


def long_date(value: Any) -> str:
    """22 November 2026 (no leading zero, month in words: GOV.UK style)."""
    day = _as_date(value)
    if day is None:
        return NOT_AVAILABLE
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def date_time(value: Any) -> str:
    """22 November 2026 at 10:16 (UTC), for run times."""
    moment = _as_date(value)
    if not isinstance(moment, datetime):
        return long_date(value)
    return f"{long_date(moment)} at {moment:%H:%M}" + (" UTC" if moment.tzinfo else "")


def payback(value: Any) -> str:
    """Year 2 (the third year); the engine counts years from 0."""
    figure = finite_number(value)
    if figure is None:
        return "not within the appraisal period"
    year = int(figure)
    nth = ORDINALS[year] if year < len(ORDINALS) else ordinal(year + 1)
    return f"year {year} (the {nth} year)"


def ordinal(n: int) -> str:
    """9th, 11th, 12th, 13th, 21st, 22nd, 23rd, 101st."""
    suffix = "th" if n % 100 in (11, 12, 13) else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def plain(value: Any) -> str:
    """An input value as stored, for reading: yes/no, and 120 rather than 120.0."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value)


def label(name: str) -> str:
    """A field or column name in words: ``unit_cost_code`` -> "Unit cost code"."""
    words = name.replace("_", " ").strip()
    return words[:1].upper() + words[1:]


def singular(list_name: str, article: bool = False) -> str:
    """A list's name for one of its rows: ``costs`` -> "cost" ("a cost" with ``article``)."""
    words = list_name.replace("_", " ")
    one = words[:-1] if words.endswith("s") else f"{words} row"
    return f"{'an' if one[0] in 'aeiou' else 'a'} {one}" if article else one


def init_app(app: Flask) -> None:
    app.add_template_filter(money)
    app.add_template_filter(ratio)
    app.add_template_filter(percent)
    app.add_template_filter(number)
    app.add_template_filter(long_date, "date")
    app.add_template_filter(date_time)
    app.add_template_filter(payback)
    # a page's words for a field: "Unit cost", not the name; any text with field names
    from .words import field_label, names_as_code, plain_text

    app.add_template_filter(field_label, "label")
    app.add_template_filter(plain_text, "words")
    app.add_template_filter(names_as_code, "names_as_code")
    app.add_template_filter(plain)
    app.add_template_filter(singular)
