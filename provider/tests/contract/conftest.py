"""The consumer pacts the provider is verified against."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def pact_dir(request: pytest.FixtureRequest) -> Path:
    return Path(request.config.getoption("--pact-dir")).resolve()
