"""Deployed apps and cached tiers see a strict environment.

A deployed app gets the tier's allow-listed environment without the broker's settings: no
``PACT_BROKER_*`` and none of the caller's leftovers (a canary ``sitecustomize.py`` on
``PYTHONPATH``). A cached tier's commands see the basics and the variables its digest covers,
nothing else, so a result recorded in one shell is never reused where another would differ.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from invoke.config import Config
from invoke.context import Context

from deploy import rollout
from deploy.config import DEFAULT_CONFIG, load_config
from deploy.rollout import Site, app_env, roll_out
from tasks.cache import run_cached
from tasks.inputs import INPUTS, digest
from tasks.tiers import BASIC_NAMES, BASIC_PREFIXES, BROKER, PROVIDER, tier_env

pytestmark = pytest.mark.usefixtures("collect_invoke_pipes")
QUIET = Context(Config(overrides={"run": {"hide": True, "echo": False, "in_stream": False}}))
SHOW = "import json, os, sys; print(json.dumps({'env': dict(os.environ), 'path': sys.path}))"
TOKEN = "secret-broker-token"
# Allowed for an ordinary tier, undeclared by every cached one.
UNDECLARED = {
    "PACT_BROKER_TOKEN": TOKEN,
    "PACT_BROKER_BASE_URL": "http://127.0.0.1:9",
    "GITHUB_TOKEN": "secret-github-token",
    "GIT_COMMIT": "abc123",
    "CI": "true",
    "TZ": "Pacific/Chatham",
    "BROKER_TEST_SOMETHING": "1",
}
STRICT = (
    "unit-consumer",
    "unit-provider",
    "unit-broker",
    "contract-consumer",
    "provider-openapi",
    "provider-self-verification",
)
# What every tier's commands get on purpose, whatever the caller's shell holds.
SET_BY_TIERS = {"PACT_DO_NOT_TRACK", "UV_COMPILE_BYTECODE", "UV_PROJECT_ENVIRONMENT", "VIRTUAL_ENV"}


@pytest.fixture
def canary(sitecustomize_canary: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A ``sitecustomize.py`` on ``PYTHONPATH`` that leaves a mark (returned) when imported, and
    the broker's token and the other undeclared variables in the caller's environment."""
    for name, value in UNDECLARED.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("PYTEST_ADDOPTS", "-q")
    return sitecustomize_canary


def _shown(argv: list[str], *, cwd: Path, env: dict[str, str]) -> dict[str, Any]:
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, check=True)
    shown: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return shown


# --- deploy ---------------------------------------------------------------------------------


def test_a_deployed_app_sees_neither_the_callers_leftovers_nor_the_broker(canary: Path) -> None:
    seen = _shown(
        [*PROVIDER.uv_run(), "python", "-c", SHOW],
        cwd=PROVIDER.directory,
        env=app_env(PROVIDER, USER_SERVICE_VERSION="1.2.3"),
    )

    assert not canary.exists(), "the PYTHONPATH canary was imported"
    assert "PYTHONPATH" not in seen["env"]
    assert not any("canary" in entry for entry in seen["path"])
    assert not [name for name in seen["env"] if name.startswith("PACT_BROKER_")]
    assert TOKEN not in json.dumps(seen)
    assert seen["env"]["USER_SERVICE_VERSION"] == "1.2.3"
    assert seen["env"]["UV_PROJECT_ENVIRONMENT"] == str(PROVIDER.venv)


class _Started(Exception):
    pass


def test_roll_out_starts_and_prepares_the_app_with_that_environment(
    canary: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = DEFAULT_CONFIG.read_text().replace(
        'state_dir = ".deploy"', f'state_dir = "{tmp_path / "deploy"}"'
    )
    config = tmp_path / "environments.toml"
    config.write_text(text)
    site = Site(load_config(config), "test")
    service = site.config.service("user-service")
    envs: dict[str, dict[str, str]] = {}

    def prepared(argv: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        envs["prepare"] = kwargs["env"]
        return subprocess.CompletedProcess(argv, 0, "", "")

    def start(argv: list[str], **kwargs: Any) -> None:
        envs["start"] = kwargs["env"]
        raise _Started

    monkeypatch.setattr(rollout, "subprocess", SimpleNamespace(run=prepared))
    monkeypatch.setattr(rollout, "_free_slot", lambda *_: 1)
    monkeypatch.setattr(rollout, "start", start)
    with pytest.raises(_Started):
        roll_out(site, service, version="1.2.3", timeout=1)

    assert envs["prepare"] == app_env(PROVIDER)
    assert envs["start"] == app_env(PROVIDER, USER_SERVICE_VERSION="1.2.3")
    for env in envs.values():
        assert "PYTHONPATH" not in env
        assert not [name for name in env if name.startswith("PACT_BROKER_")]


# --- cached tiers ---------------------------------------------------------------------------


def test_the_cached_tiers_are_strict_and_the_others_are_not() -> None:
    assert {name for name, tier in INPUTS.items() if tier.strict} == set(STRICT)
    assert not INPUTS["provider-verify"].strict


def _from_the_caller(env: dict[str, str]) -> set[str]:
    return {
        name
        for name in env
        if name not in SET_BY_TIERS
        and name not in BASIC_NAMES
        and not name.startswith(BASIC_PREFIXES)
    }


@pytest.mark.parametrize("name", STRICT)
def test_a_cached_tier_gets_the_basics_and_exactly_its_declared_names(
    name: str, canary: Path
) -> None:
    inputs = INPUTS[name]
    with inputs.environment():
        env = tier_env(PROVIDER)

    assert _from_the_caller(env) == {n for n in inputs.env if n in env}
    assert not set(UNDECLARED) & set(env)
    assert "PYTHONPATH" not in env
    assert "PATH" in env
    assert "HOME" in env
    # Outside, the same tier's commands see the whole allow-list, as before.
    assert set(UNDECLARED) <= set(tier_env(PROVIDER))


def test_a_cached_tiers_process_does_not_see_an_undeclared_variable(canary: Path) -> None:
    with INPUTS["unit-broker"].environment():
        seen = json.loads(BROKER.run(QUIET, f"python -c {SHOW!r}").stdout.strip().splitlines()[-1])

    assert not canary.exists()
    assert not set(UNDECLARED) & set(seen["env"])
    assert TOKEN not in json.dumps(seen)
    assert seen["env"]["PYTEST_ADDOPTS"] == "-q"  # declared: its digest covers it
    assert seen["env"]["UV_PROJECT_ENVIRONMENT"] == str(BROKER.venv)


@pytest.mark.parametrize("name", STRICT)
def test_the_digest_follows_the_declared_names_and_nothing_else(name: str) -> None:
    inputs = INPUTS[name]
    base = {"PATH": "/usr/bin", "HOME": "/home/someone"}
    before = digest(inputs, environ=base)

    assert digest(inputs, environ={**base, **UNDECLARED}) == before
    for declared in inputs.env:
        assert digest(inputs, environ={**base, declared: "-x"}) != before
        assert digest(inputs, environ={**base, declared: "-q"}) != digest(
            inputs, environ={**base, declared: "-x"}
        )


def test_run_cached_runs_a_strict_tier_in_its_declared_environment(
    canary: Path, tmp_path: Path
) -> None:
    seen: dict[str, str] = {}
    run_cached(
        INPUTS["unit-broker"], lambda: seen.update(tier_env(BROKER)), store=tmp_path, no_cache=True
    )

    assert seen
    assert not set(UNDECLARED) & set(seen)
