"""``user-service``: run the service under uvicorn."""

from __future__ import annotations

import argparse
import gc
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn


def main(argv: list[str] | None = None) -> None:
    """Serve the app on the configured (or given) host and port."""
    with _collection_paused():
        # The app's imports: see _collection_paused.
        from user_service.main import create_app
        from user_service.settings import get_settings

        settings = get_settings()
        parser = argparse.ArgumentParser(prog="user-service", description=__doc__)
        parser.add_argument("--host", default=settings.host)
        parser.add_argument("--port", type=int, default=settings.port)
        args = parser.parse_args(argv)
        app = create_app()
    uvicorn.run(app, host=args.host, port=args.port, log_level="info")


@contextmanager
def _collection_paused() -> Iterator[None]:
    """No cyclic garbage collection while the app is imported and made; then its objects frozen.

    Importing FastAPI and the app makes objects that live as long as the process; each time
    their number grew by a quarter the collector walked all of them and freed nothing: 50 ms
    of a 0.25 s start, which every deploy waits for before its health check. Frozen
    (``gc.freeze``), they are left out of every later collection too.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()


if __name__ == "__main__":
    main()
