"""Unit cost tables: the strict loader, the hierarchy check and local overrides (METHOD 1.1).

A table is a CSV file of the fields below with a JSON sidecar of metadata (see
:mod:`calculator.provenance`).  Loading is strict: a table with an unknown column, a
duplicate code, a negative value, a price year the deflator table lacks, a grade outside
1-6 or a row whose name says it includes economic or social value categorised fiscal
(METHOD 2.2, :mod:`calculator.categories`) is refused with every problem named by file,
line and field.  Hierarchy mismatches (a parent that is not the sum of its parts) are
data-quality warnings: the table loads all the same, so the figures can still be used and
the problem is visible.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from .categories import category_problems
from .errors import InvalidInput, InvalidPriceYear, Problem
from .fields import CATEGORIES
from .hierarchy import adds_up, sum_tolerance
from .hierarchy import ancestor_codes as ancestor_codes
from .hierarchy import parent_code as parent_code
from .prices import DeflatorTable, parse_price_year
from .provenance import TableMeta, content_hash, read_csv_rows, read_meta

#: Columns of a unit cost table, in the order files are written.
COLUMNS = (
    "code",
    "name",
    "unit",
    "value",
    "price_year",
    "agency",
    "agency_detail",
    "category",
    "cashable",
    "confidence_grade",
    "source",
    "grade_reason",
    "group",
    "notes",
)
REQUIRED = ("code", "name", "unit", "value", "price_year", "agency", "category", "source")
_TRUE = {"true", "yes", "y", "1", "cashable"}
_FALSE = {"false", "no", "n", "0", "", "non-cashable", "not cashable"}


def parse_bool(text: object) -> bool | None:
    """``True``/``False`` from the ways people write them; ``None`` if unreadable."""
    if isinstance(text, bool):
        return text
    if isinstance(text, int | float) and text in (0, 1):
        return bool(text)
    word = str(text).strip().lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    return None


@dataclass(frozen=True)
class UnitCostTable:
    """A versioned unit cost table: metadata, one row per code, and its content hash.

    ``rows`` is a DataFrame indexed by ``code`` with the columns of :data:`COLUMNS`
    (``value`` float, ``cashable`` bool, ``confidence_grade`` float with NaN for none).
    """

    meta: TableMeta
    rows: pd.DataFrame
    sha256: str
    quality: tuple[Problem, ...] = field(default_factory=tuple)
    #: set when local rows were laid over a national table
    base: UnitCostTable | None = None
    local_codes: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return f"{self.meta.name} {self.meta.version}"

    def __contains__(self, code: object) -> bool:
        return code in self.rows.index

    def __len__(self) -> int:
        return len(self.rows)

    def row(self, code: str) -> dict[str, Any]:
        record: dict[str, Any] = {str(k): v for k, v in self.rows.loc[code].items()}
        record["code"] = code
        return record

    def provenance(self) -> dict[str, Any]:
        """What a result must say about the table it used (METHOD 1.1 and 6)."""
        out: dict[str, Any] = {
            "name": self.meta.name,
            "version": self.meta.version,
            "sha256": self.sha256,
            "publisher": self.meta.publisher,
            "licence": self.meta.licence,
            "date": self.meta.date,
            "rows": len(self.rows),
        }
        if self.base is not None:
            out["local_overrides"] = {
                "codes": list(self.local_codes),
                "base_table": self.base.provenance(),
            }
        return out

    def with_local(
        self, local: pd.DataFrame, *, name: str = "local rows", version: str = "run"
    ) -> UnitCostTable:
        """This table with ``local`` rows added, or replacing rows of the same code.

        ``local`` must already be validated (same columns as :attr:`rows`, indexed by code).
        The result's hash covers the combined content, and it keeps this table as its
        ``base`` so a result can name both.
        """
        if local.empty:
            return self
        combined = pd.concat([self.rows.drop(index=local.index, errors="ignore"), local])
        meta = TableMeta(
            name=f"{self.meta.name} + {name}",
            version=f"{self.meta.version}+{version}",
            publisher=self.meta.publisher,
            licence=self.meta.licence,
            date=self.meta.date,
        )
        return UnitCostTable(
            meta=meta,
            rows=combined,
            sha256=table_hash(combined),
            quality=tuple(hierarchy_problems(combined)),
            base=self,
            local_codes=tuple(local.index),
        )


def table_hash(rows: pd.DataFrame) -> str:
    """The content hash of a table's rows (see :func:`calculator.provenance.content_hash`)."""
    header = list(COLUMNS)
    frame = rows.reset_index()
    records = []
    for record in frame[header].itertuples(index=False, name=None):
        records.append([None if isinstance(v, float) and math.isnan(v) else v for v in record])
    return content_hash(header, records)


