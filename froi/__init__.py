"""The FROI application around the engine: command line, workbooks (and later the web).

``calculator`` is the pure engine and imports nothing from here; everything here calls
the engine through :func:`calculator.engine.compute`.
"""
