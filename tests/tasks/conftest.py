"""Fixtures for the tasks' tests: throwaway git repositories, a clean environment, and
``invoke`` run as a subprocess the way a shell or CI job runs it."""

from __future__ import annotations

import gc
import json
import os
import socket
import subprocess
import sys
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from contract_terms import BILLING_SERVICE, UNKNOWN_USER_ID, USER_DOES_NOT_EXIST, USER_SERVICE
from tasks.tiers import REPO

# Everything the tasks read from the environment: cleared so the developer's shell or the CI
# runner cannot change what a test sees.
SCRUBBED_PREFIXES = ("PACT_BROKER_", "GIT_", "GITHUB_")
SCRUBBED_NAMES = ("CI", "PACT_WIP_SINCE")


@dataclass(frozen=True)
class Ran:
    """One ``invoke`` run: exit status and output."""

    exited: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return (self.stdout + self.stderr).strip()


def scrubbed_environ(**extra: str) -> dict[str, str]:
    """``os.environ`` without broker, git or CI settings, plus ``extra``."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(SCRUBBED_PREFIXES) and k not in SCRUBBED_NAMES
    }
    env["PACT_DO_NOT_TRACK"] = "true"
    return {**env, **extra}


@pytest.fixture
def invoke() -> Callable[..., Ran]:
    """``invoke(*args, env={...})`` runs ``invoke ARGS`` from the repository root.

    The root environment's interpreter is the one ``uv run invoke`` uses; running it directly
    keeps ``uv`` from syncing (and printing) anything in the middle of a test.
    """

    def run(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> Ran:
        done = subprocess.run(
            [sys.executable, "-m", "invoke", *args],
            cwd=REPO,
            env=scrubbed_environ(**(env or {})),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        return Ran(done.returncode, done.stdout, done.stderr)

    return run


@pytest.fixture
def pact_cli() -> Callable[..., subprocess.CompletedProcess[str]]:
    """``pact_cli(base_url, command, *args)`` runs ``pact broker COMMAND`` with one retry."""
    binary = str(Path(sys.executable).with_name("pact"))

    def run(base_url: str, command: str, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [binary, "broker", command, *args, "--retries", "1"],
            env=scrubbed_environ(PACT_BROKER_BASE_URL=base_url),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    return run


@pytest.fixture
def closed_port_url() -> str:
    """The URL of a loopback port nothing listens on."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


IDENTITY = (
    "-c",
    "user.name=Test",
    "-c",
    "user.email=test@example.com",
    "-c",
    "commit.gpgsign=false",
)


def _git(repo: Path, *args: str) -> str:
    """Run git in ``repo`` with a fixed identity; its stdout."""
    done = subprocess.run(
        ["git", *IDENTITY, *args],
        cwd=repo,
        env=scrubbed_environ(),
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


@pytest.fixture
def git() -> Callable[..., str]:
    """``git(repo, *args)``: run git in ``repo`` (fixed identity, no signing); its stdout."""
    return _git


@pytest.fixture
def git_repo(tmp_path: Path) -> Path:
    """A git repository on branch ``main`` with one commit (a tracked file, an ignore rule)."""
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "--quiet", "--initial-branch=main")
    (repo / "tracked.txt").write_text("first\n")
    (repo / ".gitignore").write_text("ignored/\n")
    _git(repo, "add", ".")
    _git(repo, "commit", "--quiet", "-m", "first")
    return repo


@pytest.fixture
def pact_dir(tmp_path: Path) -> Path:
    """A folder with one small, real pact: billing-service asks user-service for an unknown user.

    The provider really answers it (404 in the state ``USER_DOES_NOT_EXIST``), so it verifies.
    """
    folder = tmp_path / "pacts"
    folder.mkdir()
    pact = {
        "consumer": {"name": BILLING_SERVICE},
        "provider": {"name": USER_SERVICE},
        "interactions": [
            {
                "description": "a request for an unknown user",
                "providerStates": [
                    {"name": USER_DOES_NOT_EXIST, "params": {"id": UNKNOWN_USER_ID}}
                ],
                "request": {"method": "GET", "path": f"/users/{UNKNOWN_USER_ID}"},
                "response": {"status": 404},
            }
        ],
        "metadata": {"pactSpecification": {"version": "3.0.0"}},
    }
    (folder / f"{BILLING_SERVICE}-{USER_SERVICE}.json").write_text(json.dumps(pact, indent=2))
    return folder


@pytest.fixture
def collect_invoke_pipes() -> Iterator[None]:
    """Invoke leaves its runners' pipes to the garbage collector: collect them after the test,
    quietly, rather than at the end of the session, where ``filterwarnings = error`` fails the
    run. (For modules that run tier commands through invoke: ``pytest.mark.usefixtures``.)"""
    yield
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()


@pytest.fixture
def sitecustomize_canary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder on ``PYTHONPATH`` whose ``sitecustomize.py`` leaves a mark when a Python process
    imports it; the mark's path (absent until then) is returned."""
    folder = tmp_path / "canary"
    folder.mkdir()
    mark = tmp_path / "imported"
    (folder / "sitecustomize.py").write_text(f"open({str(mark)!r}, 'w').close()\n")
    monkeypatch.setenv("PYTHONPATH", str(folder))
    return mark
