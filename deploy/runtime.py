"""What runs where: an environment's folder (state, pid files, logs) and its processes.

Every service process runs in a process group of its own (``uv`` and the server it starts), so
stopping it stops both (``tasks.processes``); its pid file names the group.
"""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from tasks.processes import STOP_TIMEOUT, signal_group, start_group, stop_group

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
        process = start_group(argv, cwd=cwd, env=env, log=log)
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
        stop_group(pid, child=_CHILDREN.pop(pid, None), timeout=timeout)
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
        return signal_group(pid, 0)
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
