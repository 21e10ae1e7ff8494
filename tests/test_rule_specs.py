"""The rule tables (``regime.rules``) name real thresholds, and the one interpreter combines checks as stated.

The tables address thresholds by path strings (``"ladder.credit.min_kre_rel_1m"``), which mypy cannot check;
these tests walk every check, switch and wording template and fail on a path that thresholds.toml does not
hold, so a typo fails here rather than at a user's as-of.
"""

from __future__ import annotations

import string
import tomllib
from typing import Any

import numpy as np
import pytest

from rotascope.agents import fundamentals, internals, macro
from rotascope.agents.stock import stock_specs
from rotascope.agents.vector import judge
from rotascope.regime.engine import OPS, Combine, combine, holds, reached, tri
from rotascope.regime.rules import CHECKLIST, KILLERS, all_levels
from rotascope.regime.spec import Check, Flag, Text
from rotascope.regime.thresholds import default_path

TOML: dict[str, Any] = tomllib.loads(default_path().read_text())


def _lookup(path: str) -> object:
    node: Any = TOML
    for part in path.split("."):
        assert isinstance(node, dict) and part in node, f"{path!r} is not in thresholds.toml"
        node = node[part]
    return node


def _checks() -> list[Check]:
    groups = [s.checks for s in all_levels()] + [q.checks for q in CHECKLIST] + [k.checks for k in KILLERS]
    return [c for g in groups for c in g]


def _templates() -> list[str]:
    texts: list[Text] = [p for s in all_levels() for p in s.rule]
    return [
        *(p.template for p in texts),
        *(s.tail for s in all_levels()),
        *(k.trigger for k in KILLERS),
        *(c.note for c in _checks()),
        *(c.window for c in _checks()),
    ]


def test_every_threshold_path_names_a_number_of_the_file() -> None:
    paths = [c.bar for c in _checks() if isinstance(c.bar, str)]
    assert len(paths) >= 20
    for path in paths:
        value = _lookup(path)
        assert isinstance(value, int | float) and not isinstance(value, bool), path


def test_every_claim_threshold_path_names_a_number_of_the_file() -> None:
    """The agents' claims are the same check records: their paths are checked the same way."""
    specs = [*macro.CLAIMS, *internals.CLAIMS, *fundamentals.PROXY_CLAIMS, *fundamentals.PRICE_CLAIMS]
    specs += [c for group in stock_specs("X", "IWM", None).values() for c in group]
    paths = [e.bar for spec in specs for e in spec.evidence if isinstance(e.bar, str)]
    assert len(paths) >= 10
    for path in paths:
        value = _lookup(path)
        assert isinstance(value, int | float) and not isinstance(value, bool), path


def test_every_switch_and_wording_field_is_in_the_file() -> None:
    flags = [c.when for c in _checks() if isinstance(c.when, Flag)]
    flags += [p.when for s in all_levels() for p in s.rule if isinstance(p.when, Flag)]
    assert flags
    for f in flags:
        assert isinstance(_lookup(f.path), bool), f.path
    fields = [
        name.removeprefix("t.")
        for tpl in _templates()
        for _, name, _, _ in string.Formatter().parse(tpl)
        if name and name.startswith("t.")
    ]
    assert len(fields) >= 15
    for name in fields:
        _lookup(name)


def _verdict(passed: bool | None) -> float:
    return np.nan if passed is None else float(passed)


@pytest.mark.parametrize(
    ("how", "passed", "want"),
    [
        ("all", [True, True], True),
        ("all", [True, None], False),
        ("all", [], True),
        ("any", [None, None], None),
        ("any", [False, None], False),
        ("any", [None, True], True),
        ("any", [False, False], False),
        ("any", [], None),
    ],
)
def test_combine(how: Combine, passed: list[bool | None], want: bool | None) -> None:
    one = np.array([[_verdict(p) for p in passed]]).reshape(1, len(passed))
    assert tri(float(combine(how, one)[0])) is want
    # the same checks on three rows at once, with a fourth check no row makes
    rows = np.column_stack([np.repeat(one, 3, axis=0), np.zeros(3)])
    present = np.column_stack([np.ones((3, len(passed)), dtype=bool), np.zeros(3, dtype=bool)])
    assert [tri(float(v)) for v in combine(how, rows, present)] == [want] * 3


def test_a_check_a_row_does_not_make_is_left_out() -> None:
    v = np.array([[1.0, 0.0], [1.0, np.nan]])
    present = np.array([[True, False], [True, False]])
    assert combine("all", v, present).tolist() == [1.0, 1.0]
    assert np.isnan(combine("any", np.array([[np.nan, 1.0]]), np.array([[True, False]]))[0])


def test_reached_is_the_top_of_the_unbroken_run_from_level_one() -> None:
    passed = np.array([[1, 1, 0, 1], [1, 0, 1, 1], [1, 1, 1, 0], [0, 1, 1, 1], [1, 1, 1, 1]], dtype=float)
    assert reached(passed, (1, 2, 3, 4, 5)).tolist() == [3.0, 1.0, 0.0, 2.0]
    assert reached(np.zeros((5, 0)), (1, 2, 3, 4, 5)).tolist() == []


def test_rules_and_claims_compare_alike() -> None:
    """A value on the line, above and below it, and a missing one: the scalar rule and the claim agree."""
    values = np.array([[0.5], [0.7], [0.3], [np.nan]])
    for op in OPS:
        sign, _ = judge(values, [0.5], [op], ["fraction"])
        scalar = [holds(v, op, 0.5) for v in (0.5, 0.7, 0.3)]
        assert [s > 0 for s in sign[:3]] == scalar, op
        assert sign[3] == 0.0
