"""Training, cross-validation and export of the finance sentiment model (scikit-learn, build time only).

Trained on the Financial PhraseBank training file only (``label,content``, latin-1; Malo et al. 2014,
CC BY-NC-SA 3.0). Hyper-parameters were chosen by repeated stratified 10-fold cross-validation on that
file (see ``scripts/build_sentiment_model.py --cv``); a held-out test split is kept elsewhere.

The export is a ``.npz`` of plain arrays written deterministically (fixed zip timestamps, sorted
vocabulary), so rebuilding from the same file gives a byte-identical model.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score
from sklearn.model_selection import RepeatedStratifiedKFold

from rotascope.errors import DataError
from rotascope.sentiment.features import DENSE_NAMES, dense_features, terms
from rotascope.sentiment.model import CLASSES

__all__ = [
    "DENSE_SCALE",
    "MIN_DF",
    "C",
    "CVReport",
    "cross_validate",
    "dense_matrix",
    "export",
    "fit",
    "fit_lexical",
    "npz_bytes",
    "read_phrasebank",
]

C = 10.0
"""Inverse regularisation of the logistic regression (chosen by CV)."""
DENSE_SCALE = 1.0
"""Weight of the log(1 + count) LM and direction columns next to the l2-normalised TF-IDF block."""
MIN_DF = 1
"""A term must occur in this many training sentences to enter the vocabulary."""


def read_phrasebank(path: Path) -> tuple[list[str], np.ndarray]:
    """Sentences and labels of a PhraseBank CSV (``label,content``, latin-1)."""
    try:
        frame = pd.read_csv(path, encoding="latin-1", dtype=str, keep_default_na=False)
    except (OSError, pd.errors.ParserError) as exc:
        raise DataError(f"Cannot read the PhraseBank file {path}: {exc}.") from None
    if list(frame.columns[:2]) != ["label", "content"]:
        raise DataError(f"{path} must have columns label,content; found {', '.join(frame.columns)}.")
    bad = sorted(set(frame["label"]) - set(CLASSES))
    if bad:
        raise DataError(f"{path} has labels other than {', '.join(CLASSES)}: {', '.join(bad)}.")
    return frame["content"].tolist(), frame["label"].to_numpy()


@dataclass(frozen=True)
class Fitted:
    """A trained model: the vectoriser's vocabulary and idf, and the logistic regression."""

    vocabulary: list[str]
    idf: np.ndarray
    estimator: Any
    """The fitted ``sklearn.linear_model.LogisticRegression``."""
    dense_scale: float

    def matrix(self, texts: Sequence[str], vectorizer: Any) -> sparse.csr_matrix:
        return dense_matrix(vectorizer, texts, self.dense_scale)


def _vectorizer(min_df: int) -> Any:
    return TfidfVectorizer(analyzer=terms, sublinear_tf=True, min_df=min_df, dtype=np.float64)


def _fit(
    texts: Sequence[str], labels: np.ndarray, c: float, dense_scale: float, min_df: int
) -> tuple[Any, Any]:
    vec = _vectorizer(min_df)
    tfidf = vec.fit_transform(texts)
    dense = sparse.csr_matrix(np.log1p(dense_features(texts)) * dense_scale)
    model = LogisticRegression(C=c, max_iter=5000)
    model.fit(sparse.hstack([tfidf, dense], format="csr"), labels)
    return vec, model


def fit_lexical(texts: Sequence[str], labels: np.ndarray) -> tuple[Any, Any]:
    """The shipped pipeline's fitted vectoriser and logistic regression (default settings), for CV."""
    return _fit(texts, labels, C, DENSE_SCALE, MIN_DF)


def dense_matrix(
    vectorizer: Any, texts: Sequence[str], dense_scale: float = DENSE_SCALE
) -> sparse.csr_matrix:
    """The feature matrix of ``texts``: the fitted vectoriser's TF-IDF block, then the dense block."""
    dense = sparse.csr_matrix(np.log1p(dense_features(texts)) * dense_scale)
    return sparse.hstack([vectorizer.transform(texts), dense], format="csr")


def fit(
    texts: Sequence[str],
    labels: np.ndarray,
    c: float = C,
    dense_scale: float = DENSE_SCALE,
    min_df: int = MIN_DF,
) -> tuple[Fitted, Any]:
    """Train on all ``texts``; returns the model and the fitted sklearn vectoriser (for comparisons)."""
    vec, model = _fit(texts, labels, c, dense_scale, min_df)
    if tuple(model.classes_) != CLASSES:
        raise DataError(f"Training labels must cover {', '.join(CLASSES)}.")
    vocab = [str(t) for t in vec.get_feature_names_out()]
    return Fitted(vocab, np.asarray(vec.idf_, dtype=np.float64), model, dense_scale), vec


