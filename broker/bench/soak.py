"""Broker soak: a broker subprocess under the pipeline's mixed traffic from client threads."""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from bench.broker_process import (
    BrokerProcess,
    ServerTraceback,
    add_database_arguments,
    check_database_arguments,
    chosen_database,
)
from bench.soak_traffic import (
    OPERATIONS,
    Client,
    Failure,
    OperationStats,
    Recorder,
    Sample,
    SoakError,
    World,
    percentile,
    run_id,
    set_up,
)

__all__ = ["OPERATIONS", "SoakConfig", "SoakResult", "main", "run_soak", "summary"]

DATABASE_URL_VARIABLE = "SOAK_BROKER_DATABASE_URL"


@dataclass(frozen=True)
class SoakConfig:
    """How long, how many clients, which database, how often to report."""

    seconds: float = 60.0
    clients: int = 8
    database_url: str = ""  # empty: a fresh SQLite file in a temp dir
    interval: float = 0.0  # 0: a minute, or a sixth of the run when that is shorter
    seed: int = 1
    consumers: int = 4
    providers: int = 3

    def report_every(self) -> float:
        if self.interval > 0:
            return self.interval
        return 60.0 if self.seconds >= 360 else max(5.0, self.seconds / 6)


# ---------------------------------------------------------------- results


@dataclass(frozen=True)
class Interval:
    """One row of the table: the requests that finished in this interval."""

    elapsed_s: float
    seconds: float
    requests: int
    server_errors: int
    unexpected: int
    p95_ms: float
    rss_kib: int | None

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds > 0 else 0.0


@dataclass
class SoakResult:
    """The figures of a soak run."""

    seconds: float
    clients: int
    database: str
    intervals: list[Interval]
    operations: dict[str, OperationStats]
    failures: list[Failure]
    tracebacks: list[ServerTraceback]
    rss_start_kib: int | None
    rss_end_kib: int | None
    broker_exit_code: int | None = None

    @property
    def requests(self) -> int:
        return sum(s.requests for s in self.operations.values())

    @property
    def server_errors(self) -> int:
        return sum(s.server_errors for s in self.operations.values())

    @property
    def unexpected(self) -> int:
        return sum(s.unexpected for s in self.operations.values())

    @property
    def rss_max_kib(self) -> int | None:
        values = [i.rss_kib for i in self.intervals if i.rss_kib is not None]
        values += [v for v in (self.rss_start_kib, self.rss_end_kib) if v is not None]
        return max(values) if values else None

    @property
    def ok(self) -> bool:
        return self.requests > 0 and self.server_errors == 0 and self.unexpected == 0


# ---------------------------------------------------------------- running


def _interval(
    samples: list[Sample], *, elapsed: float, seconds: float, rss: int | None
) -> Interval:
    return Interval(
        elapsed_s=elapsed,
        seconds=seconds,
        requests=len(samples),
        server_errors=sum(s.status >= 500 for s in samples),
        unexpected=sum(not s.expected for s in samples),
        p95_ms=percentile([s.latency_ms for s in samples], 0.95),
        rss_kib=rss,
    )


def _traffic(
    config: SoakConfig,
    broker: BrokerProcess,
    world: World,
    recorder: Recorder,
    on_interval: Callable[[Interval], None],
) -> list[Interval]:
    """Run the client threads until the deadline, reporting each interval as it ends."""
    started = time.monotonic()
    deadline = started + config.seconds
    clients = [
        Client(index=i, world=world, recorder=recorder, base_url=broker.url, seed=config.seed)
        for i in range(1, config.clients + 1)
    ]
    errors: list[BaseException] = []

    def work(client: Client) -> None:
        try:
            client.run(deadline)
        except BaseException as error:  # reported after the run; the other clients go on
            errors.append(error)
            raise

    threads = [
        threading.Thread(target=work, args=(c,), name=f"soak-client-{c.index}", daemon=True)
        for c in clients
    ]
    for thread in threads:
        thread.start()
    intervals: list[Interval] = []
    every = config.report_every()
    ticks = max(1, math.ceil(config.seconds / every - 1e-9))
    last = started
    for tick in range(1, ticks + 1):
        if tick < ticks:
            time.sleep(max(0.0, started + tick * every - time.monotonic()))
        else:  # the last row ends when every client has finished its last operation
            for thread in threads:
                thread.join()
        now = time.monotonic()
        rss = broker.rss_kib()
        row = _interval(recorder.drain(), elapsed=now - started, seconds=now - last, rss=rss)
        intervals.append(row)
        on_interval(row)
        last = now
    if errors:
        raise SoakError(f"a client thread failed: {errors[0]!r}") from errors[0]
    return intervals


