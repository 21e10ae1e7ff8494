"""`rotascope serve`: a FastAPI JSON API (OpenAPI at /api/openapi.json) and dashboard pages.

The web layer serves only what the monitor, the agents, the report and the store produce; it computes
nothing of its own (the run-to-run diff is :mod:`rotascope.report.diff`, shared with `rotascope diff`). Import
:func:`rotascope.web.app.create_app` to embed the app; ``command.register`` adds the CLI command.
"""
