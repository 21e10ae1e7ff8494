#!/usr/bin/env python
"""Build rotascope's embedded offline dataset from ../shared/data.

Re-runnable and deterministic: the same inputs give byte-identical files. Raw values are copied as they
are (glitches included); cleaning happens in the loader (`rotascope.providers.quality`) so that live data
gets the same treatment and every change is reported.

Usage: python scripts/build_dataset.py [--shared ../shared/data] [--out src/rotascope/data/bundled]
"""

from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from rotascope.providers.release_dates import ReleaseRule, known_at

ETF_OHLCV = [
    "SPY",
    "IWM",
    "RSP",
    "QQQ",
    "DIA",
    "IWY",
    "HYG",
    "TLT",
    "VIX",
    "XLB",
    "XLC",
    "XLE",
    "XLF",
    "XLI",
    "XLK",
    "XLP",
    "XLRE",
    "XLU",
    "XLV",
    "XLY",
]
ETF_CLOSE_ONLY = ["IWN", "IWO", "IJR", "KRE", "LQD", "IEF", "SHY"]
ETF_NAMES = {
    "SPY": "SPDR S&P 500 ETF",
    "IWM": "iShares Russell 2000 ETF",
    "RSP": "Invesco S&P 500 Equal Weight ETF",
    "QQQ": "Invesco QQQ (Nasdaq-100)",
    "DIA": "SPDR Dow Jones Industrial Average ETF",
    "IWY": "iShares Russell Top 200 Growth ETF",
    "HYG": "iShares iBoxx High Yield Corporate Bond ETF",
    "TLT": "iShares 20+ Year Treasury Bond ETF",
    "VIX": "CBOE Volatility Index",
    "XLB": "Materials Select Sector SPDR",
    "XLC": "Communication Services Select Sector SPDR",
    "XLE": "Energy Select Sector SPDR",
    "XLF": "Financial Select Sector SPDR",
    "XLI": "Industrial Select Sector SPDR",
    "XLK": "Technology Select Sector SPDR",
    "XLP": "Consumer Staples Select Sector SPDR",
    "XLRE": "Real Estate Select Sector SPDR",
    "XLU": "Utilities Select Sector SPDR",
    "XLV": "Health Care Select Sector SPDR",
    "XLY": "Consumer Discretionary Select Sector SPDR",
    "IWN": "iShares Russell 2000 Value ETF",
    "IWO": "iShares Russell 2000 Growth ETF",
    "IJR": "iShares Core S&P Small-Cap ETF",
    "KRE": "SPDR S&P Regional Banking ETF",
    "LQD": "iShares iBoxx Investment Grade Corporate Bond ETF",
    "IEF": "iShares 7-10 Year Treasury Bond ETF",
    "SHY": "iShares 1-3 Year Treasury Bond ETF",
    "MDY": "SPDR S&P MidCap 400 ETF",
}
SECTOR_ETF = {
    "XLB": "Materials",
    "XLC": "Communication Services",
    "XLE": "Energy",
    "XLF": "Financials",
    "XLI": "Industrials",
    "XLK": "Information Technology",
    "XLP": "Consumer Staples",
    "XLRE": "Real Estate",
    "XLU": "Utilities",
    "XLV": "Health Care",
    "XLY": "Consumer Discretionary",
}

