"""The broker as a subprocess on a free loopback port: its log, its memory, its tracebacks."""

from __future__ import annotations

import argparse
import os
import re
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from types import TracebackType

import httpx2 as httpx

__all__ = [
    "HEARTBEAT",
    "HOST",
    "BrokerProcess",
    "BrokerStartError",
    "ServerTraceback",
    "add_database_arguments",
    "check_database_arguments",
    "chosen_database",
    "loopback_client",
    "throwaway_postgres",
    "throwaway_postgres_cluster",
]

HOST = "127.0.0.1"
HEARTBEAT = "/diagnostic/status/heartbeat"
STARTUP_TIMEOUT = 90.0
STOP_TIMEOUT = 10.0
# A log record starts with the broker's asctime ("2025-01-31 12:00:00,123") or uvicorn's level
# ("ERROR:    "); a traceback's lines start with neither.
_RECORD_START = re.compile(
    r"^(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2},\d{3} (\[\d+\] )?"
    r"|(DEBUG|INFO|WARNING|ERROR|CRITICAL):\s+)"
)
_BROKER_FRAME = re.compile(r'File ".*?(contract_broker/[^"]+)", line (\d+), in (\S+)')
_EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(: .*)?$")
BROKER_LOG = "unexpected error on"  # contract_broker.main logs each 500 with this
ASGI_RELOG = "Exception in ASGI application"  # uvicorn's copy of the same exception


class BrokerStartError(RuntimeError):
    """The broker process exited or did not answer its heartbeat in time."""


@dataclass(frozen=True)
class ServerTraceback:
    """One traceback from the broker's log, with how often the same one occurred."""

    headline: str
    exception: str
    where: str
    text: str
    count: int

    @property
    def signature(self) -> tuple[str, str]:
        return self.exception.split(":", 1)[0], self.where


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def loopback_client(base_url: str, timeout: float = 30.0) -> httpx.Client:
    """A kept-alive client for a loopback URL; proxies from the environment are ignored."""
    if not base_url.startswith(f"http://{HOST}:"):
        raise ValueError(f"only {HOST} may be targeted, not {base_url}")
    transport = httpx.HTTPTransport(
        socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)], trust_env=False
    )
    return httpx.Client(base_url=base_url, transport=transport, timeout=timeout, trust_env=False)


class BrokerProcess:
    """``python -m contract_broker`` on 127.0.0.1 and a free port, stdout and stderr in a file.

    The database URL goes through ``PACT_BROKER_DATABASE_URL`` (what ``--database-url`` sets), so
    a password never shows on a process list. Every other ``PACT_BROKER_*`` variable of the
    calling shell is dropped: the broker runs with its defaults (no auth, no public URL) and
    the ``settings`` given (``PACT_BROKER_*`` names). ``workers`` above 1 serves the port from
    that many processes (``contract-broker --workers N``); ``log_level`` is the broker's own.
    """

    def __init__(
        self,
        database_url: str,
        log_path: Path,
        *,
        settings: dict[str, str] | None = None,
        workers: int = 1,
        log_level: str | None = None,
    ) -> None:
        self.database_url = database_url
        self.log_path = log_path
        self.settings = settings or {}
        self.workers = workers
        self.log_level = log_level
        self.port = 0
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def pid(self) -> int:
        if self._process is None:
            raise RuntimeError("the broker is not started")
        return self._process.pid

    def start(self, attempts: int = 3) -> BrokerProcess:
        """Start and wait for the heartbeat; a port taken in between costs another attempt."""
        for attempt in range(1, attempts + 1):
            self.port = _free_port()
            self._spawn()
            try:
                self._wait_for_heartbeat()
                return self
            except BrokerStartError:
                self.stop()
                if attempt == attempts:
                    raise
        return self

    def stop(self) -> int | None:
        """Ask the broker to stop (SIGTERM), kill it if it lingers; returns its exit code."""
        process, self._process = self._process, None
        if process is None:
            return None
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        return process.returncode

    def rss_kib(self) -> int | None:
        """The broker's resident memory (VmRSS in /proc/<pid>/status), None once it is gone."""
        try:
            status = Path(f"/proc/{self.pid}/status").read_text()
        except (OSError, RuntimeError):
            return None
        found = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
        return int(found.group(1)) if found else None

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def tracebacks(self) -> list[ServerTraceback]:
        """The distinct tracebacks in the log (same exception type at the same broker line)."""
        return distinct_tracebacks(self.log_text())

    def __enter__(self) -> BrokerProcess:
        return self.start()

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _spawn(self) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PACT_BROKER_")}
        env.update(self.settings, PACT_BROKER_DATABASE_URL=self.database_url, PYTHONUNBUFFERED="1")
        command = [
            sys.executable,
            "-m",
            "contract_broker",
            "--host",
            HOST,
            "--port",
            str(self.port),
        ]
        if self.workers != 1:
            command += ["--workers", str(self.workers)]
        if self.log_level is not None:
            command += ["--log-level", self.log_level]
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
                command,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
                cwd=self.log_path.parent,
            )

    def _wait_for_heartbeat(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        with loopback_client(self.url, timeout=2.0) as client:
            while True:
                if self._process is None or self._process.poll() is not None:
                    raise BrokerStartError(f"the broker exited at start:\n{self._log_tail()}")
                try:
                    if client.get(HEARTBEAT).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise BrokerStartError(
                        f"no heartbeat from {self.url} after {STARTUP_TIMEOUT:.0f} s:\n"
                        f"{self._log_tail()}"
                    )
                time.sleep(0.1)

    def _log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])


