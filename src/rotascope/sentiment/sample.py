"""The bundled Benzinga headline sample, loaded point in time into the store's news table.

``headlines_sample.parquet`` (built by ``scripts/build_headline_sample.py`` from the shared
``news/benzinga_headlines_sample.csv``: 9,717 distinct dated headlines about 37 tickers, 2009-04 to 2020-06)
gives the sentiment agent real headlines offline. Each is known from its publication time (UTC) on, and is
scored with the finance sentiment model when loaded. A sample, not a full history: most weeks have none.
"""

from __future__ import annotations

import hashlib
from importlib import resources
from pathlib import Path

import pandas as pd

from rotascope.errors import DatasetError
from rotascope.sentiment.scorer import load_scorer
from rotascope.store.db import Store
from rotascope.store.live import HEADLINES_LOAD, ensure_live_schema, insert_news_frame, item_transaction

__all__ = ["SAMPLE_FILE", "SAMPLE_SOURCE", "headline_sample", "load_headline_sample"]

SAMPLE_FILE = "headlines_sample.parquet"
SAMPLE_SOURCE = "Benzinga headline sample"


def headline_sample(scored: bool = True) -> pd.DataFrame:
    """The sample as news-table rows: id, headline, source, published, known_at, url, tickers, tone
    (NaN unless ``scored``)."""
    path = Path(str(resources.files("rotascope.sentiment") / SAMPLE_FILE))
    try:
        frame = pd.read_parquet(path)
    except (OSError, ValueError) as exc:
        raise DatasetError(f"The bundled headline sample {path} is missing or damaged ({exc}).") from None
    ids = [
        hashlib.sha256(f"{SAMPLE_SOURCE}\n{p.isoformat()}\n{h}".encode()).hexdigest()
        for p, h in zip(frame["published"], frame["headline"], strict=True)
    ]
    return pd.DataFrame(
        {
            "id": ids,
            "headline": frame["headline"],
            "source": SAMPLE_SOURCE,
            "published": frame["published"],
            "known_at": frame["published"],
            "url": "",
            "tickers": frame["tickers"].map(list),
            "tone": load_scorer().predict(frame["headline"].tolist()).scores if scored else float("nan"),
        }
    )


def load_headline_sample(store: Store) -> int:
    """Insert the sample's headlines not stored yet (one transaction); rows added."""
    frame = headline_sample(scored=False)
    ensure_live_schema(store)
    have = {
        r[0] for r in store.conn.execute("SELECT id FROM news WHERE source = ?", [SAMPLE_SOURCE]).fetchall()
    }
    frame = frame[~frame["id"].isin(have)].reset_index(drop=True)
    if frame.empty:
        return 0
    frame["tone"] = load_scorer().predict(frame["headline"].tolist()).scores
    with item_transaction(store) as conn:
        return insert_news_frame(conn, frame, HEADLINES_LOAD)
