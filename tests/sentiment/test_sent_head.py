"""The MiniLM model (optional extra ``nlp``) and the choice of model: the head file is plain arrays that,
with the lexical model's features, give scikit-learn's probabilities; without the extra the lexical model
scores and says so. Tests that need the encoder skip, naming why, when the extra is absent."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from datapaths import SHARED
from rotascope.cli import app
from rotascope.sentiment import encoder, scorer
from rotascope.sentiment.head import EmbeddingHead, JointModel, head_path
from rotascope.sentiment.headtrain import PROBES, export_head, fit_joint, joint_matrix
from rotascope.sentiment.model import load_model
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


@pytest.fixture(scope="module")
def phrasebank() -> tuple[list[str], np.ndarray]:
    return read_phrasebank(TRAIN)


def _embeddings(texts: Sequence[str]) -> np.ndarray:
    """Stand-in embeddings (unit vectors fixed by each text), for tests that must run without the encoder."""
    rows = [np.random.default_rng(sum(t.encode())).normal(size=encoder.DIMENSIONS) for t in texts]
    x = np.asarray(rows)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


@needs_data
def test_head_with_the_lexical_model_gives_the_fitted_sklearn_probabilities(
    phrasebank: tuple[list[str], np.ndarray], tmp_path: Path
) -> None:
    # fit on the whole training file, as the build does: its vocabulary is then the shipped model's
    texts, labels = phrasebank
    vec, fitted = fit_joint(texts, labels, _embeddings(texts))
    report = CVReport(5, 1, 0.5, 0.01, 0.4, 0.02, [[0] * 3] * 3)
    path = tmp_path / "head.npz"
    path.write_bytes(export_head(vec, fitted, "ab" * 32, _embeddings(PROBES), report, {"sentences": "1"}))
    with np.load(path, allow_pickle=False) as data:  # would raise if any array needed pickle
        assert {"coef", "intercept", "classes", "vocabulary_sha256", "probe_embeddings"} <= set(data.files)
    head = EmbeddingHead.from_file(path)
    assert head.fits(load_model()) and head.meta["cv_accuracy"] == "0.500"
    sample = texts[:300]
    got = JointModel(load_model(), head, _embeddings).predict(sample)
    expected = fitted.predict_proba(joint_matrix(vec, sample, _embeddings(sample)))
    assert np.allclose(got.proba, expected, rtol=0, atol=1e-8)
    assert got.labels == list(fitted.predict(joint_matrix(vec, sample, _embeddings(sample))))
    assert np.allclose(got.scores, got.proba[:, 2] - got.proba[:, 0])


def test_without_the_extra_the_lexical_model_scores_and_says_so(
    monkeypatch: pytest.MonkeyPatch, fresh_choice: None
) -> None:
    monkeypatch.setattr(encoder, "find_spec", lambda name: None)
    chosen = load_scorer()
    assert chosen.name == "lexical" and chosen.record == LEXICAL_RECORD
    assert "extra `nlp` is not installed" in chosen.describe() and "not used" in chosen.short()
    texts = ["Net sales rose 12 %.", "Company X announces layoffs as demand falls"]
    assert np.array_equal(chosen.predict(texts).proba, load_model().predict(texts).proba)


@pytest.mark.parametrize(
    ("broken", "said"),
    [
        ("encode", "failed to load (ImportError: cannot import name"),
        ("head", "failed to load (DatasetError: The sentiment head file"),
        ("probe", "does not reproduce the head's probe embeddings"),
    ],
)
def test_an_installed_but_broken_extra_falls_back_to_the_lexical_model_saying_why(
    fresh_choice: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, broken: str, said: str
) -> None:
    """The extra looks installed (its packages found, weights hash right) but a library upgraded under it
    fails at import, the head file is damaged, or the encoder gives other numbers: the lexical model
    scores, and the reason is stated, never a traceback."""
    monkeypatch.setattr(encoder, "encoder_problem", lambda: None)

    def failing(texts: Sequence[str]) -> np.ndarray:
        raise ImportError("cannot import name 'PreTrainedModel' from 'transformers'")

    head = EmbeddingHead.from_file(head_path())
    if broken == "encode":
        monkeypatch.setattr(encoder, "encode", failing)
    elif broken == "head":
        cut = tmp_path / "head.npz"
        cut.write_bytes(head_path().read_bytes()[:1000])
        monkeypatch.setattr(scorer, "head_path", lambda: cut)
    else:
        monkeypatch.setattr(encoder, "encode", lambda texts: head.probe_embeddings + 0.01)
    chosen = load_scorer()
    assert chosen.name == "lexical" and chosen.fallback_reason is not None
    assert said in chosen.describe()


def test_sentiment_command_names_the_model_on_stderr(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("text\nProfit rose.\n")
    result = CliRunner().invoke(app, ["sentiment", str(path), "--text-column", "text", "-f", "json"])
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith(f"Sentiment {load_scorer().describe()}")
    assert load_scorer().record.text() in result.stderr.replace("\n", " ")


def test_shipped_head_is_plain_arrays_for_this_encoder_with_its_record() -> None:
    head = EmbeddingHead.from_file(head_path())
    assert head_path().stat().st_size < 2_000_000
    assert head.fits(load_model()) and head.encoder_sha256 == encoder.WEIGHTS_SHA256
    assert head.probe_texts == list(PROBES) and head.probe_embeddings.shape == (len(PROBES), 384)
    assert np.allclose(np.linalg.norm(head.probe_embeddings, axis=1), 1.0)
    record = scorer._record(head.meta)
    assert record.folds == 5 and record.accuracy >= 0.82 and record.macro_f1 >= 0.78


@needs_data
def test_lexical_record_is_the_lexical_models_cross_validation() -> None:
    texts, labels = read_phrasebank(TRAIN)
    report = cross_validate(texts, labels, folds=5, repeats=1, seed=0)
    got = (report.accuracy_mean, report.accuracy_sd, report.macro_f1_mean, report.macro_f1_sd)
    want = (
        LEXICAL_RECORD.accuracy,
        LEXICAL_RECORD.accuracy_sd,
        LEXICAL_RECORD.macro_f1,
        LEXICAL_RECORD.macro_f1_sd,
    )
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
        [
            "Operating loss narrowed to EUR 1.2 mn from EUR 3.4 mn.",
            "Company X announces layoffs as demand falls",
            "Analysts downgrade the stock to sell.",
            "Costs fell 8 % and margins improved.",
        ]
    )
    assert result.labels == ["positive", "negative", "negative", "positive"]
