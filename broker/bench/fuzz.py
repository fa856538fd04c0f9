"""Broker fuzz: schemathesis against a broker subprocess's OpenAPI document, bounded in time."""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import hypothesis.configuration
import schemathesis
from bench.broker_process import (
    BrokerProcess,
    ServerTraceback,
    add_database_arguments,
    check_database_arguments,
    chosen_database,
    loopback_client,
)
from bench.fuzz_bodies import WEBHOOK_HOST, describe_bodies
from bench.soak_traffic import Client, Recorder, World, body_shape, run_id, set_up
from schemathesis.engine import events

__all__ = ["FuzzConfig", "FuzzResult", "main", "run_fuzz", "summary"]

DATABASE_URL_VARIABLE = "FUZZ_BROKER_DATABASE_URL"


class FuzzError(RuntimeError):
    """The fuzz could not run (the broker did not start, seeding it failed)."""


@dataclass(frozen=True)
class FuzzConfig:
    """How long, how many examples, which database, which document."""

    seconds: int = 60
    max_examples: int = 25
    seed: int = 1
    database_url: str = ""  # empty: a fresh SQLite file in a temp dir
    workers: int = 1
    describe_bodies: bool = True  # False: fuzz the document exactly as the broker serves it


@dataclass
class OperationFigures:
    cases: int = 0
    with_body: int = 0
    server_errors: int = 0
    no_response: int = 0
    statuses: Counter[int] = field(default_factory=Counter)


@dataclass
class FuzzFailure:
    """A 5xx (or no response): the operation, the request's shape, the answer."""

    operation: str
    method: str
    path: str
    status: int
    body_shape: str
    body: str  # where its strings hold a NUL, else its start
    response: str
    count: int = 1


@dataclass
class FuzzResult:
    """The figures of a fuzz run."""

    seconds: float
    database: str
    described_bodies: int
    operations: dict[str, OperationFigures]
    failures: list[FuzzFailure]
    engine_errors: list[str]
    tracebacks: list[ServerTraceback]
    stop_reason: str

    @property
    def cases(self) -> int:
        return sum(f.cases for f in self.operations.values())

    @property
    def server_errors(self) -> int:
        return sum(f.server_errors for f in self.operations.values())

    @property
    def no_response(self) -> int:
        return sum(f.no_response for f in self.operations.values())

    @property
    def ok(self) -> bool:
        return self.cases > 0 and self.server_errors == 0 and self.no_response == 0


# ---------------------------------------------------------------- the document


def _operations(document: dict[str, Any]) -> list[str]:
    return [
        f"{method.upper()} {path}"
        for path, operations in document.get("paths", {}).items()
        for method in operations
        if method in ("get", "put", "post", "delete", "patch", "head", "options")
    ]


# ---------------------------------------------------------------- seeding


@dataclass(frozen=True)
class Seeded:
    """Names and numbers that exist on the broker: the fuzzer draws path values from them."""

    pacticipants: list[str]
    versions: list[str]
    branches: list[str]
    environments: list[str]
    uuids: list[str]
    shas: list[str]


def seed_broker(base_url: str, seed: int) -> Seeded:
    """The soak's set-up plus a few verifications and deployments, so lookups can succeed."""
    world = World(run_id(base_url, prefix="f", seed=seed), consumers=3, providers=2)
    recorder = Recorder()
    set_up(world, recorder, base_url, seed)
    client = Client(index=1, world=world, recorder=recorder, base_url=base_url, seed=seed)
    with loopback_client(base_url) as client.http:
        for _ in range(4):
            client.verify()
            client.record_deployment()
        published, pact_urls, provider_versions = world.snapshot()
        shas = sorted({_sha(client.http.get(urlsplit(url).path).json()) for url in pact_urls})
    if recorder.failures:
        failure = next(iter(recorder.failures.values()))
        raise FuzzError(
            f"seeding the broker failed: {failure.operation} {failure.method} {failure.path} "
            f"answered {failure.status}: {failure.response}"
        )
    return Seeded(
        pacticipants=[*world.consumers, *world.providers],
        versions=sorted({p.number for p in published} | {n for _, n in provider_versions}),
        branches=["main", "feature-a"],
        environments=sorted(world.environments),
        uuids=sorted(world.environments.values()),
        shas=shas,
    )


def _sha(pact: dict[str, Any]) -> str:
    name: str = pact["_links"]["pb:pact-version"]["name"]
    return name


# ---------------------------------------------------------------- schemathesis


