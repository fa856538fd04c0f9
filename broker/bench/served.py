"""The broker as a team runs it: server processes on the seeded database, timed over HTTP.

A configuration is ``workers`` processes on one port (``contract-broker --workers N``) times
``replicas`` separate servers on their own ports; the client spreads its requests over the
replicas in turn, as a load balancer would. For each configuration: one client's latency per
operation, then publishes per second from concurrent publishers.
"""

from __future__ import annotations

import itertools
import math
import os
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx2 as httpx
from broker_process import HEARTBEAT, BrokerProcess, ServerTraceback, loopback_client
from dataset import Seeded, settle
from traffic import CAN_I_DEPLOY, FOR_VERIFICATION, GET_PACT, PUBLISH, Requests, check

from contract_broker.db import Database

__all__ = [
    "Configuration",
    "ServedRun",
    "Throughput",
    "parse_configurations",
    "run_served",
]

REQUEST_TIMEOUT = 60.0
# No webhook worker: its polling would run statements in the middle of the measured requests.
SERVER_SETTINGS = {"PACT_BROKER_WEBHOOK_WORKER_ENABLED": "false"}
_SPEC = re.compile(r"(?:(\d+)([wr]))+")
_PART = re.compile(r"(\d+)([wr])")


@dataclass(frozen=True)
class Configuration:
    """How many server processes: ``workers`` on each port, ``replicas`` ports."""

    workers: int = 1
    replicas: int = 1

    def describe(self) -> str:
        workers = f"{self.workers} worker{'s' if self.workers > 1 else ''}"
        if self.replicas == 1:
            return "1 process" if self.workers == 1 else workers
        replicas = f"{self.replicas} replicas"
        return replicas if self.workers == 1 else f"{replicas} x {workers}"

    @classmethod
    def parse(cls, text: str) -> Configuration:
        """``2w`` (2 workers), ``2r`` (2 replicas), ``2r2w``, ``1w`` (one process)."""
        if not _SPEC.fullmatch(text):
            raise ValueError(
                f"{text!r} is not a configuration: write workers as Nw and replicas as Nr, "
                "e.g. 1w, 2w, 2r or 2r2w"
            )
        counts = {kind: int(n) for n, kind in _PART.findall(text)}
        if min(counts.values()) < 1:
            raise ValueError(f"{text!r}: workers and replicas must be at least 1")
        return cls(workers=counts.get("w", 1), replicas=counts.get("r", 1))


def parse_configurations(text: str) -> list[Configuration]:
    """A comma-separated list of ``Configuration.parse`` specs."""
    return [Configuration.parse(part.strip()) for part in text.split(",") if part.strip()]


@dataclass
class Throughput:
    """Concurrent publishers over a measured window (after a warm-up)."""

    publishers: int
    seconds: float
    completed: int
    latencies_ms: list[float]
    errors: Counter[str]
    client_cpu_seconds: float
    server_cpu_seconds: list[float] = field(default_factory=list)  # per server process
    machine_busy: float = math.nan  # share of all cores busy over the window

    @property
    def server_cpu_shares(self) -> list[float]:
        """Each server process's CPU time as a share of one core over the window."""
        return [seconds / self.seconds for seconds in self.server_cpu_seconds]

    @property
    def per_second(self) -> float:
        return self.completed / self.seconds

    @property
    def client_cpu_share(self) -> float:
        """The client's CPU time as a share of one core over the window."""
        return self.client_cpu_seconds / self.seconds


@dataclass
class ServedRun:
    """One configuration's figures."""

    label: str
    configuration: Configuration
    latencies_ms: dict[str, list[float]]
    throughput: Throughput
    tracebacks: list[ServerTraceback] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


