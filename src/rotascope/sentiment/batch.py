"""Score a text column of a user's CSV file: one row out per data row in, in order, bad rows flagged.

Bad input never ends in a traceback: an unreadable file, a malformed CSV or a missing column is one clear
sentence (:class:`~rotascope.errors.DataError`); an empty line or text becomes a flagged neutral row, and
bytes that are not valid in the chosen encoding are replaced (U+FFFD) and the row flagged.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict

from rotascope.errors import DataError
from rotascope.sentiment.model import Label, load_model

__all__ = ["EMPTY", "REPLACED", "ScoredText", "read_text_column", "score_texts"]

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


def read_text_column(path: Path, column: str, encoding: str = "utf-8") -> tuple[list[str], list[bool]]:
    """The ``column`` of a CSV file as strings (blank lines kept as empty rows) and, per row, whether
    undecodable bytes were replaced."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DataError(f"Cannot read {path}: {exc.strerror or exc}.") from None
    try:
        text = raw.decode(encoding)
    except LookupError:
        raise DataError(f"Unknown text encoding {encoding!r}; try utf-8 or latin-1.") from None
    except UnicodeDecodeError:
        text = raw.decode(encoding, errors="replace")
    text = text.removeprefix("\ufeff")
    if not text.strip():
        raise DataError(
            f"{path} is empty: a CSV file with a header row naming a {column!r} column is needed."
        )
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            dtype=str,
            keep_default_na=False,
            skip_blank_lines=False,
            quoting=csv.QUOTE_MINIMAL,
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError, csv.Error, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(f"{path} is not a readable CSV file ({first.rstrip('.')}).") from None
    if column not in frame.columns:
        names = ", ".join(repr(str(c)) for c in frame.columns)
        raise DataError(f"{path} has no column {column!r}; its columns are {names}.")
    texts = frame[column].fillna("").astype(str).tolist()
    replaced = ["\ufffd" in t for t in texts]
    return texts, replaced


def score_texts(texts: Sequence[str], replaced: Sequence[bool] | None = None) -> list[ScoredText]:
    """Label and score every text (empty ones flagged and scored 0, neutral), in input order."""
    flags_replaced = list(replaced) if replaced is not None else [False] * len(texts)
    keep = [i for i, t in enumerate(texts) if t.strip()]
    result = load_model().predict([texts[i] for i in keep])
    labels: list[Label] = ["neutral"] * len(texts)
    scores = np.zeros(len(texts))
    for k, i in enumerate(keep):
        labels[i] = result.labels[k]
    scores[keep] = result.scores
    rows: list[ScoredText] = []
    for i, text in enumerate(texts):
        flag: Flag | None = EMPTY if not text.strip() else REPLACED if flags_replaced[i] else None
        rows.append(
            ScoredText(row=i + 1, label=labels[i], score=round(float(scores[i]), 4), flag=flag, text=text)
        )
    return rows
