"""Optional LLM narration of a stored analysis: prose over the evidence, stored beside it, never part of it.

Why optional and fenced: rotascope's answer is the structured, deterministic analysis; an LLM can make it
easier to read but can also invent. So the prompt holds only the stored analysis JSON (no fetched text, no
"now"), the reply is stored in its own ``narrations`` table keyed by the analysis id (the analysis row is
never touched), and it is printed under a label saying what it is. Any OpenAI-compatible endpoint works
(``POST {llm_base_url}/chat/completions``). Off unless ``llm_base_url`` and ``llm_model`` are set.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import httpx

from rotascope.config import Settings
from rotascope.errors import ConfigError
from rotascope.providers.deadline import BodyTooLarge, Deadline, fetch
from rotascope.providers.errors import BadResponse, SourceUnavailable
from rotascope.records import Analysis
from rotascope.redact import clean_text, redact_url, scrub
from rotascope.store.analyses import load_analysis
from rotascope.store.db import open_store
from rotascope.store.live import NarrationRow, ensure_live_schema, save_narration, utcnow

__all__ = ["SYSTEM_PROMPT", "Narration", "build_messages", "label", "narrate"]

SOURCE = "LLM endpoint"
SYSTEM_PROMPT = (
    "You narrate a stored rotascope analysis for a portfolio manager. The user message is the analysis as "
    "JSON: it is the only information you have. Summarise in plain prose (at most 250 words) whether "
    "small-cap leadership is real according to this evidence: the ladder level, the killers, the agents' "
    "main claims with their numbers and dates, the decision and its invalidation levels. Quote numbers "
    "exactly as given; add no facts, prices, news or dates that are not in the JSON; say 'not in the "
    "evidence' when asked for something missing. Not investment advice."
)
"""Fixed instruction; it carries no data. The only data sent is the analysis JSON."""


@dataclass(frozen=True)
class Narration:
    """A stored narration and the analysis it narrates."""

    analysis: Analysis
    row: NarrationRow


def label(model: str) -> str:
    """The heading printed above every narration."""
    return (
        f"LLM narration (model {model}) — generated prose over the evidence above; not part of the analysis"
    )


def build_messages(analysis: Analysis) -> list[dict[str, str]]:
    """Chat messages: the fixed instruction, then the analysis' canonical JSON and nothing else."""
    return [
        {"role": "system", "content": SYSTEM_PROMPT},
        {"role": "user", "content": analysis.to_json()},
    ]


def _endpoint(settings: Settings) -> str:
    if not settings.llm_base_url or not settings.llm_model:
        raise ConfigError(
            "LLM narration is off: set llm_base_url (an OpenAI-compatible endpoint) and llm_model "
            "(env ROTASCOPE_LLM_BASE_URL, ROTASCOPE_LLM_MODEL); the analysis itself never needs it."
        )
    return settings.llm_base_url.rstrip("/") + "/chat/completions"


MAX_NARRATION_BYTES = 64 * 1024
"""Narration text kept (stored and printed) at most; the rest is cut."""
MAX_REPLY_BYTES = 2 * 1024 * 1024
"""Largest endpoint reply read at all (a bigger one is refused, never held in memory)."""


def _ask(settings: Settings, analysis: Analysis, transport: httpx.BaseTransport | None) -> str:
    url = _endpoint(settings)
    where = redact_url(settings.llm_base_url)  # never print userinfo (user:password@) or a query string
    headers = {"Authorization": f"Bearer {settings.llm_api_key}"} if settings.llm_api_key else {}
    body: dict[str, Any] = {
        "model": settings.llm_model,
        "messages": build_messages(analysis),
        "temperature": 0,
    }
    item = f"analysis {analysis.id}"
    unchanged = "no narration was stored and the analysis is unchanged."
    try:
        with httpx.Client(transport=transport) as client:
            response, content = fetch(
                client,
                "POST",
                url,
                deadline=Deadline(settings.http_timeout),
                max_bytes=MAX_REPLY_BYTES,
                json=body,
                headers=headers,
            )
    except httpx.TimeoutException:
        raise SourceUnavailable(
            f"The LLM endpoint {where} did not answer within {settings.http_timeout:g} s; {unchanged}",
            source=SOURCE,
            item=item,
        ) from None
    except BodyTooLarge as exc:
        raise BadResponse(
            f"The LLM endpoint {where} sent a reply larger than {exc.limit:,} bytes; {unchanged}",
            source=SOURCE,
            item=item,
        ) from None
    except httpx.HTTPError as exc:
        raise SourceUnavailable(
            f"The LLM endpoint {where} could not be reached ({type(exc).__name__}); {unchanged}",
            source=SOURCE,
            item=item,
        ) from None
    if response.status_code != 200:
        raise SourceUnavailable(
            f"The LLM endpoint {where} answered HTTP {response.status_code}; {unchanged}",
            source=SOURCE,
            item=item,
        )
    try:
        text = json.loads(content)["choices"][0]["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError):
        text = None
    if isinstance(text, str):
        text = scrub(clean_text(text, MAX_NARRATION_BYTES), (settings.llm_api_key,))
    if not isinstance(text, str) or not text.strip():
        raise BadResponse(
            f"The LLM endpoint {where} sent a reply without choices[0].message.content; {unchanged}",
            source=SOURCE,
            item=item,
        )
    return text.strip()


def narrate(settings: Settings, analysis_id: str, transport: httpx.BaseTransport | None = None) -> Narration:
    """Narrate a stored analysis (id or unique prefix) and store the prose in ``narrations``."""
    _endpoint(settings)  # fail on missing settings before touching the store
    store = open_store(settings)
    try:
        store.require_data()
        analysis = load_analysis(store, analysis_id)
    finally:
        store.close()
    text = _ask(settings, analysis, transport)  # no store connection held while waiting on the model
    row = NarrationRow(analysis.id, settings.llm_model, utcnow(), text)
    store = open_store(settings, write=True)
    try:
        ensure_live_schema(store)
        save_narration(store, row)
    finally:
        store.close()
    return Narration(analysis, row)


def evidence_json(analysis: Analysis) -> Any:
    """The evidence exactly as sent (parsed), for callers that want to show or check it."""
    return json.loads(analysis.to_json())
