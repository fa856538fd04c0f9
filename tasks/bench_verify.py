"""``invoke bench-verify``: provider verification's wall time, interactions/s and the time per
interaction, on generated pacts, optionally side by side with the Ruby verifier."""

from __future__ import annotations

import json
import re
import socket
import statistics
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from invoke.context import Context
from invoke.exceptions import Exit
from invoke.tasks import task

from contract_terms import USER_DOES_NOT_EXIST, USER_EXISTS, USER_SERVICE
from tasks.tiers import PROVIDER, tier_env

__all__ = ["bench_verify", "generate_pacts", "interaction_times"]

STATE_CHANGE_PATH = "/_pact/provider-states"
_TIMED = re.compile(r"\(([^()]*) loading, ([^()]*) verification\)")
_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*(ns|µs|us|ms|s|m)\b")
_SECONDS = {"ns": 1e-9, "µs": 1e-6, "us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}
_EMAIL_RULE = {"matchers": [{"match": "regex", "regex": r"^[^@\s]+@[^@\s]+\.[^@\s]+$"}]}


def generate_pacts(folder: Path, *, interactions: int, consumers: int) -> list[Path]:
    """``consumers`` pacts (spec V3, which both verifiers read) sharing ``interactions``.

    Half ask for an existing user (a body with type, integer and regex matchers), half for a
    missing one; each interaction has its own provider state with its own user id.
    """
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for number in range(consumers):
        share = interactions // consumers + (1 if number < interactions % consumers else 0)
        items = [_interaction(1000 + number * 100_000 + i, exists=i % 2 == 0) for i in range(share)]
        pact = {
            "consumer": {"name": f"bench-consumer-{number:02d}"},
            "provider": {"name": USER_SERVICE},
            "interactions": items,
            "metadata": {"pactSpecification": {"version": "3.0.0"}},
        }
        path = folder / f"bench-consumer-{number:02d}-{USER_SERVICE}.json"
        path.write_text(json.dumps(pact, indent=2), encoding="utf-8")
        written.append(path)
    return written


def _interaction(user_id: int, *, exists: bool) -> dict[str, Any]:
    request = {
        "method": "GET",
        "path": f"/users/{user_id}",
        "headers": {"Accept": "application/json"},
    }
    if not exists:
        return {
            "description": f"a request for missing user {user_id}",
            "providerStates": [{"name": USER_DOES_NOT_EXIST, "params": {"id": user_id}}],
            "request": request,
            "response": {"status": 404},
        }
    return {
        "description": f"a request for user {user_id}",
        "providerStates": [{"name": USER_EXISTS, "params": {"id": user_id}}],
        "request": request,
        "response": {
            "status": 200,
            "headers": {"Content-Type": "application/json"},
            "body": {"id": user_id, "name": "Ada Lovelace", "email": "ada@example.com"},
            "matchingRules": {
                "body": {
                    "$.id": {"matchers": [{"match": "integer"}]},
                    "$.name": {"matchers": [{"match": "type"}]},
                    "$.email": _EMAIL_RULE,
                }
            },
        },
    }


def interaction_times(output: str) -> list[float]:
    """Seconds per interaction from the verifier's lines ``(8ms loading, 12ms verification)``."""
    return [_seconds(found.group(2)) for found in _TIMED.finditer(output)]


def _seconds(text: str) -> float:
    return sum(float(value) * _SECONDS[unit] for value, unit in _DURATION.findall(text))


@dataclass(frozen=True)
class Run:
    seconds: float
    per_interaction: list[float]


def _ours(folder: Path, workers: int) -> Run:
    argv = [*PROVIDER.uv_run(), "python", "-m", "user_service_contract", "--pact-dir", str(folder)]
    if workers:
        argv += ["--workers", str(workers)]
    started = time.perf_counter()
    done = subprocess.run(
        argv,
        cwd=PROVIDER.directory,
        env=tier_env(PROVIDER),
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    if done.returncode:
        raise Exit(
            f"bench-verify: our verifier failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}"
        )
    return Run(seconds, interaction_times(done.stdout))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_healthy(url: str, process: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise Exit("bench-verify: the provider for the Ruby verifier did not start")
        try:
            with opener.open(url + "/health", timeout=1):
                return
        except (urllib.error.URLError, OSError):
            time.sleep(0.1)
    raise Exit(f"bench-verify: the provider at {url} did not answer /health")


def _ruby(folder: Path, pacts: list[Path], verifier: str, log_dir: Path) -> Run:
    """The Ruby verifier against the provider served on its own (started before timing)."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    serve = [*PROVIDER.uv_run(), "python", "-m", "user_service_contract.serve", "--port", str(port)]
    provider = subprocess.Popen(
        serve, cwd=PROVIDER.directory, env=tier_env(PROVIDER), stdout=subprocess.DEVNULL
    )
    try:
        _wait_healthy(url, provider)
        argv = [
            verifier, *map(str, pacts), "--provider-base-url", url,
            "--provider-states-setup-url", url + STATE_CHANGE_PATH, "--log-dir", str(log_dir),
        ]  # fmt: skip
        started = time.perf_counter()
        done = subprocess.run(argv, capture_output=True, text=True, check=False, cwd=folder)
        seconds = time.perf_counter() - started
    finally:
        provider.terminate()
        provider.wait(timeout=10)
    if done.returncode:
        raise Exit(f"bench-verify: the Ruby verifier failed:\n{done.stdout[-3000:]}")
    return Run(seconds, [])


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


@task(
    name="bench-verify",
    help={
        "interactions": "interactions in all (default: 1000)",
        "consumers": "pacts (one per consumer) they are spread over (default: 10)",
        "workers": "our verifier's --workers (default: its own: the usable CPUs, at most 8)",
        "ruby": "path of the Ruby pact-provider-verifier (pact-python 2.x) to compare with, on "
        "the same pacts against the provider served on its own",
        "runs": "runs of each verifier, alternating (default: 3)",
    },
)
def bench_verify(
    c: Context,
    *,
    interactions: int = 1000,
    consumers: int = 10,
    workers: int = 0,
    ruby: str = "",
    runs: int = 3,
) -> None:
    """Time provider verification on generated pacts (interactions/s, p50/p95 per interaction)."""
    if interactions < 1 or consumers < 1 or consumers > interactions or runs < 1:
        raise Exit("bench-verify: need 1 <= --consumers <= --interactions and --runs >= 1")
    if ruby and not Path(ruby).is_file():
        raise Exit(f"bench-verify: --ruby {ruby!r} is not a file")
    PROVIDER.sync()
    with tempfile.TemporaryDirectory(prefix="bench-verify-") as temp:
        folder = Path(temp) / "pacts"
        pacts = generate_pacts(folder, interactions=interactions, consumers=consumers)
        print(f"bench-verify: {interactions} interactions over {consumers} pacts in {folder}")
        ours: list[Run] = []
        theirs: list[Run] = []
        for number in range(1, runs + 1):
            ours.append(_ours(folder, workers))
            print(f"run {number}: ours {ours[-1].seconds:.2f} s", end="")
            if ruby:
                theirs.append(_ruby(folder, pacts, ruby, Path(temp)))
                print(f", Ruby {theirs[-1].seconds:.2f} s", end="")
            print()
    _report("ours", ours, interactions, workers)
    if theirs:
        _report("Ruby", theirs, interactions, workers=None)
        ratio = statistics.median(r.seconds for r in ours) / statistics.median(
            r.seconds for r in theirs
        )
        print(f"ours / Ruby (median wall time): {ratio:.2f}")


def _report(name: str, runs: list[Run], interactions: int, workers: int | None) -> None:
    walls = [run.seconds for run in runs]
    median = statistics.median(walls)
    line = (
        f"{name}: wall median {median:.2f} s (min {min(walls):.2f}, max {max(walls):.2f}), "
        f"{interactions / median:.0f} interactions/s"
    )
    if workers is not None:
        line += f", workers {workers or 'CPUs'}"
    times = [t for run in runs for t in run.per_interaction]
    if times:
        line += (
            f"; per interaction p50 {_percentile(times, 0.5) * 1000:.1f} ms, "
            f"p95 {_percentile(times, 0.95) * 1000:.1f} ms"
        )
    print(line)
