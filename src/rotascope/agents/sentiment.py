"""News/sentiment agent: tone of recent headlines (Loughran-McDonald lexicon, negation-aware).

Headlines must be dated no later than the as-of date (published and known by then). Without stored news
the agent reports that it has no evidence; it never invents a view.
"""

from __future__ import annotations

from datetime import timedelta

from rotascope.agents.base import AgentContext, claim, ev, opinion
from rotascope.records import Headline, Opinion
from rotascope.sentiment import score

NAME = "sentiment"
NO_NEWS = "No dated headlines are stored for this period: no sentiment evidence (none is invented)."


def analyze(ctx: AgentContext, headlines: list[Headline] | None = None, days: int = 7) -> Opinion:
    """Net tone of headlines known in the ``days`` before the as-of date."""
    start = ctx.as_of - timedelta(days=days)
    recent = [h for h in (headlines or []) if start < h.known_at <= ctx.as_of]
    if not recent:
        return opinion(
            NAME, "headline tone (Loughran-McDonald finance lexicon)", ctx.as_of, [], [NO_NEWS], NO_NEWS
        )
    scores = [score(h.text) for h in recent]
    pos = sum(s.positive for s in scores)
    neg = sum(s.negative for s in scores)
    tone = (pos - neg) / (pos + neg) if pos + neg else 0.0
    claims = [
        claim(
            NAME,
            "tone",
            f"Net tone of {len(recent)} headlines over {days} days is positive",
            [
                ev(
                    ctx,
                    "Net tone (pos − neg)/(pos + neg)",
                    tone,
                    ">=",
                    0.0,
                    source=f"{len(recent)} stored headlines",
                    window=f"{days}d",
                    unit="index",
                )
            ],
            0.6,
        )
    ]
    return opinion(
        NAME,
        "headline tone (Loughran-McDonald finance lexicon)",
        ctx.as_of,
        claims,
        ["Headline tone is noisy and often lags price."],
    )
