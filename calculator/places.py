"""Locating problems: from a project's position, list, row and field to a :class:`Problem`.

Every check names where a problem is by the project's position ``p`` in the run, the
list, the row (``_row`` of the tables: the row's place in its JSON list, or its
spreadsheet row) and the field.  :class:`Places` turns that into a problem that names
the project by its label and, for a JSON input, carries the JSON path too
(:func:`calculator.jsonpath.json_path`), so a person can find the key in the file.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from .errors import Problem
from .jsonpath import json_path

Mask = npt.NDArray[np.bool_] | pd.Series


@dataclass(frozen=True)
class Places:
    """How to locate the problems of one run: the project labels and whether the run
    came from a JSON document (then every problem carries its JSON path)."""

    labels: list[str]
    json: bool = False

    def problem(
        self,
        message: str,
        *,
        p: int | None = None,
        list: str | None = None,
        row: int | None = None,
        field: str | None = None,
        severity: str = "error",
        code: str | None = None,
    ) -> Problem:
        """One located problem (``p`` the project's position, ``row`` 1-based)."""
        return Problem(
            message,
            project=self.labels[p] if p is not None else None,
            list=list,
            row=row,
            field=field,
            severity=severity,
            path=json_path(p, list, row, field) if self.json else None,
            code=code,
        )

    def rows(
        self,
        frame: pd.DataFrame,
        mask: Mask,
        list_name: str,
        field: str | None,
        message: str | Callable[[Any], str],
        *,
        severity: str = "error",
        of: pd.Series | None = None,
        code: str | None = None,
    ) -> list[Problem]:
        """One problem per row of ``frame`` (which has ``_p`` and ``_row``) selected by
        ``mask``.

        ``message`` is a text, or a function worded from the row's value in ``of``
        (called for the selected rows only, so a check over 200,000 rows words only its
        failures).
        """
        selected = np.asarray(mask, dtype=bool)
        if not selected.any():
            return []
        if callable(message):
            assert of is not None
            texts = [str(message(v)) for v in of[selected].tolist()]
        else:
            texts = [message] * int(selected.sum())
        owners = frame["_p"].to_numpy(dtype=np.int64)[selected].tolist()
        rows = frame["_row"].to_numpy(dtype=np.int64)[selected].tolist()
        paths: list[str | None] = [None] * len(rows)
        if self.json:
            # every row's path is one text around p and r - 1: split it once, since a
            # rule may word thousands of rows
            template = json_path(0, list_name, 1, field) or ""
            head, tail = template.removeprefix("projects[0]").split("[0]", 1)
            paths = [
                f"projects[{p}]{head}[{r - 1}]{tail}" for p, r in zip(owners, rows, strict=True)
            ]
        labels = self.labels
        return [
            Problem(
                text,
                project=labels[p],
                list=list_name,
                row=r,
                field=field,
                severity=severity,
                path=path,
                code=code,
            )
            for text, p, r, path in zip(texts, owners, rows, paths, strict=True)
        ]

    def projects(
        self,
        mask: Mask,
        message: str | Callable[[int], str],
        *,
        list: str | None = None,
        field: str | None = None,
        severity: str = "error",
        code: str | None = None,
    ) -> list[Problem]:
        """One problem per project selected by ``mask`` (a project-table column);
        ``message`` may be worded from the project's position."""
        return [
            self.problem(
                message(int(p)) if callable(message) else message,
                p=int(p),
                list=list,
                field=field,
                severity=severity,
                code=code,
            )
            for p in np.flatnonzero(np.asarray(mask, dtype=bool))
        ]
