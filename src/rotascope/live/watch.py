"""`rotascope watch`: update → analyze → compare with the previous stored analysis → alerts, on a schedule.

Why: the question is weekly but the turning points are not; the watch loop re-runs the same analysis the
`analyze` command stores and speaks up only when something that matters changed: the evidence ladder moved,
a rotation killer fired (or cleared), or an invalidation level was crossed. Alerts are printed, appended as
JSON lines to ``<home>/alerts.log`` and POSTed as JSON to ``webhook_url`` when set (one retry; a failing
webhook is reported, never fatal). A failing update is reported and the analysis runs on the cached data.

The analysis date is the latest session on which every input the ladder reads is complete
(:mod:`rotascope.monitor.complete`): if only ETFs were refreshed (``update_symbols='etfs'``), member closes
(breadth) end earlier and the analysis stays at their last date rather than judging new sessions with
breadth missing (which would raise false alerts). Each iteration also says how old the data is, and
raises a ``data`` alert when no source could be refreshed or the data is older than ``stale_days``: a
watch that keeps re-reading old data must not look like a quiet market.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any, Protocol

import httpx
from rich.console import Console

from rotascope.config import Settings
from rotascope.errors import ConfigError, RotascopeError
from rotascope.live.update import UpdateReport, run_update
from rotascope.monitor.freshness import Freshness
from rotascope.providers.deadline import BodyTooLarge, Deadline, fetch
from rotascope.records import Analysis
from rotascope.report.diff import diff_analyses
from rotascope.risk.models import Invalidation
from rotascope.store.analyses import load_analysis, save_analysis
from rotascope.store.db import Store, reading, writing
from rotascope.store.live import ensure_live_schema, utcnow

__all__ = [
    "Alert",
    "WatchResult",
    "compare",
    "data_alerts",
    "parse_interval",
    "post_webhook",
    "previous_analysis",
    "run_watch",
]

_INTERVAL = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd])\s*$")
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class Alert:
    """One change worth telling someone about, with the numbers behind it."""

    kind: str
    """'ladder' | 'killer' | 'killer_cleared' | 'invalidation' | 'data' (stale or not refreshed)."""
    key: str
    message: str
    as_of: date
    previous_as_of: date
    analysis_id: str
    previous_id: str
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["as_of"], out["previous_as_of"] = self.as_of.isoformat(), self.previous_as_of.isoformat()
        return out


@dataclass
class WatchResult:
    """One iteration: the update report, the analysis, what it was compared with, and the alerts."""

    update: UpdateReport | None
    analysis: Analysis
    previous_id: str | None
    alerts: list[Alert]
    webhook_error: str | None = None
    notes: list[str] = field(default_factory=list)
    freshness: Freshness | None = None

    @property
    def data_problems(self) -> list[Alert]:
        """The alerts about the data itself (not refreshed, or stale): the watch exits non-zero on them."""
        return [a for a in self.alerts if a.kind == "data"]


def parse_interval(text: str) -> float:
    """Seconds in '1d', '6h', '30m' or '10s' (decimals allowed); a clear error otherwise."""
    match = _INTERVAL.match(text)
    if not match or float(match.group(1)) <= 0:
        raise ConfigError(f"--every must look like 1d, 6h, 30m or 10s, got {text!r}.")
    return float(match.group(1)) * _UNIT[match.group(2)]


# ------------------------------------------------------------------------------------------- compare
_INVALIDATION_DETAILS = ("level", "current", "direction", "distance", "unit", "rule")
"""The fields of a breached invalidation an alert carries, in this order."""


def _invalidations(analysis: Analysis) -> dict[str, Invalidation]:
    """Invalidation levels of an analysis by key; empty when the decision carries none."""
    view = analysis.decision.risk
    return {} if view is None else {i.key: i for i in view.invalidation}


def compare(previous: Analysis, current: Analysis) -> list[Alert]:
    """Alerts for what changed between two universe analyses (none when nothing that matters did): the
    ladder and killer changes are the report's diff (:func:`rotascope.report.diff.diff_analyses`)."""
    alerts: list[Alert] = []

    def add(kind: str, key: str, message: str, details: dict[str, Any]) -> None:
        alerts.append(
            Alert(kind, key, message, current.as_of, previous.as_of, current.id, previous.id, details)
        )

    change = diff_analyses(previous, current)
    before, after = change.ladder.old, change.ladder.new
    if before != after and after is not None:
        way = "up" if before is None or after > before else "down"
        was = None if before is None else int(before)
        add(
            "ladder",
            "ladder_reached",
            f"Evidence ladder moved {way} from level {was} to level {int(after)} (as of {current.as_of}).",
            {"previous": was, "current": int(after)},
        )
    for flip in (f for f in change.killers if f.change == "fired"):
        add("killer", flip.key, f"Rotation killer '{flip.key}' triggered (as of {current.as_of}).", {})
    for flip in (f for f in change.killers if f.change == "cleared"):
        text = f"Rotation killer '{flip.key}' no longer triggered (as of {current.as_of})."
        add("killer_cleared", flip.key, text, {})
    old = _invalidations(previous)
    for key, inv in sorted(_invalidations(current).items()):
        if inv.breached is True and (key not in old or old[key].breached is not True):
            dumped = inv.to_dict()
            add(
                "invalidation",
                key,
                f"Invalidation level hit: {inv.name}: now {dumped['current']} vs level "
                f"{dumped['level']} ({inv.direction} is wrong; as of {current.as_of}).",
                {k: dumped[k] for k in _INVALIDATION_DETAILS},
            )
    return alerts


