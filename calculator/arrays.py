"""Array helpers the engine's modes share: grouped sums, masks, sums along years, each
project's rows and each project's random stream.

Each is a plain numpy pass over all rows of all projects; none loops over rows.
"""

from __future__ import annotations

import zlib

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def grouped_sum(groups: IntArray, values: FloatArray, n_groups: int) -> FloatArray:
    """Sum ``values`` (1-D, or rows x columns) by ``groups``; one bincount per column."""
    if values.ndim == 1:
        return np.asarray(np.bincount(groups, weights=values, minlength=n_groups), np.float64)
    out = np.empty((n_groups, values.shape[1]))
    for column in range(values.shape[1]):
        out[:, column] = np.bincount(groups, weights=values[:, column], minlength=n_groups)
    return out


def rows_by_project(owner: IntArray, projects: int) -> list[IntArray]:
    """The rows of each project (``owner`` is each row's project), each in input order:
    one stable sort, then slices."""
    order = np.argsort(owner, kind="stable")
    bounds = np.searchsorted(owner[order], np.arange(projects + 1))
    return [order[bounds[p] : bounds[p + 1]] for p in range(projects)]


def project_rng(seed: int, project_id: object) -> np.random.Generator:
    """A project's own random stream, seeded from the run's ``seed`` and the project's id,
    so its draws do not change when other projects join the run."""
    return np.random.default_rng([seed, zlib.crc32(str(project_id).encode())])


def where_else_zero(mask: npt.NDArray[np.bool_], values: FloatArray) -> FloatArray:
    """``np.where(mask, values, 0.0)``, by scattering the selected values into zeros.

    The same numbers; no branch per element, which a mask with no pattern (outcome
    categories) makes slow.
    """
    out = np.zeros(len(values))
    rows = np.flatnonzero(mask)
    out[rows] = values[rows]
    return out


def first_year(mask: npt.NDArray[np.bool_]) -> FloatArray:
    """The first column where ``mask`` is true in each row, NaN where it never is."""
    found = mask.any(axis=1)
    return np.where(found, mask.argmax(axis=1), np.nan).astype(np.float64)


def row_sums(values: FloatArray) -> FloatArray:
    """``values.sum(axis=1)`` of a rows x years array, one contiguous year at a time.

    The years are added in the order numpy's own sum adds a short row (in turn below 8
    years; 8 running sums, then pairwise, from 8), so the figures are exactly those of
    ``values.sum(axis=1)`` (tests pin this) without its slow pass along short rows.
    """
    n = values.shape[1]
    if n == 0:
        return np.zeros(values.shape[0])
    if n > 128:
        half = n // 2 - (n // 2) % 8
        return row_sums(values[:, :half]) + row_sums(values[:, half:])
    if n < 8:
        out = values[:, 0].copy()
        for t in range(1, n):
            out += values[:, t]
        return out
    r = [values[:, j].copy() for j in range(8)]
    full = n - n % 8
    for start in range(8, full, 8):
        for j in range(8):
            r[j] += values[:, start + j]
    out = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
    for t in range(full, n):
        out += values[:, t]
    return out
