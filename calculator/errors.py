"""Domain exceptions and the problem record every boundary turns into plain English.

The engine raises precise exceptions (``UnknownUnitCost``, ``PriceYearNotInTable``...)
where one thing is wrong, and collects :class:`Problem` records where a whole input is
checked at once, so that a person sees every problem in one go.  The web, workbook and
command-line layers decide how a location is shown (``Outcomes!F12`` or
``project 'P1', outcomes row 3``); the engine only records it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input, located as precisely as the input allows.

    ``list`` is the input list (``costs``, ``outcomes``, ``settings``...), ``row`` the
    1-based position of the row within that list for that project (or within the file
    for a table), ``field`` the column.  ``message`` says what was found and what would
    be accepted.  ``path`` is where the problem is in a JSON input, as a person would
    search for it (``projects[0].comparison.intervention_usage[2].quantity``: keys by
    name, list items counted from 0); a workbook's problems have cells instead.
    ``code`` names the kind of problem for a program (``unknown_key``, ``no_costs``...).
    """

    message: str
    project: str | None = None
    list: str | None = None
    row: int | None = None
    field: str | None = None
    file: str | None = None
    severity: str = "error"
    path: str | None = None
    code: str | None = None

    def where(self) -> str:
        """The location in words, e.g. ``project 'P1', outcomes row 3, field 'success'``."""
        parts: list[str] = []
        if self.file:
            parts.append(f"file '{self.file}'")
        if self.project is not None:
            parts.append(f"project '{self.project}'")
        if self.list:
            parts.append(f"{self.list} row {self.row}" if self.row is not None else self.list)
        elif self.row is not None:
            parts.append(f"row {self.row}")
        if self.field:
            parts.append(f"field '{self.field}'")
        return ", ".join(parts)

    def __str__(self) -> str:
        where = self.where()
        if self.path:
            where = f"{where} ({self.path})" if where else self.path
        return f"{where}: {self.message}" if where else self.message

    def as_dict(self) -> dict[str, object]:
        return {
            "severity": self.severity,
            "file": self.file,
            "project": self.project,
            "list": self.list,
            "row": self.row,
            "field": self.field,
            "path": self.path,
            "code": self.code,
            "message": self.message,
            "text": str(self),
        }


class FroiError(Exception):
    """Base class of every error the calculator raises on purpose."""


class InvalidInput(FroiError):
    """An input (a run, a table, a file) has one or more problems; nothing was computed."""

    def __init__(self, problems: list[Problem], context: str = "input") -> None:
        self.problems = problems
        self.context = context
        count = len(problems)
        first = "; ".join(str(p) for p in problems[:3])
        more = f" (and {count - 3} more)" if count > 3 else ""
        super().__init__(f"{count} problem{'s' if count != 1 else ''} in {context}: {first}{more}")


class UnknownUnitCost(FroiError):
    """A unit cost code that is not in the table in use."""

    def __init__(self, code: str, table: str) -> None:
        self.code = code
        self.table = table
        super().__init__(f"unit cost '{code}' is not in table '{table}'")


class PriceYearNotInTable(FroiError):
    """A price year the deflator table has no index for (METHOD 1.2)."""

    def __init__(self, year: str, table: str) -> None:
        self.year = year
        self.table = table
        super().__init__(
            f"price year {year} is not in deflator table '{table}'; "
            "use a year the table covers or load a deflator table that has it"
        )


class InvalidPriceYear(FroiError):
    """Text that cannot be read as a financial year."""

    def __init__(self, text: object) -> None:
        self.text = text
        super().__init__(
            f"'{text}' is not a financial year; write it as 2013-14 "
            "(2013/14, 2013-2014 and 2013 are also accepted)"
        )