def previous_analysis(store: Store, current: Analysis) -> Analysis | None:
    """The latest stored universe analysis other than ``current``, as of ``current``'s date or before."""
    rows = store.conn.execute(
        "SELECT id FROM analyses WHERE kind = 'universe' AND id <> ? AND as_of <= ? "
        "ORDER BY as_of DESC, created_at DESC LIMIT 1",
        [current.id, current.as_of],
    ).fetchall()
    return load_analysis(store, rows[0][0]) if rows else None


def refreshed(report: UpdateReport | None) -> bool:
    """Whether any source answered in this update (an item updated, already up to date or resumed)."""
    return report is not None and any(r.status in ("updated", "unchanged", "resumed") for r in report.items)


def data_alerts(report: UpdateReport | None, fresh: Freshness, analysis: Analysis) -> list[Alert]:
    """'data' alerts: no source could be refreshed, and/or the data is older than ``stale_days``."""
    alerts: list[Alert] = []

    def add(key: str, message: str) -> None:
        details = {"data_as_of": fresh.data_as_of.isoformat(), "data_age_days": fresh.data_age_days}
        alerts.append(
            Alert("data", key, message, analysis.as_of, analysis.as_of, analysis.id, analysis.id, details)
        )

    if not refreshed(report):
        add(
            "not_refreshed",
            "No source could be refreshed: the analysis ran on the cached data "
            f"(last complete session {fresh.data_as_of}); check the network, or `rotascope update`.",
        )
    if fresh.stale:
        add(
            "stale",
            f"The data is stale: its last complete session {fresh.data_as_of} is {fresh.data_age_days} days "
            f"before today ({fresh.today}), older than the stale_days limit of {fresh.stale_days}.",
        )
    return alerts


# -------------------------------------------------------------------------------------------- delivery
def post_webhook(url: str, payload: dict[str, Any], timeout: float, attempts: int = 2) -> str | None:
    """POST ``payload`` as JSON; one retry. Returns None on success (any 2xx, its body unread: a 200 with
    a large body is delivered, never re-POSTed) or the failure as one sentence."""
    cause = ""
    budget = Deadline(timeout * attempts)  # the whole delivery, retries included, ends by this
    tried = 0
    with httpx.Client() as client:
        for _ in range(attempts):
            if budget.remaining() <= 0:
                break
            tried += 1
            try:
                response, _body = fetch(
                    client,
                    "POST",
                    url,
                    deadline=Deadline(min(timeout, budget.remaining())),
                    json=payload,
                    read_body=False,  # any 2xx is delivered, whatever (and however large) its body
                )
            except httpx.TimeoutException:
                cause = f"no complete answer within {timeout:g} s"
                continue
            except (httpx.HTTPError, BodyTooLarge) as exc:
                cause = f"{type(exc).__name__}"
                continue
            if 200 <= response.status_code < 300:
                return None
            cause = f"HTTP {response.status_code}"
    # the URL itself is never printed: webhook URLs (Slack, ntfy) carry their secret in the path
    return f"The alert webhook could not be delivered after {tried} attempts ({cause})."


def _append_log(settings: Settings, alerts: list[Alert]) -> None:
    settings.home.mkdir(parents=True, exist_ok=True)
    with (settings.home / "alerts.log").open("a", encoding="utf-8") as fh:
        for alert in alerts:
            fh.write(json.dumps(alert.to_dict(), sort_keys=True) + "\n")