def hierarchy_problems(rows: pd.DataFrame, file: str | None = None) -> list[Problem]:
    """Every parent whose value is not the sum of its same-unit direct children.

    METHOD 1.1: within max(£1, 0.5% of the parent).  Children in other units are not
    summed.  Values are compared as they stand, at their own price years: the database
    records a parent and its parts from one source, so rebasing them apart would create
    differences that are not in the data.
    """
    if rows.empty:
        return []
    frame = rows.reset_index()[["code", "value", "unit", "price_year"]].copy()
    frame["parent"] = [parent_code(c) for c in frame["code"]]
    frame["unit_key"] = frame["unit"].str.strip().str.lower()
    children = frame.dropna(subset=["parent"])
    children = children[children["parent"].isin(frame["code"])]
    if children.empty:
        return []
    parents = frame.set_index("code")
    children = children.assign(parent_unit=parents.loc[children["parent"], "unit_key"].to_numpy())
    same = children[children["unit_key"] == children["parent_unit"]]
    sums = same.groupby("parent").agg(total=("value", "sum"), codes=("code", list))
    problems: list[Problem] = []
    for parent, total, codes in sums.itertuples(name=None):
        value = float(str(parents.at[parent, "value"]))
        tolerance = sum_tolerance(value)
        if not adds_up(value, total):
            problems.append(
                Problem(
                    f"parent {parent} is £{value:,.2f} but its same-unit parts "
                    f"({', '.join(codes)}) sum to £{total:,.2f}, a difference of "
                    f"{'-' if value < total else ''}£{abs(value - total):,.2f} "
                    f"(tolerance £{tolerance:,.2f}); using both a "
                    "parent and its parts would double count",
                    file=file,
                    field="value",
                    severity="warning",
                )
            )
    return problems


