"""The documented `thresholds` setting works from the config file and the environment, overlays the
built-in file value by value, and changes the config hash (analyses made with it get other ids)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from rotascope.agents.base import AgentContext
from rotascope.agents.internals import analyze
from rotascope.config import config_hash, load_settings
from rotascope.errors import ConfigError
from rotascope.monitor.run import Monitor
from rotascope.regime import load_thresholds


def test_thresholds_from_env_and_file_overlay_the_defaults(tmp_path: Path) -> None:
    user = tmp_path / "mine.toml"
    user.write_text("[ladder.relative_strength]\nmin_rel_1m = 0.05\n")
    default = load_thresholds()
    by_env = load_settings({"home": str(tmp_path)}, env={"ROTASCOPE_THRESHOLDS": str(user)})
    (tmp_path / "config.toml").write_text(f'thresholds = "{user}"\n')
    by_file = load_settings({"home": str(tmp_path)}, env={})
    for settings in (by_env, by_file):
        assert settings.thresholds == user
        mine = load_thresholds(settings.thresholds)
        assert mine.ladder.relative_strength.min_rel_1m == 0.05
        assert mine.ladder.breadth == default.ladder.breadth  # untouched tables keep the defaults
    plain = load_settings({"home": str(tmp_path / "other")}, env={})
    assert config_hash(by_env) == config_hash(by_file) != config_hash(plain)


def test_bad_thresholds_are_one_sentence(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[ladder.relative_strength]\nmin_rel_1m = 'lots'\n")
    with pytest.raises(ConfigError, match="min_rel_1m"):
        load_thresholds(bad)
    with pytest.raises(ConfigError, match="does not exist"):
        load_thresholds(tmp_path / "missing.toml")


def test_every_default_is_written_once_in_the_settings_table() -> None:
    from dataclasses import MISSING, fields

    from rotascope.config import SETTINGS, Settings

    names = [f.name for f in fields(Settings)]
    assert sorted(names) == sorted(s.name for s in SETTINGS)
    assert all(f.default is MISSING and f.default_factory is MISSING for f in fields(Settings))


def test_agent_thresholds_come_from_the_thresholds_file(monitor: Monitor, tmp_path: Path) -> None:
    """An agent threshold set in the user's file reaches the claim's evidence and the config hash."""
    user = tmp_path / "agents.toml"
    user.write_text("[agents.internals]\nmax_vix_percentile = 0.99\n")
    mine = load_thresholds(user)
    assert mine.agents.macro == load_thresholds().agents.macro  # the rest stays the default
    result = monitor.at(date(2024, 7, 19))
    vix = {
        t: next(
            e
            for c in analyze(AgentContext(result, monitor.panel, None, t)).claims
            for e in c.evidence
            if e.name == "VIX 1-year percentile"
        )
        for t in (load_thresholds(), mine)
    }
    assert [e.threshold for e in vix.values()] == [0.8, 0.99]
    assert [e.passed for e in vix.values()] == [False, True]  # 83 % percentile on 2024-07-19
    plain = load_settings({"home": str(tmp_path / "a")}, env={})
    custom = load_settings({"home": str(tmp_path / "b")}, env={"ROTASCOPE_THRESHOLDS": str(user)})
    assert config_hash(plain) != config_hash(custom)


def test_no_threshold_has_a_default_beside_the_file() -> None:
    """Every field of the thresholds model is required: the numbers live in thresholds.toml only."""
    from pydantic import BaseModel

    from rotascope.regime.thresholds import Thresholds

    def defaults(model: type[BaseModel], where: str) -> list[str]:
        out = []
        for name, field in model.model_fields.items():
            if not field.is_required():
                out.append(f"{where}{name}")
            sub = field.annotation
            if isinstance(sub, type) and issubclass(sub, BaseModel):
                out += defaults(sub, f"{where}{name}.")
        return out

    assert defaults(Thresholds, "") == []

    class Inner(BaseModel):
        bar: float = 0.6

    class Outer(BaseModel):
        inner: Inner

    assert defaults(Outer, "") == ["inner.bar"]  # the walk finds a default inside a table


def test_a_user_file_reaches_the_debate_and_fundamentals_rules(tmp_path: Path) -> None:
    """The agents' numbers moved into the file ([agents.debate], [agents.fundamentals]) overlay like any."""
    user = tmp_path / "agents.toml"
    user.write_text("[agents.debate]\nconcede_factor = 0.5\n[agents.fundamentals]\nmin_firms = 7\n")
    mine, default = load_thresholds(user), load_thresholds()
    assert mine.agents.debate.concede_factor == 0.5 != default.agents.debate.concede_factor
    assert mine.agents.fundamentals.min_firms == 7
    assert mine.agents.debate.rebut_bonus == default.agents.debate.rebut_bonus
    bad = tmp_path / "bad.toml"
    bad.write_text("[agents.debate]\nconcede_factor = 1.5\n")
    with pytest.raises(ConfigError, match="concede_factor"):
        load_thresholds(bad)


def test_the_decision_model_bands_come_from_the_packaged_file_only(tmp_path: Path) -> None:
    """``[agents.model]`` (stance band, confidence cap, no-tilt band) is read by the array kernels from the
    packaged file: the kernels use its numbers, and a user file that changes them is refused, not ignored."""
    import numpy as np

    from rotascope.agents import vector
    from rotascope.agents.base import stance_of

    model = load_thresholds().agents.model
    assert [stance_of(model.stance_band), stance_of(model.stance_band + 1e-9)] == ["neutral", "bullish"]
    assert stance_of(-model.stance_band - 1e-9) == "bearish"
    conf = vector.confidence(np.array([0.5, 2.0]), np.ones((2, 1)), np.ones((2, 1)))
    assert conf.tolist() == [0.2 + 0.7 * 0.5, model.max_confidence]  # the cap binds on the second row
    tilt = vector.tilt(np.array([model.tilt_band, model.tilt_band + 0.01]), np.array([1.0, 1.0]))
    assert tilt[0] == 0.0 != tilt[1]
    same = tmp_path / "same.toml"
    same.write_text(f"[agents.model]\nstance_band = {model.stance_band}\n")
    assert load_thresholds(same).agents.model == model  # restating the packaged value is harmless
    moved = tmp_path / "moved.toml"
    moved.write_text("[agents.model]\nstance_band = 0.3\n")
    with pytest.raises(ConfigError, match=r"agents\.model: the decision model's bands are fixed"):
        load_thresholds(moved)


def test_an_error_naming_a_table_in_brackets_prints_the_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """rich reads ``[agents.model]`` as a style tag; the CLI's error line escapes the message so the table
    the user must remove is named."""
    from rotascope.console import ending

    moved = tmp_path / "moved.toml"
    moved.write_text("[agents.model]\nstance_band = 0.3\n")
    with pytest.raises(ConfigError) as refused:
        load_thresholds(moved)
    assert ending(refused.value) == 1
    said = " ".join(capsys.readouterr().err.split())
    assert "[agents.model]" in str(refused.value)
    assert "[agents.model]" in said
