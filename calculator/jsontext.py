"""Reading an input's JSON text safely: limits first, then the standard parser.

Python's ``json`` parses whatever it is given, which is wrong for text from outside:

- nesting 100,000 deep exhausts the parser's recursion (``RecursionError``), so the
  depth is measured on the raw text first, with array operations, before anything is
  parsed;
- an integer of thousands of digits takes quadratic time to convert (Python refuses past
  4,300 digits with a ``ValueError``); the canonical input has no use for more than a few
  digits, so a number literal over :data:`MAX_NUMBER_CHARS` is refused;
- ``NaN``, ``Infinity`` and ``1e309`` (which parses as infinity) are not numbers a
  calculation can use: refused, with the place they were found;
- an escaped lone surrogate (``"\\ud800"``) decodes to a string no UTF-8 output can
  hold, so it would break every page and file that shows it: refused.

Every refusal is one :class:`~calculator.errors.Problem` naming what was found and what
would be accepted, so the command line, the pages and the API say the same thing.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

import numpy as np

from .errors import InvalidInput, Problem

#: Deeper than the canonical input ever is (input > projects > list > row is 5 levels).
MAX_DEPTH = 20
#: Characters in one number literal: enough for any figure, far short of 4,300 digits.
MAX_NUMBER_CHARS = 40
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_LONE_SURROGATE = re.compile(
    r"\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F][0-9a-fA-F]{2})"
    r"|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2}"
)


def nesting_depth(data: bytes) -> int:
    """The deepest nesting of ``[``/``{`` in JSON text, strings ignored.

    Strings are blanked first (a bracket inside one is text), then the brackets are
    counted with a cumulative sum over the bytes: no recursion, linear time.
    """
    bare = _STRING.sub(b'""', data)
    codes = np.frombuffer(bare, dtype=np.uint8)
    step = (np.isin(codes, (0x5B, 0x7B)).astype(np.int32)) - np.isin(codes, (0x5D, 0x7D))
    return int(step.cumsum().max(initial=0))


def _refuse(message: str, source: str | None) -> InvalidInput:
    return InvalidInput([Problem(message, file=source)], source or "input")


def parse_json(data: bytes | str, source: str | None = None) -> Any:
    """The JSON document in ``data``, or :class:`InvalidInput` with one plain sentence.

    ``source`` names the file in messages (None for text without a file).
    """
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise _refuse("is not UTF-8 text; save it as UTF-8", source) from None
    depth = nesting_depth(raw)
    if depth > MAX_DEPTH:
        raise _refuse(
            f"nests lists and objects {depth:,} deep; an input is at most {MAX_DEPTH} deep "
            "(settings, projects, each project's lists and their rows)",
            source,
        )
    surrogate = _LONE_SURROGATE.search(text)
    if surrogate:
        line = text.count("\n", 0, surrogate.start()) + 1
        raise _refuse(
            f"holds {surrogate.group()} at line {line}, half of a character pair that "
            "cannot be shown or saved; remove it or write the whole character",
            source,
        )

    def number(literal: str) -> float | int:
        if len(literal) > MAX_NUMBER_CHARS:
            raise ValueError(
                f"a number written with {len(literal):,} characters ({literal[:12]}...); "
                f"numbers have at most {MAX_NUMBER_CHARS}"
            )
        value = float(literal)
        if not math.isfinite(value):
            raise ValueError(f"the number {literal}, too large to calculate with")
        return int(literal) if literal.lstrip("-").isdigit() else value

    def constant(name: str) -> Any:
        raise ValueError(f"{name}, which is not a number a calculation can use")

    try:
        return json.loads(text, parse_int=number, parse_float=number, parse_constant=constant)
    except json.JSONDecodeError as exc:
        raise _refuse(
            f"is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}", source
        ) from None
    except ValueError as exc:
        raise _refuse(f"is not an input this service can read: it holds {exc}", source) from None
    except RecursionError:  # the depth check above should make this unreachable
        raise _refuse(f"nests too deep; an input is at most {MAX_DEPTH} deep", source) from None
