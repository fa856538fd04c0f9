"""The official ``pact`` CLI (pact-python-cli), run as a subprocess against a broker."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

__all__ = ["PactCli", "pact_binary"]


def pact_binary() -> str:
    """The ``pact`` executable of this environment."""
    beside = Path(sys.executable).with_name("pact")
    if beside.exists():
        return str(beside)
    found = shutil.which("pact")
    if found is None:
        raise RuntimeError("the pact CLI (pact-python-cli) is not installed in this environment")
    return found


@dataclass
class PactCli:
    """``pact broker <command> ...`` with the broker URL, credentials and ``--retries 1``."""

    base_url: str
    token: str | None = None
    username: str | None = None
    password: str | None = None

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PACT_BROKER_")}
        env["PACT_DO_NOT_TRACK"] = "true"
        env["PACT_BROKER_BASE_URL"] = self.base_url
        if self.token:
            env["PACT_BROKER_TOKEN"] = self.token
        if self.username:
            env["PACT_BROKER_USERNAME"] = self.username
            env["PACT_BROKER_PASSWORD"] = self.password or ""
        return env

    def __call__(
        self, command: str, *args: str, timeout: float = 60
    ) -> subprocess.CompletedProcess[str]:
        """Run ``pact broker command args...``; never raises on a non-zero exit."""
        return self._run("broker", command, *args, timeout=timeout)

    def pactflow(
        self, command: str, *args: str, timeout: float = 60
    ) -> subprocess.CompletedProcess[str]:
        """Run ``pact pactflow command args...`` (e.g. publish-provider-contract)."""
        return self._run("pactflow", command, *args, timeout=timeout)

    def _run(
        self, group: str, command: str, *args: str, timeout: float
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [pact_binary(), group, command, *args, "--retries", "1"],
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def ok(self, command: str, *args: str) -> subprocess.CompletedProcess[str]:
        """``pact broker command args...``, which must succeed (its output is the failure)."""
        result = self(command, *args)
        assert result.returncode == 0, (
            f"pact broker {command} failed:\n{result.stdout}{result.stderr}"
        )
        return result

    def verifier(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """``pact verifier ...`` (the standalone verifier CLI)."""
        return subprocess.run(
            [pact_binary(), "verifier", *args],
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
