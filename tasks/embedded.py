"""The broker on this machine: ``embedded_broker`` for pipelines and tests, ``invoke broker``.

Usage (``tasks.brokercli.pointing_at`` sets ``PACT_BROKER_BASE_URL`` for the block, so the tasks
called inside it use this broker)::

    with embedded_broker(REPO / ".broker" / "ci") as url, pointing_at(url):
        publish(c)
        provider_verify(c, publish=True)
"""

from __future__ import annotations

import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from invoke.context import Context
from invoke.exceptions import Exit
from invoke.tasks import task

from deploy.health import POLL_SECONDS
from deploy.rollout import app_env
from tasks.processes import free_port, start_group, stop_group
from tasks.tiers import BROKER, REPO, quote

__all__ = ["HEARTBEAT", "BrokerStartError", "broker", "embedded_broker"]

HOST = "127.0.0.1"
HEARTBEAT = "/diagnostic/status/heartbeat"


class BrokerStartError(RuntimeError):
    """The embedded broker exited or did not answer its heartbeat in time (see its log)."""


@contextmanager
def embedded_broker(
    directory: Path, *, env: Mapping[str, str] | None = None, startup_timeout: float = 60.0
) -> Iterator[str]:
    """Run the broker on a free loopback port; yield its base URL; always stop it afterwards.

    The database is ``directory/broker.sqlite`` (created on first use, kept afterwards) and the
    log ``directory/broker.log``. The process runs in the broker tier's environment (synced
    first, exactly, from the lock) with no ``PACT_BROKER_*`` settings inherited from the caller:
    pass the broker's own settings in ``env`` (e.g. ``{"PACT_BROKER_WEBHOOK_SCHEME_WHITELIST":
    "http"}``). Raises ``BrokerStartError`` when it does not come up within ``startup_timeout``
    seconds. On exit its process group is stopped (``tasks.processes.stop_group``).
    """
    directory = directory.resolve()
    directory.mkdir(parents=True, exist_ok=True)
    port = free_port(HOST)
    url = f"http://{HOST}:{port}"
    command = [
        *BROKER.uv_run(),
        "contract-broker",
        "--host",
        HOST,
        "--port",
        str(port),
        "--database-url",
        f"sqlite:///{directory / 'broker.sqlite'}",
    ]
    log_path = directory / "broker.log"
    with log_path.open("ab") as log:
        # Its own process group: stopping it stops uv and the server uv started.
        # The caller's broker settings configure its own broker, not this one: it starts as a
        # deployed app does, with only ``env`` of its own.
        settings = app_env(BROKER, **(env or {}))
        process = start_group(command, cwd=BROKER.directory, env=settings, log=log)
    try:
        _wait_for_heartbeat(process, url, log_path, startup_timeout)
        yield url
    finally:
        stop_group(process.pid, child=process)


@task(
    help={
        "host": "interface to listen on (default: 127.0.0.1, this machine only)",
        "port": "port to listen on (default: 9292, the Pact Broker's)",
        "database_url": "SQLAlchemy URL, e.g. postgresql+psycopg://... "
        "(default: sqlite in .broker/broker.sqlite)",
        "workers": "server processes sharing the port (default: 1); see broker/README.md, "
        "'Running it for a team'",
    }
)
def broker(
    c: Context, host: str = HOST, port: int = 9292, database_url: str = "", workers: int = 1
) -> None:
    """Run the broker in the foreground until Ctrl-C (PACT_BROKER_* variables configure it)."""
    if workers < 1:
        raise Exit(f"--workers must be 1 or more, got {workers}")
    if not database_url:
        (REPO / ".broker").mkdir(exist_ok=True)
        database_url = f"sqlite:///{REPO / '.broker' / 'broker.sqlite'}"
    # Through the environment, not the echoed command line: the URL may hold a password.
    command = quote(
        "contract-broker", "--host", host, "--port", str(port), "--workers", str(workers)
    )
    BROKER.run(c, command, PACT_BROKER_DATABASE_URL=database_url)


def _wait_for_heartbeat(
    process: subprocess.Popen[bytes], url: str, log_path: Path, timeout: float
) -> None:
    # No proxy: a loopback broker must not be reached through HTTP(S)_PROXY.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise BrokerStartError(
                f"the broker exited with status {process.returncode}: {_tail(log_path)}"
            )
        try:
            with opener.open(url + HEARTBEAT, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        if time.monotonic() > deadline:
            raise BrokerStartError(
                f"the broker did not answer {HEARTBEAT} within {timeout:.0f} s: {_tail(log_path)}"
            )
        time.sleep(POLL_SECONDS)


def _tail(log_path: Path, lines: int = 5) -> str:
    text = log_path.read_text(encoding="utf-8", errors="replace").strip().splitlines()
    return " | ".join(text[-lines:]) or f"no output (log: {log_path})"
