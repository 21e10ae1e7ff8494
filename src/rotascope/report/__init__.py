"""Outputs: terminal tables, and (later) HTML/Markdown/PDF reports and run-to-run diffs."""