def _text(value: Any) -> str:
    """A cell as stripped text; None and NaN (a blank in a typed table) are blank."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value).strip()


def validate_rows(
    records: Iterable[tuple[int, Mapping[str, Any]]],
    columns: Iterable[str],
    *,
    file: str | None,
    deflators: DeflatorTable | None,
    list_name: str | None = None,
    row_label: str = "row",
    header_row: int | None = None,
    check_categories: bool = True,
) -> tuple[pd.DataFrame, list[Problem]]:
    """Check unit cost rows strictly and return them typed, indexed by code.

    ``records`` pairs each row with the number a person would use to find it (a file
    line, or a 1-based position in a list).  Every problem is returned, none raised.
    Rows described as including economic or social value may not be fiscal
    (:func:`~calculator.categories.category_problems`); ``check_categories=False`` skips
    only that rule, to read back a table published before it was enforced (table
    version 2026.1 counted such rows as fiscal), so its runs can still be reproduced.
    """
    problems: list[Problem] = []
    columns = list(columns)

    def problem(message: str, row: int | None = None, fld: str | None = None) -> None:
        problems.append(Problem(message, file=file, list=list_name, row=row, field=fld))

    unknown = [c for c in columns if c not in COLUMNS]
    for col in unknown:
        problem(
            f"unknown column '{col}'; a unit cost table has the columns {', '.join(COLUMNS)}",
            header_row,
            col,
        )
    for col in sorted({c for c in columns if columns.count(c) > 1}):
        problem(f"column '{col}' appears more than once in the header", header_row, col)
    for col in REQUIRED:
        if col not in columns:
            problem(f"required column '{col}' is missing", header_row, col)
    if problems:
        return pd.DataFrame(columns=list(COLUMNS[1:])), problems

    out: dict[str, dict[str, Any]] = {}
    first_seen: dict[str, int] = {}
    for number, raw in records:
        row: dict[str, Any] = {}
        text = {k: _text(raw.get(k)) for k in COLUMNS}
        for col in REQUIRED:
            if col != "value" and not text[col]:
                problem(f"'{col}' is required and is blank", number, col)
        code = text["code"]
        if code in first_seen:
            problem(
                f"code '{code}' appears twice (first on {row_label} {first_seen[code]})",
                number,
                "code",
            )
        elif code:
            first_seen[code] = number
        try:
            value = float(str(raw.get("value")) if raw.get("value") not in (None, "") else "nan")
        except (TypeError, ValueError):
            problem(f"value must be a number of pounds; got '{text['value']}'", number, "value")
            value = math.nan
        else:
            if math.isnan(value):
                problem("'value' is required and is blank", number, "value")
            elif value < 0:
                problem(f"value must be 0 or more; got {value:g}", number, "value")
            elif math.isinf(value):
                problem("value must be a finite number", number, "value")
        row["value"] = value
        price_year = ""
        if text["price_year"]:
            try:
                price_year = parse_price_year(raw.get("price_year"))
            except InvalidPriceYear as exc:
                problem(str(exc), number, "price_year")
            else:
                if deflators is not None and price_year not in deflators.index:
                    problem(
                        f"price year {price_year} is not in the deflator table "
                        f"'{deflators.name} {deflators.version}' "
                        f"(it covers {min(deflators.index)} to {max(deflators.index)})",
                        number,
                        "price_year",
                    )
        row["price_year"] = price_year
        category = text["category"].lower()
        if text["category"] and category not in CATEGORIES:
            problem(
                f"category must be one of {', '.join(CATEGORIES)}; got '{text['category']}'",
                number,
                "category",
            )
        row["category"] = category
        cashable = parse_bool(raw.get("cashable", "") if raw.get("cashable") is not None else "")
        if cashable is None:
            problem(f"cashable must be true or false; got '{text['cashable']}'", number, "cashable")
        row["cashable"] = bool(cashable)
        grade = math.nan
        if text["confidence_grade"]:
            try:
                grade = float(str(raw.get("confidence_grade")))
            except (TypeError, ValueError):
                grade = -1.0
            if not (grade.is_integer() and 1 <= grade <= 6):
                problem(
                    f"confidence_grade must be a whole number from 1 (best) to 6; "
                    f"got '{text['confidence_grade']}'",
                    number,
                    "confidence_grade",
                )
                grade = math.nan
        row["confidence_grade"] = grade
        for col in (
            "name",
            "unit",
            "agency",
            "agency_detail",
            "source",
            "grade_reason",
            "group",
            "notes",
        ):
            row[col] = text[col]
        if code and code not in out:
            out[code] = row
    frame = pd.DataFrame.from_dict(out, orient="index", columns=list(COLUMNS[1:]))
    frame.index.name = "code"
    frame = frame.astype({"value": "float64", "confidence_grade": "float64", "cashable": "bool"})
    if check_categories:
        problems += category_problems(frame, first_seen, file=file, list_name=list_name)
    return frame, problems


def load_table(path: Path | str, deflators: DeflatorTable | None = None) -> UnitCostTable:
    """Load a unit cost table from ``path`` (CSV + JSON sidecar), strictly.

    Raises :class:`InvalidInput` listing every problem; hierarchy mismatches are kept on
    the table as ``quality`` warnings instead.
    """
    path = Path(path)
    meta = read_meta(path, required=False)
    header, records, problems = read_csv_rows(path)
    frame, more = validate_rows(
        records, header, file=path.name, deflators=deflators, row_label="line", header_row=1
    )
    problems += more
    if problems:
        raise InvalidInput(problems, context=f"unit cost table {path.name}")
    return UnitCostTable(
        meta=meta,
        rows=frame,
        sha256=table_hash(frame),
        quality=tuple(hierarchy_problems(frame, file=path.name)),
    )


def write_table(path: Path, rows: pd.DataFrame) -> None:
    """Write rows in the canonical column order (the JSON sidecar is written separately)."""
    frame = rows.reset_index()[list(COLUMNS)].copy()
    frame["confidence_grade"] = frame["confidence_grade"].map(
        lambda g: "" if pd.isna(g) else str(int(g))
    )
    frame["cashable"] = frame["cashable"].map(lambda b: "true" if b else "false")
    frame["value"] = frame["value"].map(repr)
    frame.to_csv(path, index=False, lineterminator="\n")
