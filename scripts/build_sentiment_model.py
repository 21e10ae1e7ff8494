#!/usr/bin/env python
"""Build the shipped finance sentiment model from the Financial PhraseBank training file.

Deterministic: the same training file gives a byte-identical ``src/rotascope/sentiment/model.npz``.
``--cv`` also prints repeated stratified 10-fold cross-validation figures (accuracy, macro-F1, confusion
matrix) of the same pipeline on the training file; the model itself is always fit on the whole file.

Usage: python scripts/build_sentiment_model.py [--train ../shared/data/sentiment/phrasebank_train.csv]
       [--out src/rotascope/sentiment/model.npz] [--cv [--repeats 3]]
"""

from __future__ import annotations

import argparse
from pathlib import Path

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", type=Path, default=DEFAULT_TRAIN)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--cv", action="store_true", help="Also report cross-validated accuracy/macro-F1.")
    parser.add_argument("--repeats", type=int, default=1, help="Repeats of the 10-fold CV.")
    args = parser.parse_args()
    size = build(args.train, args.out)
    print(f"wrote {args.out} ({size:,} bytes)")
    if args.cv:
        texts, labels = read_phrasebank(args.train)
        report = cross_validate(texts, labels, folds=10, repeats=args.repeats)
        print(report.summary())
        print("confusion (rows true, columns predicted):", ", ".join(CLASSES))
        for name, row in zip(CLASSES, report.confusion, strict=True):
            print(f"  {name:>8}: {row}")


if __name__ == "__main__":
    main()
