"""Names people type for sheets and headers, and how close a name is to an expected one.

A sheet name or a header is compared with the layout's names after :func:`norm` (case,
spaces and punctuation ignored: ``Unit cost code`` is ``unit_cost_code``, ``dead weight
%`` is ``deadweight``).  Every header goes through :func:`header_key` and
:func:`header_lookup`, the one place where a header becomes a field name, so that the
plain-English labels a later template may show can be added as aliases (:data:`LABELS`)
without touching the reader.

A name that matches nothing may still be a slip for one that does.  :func:`nearest`
finds it by two tests on normalised names:

- a typo: an edit distance (insertions, deletions, substitutions and swaps of two
  neighbouring letters, the "optimal string alignment" distance) of at most
  :func:`allowed_edits` of the expected name: 1 up to 8 letters, 2 up to 12, then 3
  (``deadwieght``, ``sucess``, ``Unit cost cod``, ``Outcome``).  A short name (4 or 5
  letters) allows only a last letter more or less (``Team`` for Teams, not ``Terms``),
  and a name under 4 letters no typo at all;
- a longer name that starts with the expected one (``Outcomes 2024``, ``costs1``,
  ``Costs (2)``, ``success rate``), for names of 4 letters or more.

The distance is computed on names of a few dozen letters, for the handful of names
that matched nothing, so plain Python is fast enough.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

#: Plain-English header labels, by field name: the template shows the first (``froi
#: template``), and the reader accepts any of them beside the field name.  A label is
#: matched like a field name (case, spaces and punctuation ignored), so it must not be
#: another field's name or label on the same sheet (tests/test_workbook_names.py).
LABELS: dict[str, tuple[str, ...]] = {
    "project_id": ("Project ID",),
    "name": ("Project name",),
    "organisation": ("Organisation",),
    "participants": ("Participants (people)",),
    "mode": ("Mode (appraisal, comparison or case level)",),
    "discount": ("Discount (schedule or rate)",),
    "case_cost_price_year": ("Price year of case costs",),
    "intervention_cases": ("Intervention group cases",),
    "comparison_cases": ("Comparison group cases",),
    "annual_running_cost": ("Annual running cost (£)",),
    "annual_throughput": ("Annual throughput (cases a year)",),
    "margin_of_error": ("Margin of error (%)",),
    "service_price_year": ("Price year of the running cost",),
    "description": ("Description",),
    "year": ("First year (0 = first year appraised)",),
    "end_year": ("Last year (blank = first year only)",),
    "amount": ("Amount a year (£)",),
    "price_year": ("Price year (e.g. 2024-25)",),
    "agency": ("Agency",),
    "kind": ("Kind (set up, recurring or offset)",),
    "cost_type": ("Cost type",),
    "confidence_grade": ("Confidence grade (1 best to 6)",),
    "unit_cost_code": ("Unit cost (code and name)",),
    "quantity": ("Quantity (units)",),
    "salary": ("Salary (£ a year)",),
    "on_costs": ("On-costs (% of salary)",),
    "overheads": ("Overheads (%)",),
    "amount_low": ("Amount, low estimate (£)",),
    "amount_high": ("Amount, high estimate (£)",),
    "productive_hours": ("Productive hours a year",),
    "cohort": ("Cohort (people or families)",),
    "cohort_year": ("Cohort starts in year",),
    "engagement": ("Engagement (% who take part)",),
    "success": ("Success rate (% of those engaged)",),
    "deadweight": ("Deadweight (% who would have anyway)",),
    "displacement": ("Displacement (% moved elsewhere)",),
    "attribution": ("Attribution (% credited to this project)",),
    "lag": ("Lag (years before benefits start)",),
    "duration": ("Duration (years benefits last)",),
    "drop_off": ("Drop-off (% lost each later year)",),
    "success_low": ("Success rate, low (%)",),
    "success_high": ("Success rate, high (%)",),
    "deadweight_low": ("Deadweight, low (%)",),
    "deadweight_high": ("Deadweight, high (%)",),
    "value_low": ("Unit value, low (£)",),
    "value_high": ("Unit value, high (£)",),
    "outcome_theme": ("Outcome theme",),
    "group": ("Group (intervention or comparison)",),
    "case_id": ("Case ID",),
    "cost": ("Cost of the case (£)",),
    "team": ("Team",),
}


def label_of(name: str) -> str:
    """The plain-English header of field ``name`` (the field name when it has none)."""
    labels = LABELS.get(name)
    return labels[0] if labels else name


def norm(text: object) -> str:
    """A header or sheet name compared ignoring case, spaces and punctuation."""
    return re.sub(r"[^0-9a-z]", "", str(text).lower())


def header_key(text: object) -> str:
    """What a header cell is matched by: its text without case, spaces or punctuation."""
    return norm(text)


def header_lookup(names: Iterable[str]) -> dict[str, str]:
    """Header key -> field name for the fields ``names`` and their labels (:data:`LABELS`)."""
    lookup: dict[str, str] = {}
    for name in names:
        for text in (*LABELS.get(name, ()), name):
            lookup[header_key(text)] = name
    return lookup


def edit_distance(a: str, b: str) -> int:
    """The optimal string alignment distance: insertions, deletions, substitutions and
    swaps of two neighbouring characters, each counting 1 (``wieght`` is 1 from
    ``weight``)."""
    if a == b:
        return 0
    before: list[int] = []
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, y in enumerate(b, 1):
            current[j] = min(
                previous[j] + 1,
                current[j - 1] + 1,
                previous[j - 1] + (x != y),
            )
            if i > 1 and j > 1 and x == b[j - 2] and a[i - 2] == y:
                current[j] = min(current[j], before[j - 2] + 1)
        before, previous = previous, current
    return previous[-1]


def allowed_edits(expected: str) -> int:
    """How many edits a normalised name may be from ``expected`` to count as a typo of it
    (names of 5 letters or fewer: see :func:`closeness`)."""
    size = len(expected)
    if size <= 8:
        return 1
    return 2 if size <= 12 else 3


def closeness(typed: str, expected: str) -> tuple[int, int] | None:
    """How ``typed`` is close to ``expected`` (both normalised), as a sort key (lower is
    closer): ``(0, edits)`` for a typo, ``(1, extra letters)`` for a name that starts
    with ``expected``; None when neither."""
    if not typed or typed == expected:
        return None
    if len(expected) <= 5:
        if len(expected) >= 4 and typed == expected[:-1]:
            return (0, 1)
    else:
        edits = edit_distance(typed, expected)
        if edits <= allowed_edits(expected):
            return (0, edits)
    if len(expected) >= 4 and typed.startswith(expected):
        return (1, len(typed) - len(expected))
    return None


def nearest(typed: object, candidates: Iterable[str]) -> str | None:
    """The candidate ``typed`` is a slip for (see the module docstring), or None.

    Candidates are compared by :func:`norm`; ties go to the first candidate given.
    """
    key = norm(typed)
    best: tuple[tuple[int, int], int, str] | None = None
    for order, candidate in enumerate(candidates):
        close = closeness(key, norm(candidate))
        if close is not None and (best is None or (close, order) < best[:2]):
            best = (close, order, candidate)
    return best[2] if best else None
