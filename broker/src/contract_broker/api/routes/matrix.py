"""``GET /matrix`` and ``GET /can-i-deploy``."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["matrix"])
