"""One weekly run: update (unless told not to), analyze at the complete as-of, compare with the previous
stored universe analysis, then write the dated desk report and the summary, and store the analysis.

Each step prints one progress line (stderr). The report and the summary are written before the analysis
is stored, each atomically, so a failed write stores nothing. When the update falls short the run goes on
with the cached data and the summary's first line says how: offline (no source gave any reply), failed
(the sources answered but every item failed), partial (some items failed or were cleaned), or the one
sentence of an update that could not run (bad settings); the command then exits 1.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from rich.console import Console

from rotascope.analysis.service import Analyst
from rotascope.analysis.stored import stored_universe
from rotascope.atomicfile import atomic_write
from rotascope.config import Settings
from rotascope.errors import RotascopeError
from rotascope.live.update import SOURCE_NAMES, ItemResult, UpdateReport, run_update
from rotascope.live.watch import compare, data_alerts, previous_analysis, refreshed
from rotascope.report.command import check_target, report_data, write_analysis_report
from rotascope.store.analyses import save_analysis
from rotascope.store.db import reading, writing
from rotascope.weekly.changes import since_last_week
from rotascope.weekly.summary import WeeklyRun, summary_markdown

STEPS = 4


@dataclass(frozen=True)
class WeeklyFiles:
    """What a weekly run wrote, and the run itself."""

    run: WeeklyRun
    summary: Path
    text: str


def _by_source(items: list[ItemResult]) -> str:
    """'Yahoo Finance 3, FRED 1': how many of ``items`` each source holds, in the run's order."""
    counts = Counter(SOURCE_NAMES[r.source] for r in items)
    return ", ".join(f"{name} {n}" for name, n in counts.items())


def update_outcome(report: UpdateReport) -> tuple[str, bool]:
    """The summary's first line for a finished update, and whether the update fell short: offline (no source
    gave any reply), failed (sources answered, but every item failed), partial (some items failed or sent
    values that had to be cleaned) or updated. A source that refused (a key or a setting to fix) is named
    with its own sentence."""
    failed, cleaned, n = report.failed, report.cleaned, len(report.items)
    tried = [r for r in failed if r.status == "failed"]
    refused = next((r for r in tried if r.failure == "refused"), None)
    fix = f" To fix: {refused.message}" if refused is not None else ""
    if not report.items:
        return "NOT UPDATED: no source was set up to run, so this runs on the cached data.", True
    if not refreshed(report):
        if tried and all(r.failure == "unreachable" for r in tried):
            return (
                f"OFFLINE: no source could be reached (none of the {len(tried)} items tried got any reply; "
                f"{n} items not refreshed: {_by_source(failed)}), so this runs on the cached data.",
                True,
            )
        answering = ", ".join(
            dict.fromkeys(SOURCE_NAMES[r.source] for r in tried if r.failure != "unreachable")
        )
        return (
            f"UPDATE FAILED: all {n} items failed ({_by_source(failed)}); {answering} answered, but with "
            f"errors, so this runs on the cached data.{fix}",
            True,
        )
    if failed or cleaned:
        parts = [f"{len(failed)} of {n} items failed ({_by_source(failed)})"] if failed else []
        if cleaned:
            parts.append(
                f"{len(cleaned)} items sent values that were cleaned on the way in (listed in quality_flags)"
            )
        return (
            f"PARTIAL UPDATE: {report.rows:,} rows stored, but {' and '.join(parts)}; those run on the "
            f"cached data.{fix}",
            True,
        )
    return f"data updated ({report.rows:,} rows stored).", False


def _update(settings: Settings, progress: Console) -> tuple[UpdateReport | None, str, bool]:
    """Run the live update; (report, the summary's first sentence, whether it fell short)."""
    try:
        report = run_update(settings, console=progress)
    except RotascopeError as exc:  # bad settings, a locked or missing store: nothing was asked
        reason = str(exc).rstrip(".")
        return (
            None,
            f"UPDATE FAILED: the update could not run ({reason}), so this runs on the cached data.",
            True,
        )
    return report, *update_outcome(report)


def run_weekly(
    settings: Settings, as_of: date | None, *, update: bool, out_dir: Path, progress: Console
) -> WeeklyFiles:
    """The whole weekly workflow; returns the run and where its files are."""
    check_target(out_dir / "weekly.md")  # a bad folder is one sentence before anything runs
    report: UpdateReport | None = None
    if update:
        progress.print(f"[1/{STEPS}] update: fetching what is new from the live sources…")
        report, update_line, failed = _update(settings, progress)
        progress.print(f"[1/{STEPS}] update: {update_line}", markup=False)
    else:
        update_line, failed = "cached data, not updated (--no-update).", False
        progress.print(f"[1/{STEPS}] update: skipped (--no-update), using the cached data")
    with reading(settings) as store:
        analyst = Analyst(store, settings)
        at = f"as of {as_of}" if as_of is not None else "at the last complete session"
        progress.print(f"[2/{STEPS}] analyze: small caps vs SPY {at}…")
        session = analyst.session(as_of)
        analysis = stored_universe(store, settings, analyst.monitor, session) or analyst.universe(session)
        fresh = session.fresh
        progress.print(f"[2/{STEPS}] analyze: analysis {analysis.id} as of {analysis.as_of}")
        previous = previous_analysis(store, analysis)
        since = None
        if previous is not None:
            old = analyst.monitor.at(previous.as_of)  # another question: last week's stored analysis
            new = analyst.monitor.on(session.as_of)
            since = since_last_week(previous, analysis, old.snapshot, new.snapshot)
        progress.print(
            f"[3/{STEPS}] compare: "
            + (
                f"with {previous.id} (as of {previous.as_of}), {len(since.items())} items changed"
                if previous is not None and since is not None
                else "no earlier stored universe analysis (first run)"
            )
        )
        alerts = [a.message for a in compare(previous, analysis)] if previous is not None else []
        alerts += [
            a.message for a in data_alerts(report, fresh, analysis) if update or a.key != "not_refreshed"
        ]
        path = out_dir / f"weekly-{analysis.as_of}.html"
        write_analysis_report(report_data(analyst, session, analysis), "html", path)
    run = WeeklyRun(update_line, failed, analysis, fresh, since, tuple(alerts), path)
    summary = out_dir / f"weekly-{analysis.as_of}.md"
    text = summary_markdown(run)
    atomic_write(summary, text.encode("utf-8"))
    with writing(settings) as store:
        save_analysis(store, analysis)
    progress.print(f"[4/{STEPS}] write: {path} and {summary}; analysis stored", markup=False)
    return WeeklyFiles(run, summary, text)
