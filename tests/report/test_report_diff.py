"""Run-to-run diff on two real stored analyses (2024-07-12 vs 2024-07-19), with hand-checked deltas."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date

import pytest
from typer.testing import CliRunner

from rotascope.agents import universe_analysis
from rotascope.cli import app
from rotascope.config import Settings
from rotascope.monitor.run import Monitor
from rotascope.records import Analysis
from rotascope.report.diff import AnalysisDiff, diff_analyses
from rotascope.store.analyses import load_analysis, save_analysis
from rotascope.store.db import open_store
from webclient import make_client


@pytest.fixture(scope="module")
def stored(monitor: Monitor, loaded_settings: Settings) -> Iterator[tuple[Analysis, Analysis]]:
    """Both analyses saved to the store and read back (the diff sees what `rotascope diff` sees)."""
    runs = [universe_analysis(monitor, monitor.at(date(2024, 7, d)), "diff-test") for d in (12, 19)]
    store = open_store(loaded_settings, write=True)
    try:
        for a in runs:
            save_analysis(store, a)
        both = load_analysis(store, runs[0].id), load_analysis(store, runs[1].id)
    finally:
        store.close()  # closed before the tests: the CLI and the web app open the same store
    yield both


@pytest.fixture(scope="module")
def diff(stored: tuple[Analysis, Analysis]) -> AnalysisDiff:
    return diff_analyses(*stored)


def test_headline_changes(diff: AnalysisDiff, stored: tuple[Analysis, Analysis]) -> None:
    a, b = stored
    assert (diff.a_id, diff.b_id) == (a.id, b.id)
    assert (diff.a_as_of, diff.b_as_of) == (date(2024, 7, 12), date(2024, 7, 19))
    assert diff.same_data and diff.same_config
    # hand-checked from the two stored runs: the ladder jumped from level 0 to level 5
    assert (diff.ladder.old, diff.ladder.new, diff.ladder.delta) == (0.0, 5.0, 5.0)
    # conviction = P(bull) - P(bear), read from each stored run: without a calibrated call both are IWM vs
    # SPY's base rates (issue #23: never the hand-set evidence score, which read -0.10, then +0.47)
    assert all(x.decision.calibration and x.decision.calibration.method == "base rates" for x in stored)
    assert (diff.conviction.old, diff.conviction.new) == (a.decision.conviction, b.decision.conviction)
    assert abs(diff.conviction.old) <= 0.05 and abs(diff.conviction.new) <= 0.05
    assert diff.conviction.delta == pytest.approx(b.decision.conviction - a.decision.conviction)
    probs = {s.name: (s.old, s.new) for s in diff.scenarios}
    old_p = {s.name: s.probability for s in a.decision.scenarios}
    new_p = {s.name: s.probability for s in b.decision.scenarios}
    assert probs == {k: (old_p[k], new_p[k]) for k in ("bull", "base", "bear")}
    assert sum(new_p.values()) == pytest.approx(1.0)
    deltas = {s.name: s.delta for s in diff.scenarios}
    assert deltas == pytest.approx({k: new_p[k] - old_p[k] for k in new_p})
    # at the base rates the desk stands aside both weeks, however far the ladder moved
    assert not diff.stance.changed and diff.stance.new.startswith("no tilt: ")
    assert (diff.mode.old, diff.mode.new) == ("stand aside", "stand aside")
    assert (diff.direction.old, diff.direction.new) == ("none", "none") and not diff.direction.changed
    assert diff.tilt.old == diff.tilt.new == 0.0
    assert diff.killers == []


def test_agents(diff: AnalysisDiff, stored: tuple[Analysis, Analysis]) -> None:
    agents = {g.agent: g for g in diff.agents}
    assert set(agents) == {"fundamentals", "macro", "internals", "sentiment"}
    internals = agents["internals"]
    assert (internals.stance.old, internals.stance.new) == ("neutral", "bullish")
    final_a = {o.agent: o for o in stored[0].debate.final}
    final_b = {o.agent: o for o in stored[1].debate.final}
    for name, g in agents.items():
        assert g.score.delta == pytest.approx(final_b[name].score - final_a[name].score, abs=1e-9)
        assert g.confidence.delta == pytest.approx(
            final_b[name].confidence - final_a[name].confidence, abs=1e-9
        )
    assert agents["sentiment"].score.delta == 0.0


def test_evidence_matched_by_claim_and_name(diff: AnalysisDiff, stored: tuple[Analysis, Analysis]) -> None:
    ev = {(e.claim_id, e.name): e for e in diff.evidence}
    one_month = ev[("internals.rs_trend", "IWM/SPY 1m relative return")]
    # IWM/SPY 1-month relative return: +1.5318 % on 07-12, +7.5695 % on 07-19 → +6.0377 pp
    assert (one_month.old, one_month.new) == (0.015318, 0.075695)
    assert one_month.delta == pytest.approx(0.060377)
    assert (one_month.passed_old, one_month.passed_new) == (True, True)
    rsp = ev[("internals.equal_weight", "RSP/SPY 1m relative return")]
    assert (rsp.passed_old, rsp.passed_new) == (False, True)
    assert rsp.delta == pytest.approx(0.018755 - (-0.015799))
    vix = ev[("internals.volatility", "VIX 1-year percentile")]
    assert (vix.passed_old, vix.passed_new) == (True, False)
    assert all(e.old != e.new or e.passed_old != e.passed_new for e in diff.evidence)
    # counted from the two stored runs' initial opinions (what the diff compares)
    bullish = [float(sum(c.direction == "bullish" for o in x.opinions for c in o.claims)) for x in stored]
    passing = [
        float(sum(e.passed is True for o in x.opinions for c in o.claims for e in c.evidence)) for x in stored
    ]
    assert (diff.bullish_claims.old, diff.bullish_claims.new) == tuple(bullish)
    assert (diff.evidence_passing.old, diff.evidence_passing.new) == tuple(passing)
    assert bullish[1] - bullish[0] == 4.0 and passing[1] - passing[0] == 4.0


def test_verdict_is_broadening(diff: AnalysisDiff) -> None:
    assert diff.broadening == "broadening"
    assert diff.verdict.startswith("Week over week (2024-07-12 → 2024-07-19), the rotation is BROADENING")
    assert "level 0 to 5" in diff.verdict
    bull = next(s for s in diff.scenarios if s.name == "bull")
    assert f"P(bull) {bull.old:.2f} → {bull.new:.2f}" in diff.verdict


def test_reverse_and_identity(stored: tuple[Analysis, Analysis]) -> None:
    a, b = stored
    back = diff_analyses(b, a)
    assert back.broadening == "narrowing"
    assert back.ladder.delta == -5.0
    same = diff_analyses(a, a)
    assert same.evidence == [] and same.killers == [] and same.broadening == "no clear change"
    assert diff_analyses(a, b).to_json() == diff_analyses(a, b).to_json()


def test_killer_flips(stored: tuple[Analysis, Analysis]) -> None:
    a, b = stored
    fired = b.model_copy(update={"killers_triggered": ["credit_widening"]})
    d = diff_analyses(a, fired)
    assert [(k.key, k.old, k.new, k.change) for k in d.killers] == [("credit_widening", False, True, "fired")]
    assert d.broadening != "broadening"  # a newly fired killer vetoes "broadening"
    assert "Killers newly fired: credit_widening." in d.verdict


def test_cli_json_equals_the_web_api(
    stored: tuple[Analysis, Analysis], loaded_settings: Settings, monitor: Monitor
) -> None:
    """One diff: `rotascope diff A B -f json` and `GET /api/diff?a=A&b=B` give the same record."""
    a, b = stored
    cli = CliRunner().invoke(app, ["--home", str(loaded_settings.home), "diff", a.id, b.id, "-f", "json"])
    assert cli.exit_code == 0, cli.output
    with make_client(loaded_settings, monitor) as client:
        web = client.get("/api/diff", params={"a": a.id, "b": b.id})
    assert web.status_code == 200, web.text
    assert json.loads(cli.stdout) == web.json() == json.loads(diff_analyses(a, b).to_json())
    body = web.json()
    assert body["broadening"] and body["verdict"].startswith("Week over week")
    assert body["evidence_compared"] >= len(body["evidence"]) > 0
    assert {e["agent"] for e in body["evidence"]} <= {"fundamentals", "macro", "internals", "sentiment"}