def _schemathesis_config(config: FuzzConfig, base_url: str, seeded: Seeded) -> Any:
    """The run's configuration, as a ``schemathesis.toml`` would hold it."""
    dictionaries = {
        "pacticipants": seeded.pacticipants,
        "versions": seeded.versions,
        "branches": seeded.branches,
        "environments": seeded.environments,
        "uuids": seeded.uuids,
        "shas": seeded.shas,
    }
    bound = {
        "provider": "pacticipants", "consumer": "pacticipants", "pacticipant": "pacticipants",
        "version": "versions", "other": "versions", "branch": "branches",
        "environment": "environments", "uuid": "uuids", "sha": "shas",
    }  # fmt: skip
    return schemathesis.Config.from_dict(
        {
            "seed": config.seed,
            "max-time": config.seconds,
            "base-url": base_url,
            "workers": config.workers,
            "request-timeout": 30,
            "cache": {"enabled": False},
            "generation": {"max-examples": config.max_examples, "database": "none"},
            # Only one check: no response may be a server error.
            "checks": {"enabled": False, "not_a_server_error": {"enabled": True}},
            "dictionaries": {
                name: {"values": values} for name, values in dictionaries.items() if values
            },
            # Half of the values from what exists, half generated.
            "parameters": {
                name: {"dictionary": dictionary, "probability": 0.5}
                for name, dictionary in bound.items()
                if dictionaries[dictionary]
            },
        }
    )


class Collector:
    """Counts each operation's cases and 5xx from the engine's events; keeps one per failure."""

    def __init__(self, operations: list[str]) -> None:
        self.operations = {label: OperationFigures() for label in operations}
        self.failures: dict[tuple[str, int], FuzzFailure] = {}
        self.engine_errors: list[str] = []
        self.stop_reason = "?"

    def __call__(self, event: events.EngineEvent) -> None:
        if isinstance(event, events.ScenarioFinished | events.FuzzScenarioFinished):
            self._scenario(event.recorder)
        elif isinstance(event, events.NonFatalError):
            self.engine_errors.append(f"{event.label}: {event.info.title}: {event.info.message}")
        elif isinstance(event, events.FatalError):
            self.engine_errors.append(f"fatal: {event.exception!r}")
        elif isinstance(event, events.EngineFinished):
            self.stop_reason = str(event.stop_reason)

    def _scenario(self, recorder: Any) -> None:
        for case_id, interaction in recorder.interactions.items():
            node = recorder.cases.get(case_id)
            label = node.value.operation.label if node is not None else recorder.label
            figures = self.operations.setdefault(label, OperationFigures())
            figures.cases += 1
            request = interaction.request
            figures.with_body += bool(request.body)
            response = interaction.response
            status = response.status_code if response is not None else 0
            figures.statuses[status] += 1
            if status and status < 500:
                continue
            if status:
                figures.server_errors += 1
            else:
                figures.no_response += 1
            self._failure(label, request, response, status)

    def _failure(self, label: str, request: Any, response: Any, status: int) -> None:
        key = (label, status)
        if key in self.failures:
            self.failures[key].count += 1
            return
        text = response.content[:600].decode("utf-8", "replace") if response is not None else ""
        self.failures[key] = FuzzFailure(
            operation=label,
            method=request.method,
            path=request.uri,
            status=status,
            body_shape=_shape_of(request.body),
            body=_excerpt(request.body),
            response=text,
        )


def _excerpt(body: bytes | None, limit: int = 200) -> str:
    """Where the body's strings hold a NUL, else its start (non-ASCII escaped)."""
    if not body:
        return ""
    try:
        document = json.loads(body)
    except ValueError:
        return repr(body[:limit])
    nul = list(_nul_paths(document, "$"))
    if nul:
        return "a NUL character in " + ", ".join(nul[:5])
    text = json.dumps(document)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _nul_paths(value: Any, path: str) -> Iterator[str]:
    if isinstance(value, str) and "\x00" in value:
        yield path
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _nul_paths(key, f"{path} (a key)")
            yield from _nul_paths(item, f"{path}.{key}" if key.isidentifier() else f"{path}[?]")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _nul_paths(item, f"{path}[{index}]")


def _shape_of(body: bytes | None) -> str:
    if not body:
        return "(none)"
    try:
        return body_shape(json.loads(body))
    except ValueError:
        return f"(not JSON, {len(body)} bytes)"


# ---------------------------------------------------------------- running