def _records(log: str) -> Iterator[list[str]]:
    """The log's records, each a list of lines (a traceback belongs to the record before it)."""
    record: list[str] = []
    for line in log.splitlines():
        if _RECORD_START.match(line) and record:
            yield record
            record = []
        record.append(line)
    if record:
        yield record


def _exception_line(record: list[str]) -> str:
    """The last ``module.Error: message`` line (SQLAlchemy adds lines after it)."""
    found = [line for line in record if _EXCEPTION_LINE.match(line)]
    return found[-1].strip() if found else record[-1].strip()


def distinct_tracebacks(log: str) -> list[ServerTraceback]:
    """Tracebacks in ``log`` grouped by exception type and innermost broker frame.

    The broker logs each unexpected error once with the request it failed; uvicorn then logs the
    same exception again ("Exception in ASGI application"): that second copy is not counted.
    """
    found: dict[tuple[str, str], ServerTraceback] = {}
    logged_by_broker: Counter[tuple[str, str]] = Counter()
    for record in _records(log):
        if not any(line.startswith("Traceback (most recent call last)") for line in record):
            continue
        headline = _RECORD_START.sub("", record[0])
        exception = _exception_line(record)
        frames = [m for line in record if (m := _BROKER_FRAME.search(line))]
        where = f"{frames[-1][1]}:{frames[-1][2]} in {frames[-1][3]}" if frames else "(none)"
        key = (exception.split(":", 1)[0], where)
        if ASGI_RELOG in headline and logged_by_broker[key]:
            logged_by_broker[key] -= 1
            continue
        if BROKER_LOG in headline:
            logged_by_broker[key] += 1
        previous = found.get(key)
        if previous is None:
            found[key] = ServerTraceback(headline, exception, where, "\n".join(record), 1)
        else:
            found[key] = replace(previous, count=previous.count + 1)
    return list(found.values())


@contextmanager
def throwaway_postgres_cluster() -> Iterator[Callable[[], str]]:
    """A private PostgreSQL cluster (the broker tests' own helper); yields a function that
    creates an empty database on it and returns its URL."""
    from tests.support.postgres import ThrowawayPostgres

    with ThrowawayPostgres() as server:
        yield server.create_database


@contextmanager
def throwaway_postgres() -> Iterator[str]:
    """An empty database on a private PostgreSQL cluster."""
    with throwaway_postgres_cluster() as create_database:
        yield create_database()


def add_database_arguments(parser: argparse.ArgumentParser, variable: str) -> None:
    """``--database-url`` (default from the environment variable ``variable``) and
    ``--throwaway-postgres``, for a tool that runs a broker on a database."""
    parser.add_argument(
        "--database-url",
        default=os.environ.get(variable, ""),
        help=f"SQLAlchemy URL (also ${variable}); default: a fresh SQLite file",
    )
    parser.add_argument(
        "--throwaway-postgres",
        action="store_true",
        help="run on a private PostgreSQL cluster, started and removed here",
    )


def check_database_arguments(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    if args.database_url and args.throwaway_postgres:
        parser.error("--database-url and --throwaway-postgres exclude each other")


def chosen_database(args: argparse.Namespace, stack: ExitStack) -> str:
    """The URL the options ask for ("" for a fresh SQLite file); a cluster lives in ``stack``."""
    if args.throwaway_postgres:
        return stack.enter_context(throwaway_postgres())
    url: str = args.database_url
    return url
