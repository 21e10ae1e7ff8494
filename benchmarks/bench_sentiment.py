"""Sentiment benchmark: scoring 10,000 finance sentences with the shipped model (warm, in process).

Budget from issue #14: under 2 s. Sentences are the PhraseBank training file repeated (real text) when the
shared data folder is present, else the bundled Benzinga headline sample.
"""

from __future__ import annotations

import time
from pathlib import Path

from rotascope.sentiment.model import load_model
from rotascope.sentiment.sample import headline_sample

N = 10_000
TRAIN = Path(__file__).resolve().parents[2] / "shared" / "data" / "sentiment" / "phrasebank_train.csv"


def _texts() -> tuple[list[str], str]:
    if TRAIN.exists():
        from rotascope.sentiment.train import read_phrasebank

        texts, _ = read_phrasebank(TRAIN)
        source = "PhraseBank training sentences"
    else:
        texts = headline_sample(scored=False)["headline"].tolist()
        source = "Benzinga sample headlines"
    return (texts * (N // len(texts) + 1))[:N], source


def run(home: str) -> list[tuple[str, list[float], str]]:
    """(name, wall times in seconds, note) rows for benchmarks/run.py (``home`` is not needed)."""
    texts, source = _texts()
    model = load_model()
    model.predict(texts[:10])
    times = []
    for _ in range(3):
        start = time.perf_counter()
        model.predict(texts)
        times.append(time.perf_counter() - start)
    return [(f"sentiment: score {N:,} sentences", times, f"{source}; budget 2 s")]
