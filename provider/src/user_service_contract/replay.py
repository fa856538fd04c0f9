"""Replaying pact files against the provider: one pact per verifier, serially or in workers.

Workers are separate processes (``python -m user_service_contract.worker``, one subprocess per
worker, started with this interpreter): each starts its own app instance on its own loopback
port, replays its share of whole pacts, and writes their results as JSON. Every pact starts from
a freshly seeded repository (``ProviderStates.reset``), so a verdict never depends on which
pacts shared a process: serial and parallel runs agree.

Subprocesses rather than ``fork``: the parent may run pact_ffi's and uvicorn's threads, which a
forked child would inherit half-locked; rather than a pool: the pacts are dealt to workers up
front (largest first, to the least loaded), so which worker replays which pact is decided by the
pacts alone, never by which process happened to start first.

The verifier builds a new HTTP client for every request it sends, and each one loads the
system's trust store: about 290 certificate files, most of a replay's time. A replay against
the in-process app only talks plain HTTP to a loopback port, so it runs with a trust store of
one certificate that trusts nothing (``LOOPBACK_ONLY_CA``): the verifier never reaches the
broker (the harness fetched the pacts and publishes the results), so nothing needs TLS there.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pact import Verifier

from user_service_contract.server import HOST, running
from user_service_contract.state_endpoint import STATE_CHANGE_PATH, app_with_states
from user_service_contract.states import ProviderStates
from user_service_contract.variants import Variant

__all__ = ["LOOPBACK_ONLY_CA", "Replayed", "Target", "deal", "default_workers", "replay_all"]

# A self-signed certificate whose private key was discarded when it was made: a trust store that
# trusts no server at all, for a verifier that only ever talks plain HTTP on loopback.
LOOPBACK_ONLY_CA = """\
-----BEGIN CERTIFICATE-----
MIIB3TCCAYOgAwIBAgIUL1hXjdiLAmlPMrq/sld9ritk8eswCgYIKoZIzj0EAwIw
QzFBMD8GA1UEAww4dXNlci1zZXJ2aWNlIHZlcmlmaWNhdGlvbjogbG9vcGJhY2sg
b25seSwgdHJ1c3RzIG5vdGhpbmcwIBcNMjYxMTMwMTM1MjExWhgPMjEyNjExMDYx
MzUyMTFaMEMxQTA/BgNVBAMMOHVzZXItc2VydmljZSB2ZXJpZmljYXRpb246IGxv
b3BiYWNrIG9ubHksIHRydXN0cyBub3RoaW5nMFkwEwYHKoZIzj0CAQYIKoZIzj0D
AQcDQgAE4wAupU7VZmB2tI3MmJf/+R5QBnd95NDdjqIBN9jPpgSrbDVlGooxf0yH
2Ou4WbJk5SrUIbZkmvTSd4VpYqTzUKNTMFEwHQYDVR0OBBYEFDZD9THC5Hs5+u+U
KWEt4wIH3NnwMB8GA1UdIwQYMBaAFDZD9THC5Hs5+u+UKWEt4wIH3NnwMA8GA1Ud
EwEB/wQFMAMBAf8wCgYIKoZIzj0EAwIDSAAwRQIgB6YPeFlhwBxPoldsTe/AHCZ+
Lp0cdBDOwYjZHgx8j5cCIQCWDTfiCZ8/eLCOaFonolHxs6Q713N769lzzOm4sx9c
Kw==
-----END CERTIFICATE-----
"""

TRUST_VARIABLES = ("SSL_CERT_FILE", "SSL_CERT_DIR")

BROKER_CREDENTIALS = frozenset(
    {"PACT_BROKER_TOKEN", "PACT_BROKER_USERNAME", "PACT_BROKER_PASSWORD"}
)
"""Kept from the workers' environment (the harness fetched the pacts and publishes results)."""

MAX_DEFAULT_WORKERS = 8
"""Beyond this, more workers mostly add app start-ups (each worker starts its own app)."""

WORKER_BASE_SECONDS = 120.0
"""A worker's time before its first interaction: starting, and the verifier's own retries."""
WORKER_SECONDS_PER_INTERACTION = 2.0
"""Far above what one interaction takes against the in-process app (a few milliseconds)."""

Echo = Callable[[str], None]


