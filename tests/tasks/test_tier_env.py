"""Tiers see only an allow-listed environment: a canary ``sitecustomize.py`` on ``PYTHONPATH``
and the other shell leftovers never reach a tier's processes or the pact CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from invoke.config import Config
from invoke.context import Context

from tasks import brokercli
from tasks.tiers import TIERS, Tier, tier_env

LEFTOVERS = {
    "PYTHONSTARTUP": "/nowhere/startup.py",
    "PIP_INDEX_URL": "http://127.0.0.1:9/simple",
    "VIRTUAL_ENV": "/nowhere/venv",
    "SOME_SHELL_LEFTOVER": "1",
}
pytestmark = pytest.mark.usefixtures("collect_invoke_pipes")
QUIET = Context(Config(overrides={"run": {"hide": True, "echo": False, "in_stream": False}}))
SHOW = "import json, os, sys; print(json.dumps({'env': dict(os.environ), 'path': sys.path}))"


@pytest.fixture
def canary(sitecustomize_canary: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder on ``PYTHONPATH`` whose ``sitecustomize.py`` leaves a mark when imported; the
    mark's path is returned. The other leftovers are set too."""
    for name, value in LEFTOVERS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("PACT_BROKER_BASE_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("GIT_COMMIT", "abc123")
    return sitecustomize_canary


def test_the_canary_is_imported_when_it_is_reached(canary: Path) -> None:
    # Proves the test below can fail: a plain interpreter with the caller's env imports it.
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    assert canary.exists()


@pytest.mark.parametrize("tier", TIERS, ids=lambda t: t.name)
def test_no_tier_process_sees_the_callers_leftovers(tier: Tier, canary: Path) -> None:
    result = tier.run(QUIET, f"python -c {SHOW!r}")

    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert not canary.exists(), f"{tier.name}: the PYTHONPATH canary was imported"
    assert "PYTHONPATH" not in seen["env"]
    # uv run sets VIRTUAL_ENV to the tier's own environment, never the caller's.
    assert seen["env"].get("VIRTUAL_ENV") == str(tier.venv)
    assert not (set(LEFTOVERS) - {"VIRTUAL_ENV"}) & set(seen["env"])
    assert not any("canary" in entry for entry in seen["path"])
    # What a tier declares still gets through: Pact's and git's variables, its own venv.
    assert seen["env"]["PACT_BROKER_BASE_URL"] == "http://127.0.0.1:9"
    assert seen["env"]["GIT_COMMIT"] == "abc123"
    assert seen["env"]["PACT_DO_NOT_TRACK"] == "true"
    assert seen["env"]["UV_PROJECT_ENVIRONMENT"] == str(tier.venv)


def test_the_pact_cli_runs_with_the_allow_listed_environment_only(
    canary: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[dict[str, Any]] = []
    real_run = subprocess.run

    def recording(*args: Any, **kwargs: Any) -> Any:
        calls.append(kwargs)
        return real_run(*args, **kwargs)

    monkeypatch.setattr(brokercli.subprocess, "run", recording)
    outcome = brokercli.pact_broker(Context(), "--help")  # any command: the env is the point

    (call,) = calls
    assert outcome.exited == 0, outcome.output
    assert "PYTHONPATH" not in call["env"]
    assert not set(LEFTOVERS) & set(call["env"])
    assert call["env"]["PACT_BROKER_BASE_URL"] == "http://127.0.0.1:9"


def test_the_allow_list_keeps_locale_uv_and_ci_names(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("LC_ALL", "UV_CACHE_DIR", "CI", "GITHUB_SHA", "BROKER_TEST_POSTGRESQL"):
        monkeypatch.setenv(name, "kept")
    monkeypatch.setenv("PYTHONHOME", "/nowhere")

    env = tier_env()

    assert {env[n] for n in ("LC_ALL", "UV_CACHE_DIR", "CI", "GITHUB_SHA")} == {"kept"}
    assert env["BROKER_TEST_POSTGRESQL"] == "kept"
    assert "PYTHONHOME" not in env
    assert "UV_PROJECT_ENVIRONMENT" not in env