# series_id: (file, column, name, unit, frequency, FRED/other id, publication lag rule)
SERIES = {
    "ust_3m": (
        "macro/rates.csv",
        "ust_3m",
        "3-month Treasury yield",
        "percent",
        "daily",
        "FRED DGS3MO",
        "d1",
    ),
    "ust_2y": ("macro/rates.csv", "ust_2y", "2-year Treasury yield", "percent", "daily", "FRED DGS2", "d1"),
    "ust_10y": (
        "macro/rates.csv",
        "ust_10y",
        "10-year Treasury yield",
        "percent",
        "daily",
        "FRED DGS10",
        "d1",
    ),
    "fed_funds": (
        "macro/rates.csv",
        "fed_funds_eff",
        "Effective federal funds rate",
        "percent",
        "daily",
        "FRED DFF",
        "d1",
    ),
    "curve_10y_2y": (
        "macro/rates.csv",
        "curve_10y_2y",
        "10y minus 2y Treasury spread",
        "percent",
        "daily",
        "FRED T10Y2Y",
        "d1",
    ),
    "curve_10y_3m": (
        "macro/rates.csv",
        "curve_10y_3m",
        "10y minus 3m Treasury spread",
        "percent",
        "daily",
        "FRED T10Y3M",
        "d1",
    ),
    "hy_oas": (
        "macro/credit_spread.csv",
        "hy_oas_full",
        "ICE BofA US High Yield OAS",
        "percent",
        "daily",
        "FRED BAMLH0A0HYM2",
        "d1",
    ),
    "baa_spread": (
        "macro/credit_spread.csv",
        "baa_10y_spread",
        "Moody's Baa yield minus 10y Treasury",
        "percent",
        "daily",
        "FRED BAA10Y",
        "d1",
    ),
    "nfci": (
        "macro/NFCI.csv",
        "value",
        "Chicago Fed National Financial Conditions Index",
        "index",
        "weekly",
        "FRED NFCI",
        "w5",
    ),
    "claims": (
        "macro/claims_weekly.csv",
        "initial_claims_weekly",
        "Initial jobless claims",
        "persons",
        "weekly",
        "FRED ICSA",
        "w5",
    ),
    "cpi_core_yoy": (
        "macro/us_inflation_releases.csv",
        "cpi_core_yoy",
        "Core CPI, year over year",
        "percent",
        "monthly",
        "BLS CPI-U less food and energy",
        "cpi",
    ),
    "cpi_headline_yoy": (
        "macro/us_inflation_releases.csv",
        "cpi_headline_yoy",
        "Headline CPI, year over year",
        "percent",
        "monthly",
        "BLS CPI-U",
        "cpi",
    ),
    "unemployment": (
        "macro/jobs_monthly.csv",
        "unemployment_rate_pct",
        "Unemployment rate",
        "percent",
        "monthly",
        "FRED UNRATE",
        "emp",
    ),
}
FF_COLUMNS = {
    "Mkt-RF": "ff_mkt_rf",
    "SMB": "ff_smb",
    "HML": "ff_hml",
    "RMW": "ff_rmw",
    "CMA": "ff_cma",
    "RF": "ff_rf",
}


def _known_at(dates: pd.Series, rule: ReleaseRule) -> pd.Series:
    """Date each observation became public (rules in rotascope.providers.release_dates, DATA.md)."""
    return known_at(dates, rule)


def _read_ff(path: Path) -> pd.DataFrame:
    """Read a Kenneth French daily CSV: skip the prose header and the copyright footer."""
    lines = path.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Date,"))
    rows = [line for line in lines[start + 1 :] if line[:1].isdigit()]
    frame = pd.DataFrame([r.split(",") for r in rows], columns=lines[start].split(","))
    frame["date"] = pd.to_datetime(frame.pop("Date"))
    return frame.set_index("date").astype(float)


def build_bars(shared: Path) -> pd.DataFrame:
    ohlcv = pd.read_parquet(shared / "prices/etf_ohlcv.parquet")
    ohlcv = ohlcv[ohlcv.symbol.isin(ETF_OHLCV)].copy()
    extra = pd.read_parquet(shared / "prices/etf_adjclose_extra.parquet")
    extra = extra[extra.symbol.isin(ETF_CLOSE_ONLY)].rename(columns={"adj_close": "close"})
    mdy = pd.read_csv(
        shared / "prices/MDY_yfinance.csv",
        skiprows=4,
        header=None,
        names=["date", "adj_close", "close_raw", "high", "low", "open", "volume"],
    )
    factor = mdy.adj_close / mdy.close_raw  # adjust OHLC by the same factor as the close
    mdy = pd.DataFrame(
        {
            "symbol": "MDY",
            "date": pd.to_datetime(mdy.date),
            "open": mdy.open * factor,
            "high": mdy.high * factor,
            "low": mdy.low * factor,
            "close": mdy.adj_close,
            "volume": mdy.volume.astype("int64"),
        }
    )
    bars = pd.concat([ohlcv, extra, mdy], ignore_index=True)
    bars["date"] = pd.to_datetime(bars.date).dt.as_unit("us")
    bars["volume"] = bars.volume.astype("Int64")
    return (
        bars[["symbol", "date", "open", "high", "low", "close", "volume"]]
        .sort_values(["symbol", "date"])
        .reset_index(drop=True)
    )


