"""Training, cross-validation and export of the MiniLM model (scikit-learn, build time only).

One multinomial logistic regression (C = 10, the lexical model's) on the lexical model's features (TF-IDF
and dense counts, vocabulary and idf refit inside each fold) beside the normalised all-MiniLM-L6-v2
embeddings of the PhraseBank training file (weight 1, fixed before any run). The encoder is frozen (no
fine-tuning), so embeddings computed once for all sentences leak nothing between folds.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import RepeatedStratifiedKFold

from rotascope.sentiment.head import vocabulary_sha256
from rotascope.sentiment.model import CLASSES
from rotascope.sentiment.train import C, CVReport, cv_report, dense_matrix, fit_lexical, npz_bytes

__all__ = ["PROBES", "cross_validate_joint", "export_head", "fit_joint"]

PROBES = (
    "Operating profit rose to EUR 13.1 mn from EUR 8.7 mn.",
    "The company announces layoffs as demand falls.",
    "The annual general meeting will be held in Helsinki in March.",
    "Net sales decreased 5 % and the outlook was cut.",
)
"""Sentences (written for this check) whose embeddings are stored in the head: the encoder must give them
again at load time."""


def joint_matrix(vectorizer: Any, texts: Sequence[str], embeddings: np.ndarray) -> sparse.csr_matrix:
    """[lexical features | embeddings] of ``texts``."""
    return sparse.hstack([dense_matrix(vectorizer, texts), sparse.csr_matrix(embeddings)], format="csr")


def fit_joint(
    texts: Sequence[str], labels: np.ndarray, embeddings: np.ndarray
) -> tuple[Any, LogisticRegression]:
    """The fitted vectoriser (the lexical model's) and the joint logistic regression."""
    vec, _ = fit_lexical(texts, labels)
    model = LogisticRegression(C=C, max_iter=5000).fit(joint_matrix(vec, texts, embeddings), labels)
    return vec, model


def cross_validate_joint(
    texts: Sequence[str], labels: np.ndarray, embeddings: np.ndarray, folds: int = 5, seed: int = 0
) -> CVReport:
    """Stratified k-fold CV of the joint model (vocabulary, idf and weights refit inside each fold)."""
    splitter = RepeatedStratifiedKFold(n_splits=folds, n_repeats=1, random_state=seed)

    def fold(train: np.ndarray, test: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        vec, model = fit_joint([texts[i] for i in train], labels[train], embeddings[train])
        return labels[test], model.predict(joint_matrix(vec, [texts[i] for i in test], embeddings[test]))

    return cv_report(folds, 1, (fold(tr, te) for tr, te in splitter.split(np.zeros(len(labels)), labels)))


def export_head(
    vectorizer: Any,
    model: LogisticRegression,
    encoder_sha256: str,
    probe_embeddings: np.ndarray,
    report: CVReport,
    notes: dict[str, str],
) -> bytes:
    """The joint model's weights as deterministic ``.npz`` bytes (plain arrays, no pickle), its CV record
    in ``meta``; the vocabulary itself stays in the lexical model (its sha256 is recorded)."""
    if tuple(model.classes_) != CLASSES:
        raise ValueError(f"The model's classes must be {', '.join(CLASSES)}.")
    meta = {
        "estimator": f"multinomial LogisticRegression C={model.C} on [lexical features | embeddings]",
        "cv_folds": str(report.folds),
        "cv_accuracy": f"{report.accuracy_mean:.3f}",
        "cv_accuracy_sd": f"{report.accuracy_sd:.3f}",
        "cv_macro_f1": f"{report.macro_f1_mean:.3f}",
        "cv_macro_f1_sd": f"{report.macro_f1_sd:.3f}",
        **notes,
    }
    terms = [str(t) for t in vectorizer.get_feature_names_out()]
    arrays: dict[str, np.ndarray] = {
        "coef": np.asarray(model.coef_, dtype=np.float64),
        "intercept": np.asarray(model.intercept_, dtype=np.float64),
        "classes": np.asarray(CLASSES, dtype=np.str_),
        "vocabulary_sha256": np.asarray(vocabulary_sha256(terms), dtype=np.str_),
        "encoder_sha256": np.asarray(encoder_sha256, dtype=np.str_),
        "probe_texts": np.asarray(list(PROBES), dtype=np.str_),
        "probe_embeddings": np.asarray(probe_embeddings, dtype=np.float64),
        "meta": np.asarray(json.dumps(meta, sort_keys=True), dtype=np.str_),
    }
    return npz_bytes(arrays)
