"""When each macro and factor observation became public (``known_at``): rules that are never early.

Rules (dates are observation dates as the sources stamp them):

* ``d1`` daily market series (FRED rates, spreads): the next business day.
* ``w5`` initial claims (week ending Saturday, released the next Thursday) and NFCI (week ending Friday,
  released the next Wednesday): date + 5 days. Holiday weeks are released a day earlier, never later.
* ``cpi`` BLS CPI for month M: the 22nd of month M+1 (regular releases fall between the 10th and the
  21st), or the actual release date when it was later (government shutdowns, table below). Months that
  were never published (October 2025) simply have no row in the source.
* ``emp`` Employment Situation (unemployment rate, payrolls) for month M: the 15th of month M+1 (regular
  releases are the first or second Friday), or the actual later release date (table below).
* ``ff`` Kenneth French daily factors: the library is updated monthly, weeks after the month ends; a day
  of month M is taken as known on the last day of month M+1 (conservative; the stored values are the
  2026 vintage, which later CRSP revisions may differ from what was first published).
* ``d0`` known on its own date (market closes).

Late releases (shutdown delays), from the revised schedules BLS published after the October 2013 and
October-November 2025 federal shutdowns. Each date was checked (2026-11) against a dated public page:

* CPI Sep-2013 on 2013-10-30 and Employment Situation Sep-2013 on 2013-10-22: USA Today, 2013-10-17,
  reporting BLS's revised schedule (https://www.usatoday.com/story/money/business/2013/10/17/
  government-economic-reports-new-schedule/3003955/); the 2013-10-22 jobs release also on the BLS
  Commissioner's blog (https://www.bls.gov/blog/2013/post-government-shutdown-updates-new-bls-k-12-pages.htm).
* CPI Sep-2025 on 2025-10-24 (first scheduled 2025-10-15): Scotsman Guide quoting the BLS notice
  (https://www.scotsmanguide.com/news/bls-recalls-workers-to-publish-september-cpi-report-but-thats-it).
* CPI Oct-2025 never published, CPI Nov-2025 on 2025-12-18 (first scheduled 2025-12-10): Reuters,
  2025-11-21 (https://fixedincome.fidelity.com/ftgw/fi/FINewsArticle?id=202511211137RTRSNEWSCOMBINED_KBN3MR1SY-OUSBS_1),
  quoting BLS ("No overall CPI or core CPI will be published for October 2025", itiger.com/news/1133440466).
* Employment Situation Sep-2025 on 2025-11-20 and Nov-2025 on 2025-12-16 (October household survey never
  collected): Mint, 2025-11-20 (https://www.livemint.com/economy/us-unemployment-rises-to-4-4-in-september-
  119-000-jobs-added-despite-government-shutdown-11763645440378.html) and azzet.com
  (https://azzet.com/news/bls-won-t-release-october-job-data-due-to-shutdown).

Not verified against a source: the regular-calendar bounds above (CPI by the 21st, jobs by the 15th) are
the rules' own conservative assumption, not a checked list of every release date.
"""

from __future__ import annotations

from typing import Literal

import pandas as pd

ReleaseRule = Literal["d0", "d1", "w5", "cpi", "emp", "ff", "m"]

LATE_RELEASES: dict[tuple[str, str], str] = {
    ("cpi", "2013-09"): "2013-10-30",
    ("cpi", "2025-09"): "2025-10-24",
    ("cpi", "2025-11"): "2025-12-18",
    ("emp", "2013-09"): "2013-10-22",
    ("emp", "2025-09"): "2025-11-20",
    ("emp", "2025-11"): "2025-12-16",
}
"""(rule, observation month) -> actual release date, where it differs from the regular calendar.
CPI Oct-2025 and the household survey (unemployment) of Oct-2025 were never published."""

CPI_DAY = 22
EMP_DAY = 15


def _monthly(dates: pd.Series, rule: str, day: int) -> pd.Series:
    regular = (
        dates.dt.to_period("M").dt.to_timestamp() + pd.offsets.MonthBegin(1) + pd.Timedelta(days=day - 1)
    )
    late = pd.to_datetime(dates.dt.strftime("%Y-%m").map(lambda m: LATE_RELEASES.get((rule, m))))
    out: pd.Series = regular.where(late.isna() | (late <= regular), late)
    return out


def known_at(dates: pd.Series, rule: ReleaseRule) -> pd.Series:
    """Date each observation became public under ``rule`` (see the module docstring)."""
    dates = pd.to_datetime(dates)
    if rule == "d1":
        return dates + pd.offsets.BDay(1)
    if rule == "w5":
        return dates + pd.Timedelta(days=5)
    if rule == "cpi":
        return _monthly(dates, "cpi", CPI_DAY)
    if rule in ("emp", "m"):  # "m": the former name of the monthly rule (15th of M+1)
        return _monthly(dates, "emp", EMP_DAY)
    if rule == "ff":
        return dates + pd.offsets.MonthEnd(0) + pd.offsets.MonthEnd(1)
    if rule == "d0":
        return dates
    raise ValueError(f"unknown publication-lag rule {rule!r}")
