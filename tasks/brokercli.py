"""The official ``pact`` CLI, the only way the tasks talk to a broker, and its one-line failures.

The CLI reads ``PACT_BROKER_BASE_URL``, ``PACT_BROKER_TOKEN``, ``PACT_BROKER_USERNAME`` and
``PACT_BROKER_PASSWORD`` from the environment itself, so credentials never appear on a command
line or in the tasks' output.
"""

from __future__ import annotations

import base64
import os
import re
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from invoke.context import Context
from invoke.exceptions import Exit

from tasks.tiers import tier_env

__all__ = [
    "BASE_URL",
    "CREDENTIALS",
    "LOOPBACK_HOSTS",
    "RETRIES_HELP",
    "BrokerError",
    "CliOutcome",
    "authorization",
    "broker_url",
    "checked",
    "cli_env",
    "http_status",
    "one_line_failure",
    "opener",
    "pact_broker",
    "pact_pactflow",
    "pointing_at",
    "redact",
    "retries_args",
]

BASE_URL = "PACT_BROKER_BASE_URL"
CREDENTIALS = ("PACT_BROKER_TOKEN", "PACT_BROKER_USERNAME", "PACT_BROKER_PASSWORD")
SET_CREDENTIALS = "set PACT_BROKER_TOKEN, or PACT_BROKER_USERNAME and PACT_BROKER_PASSWORD"
RETRIES_HELP = (
    "HTTP retries per broker request (default: PACT_BROKER_HTTP_RETRIES, else the CLI's 8, "
    "about a minute against a broker that answers 5xx)"
)

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_MISSING_ENVIRONMENT = re.compile(r"Environment (\S+) does not exist")
_USERINFO = re.compile(r"(https?://)[^/@\s'\"]+@")


class BrokerError(Exit):
    """No broker to ask, or a ``pact broker`` command failed; ``message`` is one line saying
    why and what to do.

    An ``Exit``, so a task that lets it through ends with that line; code that says more (a
    deploy: what ran, what was recorded) catches it by this type.
    """

    message: str

    def __init__(self, message: str) -> None:
        super().__init__(message)


@dataclass(frozen=True)
class CliOutcome:
    """What one ``pact broker`` command printed and how it exited."""

    exited: int
    output: str  # stdout and stderr, without colours
    stdout: str = ""  # stdout alone: a command's ``--output json`` answer


def broker_url(task: str, *, instead: str = "") -> str:
    """``PACT_BROKER_BASE_URL``, or a one-line ``BrokerError`` saying how to set it.

    ``instead`` names what the task accepts in place of a broker (e.g. ``--pact-dir DIR``).
    """
    url = os.environ.get(BASE_URL, "").strip()
    if not url:
        alternative = f"{instead} or " if instead else ""
        raise BrokerError(
            f"{task} needs {alternative}a broker: export {BASE_URL}=https://your-broker "
            f"(and {SET_CREDENTIALS} if it requires them), or run one with `uv run invoke broker`"
        )
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise BrokerError(f"{BASE_URL} must be an http(s) URL, got {redact(url)!r}")
    if parts.username is not None or parts.password is not None:
        # Commands are echoed; a URL is no place for a secret.
        raise BrokerError(f"{BASE_URL} must not contain credentials: {SET_CREDENTIALS} instead")
    return url


def retries_args(retries: str) -> list[str]:
    """``--retries N`` for the CLI; empty means PACT_BROKER_HTTP_RETRIES or the CLI's own 8."""
    if not retries:
        return []
    if not retries.isdigit():
        raise Exit(f"--retries must be a whole number, got {retries!r}")
    return ["--retries", retries]


def pact_broker(c: Context, command: str, *args: str) -> CliOutcome:
    """Run ``pact broker COMMAND ARGS...`` quietly; the caller decides what to print."""
    return _pact(c, "broker", command, *args)


def pact_pactflow(c: Context, command: str, *args: str) -> CliOutcome:
    """Run ``pact pactflow COMMAND ARGS...`` (publish-provider-contract) quietly."""
    return _pact(c, "pactflow", command, *args)


def _pact(c: Context, group: str, command: str, *args: str) -> CliOutcome:
    # Straight from subprocess: the output is captured, never streamed, and invoke's runner
    # costs about 15 ms a call in polling (an `invoke ci` makes some 25 of them in a row).
    result = subprocess.run(
        [_pact_binary(), group, command, *args],
        env=cli_env(args),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        errors="replace",
        check=False,
    )
    output = _ANSI.sub("", result.stdout + result.stderr).strip()
    return CliOutcome(result.returncode, output, result.stdout)


LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def cli_env(args: Sequence[str] = ()) -> dict[str, str]:
    """The pact CLI's environment: the tier's allow-list, and no trust store to load when the
    broker it talks to is plain http on this machine (the embedded broker).

    The CLI reads the system's trust store (about 290 certificate files) on every start: 40 ms
    of a 45 ms call to a loopback broker, 11 ms without. Plain http needs no certificate; a
    TLS connection it made anyway would fail, never trust something it should not.
    """
    env = tier_env()
    url = env.get(BASE_URL, "")
    for index, arg in enumerate(args):  # a URL on the command line wins, as in the CLI
        if arg.startswith("--broker-base-url="):
            url = arg.split("=", 1)[1]
        elif arg in {"--broker-base-url", "-b"}:
            url = args[index + 1] if index + 1 < len(args) else ""
    parts = urlsplit(url.strip())
    if parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS:
        env["SSL_CERT_FILE"] = os.devnull
        env.pop("SSL_CERT_DIR", None)
    return env


