"""The parts of the web service every feature shares.

The database (:mod:`.db`, :mod:`.models`, Alembic ``migrations/``), the reference data
bridge (:mod:`.reference`), formatting, forms and schemas, CSRF protection and the secret
key, SVG charts and figure tables (:mod:`.charts`, :mod:`.tables`, :mod:`.figures`),
computing and recording runs (:mod:`.running`), audit events (:mod:`.audit`), summary
rows (:mod:`.summary`), results in chunks (:mod:`.result_chunks`) and the comparison of
two unit cost tables (:mod:`.table_diff`): whatever two or more features use.  Nothing
here imports a feature package (``froi.web.accounts``, ``projects``, ``runs``,
``unit_costs``, ``uploads``, ``portfolio``).
"""
