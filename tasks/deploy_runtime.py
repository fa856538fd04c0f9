"""What runs where: an environment's folder (state, pid files, logs) and its processes.

Every service process runs in a process group of its own (``uv`` and the server it starts), so
stopping it stops both: terminate the group, kill whatever is left after 10 seconds.
"""

from __future__ import annotations

import fcntl
import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

__all__ = [
    "STATE_FILE",
    "Deployed",
    "EnvironmentDir",
    "FolderError",
    "running_pid",
    "start",
    "stop",
    "write_atomically",
]

STATE_FILE = "state.json"
STOP_TIMEOUT = 10.0

# Processes this interpreter started: stopping one also reaps it (no zombie in `invoke ci`).
_CHILDREN: dict[int, subprocess.Popen[bytes]] = {}


class FolderError(Exception):
    """An environment's folder is held by another deploy, or its state file is unreadable."""


@dataclass(frozen=True)
class Deployed:
    """One pacticipant in one environment, as ``state.json`` records it."""

    version: str
    url: str  # a service: where it answers; a library: the service URL its configuration names
    since: str
    port: int | None = None  # a service: the slot it runs on
    config: str | None = None  # a library: its configuration file, in the environment's folder

    @classmethod
    def now(
        cls, *, version: str, url: str, port: int | None = None, config: str | None = None
    ) -> Deployed:
        """An entry stamped with the current time."""
        since = datetime.now(UTC).isoformat(timespec="seconds")
        return cls(version=version, url=url, since=since, port=port, config=config)


@dataclass(frozen=True)
class EnvironmentDir:
    """``.deploy/<environment>/``: ``state.json`` and, per service slot, a pid file and a log."""

    root: Path

    @property
    def state_file(self) -> Path:
        return self.root / STATE_FILE

    def pid_file(self, name: str, port: int) -> Path:
        return self.root / f"{name}.{port}.pid"

    def log_file(self, name: str, port: int) -> Path:
        return self.root / f"{name}.{port}.log"

    def read_state(self) -> dict[str, Deployed]:
        try:
            raw = json.loads(self.state_file.read_text(encoding="utf-8"))
            return {name: Deployed(**entry) for name, entry in raw.items()}
        except FileNotFoundError:
            return {}
        except (ValueError, TypeError, AttributeError) as exc:
            raise FolderError(
                f"{self.state_file} is unreadable ({exc}): stop what runs there by its pid "
                "files, then delete the folder"
            ) from None

    def write_state(self, state: Mapping[str, Deployed]) -> None:
        """Replace ``state.json`` at once (removed when nothing is deployed)."""
        if not state:
            self.state_file.unlink(missing_ok=True)
            return
        body = {name: asdict(entry) for name, entry in sorted(state.items())}
        write_atomically(self.state_file, json.dumps(body, indent=2) + "\n")

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the environment's lock: one deploy, undeploy or stop at a time."""
        self.root.mkdir(parents=True, exist_ok=True)
        with (self.root / ".lock").open("w") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise FolderError(
                    f"another deploy, undeploy or stop holds {self.root / '.lock'}: "
                    "try again when it is done"
                ) from None
            yield


def write_atomically(path: Path, text: str) -> None:
    """Write ``path`` so that readers see the old content or the new one, never a mix."""
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(path)


def start(
    argv: list[str], *, cwd: Path, env: Mapping[str, str], pid_file: Path, log_file: Path
) -> subprocess.Popen[bytes]:
    """Start ``argv`` in the background in its own process group; write its pid file."""
    pid_file.parent.mkdir(parents=True, exist_ok=True)
    with log_file.open("ab") as log:
        stamp = datetime.now(UTC).isoformat(timespec="seconds")
        log.write(f"--- {stamp} starting: {' '.join(argv)}\n".encode())
        log.flush()
        process = subprocess.Popen(
            argv,
            cwd=cwd,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    _CHILDREN[process.pid] = process
    write_atomically(pid_file, f"{process.pid}\n")
    return process


def running_pid(pid_file: Path, *, marker: str) -> int | None:
    """The pid in ``pid_file`` when that process group is still one we started, else None."""
    try:
        pid = int(pid_file.read_text(encoding="utf-8").strip())
    except (FileNotFoundError, ValueError):
        return None
    return pid if _ours(pid, marker) else None


def stop(pid_file: Path, *, marker: str, timeout: float = STOP_TIMEOUT) -> int | None:
    """Stop the process group in ``pid_file`` (if it is ours and running); remove the file.

    Returns the pid stopped, or None when nothing of ours was running.
    """
    pid = running_pid(pid_file, marker=marker)
    if pid is not None:
        child = _CHILDREN.pop(pid, None)
        _signal_group(pid, signal.SIGTERM)
        if not _gone(pid, child, time.monotonic() + timeout):
            _signal_group(pid, signal.SIGKILL)
            _gone(pid, child, time.monotonic() + timeout)
        if child is not None:
            with suppress(subprocess.TimeoutExpired):
                child.wait(timeout=timeout)
    pid_file.unlink(missing_ok=True)
    return pid


def _ours(pid: int, marker: str) -> bool:
    """Whether ``pid`` still leads a process group we started (pids get reused)."""
    try:
        if os.getpgid(pid) != pid:
            return False
    except ProcessLookupError:
        # The leader is gone; while its group lives (a server outliving uv), the pid stays
        # reserved as that group's id, so the group is still the one we started.
        return _signal_group(pid, 0)
    command = _command_line(pid)
    return command is None or not command or marker in command


def _command_line(pid: int) -> str | None:
    """The process's command line ("" for a zombie), or None where it cannot be read."""
    proc = Path(f"/proc/{pid}/cmdline")
    if proc.parent.parent.is_dir():
        with suppress(OSError):
            return proc.read_bytes().replace(b"\0", b" ").decode(errors="replace")
        return None
    done = subprocess.run(
        ["ps", "-o", "args=", "-p", str(pid)], capture_output=True, text=True, check=False
    )
    return done.stdout.strip() if done.returncode == 0 else None


def _gone(pid: int, child: subprocess.Popen[bytes] | None, deadline: float) -> bool:
    while time.monotonic() < deadline:
        if child is not None:
            child.poll()  # reap our own child, or the group never looks empty
        if not _group_running(pid):
            return True
        time.sleep(0.05)
    return False


def _group_running(group: int) -> bool:
    """Whether a process of the group still runs; zombies waiting to be reaped do not count.

    An orphaned ``uv`` that has exited stays a zombie until init reaps it, which some container
    inits do only every second or two. Without ``/proc`` any member counts.
    """
    if not _signal_group(group, 0):
        return False
    proc = Path("/proc")
    if not proc.is_dir():
        return True
    for stat in proc.glob("[0-9]*/stat"):
        with suppress(OSError, ValueError, IndexError):
            # "pid (command) state ppid pgrp ...": the command may contain spaces and parens.
            state, _, pgrp = stat.read_text().rsplit(")", 1)[1].split()[:3]
            if int(pgrp) == group and state != "Z":
                return True
    return False


def _signal_group(group: int, sig: int) -> bool:
    """Send ``sig`` to the process group; False when no process of it is left."""
    try:
        os.killpg(group, sig)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, but is not ours to signal
    return True