def build_series(shared: Path) -> pd.DataFrame:
    parts = []
    for sid, (file, col, *_rest, rule) in SERIES.items():
        frame = pd.read_csv(shared / file)
        date_col = frame.columns[0]
        s = frame[[date_col, col]].dropna()
        dates = pd.to_datetime(s[date_col])
        parts.append(
            pd.DataFrame(
                {
                    "series_id": sid,
                    "date": dates,
                    "value": s[col].astype(float).to_numpy(),
                    "known_at": _known_at(dates, rule),
                }
            )
        )
    ff = _read_ff(shared / "factors/F-F_Research_Data_5_Factors_2x3_daily.csv")
    mom = _read_ff(shared / "factors/F-F_Momentum_Factor_daily.csv")
    ff = ff.join(mom.rename(columns={c: "Mom" for c in mom.columns}), how="left")
    for col, sid in {**FF_COLUMNS, "Mom": "ff_mom"}.items():
        s = ff[col].dropna()
        parts.append(
            pd.DataFrame(
                {
                    "series_id": sid,
                    "date": s.index,
                    "value": s.to_numpy(),
                    "known_at": _known_at(pd.Series(s.index), "ff").to_numpy(),
                }
            )
        )
    out = pd.concat(parts, ignore_index=True)
    out["date"] = out.date.dt.as_unit("us")
    out["known_at"] = out.known_at.dt.as_unit("us")
    return out.sort_values(["series_id", "date"]).reset_index(drop=True)


def build_series_meta() -> pd.DataFrame:
    rows = [
        {"series_id": sid, "name": v[2], "unit": v[3], "frequency": v[4], "origin": v[5]}
        for sid, v in SERIES.items()
    ]
    ff_names = {
        "ff_mkt_rf": "Market minus risk-free",
        "ff_smb": "Small minus big (size)",
        "ff_hml": "High minus low (value)",
        "ff_rmw": "Robust minus weak (profitability)",
        "ff_cma": "Conservative minus aggressive (investment)",
        "ff_rf": "Risk-free rate (daily)",
        "ff_mom": "Momentum (up minus down)",
    }
    rows += [
        {
            "series_id": k,
            "name": v,
            "unit": "percent",
            "frequency": "daily",
            "origin": "Kenneth R. French data library",
        }
        for k, v in ff_names.items()
    ]
    return pd.DataFrame(rows)


def build_members(shared: Path) -> pd.DataFrame:
    members = pd.read_parquet(shared / "universe/members_adjclose.parquet")
    members = members.reindex(sorted(members.columns), axis=1).astype("float32")
    members.index = pd.to_datetime(members.index).as_unit("us")
    members.index.name = "date"
    members.columns.name = None
    return members


def build_instruments(shared: Path, member_symbols: list[str]) -> pd.DataFrame:
    sectors = pd.read_csv(shared / "universe/members_sectors.csv").drop_duplicates("ticker")
    sector_of = dict(zip(sectors.ticker, sectors.sector, strict=True))
    names: dict[str, str] = {}
    universes: dict[str, list[str]] = {}
    weights: dict[str, dict[str, float]] = {}
    for etf, universe in (("IWM", "R2000"), ("SPY", "SP500"), ("MDY", "SP400"), ("IJR", "SP600")):
        for h in json.loads((shared / f"universe/holdings/{etf}.json").read_text()):
            t = h["ticker"]
            names.setdefault(t, h["name"])
            universes.setdefault(t, []).append(universe)
            weights.setdefault(t, {})[universe] = float(h["weight"])
            if sector_of.get(t) in (None, "Unknown", "Unassigned"):
                sector_of[t] = h["sector"]
    rows = []
    for sym in ETF_OHLCV + ETF_CLOSE_ONLY + ["MDY"]:
        rows.append(
            {
                "symbol": sym,
                "name": ETF_NAMES[sym],
                "kind": "volatility" if sym == "VIX" else "etf",
                "sector": SECTOR_ETF.get(sym),
                "universes": [],
                "weight_r2000": None,
            }
        )
    for sym in member_symbols:
        rows.append(
            {
                "symbol": sym,
                "name": names.get(sym, sym),
                "kind": "stock",
                "sector": sector_of.get(sym),
                "universes": sorted(universes.get(sym, [])),
                "weight_r2000": weights.get(sym, {}).get("R2000"),
            }
        )
    return pd.DataFrame(rows)


PIT_INDEX = {"R2000 (iShares IWM holdings)": "R2000", "S&P 500 (iShares IVV holdings)": "SP500"}
PIT_ORIGIN = {
    "R2000": "iShares IWM holdings at month-ends (DavisDelivery/TradeIQ @ f47a6dbf)",
    "SP500": "iShares IVV holdings at month-ends (DavisDelivery/TradeIQ @ f47a6dbf)",
    "SP600": "pitindex {version} (S&P 600 changes from Wikipedia), constituents at month-ends",
}


