"""The regime rules' reads as columns of the monitor panel: every weekly row at once, rounded as the snapshot
rounds them, so the replay judges all weeks in one call of the rule engine (``regime.rules.signals``).

``MonitorPanel.snapshot`` reads row ``t`` of the same arrays and rounds each value with ``records.rnd``;
here the rows are read together and rounded with its array twin, so a week's columns equal what its
snapshot's ``Read.of`` gives (a test compares them on the stored data).
"""

from __future__ import annotations

import numpy as np

from rotascope._record import rnd_array
from rotascope._typing import Float64Array
from rotascope.indicators.kernels import IntArray
from rotascope.indicators.relative_strength import RelativeStrength
from rotascope.measures import Measure
from rotascope.monitor.engine import MonitorPanel
from rotascope.monitor.universe import UniverseBreadth
from rotascope.regime.rules import READS
from rotascope.regime.spec import CountUp, PairField, PairReturn, R2000Breadth, Read, Reader


class PanelColumns:
    """The reads of the regime rules at ``rows`` of the panel (each read computed once)."""

    def __init__(self, panel: MonitorPanel, rows: IntArray) -> None:
        self.panel, self.rows = panel, np.asarray(rows, dtype=np.int64)
        self._seen: dict[Read, Float64Array] = {}
        self._medians: dict[str, Float64Array] | None = None

    def __call__(self, read: Read) -> Float64Array:
        if read not in self._seen:
            self._seen[read] = self._read(read)
        return self._seen[read]

    def _nan(self) -> Float64Array:
        return np.full(len(self.rows), np.nan)

    def _read(self, read: Read) -> Float64Array:
        if isinstance(read, Measure):
            return self._measure(read)
        if isinstance(read, PairReturn):
            return rnd_array(self._pair(read.pair).returns[read.window][self.rows])
        if isinstance(read, PairField):
            rs = self._pair(read.pair)
            if read.field == "persistence_4w":
                return rnd_array(rs.persistence[4][self.rows])
            return rnd_array(rs.trend.dist_50_pct[self.rows] / 100.0)
        if isinstance(read, R2000Breadth):
            return self._breadth(read)
        return self._count_up(read)

    def _pair(self, name: str) -> RelativeStrength:
        return self.panel.pairs[name] if name in self.panel.pairs else self.panel.sectors[name]

    def _measure(self, m: Measure) -> Float64Array:
        p = self.panel
        if m.section == "macro":
            return rnd_array(p.macro[m.name].values[self.rows]) if m.name in p.macro else self._nan()
        if m.section == "factors":
            return rnd_array(p.factors[m.name].values[self.rows]) if m.name in p.factors else self._nan()
        if m.name in p.internals:
            return rnd_array(p.internals[m.name][self.rows])
        if self._medians is None:
            self._medians = p.member_medians_at(self.rows)
        return rnd_array(self._medians[m.name]) if m.name in self._medians else self._nan()

    def _r2000(self) -> UniverseBreadth:
        return next(u for u in self.panel.breadth.values() if u.universe == "R2000")

    def _breadth_field(self, name: str) -> Float64Array:
        u = self._r2000()
        if name == "ad_line_vs_sma50":
            return rnd_array(u.ad_vs_sma50[self.rows])
        if name == "pct_above_50":
            return rnd_array(u.panel.pct_above_50[self.rows] / 100.0)
        back = self.rows - 20  # pct_above_50_20d_ago: the snapshot's 20-row look back
        then = u.panel.pct_above_50[np.maximum(back, 0)] / 100.0
        return rnd_array(np.where(back >= 0, then, np.nan))

    def _breadth(self, read: R2000Breadth) -> Float64Array:
        value = self._breadth_field(read.field)
        return value if read.minus is None else rnd_array(value - self._breadth_field(read.minus))

    def _count_up(self, read: CountUp) -> Float64Array:
        vals = np.column_stack([self(PairReturn(p, read.window)) for p in read.pairs])
        count = (vals > 0).sum(axis=1).astype(np.float64)
        out: Float64Array = np.where(np.isfinite(vals).all(axis=1), count, np.nan)
        return out


def rule_columns(panel: MonitorPanel, rows: IntArray) -> Reader:
    """What each of the regime rules' reads gives at ``rows`` of the panel (NaN = no data)."""
    return PanelColumns(panel, rows)


def rule_table(panel: MonitorPanel, rows: IntArray) -> dict[Read, Float64Array]:
    """Every value the rules read (``regime.rules.READS``) at ``rows``, as plain arrays: what a sweep ships
    to its workers and judges under each variant's thresholds (``table.__getitem__`` is a reader)."""
    read = PanelColumns(panel, rows)
    return {r: read(r) for r in READS}
