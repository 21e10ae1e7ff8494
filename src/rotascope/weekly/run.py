"""One weekly run: update (unless told not to), analyze at the complete as-of, compare with the previous
stored universe analysis, then write the dated desk report and the summary, and store the analysis.

Each step prints one progress line (stderr). The report and the summary are written before the analysis
is stored, each atomically, so a failed write stores nothing; offline, the run goes on with the cached
data and the summary's first line says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from rich.console import Console

from rotascope.analysis.service import Analyst
from rotascope.analysis.stored import stored_universe
from rotascope.atomicfile import atomic_write
from rotascope.config import Settings
from rotascope.errors import RotascopeError
from rotascope.live.update import UpdateReport, run_update
from rotascope.live.watch import compare, data_alerts, previous_analysis, refreshed
from rotascope.monitor.freshness import freshness
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


def _update(settings: Settings, progress: Console) -> tuple[UpdateReport | None, str, bool]:
    """Run the live update; (report, the summary's first sentence, whether it failed)."""
    try:
        report = run_update(settings, console=progress)
    except RotascopeError as exc:
        return None, f"OFFLINE: the update failed ({exc}), so this runs on the cached data.", True
    if not refreshed(report):
        return report, "OFFLINE: no source could be refreshed, so this runs on the cached data.", True
    if not report.ok:
        failed = len(report.failed)
        line = (
            f"updated {report.rows:,} rows, but {failed} of {len(report.items)} items failed to update: "
            "those run on the cached data."
        )
        return report, line, True
    return report, f"data updated ({report.rows:,} rows stored).", False


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
        analysis = stored_universe(store, settings, as_of, analyst.monitor) or analyst.universe(as_of)
        fresh = freshness(analyst.monitor, settings)
        progress.print(f"[2/{STEPS}] analyze: analysis {analysis.id} as of {analysis.as_of}")
        previous = previous_analysis(store, analysis)
        since = None
        if previous is not None:
            old, new = analyst.monitor.at(previous.as_of), analyst.monitor.at(analysis.as_of)
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
        write_analysis_report(report_data(analyst, analysis), "html", path)
    run = WeeklyRun(update_line, failed, analysis, fresh, since, tuple(alerts), path)
    summary = out_dir / f"weekly-{analysis.as_of}.md"
    text = summary_markdown(run)
    atomic_write(summary, text.encode("utf-8"))
    with writing(settings) as store:
        save_analysis(store, analysis)
    progress.print(f"[4/{STEPS}] write: {path} and {summary}; analysis stored", markup=False)
    return WeeklyFiles(run, summary, text)
