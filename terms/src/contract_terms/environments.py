"""Deployment environments known to the broker and to `deploy/`."""

from __future__ import annotations

TEST = "test"
PRODUCTION = "production"

ENVIRONMENTS: tuple[str, ...] = (TEST, PRODUCTION)
"""In promotion order: a version reaches production only through test."""
