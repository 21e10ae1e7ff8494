"""Find the stored answer to a question before computing it: an analysis id covers the question, the
as-of session, the config, the data fingerprint and the code digest, so a stored row with that id is
exactly what a fresh computation would return. This module stays light (no agents, no scikit-learn):
a warm `analyze` maps the saved monitor panel, reads one row and prints it."""

from __future__ import annotations

from rotascope.config import Settings, config_hash
from rotascope.monitor.session import Session
from rotascope.records import UNIVERSE_SUBJECT, Analysis, AnalysisKind, analysis_id
from rotascope.store.analyses import find_analysis
from rotascope.store.db import Store


def stored_analysis(
    store: Store, settings: Settings, kind: AnalysisKind, subject: str, session: Session
) -> Analysis | None:
    """The stored analysis of ``subject`` at the request's resolved session (None: compute it)."""
    fingerprint = session.monitor.panel.data.fingerprint
    return find_analysis(store, analysis_id(kind, subject, session.as_of, config_hash(settings), fingerprint))


def stored_universe(store: Store, settings: Settings, session: Session) -> Analysis | None:
    return stored_analysis(store, settings, "universe", UNIVERSE_SUBJECT, session)


def stored_single(store: Store, settings: Settings, symbol: str, session: Session) -> Analysis | None:
    """A stock is judged against IWM (kind 'stock'), an ETF against SPY (kind 'regime')."""
    name = symbol.strip().upper()
    kind = store.instrument_kind(name) if name else None
    if kind not in ("stock", "etf"):
        return None  # unknown or not tradable: the service says why
    return stored_analysis(store, settings, "stock" if kind == "stock" else "regime", name, session)
