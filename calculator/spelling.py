"""Matching a name a person typed to the names the calculator knows.

Used for keys (``End Year`` is ``end_year``) and agencies (``local authority`` is
``Local Authority``): names are compared with case, spaces and punctuation taken out,
and a near miss is found with :mod:`difflib` to suggest "did you mean ...?".
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable


def norm(name: str) -> str:
    """A name with case, spaces and punctuation taken out (``&`` read as ``and``)."""
    return re.sub(r"[^0-9a-z]", "", name.lower().replace("&", "and"))


def closest(name: str, known: Iterable[str], cutoff: float) -> str | None:
    """The known name nearest ``name`` (compared normalised), if at least ``cutoff``
    alike by difflib's ratio; ``None`` otherwise."""
    by_norm = {norm(k): k for k in known}
    found = difflib.get_close_matches(norm(name), list(by_norm), n=1, cutoff=cutoff)
    return by_norm[found[0]] if found else None
