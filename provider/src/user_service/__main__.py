"""``user-service``: run the service under uvicorn."""

from __future__ import annotations

import argparse

import uvicorn

from user_service.main import create_app
from user_service.settings import get_settings


def main(argv: list[str] | None = None) -> None:
    """Serve the app on the configured (or given) host and port."""
    settings = get_settings()
    parser = argparse.ArgumentParser(prog="user-service", description=__doc__)
    parser.add_argument("--host", default=settings.host)
    parser.add_argument("--port", type=int, default=settings.port)
    args = parser.parse_args(argv)
    uvicorn.run(create_app(), host=args.host, port=args.port, log_level="info")


if __name__ == "__main__":
    main()
