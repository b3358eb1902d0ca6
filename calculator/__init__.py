"""The FROI calculation engine: pure, vectorised, no web framework and no database.

Entry point: :func:`calculator.engine.compute`.  Reference data: :mod:`calculator.reference`.
The method is METHOD.md; docs/method.md is the project's own account of it.
"""

__version__ = "0.1.0"
ENGINE_VERSION = __version__
