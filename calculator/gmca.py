"""Import the GMCA (New Economy) Unit Cost Database v1.4 and report its data-quality problems.

The project's extraction of the workbook (``unit_costs/sources/gmca_unit_cost_database_v1_4.json``)
is the seed of the default national table, and it is imperfect: parents that are not the sum
of their parts, values that cannot be right for their unit, an entry lost by the extraction,
multi-year figures whose unit reads like a rate.  A figure that is quietly wrong does more
harm than one that is missing, so the importer keeps **every** entry and reports every
problem it can detect as a warning naming the entry's code, its position in the file and the
field.  Nothing is dropped and nothing is corrected beyond spelling (agency capitalisation,
placeholder text); deciding what to use is left to the table builder and to the person
reading :func:`quality_report`.

Every entry is a fiscal cost except where its description says it includes economic or
social value ("fiscal and economic benefit", "fiscal, economic and social values"): such
an entry is categorised ``economic`` or ``social`` (METHOD 2.2, the rule in
:mod:`calculator.categories`), and each is reported as an ``economic_or_social_value``
warning naming the fiscal parts to use instead where the database publishes them.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from .categories import value_label
from .errors import InvalidPriceYear, Problem
from .gmca_checks import CHECKS, KINDS, QualityProblem, hierarchy_parent, warn
from .prices import DeflatorTable, parse_price_year
from .unit_costs import COLUMNS, validate_rows

__all__ = ["KINDS", "GmcaImport", "QualityProblem", "import_gmca", "quality_report"]

SOURCE = "GMCA Unit Cost Database v1.4 (March 2015)"

#: Agencies as METHOD 1.1 and the database spell them; other spellings are normalised to these.
KNOWN_AGENCIES = (
    "Local Authority",
    "NHS",
    "Police",
    "Criminal Justice System",
    "DWP",
    "HM Revenue and Customs",
    "Department for Education",
    "HM Treasury",
    "Ministry of Justice",
    "Probation",
    "Court",
    "Prison / Young Offenders Institute",
    "Fire Service",
    "Schools",
    "Multiple",
)

_PLACEHOLDERS = {"-", "--", "n/a", "na", "none", "null", "?"}
_WORKBOOK_ROW = re.compile(r"^=IF\(H(\d+)>0")
_ENTRY_FIELDS = (
    "code",
    "detail",
    "description",
    "unit",
    "agency",
    "agency_detail",
    "source_detail",
)


@dataclass(frozen=True)
class GmcaImport:
    """The database as unit cost rows, with every data-quality warning found on the way.

    ``rows`` is indexed by code with the columns of :data:`calculator.unit_costs.COLUMNS`,
    typed as :func:`~calculator.unit_costs.validate_rows` returns them.  ``entries`` keeps
    what a table row has no column for: theme, sheet, detail, the entry's 1-based position
    in the file and its workbook row.
    """

    rows: pd.DataFrame
    problems: list[Problem]
    entries: pd.DataFrame = field(default_factory=pd.DataFrame)


def problem_kind(problem: Problem) -> str:
    """The kind of a warning; plain problems from the hierarchy check are recognised too."""
    if isinstance(problem, QualityProblem):
        return problem.kind
    return "hierarchy_mismatch" if hierarchy_parent(problem) else "invalid"


def problem_code(problem: Problem) -> str | None:
    """The code a warning is about, if it names one."""
    if isinstance(problem, QualityProblem):
        return problem.code
    return hierarchy_parent(problem)


def flags_by_code(problems: Iterable[Problem]) -> dict[str, list[str]]:
    """Each code's warning kinds, in :data:`KINDS` order, each once."""
    found: dict[str, set[str]] = {}
    for p in problems:
        code = problem_code(p)
        if code:
            found.setdefault(code, set()).add(problem_kind(p))
    order = list(KINDS)
    return {
        c: sorted(k, key=lambda x: order.index(x) if x in order else len(order))
        for c, k in found.items()
    }


def quality_report(problems: Iterable[Problem], *, detail: bool = True) -> str:
    """A person's summary: how many warnings of each kind, then (``detail``) each one."""
    problems = list(problems)
    counts = Counter(problem_kind(p) for p in problems)
    kinds = [k for k in KINDS if counts[k]] + sorted(k for k in counts if k not in KINDS)
    lines = [f"{len(problems)} data-quality warning{'s' if len(problems) != 1 else ''}"]
    lines += [f"  {counts[k]:4d}  {k}: {KINDS.get(k, k)}" for k in kinds]
    if detail:
        for kind in kinds:
            lines += ["", f"{kind}:"]
            lines += [f"  {p}" for p in problems if problem_kind(p) == kind]
    return "\n".join(lines)


