"""Every number of a rule, agent, analysis or monitor module comes from ``regime/thresholds.toml`` (#25).

The checker walks the modules' syntax trees and collects their numeric literals, leaving out docstrings,
the trivial 0, 1, -1 and 2, and the digits given to a rounding call (``rnd``, ``rnd_array``, ``round``).
Each literal left must equal a number of the thresholds file, or be listed below with the reason it is
not a threshold (a unit, a window of a fixed measure, a display size, a model's shape). A module constant
naming a number (``NAME = 0.6``) is listed by name whatever its value, so a bar cannot pass by equalling
an unrelated number of the file. A new rule number written into code fails here until it moves to the
file (or is listed, with its reason). Three decision-model bands are listed as PENDING: they are
thresholds still in code.
"""

from __future__ import annotations

import ast
import tomllib
from collections.abc import Iterator, Mapping
from pathlib import Path

from rotascope.regime.thresholds import default_path

SRC = Path(__file__).resolve().parents[1] / "src" / "rotascope"
RULE_MODULES = sorted(
    [
        *SRC.glob("regime/*.py"),
        *SRC.glob("agents/*.py"),
        *SRC.glob("analysis/*.py"),
        *SRC.glob("monitor/*.py"),
    ]
)
"""The rules, the agents, the analysis that combines them and the monitor that measures what they read."""
TRIVIAL = frozenset({0, 1, -1, 2})
ROUNDING = frozenset({"rnd", "rnd_array", "round"})

UNIT = "a unit conversion (percent points to a fraction, or a notional capital)"
DAYS = "a window of a fixed measure (trading days: 5 a week, 20/21 a month, 63 a quarter, 252/253 a year)"
WEEKS = "a window of a fixed measure in weekly steps (4/13/52 weeks, 260 = five years)"

ALLOWED: dict[str, dict[float, str]] = {
    "regime/rules.py": {
        3: "a ladder level's number (levels 1-5 are names, not bars)",
        4: "a ladder level's number (levels 1-5 are names, not bars)",
        5: "a ladder level's number (levels 1-5 are names, not bars)",
    },
    "agents/base.py": {
        15: "rows an ATR-14 needs (14 true ranges and the close before)",
    },
    "agents/columns.py": {
        6: "decimals a measured value keeps (a column's default)",
        3: "the three running sums of a block scan (returns, squares, missing)",
        100.0: UNIT,
        126: "the volatility window of the quality proxy (six months before the return window)",
        256: "rows per block of the vectorised scan (a memory size, not a rule)",
        50: "members ranked before a quintile spread is measured (a sample size of the measure)",
        252: DAYS,
    },
    "agents/decision.py": {4: "ladder level 4 reached (a level's number)"},
    "agents/company.py": {
        253: DAYS,
        0.3: "a claim's weight in its agent's score (a model weight, not a bar)",
    },
    "agents/fundamental_lenses.py": {
        0.7: "a claim's weight in its agent's score (a model weight, not a bar)",
    },
    "agents/fundamentals.py": {253: DAYS},
    "agents/internals.py": {
        13: WEEKS,
        100.0: "the RS-Ratio/RS-Momentum centre line of the relative rotation graph (by construction)",
        0.3: "a claim's weight in its agent's score (a model weight, not a bar)",
    },
    "agents/members.py": {
        7: "days of headlines the sentiment agent reads",
        253: DAYS,
        260: "closes a member needs before it is debated (a year of history and a quarter's returns)",
    },
    "agents/risk_view.py": {21: DAYS, 63: DAYS, 100.0: UNIT, 100_000.0: UNIT},
    "agents/sentiment.py": {7: "days of headlines the sentiment agent reads"},
    "agents/stock.py": {
        5: DAYS,
        13: WEEKS,
        14: "the ATR's period (Wilder's 14)",
        40: "daily returns needed before a volatility is measured (a sample size)",
        50: DAYS,
        52: WEEKS,
        64: DAYS,
        200: DAYS,
        252: DAYS,
        253: DAYS,
        260: "weeks of the rate-beta window (five years); closes needed before a stock is debated",
        100_000.0: UNIT,
    },
    "agents/vector.py": {
        1e-09: "a floor against division by zero",
        20.0: "the prior strength (headlines) of the tone score's shrinkage",
        0.7: "the slope of confidence in |score| (the confidence model's shape)",
        0.35: "the scenario model's slope (hand-set bull/bear probabilities before calibration)",
        0.3: "the scenario model's base probability (hand-set, before calibration)",
        0.15: "the scenario model's cross slope (hand-set, before calibration)",
        2.5: "the ladder's middle level (levels 0-5)",
    },
    "analysis/calibrated_tilt.py": {
        6: "decimals a weight is rounded to",
        21: DAYS,
    },
    "analysis/command.py": {20: "analyses `history` lists by default (a display size)"},
    "analysis/service.py": {7: "days of headlines the sentiment agent reads"},
    "monitor/asof.py": {80: "characters of a bad date quoted in an error (a display size)"},
    "monitor/columns.py": {20: DAYS},
    "monitor/complete.py": {5: "sessions whose largest member count is a complete session's reference"},
    "monitor/engine.py": {
        5: "weekly steps of the relative rotation graph's tail (a week, by construction)",
        8: "points of the relative rotation graph's tail (a display size)",
        35: "days a member list may age before it is called out (a missing month)",
        20: DAYS,
        21: DAYS,
        50: "the 50-day average of a measure (its definition: '% above 50-day')",
        200: "the 200-day average of a measure (its definition: '% above 200-day')",
    },
    "monitor/macro.py": {
        14: "days a weekly series may age before it is stale (its release rhythm)",
        80: "days a monthly series may age before it is stale (its release rhythm)",
        21: DAYS,
        50: "the 50-day average of a measure (its definition: '% above 50-day')",
        252: DAYS,
        1260: "a percentile's trailing five years (its definition)",
    },
    "monitor/universe.py": {
        50: "the 50-day average of a measure (its definition: '% above 50-day')",
    },
    "monitor/run.py": {252: "trading days of history before the first as-of (the 12-month window)"},
}
"""Per module (path under src/rotascope): literal -> why it is not a threshold."""


