"""The consumer tier sees only what it declares: no web framework, no provider code."""

from __future__ import annotations

import importlib.util

import pytest


@pytest.mark.parametrize("module", ["fastapi", "uvicorn", "user_service", "user_service_contract"])
def test_provider_side_is_not_importable(module: str) -> None:
    assert importlib.util.find_spec(module) is None


def test_the_client_itself_is_importable() -> None:
    assert importlib.util.find_spec("billing_service") is not None
