"""DDL of the store. Every row keeps when it became known (``known_at``).

Schema 2 adds ``bars.close_traded``: the unadjusted (traded) close where a live update provided it (NULL
for the embedded, dividend-adjusted data). ``MIGRATIONS`` bring an older store up to date when it is
opened for writing; readers of a store not yet migrated treat the column as absent (all NULL).
"""

from __future__ import annotations

SCHEMA_VERSION = 2

DDL = """
CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR);
CREATE TABLE IF NOT EXISTS instruments (
    symbol VARCHAR PRIMARY KEY, name VARCHAR, kind VARCHAR, sector VARCHAR, universes VARCHAR[],
    weight_r2000 DOUBLE, source VARCHAR);
CREATE TABLE IF NOT EXISTS bars (
    symbol VARCHAR NOT NULL, date DATE NOT NULL, open DOUBLE, high DOUBLE, low DOUBLE, close DOUBLE NOT NULL,
    volume BIGINT, source VARCHAR NOT NULL, known_at DATE NOT NULL, close_traded DOUBLE);
CREATE TABLE IF NOT EXISTS series (
    series_id VARCHAR NOT NULL, date DATE NOT NULL, value DOUBLE NOT NULL, known_at DATE NOT NULL,
    source VARCHAR NOT NULL);
CREATE TABLE IF NOT EXISTS series_meta (
    series_id VARCHAR PRIMARY KEY, name VARCHAR, unit VARCHAR, frequency VARCHAR, origin VARCHAR,
    source VARCHAR);
CREATE TABLE IF NOT EXISTS quality_flags (
    source VARCHAR, symbol VARCHAR, date DATE, field VARCHAR, original DOUBLE, action VARCHAR,
    reason VARCHAR);
CREATE TABLE IF NOT EXISTS loads (
    source VARCHAR, fingerprint VARCHAR, loaded_at TIMESTAMP, bars BIGINT, series BIGINT, flags BIGINT);
CREATE TABLE IF NOT EXISTS membership (
    universe VARCHAR NOT NULL, date DATE NOT NULL, symbol VARCHAR NOT NULL, known_at DATE NOT NULL,
    priced BOOLEAN NOT NULL, source VARCHAR NOT NULL);
CREATE TABLE IF NOT EXISTS analyses (
    id VARCHAR PRIMARY KEY, kind VARCHAR NOT NULL, subject VARCHAR, as_of DATE NOT NULL,
    created_at TIMESTAMP NOT NULL, config_hash VARCHAR, data_fingerprint VARCHAR, payload JSON NOT NULL);
"""

BAR_INSERT_COLUMNS = "(symbol, date, open, high, low, close, volume, source, known_at, close_traded)"
"""Explicit column list of every insert into ``bars`` (so that a column added later cannot shift values)."""

MIGRATIONS: tuple[tuple[int, str], ...] = (
    (2, "ALTER TABLE bars ADD COLUMN IF NOT EXISTS close_traded DOUBLE"),
)
"""(version reached, statement): applied in order on every write open; each is idempotent."""
