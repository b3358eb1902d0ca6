"""Money as £1,234, ratios as "£1.84 per £1", dates as 22 November 2026."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime

import pytest
from flask import Flask, render_template_string

from froi.web.core.formatting import (
    NOT_AVAILABLE,
    date_time,
    long_date,
    money,
    number,
    payback,
    percent,
    ratio,
    singular,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1234, "£1,234"),
        (1234.5, "£1,235"),  # half up, as people round money
        (0.5, "£1"),
        (1234.49, "£1,234"),
        (558862.1742, "£558,862"),
        (-13224.0, "-£13,224"),
        (-0.4, "£0"),  # no "-£0"
        (0, "£0"),
        (None, NOT_AVAILABLE),
        (math.nan, NOT_AVAILABLE),
        (math.inf, NOT_AVAILABLE),
        ("text", NOT_AVAILABLE),
    ],
)
def test_money(value: object, expected: str) -> None:
    assert money(value) == expected


def test_money_with_pence() -> None:
    assert money(43.271, pence=True) == "£43.27"
    assert money(-1234.5, pence=True) == "-£1,234.50"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1.8412, "£1.84 per £1"),
        (1.4634819035152993, "£1.46 per £1"),
        (6.8, "£6.80 per £1"),
        (0.0, "£0.00 per £1"),
        (280.0, "£280.00 per £1"),
        (None, NOT_AVAILABLE),
        (math.nan, NOT_AVAILABLE),
    ],
)
def test_ratio(value: object, expected: str) -> None:
    assert ratio(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (date(2026, 11, 22), "22 November 2026"),
        (datetime(2026, 1, 5, 9, 7, tzinfo=UTC), "5 January 2026"),
        ("2026-11-23T10:16:44+00:00", "23 November 2026"),
        ("2026-11-23", "23 November 2026"),
        ("not a date", NOT_AVAILABLE),
        (None, NOT_AVAILABLE),
    ],
)
def test_long_date(value: object, expected: str) -> None:
    assert long_date(value) == expected


def test_date_time_and_others() -> None:
    assert date_time(datetime(2026, 11, 22, 10, 16, tzinfo=UTC)) == "22 November 2026 at 10:16 UTC"
    assert percent(0.8764396) == "88%"
    assert percent(0.8764396, 1) == "87.6%"
    assert number(120.0) == "120"
    assert number(1.8719999, 2) == "1.87"
    assert payback(2.0) == "year 2 (the third year)"
    assert payback(None) == "not within the appraisal period"
    assert payback(20.0) == "year 20 (the 21st year)"
    assert payback(11.0) == "year 11 (the 12th year)"
    assert payback(21.0) == "year 21 (the 22nd year)"
    assert singular("costs", article=True) == "a cost"
    assert singular("outcomes", article=True) == "an outcome"
    assert singular("intervention_usage") == "intervention usage row"


def test_filters_are_registered(app: Flask) -> None:
    with app.test_request_context():
        shown = render_template_string(
            "{{ 1234|money }} | {{ 1.84|ratio }} | {{ d|date }}", d=date(2026, 11, 22)
        )
    assert shown == "£1,234 | £1.84 per £1 | 22 November 2026"
