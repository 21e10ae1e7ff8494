"""The company-claims table (``agents.company``): one table for the universe, the single-name debate and
the member debate, and theses that quote the bars they test."""

from __future__ import annotations

from rotascope.agents.company import MEMBER_ROWS, STOCK, UNIVERSE
from rotascope.agents.members import COMPANY
from rotascope.measures import UNITS
from rotascope.regime.thresholds import packaged_thresholds

BAR_WORD = {"zero": 0.0, "half": 0.5, "median": "median"}


def test_the_member_debate_judges_the_single_name_table() -> None:
    """Each row of ``members.COMPANY`` is the ``STOCK`` row of the same key: column, comparison, bar,
    weight, a unit of the same margin scale, and made only with FY data where the table needs it."""
    assert [row[0] for row in COMPANY] == [s.key for s in STOCK]
    for (key, column, comparison, bar, weight, unit), spec in zip(COMPANY, STOCK, strict=True):
        (line,) = spec.evidence
        assert (column, comparison, BAR_WORD[bar], weight) == (
            line.value,
            line.comparison,
            line.bar,
            spec.weight,
        )
        assert UNITS[unit].scale == UNITS[line.unit].scale, key
        fiscal = key in ("balance_sheet", "accruals")  # members: made only where the EBIT margin is known
        assert ("ebit_margin" in spec.required() and spec.required() != ("ebit_margin",)) == fiscal
    same_scale = [(*row[:5], UNITS[row[5]].scale) for row in MEMBER_ROWS]
    assert same_scale == [(*row[:5], UNITS[row[5]].scale) for row in COMPANY]


def test_a_thesis_quotes_the_bar_of_the_thresholds_file() -> None:
    """The universe's debt and beats theses are worded from the bars in force, not from a copy."""
    t = packaged_thresholds()
    bars = {s.key: s.evidence[0].bar(t) for s in UNIVERSE if callable(s.evidence[0].bar)}
    assert bars == {
        "balance_sheet": t.agents.fundamentals.max_debt_assets,
        "beats": t.ladder.earnings.min_beat_share,
    }
    for s in UNIVERSE:
        if "{bar" in s.thesis:
            assert s.key in bars
