"""Score a text column of a user's CSV file: one row out per data row in, in order, bad rows flagged.

The file is streamed in chunks of :data:`CHUNK_ROWS` rows, so memory does not grow with its size; a
device, a FIFO or a file over the ``max_input_mb`` setting is refused first. Bad input never ends in a
traceback: an unreadable file, a malformed CSV or a missing column is one clear sentence
(:class:`~rotascope.errors.DataError`); an empty line or text becomes a flagged neutral row, and bytes that
are not valid in the chosen encoding are replaced (U+FFFD) and the row flagged.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict

from rotascope.errors import DataError
from rotascope.inputfile import DEFAULT_MAX_INPUT_MB, check_input
from rotascope.sentiment.model import Label
from rotascope.sentiment.scorer import load_scorer

__all__ = ["EMPTY", "REPLACED", "ScoredText", "read_text_chunks", "score_texts"]

Flag = Literal["empty text", "undecodable bytes replaced"]
EMPTY: Flag = "empty text"
REPLACED: Flag = "undecodable bytes replaced"


class ScoredText(BaseModel):
    """Sentiment of one input row."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    row: int
    """1-based data row of the input (the header is row 0)."""
    label: Label
    score: float
    """P(positive) − P(negative), in [−1, 1]; 0 for an empty text."""
    flag: Flag | None = None
    text: str


CHUNK_ROWS = 10_000
"""Rows parsed and scored at a time: memory stays bounded whatever the file's size."""


def _reader(path: Path, encoding: str, usecols: list[str] | None = None) -> Any:
    """A reader of the CSV as string frames of :data:`CHUNK_ROWS` rows (blank lines kept, bad bytes
    replaced); a context manager that closes the file."""
    return pd.read_csv(
        path,
        dtype=str,
        keep_default_na=False,
        skip_blank_lines=False,
        quoting=csv.QUOTE_MINIMAL,
        encoding=encoding,
        encoding_errors="replace",
        chunksize=CHUNK_ROWS,
        usecols=usecols,
    )


def _one_sentence(path: Path, column: str, exc: Exception) -> DataError:
    if isinstance(exc, OSError):
        return DataError(f"Cannot read {path}: {exc.strerror or exc}.")
    if isinstance(exc, pd.errors.EmptyDataError):
        return DataError(
            f"{path} is empty: a CSV file with a header row naming a {column!r} column is needed."
        )
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return DataError(f"{path} is not a readable CSV file ({first.rstrip('.')}).")


_READ_ERRORS = (OSError, pd.errors.ParserError, pd.errors.EmptyDataError, csv.Error, ValueError)


def read_text_chunks(
    path: Path, column: str, encoding: str = "utf-8", max_mb: float = DEFAULT_MAX_INPUT_MB
) -> Iterator[tuple[list[str], list[bool]]]:
    """The ``column`` of a CSV file in chunks of strings (blank lines kept as empty rows) with, per row,
    whether undecodable bytes were replaced.

    The whole file is parsed once before the first chunk is handed out, so a malformed row anywhere, a
    missing column, a device or a file over ``max_mb`` MiB is one sentence before any output; then it is
    read again chunk by chunk, never held whole."""
    check_input(path, "CSV file", max_mb)
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise DataError(f"Unknown text encoding {encoding!r}; try utf-8 or latin-1.") from None
    if encoding.lower().replace("_", "-") in ("utf-8", "utf8"):
        encoding = "utf-8-sig"  # a byte-order mark is not part of the first column's name
    try:
        with _reader(path, encoding) as reader:
            for k, frame in enumerate(reader):
                if k == 0 and column not in frame.columns:
                    names = ", ".join(repr(str(c)) for c in frame.columns)
                    raise DataError(f"{path} has no column {column!r}; its columns are {names}.")
    except _READ_ERRORS as exc:
        raise _one_sentence(path, column, exc) from None
    return _chunks(path, column, encoding)


def _chunks(path: Path, column: str, encoding: str) -> Iterator[tuple[list[str], list[bool]]]:
    try:
        with _reader(path, encoding, usecols=[column]) as reader:
            for frame in reader:
                texts = frame[column].fillna("").astype(str).tolist()
                yield texts, ["\ufffd" in t for t in texts]
    except _READ_ERRORS as exc:  # the file changed between the two readings
        raise _one_sentence(path, column, exc) from None


def score_texts(
    texts: Sequence[str], replaced: Sequence[bool] | None = None, first_row: int = 1
) -> list[ScoredText]:
    """Label and score every text (empty ones flagged and scored 0, neutral), in input order; the first
    is data row ``first_row``."""
    flags_replaced = list(replaced) if replaced is not None else [False] * len(texts)
    keep = [i for i, t in enumerate(texts) if t.strip()]
    result = load_scorer().predict([texts[i] for i in keep])
    labels: list[Label] = ["neutral"] * len(texts)
    scores = np.zeros(len(texts))
    for k, i in enumerate(keep):
        labels[i] = result.labels[k]
    scores[keep] = result.scores
    rows: list[ScoredText] = []
    for i, text in enumerate(texts):
        flag: Flag | None = EMPTY if not text.strip() else REPLACED if flags_replaced[i] else None
        rows.append(
            ScoredText(
                row=first_row + i, label=labels[i], score=round(float(scores[i]), 4), flag=flag, text=text
            )
        )
    return rows