def run_fuzz(config: FuzzConfig, *, say: Callable[[str], None] | None = None) -> FuzzResult:
    """Start a broker subprocess, seed it, fuzz its OpenAPI document, stop it; the figures."""
    tell = say or (lambda _line: None)
    with ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="fuzz-broker-")))
        # Hypothesis keeps its files here, not in the working directory, for this run only.
        hypothesis.configuration.set_hypothesis_home_dir(folder / "hypothesis")
        stack.callback(hypothesis.configuration.set_hypothesis_home_dir, None)
        database_url = config.database_url or f"sqlite:///{folder / 'broker.sqlite'}"
        broker = BrokerProcess(
            database_url,
            folder / "broker.log",
            settings={"PACT_BROKER_WEBHOOK_HOST_WHITELIST": WEBHOOK_HOST},
        )
        stack.callback(broker.stop)
        broker.start()
        seeded = seed_broker(broker.url, config.seed)
        with loopback_client(broker.url) as client:
            document = client.get("/openapi.json").json()
        described = describe_bodies(document) if config.describe_bodies else 0
        operations = _operations(document)
        tell(
            f"fuzzing {len(operations)} operations of {broker.url}/openapi.json for "
            f"{config.seconds} s ({config.max_examples} examples per operation and pass; "
            f"{described} request bodies described here)"
        )
        schema = schemathesis.openapi.from_dict(
            document, config=_schemathesis_config(config, broker.url, seeded)
        )
        collect = Collector(operations)
        for event in schemathesis.engine.from_schema(schema).execute():
            collect(event)
        broker.stop()
        result = FuzzResult(
            seconds=config.seconds,
            database="PostgreSQL" if database_url.startswith("postgresql") else "SQLite",
            described_bodies=described,
            operations=collect.operations,
            failures=sorted(collect.failures.values(), key=lambda f: -f.count),
            engine_errors=collect.engine_errors,
            tracebacks=broker.tracebacks(),
            stop_reason=collect.stop_reason,
        )
    return result


# ---------------------------------------------------------------- report


def summary(result: FuzzResult) -> Iterator[str]:
    """Cases per operation, then every distinct failure and server traceback."""
    yield ""
    header = f"{'operation':<100}{'cases':>7}{'bodies':>8}{'5xx':>5}  statuses"
    yield header
    yield "-" * len(header)
    for label, figures in sorted(result.operations.items(), key=lambda item: item[0].split()[1]):
        statuses = ", ".join(f"{s or 'none'} x{n}" for s, n in sorted(figures.statuses.items()))
        yield (
            f"{label:<100}{figures.cases:>7}{figures.with_body:>8}{figures.server_errors:>5}  "
            f"{statuses}"
        )
    untested = [label for label, figures in result.operations.items() if not figures.cases]
    yield (
        f"fuzz: {result.cases} cases over {len(result.operations) - len(untested)} operations in "
        f"{result.seconds} s on {result.database} (stopped: {result.stop_reason}); "
        f"{result.server_errors} 5xx, {result.no_response} without a response"
    )
    if untested:
        yield f"operations without a case: {', '.join(untested)}"
    for error in result.engine_errors:
        yield f"schemathesis error: {error}"
    for failure in result.failures:
        yield ""
        yield (
            f"SERVER ERROR x{failure.count}: {failure.operation}: {failure.method} {failure.path}"
            f" -> {failure.status or 'no response'}"
        )
        yield f"  request body: {failure.body_shape}"
        if failure.body:
            yield f"  body: {failure.body}"
        yield f"  response: {failure.response}"
    for traceback in result.tracebacks:
        yield ""
        yield f"SERVER TRACEBACK x{traceback.count}: {traceback.exception} at {traceback.where}"
        yield traceback.text
    yield ""
    yield "fuzz PASSED" if result.ok else "fuzz FAILED: the broker answered 5xx"


# ---------------------------------------------------------------- main


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=60, help="time budget of schemathesis")
    parser.add_argument(
        "--max-examples", type=int, default=25, help="examples per operation and pass"
    )
    parser.add_argument("--seed", type=int, default=1, help="schemathesis' seed")
    parser.add_argument("--workers", type=int, default=1, help="schemathesis' workers")
    parser.add_argument(
        "--as-served",
        action="store_true",
        help="fuzz the document as served (no request bodies described)",
    )
    add_database_arguments(parser, DATABASE_URL_VARIABLE)
    args = parser.parse_args(argv)
    if args.seconds < 1 or args.max_examples < 1 or args.workers < 1:
        parser.error("--seconds, --max-examples and --workers must be at least 1")
    check_database_arguments(parser, args)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with ExitStack() as stack:
        url = chosen_database(args, stack)
        config = FuzzConfig(
            seconds=args.seconds, max_examples=args.max_examples, seed=args.seed,
            database_url=url, workers=args.workers, describe_bodies=not args.as_served,
        )  # fmt: skip
        result = run_fuzz(config, say=lambda line: print(line, flush=True))
    for line in summary(result):
        print(line)
    return 0 if result.ok else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except FuzzError as error:
        sys.exit(f"fuzz-broker: {error}")
