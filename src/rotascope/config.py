"""One typed settings object, loaded once at the edge (CLI/web) from defaults, a TOML file and env vars.

Precedence: environment (``ROTASCOPE_<NAME>``) > config file (``<home>/config.toml`` or
``ROTASCOPE_CONFIG``) > defaults. Every setting is listed in ``SETTINGS`` with its help text; a test keeps
docs/settings.md in step with this table.
"""

from __future__ import annotations

import hashlib
import json
import os
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import platformdirs

from rotascope.errors import ConfigError


@dataclass(frozen=True)
class Setting:
    """A documented setting: name, default and help text."""

    name: str
    default: Any
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting("home", "", "Data directory holding the store; empty means the platform's user data dir."),
    Setting("db", "", "DuckDB store file; empty means <home>/rotascope.duckdb."),
    Setting(
        "stale_days", 10, "A source whose last observation is older than this many days is flagged stale."
    ),
    Setting("spike_up", 1.0, "Glitch rule: a one-day rise above this fraction (1.0 = +100%)..."),
    Setting("spike_down", 0.5, "...or a one-day fall beyond this fraction (0.5 = -50%)..."),
    Setting(
        "spike_reversal", 0.25, "...that the next day undoes to within this fraction is cleaned as a glitch."
    ),
)


@dataclass(frozen=True)
class Settings:
    """Resolved settings. Build with :func:`load_settings`."""

    home: Path
    db: Path
    stale_days: int
    spike_up: float
    spike_down: float
    spike_reversal: float
    thresholds: Path | None = None

    def fingerprint(self) -> str:
        """Hash of the settings that change analytical results (not paths)."""
        payload = {f.name: str(getattr(self, f.name)) for f in fields(self) if f.name not in ("home", "db")}
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]


def _coerce(setting: Setting, raw: Any) -> Any:
    kind = type(setting.default)
    try:
        if kind is int:
            return int(raw)
        if kind is float:
            return float(raw)
        return str(raw)
    except (TypeError, ValueError):
        raise ConfigError(f"Setting '{setting.name}' must be {kind.__name__}, got {raw!r}.") from None


def load_settings(overrides: dict[str, Any] | None = None, env: dict[str, str] | None = None) -> Settings:
    """Resolve settings from defaults, config file, environment and explicit overrides (CLI options)."""
    env = dict(os.environ) if env is None else env
    values: dict[str, Any] = {s.name: s.default for s in SETTINGS}
    known = {s.name: s for s in SETTINGS}
    config_path = env.get("ROTASCOPE_CONFIG")
    home_guess = env.get("ROTASCOPE_HOME") or (overrides or {}).get("home") or ""
    if not config_path and home_guess:
        candidate = Path(str(home_guess)) / "config.toml"
        config_path = str(candidate) if candidate.exists() else None
    if config_path:
        try:
            file_values = tomllib.loads(Path(config_path).read_text())
        except FileNotFoundError:
            raise ConfigError(f"Config file {config_path} does not exist.") from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"Config file {config_path} is not valid TOML: {exc}.") from None
        unknown = sorted(set(file_values) - set(known))
        if unknown:
            raise ConfigError(f"Config file {config_path} has unknown setting(s): {', '.join(unknown)}.")
        values.update(file_values)
    for name in known:
        if f"ROTASCOPE_{name.upper()}" in env:
            values[name] = env[f"ROTASCOPE_{name.upper()}"]
    for name, value in (overrides or {}).items():
        if value is not None:
            values[name] = value
    resolved = {name: _coerce(known[name], v) for name, v in values.items()}
    home = Path(resolved["home"]) if resolved["home"] else Path(platformdirs.user_data_dir("rotascope"))
    db = Path(resolved["db"]) if resolved["db"] else home / "rotascope.duckdb"
    if resolved["stale_days"] < 0 or not 0 < resolved["spike_down"] < 1 or resolved["spike_up"] <= 0:
        raise ConfigError("Settings stale_days must be >= 0, spike_up > 0 and 0 < spike_down < 1.")
    return Settings(
        home=home.expanduser(),
        db=db.expanduser(),
        stale_days=resolved["stale_days"],
        spike_up=resolved["spike_up"],
        spike_down=resolved["spike_down"],
        spike_reversal=resolved["spike_reversal"],
    )
