"""Reading the service's yes-or-no settings.

Settings come from ``FROI_<NAME>`` environment variables through Flask's
``from_prefixed_env``, which reads each value as JSON: ``true`` and ``false`` become
booleans, and anything else stays text.  ``bool()`` of that text is true for ``False``,
``no`` and ``off`` alike, so a person switching a setting off with any of them would
leave it on without a word.  :func:`flag` accepts only a boolean and refuses anything
else, saying what is accepted.
"""

from __future__ import annotations

from flask import Flask


def flag(app: Flask, name: str, default: bool) -> bool:
    """The yes-or-no setting ``name`` of ``app`` (``default`` when unset), stored back as a
    boolean; ``ValueError`` naming ``FROI_<name>`` for anything but ``true`` or ``false``."""
    value = app.config.get(name, default)
    if value is None:
        value = default
    if not isinstance(value, bool):
        raise ValueError(f"FROI_{name} must be true or false, not {value!r}")
    app.config[name] = value
    return value
