"""Metadata every reference table carries, and the content hash that pins a version.

A reference table (unit costs, deflators, optimism bias, discount schedules) is a CSV
file with a JSON sidecar of the same stem holding its metadata.  A published version
never changes: an edit makes a new version, and the SHA-256 of the canonical content
(:func:`content_hash`) lets any result say exactly which figures produced it.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .errors import InvalidInput, Problem


@dataclass(frozen=True)
class TableMeta:
    """Who published a table, which version it is, and where its figures come from."""

    name: str
    version: str
    publisher: str = ""
    licence: str = ""
    date: str = ""
    last_verified: str = ""
    source: str = ""
    description: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["notes"] = list(self.notes)
        return out


def content_hash(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """SHA-256 of a table's canonical content.

    Canonical: the header, then the rows sorted, each cell as JSON (numbers as float
    ``repr``, so ``2`` and ``2.0`` hash alike), one compact JSON array per line.  The
    hash depends on what the figures are, not on column order in a file, row order,
    quoting or line endings.
    """
    order = sorted(range(len(header)), key=lambda i: header[i])
    digest = hashlib.sha256()
    digest.update(json.dumps([header[i] for i in order]).encode())

    def canon(value: object) -> object:
        if isinstance(value, bool) or value is None or isinstance(value, str):
            return value
        if isinstance(value, int | float):
            return repr(float(value))
        return str(value)

    lines = sorted(
        json.dumps([canon(row[i]) for i in order], separators=(",", ":"), ensure_ascii=False)
        for row in rows
    )
    for line in lines:
        digest.update(b"\n")
        digest.update(line.encode())
    return digest.hexdigest()


def meta_path(csv_path: Path) -> Path:
    return csv_path.with_suffix(".json")


def read_meta(path: Path, *, required: bool = True) -> TableMeta:
    """Read a table's JSON sidecar.  Without one (a user's bare CSV), name it after the file."""
    sidecar = meta_path(path)
    if not sidecar.exists():
        if required:
            raise InvalidInput(
                [Problem(f"metadata file {sidecar.name} is missing", file=path.name)],
                context=str(path),
            )
        return TableMeta(name=path.stem, version="unversioned", source=str(path.name))
    try:
        data = json.loads(sidecar.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            [Problem(f"metadata is not valid JSON: {exc}", file=str(sidecar))], str(sidecar)
        ) from None
    problems = [
        Problem(f"metadata needs '{key}'", file=str(sidecar), field=key)
        for key in ("name", "version")
        if not str(data.get(key, "")).strip()
    ]
    if problems:
        raise InvalidInput(problems, str(sidecar))
    known = {f for f in TableMeta.__dataclass_fields__ if f != "extra"}
    notes = data.get("notes", [])
    return TableMeta(
        **{k: str(v) for k, v in data.items() if k in known and k != "notes"},
        notes=tuple(notes if isinstance(notes, list) else [notes]),
        extra={k: v for k, v in data.items() if k not in known},
    )


def write_meta(path: Path, meta: TableMeta) -> None:
    out = {k: v for k, v in meta.as_dict().items() if k != "extra" and v not in ("", [], None)}
    out.update(meta.extra)
    meta_path(path).write_text(json.dumps(out, indent=2, ensure_ascii=False) + "\n", "utf-8")


def read_csv_rows(path: Path) -> tuple[list[str], list[tuple[int, dict[str, str]]], list[Problem]]:
    """Header and rows of a CSV file (UTF-8, BOM tolerated) as text, each with its line number.

    Blank lines are skipped.  A row with more cells than the header is reported, not
    silently cut.
    """
    problems: list[Problem] = []
    rows: list[tuple[int, dict[str, str]]] = []
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            header = [h.strip() for h in next(reader, [])]
            for cells in reader:
                line = reader.line_num
                if not any(c.strip() for c in cells):
                    continue
                if len(cells) > len(header) and any(c.strip() for c in cells[len(header) :]):
                    problems.append(
                        Problem(
                            f"has {len(cells)} cells but the header has {len(header)} columns",
                            file=path.name,
                            row=line,
                        )
                    )
                rows.append((line, {h: c.strip() for h, c in zip(header, cells, strict=False)}))
    except UnicodeDecodeError:
        raise InvalidInput(
            [Problem("is not UTF-8 text; save the CSV as 'CSV UTF-8'", file=path.name)], str(path)
        ) from None
    except OSError as exc:
        raise InvalidInput(
            [Problem(f"cannot be read: {exc.strerror}", file=path.name)], str(path)
        ) from None
    return header, rows, problems