def build_membership(shared: Path) -> pd.DataFrame:
    """Point-in-time index lists: ``universe, date, ticker, non_equity, origin`` (raw tickers; the loader
    normalises and checks them). R2000 and S&P 500 from the shared monthly holdings file; S&P 600 at each
    month-end from the ``pitindex`` package (its data start 2021-03-31)."""
    raw = pd.read_parquet(shared / "universe/pit/index_members_monthly.parquet")
    raw = raw.assign(universe=raw["index"].map(PIT_INDEX))
    if raw.universe.isna().any():
        raise SystemExit(
            f"unknown index in the membership file: {sorted(set(raw['index']) - set(PIT_INDEX))}"
        )
    parts = [raw[["universe", "date", "ticker", "non_equity"]].assign(origin=raw.universe.map(PIT_ORIGIN))]
    try:
        import warnings

        import pitindex

        warnings.filterwarnings("ignore", category=pitindex.StaleDataWarning)  # a pinned snapshot on purpose
    except ImportError:  # documented in DATA.md: no S&P 600 lists without the package
        print("pitindex is not installed: no S&P 600 point-in-time lists")
    else:
        first = pd.Timestamp("2021-03-31")
        last = pd.Timestamp(json.loads(_pitindex_meta())["indices"]["sp600"]["end_date"])
        for day in pd.date_range(first, last, freq="ME"):
            tickers = sorted(pitindex.get_constituents(day.date().isoformat(), index="sp600")["ticker"])
            origin = PIT_ORIGIN["SP600"].format(version=pitindex.__version__)
            parts.append(
                pd.DataFrame(
                    {
                        "universe": "SP600",
                        "date": day.date().isoformat(),
                        "ticker": tickers,
                        "non_equity": False,
                        "origin": origin,
                    }
                )
            )
    out = pd.concat(parts, ignore_index=True)
    out["date"] = pd.to_datetime(out.date).dt.as_unit("us")
    out["non_equity"] = out.non_equity.astype(bool)
    return out.sort_values(["universe", "date", "ticker"]).reset_index(drop=True)


def _pitindex_meta() -> str:
    from importlib import resources

    return (resources.files("pitindex") / "data" / "build_metadata.json").read_text()


def _write(table: pa.Table, path: Path, float_split: bool = False) -> None:
    pq.write_table(
        table,
        path,
        compression="zstd",
        compression_level=12,
        use_byte_stream_split=float_split,
        use_dictionary=not float_split,
    )


def main() -> None:
    root = Path(__file__).resolve().parents[1]
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--shared", type=Path, default=root.parent / "shared/data")
    parser.add_argument("--out", type=Path, default=root / "src/rotascope/data/bundled")
    args = parser.parse_args()
    shared, out = args.shared, args.out
    out.mkdir(parents=True, exist_ok=True)

    bars = build_bars(shared)
    series = build_series(shared)
    members = build_members(shared)
    instruments = build_instruments(shared, list(members.columns))
    _write(pa.Table.from_pandas(bars, preserve_index=False), out / "etf_bars.parquet")
    _write(pa.Table.from_pandas(series, preserve_index=False), out / "series.parquet")
    _write(pa.Table.from_pandas(build_series_meta(), preserve_index=False), out / "series_meta.parquet")
    _write(pa.Table.from_pandas(instruments, preserve_index=False), out / "instruments.parquet")
    membership = build_membership(shared)
    _write(pa.Table.from_pandas(membership, preserve_index=False), out / "membership.parquet")
    _write(
        pa.Table.from_pandas(members, preserve_index=True), out / "members_close.parquet", float_split=True
    )

    files = sorted(p for p in out.glob("*.parquet"))
    manifest = {
        "dataset": "rotascope embedded offline dataset",
        "built_from": "shared/data (see DATA.md for the public origins of each file)",
        "ranges": {
            "etf_bars": {
                s: [str(g.date.min().date()), str(g.date.max().date()), len(g)]
                for s, g in bars.groupby("symbol")
            },
            "series": {
                s: [str(g.date.min().date()), str(g.date.max().date()), len(g)]
                for s, g in series.groupby("series_id")
            },
            "membership": {
                u: [str(g.date.min().date()), str(g.date.max().date()), int(g.date.nunique())]
                for u, g in membership.groupby("universe")
            },
            "members_close": [
                str(members.index.min().date()),
                str(members.index.max().date()),
                int(members.shape[1]),
                int(np.isfinite(members.to_numpy()).sum()),
            ],
        },
        "files": {
            p.name: {"bytes": p.stat().st_size, "sha256": hashlib.sha256(p.read_bytes()).hexdigest()}
            for p in files
        },
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    total = sum(p.stat().st_size for p in files)
    print(f"wrote {len(files)} files, {total / 1e6:.1f} MB to {out}")


if __name__ == "__main__":
    main()
