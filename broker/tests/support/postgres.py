"""A throwaway PostgreSQL cluster (Debian's binaries) in a temp dir on a free loopback port."""

from __future__ import annotations

import atexit
import itertools
import os
import pwd
import re
import shlex
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

__all__ = ["PostgresUnavailable", "ThrowawayPostgres", "find_bin_dir"]

SUPERUSER = "postgres"
HOST = "127.0.0.1"
# Durability is pointless for a cluster that is deleted after the run.
SPEED_SETTINGS = {
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "300",
}
INSTALL_HINT = "install PostgreSQL first: apt-get update && apt-get install -y postgresql"


class PostgresUnavailable(RuntimeError):
    """The PostgreSQL server binaries are missing or the cluster could not start."""


def find_bin_dir() -> Path:
    """The newest ``/usr/lib/postgresql/<version>/bin`` with ``initdb``, else the one on PATH."""
    candidates = [
        path
        for path in Path("/usr/lib/postgresql").glob("*/bin")
        if (path / "initdb").is_file() and (path / "pg_ctl").is_file()
    ]
    if candidates:
        return max(candidates, key=lambda path: _version_key(path.parent.name))
    initdb = shutil.which("initdb")
    if initdb is not None and shutil.which("pg_ctl") is not None:
        return Path(initdb).parent
    raise PostgresUnavailable(
        "PostgreSQL server binaries (initdb, pg_ctl) not found in /usr/lib/postgresql/*/bin "
        f"or on PATH; {INSTALL_HINT}"
    )


