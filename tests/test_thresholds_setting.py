"""The documented `thresholds` setting works from the config file and the environment, overlays the
built-in file value by value, and changes the config hash (analyses made with it get other ids)."""

from __future__ import annotations

from pathlib import Path

import pytest

from rotascope.config import config_hash, load_settings
from rotascope.errors import ConfigError
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