def checked(c: Context, command: str, *args: str, base_url: str, doing: str = "") -> CliOutcome:
    """``pact_broker``, its failure raised as a one-line ``BrokerError`` (see ``one_line_failure``
    for ``doing``)."""
    outcome = pact_broker(c, command, *args)
    if outcome.exited:
        raise BrokerError(one_line_failure(command, outcome.output, base_url=base_url, doing=doing))
    return outcome


def one_line_failure(command: str, output: str, *, base_url: str, doing: str = "") -> str:
    """The CLI's failure as one line: what went wrong and what to do about it.

    The line starts with ``doing`` (default: ``pact broker COMMAND``) and ``failed``.
    """
    lines = [_strip_marks(line) for line in _USERINFO.sub(r"\1", output).splitlines()]
    messages = list(dict.fromkeys(line for line in lines if line))
    # The CLI often prints a message twice, once with a prefix: keep the longest form.
    distinct = [m for m in messages if not any(m != other and m in other for other in messages)]
    detail = "; ".join(distinct) or "no output"
    where = redact(base_url)
    prefix = f"{doing or f'pact broker {command}'} failed"
    if "error sending request" in detail or "Failed to access pact broker" in detail:
        return (
            f"{prefix}: cannot reach the broker at {where}: is it running, and is {BASE_URL} right?"
        )
    if re.search(r"\b(401|403)\b|Unauthori[sz]ed|Forbidden", detail):
        return f"{prefix}: the broker at {where} refused the credentials: {SET_CREDENTIALS}"
    missing = _MISSING_ENVIRONMENT.search(detail)
    if missing:
        name = missing.group(1)
        return (
            f"{prefix}: environment {name!r} does not exist in the broker at {where}: "
            f"create it with `uv run pact broker create-environment --name {name}`"
        )
    if "/versions/" in detail and "404" in detail:
        return (
            f"{prefix}: the broker at {where} does not know that pacticipant version: "
            "publish it first (`uv run invoke publish`) or check --pacticipant/--version"
        )
    return f"{prefix}: {detail}"


def redact(url: str) -> str:
    """``url`` without any user:password part."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    if ":" in host:  # IPv6
        host = f"[{host}]"
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit(parts._replace(netloc=netloc))


def authorization() -> dict[str, str]:
    """The ``Authorization`` header Pact's credential variables ask for (none when unset).

    For the few requests no CLI command makes (contract-check, the webhook's existence).
    """
    token, username, password = (os.environ.get(name, "") for name in CREDENTIALS)
    if token:
        return {"Authorization": f"Bearer {token}"}
    if username:
        pair = base64.b64encode(f"{username}:{password}".encode()).decode()
        return {"Authorization": f"Basic {pair}"}
    return {}


def opener(base_url: str) -> urllib.request.OpenerDirector:
    """A URL opener for the broker: a loopback broker is never reached through HTTP(S)_PROXY,
    a team's broker may need it."""
    loopback = urlsplit(base_url).hostname in {"127.0.0.1", "localhost", "::1"}
    return urllib.request.build_opener(*([urllib.request.ProxyHandler({})] if loopback else []))


def http_status(base_url: str, path: str, *, timeout: float = 30) -> int:
    """The status of ``GET path`` on the broker, with Pact's credentials; ``BrokerError`` when it
    cannot be reached."""
    request = urllib.request.Request(  # noqa: S310 (broker_url allows http(s) only)
        base_url.rstrip("/") + path, headers={"Accept": "application/hal+json"} | authorization()
    )
    try:
        with opener(base_url).open(request, timeout=timeout) as response:
            status: int = response.status
            return status
    except urllib.error.HTTPError as exc:
        return exc.code
    except (urllib.error.URLError, OSError):
        where = redact(base_url)
        raise BrokerError(
            f"cannot reach the broker at {where}: is it running, and is {BASE_URL} right?"
        ) from None


@contextmanager
def pointing_at(base_url: str) -> Iterator[None]:
    """Point the tasks at ``base_url`` (no credentials) for the block, then restore the env.

    For ``invoke ci``: ``with embedded_broker(d) as url, pointing_at(url): publish(c) ...``.
    """
    names = (BASE_URL, *CREDENTIALS)
    saved = {name: os.environ.get(name) for name in names}
    for name in CREDENTIALS:
        os.environ.pop(name, None)
    os.environ[BASE_URL] = base_url
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _strip_marks(line: str) -> str:
    return line.replace("❌", "").strip()


def _pact_binary() -> str:
    beside = Path(sys.executable).with_name("pact")
    if beside.exists():
        return str(beside)
    found = shutil.which("pact")
    if found is None:
        raise Exit(
            "the pact CLI is not installed: run the tasks with `uv run invoke ...` "
            "(the root environment's tasks group has pact-python-cli)"
        )
    return found
