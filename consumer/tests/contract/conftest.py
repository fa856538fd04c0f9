"""The pact folder: cleaned of this pact once per run, so removed interactions never survive."""

from __future__ import annotations

from pathlib import Path

import pytest

from contract_terms import PACT_FILE_NAME


@pytest.fixture(scope="session")
def pact_dir(request: pytest.FixtureRequest) -> Path:
    """The folder the pact is written to, with last run's file for this pair removed."""
    directory = Path(request.config.getoption("--pact-dir")).resolve()
    directory.mkdir(parents=True, exist_ok=True)
    (directory / PACT_FILE_NAME).unlink(missing_ok=True)
    return directory
