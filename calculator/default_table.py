"""Build the default national unit cost table for children, families and young people.

The table is made, not edited: every row comes from the GMCA Unit Cost Database v1.4
(through :mod:`calculator.gmca`, which reports its data-quality problems) or from a small
file of current figures, and every choice is data a reviewer can read in ``unit_costs/``:

* ``gmca_selection.csv``: which GMCA rows are in, rule by rule, with the reason;
* ``gmca_grading.csv``: the confidence grade (METHOD 1.3) by price year, and how each kind
  of data-quality warning weakens it;
* ``current_figures.csv``: recent figures (NAO, PSSRU, DCLG) in their own ``CUR`` codes.

A row whose name says it includes economic or social value is never fiscal (METHOD 2.2):
the importer categorises it ``economic`` or ``social`` and the builder appends the reason
to its ``grade_reason``, naming its fiscal parts to pick instead where they are published.

Rebuilding is deterministic, so the committed table can be checked against a fresh build::

    python -m calculator.default_table
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any, NoReturn

import numpy as np
import pandas as pd

from .categories import recategorisation_reasons
from .errors import InvalidInput, Problem
from .gmca import SOURCE, flags_by_code, import_gmca, problem_code, problem_kind, quality_report
from .gmca_checks import KINDS, warn
from .prices import DeflatorTable, parse_price_year, year_start
from .provenance import TableMeta, read_csv_rows, write_meta
from .reference import load_deflators
from .unit_costs import COLUMNS, parent_code, parse_bool, table_hash, validate_rows, write_table

UNIT_COSTS = Path(__file__).resolve().parent.parent / "unit_costs"
GMCA_JSON = UNIT_COSTS / "sources" / "gmca_unit_cost_database_v1_4.json"
SELECTION = UNIT_COSTS / "gmca_selection.csv"
GRADING = UNIT_COSTS / "gmca_grading.csv"
CURRENT = UNIT_COSTS / "current_figures.csv"
OUTPUT = UNIT_COSTS / "national_children_families.csv"
CURRENT_PREFIX = "CUR"
WORST_GRADE = 6

META = TableMeta(
    name="National unit costs for children, families and young people",
    version="2026.2",
    publisher="FROI calculator project, from the GMCA Research Team's Unit Cost Database "
    "(New Economy) and the sources of its current figures",
    licence="GMCA Unit Cost Database v1.4: Creative Commons (via GO Lab, University of "
    "Oxford). CUR rows: the terms of their sources (NAO and DCLG reports, Open Government "
    "Licence; PSSRU Unit Costs, University of Kent), cited with attribution. Selection, "
    "grading and code: MIT",
    date="2026-12-02",
    last_verified="2026-12-02",
    source=f"{SOURCE} (https://golab.bsg.ox.ac.uk/knowledge-bank/resources/unit-cost-database/"
    "), extracted to unit_costs/sources/gmca_unit_cost_database_v1_4.json; current figures "
    "from NAO (2025), PSSRU (2017) and DCLG (2015), in unit_costs/current_figures.csv",
    description="Unit costs for appraising services for children, families and young people "
    "in England: GMCA rows at their original price years (rebase with the deflator table), "
    "each with a confidence grade and its reason, plus recent national figures. Fiscal, "
    "except rows whose source says they include economic or social value, which are "
    "categorised economic or social and name their fiscal parts where those are published.",
)

#: What each version changed, newest first: a published version never changes, and a
#: result names the version it used, so a reader of an old result can see what moved.
CHANGES = (
    "2026.2 (2 December 2026): every row whose name says it includes economic or social "
    "value ('fiscal and economic', 'fiscal, economic and social values') is categorised "
    "economic or social instead of fiscal (METHOD 2.2): 38 rows, the crime costs CR2.0 and "
    "CR8.0-CR8.19, the qualification benefits E&S5.0-E&S13.0, E&S2.0, E&S4.1, E&E1.0-E&E3.0, "
    "HE13.0, HE13.1 and SS16.0. Each one's grade_reason says why and names the fiscal parts "
    "to pick instead where the database publishes them. Values and grades are unchanged.",
    "2026.1 (23 November 2026): first version; every GMCA row was categorised fiscal.",
)


@dataclass(frozen=True)
class Rule:
    """One line of ``gmca_selection.csv``: conditions, and what happens to rows meeting them.

    ``grade`` (optional) is a grade the row is at least: a reason, beyond its price year,
    to trust a whole group of rows less (legacy benefits replaced by Universal Credit).
    """

    name: str
    line: int
    sheet: str
    detail: str
    patterns: tuple[str, ...]
    keyword: re.Pattern[str] | None
    include: bool
    grade: int | None
    grade_reason: str

    def matches(self, info: pd.DataFrame) -> np.ndarray[Any, np.dtype[np.bool_]]:
        """Which rows of ``info`` (indexed by code; sheet, detail, name) meet every condition.

        A code pattern matches a code or any code below it: ``HE14.0`` takes HE14.0.1 too,
        so a rule cannot split a parent from its parts by accident.
        """
        mask = np.ones(len(info), dtype=bool)
        for column, wanted in (("sheet", self.sheet), ("detail", self.detail)):
            if wanted:
                mask &= (info[column].str.lower() == wanted.lower()).to_numpy()
        if self.patterns:
            codes = [str(c) for c in info.index]
            patterns = [*self.patterns, *(p + ".*" for p in self.patterns)]
            mask &= [any(fnmatchcase(c, p) for p in patterns) for c in codes]
        if self.keyword is not None:
            mask &= info["name"].str.contains(self.keyword, regex=True).to_numpy()
        return mask


@dataclass(frozen=True)
class Grading:
    """``gmca_grading.csv``: base grade by price-year band, and the effect of each warning."""

    bands: tuple[tuple[int, int, int, str], ...]  # first year, last year, grade, reason
    floors: dict[str, tuple[int, str]]  # warning kind -> the grade is at least this; reason
    worsen: dict[str, tuple[int, str]]  # warning kind -> grades weaker (0: a note); reason


def _refuse(path: Path, message: str, line: int | None = None, fld: str | None = None) -> NoReturn:
    raise InvalidInput([Problem(message, file=path.name, row=line, field=fld)], path.name)


def _read(path: Path, required: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
    header, rows, problems = read_csv_rows(path)
    problems += [
        Problem(f"required column '{c}' is missing", file=path.name, field=c)
        for c in required
        if c not in header
    ]
    if problems:
        raise InvalidInput(problems, context=path.name)
    return rows


def _grade(path: Path, line: int, text: str) -> int | None:
    if text and not (text.isdigit() and 1 <= int(text) <= WORST_GRADE):
        _refuse(path, f"grade must be a whole number 1-6 or blank; got '{text}'", line, "grade")
    return int(text) if text else None


def load_rules(path: Path = SELECTION) -> list[Rule]:
    """The selection rules, in file order (the first rule a row meets decides it)."""
    rules = []
    columns = ("rule", "sheet", "detail", "code_pattern", "keyword", "include", "reason")
    for line, row in _read(path, columns):
        include = parse_bool(row["include"])
        if include is None or not row["reason"] or not row["rule"]:
            _refuse(path, "each rule needs a name, include true or false, and a reason", line)
        grade = _grade(path, line, row.get("grade", ""))
        if grade is not None and not row.get("grade_reason"):
            _refuse(path, "a rule that sets a grade must say why", line, "grade_reason")
        rules.append(
            Rule(
                name=row["rule"],
                line=line,
                sheet=row["sheet"],
                detail=row["detail"],
                patterns=tuple(row["code_pattern"].split()),
                keyword=re.compile(row["keyword"], re.I) if row["keyword"] else None,
                include=include,
                grade=grade,
                grade_reason=row.get("grade_reason", ""),
            )
        )
    return rules


def load_grading(path: Path = GRADING) -> Grading:
    """The grading rules; a warning kind the importer does not know is refused (a typo)."""
    bands, floors, worsen = [], {}, {}
    for line, row in _read(path, ("basis", "match", "grade", "worsen_by", "reason")):
        grade, kind = _grade(path, line, row["grade"]), row["match"]
        if row["basis"] == "price_year" and grade is not None:
            first, _, last = kind.partition("..")
            years = year_start(parse_price_year(first)), year_start(parse_price_year(last or first))
            bands.append((*years, grade, row["reason"]))
        elif row["basis"] == "quality" and kind in KINDS:
            if grade is not None:
                floors[kind] = (grade, row["reason"])
            if row["worsen_by"]:
                worsen[kind] = (int(row["worsen_by"]), row["reason"])
        else:
            _refuse(path, f"unknown basis '{row['basis']}' or warning kind '{kind}'", line, "match")
    return Grading(tuple(bands), floors, worsen)


def grade_row(price_year: str, rule: Rule, kinds: list[str], grading: Grading) -> tuple[int, str]:
    """A row's grade and the reason for it, spelt out.

    Base grade: the price-year band's, or the selection rule's where that is weaker.  Then
    the highest floor among the row's warnings, or the base made weaker by the largest step
    among them: not their sum, since one flaw is what makes a figure doubtful.
    """
    start = year_start(price_year)
    band = next((b for b in grading.bands if b[0] <= start <= b[1]), None)
    base, why = (band[2], band[3]) if band else (WORST_GRADE, "its price year is in no band")
    if rule.grade is not None and rule.grade > base:
        base, why = rule.grade, rule.grade_reason
    floors = [grading.floors[k] for k in kinds if k in grading.floors]
    steps = [grading.worsen[k] for k in kinds if k in grading.worsen]
    step = max((n for n, _ in steps), default=0)
    grade = min(WORST_GRADE, max([base + step, *(g for g, _ in floors)]))
    text = [f"Grade {grade}. Base grade {base}: {why}."]
    text += [f"At least grade {g}: {r}." for g, r in floors]
    if step:
        plural = "s" if step > 1 else ""
        text.append(
            f"{step} grade{plural} weaker (the largest step among its warnings, not a sum)."
        )
    text += [f"{'Warning' if n else 'Note'}: {r}." for n, r in steps]
    return grade, " ".join(text)


def select_rows(
    info: pd.DataFrame, rules: list[Rule], selection: Path, source: str
) -> tuple[pd.Series, list[Problem]]:
    """The rule that decides each row (the first it meets), and warnings about the rules.

    A row no rule meets, and a rule no row meets, are both reported: the first is a gap in
    the rules, the second a rule that no longer does anything.
    """
    decided = np.full(len(info), -1)
    problems: list[Problem] = []
    for i, rule in enumerate(rules):
        take = rule.matches(info) & (decided == -1)
        decided[take] = i
        if not take.any():
            message = f"rule '{rule.name}' decides no row"
            problems.append(warn(selection.name, rule.line, "", "unused_rule", message, "rule"))
    chosen = pd.Series([rules[i].name if i >= 0 else "" for i in decided], index=info.index)
    for code in chosen.index[chosen == ""]:
        message = f"{code}: no selection rule decides it, so it is left out"
        problems.append(warn(source, info.at[code, "position"], str(code), "not_selected", message))
    return chosen, problems


def _family_problems(keep: pd.Index, info: pd.DataFrame, source: str) -> list[Problem]:
    """A parent in the table without one of its parts, or a part without its parent."""
    inside, problems = set(keep), list[Problem]()
    for code in map(str, info.index):
        parent = parent_code(code)
        if parent is not None and parent in info.index and (code in inside) != (parent in inside):
            held, missing = (code, parent) if code in inside else (parent, code)
            message = f"{held} is in the table but {missing} is not"
            problems.append(
                warn(source, info.at[held, "position"], held, "partial_family", message)
            )
    return problems


def load_current(path: Path, deflators: DeflatorTable | None) -> pd.DataFrame:
    """The current figures, checked as strictly as any table; codes must start ``CUR``."""
    header, records, problems = read_csv_rows(path)
    rows, more = validate_rows(records, header, file=path.name, deflators=deflators)
    problems += more
    for code in map(str, rows.index):
        if not code.startswith(CURRENT_PREFIX):
            message = f"code '{code}' must start with {CURRENT_PREFIX}, its own namespace"
            problems.append(Problem(message, file=path.name, field="code"))
    ungraded = rows["confidence_grade"].isna() | (rows["grade_reason"] == "")
    for code in rows.index[ungraded]:
        message = f"{code} needs a confidence grade and the reason for it"
        problems.append(Problem(message, file=path.name, field="grade_reason"))
    if problems:
        raise InvalidInput(problems, context=f"current figures {path.name}")
    return rows


def build_default_table(
    gmca_json_path: Path | str,
    deflators: DeflatorTable,
    out_csv_path: Path | str,
    *,
    selection: Path = SELECTION,
    grading: Path = GRADING,
    current: Path = CURRENT,
) -> tuple[pd.DataFrame, list[Problem]]:
    """Build the default table, write it (CSV and JSON sidecar) and return its rows.

    The problems returned are the importer's warnings about the rows in the table, then
    the builder's own (rules that decide nothing, rows the strict loader would refuse, a
    parent held without its parts).  None stops the build; a broken rules file does.
    """
    out, source = Path(out_csv_path), Path(gmca_json_path).name
    imp = import_gmca(gmca_json_path, deflators)
    info = imp.entries.join(imp.rows[["name"]])
    rules = {r.name: r for r in load_rules(selection)}
    chosen, problems = select_rows(info, list(rules.values()), selection, source)
    rule_of = {str(c): str(n) for c, n in chosen.items()}
    keep = pd.Index([c for c, n in rule_of.items() if n and rules[n].include], name="code")
    # The loader's own check decides what can be written; ungraded rows hold a NaN grade,
    # which it would read as the text 'nan', so the grade is left blank here.
    position = {str(c): int(p) for c, p in info["position"].items()}
    selected = imp.rows.loc[keep].assign(confidence_grade="")
    records = [
        (position[str(c)], {"code": str(c), **{str(k): v for k, v in row.items()}})
        for c, row in selected.iterrows()
    ]
    _, refused = validate_rows(records, COLUMNS, file=source, deflators=deflators)
    code_at = {position[c]: str(c) for c in keep}
    for p in refused:
        code = code_at.get(p.row or 0, "")
        message = f"{code}: left out of the table: {p.message}"
        problems.append(warn(source, p.row or 0, code, "not_loadable", message, p.field))
    keep = keep.drop(sorted({code_at.get(p.row or 0, "") for p in refused} & set(keep)))
    problems += _family_problems(keep, info, source)
    rows = imp.rows.loc[keep].copy()
    grading_rules, flags = load_grading(grading), flags_by_code(imp.problems)
    graded = [
        grade_row(str(py), rules[rule_of[str(c)]], flags.get(str(c), []), grading_rules)
        for c, py in rows["price_year"].items()
    ]
    rows["confidence_grade"] = [float(g) for g, _ in graded]
    reasons = {c: f" {r}" for c, r in recategorisation_reasons(imp.rows, set(keep)).items()}
    rows["grade_reason"] = [
        r + reasons.get(str(c), "") for c, (_, r) in zip(rows.index, graded, strict=True)
    ]
    rows["notes"] = [f"{n} Selected by rule '{rule_of[str(c)]}'." for c, n in rows["notes"].items()]
    extra = load_current(current, deflators)
    for code in sorted(set(extra.index) & set(imp.rows.index)):
        _refuse(current, f"current figure {code} reuses a GMCA code", fld="code")
    table = pd.concat([rows, extra]).astype(rows.dtypes.to_dict())
    table.index.name = "code"
    in_table = [p for p in imp.problems if problem_code(p) in set(keep)] + problems
    out.parent.mkdir(parents=True, exist_ok=True)
    write_table(out, table)
    write_meta(out, _meta(table, imp.problems, in_table, info.loc[keep, "sheet"]))
    return table, in_table


def _meta(
    table: pd.DataFrame, everything: list[Problem], in_table: list[Problem], sheets: pd.Series
) -> TableMeta:
    """The sidecar: the fixed metadata, with counts that say how this version was built."""
    current = int(sum(str(c).startswith(CURRENT_PREFIX) for c in table.index))
    by_sheet = {str(k): int(v) for k, v in sheets.value_counts().sort_index().items()}
    grades = Counter(int(g) for g in table["confidence_grade"])
    categories = dict(sorted(Counter(map(str, table["category"])).items()))
    notes = (
        "Built by `python -m calculator.default_table` from the GMCA extraction with the rules "
        "in gmca_selection.csv and gmca_grading.csv, plus current_figures.csv; a rebuild gives "
        "the same bytes.",
        f"{len(table)} rows: {len(sheets)} GMCA entries ("
        + ", ".join(f"{k} {v}" for k, v in by_sheet.items())
        + f") and {current} current figures (codes CUR*).",
        f"Importer data-quality warnings: {len(everything)} over the whole database, "
        f"{len(in_table)} about rows in this table (by kind in 'warnings_by_kind'). No row "
        "was dropped or corrected except for agency spelling and the category of rows "
        "described as including economic or social value; flagged rows are graded down and "
        "grade_reason says why.",
        "Grades: " + ", ".join(f"{g}: {grades[g]} rows" for g in sorted(grades)) + ".",
        "Categories: "
        + ", ".join(f"{k} {v}" for k, v in categories.items())
        + ". A row whose source says it includes economic or social value is never fiscal "
        "(METHOD 2.2); its grade_reason says why and names its fiscal parts, if published.",
        "GMCA values are at their original price years (2000-01 to 2014-15): rebase them with "
        "the deflator table.",
    )
    extra = {
        "rows_by_sheet": {**by_sheet, "current figures": current},
        "rows_by_category": categories,
        "changes": list(CHANGES),
        "warnings_by_kind": dict(sorted(Counter(map(problem_kind, in_table)).items())),
        "import_warnings_by_kind": dict(sorted(Counter(map(problem_kind, everything)).items())),
        "content_sha256": table_hash(table),
    }
    return TableMeta(**{**META.as_dict(), "notes": notes, "extra": extra})


def main(argv: list[str] | None = None) -> int:
    """Rebuild ``unit_costs/national_children_families.csv`` in place and summarise it."""
    parser = argparse.ArgumentParser(
        prog="python -m calculator.default_table", description=main.__doc__
    )
    parser.add_argument("--full", action="store_true", help="print every warning, not counts")
    args = parser.parse_args(argv)
    deflators = load_deflators(UNIT_COSTS / "gdp_deflators.csv")
    table, problems = build_default_table(GMCA_JSON, deflators, OUTPUT)
    print(f"Wrote {OUTPUT.name} ({len(table)} rows) and its JSON sidecar.")
    print(quality_report(problems, detail=args.full))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
