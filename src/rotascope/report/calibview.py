"""Scenario rows and the calibration lines as a desk reads them: probability, base rate, track record.

One set of functions shared by the terminal, the HTML/PDF and Markdown reports (the dashboard's app.js
words them the same way and a browser test holds it to these rows), so every output shows the same
numbers: each probability beside its base rate and how calls like it did out of sample, then the model's
out-of-sample Brier skill, or the plain statement that it has had no measurable edge.
"""

from __future__ import annotations

from rotascope.records import Decision, Scenario

SCENARIO_HEAD = ("scenario", "probability", "base rate", "track record")


def scenario_row(s: Scenario) -> tuple[str, str, str, str]:
    """(name, probability, base rate, track record) of one scenario, in whole percents."""
    base = "n/a" if s.base_rate is None else f"{s.base_rate:.0%}"
    record = "n/a" if s.track_record is None else s.track_record.text
    return s.name, f"{s.probability:.0%}", base, record


def scenario_rows(d: Decision) -> list[tuple[str, str, str, str]]:
    return [scenario_row(s) for s in d.scenarios]


def calibration_lines(d: Decision) -> list[str]:
    """Where the probabilities came from and what they earned out of sample (empty when nothing is known).

    Universe: horizon, method, model weight, out-of-sample Brier skill and the calibrator's note (which
    says "no measurable edge ... the probabilities are the base rates" when the model has no weight).
    Single names: the base-rate note (no calibrated model for single names).
    """
    c = d.calibration
    if c is not None:
        skill = "n/a" if c.brier_skill_oos is None else f"{c.brier_skill_oos:+.3f}"
        model = "n/a" if c.model_brier_skill_oos is None else f"{c.model_brier_skill_oos:+.3f}"
        return [
            f"Calibration ({c.horizon_weeks} weeks, {c.method}): model weight {c.model_weight:.2f}, "
            f"out-of-sample Brier skill {skill} against the expanding climatology over {c.n_oos} calls (the "
            f"model alone {model} against the base rates), expected relative return "
            f"{c.expected_relative_return:+.2%}.",
            c.note,
            *([c.base_rate_source] if c.base_rate_source else []),
        ]
    if d.base_rates is not None:
        return [d.base_rates.note]
    return []
