"""Each tier runs in its own uv environment synced exactly from the one lock.

``.venv-consumer`` has billing-service and pact-python but no FastAPI; ``.venv-provider`` has
user-service and its verification harness but no consumer; ``.venv-broker`` has the broker and
the official clients its tests drive. A tier sees only what it declares.
"""

from __future__ import annotations

import os
import shlex
from dataclasses import dataclass
from pathlib import Path

from invoke.context import Context
from invoke.runners import Result

__all__ = [
    "BROKER",
    "CONSUMER",
    "PACT_DIR",
    "PROVIDER",
    "REPO",
    "TIERS",
    "Tier",
    "quote",
    "tier_env",
]

REPO = Path(__file__).resolve().parent.parent
PACT_DIR = REPO / "pacts"


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
        """The ``uv run`` argv that runs what follows it in this tier's environment."""
        flags = ["--quiet", "--locked", "--exact", "--package", self.package]
        groups = [arg for g in self.groups for arg in ("--group", g)]
        return ["uv", "run", *flags, *groups, "--"]

    def run(self, c: Context, command: str, *, warn: bool = False, **env: str) -> Result:
        """Run ``command`` (a shell string) inside this tier's environment, from its folder."""
        with c.cd(str(self.directory)):
            result = c.run(
                f"{quote(*self.uv_run())} {command}", env=tier_env(self, **env), warn=warn
            )
        assert result is not None
        return result


def tier_env(tier: Tier | None = None, **extra: str) -> dict[str, str]:
    """Environment for a tier's commands: its own venv, no tracking, no inherited venv."""
    env = {"PACT_DO_NOT_TRACK": "true", "VIRTUAL_ENV": "", "UV_COMPILE_BYTECODE": "1", **extra}
    if tier is not None:
        env["UV_PROJECT_ENVIRONMENT"] = str(tier.venv)
    return env


CONSUMER = Tier("consumer", "billing-service", REPO / "consumer")
PROVIDER = Tier("provider", "user-service", REPO / "provider")
BROKER = Tier("broker", "contract-broker", REPO / "broker")
TIERS: tuple[Tier, ...] = (CONSUMER, PROVIDER, BROKER)


def quote(*parts: str | os.PathLike[str]) -> str:
    """A shell-quoted command line."""
    return shlex.join(str(p) for p in parts)
