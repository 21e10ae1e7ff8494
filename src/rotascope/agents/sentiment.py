"""News/sentiment agent: tone of recent headlines, scored by the finance sentiment model.

Each headline gets P(positive) − P(negative) from :mod:`rotascope.sentiment.model` (trained on the Financial
PhraseBank: word n-grams, Loughran-McDonald counts and finance direction rules such as "loss narrowed");
the agent's evidence is the mean score of the headlines known in the window.

Headlines must be dated no later than the as-of date (published and known by then). Without stored news
the agent reports that it has no evidence; it never invents a view.
"""

from __future__ import annotations

from datetime import timedelta

from rotascope.agents.base import AgentContext, claim, ev, opinion
from rotascope.records import Headline, Opinion

NAME = "sentiment"
METHOD = "headline tone (finance sentiment model trained on the Financial PhraseBank)"
NO_NEWS = "No dated headlines are stored for this period: no sentiment evidence (none is invented)."


def analyze(ctx: AgentContext, headlines: list[Headline] | None = None, days: int = 7) -> Opinion:
    """Mean model score of the headlines known in the ``days`` before the as-of date."""
    start = ctx.as_of - timedelta(days=days)
    recent = [h for h in (headlines or []) if start < h.known_at <= ctx.as_of]
    if not recent:
        return opinion(NAME, METHOD, ctx.as_of, [], [NO_NEWS], NO_NEWS)
    # deferred: the headline model (scipy.sparse, ~0.3 s of imports) loads only when headlines are scored,
    # not for the weekly replay, which runs the agents without headlines
    from rotascope.sentiment.model import load_model

    result = load_model().predict([h.text for h in recent])
    mean = float(result.scores.mean())
    counts = {label: result.labels.count(label) for label in ("positive", "negative", "neutral")}
    claims = [
        claim(
            NAME,
            "tone",
            f"Mean sentiment score of {len(recent)} headlines over {days} days is {mean:+.2f} "
            f"({counts['positive']} positive, {counts['negative']} negative, {counts['neutral']} neutral)",
            [
                ev(
                    ctx,
                    "Mean headline score P(positive) − P(negative)",
                    mean,
                    ">=",
                    0.0,
                    source=f"{len(recent)} stored headlines",
                    window=f"{days}d",
                    unit="score",
                )
            ],
            0.6,
        )
    ]
    return opinion(NAME, METHOD, ctx.as_of, claims, ["Headline tone is noisy and often lags price."])
