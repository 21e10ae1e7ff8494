"""Property-based fuzzing of the OpenAPI schema (schemathesis, in-process ASGI) against the real store.

Every operation gets generated valid and invalid inputs (dates, lookbacks, symbols, ids); the app must
never answer 5xx, must answer only with status codes and bodies its schema documents, and errors must be
the one-sentence ``{"detail": ...}`` shape. The number of examples is bounded so the run stays well under
a minute; the POST operations write only to a private copy of the store.
"""

from __future__ import annotations

import tempfile
from dataclasses import replace
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from rotascope.config import Settings, load_settings
from rotascope.monitor.run import Monitor
from rotascope.web.app import create_app
from storecopy import private_home

MAX_EXAMPLES = 20
# Hypothesis keeps caches in ./.hypothesis; put them in a temporary folder instead of the work tree.
set_hypothesis_home_dir(tempfile.mkdtemp(prefix="rotascope-hypothesis-"))


@pytest.fixture(scope="module")
def web_schema(loaded_settings: Settings, monitor: Monitor, tmp_path_factory: pytest.TempPathFactory) -> Any:
    home = private_home(loaded_settings, tmp_path_factory.mktemp("web-fuzz"))
    # the Host allow-list has its own tests (test_web_guard): the fuzzer's client may name any host
    settings = replace(loaded_settings, home=home, db=home / "rotascope.duckdb", web_allowed_hosts="*")
    app = create_app(settings, monitor)
    return schemathesis.openapi.from_asgi("/api/openapi.json", app)


def _operations() -> list[tuple[str, str]]:
    """(METHOD, path) of every API operation, read from the schema of an app on no store (no I/O)."""
    spec = create_app(load_settings({"home": "/nonexistent-rotascope-home"}, env={})).openapi()
    return [(method.upper(), path) for path, ops in spec["paths"].items() for method in ops]


@pytest.mark.parametrize(("method", "path"), _operations())
def test_api_never_answers_5xx(web_schema: Any, method: str, path: str) -> None:
    """Valid and invalid inputs for one operation: no 5xx, only documented answers, one-sentence errors."""
    operation = web_schema[path][method]
    cases = st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE)
    )

    @given(case=cases)
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,  # no .hypothesis/ folder in the work tree
        derandomize=True,  # the same examples on every run: a failure reproduces
        suppress_health_check=list(HealthCheck),
    )
    def check(case: Any) -> None:
        response = case.call_and_validate(
            checks=[
                not_a_server_error,
                status_code_conformance,
                content_type_conformance,
                response_schema_conformance,
            ]
        )
        if response.status_code >= 400:
            detail = response.json()["detail"]
            assert isinstance(detail, str) and detail.endswith(".") and "\n" not in detail, detail

    check()
