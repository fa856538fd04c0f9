"""Options shared by the consumer's test tiers."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--pact-dir",
        default=str(REPO_ROOT / "pacts"),
        help="where the contract tests write the pact (default: <repo>/pacts)",
    )
