"""Find the stored answer to a question before computing it: an analysis id covers the question, the
as-of session, the config, the data fingerprint and the code digest, so a stored row with that id is
exactly what a fresh computation would return. This module stays light (no agents, no scikit-learn):
a warm `analyze` maps the saved monitor panel, reads one row and prints it."""

from __future__ import annotations

from rotascope.config import Settings, config_hash
from rotascope.monitor.run import Monitor
from rotascope.monitor.session import Session
from rotascope.records import UNIVERSE_SUBJECT, Analysis, AnalysisKind, analysis_id
from rotascope.store.analyses import find_analysis
from rotascope.store.db import Store


def stored_analysis(
    store: Store, settings: Settings, kind: AnalysisKind, subject: str, monitor: Monitor, session: Session
) -> Analysis | None:
    """The stored analysis of ``subject`` on ``monitor``'s data at the request's session (None: compute
    it)."""
    fingerprint = monitor.panel.data.fingerprint
    return find_analysis(store, analysis_id(kind, subject, session.as_of, config_hash(settings), fingerprint))


def stored_universe(store: Store, settings: Settings, monitor: Monitor, session: Session) -> Analysis | None:
    return stored_analysis(store, settings, "universe", UNIVERSE_SUBJECT, monitor, session)


def stored_single(
    store: Store, settings: Settings, symbol: str, monitor: Monitor, session: Session
) -> Analysis | None:
    """A stock is judged against IWM (kind 'stock'), an ETF against SPY (kind 'regime')."""
    name = symbol.strip().upper()
    kind = store.instrument_kind(name) if name else None
    if kind not in ("stock", "etf"):
        return None  # unknown or not tradable: the service says why
    kind_of: AnalysisKind = "stock" if kind == "stock" else "regime"
    return stored_analysis(store, settings, kind_of, name, monitor, session)
