"""One controlled list of agencies: who pays and who saves (METHOD 1.1 and 2.1).

"Who pays and who saves" only adds up if one agency has one name: a cost row paid by
``LA`` beside unit costs saved by ``Local Authority`` would show two agencies.  So a run
has a list of canonical agencies: those of its unit cost table (national and local rows)
plus any its input adds on purpose in a top-level ``agencies`` list.  A name is then:

- canonical: kept;
- the same name written with other case, spaces or punctuation (``local authority``), or
  a known other name (``LA``, ``council``; ``unit_costs/agency_aliases.csv``): read as the
  canonical name, with a warning;
- anything else: an error, with "did you mean ...?" and how to add an agency on purpose.

An alias maps only to an agency the run knows, so a table of one's own that calls the
council ``LA`` keeps ``LA``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .errors import InvalidInput, Problem
from .provenance import content_hash, read_csv_rows, read_meta
from .spelling import closest, norm
from .unit_costs import UnitCostTable

#: How close an unknown agency must be to a known one to be suggested.
CLOSE = 0.6
#: Agencies listed by name in a message about an unknown one, at most.
LISTED = 20
ADD_ON_PURPOSE = "to use a new agency on purpose, add it to the input's agencies list"


@dataclass(frozen=True)
class AgencyAliases:
    """Other names of agencies, each standing for one agency name, with provenance.

    ``groups`` holds each agency with its aliases (the agency first); ``group_of`` maps
    every member's normalised name to its group.
    """

    name: str
    version: str
    sha256: str
    groups: tuple[tuple[str, ...], ...] = ()
    group_of: dict[str, int] = field(default_factory=dict)

    def provenance(self) -> dict[str, str]:
        return {"name": self.name, "version": self.version, "sha256": self.sha256}


def load_agency_aliases(path: Path | str) -> AgencyAliases:
    """Load an alias table (``alias``, ``agency``, optional ``notes``), strictly: a blank
    cell, or an alias that would stand for two agencies, is refused."""
    path = Path(path)
    meta = read_meta(path, required=False)
    header, rows, problems = read_csv_rows(path)
    problems += [
        Problem(f"required column '{c}' is missing", file=path.name, field=c)
        for c in ("alias", "agency")
        if c not in header
    ]
    problems += [
        Problem(
            f"unknown column '{c}'; this table has the columns alias, agency, notes",
            file=path.name,
            field=c,
        )
        for c in header
        if c not in ("alias", "agency", "notes")
    ]
    members: dict[str, list[str]] = {}
    owner: dict[str, str] = {}  # normalised member -> its agency
    for line, row in rows if not problems else []:
        alias, agency = row.get("alias", "").strip(), row.get("agency", "").strip()
        blank = [c for c, v in (("alias", alias), ("agency", agency)) if not v]
        for column in blank:
            problems.append(Problem(f"'{column}' is blank", file=path.name, row=line, field=column))
        if blank:
            continue
        for name in (agency, alias):
            taken = owner.setdefault(norm(name), agency)
            if taken != agency:
                problems.append(
                    Problem(
                        f"'{name}' would stand for both '{taken}' and '{agency}'",
                        file=path.name,
                        row=line,
                        field="alias",
                    )
                )
        group = members.setdefault(agency, [agency])
        if alias not in group:
            group.append(alias)
    if problems:
        raise InvalidInput(problems, context=f"agency aliases {path.name}")
    groups = tuple(tuple(g) for g in members.values())
    return AgencyAliases(
        name=meta.name,
        version=meta.version,
        sha256=content_hash(["alias", "agency"], [(a, g[0]) for g in groups for a in g[1:]]),
        groups=groups,
        group_of={norm(name): i for i, g in enumerate(groups) for name in g},
    )


@dataclass(frozen=True)
class Reading:
    """How a given agency name reads: ``agency`` the canonical name (None: unknown) and
    ``why`` it was changed ("" when it was already canonical)."""

    agency: str | None
    why: str = ""


SPELLING = "it differs only in case, spaces or punctuation"
ALIAS = "a known other name for it"


@dataclass(frozen=True)
class AgencyNames:
    """The canonical agencies of a run (or a table) and how other names read."""

    canonical: tuple[str, ...]
    aliases: AgencyAliases

    def read(self, name: str) -> Reading:
        """``name`` as a canonical agency, or ``Reading(None)`` when it is unknown."""
        if name in self.canonical:
            return Reading(name)
        wanted = norm(name)
        same = [c for c in self.canonical if norm(c) == wanted]
        if len(same) == 1:
            return Reading(same[0], SPELLING)
        group = self.aliases.group_of.get(wanted)
        if group is not None:
            members = {norm(m) for m in self.aliases.groups[group]}
            known = [c for c in self.canonical if norm(c) in members]
            if len(known) == 1:
                return Reading(known[0], ALIAS)
        return Reading(None)

    def changed(self, given: str, reading: Reading) -> str:
        """The warning for a name read as another."""
        return f"agency '{given}' is read as '{reading.agency}' ({reading.why})"

    def unknown(self, given: str) -> str:
        """The error for a name that is not an agency of the run."""
        near = closest(given, self.canonical, CLOSE)
        if near is not None:
            hint = f"did you mean '{near}'?"
        else:
            names = sorted(self.canonical, key=str.lower)
            more = f" and {len(names) - LISTED} more" if len(names) > LISTED else ""
            hint = f"the agencies are {', '.join(names[:LISTED])}{more}"
        return f"agency '{given}' is not an agency of this run; {hint} ({ADD_ON_PURPOSE})"

    def read_column(self, column: pd.Series) -> tuple[pd.Series, dict[str, Reading]]:
        """``column`` with every name read as its canonical agency (unknown names and
        blanks kept as they are), and the reading of each distinct name that is not
        canonical.  Each distinct name is read once."""
        codes, uniques = pd.factorize(column.to_numpy(dtype=object), use_na_sentinel=True)
        readings = {str(u): self.read(str(u)) for u in uniques.tolist() if u not in self.canonical}
        if not readings:
            return column, {}
        mapped = [
            readings[str(u)].agency or u if str(u) in readings else u for u in uniques.tolist()
        ]
        values = pd.Series([*mapped, None], dtype=object).to_numpy()[codes]
        return pd.Series(values, index=column.index, dtype=object), readings


def table_agencies(table: UnitCostTable) -> tuple[str, ...]:
    """The agencies a unit cost table names, in order of first appearance."""
    names = pd.unique(table.rows["agency"].to_numpy(dtype=object))
    return tuple(str(n) for n in names if isinstance(n, str) and n.strip())


def agency_choices(table: UnitCostTable, declared: Iterable[str] = ()) -> list[str]:
    """The agencies a person may choose for a run or table, sorted: the table's (with
    its local rows) and those the input declares.  For forms and templates."""
    names = dict.fromkeys((*table_agencies(table), *declared))
    return sorted(names, key=str.lower)
