"""Unknown and misplaced keys in a JSON input: each one is an error naming its path.

A key the calculator does not know at its level would otherwise be dropped while the
figures change (a ``teams`` list at project level instead of inside ``service`` changes
the whole-service FROI), so every such key is refused, the way marshmallow's default
``unknown=RAISE`` refuses it.  The message says what would be accepted: the key it is
close to at that level ("did you mean 'end_year'?", ignoring case and punctuation), or
where it belongs when it is a key of another level ("'teams' goes inside service"), or
else the keys of that level.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import Problem
from ..fields import PROJECT, PROJECT_LISTS, SETTINGS
from ..jsonpath import NESTED, NESTED_FIELDS, NESTED_LISTS
from ..spelling import closest, norm
from ..unit_costs import COLUMNS as UNIT_COST_COLUMNS

#: How close a key must be to a known one to be suggested (difflib's ratio).
CLOSE = 0.7


@dataclass(frozen=True)
class Level:
    """One kind of object in the canonical input: the keys it may hold and how to name it.

    ``inside`` is how a key of this level is placed in words, with ``{at}`` where the
    path in the same project goes (``inside service (projects[0].service.teams)``).
    """

    name: str
    words: str  # where an unknown key was found: "in a costs row"
    keys: tuple[str, ...]
    inside: str  # where a key of this level goes: "inside service"
    nest: tuple[str, ...] = ()  # the path below the project, for a nested object
    #: other names a key of this level is known by (the flat project-table name)
    other_names: tuple[tuple[str, str], ...] = ()

    @property
    def keyset(self) -> frozenset[str]:
        return frozenset(self.keys)

    def place(self, key: str, project_path: str | None) -> str:
        """Where ``key`` goes, in words, with its path in this project where there is one."""
        if self.name not in ("project", *NESTED):
            return self.inside
        if project_path is None:
            return (
                "in each project"
                if self.name == "project"
                else f"inside each project's {self.name}"
            )
        return f"{self.inside} ({'.'.join((project_path, *self.nest, key))})"


def _project_keys() -> tuple[str, ...]:
    flat = [f.name for f in PROJECT if f.name not in NESTED_FIELDS]
    lists = [name for name in PROJECT_LISTS if name not in NESTED_LISTS]
    return (*flat, *lists, *NESTED)


TOP = Level(
    "top",
    "at the top level of the input",
    ("settings", "agencies", "unit_costs", "projects"),
    "at the top level of the input",
)
SETTINGS_LEVEL = Level(
    "settings", "in settings", tuple(f.name for f in SETTINGS), "inside settings"
)
PROJECT_LEVEL = Level("project", "in a project", _project_keys(), "in the project")
NESTED_LEVELS = {
    nest: Level(
        nest,
        f"in {nest}",
        (*keys, *(name for name, held in NESTED_LISTS.items() if held == nest)),
        f"inside {nest}",
        (nest,),
        tuple((flat, key) for flat, (n, key) in NESTED_FIELDS.items() if n == nest and flat != key),
    )
    for nest, keys in NESTED.items()
}
ROW_LEVELS = {
    name: Level(name, f"in a {name} row", tuple(f.name for f in fields), f"in the rows of {name}")
    for name, fields in PROJECT_LISTS.items()
}
UNIT_COST_ROW = Level(
    "unit_costs", "in a unit_costs row", UNIT_COST_COLUMNS, "in the rows of unit_costs"
)
LEVELS = (
    TOP,
    SETTINGS_LEVEL,
    PROJECT_LEVEL,
    *NESTED_LEVELS.values(),
    *ROW_LEVELS.values(),
    UNIT_COST_ROW,
)


def _index() -> dict[str, list[tuple[Level, str]]]:
    """Normalised key -> every (level, key as that level spells it) that holds it."""
    out: dict[str, list[tuple[Level, str]]] = {}
    for level in LEVELS:
        for key in level.keys:
            out.setdefault(norm(key), []).append((level, key))
        for other, key in level.other_names:
            out.setdefault(norm(other), []).append((level, key))
    return out


_WHERE = _index()


def describe(key: str, level: Level, project_path: str | None) -> str:
    """Why ``key`` is refused at ``level`` and what would be accepted."""
    refused = f"unknown key '{key}' {level.words}"
    wanted = norm(key)
    same = {norm(k): k for k in level.keys}
    if wanted in same:
        return f"{refused}; did you mean '{same[wanted]}'?"
    close = closest(key, level.keys, CLOSE)
    suggestion = f"did you mean '{close}'?" if close else ""
    elsewhere = [(lv, k) for lv, k in _WHERE.get(wanted, []) if lv is not level]
    if elsewhere:
        places = [lv.place(k, project_path) for lv, k in elsewhere]
        names = {k for _, k in elsewhere}
        spelt = f" as '{names.pop()}'" if len(names) == 1 and key not in names else ""
        goes = f"'{key}' goes {' or '.join(places)}{spelt}"
        # a key that is another level's key by name is suggested with it; one known
        # there under another name is that key, and nothing nearer is suggested
        return f"{refused}; {suggestion} {goes}" if close and not spelt else f"{refused}; {goes}"
    if close:
        return f"{refused}; {suggestion}"
    return f"{refused}; the keys here are {', '.join(level.keys)}"


def unknown_keys(
    item: Mapping[str, Any],
    level: Level,
    path: str,
    *,
    project: str | None = None,
    project_path: str | None = None,
) -> list[Problem]:
    """An error for every key of ``item`` (found at ``path``) that ``level`` does not hold."""
    known = level.keyset
    if item.keys() <= known:
        return []
    return [
        Problem(
            describe(str(key), level, project_path),
            project=project,
            path=f"{path}.{key}" if path else str(key),
            code="unknown_key",
        )
        for key in item
        if key not in known
    ]


def known_only(item: Mapping[str, Any], level: Level) -> dict[str, Any]:
    """``item`` without the keys ``level`` does not hold (reported by :func:`unknown_keys`)."""
    known = level.keyset
    return {k: v for k, v in item.items() if k in known}
