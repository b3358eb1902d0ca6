"""What counts as an empty cell: None, empty text or spaces (calamine gives a blank as '')."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd


def is_filled(value: Any) -> bool:
    return not (value is None or (isinstance(value, str) and not value.strip()))


def blank_and_codes(
    column: pd.Series | npt.NDArray[Any],
) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.intp] | None, list[Any]]:
    """Which cells are blank ('' or spaces), with the column's factorisation if taken."""
    if isinstance(column, pd.Series):
        if pd.api.types.is_float_dtype(column) or pd.api.types.is_integer_dtype(column):
            return np.isnan(column.to_numpy(dtype=np.float64)), None, []
        column = column.to_numpy(dtype=object)
    codes, uniques = pd.factorize(np.ascontiguousarray(column), use_na_sentinel=True)
    values = list(uniques)
    table = np.array([not is_filled(v) for v in values] + [True], dtype=bool)
    return table[codes], np.asarray(codes), values


def count_filled(cells: pd.Series) -> int:
    """How many cells of a column hold something."""
    return int((~blank_and_codes(cells)[0]).sum()) if len(cells) else 0
