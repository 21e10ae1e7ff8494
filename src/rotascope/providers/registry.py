"""Three-stage fetchers (query → fetch → standard record) and the registry of them by provider name.

Modelled on OpenBB Platform's ``provider/abstract/fetcher.py``: ``transform_query`` turns loose parameters
into the source's typed query, ``extract_data`` fetches the raw reply, ``transform_data`` turns it into the
standard record. Built-in providers register with :func:`register` exactly as an outside package would
(or through the ``rotascope.providers`` entry-point group).
"""

from __future__ import annotations

import importlib
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from importlib.metadata import entry_points
from typing import Any, ClassVar, Generic, Literal, TypeVar

from pydantic import BaseModel, ValidationError

from rotascope.providers.errors import InvalidQuery, ProviderConfigError

__all__ = [
    "BUILTIN_MODULES",
    "ENTRY_POINT_GROUP",
    "REGISTRY",
    "DataKind",
    "Fetcher",
    "FetcherRegistry",
    "get_fetcher",
    "load_builtins",
    "load_entry_points",
    "register",
    "validate_query",
]

DataKind = Literal["bars", "series", "holdings", "fundamentals", "news"]
ENTRY_POINT_GROUP = "rotascope.providers"
BUILTIN_MODULES = (
    "rotascope.providers.yahoo",
    "rotascope.providers.fred",
    "rotascope.providers.sec",
    "rotascope.providers.ishares",
    "rotascope.providers.news",
    "rotascope.providers.polygon",
    "rotascope.providers.french",
)

QueryT = TypeVar("QueryT")
RawT = TypeVar("RawT")
ResultT = TypeVar("ResultT")
M = TypeVar("M", bound=BaseModel)


class Fetcher(ABC, Generic[QueryT, RawT, ResultT]):
    """One source's fetcher: three stages, run in order by :meth:`fetch`."""

    provider: ClassVar[str] = ""
    """Registered name (set by :func:`register`)."""
    kind: ClassVar[DataKind]
    """Which standard record the fetcher produces."""
    source: ClassVar[str]
    """Human name of the source, used in error messages."""

    @abstractmethod
    def transform_query(self, params: Mapping[str, Any]) -> QueryT:
        """Turn loose parameters into this source's typed query (raise InvalidQuery when they are bad)."""

    @abstractmethod
    def extract_data(self, query: QueryT) -> RawT:
        """Fetch the raw reply for ``query`` (network I/O happens here and only here)."""

    @abstractmethod
    def transform_data(self, query: QueryT, raw: RawT) -> ResultT:
        """Turn the raw reply into the standard record (pure: no I/O)."""

    def run(self, query: QueryT) -> ResultT:
        """Fetch and transform an already typed query."""
        return self.transform_data(query, self.extract_data(query))

    def fetch(self, params: Mapping[str, Any] | None = None, **kwargs: Any) -> ResultT:
        """All three stages: ``fetcher.fetch(symbol="IWM", start="2024-01-02")``."""
        return self.run(self.transform_query({**(params or {}), **kwargs}))


AnyFetcherClass = type[Fetcher[Any, Any, Any]]
F = TypeVar("F", bound=AnyFetcherClass)


class FetcherRegistry:
    """Provider name → fetcher class."""

    def __init__(self) -> None:
        self._fetchers: dict[str, AnyFetcherClass] = {}

    def add(self, name: str, fetcher: AnyFetcherClass, *, replace: bool = False) -> None:
        """Register ``fetcher`` under ``name``; a second registration of a name fails unless ``replace``."""
        if not (isinstance(fetcher, type) and issubclass(fetcher, Fetcher)):
            raise ProviderConfigError(
                f"Provider '{name}' must be a Fetcher subclass, got {fetcher!r}.", source=name, item=name
            )
        current = self._fetchers.get(name)
        if current is not None and current is not fetcher and not replace:
            raise ProviderConfigError(
                f"Provider '{name}' is already registered ({current.__module__}.{current.__qualname__}).",
                source=name,
                item=name,
            )
        fetcher.provider = name
        self._fetchers[name] = fetcher

    def register(self, name: str) -> Callable[[F], F]:
        """Class decorator: ``@register("yahoo") class YahooFetcher(Fetcher[...]): ...``."""

        def decorate(cls: F) -> F:
            self.add(name, cls)
            return cls

        return decorate

    def get(self, name: str) -> AnyFetcherClass:
        """The fetcher class registered as ``name``."""
        try:
            return self._fetchers[name]
        except KeyError:
            known = ", ".join(sorted(self._fetchers)) or "none"
            raise ProviderConfigError(
                f"Unknown provider '{name}' (registered: {known}).", source=name, item=name
            ) from None

    def names(self) -> list[str]:
        """Registered provider names, sorted."""
        return sorted(self._fetchers)

    def __contains__(self, name: object) -> bool:
        return name in self._fetchers


REGISTRY = FetcherRegistry()
register = REGISTRY.register


def load_builtins() -> None:
    """Import the built-in provider modules (each registers itself on import)."""
    for module in BUILTIN_MODULES:
        importlib.import_module(module)


def load_entry_points(group: str = ENTRY_POINT_GROUP, registry: FetcherRegistry = REGISTRY) -> list[str]:
    """Register fetchers that installed packages advertise in the ``rotascope.providers`` entry points."""
    added = []
    for ep in entry_points(group=group):
        try:
            fetcher = ep.load()
        except Exception as exc:  # an outside package's import error must not look like ours
            raise ProviderConfigError(
                f"Provider plugin '{ep.name}' ({ep.value}) failed to load: {type(exc).__name__}: {exc}.",
                source=ep.name,
                item=ep.value,
            ) from None
        registry.add(ep.name, fetcher)
        added.append(ep.name)
    return added


def get_fetcher(name: str) -> AnyFetcherClass:
    """The fetcher class for a provider name, built-ins loaded first."""
    load_builtins()
    return REGISTRY.get(name)


def validate_query(model: type[M], params: Mapping[str, Any], source: str, item: str) -> M:
    """Build a pydantic query model from loose parameters; bad input raises one-sentence InvalidQuery."""
    try:
        return model.model_validate(dict(params))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "query"
        raise InvalidQuery(
            f"Invalid {source} request for {item}: {where}: {first['msg']}.", source=source, item=item
        ) from None
