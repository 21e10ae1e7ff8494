"""`rotascope sentiment FILE.csv --text-column COL`: finance sentiment of each row of a CSV file.

``register(app)`` adds the command to a Typer app.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from rotascope.console import check_format, emit_json, err, friendly_errors, out
from rotascope.sentiment.batch import REPLACED, read_text_column, score_texts
from rotascope.tablefit import show_table

TEXT_WIDTH = 80


def register(app: typer.Typer) -> None:
    """Add ``sentiment`` to ``app``."""

    @app.command("sentiment")
    def sentiment(
        file: Annotated[Path, typer.Argument(help="CSV file with a header row.")],
        text_column: Annotated[str, typer.Option("--text-column", help="Column holding the text.")],
        encoding: Annotated[
            str, typer.Option(help="Text encoding of the file; undecodable bytes are replaced and flagged.")
        ] = "utf-8",
        fmt: Annotated[str, typer.Option("--format", "-f", help="table or json.")] = "table",
    ) -> None:
        """Label each row positive, negative or neutral with a score P(positive) − P(negative) in [−1, 1]
        (finance sentiment model trained on the Financial PhraseBank), one output row per input row."""
        check_format(fmt)
        with friendly_errors():
            texts, replaced = read_text_column(file, text_column, encoding)
            rows = score_texts(texts, replaced)
        if fmt == "json":
            emit_json([r.model_dump() for r in rows])
        else:
            table = Table("row", "label", "score", "flag", "text")
            for r in rows:
                short = r.text if len(r.text) <= TEXT_WIDTH else r.text[: TEXT_WIDTH - 1] + "…"
                table.add_row(str(r.row), r.label, f"{r.score:+.3f}", r.flag or "", short)
            show_table(out, table)
        n_replaced = sum(r.flag == REPLACED for r in rows)
        if n_replaced:
            err.print(
                f"{n_replaced} rows had bytes that are not valid {encoding} (replaced by U+FFFD, flagged); "
                "--encoding latin-1 may read them."
            )
