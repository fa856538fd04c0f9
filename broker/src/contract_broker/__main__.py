"""``contract-broker``: run the broker (uvicorn, one log line per request)."""

from __future__ import annotations

import argparse
import logging
import os

import uvicorn

from contract_broker.main import create_app
from contract_broker.settings import get_settings


def main(argv: list[str] | None = None) -> None:
    """Serve until interrupted. Options override ``PACT_BROKER_*`` variables."""
    parser = argparse.ArgumentParser(prog="contract-broker", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9292)
    parser.add_argument("--database-url", help="SQLAlchemy URL (default: sqlite under .broker/)")
    parser.add_argument("--log-level", default="info")
    args = parser.parse_args(argv)
    if args.database_url:
        os.environ["PACT_BROKER_DATABASE_URL"] = args.database_url
    get_settings.cache_clear()
    settings = get_settings()
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    print(
        f"contract-broker on http://{args.host}:{args.port} ({_safe(settings.database_url)})",
        flush=True,
    )
    uvicorn.run(
        create_app(settings),
        host=args.host,
        port=args.port,
        access_log=False,
        log_level=args.log_level,
        timeout_graceful_shutdown=5,
    )


def _safe(url: str) -> str:
    """The database URL without its password."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


if __name__ == "__main__":
    main()