@dataclass(frozen=True)
class Target:
    """Where the replay goes: a running provider, or the app started per process."""

    provider_url: str | None = None
    state_change_url: str | None = None
    variant: Variant | None = None

    @property
    def in_process(self) -> bool:
        return self.provider_url is None

    @property
    def plain_http(self) -> bool:
        """Nothing the verifier calls needs TLS (so the empty trust store is safe)."""
        urls = [self.provider_url or "", self.state_change_url or ""]
        return all(not url.lower().startswith("https:") for url in urls)


@dataclass(frozen=True)
class Replayed:
    """One pact's replay: the verifier's JSON results, state problems, its output."""

    results: dict[str, Any]
    problems: list[str] = field(default_factory=list)
    output: str = ""
    worker: str = ""
    """Which process replayed it and the provider URL it used (``pid@url``)."""


def replay_all(
    files: list[Path],
    target: Target,
    *,
    provider: str,
    workers: int,
    worker_timeout: float | None = None,
    echo: Echo = print,
) -> list[Replayed]:
    """Replay each file on its own; results in the order of ``files``.

    ``worker_timeout``: seconds a worker may take (default: ``worker_seconds`` of its share);
    a worker still running then is killed and its pacts are failures saying so.
    """
    if not files:
        return []
    if workers > 1 and len(files) > 1 and target.in_process:
        count = min(workers, len(files))
        return _in_workers(files, target, provider, count, timeout=worker_timeout, echo=echo)
    return _serial(files, target, provider)


def default_workers() -> int:
    """The CPUs this process may run on (its affinity, which containers and ``taskset`` narrow;
    ``os.cpu_count`` counts the machine's), at most ``MAX_DEFAULT_WORKERS``."""
    affinity = getattr(os, "sched_getaffinity", None)
    usable = len(affinity(0)) if affinity is not None else (os.cpu_count() or 1)
    return max(1, min(usable, MAX_DEFAULT_WORKERS))


def worker_seconds(interactions: int) -> float:
    """How long a worker replaying ``interactions`` interactions may take before it is killed."""
    return WORKER_BASE_SECONDS + WORKER_SECONDS_PER_INTERACTION * interactions


def _serial(files: list[Path], target: Target, provider: str) -> list[Replayed]:
    with _trust_store(enabled=target.plain_http):
        if target.provider_url is not None:
            return [
                _replay(path, provider, target.provider_url, target.state_change_url, None)
                for path in files
            ]
        app, states = app_with_states(target.variant)
        with running(app) as url:
            return [_replay(path, provider, url, url + STATE_CHANGE_PATH, states) for path in files]


def _replay(
    path: Path,
    provider: str,
    provider_url: str,
    state_change_url: str | None,
    states: ProviderStates | None,
) -> Replayed:
    if states is not None:
        # Every pact starts from the same provider state, whichever process replays it.
        states.reset()
    verifier = Verifier(provider, host=_host_of(provider_url)).add_transport(url=provider_url)
    verifier.set_coloured_output(enabled=sys.stdout.isatty())
    if state_change_url is not None:
        verifier.state_handler(state_change_url, body=True, teardown=True)
    verifier.add_source(path)
    # verify() raises a RuntimeError that says nothing useful; the results tell what failed.
    with contextlib.suppress(RuntimeError):
        verifier.verify()
    return Replayed(
        results=verifier.results,
        problems=list(states.problems) if states is not None else [],
        # str(): pact_ffi's OwnedString cannot be copied or pickled.
        output=str(verifier.output(strip_ansi=True)),
        worker=f"{os.getpid()}@{provider_url}",
    )


def _host_of(url: str) -> str:
    return urlsplit(url).hostname or HOST


@contextlib.contextmanager
def _trust_store(*, enabled: bool) -> Iterator[None]:
    """Point the verifier at ``LOOPBACK_ONLY_CA`` for the block (this process's environment)."""
    if not enabled:
        yield
        return
    saved = {name: os.environ.get(name) for name in TRUST_VARIABLES}
    with tempfile.TemporaryDirectory(prefix="verifier-trust-") as folder:
        bundle = Path(folder) / "loopback-only.pem"
        bundle.write_text(LOOPBACK_ONLY_CA, encoding="ascii")
        empty = Path(folder) / "certs"
        empty.mkdir()
        os.environ["SSL_CERT_FILE"] = str(bundle)
        os.environ["SSL_CERT_DIR"] = str(empty)
        try:
            yield
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value


# --- worker processes -----------------------------------------------------------------------


