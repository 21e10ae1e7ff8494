"""The measures catalogue names exactly what the engine's snapshot holds, with the same units."""

from __future__ import annotations

from datetime import date

from rotascope.measures import CATALOGUE, HY_OAS_CHG_13W, SMB, Measure
from rotascope.monitor.run import Monitor


def test_catalogue_and_snapshot_hold_the_same_names_and_units(monitor: Monitor) -> None:
    snap = monitor.at(date(2024, 7, 19)).snapshot
    produced = {
        **{k: "macro" for k in snap.macro.values},
        **{k: "factors" for k in snap.factors},
        **{k: "internals" for k in snap.internals},
    }
    assert {n: m.section for n, m in CATALOGUE.items()} == produced
    for name, unit in snap.macro.units.items():
        assert CATALOGUE[name].unit == unit, name


def test_the_accessor_reads_the_right_section(monitor: Monitor) -> None:
    snap = monitor.at(date(2008, 10, 10)).snapshot
    assert HY_OAS_CHG_13W.of(snap) == snap.macro.values["hy_oas_chg_13w"]
    assert SMB["3m"].of(snap) == snap.factors["smb_3m"]
    assert Measure("nope", "macro", "", "", "").of(snap) is None