NAMED: dict[str, dict[str, str]] = {
    "agents/base.py": {
        "ATR_ROWS": "rows an ATR-14 needs (14 true ranges and the close before)",
    },
    "agents/columns.py": {
        "QUALITY_RET_DAYS": "the quality proxy's return window (its definition: 63 days)",
        "QUALITY_VOL_DAYS": "the quality proxy's volatility window (its definition: the 126 days before)",
        "DRAWDOWN_DAYS": "the 52-week high a drawdown is measured from (its definition)",
        "MIN_RANKED": "members ranked before a quintile spread is measured (a sample size of the measure)",
        "BLOCK": "rows per block of the vectorised scan (a memory size)",
        "CHUNK": "members per chunk of the vectorised scan (a memory size)",
    },
    "agents/members.py": {"MIN_CLOSES": "closes a member needs before it is debated (as `debate SYMBOL`)"},
    "agents/risk_view.py": {"NOMINAL_CAPITAL": "the notional capital a plan is quoted on (a unit)"},
    "agents/stock.py": {
        "WEEK": "trading days in a week (a unit)",
        "TAIL": "closes a single-name measure reads (a year and a day)",
        "RET_DAYS": "the quarter a stock's return is measured over (its definition)",
        "VOL_RETURNS": "daily returns of a stock's volatility (its definition)",
        "MIN_VOL_RETURNS": "returns needed before a volatility is measured (a sample size)",
    },
    "agents/vector.py": {
        "TONE_PRIOR": "the prior strength (headlines) of the tone score's shrinkage",
    },
    "analysis/calibrated_tilt.py": {"DECIMALS": "decimals a weight is rounded to"},
    "analysis/service.py": {"HEADLINE_DAYS": "days of headlines the sentiment agent reads"},
    "monitor/complete.py": {
        "MIN_MEMBER_SHARE": "members priced for a session to count as complete (data completeness)",
        "MEMBER_LOOKBACK": "sessions whose largest member count is a complete session's reference",
    },
    "monitor/engine.py": {
        "RRG_STEP": "weekly steps of the relative rotation graph's tail (a week)",
        "RRG_TAIL": "points of the relative rotation graph's tail (a display size)",
        "STALE_LIST_DAYS": "days a member list may age before it is called out (a missing month)",
    },
    "monitor/run.py": {
        "MIN_HISTORY": "trading days of history before the first as-of (the 12-month window)",
        "KEEP_PANELS": "saved panels kept on disk (a cache size)",
    },
}
"""Module constants that name a number (``NAME = 0.6``), per module: each says why it is not a threshold,
whatever its value (a named number equal to some number of the file by chance is still listed)."""


def toml_numbers(path: Path) -> frozenset[float]:
    """Every number of a thresholds file, flattened (tables, arrays, ints and floats)."""

    def walk(v: object) -> Iterator[float]:
        if isinstance(v, bool):
            return
        if isinstance(v, int | float):
            yield float(v)
        elif isinstance(v, dict):
            for x in v.values():
                yield from walk(x)
        elif isinstance(v, list):
            for x in v:
                yield from walk(x)

    return frozenset(walk(tomllib.loads(path.read_text())))


