"""The one place that assembles an analysis.

An :class:`Analyst` gets the monitor (built once, or handed in by a caller that caches it) and answers at a
:class:`~rotascope.monitor.session.Session`, the as-of resolved once at the door on that monitor
(``Analyst.session``, or the caller's ``open_session``): it loads what the agents may read as of that
session (headlines known by then, SEC facts filed by then) and the config hash, then runs agents → debate →
decision → risk. The CLI, the web app, `watch`, reports and the backtest all go through it, so the same
question on the same data and settings gives the same analysis (and the same id) whichever door it came in
by.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cached_property

import numpy as np

from rotascope.agents.members import MemberInputs, MembersDebate, debate_members
from rotascope.agents.run import universe_analysis
from rotascope.agents.stock import stock_analysis
from rotascope.analysis.index_member import R2000, SP500, membership, on_list, outside_r2000_label
from rotascope.analysis.replay import replay_extra
from rotascope.calibration.cross import cross_calibration_of
from rotascope.calibration.name_call import name_call, pooled_base_rates
from rotascope.calibration.service import calibrated_call
from rotascope.calibration.single import single_name_rates, with_base_rates
from rotascope.config import Settings, config_hash
from rotascope.errors import DataError, UnknownSymbolError
from rotascope.fundamentals import load_fundamentals
from rotascope.fundamentals.store import Fundamentals
from rotascope.monitor.data import align
from rotascope.monitor.run import Monitor, build_monitor
from rotascope.monitor.session import Session, open_session
from rotascope.records import Analysis, Headline, analysis_id
from rotascope.store.db import Store
from rotascope.store.live import load_headlines

HEADLINE_DAYS = 7
"""Headlines that became known in the week up to the as-of date feed the sentiment agent."""
REGIME_BENCHMARK = "SPY"
"""Regime ETFs (IWM, IWN, KRE, XLF, XLI, IJR…) are judged against the S&P 500."""
STOCK_BENCHMARK = "IWM"
"""Single stocks are judged against the Russell 2000."""
UNIVERSE_SYMBOL = "IWM"
"""The regime ETF whose debate against SPY is the universe question itself."""
UNIVERSE_QUESTION = (
    f"{UNIVERSE_SYMBOL} vs {REGIME_BENCHMARK} is the universe question: these are the universe analysis's "
    "calibrated numbers."
)
"""The one line a debate of IWM says about where its numbers come from."""


@dataclass(frozen=True)
class AgentInputs:
    """What the agents may read besides the monitor, all known by the as-of date."""

    headlines: list[Headline] = field(default_factory=list)
    fundamentals: Fundamentals | None = None


class Analyst:
    """Assembles analyses from one open store; give it a cached ``monitor`` to skip rebuilding it."""

    def __init__(self, store: Store, settings: Settings, monitor: Monitor | None = None) -> None:
        self.store = store
        self.settings = settings
        self._monitor = monitor

    @property
    def monitor(self) -> Monitor:
        if self._monitor is None:
            self._monitor = build_monitor(self.store, self.settings)
        return self._monitor

    @cached_property
    def config_hash(self) -> str:
        return config_hash(self.settings)

    def session(self, as_of: date | None) -> Session:
        """The question at ``as_of`` resolved once (the latest complete session on or before it, and the
        data's freshness today), for a caller that has no session of its own."""
        return open_session(self.monitor, self.settings, as_of)

    def inputs(self, day: date, symbol: str | None = None) -> AgentInputs:
        """Headlines known in the week to ``day`` (only those naming ``symbol`` when given) and SEC facts."""
        news = load_headlines(self.store, day - timedelta(days=HEADLINE_DAYS), day)
        if symbol is not None:
            news = [h for h in news if symbol in h.tickers or f"${symbol}" in h.text]
        return AgentInputs(news, load_fundamentals(self.store, day))

    def universe(self, session: Session, *, full_risk: bool = True) -> Analysis:
        """Small caps vs SPY: the four agents, their debate and the decision/risk agent."""
        got = self.inputs(session.as_of)
        return universe_analysis(
            self.monitor,
            self.monitor.on(session.as_of),
            self.config_hash,
            got.headlines or None,
            full_risk=full_risk,
            fundamentals=got.fundamentals,
            calibration=calibrated_call(self.monitor, session.as_of, replay_extra),
        )

    def single(self, symbol: str, session: Session) -> Analysis:
        """One stock (vs the Russell 2000) or one regime ETF (vs SPY): the same agents and risk controls."""
        name = symbol.strip().upper()
        if not name or not self.store.has_symbol(name):
            raise UnknownSymbolError(
                f"Unknown symbol {symbol[:40]!r}: `rotascope data status` lists what is stored."
            )
        inst = self.store.instruments().set_index("symbol")
        kind = str(inst.at[name, "kind"])
        if kind not in ("stock", "etf"):
            raise DataError(f"{name} is a {kind} series, not a tradable stock or ETF: nothing to debate.")
        if name == REGIME_BENCHMARK:
            raise DataError(
                f"{name} is the benchmark regime ETFs are judged against; debate a stock or another ETF "
                "(IWM, IWN, KRE, XLF…), or run `rotascope analyze` for the universe."
            )
        if name == UNIVERSE_SYMBOL:  # one question, one answer: the universe's calibrated call
            return universe_question(self.universe(session), name)
        is_stock = kind == "stock"
        monitor = self.monitor
        day = session.as_of
        close = align(self.store.close_panel([name]), monitor.panel.calendar).column(name)
        sector = inst.at[name, "sector"] if is_stock else None
        high_low = None if is_stock else self._high_low(name)
        got = self.inputs(day, name)
        benchmark, outside = STOCK_BENCHMARK if is_stock else REGIME_BENCHMARK, None
        if is_stock and not (r2000 := membership(monitor.panel, R2000, name, day)).member:
            benchmark = REGIME_BENCHMARK  # a stock outside the index is judged against the S&P 500
            outside = outside_r2000_label(name, day, r2000, membership(monitor.panel, SP500, name, day))
        # members: the cross-section's calibrated call; ETFs and names outside the index: base rates
        rates, on_rates = single_name_rates(
            monitor.panel.calendar,
            close,
            monitor.panel.data.etf.column(benchmark),
            day,
            name,
            benchmark,
            monitor.thresholds.calibration,
        )
        in_cross = is_stock and outside is None
        calibration = name_call(cross_calibration_of(monitor), name, day) if in_cross else None
        if calibration is None and on_rates is None:
            raise DataError(rates.note)  # no outcome band: neither a call nor base rates to show
        analysis = stock_analysis(
            monitor,
            name,
            close,
            str(sector) if isinstance(sector, str) and sector else None,
            monitor.on(day),
            self.config_hash,
            got.headlines or None,
            benchmark=benchmark,
            high_low=high_low,
            fundamentals=got.fundamentals,
            calibration=calibration or on_rates,
            kind="stock" if is_stock else "regime",
        )
        analysis = analysis if calibration is not None else with_base_rates(analysis, rates)
        return analysis if outside is None else with_first_reason(analysis, outside)

    def members(self, session: Session) -> MembersDebate:
        """Every Russell 2000 member debated against IWM at one as-of (the numbers ``single`` gives each
        of them), vectorised across members, each with its calibrated call, ranked by expected return."""
        monitor = self.monitor
        day = session.as_of
        members = monitor.panel.data.members
        # only the names on the Russell 2000 list in force at the as-of: `debate SYMBOL` judges any other
        # stock against SPY (analysis/index_member.py), so it has no place in a ranking against IWM
        listed = on_list(monitor.panel, R2000, tuple(members.symbols), day)
        off_list = [s for s, on in zip(members.symbols, listed, strict=True) if not on]
        symbols = tuple(s for s, on in zip(members.symbols, listed, strict=True) if on)
        close = members.float64()[:, listed]  # float32 only when exact: the store's closes, as ``single``
        inst = self.store.instruments().set_index("symbol")
        sectors = tuple(
            str(v) if isinstance(v := inst.at[s, "sector"] if s in inst.index else None, str) and v else None
            for s in symbols
        )
        got = self.inputs(day)
        cross = cross_calibration_of(monitor)
        calibrated = {s: c for s in symbols if (c := name_call(cross, s, day)) is not None}
        inputs = MemberInputs(
            symbols,
            sectors,
            close,
            got.fundamentals,
            tuple(got.headlines),
            calibrated,
            pooled_base_rates(cross, day),
        )
        ranked = debate_members(monitor, monitor.on(day), inputs)
        return ranked.model_copy(update={"off_list": off_list}) if off_list else ranked

    def _high_low(self, name: str) -> tuple[np.ndarray, np.ndarray] | None:
        """An ETF's stored highs and lows on the monitor calendar (None when the source had none)."""
        try:
            hl = align(self.store.high_low_panel([name]), self.monitor.panel.calendar)
        except DataError:
            return None
        high, low = hl.column(f"{name}_high"), hl.column(f"{name}_low")
        return (high, low) if np.isfinite(high).any() and np.isfinite(low).any() else None


def with_first_reason(analysis: Analysis, line: str) -> Analysis:
    """``analysis`` with ``line`` first among the decision's reasons (what the question was taken as)."""
    decision = analysis.decision.model_copy(update={"rationale": [line, *analysis.decision.rationale]})
    return analysis.model_copy(update={"decision": decision})


def universe_question(universe: Analysis, symbol: str) -> Analysis:
    """The universe analysis asked as a debate of ``symbol`` (IWM) vs SPY: the same agents, probabilities,
    stance, direction, mode, tilt and risk, stored under the debate's own id, saying so in its first line."""
    asked = universe.model_copy(
        update={
            "id": analysis_id(
                "regime", symbol, universe.as_of, universe.config_hash, universe.data_fingerprint
            ),
            "kind": "regime",
            "subject": symbol,
        }
    )
    return with_first_reason(asked, UNIVERSE_QUESTION)
