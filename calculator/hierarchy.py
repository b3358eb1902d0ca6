"""The code hierarchy of a unit cost table (METHOD 1.1).

Dots give the hierarchy: ``SS2.0.1`` is a part of ``SS2.0``.  A parent should equal the
sum of its direct parts in the same unit, within max(£1, 0.5% of the parent).  These
rules are shared by the loader (:mod:`calculator.unit_costs`), the GMCA importer and the
category rule (:mod:`calculator.categories`), so they can never disagree.
"""

from __future__ import annotations

from collections.abc import Iterable

#: A parent may differ from the sum of its same-unit parts by this share of its value ...
SUM_TOLERANCE_SHARE = 0.005
#: ... or by this many pounds, whichever is larger.
SUM_TOLERANCE_POUNDS = 1.0


def parent_code(code: str) -> str | None:
    """The code one level up (``SS2.0.1`` -> ``SS2.0``); ``None`` for a top-level code."""
    head, dot, _ = code.rpartition(".")
    return head if dot and "." in head else None


def ancestor_codes(code: str) -> list[str]:
    """Every code above ``code`` in the dotted hierarchy, nearest first."""
    out: list[str] = []
    current = parent_code(code)
    while current is not None:
        out.append(current)
        current = parent_code(current)
    return out


def children_by_parent(codes: Iterable[str]) -> dict[str, list[str]]:
    """Each code's direct parts among ``codes``, in the order given."""
    out: dict[str, list[str]] = {}
    for code in codes:
        parent = parent_code(code)
        if parent is not None:
            out.setdefault(parent, []).append(code)
    return out


def sum_tolerance(value: float) -> float:
    """How far a parent of ``value`` pounds may be from the sum of its parts: max(£1, 0.5%)."""
    return max(SUM_TOLERANCE_POUNDS, SUM_TOLERANCE_SHARE * value)


def adds_up(value: float, total: float) -> bool:
    """Whether parts totalling ``total`` make up a parent of ``value`` (METHOD 1.1)."""
    return abs(value - total) <= sum_tolerance(value)