def deal(sizes: list[int], workers: int) -> list[list[int]]:
    """Indexes of ``sizes`` per worker: largest first, each to the least loaded (ties: lowest).

    Deterministic: the same pacts always go to the same workers.
    """
    loads = [0] * workers
    shares: list[list[int]] = [[] for _ in range(workers)]
    for index in sorted(range(len(sizes)), key=lambda i: (-sizes[i], i)):
        chosen = min(range(workers), key=lambda w: (loads[w], w))
        loads[chosen] += max(sizes[index], 1)
        shares[chosen].append(index)
    return [sorted(share) for share in shares if share]


def _interactions(path: Path) -> int:
    try:
        content = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return 1
    interactions = content.get("interactions") if isinstance(content, dict) else None
    return len(interactions) if isinstance(interactions, list) else 1


def _in_workers(
    files: list[Path],
    target: Target,
    provider: str,
    workers: int,
    *,
    timeout: float | None,
    echo: Echo,
) -> list[Replayed]:
    sizes = [_interactions(path) for path in files]
    shares = deal(sizes, workers)
    done: dict[int, Replayed] = {}
    started: list[tuple[int, list[int], Path, subprocess.Popen[bytes], float]] = []
    with tempfile.TemporaryDirectory(prefix="verify-workers-") as folder:
        try:
            for number, share in enumerate(shares, start=1):
                out = Path(folder) / f"worker-{number}.json"
                argv = [sys.executable, "-m", "user_service_contract.worker"]
                argv += ["--provider", provider]
                if target.variant is not None:
                    argv += ["--variant", target.variant.value]
                argv += ["--out", str(out), *(str(files[i]) for i in share)]
                allowed = timeout or worker_seconds(sum(sizes[i] for i in share))
                # The verifier prints as it goes; workers would interleave, so their output is
                # captured and printed here in pact order.
                process = subprocess.Popen(  # noqa: S603 (this interpreter, our module, our files)
                    argv, stdout=subprocess.DEVNULL, env=_worker_env()
                )
                started.append((number, share, out, process, time.monotonic() + allowed))
            for number, share, out, process, deadline in started:
                for index, replayed in _collect(number, share, out, process, deadline).items():
                    done[index] = replayed
        finally:
            # The parent failed or was interrupted: no worker outlives it.
            for *_, process, _ in started:
                if process.poll() is None:
                    process.kill()
                    process.wait()
    ordered = [done[index] for index in range(len(files))]
    for replayed in ordered:
        if replayed.output:
            echo(replayed.output)
    return ordered


def _worker_env() -> dict[str, str]:
    """This environment without the broker's credentials: a worker never talks to the broker."""
    return {name: value for name, value in os.environ.items() if name not in BROKER_CREDENTIALS}


def _collect(
    number: int, share: list[int], out: Path, process: subprocess.Popen[bytes], deadline: float
) -> dict[int, Replayed]:
    """One worker's results by pact index; each of its pacts a failure if it failed or hung."""
    try:
        process.wait(timeout=max(deadline - time.monotonic(), 0.0))
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        problem = (
            f"verification worker {number} did not finish in time and was killed: "
            "its pacts were not verified (a provider or verifier that hangs?)"
        )
        return {index: Replayed(results={}, problems=[problem]) for index in share}
    payload = None
    if process.returncode == 0 and out.is_file():
        with contextlib.suppress(ValueError):
            payload = json.loads(out.read_text(encoding="utf-8"))
    if not isinstance(payload, list) or len(payload) != len(share):
        problem = f"verification worker {number} failed (exit {process.returncode})"
        return {index: Replayed(results={}, problems=[problem]) for index in share}
    return {index: Replayed(**item) for index, item in zip(share, payload, strict=True)}


def main(argv: list[str] | None = None) -> int:
    """A worker: replay the given pact files against its own app; write results as JSON."""
    parser = argparse.ArgumentParser(prog="python -m user_service_contract.worker")
    parser.add_argument("--provider", required=True)
    parser.add_argument("--variant", choices=[v.value for v in Variant])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("files", nargs="+", type=Path)
    args = parser.parse_args(argv)
    target = Target(variant=Variant(args.variant) if args.variant else None)
    replayed = _serial(args.files, target, args.provider)
    args.out.write_text(json.dumps([asdict(item) for item in replayed]), encoding="utf-8")
    return 0