class RoundRobin:
    """Sends each request through the next client in turn (one per replica), like a load
    balancer; ``turns`` may be shared by several of them so they take turns together."""

    def __init__(self, clients: list[httpx.Client], turns: Iterator[int] | None = None) -> None:
        self.clients = clients
        self._turns = turns if turns is not None else itertools.count()

    def _next(self) -> httpx.Client:
        # next() on itertools.count is atomic in CPython: threads may share it.
        return self.clients[next(self._turns) % len(self.clients)]

    def get(self, url: str, *, headers: dict[str, str]) -> httpx.Response:
        return self._next().get(url, headers=headers)

    def post(self, url: str, *, content: bytes, headers: dict[str, str]) -> httpx.Response:
        return self._next().post(url, content=content, headers=headers)

    def close(self) -> None:
        for client in self.clients:
            client.close()


@contextmanager
def serving(
    configuration: Configuration, database_url: str, folder: Path
) -> Iterator[list[BrokerProcess]]:
    """The configuration's servers, started (each answers its heartbeat) until the block ends."""
    with ExitStack() as stack:
        brokers = []
        for replica in range(configuration.replicas):
            broker = BrokerProcess(
                database_url,
                folder / f"broker-{configuration.workers}w-{replica + 1}.log",
                settings=SERVER_SETTINGS,
                workers=configuration.workers,
                log_level="warning",
            )
            stack.callback(broker.stop)
            brokers.append(broker.start())
        yield brokers


def run_served(
    label: str,
    configuration: Configuration,
    seeded: Seeded,
    database_url: str,
    folder: Path,
    *,
    requests: int,
    warmup: int,
    publishers: int,
    seconds: float,
    say: Callable[[str], None],
) -> ServedRun:
    """Start the servers, time one client's requests, then concurrent publishers; stop."""
    say(f"\n== {label}: served by {configuration.describe()} over HTTP")
    # The previous configuration's publishes are vacuumed first, not while this one is timed.
    database = Database(database_url)
    try:
        settle(database)
    finally:
        database.dispose()
    with serving(configuration, database_url, folder) as brokers:
        urls = [broker.url for broker in brokers]
        say(f"   listening on {', '.join(urls)}")
        sender = RoundRobin([loopback_client(url, REQUEST_TIMEOUT) for url in urls])
        try:
            build = Requests(seeded, sender)
            builders = build.builders()
            latencies: dict[str, list[float]] = {}
            # Reads first, on the data as seeded; publish (which adds versions) last.
            for operation in (FOR_VERIFICATION, GET_PACT, CAN_I_DEPLOY, PUBLISH):
                collect = build.collect_pact_urls if operation == FOR_VERIFICATION else None
                latencies[operation] = _timed(
                    operation, builders[operation], requests, warmup, collect
                )
            say(f"   {requests} requests per operation from one client")
        finally:
            sender.close()
        throughput = publish_throughput(
            seeded,
            urls,
            publishers=publishers,
            seconds=seconds,
            server_pids=[broker.pid for broker in brokers],
        )
        say(
            f"   {throughput.completed} publishes in {throughput.seconds:.0f} s from "
            f"{publishers} clients"
        )
    run = ServedRun(label, configuration, latencies, throughput)
    for broker in brokers:  # stopped: their logs are complete
        run.tracebacks.extend(broker.tracebacks())
    return run


def _timed(
    operation: str,
    build: Callable[[int], Callable[[], httpx.Response]],
    requests: int,
    warmup: int,
    on_response: Callable[[httpx.Response], None] | None,
) -> list[float]:
    """``warmup`` requests unrecorded, then ``requests`` one at a time; latencies in ms."""
    latencies = []
    for i in range(warmup + requests):
        send = build(i)  # built before the clock starts
        began = time.perf_counter()
        response = send()
        elapsed = time.perf_counter() - began
        check(operation, response)
        if on_response is not None:
            on_response(response)
        if i >= warmup:
            latencies.append(elapsed * 1000)
    return latencies