def _version_key(name: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", name))


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


class ThrowawayPostgres:
    """``start()`` a private cluster, ``create_database()`` per test, ``stop()`` to remove it all.

    As root (CI) the binaries run as the ``postgres`` user, since ``initdb`` refuses root;
    otherwise they run as the current user. Authentication is ``trust``, loopback only.
    """

    def __init__(self, bin_dir: Path | None = None) -> None:
        self._bin_dir = bin_dir
        self.port: int | None = None
        self.base_dir: Path | None = None
        self._counter = itertools.count(1)
        self._run_as: pwd.struct_passwd | None = None

    @property
    def data_dir(self) -> Path:
        return self._require_base() / "data"

    @property
    def log_file(self) -> Path:
        return self._require_base() / "postgres.log"

    @property
    def running(self) -> bool:
        return self.base_dir is not None

    def url(self, database: str = SUPERUSER) -> str:
        """The SQLAlchemy URL of ``database`` on this cluster."""
        return f"postgresql+psycopg://{SUPERUSER}@{HOST}:{self._require_port()}/{database}"

    def start(self, attempts: int = 3) -> ThrowawayPostgres:
        """Create and start the cluster; returns once it accepts connections."""
        if self.running:
            return self
        bin_dir = self._bin_dir or find_bin_dir()
        for name in ("initdb", "pg_ctl"):
            if not (bin_dir / name).is_file():
                raise PostgresUnavailable(f"{bin_dir / name} not found; {INSTALL_HINT}")
        self._bin_dir = bin_dir
        self._run_as = self._server_user()

        self.base_dir = Path(tempfile.mkdtemp(prefix="pg-throwaway-"))
        atexit.register(self.stop)
        try:
            if self._run_as is not None:
                os.chown(self.base_dir, self._run_as.pw_uid, self._run_as.pw_gid)
            self._run(
                "initdb", "-D", str(self.data_dir), "-A", "trust", "-U", SUPERUSER,
                "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions",
            )  # fmt: skip
            # Another process may take the free port between probing and binding: try again.
            for attempt in range(1, attempts + 1):
                self.port = _free_port()
                try:
                    self._pg_ctl_start()
                    break
                except PostgresUnavailable:
                    if attempt == attempts:
                        raise
            self._wait_until_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop the server at once and delete its files; calling it again does nothing."""
        base_dir, self.base_dir = self.base_dir, None
        atexit.unregister(self.stop)
        if base_dir is None:
            return
        data_dir = base_dir / "data"
        if (data_dir / "postmaster.pid").exists():
            subprocess.run(
                self._command("pg_ctl", "-D", str(data_dir), "-m", "immediate", "-w", "stop"),
                cwd=base_dir, capture_output=True, check=False, **self._user_options(),
            )  # fmt: skip
        shutil.rmtree(base_dir, ignore_errors=True)
        self.port = None

    def pause(self) -> None:
        """Stop the server (fast shutdown: clients are disconnected), keeping its files."""
        self._run("pg_ctl", "-D", str(self.data_dir), "-m", "fast", "-w", "stop")

    def resume(self) -> None:
        """Start the paused server again, on the same port."""
        self._pg_ctl_start()
        self._wait_until_ready()

    def create_database(self) -> str:
        """A new, empty database with a unique name; returns its SQLAlchemy URL."""
        name = f"test_{next(self._counter)}_{uuid.uuid4().hex[:8]}"
        with self.connect() as connection:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return self.url(name)

    def connect(self, database: str = SUPERUSER) -> psycopg.Connection[Any]:
        """An autocommit psycopg connection as the superuser."""
        return psycopg.connect(
            host=HOST, port=self._require_port(), user=SUPERUSER, dbname=database,
            autocommit=True, connect_timeout=10,
        )  # fmt: skip

    def __enter__(self) -> ThrowawayPostgres:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    # -- internals --------------------------------------------------------------------------

    def _pg_ctl_start(self) -> None:
        socket_dir = shlex.quote(str(self.base_dir))
        options = [f"-p {self.port}", f"-k {socket_dir}", f"-c listen_addresses={HOST}"]
        options += [f"-c {key}={value}" for key, value in SPEED_SETTINGS.items()]
        self._run(
            "pg_ctl", "-D", str(self.data_dir), "-o", " ".join(options),
            "-l", str(self.log_file), "-w", "-t", "30", "start",
        )  # fmt: skip

    def _wait_until_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with self.connect() as connection:
                    connection.execute("SELECT 1")
                return
            except psycopg.OperationalError as error:
                if time.monotonic() > deadline:
                    raise PostgresUnavailable(
                        f"PostgreSQL on port {self.port} is not ready: {error}\n{self._log_tail()}"
                    ) from error
                time.sleep(0.05)

    def _run(self, program: str, *args: str) -> None:
        result = subprocess.run(
            self._command(program, *args), cwd=self.base_dir, capture_output=True, text=True,
            check=False, **self._user_options(),
        )  # fmt: skip
        if result.returncode != 0:
            raise PostgresUnavailable(
                f"{program} failed (exit {result.returncode}):\n{result.stdout}{result.stderr}"
                f"{self._log_tail()}"
            )

    def _command(self, program: str, *args: str) -> list[str]:
        assert self._bin_dir is not None
        return [str(self._bin_dir / program), *args]

    def _user_options(self) -> dict[str, Any]:
        if self._run_as is None:
            return {}
        return {"user": self._run_as.pw_uid, "group": self._run_as.pw_gid, "extra_groups": []}

    @staticmethod
    def _server_user() -> pwd.struct_passwd | None:
        """Root cannot run initdb: use the ``postgres`` account the Debian package creates."""
        if os.geteuid() != 0:
            return None
        try:
            return pwd.getpwnam(SUPERUSER)
        except KeyError:
            raise PostgresUnavailable(
                f"running as root and there is no {SUPERUSER!r} user to run initdb as; "
                f"{INSTALL_HINT}"
            ) from None

    def _log_tail(self, lines: int = 20) -> str:
        if self.base_dir is None or not self.log_file.exists():
            return ""
        tail = self.log_file.read_text(errors="replace").splitlines()[-lines:]
        return "\n--- server log ---\n" + "\n".join(tail)

    def _require_base(self) -> Path:
        if self.base_dir is None:
            raise RuntimeError("the PostgreSQL cluster is not started")
        return self.base_dir

    def _require_port(self) -> int:
        if self.port is None:
            raise RuntimeError("the PostgreSQL cluster is not started")
        return self.port
