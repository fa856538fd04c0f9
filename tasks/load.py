"""``invoke soak-broker`` and ``invoke fuzz-broker``: bounded load on a broker subprocess."""

from __future__ import annotations

from invoke.context import Context
from invoke.exceptions import Exit
from invoke.tasks import task

from tasks.tiers import BROKER, quote

__all__ = ["fuzz_broker", "soak_broker"]

DATABASE_HELP = (
    "SQLAlchemy URL of the database the broker uses, e.g. postgresql+psycopg://... "
    "(default: a fresh SQLite file in a temp dir)"
)
POSTGRES_HELP = "run on a throwaway PostgreSQL cluster (needs the server binaries)"


def _run(
    c: Context, module: str, args: list[str], *, postgres: bool, database_url: str, variable: str
) -> None:
    """Run ``python -m module`` in the broker tier; a non-zero exit becomes a one-line failure."""
    if postgres:
        if database_url:
            raise Exit("--database-url and --postgres exclude each other")
        args.append("--throwaway-postgres")
    # The URL goes through the environment, not the echoed command line: it may hold a password.
    env = {variable: database_url}
    result = BROKER.run(c, quote("python", "-m", module, *args), warn=True, **env)
    if result.exited != 0:
        raise Exit(f"{module} failed (exit {result.exited}): see the report above", result.exited)


@task(
    name="soak-broker",
    help={
        "seconds": "how long the traffic runs (default: 60)",
        "database_url": DATABASE_HELP,
        "postgres": POSTGRES_HELP,
        "clients": "client threads sending requests (default: 8)",
        "interval": "seconds per row of the table (default: 60, or a sixth of a shorter run)",
        "seed": "seed of the clients' choices (default: 1)",
    },
)
def soak_broker(
    c: Context,
    *,
    seconds: int = 60,
    database_url: str = "",
    postgres: bool = False,
    clients: int = 8,
    interval: int = 0,
    seed: int = 1,
) -> None:
    """Soak the broker: mixed pipeline traffic on 127.0.0.1; fails on any 5xx or wrong status."""
    args = [
        "--seconds", str(seconds), "--clients", str(clients),
        "--interval", str(interval), "--seed", str(seed),
    ]  # fmt: skip
    _run(
        c,
        "bench.soak",
        args,
        postgres=postgres,
        database_url=database_url,
        variable="SOAK_BROKER_DATABASE_URL",
    )


@task(
    name="fuzz-broker",
    help={
        "seconds": "schemathesis' time budget (default: 60)",
        "database_url": DATABASE_HELP,
        "postgres": POSTGRES_HELP,
        "max_examples": "examples per operation in each pass (default: 25)",
        "seed": "schemathesis' seed (default: 1)",
        "as_served": "fuzz the OpenAPI document exactly as served: no request bodies described",
    },
)
def fuzz_broker(
    c: Context,
    *,
    seconds: int = 60,
    database_url: str = "",
    postgres: bool = False,
    max_examples: int = 25,
    seed: int = 1,
    as_served: bool = False,
) -> None:
    """Fuzz the broker's OpenAPI document with schemathesis on 127.0.0.1; fails on any 5xx."""
    args = ["--seconds", str(seconds), "--max-examples", str(max_examples), "--seed", str(seed)]
    if as_served:
        args.append("--as-served")
    _run(
        c,
        "bench.fuzz",
        args,
        postgres=postgres,
        database_url=database_url,
        variable="FUZZ_BROKER_DATABASE_URL",
    )
