"""Health checks over HTTP, and whether a port is free for a new process to bind."""

from __future__ import annotations

import json
import socket
import subprocess
import time
import urllib.error
import urllib.request

__all__ = ["POLL_SECONDS", "HealthCheckFailed", "port_free", "probe", "wait_healthy"]

POLL_SECONDS = 0.02
"""Between two probes of a starting process: a refused loopback connection costs microseconds,
and every probe interval is time a deploy waits after the process could already answer."""


class HealthCheckFailed(Exception):
    """No healthy answer with the expected version in time; the message says what was seen."""


def wait_healthy(
    url: str, *, version: str, timeout: float, process: subprocess.Popen[bytes] | None = None
) -> float:
    """Poll ``url`` until it answers 200 ``{"status": "ok", "version": version}``.

    Returns the seconds it took. Raises ``HealthCheckFailed`` after ``timeout`` seconds in all,
    or as soon as ``process`` (the one expected to answer) exits.
    """
    began = time.monotonic()
    deadline = began + timeout
    seen = "no answer yet"
    while True:
        if process is not None and process.poll() is not None:
            raise HealthCheckFailed(f"the process exited with status {process.returncode}")
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise HealthCheckFailed(f"no healthy answer from {url} within {timeout:g} s ({seen})")
        seen = probe(url, version=version, timeout=min(2.0, remaining))
        if not seen:
            return time.monotonic() - began
        time.sleep(POLL_SECONDS)


def probe(url: str, *, version: str, timeout: float) -> str:
    """One health request: empty when healthy with ``version``, else what was wrong."""
    # No proxy: a loopback service must not be reached through HTTP(S)_PROXY.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=timeout) as response:
            body = response.read()
    except urllib.error.HTTPError as exc:
        return f"last answer: HTTP {exc.code}"
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        return f"last attempt: {reason}"
    try:
        answer = json.loads(body)
    except ValueError:
        return "last answer: not JSON"
    if not isinstance(answer, dict) or answer.get("status") != "ok":
        return f"last answer: {body[:80].decode(errors='replace')}"
    if answer.get("version") != version:
        return f"last answer: version {answer.get('version')!r}, expected {version!r}"
    return ""


def port_free(host: str, port: int) -> bool:
    """Whether nothing listens on ``host:port`` (so a new process can bind it)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        # As servers bind: a port whose last connections linger in TIME_WAIT is free.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True