def publish_throughput(
    seeded: Seeded,
    urls: list[str],
    *,
    publishers: int,
    seconds: float,
    server_pids: list[int] | None = None,
) -> Throughput:
    """``publishers`` threads publishing new versions back to back, each on its own kept-alive
    connections, for a warm-up and then ``seconds`` measured.

    Threads suffice for the client: each waits on its socket nearly all the time, and the
    client's own CPU over the window is measured and reported.
    """
    turns = itertools.count()  # one round robin for all: a load balancer's view
    senders = [
        RoundRobin([loopback_client(url, REQUEST_TIMEOUT) for url in urls], turns)
        for _ in range(publishers)
    ]
    try:
        # Connections opened one at a time, so the workers sharing a port each accept their
        # share (a burst of connects can all be accepted by whichever worker wakes first).
        for sender in senders:
            for client in sender.clients:
                client.get(HEARTBEAT).raise_for_status()
        builds = [Requests(seeded, sender) for sender in senders]
        warm = max(2.0, seconds / 5)
        done: list[list[tuple[float, float, str]]] = [[] for _ in range(publishers)]
        crashed: list[BaseException] = []
        barrier = threading.Barrier(publishers + 1)
        start = time.perf_counter() + 0.1
        measured_from, end = start + warm, start + warm + seconds

        def publish(t: int) -> None:
            try:
                barrier.wait()
                for k in itertools.count():
                    if time.perf_counter() >= end:
                        return
                    send = builds[t].publish(t + k * publishers)
                    began = time.perf_counter()
                    try:
                        status = str(send().status_code)
                    except httpx.TransportError as error:
                        status = type(error).__name__
                    done[t].append((began, time.perf_counter(), status))
            except BaseException as error:  # reported after the join
                crashed.append(error)

        threads = [threading.Thread(target=publish, args=(t,)) for t in range(publishers)]
        for thread in threads:
            thread.start()
        barrier.wait()
        time.sleep(max(0.0, measured_from - time.perf_counter()))
        cpu_from = time.process_time()
        servers_from = _process_cpu(_server_processes(server_pids or []))
        machine_from = _machine_cpu()
        time.sleep(max(0.0, end - time.perf_counter()))
        cpu = time.process_time() - cpu_from
        servers_to = _process_cpu(servers_from)
        machine_to = _machine_cpu()
        for thread in threads:
            thread.join()
    finally:
        for sender in senders:
            sender.close()
    if crashed:
        raise crashed[0]
    samples = [sample for per_thread in done for sample in per_thread]
    window = [s for s in samples if measured_from <= s[0] < end]
    return Throughput(
        publishers=publishers,
        seconds=seconds,
        completed=sum(1 for s in samples if measured_from <= s[1] < end and s[2] == "200"),
        latencies_ms=[(s[1] - s[0]) * 1000 for s in window],
        errors=Counter(s[2] for s in samples if s[2] != "200"),
        client_cpu_seconds=cpu,
        server_cpu_seconds=[
            servers_to[pid] - servers_from[pid] for pid in servers_from if pid in servers_to
        ],
        machine_busy=_busy_share(machine_from, machine_to),
    )


_TICKS = os.sysconf("SC_CLK_TCK")


def _server_processes(pids: list[int]) -> list[int]:
    """The servers' processes that serve requests: a multi-worker server's workers (its
    children), a single-process server itself."""
    found = []
    for pid in pids:
        try:
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        except OSError:
            children = []
        workers = [int(child) for child in children if not _is_helper(int(child))]
        found.extend(workers or [pid])
    return found


def _is_helper(pid: int) -> bool:
    """multiprocessing's resource tracker, which a multi-worker server also starts."""
    try:
        return b"resource_tracker" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return True


def _process_cpu(pids: Iterable[int]) -> dict[int, float]:
    """CPU seconds (user and system) each process has used so far; gone ones are left out."""
    seconds = {}
    for pid in pids:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()  # after the command name, which may hold spaces
        seconds[pid] = (int(fields[11]) + int(fields[12])) / _TICKS
    return seconds


def _machine_cpu() -> tuple[int, int]:
    """(busy, total) jiffies of all cores so far, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle and iowait
    return sum(values) - idle, sum(values)


def _busy_share(before: tuple[int, int], after: tuple[int, int]) -> float:
    total = after[1] - before[1]
    return (after[0] - before[0]) / total if total else math.nan
