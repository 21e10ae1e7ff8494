"""The sentiment agent's tone is a calibrated aggregate: (positive − negative) / (count + TONE_PRIOR), so
a balanced tape is neutral and the score and confidence grow with the count and the agreement; the
per-member kernel (`debate --all`) gives each name the same claim as `sentiment.analyze` on its headlines.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np

from rotascope.agents import vector
from rotascope.agents.base import AgentContext
from rotascope.agents.members import MemberInputs, _tone
from rotascope.agents.sentiment import analyze as sentiment
from rotascope.monitor.run import Monitor
from rotascope.records import Headline
from rotascope.sentiment.scorer import load_scorer

DAY = date(2024, 7, 19)
GOOD = "Operating profit rose to EUR 13.1 mn from EUR 8.7 mn"
BAD = "Company X announces layoffs as demand falls"
FLAT = "The board met in Espoo on Tuesday"


def test_tone_kernel_by_hand() -> None:
    net, strength = vector.tone(
        np.array([8.0, 10, 40, 0, 3]), np.array([7.0, 0, 0, 0, 9]), np.array([57.0, 10, 40, 0, 12])
    )
    assert net[0] == round(1 / 77, 4) and net[1] == round(10 / 30, 4) and net[2] == round(40 / 60, 4)
    assert np.isnan(net[3]) and strength[3] == 0
    assert net[4] == round(-6 / 32, 4) and strength[4] == round(6 / 32, 4)


def news(sym: str, good: int, bad: int, flat: int) -> list[Headline]:
    texts = [GOOD] * good + [BAD] * bad + [FLAT] * flat
    return [Headline(text=t, known_at=DAY - timedelta(days=1), source="t", tickers=(sym,)) for t in texts]


def test_balanced_tape_is_not_bullish_and_members_agree_with_the_agent(monitor: Monitor) -> None:
    assert [load_scorer().predict([t]).labels[0] for t in (GOOD, BAD, FLAT)] == [
        "positive",
        "negative",
        "neutral",
    ]
    ctx = AgentContext(monitor.at(DAY), monitor.panel)
    tapes = {"AAA": (8, 7, 42), "BBB": (10, 0, 0), "CCC": (40, 0, 0), "DDD": (2, 9, 5)}
    views = {sym: sentiment(ctx, news(sym, *t)) for sym, t in tapes.items()}
    balanced = views["AAA"]
    assert balanced.stance == "neutral" and balanced.score == round(1 / 77, 4) and balanced.confidence < 0.25
    assert "8 positive, 7 negative, 42 neutral of 57 headlines" in balanced.claims[0].text
    assert views["BBB"].confidence < views["CCC"].confidence  # more headlines that agree: more confident
    assert views["DDD"].score < 0 and views["DDD"].claims[0].direction == "bearish"
    everything = tuple(h for sym, t in tapes.items() for h in news(sym, *t))
    inputs = MemberInputs(tuple(tapes), (None,) * 4, np.zeros((1, 4)), headlines=everything)
    sign, strength, made, count = _tone(inputs, DAY)
    assert made.all() and list(count) == [sum(t) for t in tapes.values()]
    for j, sym in enumerate(tapes):
        c = views[sym].claims[0]
        assert (sign[j], strength[j]) == (1.0 if c.direction == "bullish" else -1.0, c.strength), sym
