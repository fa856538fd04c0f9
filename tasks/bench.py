"""``invoke bench-broker``: the broker's latency, SQL per request and publish throughput on a large
seeded database, in-process and served by broker processes."""

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
        "workers": "broker processes sharing one port in the served pass (default: 1)",
        "replicas": "separate brokers on their own ports, taken in turn like a load balancer "
        "(default: 1)",
        "configurations": "several served configurations one after another on the same "
        "database instead of --workers/--replicas, e.g. 1w,2w,2r (Nw: N workers; Nr: N "
        "replicas; 2r2w: both)",
        "publishers": "concurrent clients publishing for the throughput figure (default: 8)",
        "publish_seconds": "measured seconds of concurrent publishing (default: 10)",
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
    workers: int = 1,
    replicas: int = 1,
    configurations: str = "",
    publishers: int = 8,
    publish_seconds: float = 10.0,
) -> None:
    """Benchmark the broker: p50/p95/max, SQL per request, publishes/s on a seeded database."""
    args = [
        "python", SCRIPT,
        "--consumers", str(consumers),
        "--consumer-versions", str(consumer_versions),
        "--providers", str(providers),
        "--provider-versions", str(provider_versions),
        "--verifications", str(verifications),
        "--requests", str(requests),
        "--workers", str(workers),
        "--replicas", str(replicas),
        "--publishers", str(publishers),
        "--publish-seconds", str(publish_seconds),
    ]  # fmt: skip
    if configurations:
        args += ["--configurations", configurations]
    if postgres:
        args.append("--throwaway-postgres")
    if not compare_small:
        args.append("--no-compare-small")
    if profile:
        args.append("--profile")
    # The URL goes through the environment (the script's BENCH_BROKER_DATABASE_URL), not the
    # echoed command line: it may hold a password.
    BROKER.run(c, quote(*args), BENCH_BROKER_DATABASE_URL=database_url)
