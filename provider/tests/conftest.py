"""Options shared by the provider's test tiers."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--pact-dir",
        default=str(REPO_ROOT / "pacts"),
        help="the consumer pacts to verify (default: <repo>/pacts, written by contract-consumer)",
    )
