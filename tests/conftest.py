"""Shared fixtures: reference data for the engine tests.

Engine tests use a small fixture table (tests/data/fixture_unit_costs.csv) so their
figures do not move when the national table is revised; the default table has tests
of its own.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from calculator.reference import ReferenceData, load_reference

DATA = Path(__file__).parent / "data"
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def reference() -> ReferenceData:
    return load_reference(unit_costs=DATA / "fixture_unit_costs.csv")


@pytest.fixture(scope="session")
def default_reference() -> ReferenceData:
    return load_reference()
