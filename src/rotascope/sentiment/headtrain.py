"""Training, cross-validation and export of the embedding head (scikit-learn, build time only).

The head is a multinomial logistic regression on the normalised all-MiniLM-L6-v2 embeddings of the
PhraseBank training file; its C is chosen by an inner stratified 3-fold CV (log-loss) on the data it is
fit to, so the outer folds of :func:`cross_validate_vote` never choose anything. The encoder is frozen
(no fine-tuning), so embeddings computed once for all sentences leak nothing between folds.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, log_loss
from sklearn.model_selection import RepeatedStratifiedKFold, StratifiedKFold

from rotascope.sentiment.model import CLASSES
from rotascope.sentiment.train import CVReport, dense_matrix, fit_lexical, npz_bytes

__all__ = ["C_GRID", "cross_validate_vote", "export_head", "fit_head"]

C_GRID = (0.25, 1.0, 4.0, 16.0, 64.0)
"""Values of C the inner CV chooses from (fixed before any run)."""
PROBES = (
    "Operating profit rose to EUR 13.1 mn from EUR 8.7 mn.",
    "The company announces layoffs as demand falls.",
    "The annual general meeting will be held in Helsinki in March.",
    "Net sales decreased 5 % and the outlook was cut.",
)
"""Sentences (written for this check) whose embeddings are stored in the head: the encoder must give them
again at load time."""


def fit_head(embeddings: np.ndarray, labels: np.ndarray) -> LogisticRegression:
    """The head fitted on all rows, its C chosen by inner stratified 3-fold CV (lowest mean log-loss)."""
    inner = StratifiedKFold(n_splits=3, shuffle=True, random_state=1)
    losses = []
    for c in C_GRID:
        fold_losses = []
        for a, b in inner.split(embeddings, labels):
            model = LogisticRegression(C=c, max_iter=5000).fit(embeddings[a], labels[a])
            fold_losses.append(log_loss(labels[b], model.predict_proba(embeddings[b]), labels=list(CLASSES)))
        losses.append(float(np.mean(fold_losses)))
    best = C_GRID[int(np.argmin(losses))]
    return LogisticRegression(C=best, max_iter=5000).fit(embeddings, labels)


def vote_proba(lexical: np.ndarray, head: np.ndarray) -> np.ndarray:
    """The equal-weight soft vote of the two models' probabilities."""
    return np.asarray(0.5 * lexical + 0.5 * head)


def cross_validate_vote(
    texts: Sequence[str], labels: np.ndarray, embeddings: np.ndarray, folds: int = 5, seed: int = 0
) -> CVReport:
    """Stratified k-fold CV of the soft vote (lexical model and head both refit inside each fold)."""
    splitter = RepeatedStratifiedKFold(n_splits=folds, n_repeats=1, random_state=seed)
    accs: list[float] = []
    f1s: list[float] = []
    conf = np.zeros((3, 3), dtype=np.int64)
    for train, test in splitter.split(np.zeros(len(labels)), labels):
        vec, lexical = fit_lexical([texts[i] for i in train], labels[train])
        te = [texts[i] for i in test]
        head = fit_head(embeddings[train], labels[train])
        proba = vote_proba(lexical.predict_proba(dense_matrix(vec, te)), head.predict_proba(embeddings[test]))
        pred = np.asarray(CLASSES)[proba.argmax(axis=1)]
        accs.append(float(accuracy_score(labels[test], pred)))
        f1s.append(float(f1_score(labels[test], pred, average="macro")))
        conf += confusion_matrix(labels[test], pred, labels=list(CLASSES))
    return CVReport(
        folds,
        1,
        float(np.mean(accs)),
        float(np.std(accs)),
        float(np.mean(f1s)),
        float(np.std(f1s)),
        conf.tolist(),
    )


def export_head(
    head: LogisticRegression,
    encoder_sha256: str,
    probe_texts: Sequence[str],
    probe_embeddings: np.ndarray,
    report: CVReport,
    notes: dict[str, str],
) -> bytes:
    """The head as deterministic ``.npz`` bytes (plain arrays, no pickle), its CV record in ``meta``."""
    meta = {
        "estimator": f"multinomial LogisticRegression C={head.C} on normalised embeddings",
        "combination": "0.5 * lexical model + 0.5 * head",
        "cv_folds": str(report.folds),
        "cv_accuracy": f"{report.accuracy_mean:.3f}",
        "cv_accuracy_sd": f"{report.accuracy_sd:.3f}",
        "cv_macro_f1": f"{report.macro_f1_mean:.3f}",
        "cv_macro_f1_sd": f"{report.macro_f1_sd:.3f}",
        **notes,
    }
    if tuple(head.classes_) != CLASSES:
        raise ValueError(f"The head's classes must be {', '.join(CLASSES)}.")
    arrays: dict[str, np.ndarray] = {
        "coef": np.asarray(head.coef_, dtype=np.float64),
        "intercept": np.asarray(head.intercept_, dtype=np.float64),
        "classes": np.asarray(CLASSES, dtype=np.str_),
        "encoder_sha256": np.asarray(encoder_sha256, dtype=np.str_),
        "probe_texts": np.asarray(list(probe_texts), dtype=np.str_),
        "probe_embeddings": np.asarray(probe_embeddings, dtype=np.float64),
        "meta": np.asarray(json.dumps(meta, sort_keys=True), dtype=np.str_),
    }
    return npz_bytes(arrays)
