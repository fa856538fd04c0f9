"""Each tier runs in its own uv environment synced exactly from the one lock.

``.venv-consumer`` has billing-service and pact-python but no FastAPI; ``.venv-provider`` has
user-service and its verification harness but no consumer; ``.venv-broker`` has the broker and
the official clients its tests drive. A tier sees only what it declares, and only an allow-listed
environment (``tier_env``): ``PYTHONPATH``, ``PYTHONSTARTUP``, ``PIP_*``, ``VIRTUAL_ENV`` and other
shell leftovers never reach it, like Bazel's strict action environment. A cached tier's
commands (``declared_only``) see less still: the basics and the names its digest covers.
"""

from __future__ import annotations

import os
import shlex
import subprocess
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path

from invoke.context import Context
from invoke.exceptions import Exit
from invoke.runners import Result

__all__ = [
    "ALLOWED_NAMES",
    "ALLOWED_PREFIXES",
    "BASIC_NAMES",
    "BASIC_PREFIXES",
    "BROKER",
    "CONSUMER",
    "PACT_DIR",
    "PROVIDER",
    "REPO",
    "TIERS",
    "Tier",
    "TierSyncError",
    "declared_only",
    "quote",
    "sync_all",
    "synced",
    "tier_env",
]

REPO = Path(__file__).resolve().parent.parent
PACT_DIR = REPO / "pacts"


# Tiers whose environments ``synced`` made exact from the lock for the block running now.
_SYNCED: set[str] = set()


class TierSyncError(Exit):
    """``uv sync`` could not make a tier's environment exact from the lock (one line: why)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)


@dataclass(frozen=True)
class Tier:
    """A workspace member and the environment its tier runs in."""

    name: str
    package: str
    directory: Path
    groups: tuple[str, ...] = ("test",)

    @property
    def venv(self) -> Path:
        return REPO / f".venv-{self.name}"

    def uv_run(self) -> list[str]:
        """The ``uv run`` argv that runs what follows it in this tier's environment.

        It syncs the environment exactly from the lock first, unless ``synced`` did that for the
        block running now: then what follows runs straight from the environment, as ``uv run
        --no-sync`` would run it, without a second lock check and sync or uv's own start-up
        (``tier_env`` puts its ``bin`` first on ``PATH``; the prefix names it in the echo).
        """
        if self.name in _SYNCED:
            return ["env", f"VIRTUAL_ENV={self.venv}"]
        return ["uv", "run", *self._sync_flags(), "--"]

    def _sync_flags(self) -> list[str]:
        flags = ["--quiet", "--locked", "--exact", "--package", self.package]
        return flags + [arg for g in self.groups for arg in ("--group", g)]

    def sync(self) -> None:
        """``uv sync`` this tier's environment exactly from the lock; ``TierSyncError`` if not.

        ``uv sync --check`` first: an environment that is already exact is left alone. A real
        sync compiles the bytecode of the whole environment again (``UV_COMPILE_BYTECODE``),
        which is most of its time when nothing changed.
        """
        env = tier_env(self)
        check = subprocess.run(
            ["uv", "sync", "--check", *self._sync_flags()],
            cwd=self.directory,
            env=env,
            capture_output=True,
            check=False,
        )
        if check.returncode == 0:
            return
        done = subprocess.run(
            ["uv", "sync", *self._sync_flags()],
            cwd=self.directory,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode:
            reason = (done.stderr.strip().splitlines() or ["no output"])[0]
            raise TierSyncError(f"cannot sync the {self.name} tier's environment: {reason}")

    def run(self, c: Context, command: str, *, warn: bool = False, **env: str) -> Result:
        """Run ``command`` (a shell string) inside this tier's environment, from its folder."""
        with c.cd(str(self.directory)):
            result = c.run(
                f"{quote(*self.uv_run())} {command}",
                env=tier_env(self, **env),
                replace_env=True,
                warn=warn,
            )
        assert result is not None
        return result


# What a tier may see of the caller's environment; everything else is dropped.
ALLOWED_NAMES = frozenset(
    {
        "PATH", "HOME", "USER", "LOGNAME", "SHELL", "LANG", "LANGUAGE", "TERM", "TZ",
        "TMPDIR", "TEMP", "TMP", "CI", "NO_COLOR", "FORCE_COLOR", "COLUMNS",
        # the network the tools need to reach a broker or a package index
        "SSL_CERT_FILE", "SSL_CERT_DIR", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY",
        "http_proxy", "https_proxy", "no_proxy",
        # the broker's page tests: where Chromium is
        "CHROMIUM_PATH",
        # pytest's own options, declared: a tier's result depends on them (tests select with it)
        "PYTEST_ADDOPTS",
    }
)  # fmt: skip
ALLOWED_PREFIXES = (
    "LC_",  # locale
    "PACT_",  # Pact's own variables: broker URL and credentials, retries, WIP, tracking
    "GIT_",  # the version and branch to publish as
    "GITHUB_",  # the same on GitHub, and the webhook's token
    "UV_",  # uv's own settings (cache, index, offline)
    "XDG_",  # where uv and the tools keep their caches
    "BROKER_TEST_",  # the broker suite: PostgreSQL and browser required or optional
    "PLAYWRIGHT_",  # the browser tests' driver
)


