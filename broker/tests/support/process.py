"""The broker as its own process (``python -m contract_broker``): to kill, restart, replicate."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx2 as httpx

from . import http_client as http

__all__ = ["BrokerProcess"]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class BrokerProcess:
    """One broker server process on a free loopback port; its log goes to ``log``."""

    def __init__(
        self,
        database_url: str,
        log: Path,
        *,
        workers: int = 1,
        log_level: str = "warning",
        **settings: str,
    ) -> None:
        self.database_url = database_url
        self.log = log
        self.workers = workers
        self.log_level = log_level
        self.settings = settings
        self.port = 0
        self.url = ""
        self._process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 30) -> BrokerProcess:
        """Spawn it and wait until it answers its heartbeat."""
        return self.spawn().wait_until_ready(timeout)

    def spawn(self) -> BrokerProcess:
        """Start the process and return at once (``wait_until_ready`` waits for it)."""
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {
            **os.environ,
            "PACT_DO_NOT_TRACK": "true",
            **{f"PACT_BROKER_{k.upper()}": v for k, v in self.settings.items()},
        }
        command = [
            sys.executable, "-m", "contract_broker",
            "--host", "127.0.0.1",
            "--port", str(self.port),
            "--database-url", self.database_url,
            "--workers", str(self.workers),
            "--log-level", self.log_level,
        ]  # fmt: skip
        with self.log.open("ab") as log:
            self._process = subprocess.Popen(command, env=env, stdout=log, stderr=log)
        return self

    def wait_until_ready(self, timeout: float = 30) -> BrokerProcess:
        assert self._process is not None
        deadline = time.monotonic() + timeout
        while True:
            if self._process.poll() is not None:
                raise RuntimeError(f"the broker exited at start: {self.log.read_text()[-2000:]}")
            try:
                if http.get(f"{self.url}/diagnostic/status/heartbeat").status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the broker did not answer its heartbeat")
            time.sleep(0.05)

    @property
    def pid(self) -> int:
        assert self._process is not None
        return self._process.pid

    def kill(self) -> None:
        """``kill -9``: no shutdown, no cleanup, whatever was in flight."""
        assert self._process is not None
        os.kill(self._process.pid, signal.SIGKILL)
        self._process.wait(timeout=30)

    def terminate(self, timeout: float = 60) -> bool:
        """A graceful stop (SIGTERM, as an orchestrator sends it); True when it stopped cleanly.

        uvicorn shuts down (in-flight requests, then the app's shutdown), then re-raises the
        signal, so a clean stop exits with -SIGTERM (or 0).
        """
        assert self._process is not None
        if self._process.poll() is None:
            self._process.terminate()
        return self._process.wait(timeout=timeout) in (0, -signal.SIGTERM)

    def signal_terminate(self) -> None:
        """Send SIGTERM and return at once (``wait`` waits for the exit)."""
        assert self._process is not None
        self._process.terminate()

    def wait(self, timeout: float = 60) -> bool:
        """Wait for the exit; True when it stopped cleanly (0, or -SIGTERM)."""
        assert self._process is not None
        return self._process.wait(timeout=timeout) in (0, -signal.SIGTERM)

    def stop(self) -> None:
        """Stop it if it still runs (for fixtures' cleanup)."""
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait(timeout=30)