def literals(source: str) -> list[tuple[int, float]]:
    """(line, value) of every numeric literal of ``source`` that could be a rule number: not in a
    docstring, not trivial, not the digits of a rounding call; ``-x`` is read as one literal."""
    tree = ast.parse(source)
    skip: set[int] = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and body:
            first = body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                skip.add(id(first.value))
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            skip.add(id(node.value))  # attribute docstrings
        if isinstance(node, ast.Call):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name in ROUNDING and len(node.args) >= 2:
                skip.update(id(n) for n in ast.walk(node.args[1]))
            skip.update(id(k.value) for k in node.keywords if k.arg in {"decimals", "digits", "ndigits"})
        if isinstance(node, ast.Subscript):
            skip.update(id(n) for n in ast.walk(node.slice))  # an index or a slice: a position
        if (
            isinstance(node, ast.UnaryOp)
            and isinstance(node.op, ast.USub)
            and isinstance(node.operand, ast.Constant)
        ):
            skip.add(id(node.operand))
    out: list[tuple[int, float]] = []
    for node in ast.walk(tree):
        value: object = None
        if isinstance(node, ast.Constant) and id(node) not in skip:
            value = node.value
        elif (
            isinstance(node, ast.UnaryOp)
            and isinstance(node.op, ast.USub)
            and isinstance(node.operand, ast.Constant)
            and id(node) not in skip
        ):
            value = -node.operand.value if isinstance(node.operand.value, int | float) else None
        if isinstance(value, bool) or not isinstance(value, int | float) or value in TRIVIAL:
            continue
        out.append((node.lineno, float(value)))
    return sorted(out)


def named_numbers(source: str) -> list[tuple[int, str]]:
    """(line, name) of every module-level ``NAME = <number>`` of ``source``."""
    out = []
    for node in ast.parse(source).body:
        target = node.targets[0] if isinstance(node, ast.Assign) else getattr(node, "target", None)
        value = getattr(node, "value", None)
        if isinstance(value, ast.UnaryOp) and isinstance(value.op, ast.USub):
            value = value.operand
        if (
            isinstance(target, ast.Name)
            and isinstance(value, ast.Constant)
            and isinstance(value.value, int | float)
            and not isinstance(value.value, bool)
        ):
            out.append((node.lineno, target.id))
    return out


def stray(source: str, known: frozenset[float], allowed: Mapping[float, str]) -> list[tuple[int, float]]:
    """The literals of ``source`` that are neither a number of the thresholds file nor allowed."""
    return [(line, v) for line, v in literals(source) if v not in known and v not in allowed]


def test_every_rule_number_is_in_the_thresholds_file() -> None:
    known = toml_numbers(default_path())
    found: list[str] = []
    for path in RULE_MODULES:
        rel = path.relative_to(SRC).as_posix()
        for line, v in stray(path.read_text(), known, ALLOWED.get(rel, {})):
            found.append(f"{rel}:{line}: {v!r}")
    assert not found, "numbers not in regime/thresholds.toml (move them there, or allow with a reason):\n" + (
        "\n".join(found)
    )


def test_every_named_number_says_why_it_is_not_a_threshold() -> None:
    found: dict[tuple[str, str], int] = {}
    for path in RULE_MODULES:
        rel = path.relative_to(SRC).as_posix()
        found |= {(rel, name): line for line, name in named_numbers(path.read_text())}
    listed = {(rel, name) for rel, names in NAMED.items() for name in names}
    unlisted = [f"{rel}:{found[rel, name]}: {name}" for rel, name in sorted(found.keys() - listed)]
    assert not unlisted, "module constants naming a rule number (move them to thresholds.toml):\n" + (
        "\n".join(unlisted)
    )
    assert not listed - found.keys(), sorted(listed - found.keys())  # the list says only what is true


def test_every_allowed_literal_is_still_used() -> None:
    """An allowance whose literal left the module goes too (the list says only what is true)."""
    unused = []
    for rel, allowed in ALLOWED.items():
        present = {v for _, v in literals((SRC / rel).read_text())}
        unused += [f"{rel}: {v!r}" for v in allowed if v not in present]
    assert not unused, unused


def test_the_checker_flags_an_injected_rule_number() -> None:
    known = frozenset({0.6, 63.0})
    sample = (
        '"""A rule module."""\n'
        "MIN_SHARE = 0.6\n"
        '"""The bar (a docstring: 0.7 here is words)."""\n'
        "def rule(x: float, y: float) -> bool:\n"
        '    """Passes at 0.55."""\n'
        "    return round(x, 4) >= MIN_SHARE and y[-1] > y[-2] and y[-63] < -0.035 * 2\n"
    )
    assert stray(sample, known, {}) == [(6, -0.035)]  # 4 rounds, -1/-2/-63 index, 2 is trivial
    assert stray(sample, known, {-0.035: "a sample's reason"}) == []
    assert stray(sample.replace("MIN_SHARE = 0.6", "MIN_SHARE = 0.65"), known, {}) == [(2, 0.65), (6, -0.035)]
    assert named_numbers(sample) == [(2, "MIN_SHARE")]  # a named bar is flagged even when its value is known
