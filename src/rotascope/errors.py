"""Exceptions and warnings raised by rotascope.

Every error a user can cause or meet ends as one clear sentence (the CLI prints ``str(exc)`` and exits
non-zero); none leaks a raw library error.

Tree::

    RotascopeError
    ├── ConfigError              bad setting value or unreadable config file
    ├── StoreError               store file missing, corrupt, locked or not writable
    │   ├── StoreNotInitialised  no data loaded yet: run `rotascope init`
    │   └── StoreCorrupt         the file or its tables are damaged: `rotascope init --force` rebuilds it
    │       └── StoreIncomplete  a first `init` was cut short: `rotascope init` finishes it
    ├── DataError                the data cannot answer the question
    │   ├── UnknownSymbolError   symbol or series not in the store
    │   └── DateOutOfRangeError  as-of/start/end outside the stored history
    ├── DatasetError             embedded dataset missing or damaged
    ├── UsageError               options of a command that do not fit together
    ├── InputError               a file named as input is not a regular file or is over max_input_mb
    └── ProviderError            a live source failed (symbol/series and cause attached)

    RotascopeWarning
    ├── SurvivorshipWarning      breadth on today's members applied to the past
    └── StaleDataWarning         a source ends well before the as-of date
"""

from __future__ import annotations


class RotascopeError(Exception):
    """Base of every error rotascope raises on purpose."""


class ConfigError(RotascopeError):
    """A setting has a bad value or the config file cannot be read."""


class StoreError(RotascopeError):
    """The store file is missing, corrupt, locked or not writable."""


class StoreNotInitialised(StoreError):
    """The store holds no data yet."""


REBUILD = "`rotascope init --force` rebuilds it"
KEPT = " (the damaged file is kept beside it)"
PAGE_DAMAGE = ("Data Corruption Error", "Corrupt database file")
"""How DuckDB reports a stored block that fails its checksum (raised as OSError or ``duckdb.Error``)."""


class StoreCorrupt(StoreError):
    """The store file is damaged; ``in_place`` says whether `init --force` can rebuild inside the file
    (missing tables, rows that disagree with their load) or must move it aside (unreadable pages)."""

    def __init__(self, message: str, *, in_place: bool) -> None:
        super().__init__(message)
        self.in_place = in_place

    @classmethod
    def unreadable_page(cls, path: object, exc: BaseException) -> StoreCorrupt:
        """The one sentence for a stored page that does not read back (DuckDB's first line quoted)."""
        first = str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__
        return cls(
            f"The store {path} is corrupt: a stored page does not read back ({first}); {REBUILD}{KEPT}.",
            in_place=False,
        )


class StoreIncomplete(StoreCorrupt):
    """A first `rotascope init` was cut short: some of what it loads is missing; `rotascope init` loads it."""

    def __init__(self, message: str) -> None:
        super().__init__(message, in_place=True)


def is_page_damage(exc: BaseException) -> bool:
    """Whether ``exc`` is DuckDB reporting a damaged stored page (met by any query that reads it)."""
    text = str(exc)
    return isinstance(exc, Exception) and any(marker in text for marker in PAGE_DAMAGE)


class DataError(RotascopeError):
    """The stored data cannot answer the question asked."""


class UnknownSymbolError(DataError):
    """A symbol or series id is not in the store."""


class DateOutOfRangeError(DataError):
    """A date lies outside the stored history."""


class DatasetError(RotascopeError):
    """The embedded dataset is missing or damaged."""


class UsageError(RotascopeError):
    """A command was given options that do not fit together."""


class InputError(RotascopeError):
    """A file named as input is not a regular file (a device, a FIFO) or is larger than ``max_input_mb``."""


class ProviderError(RotascopeError):
    """A live data source failed."""


class RotascopeWarning(UserWarning):
    """Base of rotascope's domain warnings."""


class SurvivorshipWarning(RotascopeWarning):
    """Breadth computed from today's index members carries survivorship bias into the past."""


class StaleDataWarning(RotascopeWarning):
    """A source ends well before the as-of date."""
