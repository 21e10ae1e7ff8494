"""Typed view of ``thresholds.toml``, the one file that holds every rule's numbers."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from rotascope.errors import ConfigError
from rotascope.tomlfile import read_toml


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


# ranges a rule's number can take: a user file or a sweep outside them is refused with one sentence
Fraction = Annotated[float, Field(ge=0.0, le=1.0)]
"""A share or a percentile, 0-1."""
RelReturn = Annotated[float, Field(ge=-1.0, le=1.0)]
"""A relative return or a change of a share, -1..+1."""
Rise = Annotated[float, Field(ge=0.0)]
"""A rise (of a yield, a spread, the VIX) that a rule or a killer waits for: >= 0."""
Fall = Annotated[float, Field(ge=-1.0, le=0.0)]
"""A fall, as a negative return: -1..0."""
Days = Annotated[int, Field(ge=2, le=1260)]
"""A window in trading days (2 days to 5 years)."""


class RelativeStrengthRule(_Strict):
    min_rel_1m: RelReturn
    min_persistence_4w: Fraction
    require_above_sma50: bool


class BreadthRule(_Strict):
    min_rsp_rel_1m: RelReturn
    min_pct_above_50: Fraction
    min_pct_above_50_change: RelReturn
    min_ad_line_vs_sma50: float


class CreditRule(_Strict):
    max_hy_oas_change_13w: float
    max_hy_oas_percentile: Fraction
    min_kre_rel_1m: RelReturn


class EarningsRule(_Strict):
    min_cyclical_minus_defensive_3m: RelReturn
    max_claims_yoy: Annotated[float, Field(ge=-1.0)]
    min_beat_share: Fraction = 0.6
    min_net_revisions: float = 0.0


class PersistenceRule(_Strict):
    lookback: Days
    min_vix_jump: Rise
    min_spy_drawdown: Fraction
    max_ratio_drawdown: Fraction
    min_rel_since_stress: RelReturn


class LadderRules(_Strict):
    relative_strength: RelativeStrengthRule
    breadth: BreadthRule
    credit: CreditRule
    earnings: EarningsRule
    persistence: PersistenceRule


class ChecklistRules(_Strict):
    trend_days: Annotated[int, Field(ge=1, le=252)]
    min_pct_above_50_change: RelReturn
    max_yield_change_13w: float
    min_curve_change_13w: float
    max_hy_oas_change_13w: float
    min_cyclicals_confirming: Annotated[int, Field(ge=0, le=3)]


class KillerRules(_Strict):
    yield_spike_13w: Rise
    yield_spike_4w: Rise
    inflation_core_cpi_3m_change: Rise
    credit_widening_4w: Rise
    credit_widening_13w: Rise
    cyclical_downdraft_1m: Fall
    kre_downdraft_1m: Fall


class CalibrationRules(_Strict):
    """Outcome definitions and the walk-forward calibrator's fixed settings (``[calibration]``)."""

    horizons: tuple[int, ...]
    default_horizon: int
    band_k: float
    band_window: int
    size_prior: bool
    min_labelled_weeks: int
    min_oos_weeks: int
    refit_weeks: int
    l2_c: float
    round_trip_cost: float
    evaluate_from: str
    members_refit_weeks: int = 52
    members_min_weeks: int = 104
    members_min_oos_weeks: int = 104
    members_train_rows: int = 40_000


class LensRules(_Strict):
    """Fundamental lenses of the agents (issue #16, ``[lenses]``)."""

    max_share_unprofitable: float = 0.40
    junk_led_qmj: float = -0.02
    junk_led_rmw_3m: float = 0.0
    tightening_hy_oas_13w: float = 0.0


class ScreenRules(_Strict):
    """The quality small-cap screen (issue #24, ``[screen]``)."""

    revision_floor: float = 0.10
    min_members_default: int = 300


class EarningsYieldRules(_Strict):
    """The SimFin earnings yield of the valuation lens (``[earnings_yield]``, applied when the embedded
    fundamentals are built)."""

    max_ttm_age_days: int = 200
    share_band: float = 10.0
    income_band: float = 100.0
    max_abs_ep: float = 20.0
    min_coverage: float = 0.25


class MacroAgentRules(_Strict):
    """Thresholds of the macro agent's claims (``[agents.macro]``)."""

    max_hy_oas_percentile: float = 0.6
    max_claims_yoy: float = 0.10
    max_core_cpi_chg_3m: float = 0.2


class InternalsAgentRules(_Strict):
    """Thresholds of the internals agent's claims (``[agents.internals]``)."""

    min_persistence_13w: float = 0.5
    min_pct_above_50: float = 0.5
    max_top10_concentration: float = 0.25
    max_vix_percentile: float = 0.8
    min_rmw_3m: float = -0.02


class StockAgentRules(_Strict):
    """Single-name debate: trend/drawdown bars and the risk plan's sizes (``[agents.stock]``)."""

    min_drawdown_from_high: float = -0.25
    vol_target: float = 0.15
    max_position: float = 0.02
    drawdown_limit: float = 0.15


class AgentRules(_Strict):
    """The agents' own thresholds (the regime rules have theirs above)."""

    macro: MacroAgentRules = MacroAgentRules()
    internals: InternalsAgentRules = InternalsAgentRules()
    stock: StockAgentRules = StockAgentRules()


class Thresholds(_Strict):
    """All thresholds of the regime layer and the agents (covered by the config hash)."""

    ladder: LadderRules
    checklist: ChecklistRules
    killers: KillerRules
    calibration: CalibrationRules
    lenses: LensRules = LensRules()
    screen: ScreenRules = ScreenRules()
    earnings_yield: EarningsYieldRules = EarningsYieldRules()
    agents: AgentRules = AgentRules()


def default_path() -> Path:
    """The packaged thresholds file, beside this module (a plain path: ``importlib.resources`` costs
    ~25 ms of every run's start-up, and the package is always installed as files)."""
    return Path(__file__).with_name("thresholds.toml")


def _overlay(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """``over``'s values on top of ``base``, table by table (a user file names only what it changes)."""
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            merged[key] = _overlay(base[key], value)
        else:
            merged[key] = value
    return merged


def load_thresholds(path: Path | None = None) -> Thresholds:
    """Read and validate thresholds: the packaged file, with ``path``'s values on top when given."""
    raw = read_toml(default_path(), "Thresholds file")
    if path is not None:
        raw = _overlay(raw, read_toml(path, "Thresholds file"))
    path = path or default_path()
    try:
        return Thresholds.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"Thresholds file {path}: {where}: {first['msg']}.") from None
