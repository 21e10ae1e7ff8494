"""One typed settings object, loaded once at the edge (CLI/web) from defaults, a TOML file and env vars.

Precedence: environment (``ROTASCOPE_<NAME>``) > config file (``<home>/config.toml`` or
``ROTASCOPE_CONFIG``) > defaults. Every setting is listed in ``SETTINGS`` with its help text; a test keeps
docs/settings.md in step with this table.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import platformdirs

from rotascope.errors import ConfigError
from rotascope.inputfile import DEFAULT_MAX_INPUT_MB
from rotascope.redact import redact_url
from rotascope.regime.thresholds import load_thresholds
from rotascope.tomlfile import read_toml


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
        "stale_days",
        10,
        "A source whose last observation is older than this many days is flagged stale; so is the data "
        "when its last complete session is older than this before today (outputs then say STALE DATA, "
        "`watch` exits 1).",
    ),
    Setting("spike_up", 1.0, "Glitch rule: a one-day rise above this fraction (1.0 = +100%)..."),
    Setting("spike_down", 0.5, "...or a one-day fall beyond this fraction (0.5 = -50%)..."),
    Setting(
        "spike_reversal", 0.25, "...that the next day undoes to within this fraction is cleaned as a glitch."
    ),
    Setting(
        "thresholds",
        "",
        "TOML file overriding rule and agent thresholds (same shape as regime/thresholds.toml); "
        "empty = the built-in file.",
    ),
)

LIVE_DATA_SETTINGS: tuple[Setting, ...] = (
    # used only by `rotascope update` / `watch` / `narrate`; nothing is fetched unless `update` runs
    Setting("http_timeout", 20.0, "Seconds before a live-data request times out."),
    Setting("http_retries", 3, "Extra attempts after a failed live-data request (timeouts, 429, 5xx)."),
    Setting("yahoo_base_url", "https://query2.finance.yahoo.com", "Yahoo Finance chart API base URL."),
    Setting("yahoo_max_per_second", 2.0, "At most this many Yahoo Finance requests per second."),
    Setting(
        "yahoo_transport",
        "yfinance",
        "How Yahoo Finance is asked: 'yfinance' (browser-impersonating curl_cffi session with Yahoo's "
        "cookie and crumb) or 'httpx' (a plain client; Yahoo answers it with 429 since 2025).",
    ),
    Setting("yahoo_threads", 4, "Yahoo Finance requests in flight at once (within yahoo_max_per_second)."),
    Setting(
        "polygon_api_key",
        "",
        "Polygon.io key of the optional bulk source (or env POLYGON_API_KEY); empty: skipped. Never printed.",
    ),
    Setting("polygon_base_url", "https://api.polygon.io", "Polygon.io REST API base URL."),
    Setting(
        "update_symbols",
        "etfs",
        "Which symbols `rotascope update` refreshes by default: 'etfs' (ETFs and VIX) or 'etfs+members' "
        "(also every stored index member; needed for breadth on new dates).",
    ),
    Setting(
        "update_history_days", 730, "Days of history fetched for a symbol or series with nothing stored yet."
    ),
    Setting("fred_base_url", "https://fred.stlouisfed.org", "FRED fredgraph CSV base URL (no key needed)."),
    Setting("fred_api_base_url", "https://api.stlouisfed.org", "FRED official API base URL (with a key)."),
    Setting("fred_api_key", "", "FRED API key; empty uses the keyless CSV download. Never printed."),
    Setting(
        "french_url",
        "https://mba.tuck.dartmouth.edu/pages/faculty/ken.french/ftp/6_Portfolios_2x3_CSV.zip",
        "Kenneth French library zip of the 6 size x book-to-market portfolios (the valuation lens); "
        "empty skips it.",
    ),
    Setting(
        "sec_user_agent",
        "",
        "User-Agent with contact details SEC EDGAR requires (e.g. 'rotascope you@example.com'); "
        "empty skips SEC.",
    ),
    Setting("sec_base_url", "https://data.sec.gov", "SEC EDGAR company-facts API base URL."),
    Setting(
        "sec_tickers_url", "https://www.sec.gov/files/company_tickers.json", "SEC ticker-to-CIK list URL."
    ),
    Setting(
        "sec_symbols", "", "Comma-separated companies for SEC fundamentals; empty = top Russell 2000 weights."
    ),
    Setting("sec_top_n", 20, "How many of the largest Russell 2000 members get SEC fundamentals by default."),
    Setting("ishares_base_url", "https://www.ishares.com", "iShares holdings download base URL."),
    Setting(
        "ishares_funds", "IWM", "Comma-separated iShares funds whose holdings are fetched (IWM, IVV, IJR)."
    ),
    Setting("news_feeds", "", "Comma-separated RSS/Atom feed URLs for headlines; empty skips news."),
    Setting(
        "webhook_url",
        "",
        "`rotascope watch` POSTs alerts as JSON here (e.g. a Slack/ntfy relay); empty = off.",
    ),
    Setting(
        "llm_base_url",
        "",
        "OpenAI-compatible endpoint for optional narration (e.g. http://localhost:11434/v1); empty = off.",
    ),
    Setting("llm_model", "", "Model name sent to the narration endpoint."),
    Setting("llm_api_key", "", "Bearer key for the narration endpoint, if it needs one. Never printed."),
)
SERVICE_SETTINGS: tuple[Setting, ...] = (
    # how the store and the web server behave under load; never part of an analysis' config hash
    Setting(
        "store_lock_wait",
        10.0,
        "Seconds a command waits for another rotascope process to release the store before failing.",
    ),
    Setting("panel_cache_keep", 2, "Data fingerprints whose big panels stay in <home>/cache (older pruned)."),
    Setting(
        "web_allowed_hosts",
        "localhost,127.0.0.1,::1",
        "Comma-separated Host names `rotascope serve` answers (others get 400: DNS-rebinding guard); "
        "'*' allows any.",
    ),
    Setting("web_rate_per_minute", 60, "POST requests one client may make per minute (then 429); 0 = off."),
    Setting("web_max_analyses", 1000, "Stored analyses after which web POSTs are refused (507); 0 = no cap."),
    Setting(
        "web_refresh_seconds",
        5.0,
        "How often the server re-reads the data fingerprint to notice `update`/`init` and rebuild.",
    ),
    Setting(
        "ray_address",
        "",
        "Ray cluster `backtest --sweep --executor ray` joins (head host:port, like 10.0.0.5:6379, "
        "ray://host:10001 or auto); empty starts a local Ray.",
    ),
    Setting(
        "ray_connect_timeout", 15.0, "Seconds to reach the Ray cluster before giving up with one sentence."
    ),
    Setting(
        "max_input_mb",
        DEFAULT_MAX_INPUT_MB,
        "Largest file (MiB) `sentiment` reads; devices and FIFOs are always refused. Other input files "
        "(config, thresholds and sweep TOML, fundamentals build files) are held to the default.",
    ),
)
SETTINGS = (*SETTINGS, *LIVE_DATA_SETTINGS, *SERVICE_SETTINGS)

SECRET_SETTINGS = frozenset({"fred_api_key", "llm_api_key", "polygon_api_key"})
"""Settings whose values are never printed (shown as '***' by :meth:`Settings.public`)."""
LIVE_SETTINGS = frozenset(s.name for s in LIVE_DATA_SETTINGS) | frozenset(s.name for s in SERVICE_SETTINGS)
"""Operational live-data settings: they change what is fetched or where it goes, not how data is judged,
so they stay out of :meth:`Settings.fingerprint` (and a key never reaches an analysis' config hash)."""
UPDATE_SYMBOL_CHOICES = ("etfs", "etfs+members")
YAHOO_TRANSPORTS = ("yfinance", "httpx")


@dataclass(frozen=True)
class Settings:
    """Resolved settings. Build with :func:`load_settings`; every default is written once, in ``SETTINGS``."""

    home: Path
    db: Path
    stale_days: int
    spike_up: float
    spike_down: float
    spike_reversal: float
    thresholds: Path | None
    http_timeout: float
    http_retries: int
    yahoo_base_url: str
    yahoo_max_per_second: float
    yahoo_transport: str
    yahoo_threads: int
    polygon_api_key: str = field(repr=False)
    polygon_base_url: str
    update_symbols: str
    update_history_days: int
    fred_base_url: str
    fred_api_base_url: str
    fred_api_key: str = field(repr=False)
    french_url: str
    sec_user_agent: str
    sec_base_url: str
    sec_tickers_url: str
    sec_symbols: str
    sec_top_n: int
    ishares_base_url: str
    ishares_funds: str
    news_feeds: str
    webhook_url: str
    llm_base_url: str
    llm_model: str
    llm_api_key: str = field(repr=False)
    store_lock_wait: float
    panel_cache_keep: int
    web_allowed_hosts: str
    web_rate_per_minute: int
    web_max_analyses: int
    web_refresh_seconds: float
    ray_address: str
    ray_connect_timeout: float
    max_input_mb: int

    def fingerprint(self) -> str:
        """Hash of the settings that change analytical results (not paths, not live-data plumbing)."""
        skip = {"home", "db", *LIVE_SETTINGS}
        payload = {f.name: str(getattr(self, f.name)) for f in fields(self) if f.name not in skip}
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]

    def public(self) -> dict[str, str]:
        """Every setting as text, secrets masked ('***' when set): safe to print or log."""
        return {
            f.name: ("***" if getattr(self, f.name) else "")
            if f.name in SECRET_SETTINGS
            else str(getattr(self, f.name))
            for f in fields(self)
        }


