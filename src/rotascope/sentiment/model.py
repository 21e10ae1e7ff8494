"""The shipped finance sentiment model: a multinomial logistic regression applied with numpy/scipy.

The model (``model.npz``, built by ``scripts/build_sentiment_model.py`` from the Financial PhraseBank
training file) holds plain arrays only — vocabulary, idf, coefficients, intercepts — loaded with
``allow_pickle=False``: no pickle, no scikit-learn at run time, no drift with its versions.

Features (see :mod:`rotascope.sentiment.features`): TF-IDF of word uni- and bigrams (sublinear tf, l2
norm, numbers folded to ``#``) plus log(1 + count) of Loughran-McDonald words and of finance direction
rules ("loss narrowed" → good, "costs rose" → bad), scaled by ``dense_scale``.

``score`` = P(positive) − P(negative), in [−1, 1]; ``label`` = the most probable class.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Literal, cast

import numpy as np
from scipy import sparse

from rotascope.errors import DatasetError
from rotascope.sentiment.features import DENSE_NAMES, dense_features, terms

__all__ = ["CLASSES", "Label", "SentimentModel", "Sentiments", "load_model", "model_path"]

Label = Literal["negative", "neutral", "positive"]
CLASSES: tuple[Label, Label, Label] = ("negative", "neutral", "positive")
MODEL_FILE = "model.npz"


def model_path() -> Path:
    """Where the shipped model file lives (inside the installed package)."""
    return Path(str(resources.files("rotascope.sentiment") / MODEL_FILE))


@dataclass(frozen=True)
class Sentiments:
    """Scores of a batch of texts, in input order."""

    labels: list[Label]
    scores: np.ndarray
    """P(positive) − P(negative) per text, float64 in [−1, 1]."""
    proba: np.ndarray
    """Class probabilities, shape (n, 3), columns in :data:`CLASSES` order."""


def read_arrays(path: Path, kind: str, flag: str) -> dict[str, np.ndarray]:
    """Every array of a shipped sentiment file (plain arrays, no pickle), or one clear error naming the
    rebuild command (``flag`` is the build script's option for this ``kind`` of file)."""
    try:
        with path.open("rb") as handle, np.load(handle, allow_pickle=False) as data:  # we close it
            return {name: data[name] for name in data.files}
    except (OSError, ValueError, zipfile.BadZipFile) as exc:
        raise DatasetError(
            f"The sentiment {kind} file {path} is missing or damaged ({type(exc).__name__}); "
            f"rebuild it with `python scripts/build_sentiment_model.py{flag}`."
        ) from None


@dataclass(frozen=True)
class SentimentModel:
    """Exported weights of the trained model and how it was made (``meta``: source, CV figures)."""

    vocabulary: dict[str, int]
    idf: np.ndarray
    coef: np.ndarray
    """Shape (3, n_terms + n_dense), rows in :data:`CLASSES` order."""
    intercept: np.ndarray
    dense_scale: float
    meta: dict[str, str]

    @classmethod
    def from_file(cls, path: Path) -> SentimentModel:
        """Read a model file written by :func:`rotascope.sentiment.train.export` (one clear error if bad)."""
        data = read_arrays(path, "model", "")
        try:
            vocab = [str(t) for t in data["terms"]]
            idf = np.asarray(data["idf"], dtype=np.float64)
            coef = np.asarray(data["coef"], dtype=np.float64)
            intercept = np.asarray(data["intercept"], dtype=np.float64)
            classes = tuple(str(c) for c in data["classes"])
            dense = tuple(str(c) for c in data["dense_names"])
            scale = float(data["dense_scale"])
            meta = json.loads(str(data["meta"]))
        except KeyError:
            classes = ()  # an array is missing: the file is not this version's
        if classes != CLASSES or dense != DENSE_NAMES or coef.shape != (3, len(vocab) + len(dense)):
            raise DatasetError(
                f"The sentiment model file {path} does not match this version of rotascope; "
                "rebuild it with `python scripts/build_sentiment_model.py`."
            )
        return cls({t: i for i, t in enumerate(vocab)}, idf, coef, intercept, scale, meta)

    def features(self, texts: Sequence[str]) -> sparse.csr_matrix:
        """The feature matrix of ``texts`` (sparse TF-IDF block, then the dense block)."""
        vocab = self.vocabulary
        rows: list[int] = []
        cols: list[int] = []
        for i, text in enumerate(texts):
            ids = [j for j in map(vocab.get, terms(text)) if j is not None]
            rows.extend([i] * len(ids))
            cols.extend(ids)
        n = len(texts)
        counts = sparse.csr_matrix(
            (np.ones(len(cols)), (np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64))),
            shape=(n, len(vocab)),
        )
        counts.sum_duplicates()
        counts.data = (1.0 + np.log(counts.data)) * self.idf[counts.indices]
        norms = np.sqrt(np.asarray(counts.multiply(counts).sum(axis=1)).ravel())
        norms[norms == 0.0] = 1.0
        tfidf = sparse.csr_matrix(sparse.diags(1.0 / norms) @ counts)
        dense = sparse.csr_matrix(np.log1p(dense_features(texts)) * self.dense_scale)
        return cast(sparse.csr_matrix, sparse.hstack([tfidf, dense], format="csr"))

    def predict(self, texts: Sequence[str]) -> Sentiments:
        """Labels, scores and probabilities of ``texts`` (an empty text scores as the intercept alone)."""
        if not texts:
            return Sentiments([], np.zeros(0), np.zeros((0, 3)))
        logits = np.asarray(self.features(texts) @ self.coef.T) + self.intercept
        logits -= logits.max(axis=1, keepdims=True)
        proba = np.exp(logits)
        proba /= proba.sum(axis=1, keepdims=True)
        labels = [CLASSES[k] for k in proba.argmax(axis=1)]
        return Sentiments(labels, np.clip(proba[:, 2] - proba[:, 0], -1.0, 1.0), proba)


@lru_cache(maxsize=1)
def load_model() -> SentimentModel:
    """The shipped model (read once per process)."""
    return SentimentModel.from_file(model_path())