# What a cached tier sees of the caller's environment besides the names it declares: what the
# tools need to run at all, none of which can change a tier's result (its digest skips them).
BASIC_NAMES = frozenset(
    {
        "PATH", "HOME", "USER", "LOGNAME", "SHELL", "LANG", "LANGUAGE", "TERM",
        "TMPDIR", "TEMP", "TMP", "NO_COLOR", "FORCE_COLOR", "COLUMNS",
        "SSL_CERT_FILE", "SSL_CERT_DIR", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY",
        "http_proxy", "https_proxy", "no_proxy",
    }
)  # fmt: skip
BASIC_PREFIXES = ("LC_", "UV_", "XDG_")

# The names the cached tier running now declares (``declared_only``); None: not a cached tier.
_DECLARED: ContextVar[frozenset[str] | None] = ContextVar("_DECLARED", default=None)


@contextmanager
def declared_only(names: Iterable[str]) -> Iterator[None]:
    """Inside the block, tier commands run as a cached tier's: they see only the basics
    (``BASIC_NAMES``, ``BASIC_PREFIXES``) and ``names``, the variables its digest covers.

    Nothing else the caller's shell holds (``PACT_BROKER_*``, ``GITHUB_*``, ``CI``, ``TZ`` ...)
    can then change a result that is reused wherever the digest matches.
    """
    token = _DECLARED.set(frozenset(names))
    try:
        yield
    finally:
        _DECLARED.reset(token)


def _seen(name: str) -> bool:
    declared = _DECLARED.get()
    if declared is None:
        return name in ALLOWED_NAMES or name.startswith(ALLOWED_PREFIXES)
    return name in declared or name in BASIC_NAMES or name.startswith(BASIC_PREFIXES)


def tier_env(tier: Tier | None = None, **extra: str) -> dict[str, str]:
    """The whole environment of a tier's commands (run them with ``replace_env=True``).

    The allow-listed part of ``os.environ`` (inside ``declared_only``: the basics and the
    declared names), no tracking, and the tier's own venv; ``extra`` is what the caller passes
    on purpose.
    """
    env = {name: value for name, value in os.environ.items() if _seen(name)}
    env.update({"PACT_DO_NOT_TRACK": "true", "UV_COMPILE_BYTECODE": "1", **extra})
    if tier is not None:
        env["UV_PROJECT_ENVIRONMENT"] = str(tier.venv)
        if tier.name in _SYNCED:  # its commands run straight from it (``Tier.uv_run``)
            env["VIRTUAL_ENV"] = str(tier.venv)
            env["PATH"] = os.pathsep.join([str(tier.venv / "bin"), env.get("PATH", os.defpath)])
    else:
        env.pop("UV_PROJECT_ENVIRONMENT", None)
    return env


def sync_all(tiers: Iterable[Tier]) -> None:
    """Sync each tier's environment exactly from the lock, all at once (``TierSyncError``: the
    first that failed, after all ended)."""
    wanted = list(tiers)
    with ThreadPoolExecutor(max_workers=max(len(wanted), 1)) as pool:
        for future in [pool.submit(tier.sync) for tier in wanted]:
            future.result()


@contextmanager
def synced(tiers: Iterable[Tier], *, already: bool = False) -> Iterator[None]:
    """Sync ``tiers`` exactly from the lock (all at once); inside the block their commands run
    in those environments without syncing again. ``already``: ``sync_all`` just synced them.

    For one pipeline run (``invoke ci``): the lock and the environments are checked once, not
    before each of a tier's commands. Nothing in the block may change the lock.
    """
    wanted = [tier for tier in tiers if tier.name not in _SYNCED]
    if not already:
        sync_all(wanted)
    _SYNCED.update(tier.name for tier in wanted)
    try:
        yield
    finally:
        _SYNCED.difference_update(tier.name for tier in wanted)


CONSUMER = Tier("consumer", "billing-service", REPO / "consumer")
PROVIDER = Tier("provider", "user-service", REPO / "provider")
BROKER = Tier("broker", "contract-broker", REPO / "broker")
TIERS: tuple[Tier, ...] = (CONSUMER, PROVIDER, BROKER)


def quote(*parts: str | os.PathLike[str]) -> str:
    """A shell-quoted command line."""
    return shlex.join(str(p) for p in parts)