@dataclass(frozen=True)
class CVReport:
    """Repeated stratified k-fold figures (mean and sd over folds) and the summed confusion matrix."""

    folds: int
    repeats: int
    accuracy_mean: float
    accuracy_sd: float
    macro_f1_mean: float
    macro_f1_sd: float
    confusion: list[list[int]]
    """Rows true, columns predicted, in :data:`CLASSES` order, summed over repeats."""

    def summary(self) -> str:
        return (
            f"{self.repeats}x{self.folds}-fold CV: accuracy {self.accuracy_mean:.3f} ± "
            f"{self.accuracy_sd:.3f}, "
            f"macro-F1 {self.macro_f1_mean:.3f} ± {self.macro_f1_sd:.3f}"
        )


def cross_validate(
    texts: Sequence[str],
    labels: np.ndarray,
    folds: int = 10,
    repeats: int = 1,
    seed: int = 0,
    max_folds: int | None = None,
    c: float = C,
    dense_scale: float = DENSE_SCALE,
    min_df: int = MIN_DF,
) -> CVReport:
    """Stratified k-fold CV of the whole pipeline (vocabulary and idf refit inside each fold)."""
    splitter = RepeatedStratifiedKFold(n_splits=folds, n_repeats=repeats, random_state=seed)
    splits = list(splitter.split(np.zeros(len(labels)), labels))[:max_folds]

    def fold(train: np.ndarray, test: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        vec, model = _fit([texts[i] for i in train], labels[train], c, dense_scale, min_df)
        return labels[test], model.predict(dense_matrix(vec, [texts[i] for i in test], dense_scale))

    return cv_report(folds, repeats, (fold(train, test) for train, test in splits))


def cv_report(folds: int, repeats: int, results: Iterable[tuple[np.ndarray, np.ndarray]]) -> CVReport:
    """Mean and sd over folds of accuracy and macro-F1, and the summed confusion matrix, from each fold's
    (true labels, predicted labels)."""
    accs: list[float] = []
    f1s: list[float] = []
    conf = np.zeros((3, 3), dtype=np.int64)
    for truth, pred in results:
        accs.append(float(accuracy_score(truth, pred)))
        f1s.append(float(f1_score(truth, pred, average="macro")))
        conf += confusion_matrix(truth, pred, labels=list(CLASSES))
    return CVReport(
        folds,
        repeats,
        float(np.mean(accs)),
        float(np.std(accs)),
        float(np.mean(f1s)),
        float(np.std(f1s)),
        conf.tolist(),
    )


def export(fitted: Fitted, source_sha256: str, notes: dict[str, str] | None = None) -> bytes:
    """The model as deterministic ``.npz`` bytes (plain arrays, no pickle)."""
    meta = {
        "source": "Financial PhraseBank training file (Malo et al. 2014), sentiment/phrasebank_train.csv",
        "source_sha256": source_sha256,
        "estimator": f"multinomial LogisticRegression C={fitted.estimator.C}",
        **(notes or {}),
    }
    arrays: dict[str, np.ndarray] = {
        "terms": np.asarray(fitted.vocabulary, dtype=np.str_),
        "idf": fitted.idf,
        "coef": np.asarray(fitted.estimator.coef_, dtype=np.float64),
        "intercept": np.asarray(fitted.estimator.intercept_, dtype=np.float64),
        "classes": np.asarray(CLASSES, dtype=np.str_),
        "dense_names": np.asarray(DENSE_NAMES, dtype=np.str_),
        "dense_scale": np.asarray(fitted.dense_scale, dtype=np.float64),
        "meta": np.asarray(json.dumps(meta, sort_keys=True), dtype=np.str_),
    }
    return npz_bytes(arrays)


def npz_bytes(arrays: dict[str, np.ndarray]) -> bytes:
    """Deterministic ``.npz`` bytes of plain arrays (fixed zip timestamps, no pickle)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for name, array in arrays.items():
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            member = io.BytesIO()
            np.lib.format.write_array(member, np.asarray(array, order="C"), allow_pickle=False)
            zf.writestr(info, member.getvalue(), compresslevel=9)
    return buffer.getvalue()


def sha256_of(path: Path) -> str:
    """Hex sha256 of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()
