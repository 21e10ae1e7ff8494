"""The MiniLM model: one logistic regression on the lexical model's features and the all-MiniLM-L6-v2
sentence embeddings side by side, used when the optional extra ``nlp`` is installed.

``minilm_head.npz`` (built by ``scripts/build_sentiment_model.py --minilm``) holds plain arrays only —
coefficients over the lexical columns (the shipped model's vocabulary, idf and dense counts, whose sha256
it records) and the 384 embedding columns, intercepts, the encoder's weights sha256, probe embeddings and
the cross-validation record — read with ``allow_pickle=False``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from rotascope.errors import DatasetError
from rotascope.sentiment.model import CLASSES, SentimentModel, Sentiments, read_arrays

__all__ = ["HEAD_FILE", "EmbeddingHead", "JointModel", "head_path", "vocabulary_sha256"]

HEAD_FILE = "minilm_head.npz"


def head_path() -> Path:
    """Where the shipped head file lives (inside the installed package)."""
    return Path(str(resources.files("rotascope.sentiment") / HEAD_FILE))


def vocabulary_sha256(terms: Sequence[str]) -> str:
    """sha256 of a vocabulary in column order: the head's lexical columns must be the lexical model's."""
    return hashlib.sha256("\n".join(terms).encode()).hexdigest()


@dataclass(frozen=True)
class EmbeddingHead:
    """Coefficients over [lexical features | embeddings], and how they were made."""

    coef: np.ndarray
    """Shape (3, n_lexical + dimensions), rows in :data:`CLASSES` order."""
    intercept: np.ndarray
    vocabulary_sha256: str
    encoder_sha256: str
    probe_texts: list[str]
    probe_embeddings: np.ndarray
    """Embeddings of ``probe_texts`` when the head was built: the encoder must give them again."""
    meta: dict[str, str]

    @classmethod
    def from_file(cls, path: Path) -> EmbeddingHead:
        """Read a head written by :func:`~rotascope.sentiment.headtrain.export_head` (one clear error)."""
        data = read_arrays(path, "head", " --minilm")
        try:
            coef = np.asarray(data["coef"], dtype=np.float64)
            intercept = np.asarray(data["intercept"], dtype=np.float64)
            classes = tuple(str(c) for c in data["classes"])
            vocab = str(data["vocabulary_sha256"])
            sha = str(data["encoder_sha256"])
            probe_texts = [str(t) for t in data["probe_texts"]]
            probe = np.asarray(data["probe_embeddings"], dtype=np.float64)
            meta = json.loads(str(data["meta"]))
        except KeyError:
            classes = ()  # an array is missing: the file is not this version's
        if classes != CLASSES or coef.shape[0] != 3 or probe.shape[0] != len(probe_texts):
            raise DatasetError(f"The sentiment head file {path} does not match this version of rotascope.")
        return cls(coef, intercept, vocab, sha, probe_texts, probe, meta)

    def fits(self, lexical: SentimentModel) -> bool:
        """Whether the head's lexical columns are ``lexical``'s (same vocabulary in the same order)."""
        terms = sorted(lexical.vocabulary, key=lexical.vocabulary.__getitem__)
        return vocabulary_sha256(terms) == self.vocabulary_sha256 and self.coef.shape[1] == (
            lexical.coef.shape[1] + self.probe_embeddings.shape[1]
        )


@dataclass(frozen=True)
class JointModel:
    """The lexical model's features and the sentence embeddings in one logistic regression."""

    lexical: SentimentModel
    head: EmbeddingHead
    encode: Callable[[Sequence[str]], np.ndarray]

    def predict(self, texts: Sequence[str]) -> Sentiments:
        """Labels, scores and probabilities of ``texts`` (embeddings encoded in batches)."""
        if not texts:
            return Sentiments([], np.zeros(0), np.zeros((0, 3)))
        n_lexical = self.lexical.coef.shape[1]
        coef = self.head.coef
        logits = (
            np.asarray(self.lexical.features(texts) @ coef[:, :n_lexical].T)
            + self.encode(texts) @ coef[:, n_lexical:].T
            + self.head.intercept
        )
        logits -= logits.max(axis=1, keepdims=True)
        proba = np.exp(logits)
        proba /= proba.sum(axis=1, keepdims=True)
        labels = [CLASSES[k] for k in proba.argmax(axis=1)]
        return Sentiments(labels, np.clip(proba[:, 2] - proba[:, 0], -1.0, 1.0), proba)