def import_gmca(path: Path | str, deflators: DeflatorTable | None) -> GmcaImport:
    """Load every entry of the GMCA extraction at ``path`` as unit cost rows, with warnings.

    ``deflators`` (optional) lets the price years be checked against the table a run will use.
    """
    path = Path(path)
    data = json.loads(path.read_text(encoding="utf-8"))
    entries, issues = _entries(data, path.name)
    issues += _agencies(entries, path.name)
    records = []
    for e in entries:
        where = e["sheet"] if e["detail"] in ("", "-") else f"{e['sheet']}/{e['detail']}"
        record = {k: e[k] for k in ("code", "unit", "agency", "agency_detail")}
        record.update(
            name=e["description"],
            value=e["cost_gbp"],
            price_year=e["source_detail"],
            category=_category(e["description"]),
            cashable="false",
            group=where.replace("/", " / ", 1),
            source=f"{SOURCE}, {where}; price year {_year_label(e['source_detail'])}",
        )
        records.append((int(e["position"]), record))
    rows, invalid = validate_rows(
        records, COLUMNS, file=path.name, deflators=deflators, row_label="entry"
    )
    codes = {int(e["position"]): str(e["code"]) for e in entries}
    kind_of = {"value": "missing_value", "price_year": "price_year", "agency": "missing_agency"}
    for p in invalid:
        code = codes.get(p.row or 0, "")
        kind = kind_of.get(p.field or "", "invalid")
        issues.append(warn(path.name, p.row or 0, code, kind, f"{code}: {p.message}", p.field))
    info = pd.DataFrame.from_records(entries).set_index("code")
    frame = rows.join(info[["position", "sheet", "detail", "workbook_row"]])
    for check in CHECKS:
        issues += check(frame, path.name)
    order = list(KINDS)
    issues.sort(key=lambda p: (p.row or 0, order.index(problem_kind(p))))
    flags = flags_by_code(issues)
    rows["notes"] = [
        f"Workbook sheet '{e['sheet']}', row {e['workbook_row']}."
        + (f" Data-quality warnings: {', '.join(flags[e['code']])}." if e["code"] in flags else "")
        for e in entries
    ]
    return GmcaImport(rows=rows, problems=issues, entries=info)


def _category(description: str) -> str:
    """``fiscal`` (the database gives fiscal costs) unless the description says the figure
    includes economic or social value (METHOD 2.2; :mod:`calculator.categories`)."""
    label = value_label(description)
    return "fiscal" if label is None else label.category


def _year_label(text: str) -> str:
    """The canonical price year for a source text, or the text itself if it is not one."""
    try:
        return parse_price_year(text)
    except InvalidPriceYear:
        return text or "unknown"


def _text(value: object) -> str:
    return "" if value is None else " ".join(str(value).split())


def _entries(data: dict[str, Any], file: str) -> tuple[list[dict[str, Any]], list[Problem]]:
    """One record per entry in file order, text tidied; a code used twice gets a suffix.

    Codes must be unique for a table, but both figures are kept: which one is right is for
    a person to decide, and the warning says where the first one is.
    """
    issues: list[Problem] = []
    entries: list[dict[str, Any]] = []
    for theme, block in data.get("categories", {}).items():
        items = block.get("entries", [])
        if block.get("count") is not None and block["count"] != len(items):
            message = f"theme '{theme}' says it has {block['count']} entries but holds {len(items)}"
            issues.append(warn(file, len(entries) + 1, "", "count_mismatch", message, None))
        for item in items:
            match = _WORKBOOK_ROW.match(str(item.get("notes") or ""))
            entry: dict[str, Any] = {k: _text(item.get(k)) for k in _ENTRY_FIELDS}
            entry.update(theme=theme, sheet=_text(block.get("sheet")) or theme)
            entry.update(cost_gbp=item.get("cost_gbp"), position=len(entries) + 1)
            entry.update(workbook_row=int(match[1]) if match else -1)
            entries.append(entry)
    total = data.get("total_entries")
    if total is not None and total != len(entries):
        message = f"the file says it has {total} entries but holds {len(entries)}"
        issues.append(warn(file, 1, "", "count_mismatch", message, None))
    first: dict[str, int] = {}
    for e in entries:
        original = e["code"] or f"GMCA-UNCODED-{e['position']}"
        if not e["code"]:
            message = f"{original}: entry has no code; named after its position"
            issues.append(warn(file, e["position"], original, "invalid", message, "code"))
        e["code"] = original
        n = 2
        while e["code"] in first:
            e["code"], n = f"{original}~{n}", n + 1
        if e["code"] != original:
            message = (
                f"{original} is used again (first at entry {first[original]}); both kept, "
                f"this one as {e['code']}"
            )
            issues.append(warn(file, e["position"], e["code"], "duplicate_code", message, "code"))
        first[e["code"]] = e["position"]
    return entries, issues


def _agencies(entries: list[dict[str, Any]], file: str) -> list[Problem]:
    """Make agency and agency detail spelling consistent, with a warning for each change.

    A spelling that matches a known agency ignoring case takes the known spelling; another
    agency detail takes its most common spelling in the file.  Placeholders become blank.
    Benefits are reported by agency, so 'Local authority' and 'Local Authority' must be one.
    """
    known = {a.lower(): a for a in KNOWN_AGENCIES}
    spellings = Counter(e["agency_detail"] for e in entries if e["agency_detail"])
    for spelling, _ in sorted(spellings.items(), key=lambda kv: (-kv[1], kv[0])):
        known.setdefault(spelling.lower(), spelling)
    issues: list[Problem] = []
    for e in entries:
        for col in ("agency", "agency_detail"):
            raw = e[col]
            e[col] = "" if raw.lower() in _PLACEHOLDERS else known.get(raw.lower(), raw)
            if e[col] != raw:
                change = f"'{raw}' read as '{e[col]}'" if e[col] else f"placeholder '{raw}' dropped"
                message = f"{e['code']}: {col} {change}"
                issues.append(warn(file, e["position"], e["code"], "agency_spelling", message, col))
        if e["agency"] == "Multiple":
            message = (
                f"{e['code']}: agency is 'Multiple', so benefits by agency cannot place it; "
                "use its parts or name the agency that bears it"
            )
            issues.append(
                warn(file, e["position"], e["code"], "multiple_agency", message, "agency")
            )
    return issues
