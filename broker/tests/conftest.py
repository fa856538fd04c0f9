"""Broker test fixtures: a database per test (SQLite, or PostgreSQL with --database=postgresql),
a live broker, and the official ``pact`` CLI pointed at it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from contract_broker.settings import Settings

from .support.cli import PactCli
from .support.server import LiveBroker

REPO_ROOT = Path(__file__).resolve().parents[2]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--database",
        choices=["sqlite", "postgresql"],
        default="sqlite",
        help="database the broker tests run on (postgresql starts a throwaway cluster)",
    )
    parser.addoption("--pact-dir", default=str(REPO_ROOT / "pacts"), help="unused here")


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[Any]:
    """A throwaway PostgreSQL cluster for the session (only with --database=postgresql)."""
    from .support.postgres import ThrowawayPostgres

    server = ThrowawayPostgres()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database for one test."""
    if request.config.getoption("--database") == "postgresql":
        server = request.getfixturevalue("postgres_server")
        url: str = server.create_database()
        return url
    return f"sqlite:///{tmp_path / 'broker.sqlite'}"


@pytest.fixture
def make_broker(database_url: str) -> Iterator[Callable[..., LiveBroker]]:
    """Start a broker with settings overrides; all are stopped after the test."""
    started: list[LiveBroker] = []

    def make(**overrides: Any) -> LiveBroker:
        settings = Settings(
            _env_file=None,
            **{"database_url": database_url, "webhook_worker_enabled": False, **overrides},
        )
        broker = LiveBroker(settings).start()
        started.append(broker)
        return broker

    yield make
    for broker in started:
        broker.stop()


@pytest.fixture
def broker(make_broker: Callable[..., LiveBroker]) -> LiveBroker:
    """A broker with default settings (no auth) on a fresh database."""
    return make_broker()


@pytest.fixture
def pact(broker: LiveBroker) -> PactCli:
    """``pact(command, *args)`` runs ``pact broker command`` against ``broker``."""
    return PactCli(broker.url)


@pytest.fixture(scope="session")
def pact_file() -> Path:
    """A pact between billing-service and user-service, as the consumer tests write it."""
    return Path(__file__).parent / "data" / "billing-service-user-service.json"
