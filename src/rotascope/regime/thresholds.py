"""Typed view of ``thresholds.toml``, the one file that holds every rule's numbers: no field has a default
here (a number written twice drifts); a user's thresholds file names only what it changes, on top of the
packaged file (``load_thresholds``)."""

from __future__ import annotations

from functools import cache
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
    min_beat_share: Fraction
    min_net_revisions: float


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
    members_refit_weeks: int
    members_min_weeks: int
    members_min_oos_weeks: int
    members_train_rows: int


class LensRules(_Strict):
    """Fundamental lenses of the agents (issue #16, ``[lenses]``)."""

    max_share_unprofitable: float
    junk_led_qmj: float
    junk_led_rmw_3m: float
    tightening_hy_oas_13w: float


class ScreenRules(_Strict):
    """The quality small-cap screen (issue #24, ``[screen]``)."""

    revision_floor: float
    min_members_default: int


class EarningsYieldRules(_Strict):
    """The SimFin earnings yield of the valuation lens (``[earnings_yield]``, applied when the embedded
    fundamentals are built)."""

    max_ttm_age_days: int
    share_band: float
    income_band: float
    max_abs_ep: float
    min_coverage: float


class MacroAgentRules(_Strict):
    """Thresholds of the macro agent's claims (``[agents.macro]``)."""

    max_hy_oas_percentile: float
    max_claims_yoy: float
    max_core_cpi_chg_3m: float
    high_yield_10y: Rise


class InternalsAgentRules(_Strict):
    """Thresholds of the internals agent's claims (``[agents.internals]``)."""

    min_persistence_13w: float
    min_pct_above_50: float
    max_top10_concentration: float
    max_vix_percentile: float
    min_rmw_3m: float
    max_vol_ratio: Rise
    squeeze_burst_1w: RelReturn
    narrow_pct_above_50: Fraction
    junk_rally_rmw_1m: RelReturn
    momentum_crash_1m: RelReturn


class StockAgentRules(_Strict):
    """Single-name debate: trend/drawdown bars and the risk plan's sizes (``[agents.stock]``)."""

    min_drawdown_from_high: float
    vol_target: float
    max_position: float
    drawdown_limit: float


class FundamentalsAgentRules(_Strict):
    """Coverage and bars of the fundamentals agent's company-data claims (``[agents.fundamentals]``)."""

    min_companies: Annotated[int, Field(ge=1)]
    min_firms: Annotated[int, Field(ge=1)]
    market_falling: RelReturn
    max_debt_assets: Fraction
    min_median_drawdown: Fall
    min_interest_cover: float


class DebateRules(_Strict):
    """Who may challenge whom in the agents' debate, and what a challenge costs (``[agents.debate]``)."""

    max_challenges: Annotated[int, Field(ge=0)]
    min_target_weight: Fraction
    min_counter_weight: Fraction
    min_counter_strength: Fraction
    concede_factor: Fraction
    overreach_penalty: Fraction
    rebut_bonus: Fraction


class ModelRules(_Strict):
    """The decision model's bands (``[agents.model]``): an opinion's stance and confidence cap, and the
    evidence tilt's no-tilt band. The array kernels read them from the packaged file, so a user file may
    not change them (``load_thresholds`` refuses one that does)."""

    stance_band: Fraction
    max_confidence: Fraction
    tilt_band: Fraction


class AgentRules(_Strict):
    """The agents' own thresholds (the regime rules have theirs above)."""

    model: ModelRules
    macro: MacroAgentRules
    internals: InternalsAgentRules
    stock: StockAgentRules
    fundamentals: FundamentalsAgentRules
    debate: DebateRules


class Thresholds(_Strict):
    """All thresholds of the regime layer and the agents (covered by the config hash)."""

    ladder: LadderRules
    checklist: ChecklistRules
    killers: KillerRules
    calibration: CalibrationRules
    lenses: LensRules
    screen: ScreenRules
    earnings_yield: EarningsYieldRules
    agents: AgentRules


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


@cache
def packaged_thresholds() -> Thresholds:
    """The packaged file's thresholds, read once per process (where no user file is in force)."""
    return load_thresholds()


def load_thresholds(path: Path | None = None) -> Thresholds:
    """Read and validate thresholds: the packaged file, with ``path``'s values on top when given."""
    raw = read_toml(default_path(), "Thresholds file")
    if path is not None:
        raw = _overlay(raw, read_toml(path, "Thresholds file"))
    where = path or default_path()
    try:
        thresholds = Thresholds.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"Thresholds file {where}: {loc}: {first['msg']}.") from None
    if path is not None:
        refuse_model_bands(thresholds, f"Thresholds file {path}")
    return thresholds


def refuse_model_bands(thresholds: Thresholds, where: str) -> None:
    """One sentence when ``thresholds`` change the decision model's bands, which the array kernels read
    from the packaged file only (a change would be ignored, so it is refused)."""
    if thresholds.agents.model != packaged_thresholds().agents.model:
        raise ConfigError(
            f"{where}: agents.model: the decision model's bands are fixed by the packaged "
            "file (the array kernels read them there); remove the [agents.model] table."
        )
