"""The MiniLM embedding head (optional extra ``nlp``) and the choice of model: the head file is plain arrays
that give scikit-learn's probabilities, the soft vote is what it says, and without the extra the lexical
model scores and says so. Tests that need the encoder skip, naming why, when the extra is absent."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from datapaths import SHARED
from rotascope.cli import app
from rotascope.sentiment import encoder, scorer
from rotascope.sentiment.head import EmbeddingHead, VoteModel, head_path
from rotascope.sentiment.headtrain import export_head, fit_head
from rotascope.sentiment.model import CLASSES, load_model
from rotascope.sentiment.scorer import LEXICAL_RECORD, load_scorer
from rotascope.sentiment.train import CVReport, cross_validate, read_phrasebank

TRAIN = SHARED / "sentiment" / "phrasebank_train.csv"
needs_data = pytest.mark.skipif(not TRAIN.exists(), reason="shared PhraseBank file not present")
PROBLEM = encoder.encoder_problem()
needs_encoder = pytest.mark.skipif(PROBLEM is not None, reason=f"MiniLM encoder not usable: {PROBLEM}")


@pytest.fixture
def fresh_choice() -> Iterator[None]:
    """Forget the cached choice of model before and after (the test changes what is importable)."""
    for cached in (encoder.encoder_problem, load_scorer):
        cached.cache_clear()
    yield
    for cached in (encoder.encoder_problem, load_scorer):
        cached.cache_clear()


def _embeddings(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Unit vectors with some class signal, and their labels."""
    rng = np.random.default_rng(seed)
    labels = np.asarray(CLASSES)[rng.integers(0, 3, n)]
    centres = rng.normal(size=(3, encoder.DIMENSIONS))
    x = rng.normal(size=(n, encoder.DIMENSIONS)) + centres[[CLASSES.index(c) for c in labels]] * 0.3
    return x / np.linalg.norm(x, axis=1, keepdims=True), labels


def test_head_file_gives_the_fitted_sklearn_probabilities(tmp_path: Path) -> None:
    x, labels = _embeddings(600, seed=3)
    fitted = fit_head(x[:400], labels[:400])
    report = CVReport(5, 1, 0.5, 0.01, 0.4, 0.02, [[0] * 3] * 3)
    path = tmp_path / "head.npz"
    path.write_bytes(export_head(fitted, "ab" * 32, ["a", "b"], x[:2], report, {"sentences": "400"}))
    with np.load(path, allow_pickle=False) as data:  # would raise if any array needed pickle
        assert {"coef", "intercept", "classes", "encoder_sha256", "probe_embeddings", "meta"} <= set(data.files)
    head = EmbeddingHead.from_file(path)
    assert np.allclose(head.proba(x[400:]), fitted.predict_proba(x[400:]), rtol=0, atol=1e-12)
    assert head.meta["cv_accuracy"] == "0.500" and head.meta["cv_folds"] == "5"


def test_the_soft_vote_is_half_lexical_half_head() -> None:
    x, labels = _embeddings(300, seed=4)
    texts = ["Operating loss narrowed.", "Sales fell 10 %.", "The meeting is in March."]
    table = dict(zip(texts, x[:3], strict=True))

    def encode(batch: Sequence[str]) -> np.ndarray:
        return np.stack([table[t] for t in batch])

    head = EmbeddingHead(np.zeros((3, encoder.DIMENSIONS)), np.log([0.2, 0.5, 0.3]), "", [], x[:0], {})
    got = VoteModel(load_model(), head, encode).predict(texts)
    lexical = load_model().predict(texts).proba
    assert np.allclose(got.proba, 0.5 * lexical + 0.5 * np.array([0.2, 0.5, 0.3]))
    assert np.allclose(got.scores, got.proba[:, 2] - got.proba[:, 0])
    assert got.labels == [CLASSES[k] for k in got.proba.argmax(axis=1)]


def test_without_the_extra_the_lexical_model_scores_and_says_so(
    monkeypatch: pytest.MonkeyPatch, fresh_choice: None
) -> None:
    monkeypatch.setattr(encoder, "find_spec", lambda name: None)
    chosen = load_scorer()
    assert chosen.name == "lexical" and chosen.record == LEXICAL_RECORD
    assert "extra `nlp` is not installed" in chosen.describe() and "not used" in chosen.short()
    texts = ["Net sales rose 12 %.", "Company X announces layoffs as demand falls"]
    assert np.array_equal(chosen.predict(texts).proba, load_model().predict(texts).proba)


def test_sentiment_command_names_the_model_on_stderr(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("text\nProfit rose.\n")
    result = CliRunner().invoke(app, ["sentiment", str(path), "--text-column", "text", "-f", "json"])
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith(f"Sentiment {load_scorer().describe()}")
    assert load_scorer().record.text() in result.stderr.replace("\n", " ")


def test_shipped_head_is_plain_arrays_for_this_encoder_with_its_record() -> None:
    head = EmbeddingHead.from_file(head_path())
    assert head_path().stat().st_size < 200_000
    assert head.coef.shape == (3, encoder.DIMENSIONS) and head.encoder_sha256 == encoder.WEIGHTS_SHA256
    assert np.allclose(np.linalg.norm(head.probe_embeddings, axis=1), 1.0)
    record = scorer._record(head.meta)
    assert record.folds == 5 and record.accuracy >= 0.82 and record.macro_f1 >= 0.78


@needs_data
def test_lexical_record_is_the_lexical_models_cross_validation() -> None:
    texts, labels = read_phrasebank(TRAIN)
    report = cross_validate(texts, labels, folds=5, repeats=1, seed=0)
    got = (report.accuracy_mean, report.accuracy_sd, report.macro_f1_mean, report.macro_f1_sd)
    want = (LEXICAL_RECORD.accuracy, LEXICAL_RECORD.accuracy_sd, LEXICAL_RECORD.macro_f1, LEXICAL_RECORD.macro_f1_sd)
    assert np.allclose(got, want, atol=0.0006), report.summary()


@needs_encoder
def test_encoder_is_minilm_and_embeddings_behave() -> None:
    vectors = encoder.encode(
        [
            "The company's quarterly profit rose sharply.",
            "Quarterly earnings of the firm increased strongly.",
            "The weather in Helsinki was cold and snowy.",
        ]
    )
    assert vectors.shape == (3, 384) and np.allclose(np.linalg.norm(vectors, axis=1), 1.0)
    paraphrase, unrelated = float(vectors[0] @ vectors[1]), float(vectors[0] @ vectors[2])
    assert paraphrase > 0.6 > unrelated + 0.3, (paraphrase, unrelated)


@needs_encoder
def test_with_the_extra_the_vote_scores_and_says_so(fresh_choice: None) -> None:
    chosen = load_scorer()
    assert chosen.name == "lexical + MiniLM" and chosen.fallback_reason is None
    assert "MiniLM" in chosen.describe() and chosen.record.accuracy >= 0.82
    head = EmbeddingHead.from_file(head_path())
    assert np.allclose(encoder.encode(head.probe_texts), head.probe_embeddings, atol=1e-5)
    result = chosen.predict(
        ["Operating loss narrowed to EUR 1.2 mn from EUR 3.4 mn.", "Company X announces layoffs as demand falls"]
    )
    assert result.labels == ["positive", "negative"]
