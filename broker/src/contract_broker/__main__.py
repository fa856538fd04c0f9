"""``contract-broker``: run the broker (uvicorn; one process, or ``--workers N`` on one port)."""

from __future__ import annotations

import argparse
import gc
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn
from sqlalchemy.engine import make_url
from uvicorn.supervisors import Multiprocess

from contract_broker.settings import get_settings

__all__ = ["Supervisor", "listening_socket", "main", "served_app"]

LOG_FORMAT = "%(asctime)s [%(process)d] %(levelname)s %(name)s %(message)s"
"""Each record says which process wrote it: with ``--workers N`` several write one log."""


def main(argv: list[str] | None = None) -> None:
    """Serve until SIGTERM or Ctrl-C. Options override ``PACT_BROKER_*`` variables."""
    parser = argparse.ArgumentParser(prog="contract-broker", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9292)
    parser.add_argument("--database-url", help="SQLAlchemy URL (default: sqlite under .broker/)")
    parser.add_argument(
        "--workers",
        type=_positive,
        default=1,
        help="server processes sharing the port (default: 1); a worker that dies is replaced",
    )
    parser.add_argument("--log-level", default="info")
    args = parser.parse_args(argv)
    if args.database_url:
        # Through the environment: --workers N starts each worker process afresh, and each
        # reads its settings from there.
        os.environ["PACT_BROKER_DATABASE_URL"] = args.database_url
    get_settings.cache_clear()
    settings = get_settings()
    processes = "1 process" if args.workers == 1 else f"{args.workers} worker processes"
    print(
        f"contract-broker on http://{args.host}:{args.port} ({_safe(settings.database_url)}, "
        f"{processes})",
        flush=True,
    )
    config = uvicorn.Config(
        "contract_broker.__main__:served_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_config=_log_config(args.log_level),
        log_level=args.log_level,
        access_log=False,
        timeout_graceful_shutdown=max(1, round(settings.shutdown_timeout_seconds)),
    )
    if args.workers == 1:
        uvicorn.Server(config).run()
    else:
        Supervisor(config, sockets=[listening_socket(config)]).run()


def listening_socket(config: uvicorn.Config) -> socket.socket:
    """The socket the workers share, bound by uvicorn, marked as TCP (``IPPROTO_TCP``).

    uvicorn makes it with protocol 0, and asyncio sets ``TCP_NODELAY`` only on connections
    accepted from a socket whose protocol is ``IPPROTO_TCP``: without it every answer on a
    kept-alive connection waited ~40 ms for the client's delayed ACK (uvicorn issue 3149).
    """
    bound = config.bind_socket()
    tcp = socket.socket(bound.family, bound.type, socket.IPPROTO_TCP, fileno=bound.detach())
    tcp.set_inheritable(True)
    return tcp


class Supervisor(Multiprocess):
    """uvicorn's supervisor of worker processes, which also stops listening when it stops.

    The workers share the listening socket with the supervisor. Each worker closes its copy on
    SIGTERM, but uvicorn's supervisor keeps its own open until every worker has finished, so
    the kernel went on accepting connections nobody would serve: they were reset when the
    supervisor exited. Closing its copy first makes new connections fail at once (refused),
    so a client or load balancer tries another replica.
    """

    def terminate_all(self) -> None:
        for sock in self.sockets:
            sock.close()
        super().terminate_all()


def served_app() -> Any:
    """The app one server process serves, configured from the environment."""
    with _collection_paused():
        from contract_broker.main import create_app  # the app's imports: see _collection_paused

        return create_app(get_settings())


@contextmanager
def _collection_paused() -> Iterator[None]:
    """No cyclic garbage collection while the app is imported and made; then its objects frozen.

    Importing the app makes a few hundred thousand objects that live as long as the process;
    each time their number grew by a quarter the collector walked all of them and found nothing
    to free: ~0.1 s of a ~0.75 s start (before the broker answers, on every run of a pipeline).
    Frozen (``gc.freeze``), they are left out of every later collection too.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, got {number}")
    return number


def _log_config(level: str) -> dict[str, Any]:
    """One format for the broker's and uvicorn's records, in every worker process."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"plain": {"format": LOG_FORMAT}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "plain",
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"level": level.upper(), "handlers": ["stderr"]},
        # Alembic lists its plugins at INFO on every start; its "Running upgrade" lines stay.
        "loggers": {"alembic.runtime.plugins": {"level": "WARNING"}},
    }


def _safe(url: str) -> str:
    """The database URL without its password."""
    return make_url(url).render_as_string(hide_password=True)


if __name__ == "__main__":
    main()
