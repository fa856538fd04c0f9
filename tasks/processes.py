"""Background processes in process groups of their own: free ports, start, signal, stop.

A server started through ``uv run`` is two processes, ``uv`` and the server it starts; each runs
in a process group of its own, so stopping the group stops both: terminate it, then kill
whatever is left after the timeout. Used by the embedded broker, ``invoke ci`` and deploys;
``together`` runs independent waits (CLI calls, stops) at the same time.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from pathlib import Path
from typing import BinaryIO, TypeVar

__all__ = [
    "STOP_TIMEOUT",
    "free_port",
    "signal_group",
    "start_group",
    "stop_group",
    "together",
]

STOP_TIMEOUT = 10.0
T = TypeVar("T")


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on at ``host`` right now (the system picks it)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def start_group(
    argv: list[str], *, cwd: Path, env: Mapping[str, str], log: BinaryIO
) -> subprocess.Popen[bytes]:
    """Start ``argv`` in the background, in a process group of its own, its output in ``log``."""
    return subprocess.Popen(
        argv,
        cwd=cwd,
        env=dict(env),
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def stop_group(
    group: int, *, child: subprocess.Popen[bytes] | None = None, timeout: float = STOP_TIMEOUT
) -> None:
    """Terminate process group ``group``; kill whatever of it still runs after ``timeout``.

    ``child``, the group's leader when this interpreter started it, is reaped as well (no zombie
    left behind in ``invoke ci``, and the group does not look alive because of it).
    """
    signal_group(group, signal.SIGTERM)
    if not _gone(group, child, time.monotonic() + timeout):
        signal_group(group, signal.SIGKILL)
        _gone(group, child, time.monotonic() + timeout)
    if child is not None:
        with suppress(subprocess.TimeoutExpired):
            child.wait(timeout=timeout)


def signal_group(group: int, sig: int) -> bool:
    """Send ``sig`` to the process group; False when no process of it is left."""
    try:
        os.killpg(group, sig)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, but is not ours to signal
    return True


def _gone(group: int, child: subprocess.Popen[bytes] | None, deadline: float) -> bool:
    while time.monotonic() < deadline:
        if child is not None:
            child.poll()  # reap our own child, or the group never looks empty
        if not _group_running(group):
            return True
        time.sleep(0.05)
    return False


def _group_running(group: int) -> bool:
    """Whether a process of the group still runs; zombies waiting to be reaped do not count.

    An orphaned ``uv`` that has exited stays a zombie until init reaps it, which some container
    inits do only every second or two. Without ``/proc`` any member counts.
    """
    if not signal_group(group, 0):
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


def together(*calls: Callable[[], T]) -> list[T]:
    """Run ``calls`` at the same time; their results in order (the first failure is raised once
    all have ended)."""
    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        futures = [pool.submit(call) for call in calls]
        return [future.result() for future in futures]
