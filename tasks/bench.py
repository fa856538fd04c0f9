"""``invoke bench-broker``: the broker's latency and SQL per request on a large seeded database."""

from __future__ import annotations

from invoke.context import Context
from invoke.tasks import task

from tasks.tiers import BROKER, quote

__all__ = ["bench_broker"]

SCRIPT = "bench/bench_broker.py"


@task(
    name="bench-broker",
    help={
        "consumers": "consumers to seed (default: 20)",
        "consumer_versions": "versions of each consumer (default: 500)",
        "providers": "providers to seed (default: 5)",
        "provider_versions": "versions of each provider (default: 1000)",
        "verifications": "verification results to seed (default: 100000)",
        "requests": "measured requests per operation, after a warm-up (default: 200)",
        "database_url": "SQLAlchemy URL of an EMPTY database to fill, e.g. "
        "postgresql+psycopg://... (default: a fresh SQLite file in a temp dir)",
        "postgres": "run on a throwaway PostgreSQL cluster (needs the server binaries)",
        "compare_small": "also measure a small dataset and compare SQL statements per request "
        "(default: on; --no-compare-small skips it)",
        "profile": "then show where each operation's time goes: SQL by statement, Python by "
        "function",
    },
)
def bench_broker(
    c: Context,
    *,
    consumers: int = 20,
    consumer_versions: int = 500,
    providers: int = 5,
    provider_versions: int = 1000,
    verifications: int = 100_000,
    requests: int = 200,
    database_url: str = "",
    postgres: bool = False,
    compare_small: bool = True,
    profile: bool = False,
) -> None:
    """Benchmark the broker: p50/p95/max and SQL statements per request on a seeded database."""
    args = [
        "python", SCRIPT,
        "--consumers", str(consumers),
        "--consumer-versions", str(consumer_versions),
        "--providers", str(providers),
        "--provider-versions", str(provider_versions),
        "--verifications", str(verifications),
        "--requests", str(requests),
    ]  # fmt: skip
    if postgres:
        args.append("--throwaway-postgres")
    if not compare_small:
        args.append("--no-compare-small")
    if profile:
        args.append("--profile")
    # The URL goes through the environment (the script's BENCH_BROKER_DATABASE_URL), not the
    # echoed command line: it may hold a password.
    BROKER.run(c, quote(*args), BENCH_BROKER_DATABASE_URL=database_url)
