"""Which category a unit cost may have: a figure that includes more than public money is
never ``fiscal`` (METHOD 2.2).

FROI counts fiscal value only, so a unit cost whose source describes it as including
economic value (individuals' and businesses' money) or social value (wellbeing, health)
overstates the FROI of every project that counts it as fiscal.  The GMCA Unit Cost
Database says so in the names of such rows: "(fiscal, economic and social values)",
"fiscal and economic benefit", "fiscal and economic costs".  The rule here reads those
words:

* :func:`value_label` finds a **value-type phrase** in a text: one or more of the words
  *fiscal*, *economic*, *social* joined by ``,``, *and*, *or*, ``&``, ``/`` or *plus*,
  naming economic or social value, and either followed by *value*, *cost*, *benefit* or
  *saving* (singular or plural; not "Social Value Act"), or listing *fiscal* beside them
  ("fiscal and economic"), or closing the text or a bracket ("(economic and social)").
  A phrase directly after *excluding*, *not* (*including*), *no*, *without*, *less*,
  *minus*, *net of* or *other than* is a denial, not a label.  Ordinary words are not
  value types: "Social Services", "social worker", "health and social care costs",
  "economically inactive", "Social housing", "anti-social behaviour", "socio-economic",
  "Employment & Economy".
* such a unit cost is ``social`` if the phrase names social value, else ``economic``;
  a ``social`` label also refuses ``economic`` (it would overstate the economic ratio).
* :func:`category_problems` is the loader's check (every table, upload and run's local
  rows): a row so labelled with a category it may not have is refused, naming the row,
  the words found and the category that would be accepted, and the row's fiscal parts
  where the same table holds them (:func:`fiscal_parts`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from .errors import Problem
from .hierarchy import adds_up, children_by_parent

_TYPE = r"(?<![-\w])(?:fiscal|economic|social)\b"
_JOIN = r"(?:\s*,\s*(?:and\s+|or\s+)?|\s+(?:and|or|plus)\s+|\s*[&/+]\s*)"
_NOUN = r"\s+(?:values?|costs?|benefits?|savings?)\b(?!\s+act\b)"
_PHRASE = re.compile(rf"(?P<types>{_TYPE}(?:{_JOIN}{_TYPE})*)(?P<noun>{_NOUN})?", re.I)
_WORD = re.compile(r"fiscal|economic|social", re.I)
_DENIAL = re.compile(
    r"\b(?:excluding|excludes?|excl\.?|not(?:\s+including)?|no|without|less|minus|net of"
    r"|other than)"
    r"\s+(?:the\s+|any\s+)?$",
    re.I,
)
_CLOSES = re.compile(r"\s*(?:$|[)\]}.;:!?])")

#: What each category counts towards (METHOD 2.3), for the reasons given to people.
COUNTS_TOWARDS = {
    "economic": "the economic and public value ratios, never the FROI",
    "social": "the public value ratio only, never the FROI or the economic ratio",
}


@dataclass(frozen=True)
class ValueLabel:
    """A text's description of a unit cost as including economic or social value.

    ``category`` is what the unit cost is (``economic`` or ``social``); ``words`` the
    phrase as written, so a person can find it.
    """

    category: str
    words: str

    @property
    def allowed(self) -> tuple[str, ...]:
        """The categories such a unit cost may have: never fiscal (METHOD 2.2)."""
        return ("social",) if self.category == "social" else ("economic", "social")


def value_label(*texts: str) -> ValueLabel | None:
    """The value-type phrase in ``texts`` that names economic or social value, if any.

    Every phrase in every text is read; the unit cost is ``social`` if any names social
    value, else ``economic``.  ``words`` are the first phrase naming social value, or the
    first naming economic value.
    """
    found: list[tuple[str, str]] = []
    for text in texts:
        for match in _PHRASE.finditer(text or ""):
            types = {w.lower() for w in _WORD.findall(match["types"])}
            if not types & {"economic", "social"} or _DENIAL.search(text[: match.start()]):
                continue
            several = len(_WORD.findall(match["types"])) > 1
            closes = _CLOSES.match(text, match.end()) is not None
            if match["noun"] or (several and ("fiscal" in types or closes)):
                found.append(("social" if "social" in types else "economic", match[0]))
    for category in ("social", "economic"):
        words = next((w for c, w in found if c == category), None)
        if words is not None:
            return ValueLabel(category, words)
    return None


@dataclass(frozen=True)
class FiscalParts:
    """A unit cost's direct parts that are fiscal and say nothing of other value.

    ``total`` sums those in the unit cost's own unit; ``whole`` is whether they add up to
    its value (METHOD 1.1's tolerance), so the parts can replace it with nothing lost.
    """

    codes: tuple[str, ...]
    total: float
    whole: bool


def fiscal_parts(
    code: str, rows: pd.DataFrame, kids: Mapping[str, list[str]] | None = None
) -> FiscalParts | None:
    """The fiscal parts of ``code`` among ``rows`` (indexed by code, with the loader's
    columns), or ``None`` if it has none.  ``kids`` (from
    :func:`~calculator.hierarchy.children_by_parent`) saves working out the hierarchy again.
    """
    kids = children_by_parent(map(str, rows.index)) if kids is None else kids
    codes = tuple(
        c
        for c in kids.get(code, [])
        if rows.at[c, "category"] == "fiscal" and value_label(str(rows.at[c, "name"])) is None
    )
    if not codes:
        return None
    unit = str(rows.at[code, "unit"]).strip().lower()
    same = [c for c in codes if str(rows.at[c, "unit"]).strip().lower() == unit]
    values = rows["value"].astype(float)
    total, value = float(values[same].sum()), float(values[code])
    return FiscalParts(codes, total, len(same) == len(codes) and adds_up(value, total))


def recategorisation_reason(
    label: ValueLabel, parts: FiscalParts | None, value: float, absent: tuple[str, ...] = ()
) -> str:
    """Why a unit cost is ``label.category``, not fiscal, in plain words, and what to use
    for a fiscal saving: its fiscal parts where they are published (``absent``: those of
    them not in the table at hand)."""
    text = (
        f"Category {label.category}, not fiscal: the source describes it as "
        f"'{label.words}', and a figure that includes {label.category} value is never "
        f"counted as fiscal (METHOD 2.2); it counts towards {COUNTS_TOWARDS[label.category]}."
    )
    if parts is None:
        return text + " No fiscal part of it is published separately."
    listed = ", ".join(parts.codes)
    missing = f"; {', '.join(absent)} not in this table" if absent else ""
    if parts.whole:
        size = f"add up to its value (£{value:,.2f}), so nothing is lost by using them"
    else:
        size = f"add up to £{parts.total:,.2f} of its £{value:,.2f}"
    return (
        f"{text} Its fiscal parts are published as rows of their own ({listed}{missing}) "
        f"and {size}: pick them for the fiscal saving instead of this row."
    )


def recategorisation_reasons(source: pd.DataFrame, keep: set[str] | None = None) -> dict[str, str]:
    """For each row of ``source`` (or of ``keep``, the rows of a table built from it)
    whose name says it includes economic or social value, the reason it is not fiscal and
    the fiscal parts to pick instead (:func:`recategorisation_reason`).

    ``source`` is the whole database, indexed by code with the loader's columns; fiscal
    parts are looked for in all of it, and those missing from ``keep`` are named so.
    """
    kids = children_by_parent(map(str, source.index))
    values = source["value"].astype(float)
    out = {}
    for code in map(str, source.index):
        label = value_label(str(source.at[code, "name"]))
        if label is not None and (keep is None or code in keep):
            parts = fiscal_parts(code, source, kids)
            absent = tuple(c for c in parts.codes if c not in keep) if parts and keep else ()
            out[code] = recategorisation_reason(label, parts, float(values[code]), absent)
    return out


def category_problems(
    rows: pd.DataFrame,
    numbers: Mapping[str, int],
    *,
    file: str | None,
    list_name: str | None = None,
) -> list[Problem]:
    """A problem for each row whose name describes it as including economic or social
    value while its category is one it may not have (fiscal, or economic for social value).

    ``rows`` as :func:`~calculator.unit_costs.validate_rows` types them; ``numbers`` each
    code's row number, to locate the problem.  The message names the words found and what
    would be accepted, with the row's fiscal parts where ``rows`` holds them.
    """
    problems: list[Problem] = []
    kids: dict[str, list[str]] | None = None
    for code, name, category in zip(rows.index, rows["name"], rows["category"], strict=True):
        label = value_label(str(name))
        if label is None or category in label.allowed or category not in ("fiscal", "economic"):
            continue  # an unknown or blank category is refused by the loader already
        kids = children_by_parent(map(str, rows.index)) if kids is None else kids
        parts = fiscal_parts(str(code), rows, kids)
        accepted = " or ".join(label.allowed)
        if parts is not None:
            instead = (
                f"; or use its fiscal parts {', '.join(parts.codes)}, rows of their own in "
                "this table, for the fiscal saving"
            )
        else:
            instead = "; or use its fiscal part instead if that is published as a row of its own"
        message = (
            f"{code} is categorised {category} but its name says '{label.words}', so it "
            f"includes {label.category} value: counting it as {category} would overstate "
            f"the {'FROI' if category == 'fiscal' else 'economic ratio'} (METHOD 2.2). "
            f"Give it category {accepted}{instead}"
        )
        problems.append(
            Problem(
                message, file=file, list=list_name, row=numbers.get(str(code)), field="category"
            )
        )
    return problems