def shown(value: object, limit: int = 80) -> str:
    """``repr`` of user input, cut to ``limit`` characters (errors never echo a whole file back)."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _coerce(setting: Setting, raw: Any) -> Any:
    kind = type(setting.default)
    bad = ConfigError(f"Setting '{setting.name}' must be {_KIND_WORD[kind]}, got {shown(raw)}.")
    if isinstance(raw, bool) or not isinstance(raw, str | int | float):
        raise bad  # TOML tables, lists, dates and booleans are never a valid setting
    try:
        if kind is int:
            if isinstance(raw, float) and not raw.is_integer():
                raise bad
            value: Any = int(raw.strip()) if isinstance(raw, str) else int(raw)
        elif kind is float:
            value = float(raw)
            if not math.isfinite(value):
                raise bad
        else:
            if not isinstance(raw, str):
                raise bad
            value = raw
    except (TypeError, ValueError, OverflowError):
        raise bad from None
    return value


_KIND_WORD = {int: "a whole number", float: "a finite number", str: "text"}


def load_settings(overrides: dict[str, Any] | None = None, env: dict[str, str] | None = None) -> Settings:
    """Resolve settings from defaults, config file, environment and explicit overrides (CLI options)."""
    env = dict(os.environ) if env is None else env
    values: dict[str, Any] = {s.name: s.default for s in SETTINGS}
    known = {s.name: s for s in SETTINGS}
    config_path = env.get("ROTASCOPE_CONFIG")
    home_guess = (overrides or {}).get("home") or env.get("ROTASCOPE_HOME") or ""
    if not config_path and home_guess:
        candidate = Path(str(home_guess)) / "config.toml"
        config_path = str(candidate) if candidate.exists() else None
    if config_path:
        file_values = read_toml(config_path, "Config file")
        unknown = sorted(set(file_values) - set(known))
        if unknown:
            raise ConfigError(f"Config file {config_path} has unknown setting(s): {', '.join(unknown)}.")
        values.update(file_values)
    if env.get("POLYGON_API_KEY"):
        values["polygon_api_key"] = env["POLYGON_API_KEY"]
    for name in known:
        if f"ROTASCOPE_{name.upper()}" in env:
            values[name] = env[f"ROTASCOPE_{name.upper()}"]
    for name, value in (overrides or {}).items():
        if value is not None:
            values[name] = value
    resolved = {name: _coerce(known[name], v) for name, v in values.items()}
    home = Path(resolved["home"]) if resolved["home"] else Path(platformdirs.user_data_dir("rotascope"))
    db = Path(resolved["db"]) if resolved["db"] else home / "rotascope.duckdb"
    if (
        resolved["stale_days"] < 0
        or not 0 < resolved["spike_down"] < 1
        or resolved["spike_up"] <= 0
        or resolved["spike_reversal"] < 0
    ):
        raise ConfigError(
            "Settings stale_days must be >= 0, spike_up > 0, spike_reversal >= 0 and 0 < spike_down < 1."
        )
    _check_live(resolved)
    return Settings(
        home=home.expanduser(),
        db=db.expanduser(),
        stale_days=resolved["stale_days"],
        spike_up=resolved["spike_up"],
        spike_down=resolved["spike_down"],
        spike_reversal=resolved["spike_reversal"],
        thresholds=Path(resolved["thresholds"]).expanduser() if resolved["thresholds"] else None,
        **{name: resolved[name] for name in sorted(LIVE_SETTINGS)},
    )


def _check_live(resolved: dict[str, Any]) -> None:
    """Reject live-data settings that could only fail later, mid-update (one sentence each)."""
    if resolved["http_timeout"] <= 0 or resolved["http_retries"] < 0:
        raise ConfigError("Settings http_timeout must be > 0 and http_retries >= 0.")
    if resolved["yahoo_max_per_second"] <= 0:
        raise ConfigError("Setting yahoo_max_per_second must be > 0.")
    if resolved["update_history_days"] < 1 or resolved["sec_top_n"] < 0:
        raise ConfigError("Settings update_history_days must be >= 1 and sec_top_n >= 0.")
    if resolved["max_input_mb"] < 1:
        raise ConfigError("Setting max_input_mb must be >= 1 (MiB).")
    if resolved["ray_connect_timeout"] <= 0:
        raise ConfigError("Setting ray_connect_timeout must be > 0 seconds.")
    if resolved["store_lock_wait"] < 0 or resolved["web_refresh_seconds"] < 0:
        raise ConfigError("Settings store_lock_wait and web_refresh_seconds must be >= 0.")
    if min(resolved["panel_cache_keep"], resolved["web_rate_per_minute"], resolved["web_max_analyses"]) < 0:
        raise ConfigError("Settings panel_cache_keep, web_rate_per_minute and web_max_analyses must be >= 0.")
    if resolved["yahoo_transport"] not in YAHOO_TRANSPORTS or resolved["yahoo_threads"] < 1:
        raise ConfigError(
            f"Setting yahoo_transport must be one of {', '.join(YAHOO_TRANSPORTS)} and yahoo_threads >= 1."
        )
    if resolved["update_symbols"] not in UPDATE_SYMBOL_CHOICES:
        raise ConfigError(
            f"Setting update_symbols must be one of {', '.join(UPDATE_SYMBOL_CHOICES)}, "
            f"got {resolved['update_symbols']!r}."
        )
    for name in (
        "yahoo_base_url",
        "polygon_base_url",
        "fred_base_url",
        "fred_api_base_url",
        "french_url",
        "sec_base_url",
        "sec_tickers_url",
        "ishares_base_url",
        "webhook_url",
        "llm_base_url",
    ):
        value = str(resolved[name]).strip()
        if value and not value.startswith(("http://", "https://")):
            got = shown(redact_url(value))
            raise ConfigError(f"Setting {name} must be an http:// or https:// URL, got {got}.")
    for feed in split_list(str(resolved["news_feeds"])):
        if not feed.startswith(("http://", "https://")):
            got = shown(redact_url(feed))
            raise ConfigError(f"Setting news_feeds holds {got}, which is not an http:// or https:// URL.")


def split_list(text: str) -> list[str]:
    """Items of a comma-separated setting, stripped, empty ones dropped, order kept."""
    return [part.strip() for part in text.split(",") if part.strip()]


def config_hash(settings: Settings) -> str:
    """Hash of everything that changes an analysis besides the data: settings and thresholds."""
    thresholds = load_thresholds(settings.thresholds).model_dump_json()
    return hashlib.sha256((settings.fingerprint() + thresholds).encode()).hexdigest()[:16]