# ------------------------------------------------------------------------------------------------ loop
def analyze_latest(settings: Settings) -> tuple[Analysis, Analysis | None, list[str], Freshness]:
    """Run and store the universe analysis at the latest complete session; also the previous one, and
    how old the data is."""
    # deferred: the agents (scikit-learn, scipy; ~1.5 s) load only when watch analyses, not for
    # `update` and `narrate`, whose command module imports this one
    from rotascope.analysis.service import Analyst

    with reading(settings) as store:  # compute read-only: other commands keep reading meanwhile
        analyst = Analyst(store, settings)
        session = analyst.session(None)  # the last complete session
        analysis = analyst.universe(session)
        fresh = session.fresh
        notes = [fresh.complete_note] if fresh.complete_note else []
        seen = store.conn.execute("SELECT count(*) FROM analyses WHERE id = ?", [analysis.id]).fetchall()
        if seen[0][0]:  # same question, data and config as a stored run: nothing changed since
            previous: Analysis | None = analysis
            notes.append("Data and settings unchanged since this analysis was last stored.")
        else:
            previous = previous_analysis(store, analysis)
    with writing(settings) as store:  # a short write window for the insert only
        ensure_live_schema(store)
        save_analysis(store, analysis)
    return analysis, previous, notes, fresh


class _Say(Protocol):
    def __call__(self, text: str, style: str | None = None) -> None: ...


def run_watch(
    settings: Settings,
    every: str | float,
    iterations: int | None = None,
    *,
    console: Console | None = None,
    progress: Console | None = None,
    sleep: Callable[[float], None] = time.sleep,
    update: Callable[[Settings], UpdateReport] | None = None,
) -> list[WatchResult]:
    """Loop ``iterations`` times (None = forever): update, analyze, compare, alert; sleep ``every``.

    ``every`` is seconds or text like '1d'/'6h'/'30m'. ``update`` replaces the live update (tests, or a
    caller that wants specific sources). Nothing in one iteration can stop the next one except Ctrl-C.
    """
    seconds = every if isinstance(every, float | int) else parse_interval(every)
    if iterations is not None and iterations < 1:
        raise ConfigError(f"--iterations must be at least 1, got {iterations}.")
    console = console or Console(highlight=False, soft_wrap=True)

    def say(text: str, style: str | None = None) -> None:
        console.print(text, markup=False, style=style)  # provider messages may hold [brackets]

    do_update = update or (lambda s: run_update(s, console=progress))
    results: list[WatchResult] = []
    n = 0
    while iterations is None or n < iterations:
        n += 1
        stamp = f"{utcnow():%Y-%m-%d %H:%M:%S} UTC"
        say(f"[watch {n}{'/' + str(iterations) if iterations else ''}] {stamp}: updating")
        result = _iteration(settings, do_update, say)
        if result is not None:
            results.append(result)
        if iterations is None or n < iterations:
            sleep(seconds)
    return results


def _iteration(
    settings: Settings, do_update: Callable[[Settings], UpdateReport], say: _Say
) -> WatchResult | None:
    """One update, analysis, comparison and alerting; None when the analysis failed (retried next time)."""
    report: UpdateReport | None = None
    notes: list[str] = []
    try:
        report = do_update(settings)
        for line in report.summary_lines():
            say(f"  {line}")
    except RotascopeError as exc:
        notes.append(f"Update failed, analysing the cached data: {exc}")
        say(f"  {notes[-1]}")
    try:
        analysis, previous, more, fresh = analyze_latest(settings)
    except ConfigError:
        raise  # fatal: the next iteration would fail the same way
    except (RotascopeError, OSError) as exc:  # e.g. the store stayed locked: report, try next time
        say(f"  Analysis failed this iteration, will retry: {exc}")
        return None
    notes += more
    say(f"  {fresh.line()}", "bold red" if fresh.stale else None)
    for note in more:
        say(f"  {note}")
    alerts = compare(previous, analysis) if previous is not None and previous is not analysis else []
    alerts += data_alerts(report, fresh, analysis)
    say(
        f"  Analysis {analysis.id} as of {analysis.as_of}: ladder level {analysis.ladder_reached}, "
        f"killers {', '.join(analysis.killers_triggered) or 'none'}; "
        + (
            f"compared with {previous.id} (as of {previous.as_of})."
            if previous is not None and previous is not analysis
            else ("unchanged." if previous is not None else "first analysis.")
        )
    )
    result = WatchResult(report, analysis, previous.id if previous else None, alerts, None, notes, fresh)
    if alerts:
        _send(settings, result, say)
    else:
        say("  No alerts.")
    return result


def _send(settings: Settings, result: WatchResult, say: _Say) -> None:
    """Print, log and post (when a webhook is set) the alerts of one iteration."""
    alerts = result.alerts
    for alert in alerts:
        say(f"  ALERT {alert.message}", "bold")
    _append_log(settings, alerts)
    if settings.webhook_url:
        payload = {
            "source": "rotascope",
            "analysis_id": result.analysis.id,
            "as_of": result.analysis.as_of.isoformat(),
            "alerts": [a.to_dict() for a in alerts],
        }
        result.webhook_error = post_webhook(settings.webhook_url, payload, settings.http_timeout)
        if result.webhook_error:
            say(f"  {result.webhook_error}")
