"""Unit costs (``/unit-costs``): browsing, comparing and the quality of tables
(:mod:`.routes`), the steward's editing, upload and publishing (:mod:`.edit`, on the same
blueprint), table versions in the database (:mod:`.store`), reading a table file
(:mod:`.files`) and the quality checks (:mod:`.quality`)."""

from . import routes

#: Registered by ``create_app``: blueprint ``unit_costs`` (with :mod:`.edit`'s views).
blueprints = (routes.bp,)
