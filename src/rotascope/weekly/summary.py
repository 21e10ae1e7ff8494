"""The weekly summary: a short Markdown text a person can paste into a chat.

First line: where the data came from this week (updated, not updated, or offline on the cached data);
then how old it is, the decision, what changed since the previous stored analysis (old → new), the
alerts, and where the full desk report is.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rotascope.monitor.freshness import Freshness
from rotascope.records import Analysis
from rotascope.weekly.changes import SinceLastWeek

DISCLAIMER = "Research tooling, not investment advice."


@dataclass(frozen=True)
class WeeklyRun:
    """What one weekly run did and found, gathered before anything is written."""

    update_line: str
    """How this week's data was obtained, in one sentence (the summary's first line)."""
    update_failed: bool
    analysis: Analysis
    freshness: Freshness
    since: SinceLastWeek | None
    """None: no earlier stored universe analysis to compare with."""
    alerts: tuple[str, ...]
    report: Path


def summary_markdown(run: WeeklyRun) -> str:
    """The summary text (Markdown, ends with a newline)."""
    a, d = run.analysis, run.analysis.decision
    lines = [
        f"**rotascope weekly, as of {a.as_of}**: {run.update_line}",
        "",
        *run.freshness.lines(),
        "",
        f"Decision: {d.stance} — direction {d.direction}, mode {d.mode}, conviction {d.conviction:+.2f}, "
        f"satellite tilt {d.tilt:+.1%} of equity. Evidence ladder level {a.ladder_reached} of 5; "
        f"killers triggered: {', '.join(a.killers_triggered) or 'none'}.",
        "Probabilities: " + ", ".join(f"{s.name} {s.probability:.0%}" for s in d.scenarios) + ".",
        "",
    ]
    since = run.since
    if since is None:
        lines.append(
            "Since last week: no earlier stored universe analysis to compare with (this is the first)."
        )
    else:
        changed = since.items()
        lines.append(
            f"Since last week (previous analysis {since.previous_id}, as of {since.previous_as_of}): "
            + (f"{len(changed)} items changed." if changed else "nothing changed.")
        )
        lines += [f"- {item}" for item in changed]
        lines += ["", since.verdict]
        if not since.same_data:
            lines.append("(The previous analysis ran on an earlier data snapshot.)")
    lines += ["", "Alerts: " + ("none." if not run.alerts else "")]
    lines += [f"- {alert}" for alert in run.alerts]
    lines += ["", f"Desk report: {run.report.name}", "", DISCLAIMER]
    return "\n".join(lines) + "\n"
