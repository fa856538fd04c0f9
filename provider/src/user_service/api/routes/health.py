"""``GET /health`` for deploy health checks."""

from __future__ import annotations

from fastapi import APIRouter

from user_service.settings import get_settings

router = APIRouter(tags=["health"])


@router.get("/health")
def health() -> dict[str, str]:
    """Answers as soon as the app serves requests; names the running version."""
    return {"status": "ok", "version": get_settings().version}
