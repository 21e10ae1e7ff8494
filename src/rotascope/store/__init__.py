"""The local DuckDB store: bars, series, instruments, quality flags, loads and analyses. Nothing is
re-exported here, so the light modules of this package (the panel, the saved-array files, the fingerprint
note) load without DuckDB."""