def run_soak(config: SoakConfig, *, print_row: Callable[[str], None] | None = None) -> SoakResult:
    """Start a broker subprocess, run the traffic for ``config.seconds``, stop it; the figures."""
    say = print_row or (lambda _line: None)
    with ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="soak-broker-")))
        database_url = config.database_url or f"sqlite:///{folder / 'broker.sqlite'}"
        broker = BrokerProcess(database_url, folder / "broker.log")
        stack.callback(broker.stop)
        broker.start()
        rss_start = broker.rss_kib()
        world = World(
            run_id(broker.url, prefix="r", seed=config.seed),
            consumers=config.consumers,
            providers=config.providers,
        )
        recorder = Recorder()
        set_up(world, recorder, broker.url, config.seed)
        recorder.drain()  # the set-up is counted per operation, not in the first row
        say(_header())
        intervals = _traffic(config, broker, world, recorder, lambda row: say(_row(row)))
        rss_end = broker.rss_kib()
        exit_code = broker.stop()
        result = SoakResult(
            seconds=config.seconds,
            clients=config.clients,
            database=_engine(database_url),
            intervals=intervals,
            operations=recorder.operations,
            failures=sorted(recorder.failures.values(), key=lambda f: -f.count),
            tracebacks=broker.tracebacks(),
            rss_start_kib=rss_start,
            rss_end_kib=rss_end,
            broker_exit_code=exit_code,
        )
    return result


def _engine(url: str) -> str:
    return "PostgreSQL" if url.startswith("postgresql") else url.split(":", 1)[0]


# ---------------------------------------------------------------- report


def _mib(kib: int | None) -> str:
    return "-" if kib is None else f"{kib / 1024:.1f}"


def _header() -> str:
    return (
        f"{'elapsed s':>9}{'requests':>10}{'req/s':>8}{'5xx':>6}{'unexpected':>12}"
        f"{'p95 ms':>9}{'RSS MiB':>9}"
    )


def _row(row: Interval) -> str:
    return (
        f"{row.elapsed_s:>9.0f}{row.requests:>10}{row.per_second:>8.1f}{row.server_errors:>6}"
        f"{row.unexpected:>12}{row.p95_ms:>9.1f}{_mib(row.rss_kib):>9}"
    )


def summary(result: SoakResult) -> Iterator[str]:
    """The final report: per operation, the totals, memory, and every distinct failure."""
    yield ""
    yield f"soak: {result.seconds:.0f} s, {result.clients} clients, {result.database}"
    header = (
        f"{'operation':<28}{'requests':>9}{'5xx':>6}{'unexpected':>12}"
        f"{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}  statuses"
    )
    yield header
    yield "-" * len(header)
    for name, stats in result.operations.items():
        if not stats.requests:
            continue
        statuses = ", ".join(f"{s} x{n}" for s, n in sorted(stats.statuses.items()))
        latencies = stats.latencies_ms
        yield (
            f"{name:<28}{stats.requests:>9}{stats.server_errors:>6}{stats.unexpected:>12}"
            f"{percentile(latencies, 0.5):>9.1f}{percentile(latencies, 0.95):>9.1f}"
            f"{max(latencies):>9.1f}  {statuses}"
        )
    traffic = sum(i.requests for i in result.intervals)
    elapsed = result.intervals[-1].elapsed_s if result.intervals else 0.0
    rate = traffic / elapsed if elapsed else 0.0
    yield (
        f"total: {result.requests} requests ({rate:.1f}/s under load), "
        f"{result.server_errors} 5xx, {result.unexpected} unexpected statuses"
    )
    yield (
        f"broker RSS: {_mib(result.rss_start_kib)} MiB at start, {_mib(result.rss_end_kib)} MiB "
        f"at the end, {_mib(result.rss_max_kib)} MiB at most"
    )
    for failure in result.failures:
        yield ""
        yield (
            f"UNEXPECTED x{failure.count}: {failure.operation}: {failure.method} {failure.path} -> "
            f"{failure.status or 'no response'} (expected {', '.join(map(str, failure.expected))})"
        )
        yield f"  request body: {failure.body_shape}"
        yield f"  response: {failure.response}"
    for traceback in result.tracebacks:
        yield ""
        yield f"SERVER TRACEBACK x{traceback.count}: {traceback.exception} at {traceback.where}"
        yield traceback.text
    yield ""
    yield (
        "soak PASSED"
        if result.ok
        else "soak FAILED: the broker answered 5xx or unexpected statuses"
    )


# ---------------------------------------------------------------- main


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=60.0, help="how long the traffic runs")
    parser.add_argument("--clients", type=int, default=8, help="client threads")
    parser.add_argument(
        "--interval",
        type=float,
        default=0.0,
        help="seconds per table row (default: 60, or a sixth of a shorter run)",
    )
    parser.add_argument("--seed", type=int, default=1, help="seed of the clients' choices")
    add_database_arguments(parser, DATABASE_URL_VARIABLE)
    args = parser.parse_args(argv)
    if args.seconds <= 0 or args.clients < 1:
        parser.error("--seconds must be positive and --clients at least 1")
    check_database_arguments(parser, args)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with ExitStack() as stack:
        url = chosen_database(args, stack)
        config = SoakConfig(
            seconds=args.seconds, clients=args.clients, database_url=url,
            interval=args.interval, seed=args.seed,
        )  # fmt: skip
        print(
            f"soak-broker: {config.clients} clients for {config.seconds:.0f} s on "
            f"{'a fresh SQLite file' if not url else _engine(url)}; a row every "
            f"{config.report_every():.0f} s",
            flush=True,
        )
        result = run_soak(config, print_row=lambda line: print(line, flush=True))
    for line in summary(result):
        print(line)
    return 0 if result.ok else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except SoakError as error:
        sys.exit(f"soak-broker: {error}")
