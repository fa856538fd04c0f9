"""user-service: the provider. Serves users over HTTP; knows nothing of Pact."""

from __future__ import annotations

from user_service.main import create_app

__all__ = ["create_app"]
