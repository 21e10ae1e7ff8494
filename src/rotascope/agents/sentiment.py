"""News/sentiment agent: tone of recent headlines, scored by the finance sentiment model.

Each headline gets P(positive) − P(negative) from the model :mod:`rotascope.sentiment.scorer` picks (trained
on the Financial PhraseBank: word n-grams, Loughran-McDonald counts and finance direction rules such as
"loss narrowed", plus MiniLM sentence embeddings when the extra ``nlp`` is installed; the lens names it);
each is labelled positive, negative or neutral (its most probable class). The agent's evidence is the net
tone of the headlines known in the window, shrunk toward neutral by their number
(:func:`rotascope.agents.vector.tone`: (positive − negative) / (count + 20), the posterior mean under a
prior of 20 neutral headlines): a balanced tape is neutral whatever its mean score, and the agent's score
and confidence grow with the count and the agreement of the headlines. The mean model score is quoted
beside it.

Headlines must be dated no later than the as-of date (published and known by then). Without stored news
the agent reports that it has no evidence; it never invents a view.
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np

from rotascope.agents import vector
from rotascope.agents.base import AgentContext, claim, ev, opinion
from rotascope.records import Headline, Opinion

NAME = "sentiment"
METHOD = "headline tone (finance sentiment model trained on the Financial PhraseBank)"
NO_NEWS = "No dated headlines are stored for this period: no sentiment evidence (none is invented)."


def analyze(ctx: AgentContext, headlines: list[Headline] | None = None, days: int = 7) -> Opinion:
    """Net tone of the headlines known in the ``days`` before the as-of date, shrunk by their count."""
    start = ctx.as_of - timedelta(days=days)
    recent = [h for h in (headlines or []) if start < h.known_at <= ctx.as_of]
    if not recent:
        return opinion(NAME, METHOD, ctx.as_of, [], [NO_NEWS], NO_NEWS)
    # deferred: the headline model (scipy.sparse, ~0.3 s of imports) loads only when headlines are scored,
    # not for the weekly replay, which runs the agents without headlines
    from rotascope.sentiment.scorer import load_scorer

    scorer = load_scorer()
    result = scorer.predict([h.text for h in recent])
    mean = float(result.scores.mean())
    counts = {label: result.labels.count(label) for label in ("positive", "negative", "neutral")}
    net, strength = vector.tone(
        np.array([counts["positive"]], dtype=np.float64),
        np.array([counts["negative"]], dtype=np.float64),
        np.array([len(recent)], dtype=np.float64),
    )
    claims = [
        claim(
            NAME,
            "tone",
            f"Headline tone over {days} days is net positive: {counts['positive']} positive, "
            f"{counts['negative']} negative, {counts['neutral']} neutral of {len(recent)} headlines "
            f"(mean score {mean:+.2f})",
            [
                ev(
                    ctx,
                    f"Net tone (positive − negative) / (headlines + {vector.TONE_PRIOR:.0f})",
                    float(net[0]),
                    ">",
                    0.0,
                    source=f"{len(recent)} stored headlines",
                    window=f"{days}d",
                    unit="score",
                )
            ],
            0.6,
            strength=float(strength[0]),
        )
    ]
    lens = f"headline tone (scored by the {scorer.short()})"
    return opinion(NAME, lens, ctx.as_of, claims, ["Headline tone is noisy and often lags price."])
