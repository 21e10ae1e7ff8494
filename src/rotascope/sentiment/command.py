"""`rotascope sentiment FILE.csv --text-column COL`: finance sentiment of each row of a CSV file.

``register(app)`` adds the command to a Typer app.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from rotascope.console import check_format, err, friendly_errors, out, settings_of
from rotascope.sentiment.batch import REPLACED, ScoredText, read_text_chunks, score_texts
from rotascope.sentiment.scorer import load_scorer
from rotascope.tablefit import show_table

TEXT_WIDTH = 80


def register(app: typer.Typer) -> None:
    """Add ``sentiment`` to ``app``."""

    @app.command("sentiment")
    def sentiment(
        ctx: typer.Context,
        file: Annotated[Path, typer.Argument(help="CSV file with a header row.")],
        text_column: Annotated[str, typer.Option("--text-column", help="Column holding the text.")],
        encoding: Annotated[
            str, typer.Option(help="Text encoding of the file; undecodable bytes are replaced and flagged.")
        ] = "utf-8",
        fmt: Annotated[str, typer.Option("--format", "-f", help="table or json.")] = "table",
    ) -> None:
        """Label each row positive, negative or neutral with a score P(positive) − P(negative) in [−1, 1]
        (finance sentiment model trained on the Financial PhraseBank), one output row per input row.

        The file is read and scored in chunks (memory bounded whatever its size); files over the
        max_input_mb setting, devices and FIFOs are refused. Which model scored the rows, and its
        cross-validation record, is one line on stderr."""
        check_format(fmt)
        settings = settings_of(ctx)
        n_replaced = 0
        with friendly_errors():
            chunks = read_text_chunks(file, text_column, encoding, settings.max_input_mb)
            first_row = 1
            for texts, replaced in chunks:
                rows = score_texts(texts, replaced, first_row)
                n_replaced += sum(r.flag == REPLACED for r in rows)
                if fmt == "json":
                    _json_items([r.model_dump() for r in rows], first=first_row == 1)
                else:
                    _table(rows)
                first_row += len(rows)
            if fmt == "json":
                sys.stdout.write("[]\n" if first_row == 1 else "\n]\n")
            elif first_row == 1:
                _table([])
        err.print(f"Sentiment {load_scorer().describe()}.", markup=False)
        if n_replaced:
            err.print(
                f"{n_replaced} rows had bytes that are not valid {encoding} (replaced by U+FFFD, flagged); "
                "--encoding latin-1 may read them."
            )


def _json_items(items: list[dict[str, object]], first: bool) -> None:
    """Items of the output array, written as they are scored: the same bytes ``emit_json`` writes for the
    whole list (sorted keys, two-space indent), without holding the list."""
    for k, item in enumerate(items):
        body = json.dumps(item, sort_keys=True, indent=2, default=str).replace("\n", "\n  ")
        sys.stdout.write(("[\n  " if first and k == 0 else ",\n  ") + body)


def _table(rows: list[ScoredText]) -> None:
    """One table per chunk of rows (a file of up to ``CHUNK_ROWS`` rows prints one table)."""
    table = Table("row", "label", "score", "flag", "text")
    for r in rows:
        short = r.text if len(r.text) <= TEXT_WIDTH else r.text[: TEXT_WIDTH - 1] + "…"
        table.add_row(str(r.row), r.label, f"{r.score:+.3f}", r.flag or "", short)
    show_table(out, table)
