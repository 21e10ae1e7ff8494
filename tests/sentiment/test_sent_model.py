"""The shipped finance sentiment model: built from the PhraseBank training file, exact, fast, sensible."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from datapaths import SHARED
from rotascope.errors import DatasetError
from rotascope.sentiment.head import EmbeddingHead
from rotascope.sentiment.model import CLASSES, SentimentModel, load_model, model_path
from rotascope.sentiment.train import cross_validate, export, fit, read_phrasebank, sha256_of

TRAIN = SHARED / "sentiment" / "phrasebank_train.csv"
needs_data = pytest.mark.skipif(not TRAIN.exists(), reason="shared PhraseBank file not present")


@pytest.fixture(scope="module")
def phrasebank() -> tuple[list[str], np.ndarray]:
    return read_phrasebank(TRAIN)


@pytest.fixture(scope="module")
def trained(phrasebank: tuple[list[str], np.ndarray]) -> tuple[Any, Any]:
    texts, labels = phrasebank
    return fit(texts, labels)


def test_model_file_is_small_and_plain_arrays() -> None:
    path = model_path()
    assert path.stat().st_size < 5_000_000
    with np.load(path, allow_pickle=False) as data:  # would raise if any array needed pickle
        assert {"terms", "idf", "coef", "intercept", "classes", "meta"} <= set(data.files)
    model = load_model()
    assert model.coef.shape[0] == 3 and len(model.vocabulary) == model.idf.shape[0]
    assert "phrasebank_train.csv" in model.meta["source"]


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("Operating loss narrowed to EUR 1.2 mn from EUR 3.4 mn.", "positive"),
        ("Operating loss narrowed to EUR 1.2 mn", "positive"),
        ("Net sales rose 12 % to EUR 40.2 mn.", "positive"),
        ("Sales fell 10 % in the third quarter.", "negative"),
        ("Costs rose sharply and the operating loss widened.", "negative"),
        ("The annual general meeting will be held in Helsinki on 20 March.", "neutral"),
    ],
)
def test_known_sentences(text: str, label: str) -> None:
    result = load_model().predict([text])
    assert result.labels == [label]
    assert np.sign(result.scores[0]) == {"positive": 1, "negative": -1}.get(label, np.sign(result.scores[0]))


def test_scores_are_probability_differences_in_range_and_deterministic() -> None:
    texts = ["Profit rose.", "Profit fell.", "The board met.", "", "loss narrowed loss narrowed"]
    first, second = load_model().predict(texts), load_model().predict(list(reversed(texts)))
    assert np.allclose(first.proba.sum(axis=1), 1.0)
    assert np.allclose(first.scores, first.proba[:, 2] - first.proba[:, 0])
    assert np.all(np.abs(first.scores) <= 1.0)
    assert np.array_equal(first.scores, second.scores[::-1])  # per-row: order and batch do not matter
    assert [CLASSES[k] for k in first.proba.argmax(axis=1)] == first.labels


def test_a_damaged_model_file_is_one_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "model.npz"
    bad.write_bytes(b"not a zip file")
    with pytest.raises(DatasetError, match="missing or damaged"):
        SentimentModel.from_file(bad)


@pytest.mark.parametrize("reader", [SentimentModel.from_file, EmbeddingHead.from_file])
def test_a_file_without_one_of_its_arrays_or_cut_short_is_one_clear_error(
    tmp_path: Path, reader: Callable[[Path], object]
) -> None:
    partial = tmp_path / "partial.npz"
    np.savez(partial, coef=np.zeros((3, 2)))
    with pytest.raises(DatasetError, match="does not match this version"):
        reader(partial)
    cut = tmp_path / "cut.npz"
    cut.write_bytes(partial.read_bytes()[:100])
    with pytest.raises(DatasetError, match="missing or damaged"):
        reader(cut)


def test_ten_thousand_sentences_score_in_one_call() -> None:
    texts = [
        f"Net sales in quarter {i} rose {i % 17} % to EUR {i / 10:.1f} mn from a year earlier ."
        for i in range(10_000)
    ]
    # speed is measured by `make bench` (benchmarks/bench_sentiment.py), not timed in a unit test
    result = load_model().predict(texts)
    assert len(result.labels) == 10_000 and set(result.labels) <= set(CLASSES)


@needs_data
def test_shipped_model_equals_freshly_trained_sklearn_model(
    phrasebank: tuple[list[str], np.ndarray], trained: tuple[Any, Any]
) -> None:
    texts, _ = phrasebank
    fitted, vectorizer = trained
    expected = fitted.estimator.predict_proba(fitted.matrix(texts, vectorizer))
    got = load_model().predict(texts)
    assert np.allclose(got.proba, expected, atol=1e-9)
    assert got.labels == list(fitted.estimator.predict(fitted.matrix(texts, vectorizer)))


@needs_data
def test_build_reproduces_the_model(
    trained: tuple[Any, Any], phrasebank: tuple[list[str], np.ndarray]
) -> None:
    fitted, _ = trained
    # the same arrays, not the same bytes: another scikit-learn/BLAS release moves the fitted weights by
    # ~1e-9 (issue 21); vocabulary, classes and notes must match exactly
    rebuilt = export(fitted, sha256_of(TRAIN), {"sentences": str(len(phrasebank[0]))})
    hint = "run scripts/build_sentiment_model.py and commit model.npz"
    with np.load(io.BytesIO(rebuilt), allow_pickle=False) as new, np.load(model_path()) as old:
        assert sorted(new.files) == sorted(old.files), hint
        for name in old.files:
            if old[name].dtype.kind == "f":
                assert np.allclose(new[name], old[name], rtol=0, atol=1e-6), f"{name}: {hint}"
            else:
                assert np.array_equal(new[name], old[name]), f"{name}: {hint}"


@needs_data
def test_cross_validated_accuracy_meets_the_floor(phrasebank: tuple[list[str], np.ndarray]) -> None:
    # two of five stratified folds (time); the full 10-fold figures are in the build script's --cv report
    texts, labels = phrasebank
    report = cross_validate(texts, labels, folds=5, repeats=1, seed=1, max_folds=2)
    assert report.accuracy_mean >= 0.77 and report.macro_f1_mean >= 0.71, report.summary()
    assert abs(sum(map(sum, report.confusion)) - 2 * len(texts) / 5) < 3  # two folds
