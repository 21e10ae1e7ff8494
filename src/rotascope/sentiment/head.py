"""The embedding head: a logistic regression on all-MiniLM-L6-v2 sentence embeddings, averaged with the
lexical model (an equal-weight soft vote), used when the optional extra ``nlp`` is installed.

``minilm_head.npz`` (built by ``scripts/build_sentiment_model.py --minilm``) holds plain arrays only —
coefficients (3 × 384), intercepts, the encoder's weights sha256, a few probe embeddings and the
cross-validation record — read with ``allow_pickle=False``. The probabilities are
½ · lexical model + ½ · softmax(embedding · coefᵀ + intercept).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from rotascope.errors import DatasetError
from rotascope.sentiment.model import CLASSES, SentimentModel, Sentiments

__all__ = ["HEAD_FILE", "EmbeddingHead", "VoteModel", "head_path"]

HEAD_FILE = "minilm_head.npz"


def head_path() -> Path:
    """Where the shipped head file lives (inside the installed package)."""
    return Path(str(resources.files("rotascope.sentiment") / HEAD_FILE))


@dataclass(frozen=True)
class EmbeddingHead:
    """A multinomial logistic regression on normalised sentence embeddings, and how it was made."""

    coef: np.ndarray
    """Shape (3, dimensions), rows in :data:`CLASSES` order."""
    intercept: np.ndarray
    encoder_sha256: str
    probe_texts: list[str]
    probe_embeddings: np.ndarray
    """Embeddings of ``probe_texts`` when the head was built: the encoder must give them again."""
    meta: dict[str, str]

    @classmethod
    def from_file(cls, path: Path) -> EmbeddingHead:
        """Read a head written by :func:`rotascope.sentiment.train.export_head` (one clear error if bad)."""
        try:
            with np.load(path, allow_pickle=False) as data:
                coef = np.asarray(data["coef"], dtype=np.float64)
                intercept = np.asarray(data["intercept"], dtype=np.float64)
                classes = tuple(str(c) for c in data["classes"])
                sha = str(data["encoder_sha256"])
                probe_texts = [str(t) for t in data["probe_texts"]]
                probe = np.asarray(data["probe_embeddings"], dtype=np.float64)
                meta = json.loads(str(data["meta"]))
        except (OSError, KeyError, ValueError) as exc:
            raise DatasetError(
                f"The sentiment head file {path} is missing or damaged ({type(exc).__name__}); "
                "rebuild it with `python scripts/build_sentiment_model.py --minilm`."
            ) from None
        if classes != CLASSES or coef.shape[0] != 3 or probe.shape != (len(probe_texts), coef.shape[1]):
            raise DatasetError(f"The sentiment head file {path} does not match this version of rotascope.")
        return cls(coef, intercept, sha, probe_texts, probe, meta)

    def proba(self, embeddings: np.ndarray) -> np.ndarray:
        """Class probabilities of the embeddings, shape (n, 3)."""
        logits = embeddings @ self.coef.T + self.intercept
        logits -= logits.max(axis=1, keepdims=True)
        proba = np.exp(logits)
        return np.asarray(proba / proba.sum(axis=1, keepdims=True))


@dataclass(frozen=True)
class VoteModel:
    """½ lexical model + ½ embedding head: the same :class:`Sentiments` as the lexical model."""

    lexical: SentimentModel
    head: EmbeddingHead
    encode: Callable[[Sequence[str]], np.ndarray]

    def predict(self, texts: Sequence[str]) -> Sentiments:
        """Labels, scores and probabilities of ``texts`` (encoded in batches)."""
        if not texts:
            return Sentiments([], np.zeros(0), np.zeros((0, 3)))
        proba = 0.5 * self.lexical.predict(texts).proba + 0.5 * self.head.proba(self.encode(texts))
        labels = [CLASSES[k] for k in proba.argmax(axis=1)]
        return Sentiments(labels, np.clip(proba[:, 2] - proba[:, 0], -1.0, 1.0), proba)
