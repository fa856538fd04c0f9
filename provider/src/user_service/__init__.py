"""user-service: the provider. Serves users over HTTP; knows nothing of Pact."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from user_service.main import create_app

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    # ``create_app`` on first use: ``user-service`` imports the app itself, with the collector
    # paused (``user_service.__main__``), not as a side effect of importing the package.
    if name == "create_app":
        from user_service.main import create_app

        return create_app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
