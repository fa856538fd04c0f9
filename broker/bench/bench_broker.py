"""Broker benchmark: seed a large database, then time the pipeline's requests over real HTTP.

Run in the broker tier's environment (``uv run invoke bench-broker``, or from ``broker/``:
``python bench/bench_broker.py --help``). Two passes over publish, pacts-for-verification, GET
pact and can-i-deploy:

1. in-process: the app served from a thread of this process, SQL statements counted per request,
   then the same counts for a small dataset (a request whose statement count grows with the
   data has an N+1 in it); ``--profile`` then shows where the time of each operation goes (SQL
   by statement, Python by function, from a stack sampler);
2. served: broker processes on the seeded database, as a team runs them (``--workers N`` on one
   port, ``--replicas R`` ports taken in turn, or several ``--configurations`` one after
   another): one client's p50/p95/max per operation, then publishes per second from concurrent
   publishers. The p95 targets apply to this pass.

A benchmark, not a test: the targets are for a 2-core machine.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import httpx2 as httpx
from broker_process import throwaway_postgres_cluster
from dataset import Seeded, Shape, seed
from harness import Probe, Sample, ServedApp, StackSampler, client_for, normalize_sql
from served import Configuration, ServedRun, parse_configurations, run_served
from sqlalchemy import MetaData, inspect
from sqlalchemy.engine import make_url
from traffic import (
    CAN_I_DEPLOY,
    FOR_VERIFICATION,
    GET_PACT,
    OPERATIONS,
    PUBLISH,
    TARGETS,
    BenchError,
    Requests,
    check,
    percentile,
)

from contract_broker.db import Database, migrate
from contract_broker.main import create_app
from contract_broker.settings import Settings

SMALL = Shape(
    consumers=2, consumer_versions=20, providers=2, provider_versions=40, verifications=400
)
DATABASE_URL_VARIABLE = "BENCH_BROKER_DATABASE_URL"
PROFILED_REQUESTS = 60


@dataclass
class Measured:
    """The samples of one operation."""

    operation: str
    samples: list[Sample] = field(default_factory=list)

    def percentile(self, fraction: float) -> float:
        return percentile([s.latency_ms for s in self.samples], fraction)

    def statement_range(self) -> tuple[int, int]:
        counts = [len(s.statements) for s in self.samples]
        return min(counts), max(counts)


@dataclass
class Run:
    """One dataset, seeded and measured."""

    label: str
    seeded: Seeded
    measured: dict[str, Measured]
    notes: list[str]


# ---------------------------------------------------------------- measuring


def measure(
    probe: Probe,
    operation: str,
    build: Callable[[int], Callable[[], httpx.Response]],
    *,
    requests: int,
    warmup: int,
    on_response: Callable[[httpx.Response], None] | None = None,
) -> Measured:
    """``warmup`` requests unrecorded, then ``requests`` one at a time."""
    measured = Measured(operation)
    for i in range(warmup + requests):
        send = build(i)  # built before the clock starts
        response, sample = probe.call(send)
        check(operation, response)
        if on_response is not None:
            on_response(response)
        if i >= warmup:
            measured.samples.append(sample)
    return measured


def _deployable(tally: Counter[str]) -> Callable[[httpx.Response], None]:
    def count(response: httpx.Response) -> None:
        tally[str(response.json()["summary"]["deployable"]).lower()] += 1

    return count


def run_dataset(
    label: str,
    shape: Shape,
    url: str,
    *,
    requests: int,
    profile: bool,
) -> Run:
    print(f"\n== {label}: {shape.label()}")
    print(f"   database: {_safe(url)}")
    database = Database(url)
    _require_empty(database)
    migrate(database)
    seeded = seed(database, shape, progress=print)
    print(f"   seeded {sum(seeded.rows.values()):,} rows in {seeded.seconds:.1f} s")

    probe = Probe(create_app(_settings(url), database=database), database.engine)
    measured: dict[str, Measured] = {}
    notes: list[str] = []
    warmup = _warmup(requests)
    with ServedApp(probe).running() as base, client_for(base) as client:
        build = Requests(seeded, client)
        started = time.perf_counter()
        # Reads first, on the data as seeded; publish (which adds versions) last.
        measured[FOR_VERIFICATION] = measure(
            probe,
            FOR_VERIFICATION,
            build.for_verification,
            requests=requests,
            warmup=warmup,
            on_response=build.collect_pact_urls,
        )
        measured[GET_PACT] = measure(
            probe, GET_PACT, build.get_pact, requests=requests, warmup=warmup
        )
        tally: Counter[str] = Counter()
        measured[CAN_I_DEPLOY] = measure(
            probe,
            CAN_I_DEPLOY,
            build.can_i_deploy,
            requests=requests,
            warmup=warmup,
            on_response=_deployable(tally),
        )
        measured[PUBLISH] = measure(probe, PUBLISH, build.publish, requests=requests, warmup=warmup)
        print(f"   measured in {time.perf_counter() - started:.1f} s")
        notes.append(
            f"for-verification returned {len(build.pact_urls)} distinct pact URLs; "
            f"can-i-deploy answers (warm-up included): "
            + ", ".join(f"{k} {v}" for k, v in sorted(tally.items()))
        )
        if profile:
            _profile(probe, build, measured)
    database.dispose()
    return Run(label, seeded, measured, notes)


def _warmup(requests: int) -> int:
    return max(5, requests // 10)


def _settings(url: str) -> Settings:
    # No webhook worker: its polling would run statements in the middle of a measured request.
    return Settings(_env_file=None, database_url=url, webhook_worker_enabled=False)  # type: ignore[call-arg]


def _require_empty(database: Database) -> None:
    tables = inspect(database.engine).get_table_names()
    if tables:
        raise BenchError(
            f"the database {_safe(database.url)} already has tables ({', '.join(tables[:5])}...):"
            " give the URL of an empty database; the benchmark fills it"
        )


def _wipe(url: str) -> None:
    """Drop everything the benchmark created (only after ``_require_empty`` let it start)."""
    database = Database(url)
    metadata = MetaData()
    metadata.reflect(database.engine)
    metadata.drop_all(database.engine)
    database.dispose()


def _safe(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


# ---------------------------------------------------------------- profiling


def _profile(probe: Probe, build: Requests, measured: dict[str, Measured]) -> None:
    """Where the time goes, slowest operation first: the split of the measured requests, then
    the statements of more requests with where they come from, then a stack sampler on more."""
    builders = build.builders()
    for operation in sorted(measured, key=lambda o: -measured[o].percentile(0.95)):
        samples = measured[operation].samples
        print(f"\n-- profile: {operation}")
        latency = statistics.mean(s.latency_ms for s in samples)
        server = statistics.mean(s.server_ms for s in samples)
        sql = statistics.mean(s.sql_ms for s in samples)
        print(
            f"   mean per request: {latency:.2f} ms at the client = {server:.2f} ms in the app "
            f"({sql:.2f} ms running SQL, {server - sql:.2f} ms Python) + "
            f"{latency - server:.2f} ms HTTP and client"
        )
        traced = _traced(probe, operation, builders[operation], PROFILED_REQUESTS)
        totals: dict[str, list[float]] = defaultdict(list)
        for sample in traced:
            for statement, seconds in sample.statements:
                totals[normalize_sql(statement)].append(seconds * 1000)
        print(
            f"   statements by total time, over {len(traced)} more requests "
            "(mean ms, max ms, runs per request, issued by):"
        )
        ranked = sorted(totals.items(), key=lambda item: -sum(item[1]))
        for statement, times in ranked[:8]:
            origin, _, text = statement.partition("] ")
            print(
                f"   {statistics.mean(times):7.2f} {max(times):7.2f} "
                f"{len(times) / len(traced):5.1f}x  {origin.lstrip('[')}"
            )
            print(f"{'':27}{_gist(text)}")
        sampler = StackSampler()
        with sampler.sampling():
            for i in range(PROFILED_REQUESTS):
                check(operation, probe.call(builders[operation](20_000 + i))[0])
        total = sampler.seconds or 1.0
        print(
            f"   sampled {len(sampler.samples)} stacks ({sampler.seconds * 1000:.0f} ms) over "
            f"{PROFILED_REQUESTS} more requests; share of the time:"
        )
        sections = (
            ("by what the innermost frame does", sampler.categories(), 6),
            ("in these broker functions (cumulative)", sampler.broker_functions(), 10),
            ("at this innermost broker line", sampler.broker_lines(), 8),
            ("innermost frame", sampler.callees(), 8),
        )
        for title, counts, top in sections:
            print(f"   {title}:")
            for name, seconds in counts.most_common(top):
                print(f"   {100 * seconds / total:5.1f}%  {name}")


def _gist(statement: str, width: int = 110) -> str:
    """The statement from its first FROM on (the column lists say little), cut to ``width``."""
    verb, found, rest = statement.partition(" FROM ")
    short = f"{verb.split(' ', 1)[0]} ... FROM {rest}" if found else statement
    return short if len(short) <= width else short[: width - 3] + "..."


def _traced(
    probe: Probe, operation: str, build: Callable[[int], Callable[[], httpx.Response]], count: int
) -> list[Sample]:
    """``count`` more requests, each statement labelled with the broker function that ran it."""
    probe.origins = True
    try:
        samples = []
        for i in range(count):
            response, sample = probe.call(build(10_000 + i))
            check(operation, response)
            samples.append(sample)
        return samples
    finally:
        probe.origins = False


# ---------------------------------------------------------------- report


def _cell(low: int, high: int) -> str:
    return str(low) if low == high else f"{low}-{high}"


def print_figures(run: Run) -> None:
    print(f"\n{run.label}: {run.seeded.shape.label()}")
    print(f"seeded {sum(run.seeded.rows.values()):,} rows in {run.seeded.seconds:.1f} s:")
    print("  " + ", ".join(f"{name} {count:,}" for name, count in run.seeded.rows.items()))
    print(
        "  in-process (client and app share this interpreter; the latencies are for comparing "
        "runs, the targets apply to the served figures)"
    )
    header = (
        f"{'operation':<18}{'requests':>9}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}{'statements':>12}"
    )
    print(header)
    print("-" * len(header))
    for operation in OPERATIONS:
        found = run.measured[operation]
        print(
            f"{operation:<18}{len(found.samples):>9}{found.percentile(0.5):>9.1f}"
            f"{found.percentile(0.95):>9.1f}{max(s.latency_ms for s in found.samples):>9.1f}"
            f"{_cell(*found.statement_range()):>12}"
        )
    for note in run.notes:
        print(f"  {note}")


def _spread(latencies: list[float]) -> str:
    """p50 / p95 / max in ms."""
    return " / ".join(
        f"{value:.1f}"
        for value in (percentile(latencies, 0.5), percentile(latencies, 0.95), max(latencies))
    )


def print_served(runs: list[ServedRun], requests: int) -> None:
    """Each configuration's figures, then the whole run as one markdown table."""
    width = max(len(run.label) for run in runs) + 2
    print(
        f"\nServed by broker processes over HTTP: one client, {requests} requests per "
        "operation (ms; targets are p95)"
    )
    header = (
        f"{'configuration':<{width}}{'operation':<18}{'p50':>8}{'p95':>8}{'max':>8}"
        f"  {'target':<9}result"
    )
    print(header)
    print("-" * len(header))
    for run in runs:
        for operation in OPERATIONS:
            latencies = run.latencies_ms[operation]
            p95 = percentile(latencies, 0.95)
            target = TARGETS.get(operation)
            result = "-" if target is None else ("PASS" if p95 <= target else "FAIL")
            print(
                f"{run.label:<{width}}{operation:<18}{percentile(latencies, 0.5):>8.1f}"
                f"{p95:>8.1f}{max(latencies):>8.1f}"
                f"  {'-' if target is None else f'<= {target:.0f}':<9}{result}"
            )
    publishers = runs[0].throughput.publishers
    seconds = runs[0].throughput.seconds
    print(
        f"\nPublishes from {publishers} concurrent clients (threads of this process, each on its "
        f"own kept-alive connections), {seconds:.0f} s measured after a warm-up:"
    )
    header = (
        f"{'configuration':<{width}}{'publishes/s':>12}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}"
        f"{'errors':>8}  CPU: client, each server process (share of one core); all cores busy"
    )
    print(header)
    print("-" * len(header))
    for run in runs:
        found = run.throughput
        latencies = found.latencies_ms or [math.nan]
        print(
            f"{run.label:<{width}}{found.per_second:>12.1f}{percentile(latencies, 0.5):>9.1f}"
            f"{percentile(latencies, 0.95):>9.1f}{max(latencies):>9.1f}"
            f"{sum(found.errors.values()):>8}  {100 * found.client_cpu_share:.0f}%; "
            + " + ".join(f"{100 * share:.0f}%" for share in found.server_cpu_shares)
            + f"; {100 * found.machine_busy:.0f}%"
        )
        if found.errors:
            listed = ", ".join(f"{status} x{count}" for status, count in found.errors.items())
            print(f"{'':<{width}}errors: {listed}")
        for traceback in run.tracebacks:
            print(
                f"{'':<{width}}broker traceback x{traceback.count}: {traceback.exception} "
                f"at {traceback.where}"
            )
    print(
        f"\n| | p50/p95/max can-i-deploy | for-verification | publish | "
        f"publishes/s with {publishers} concurrent clients (p95) |"
    )
    print("|---|---|---|---|---|")
    for run in runs:
        found = run.throughput
        errors = sum(found.errors.values())
        p95 = percentile(found.latencies_ms or [math.nan], 0.95)
        throughput = f"{found.per_second:.0f} ({p95:.0f} ms)"
        if errors:
            throughput += f", {errors} errors"
        cells = [_spread(run.latencies_ms[o]) for o in (CAN_I_DEPLOY, FOR_VERIFICATION, PUBLISH)]
        print(f"| {run.label} | {' | '.join(cells)} | {throughput} |")


def print_comparison(small: Run, large: Run) -> bool:
    """Statements per request on both datasets; True when every operation has the same."""
    print("\nSQL statements per request, small vs large dataset (must not grow with the data):")
    header = f"{'operation':<18}{'small':>10}{'large':>10}  same"
    print(header)
    print("-" * len(header))
    same_everywhere = True
    for operation in OPERATIONS:
        a = small.measured[operation].statement_range()
        b = large.measured[operation].statement_range()
        same = a == b
        same_everywhere &= same
        print(f"{operation:<18}{_cell(*a):>10}{_cell(*b):>10}  {'yes' if same else 'NO'}")
    return same_everywhere


# ---------------------------------------------------------------- main


def _machine() -> str:
    """Cores and load: figures from a busy machine are not comparable with a quiet one's."""
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    return f"{os.cpu_count()} cores, load average {load}"


def _databases(args: argparse.Namespace, stack: ExitStack) -> tuple[str, Callable[[str], str]]:
    """What the runs use, and a function giving the URL of an empty database for a run name."""
    if args.throwaway_postgres:
        # The cluster helper lives with the broker's tests, outside any installed package.
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
        make = stack.enter_context(throwaway_postgres_cluster())
        return "PostgreSQL (throwaway cluster)", lambda _name: make()
    if args.database_url:
        given: str = args.database_url
        return _safe(given), lambda _name: given
    folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-broker-")))
    return "SQLite (a fresh file in a temp dir)", lambda name: f"sqlite:///{folder / name}.sqlite"


def _database_name(url: str) -> str:
    """The row label's database: SQLite, PostgreSQL, or the dialect's own name."""
    backend = make_url(url).get_backend_name()
    return {"sqlite": "SQLite", "postgresql": "PostgreSQL"}.get(backend, backend)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    default = Shape()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--consumers", type=int, default=default.consumers)
    parser.add_argument("--consumer-versions", type=int, default=default.consumer_versions)
    parser.add_argument("--providers", type=int, default=default.providers)
    parser.add_argument("--provider-versions", type=int, default=default.provider_versions)
    parser.add_argument("--verifications", type=int, default=default.verifications)
    parser.add_argument("--requests", type=int, default=200, help="measured per operation")
    parser.add_argument(
        "--database-url",
        default=os.environ.get(DATABASE_URL_VARIABLE, ""),
        help=f"an EMPTY database to fill (also ${DATABASE_URL_VARIABLE}); "
        "default: a fresh SQLite file in a temp dir",
    )
    parser.add_argument(
        "--throwaway-postgres",
        action="store_true",
        help="run on a private PostgreSQL cluster, started and removed here",
    )
    parser.add_argument(
        "--no-compare-small",
        dest="compare_small",
        action="store_false",
        help="skip the small dataset (2 consumers x 20 versions) and the statement comparison",
    )
    parser.add_argument(
        "--profile", action="store_true", help="show where each operation's time goes"
    )
    served = parser.add_argument_group(
        "served pass", "broker processes on the seeded database, timed over HTTP"
    )
    served.add_argument(
        "--workers", type=int, default=1, help="server processes sharing one port (default: 1)"
    )
    served.add_argument(
        "--replicas",
        type=int,
        default=1,
        help="separate servers on their own ports, taken in turn by the client (default: 1)",
    )
    served.add_argument(
        "--configurations",
        default="",
        help="several configurations one after another on the same database, instead of "
        "--workers/--replicas: e.g. 1w,2w,2r (Nw: N workers; Nr: N replicas; 2r2w: both)",
    )
    served.add_argument(
        "--publishers",
        type=int,
        default=8,
        help="concurrent clients publishing for the throughput figure (default: 8)",
    )
    served.add_argument(
        "--publish-seconds",
        type=float,
        default=10.0,
        help="measured seconds of concurrent publishing, after a warm-up (default: 10)",
    )
    args = parser.parse_args(argv)
    for name in ("consumers", "consumer_versions", "providers", "provider_versions", "requests"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.verifications < 0:
        parser.error("--verifications cannot be negative")
    if args.database_url and args.throwaway_postgres:
        parser.error("--database-url and --throwaway-postgres exclude each other")
    for name in ("workers", "replicas", "publishers"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be at least 1")
    if args.publish_seconds <= 0:
        parser.error("--publish-seconds must be more than 0")
    if args.configurations:
        if (args.workers, args.replicas) != (1, 1):
            parser.error("give either --configurations or --workers/--replicas")
        try:
            args.configurations = parse_configurations(args.configurations)
        except ValueError as error:
            parser.error(f"--configurations: {error}")
        if not args.configurations:
            parser.error("--configurations lists no configuration")
    else:
        args.configurations = [Configuration(args.workers, args.replicas)]
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # The broker's defaults, whatever the calling shell configures (no auth, no public URL).
    for name in [k for k in os.environ if k.startswith("PACT_BROKER_")]:
        del os.environ[name]
    large = Shape(
        args.consumers,
        args.consumer_versions,
        args.providers,
        args.provider_versions,
        args.verifications,
    )
    started = time.perf_counter()
    served_runs: list[ServedRun] = []
    with ExitStack() as stack:
        engine, new_database = _databases(args, stack)
        print(f"broker benchmark on {engine}; {_machine()}")
        small = None
        if args.compare_small:
            small_url = new_database("small")
            small = run_dataset(
                "small dataset", SMALL, small_url, requests=args.requests, profile=False
            )
            if args.database_url:
                _wipe(small_url)  # the given database is reused for the large dataset
        large_url = new_database("large")
        large_run = run_dataset(
            "large dataset",
            large,
            large_url,
            requests=args.requests,
            profile=args.profile,
        )
        logs = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-servers-")))
        for configuration in args.configurations:
            served_runs.append(
                run_served(
                    f"{_database_name(large_url)}, {configuration.describe()}",
                    configuration,
                    large_run.seeded,
                    large_url,
                    logs,
                    requests=args.requests,
                    warmup=_warmup(args.requests),
                    publishers=args.publishers,
                    seconds=args.publish_seconds,
                    say=print,
                )
            )
    print(f"\n==== broker benchmark on {engine}, {args.requests} requests per operation")
    print_figures(large_run)
    if small is not None:
        print_figures(small)
        same = print_comparison(small, large_run)
        print(
            "statements per request are the same on both datasets"
            if same
            else "statements per request DIFFER between the datasets: look for a query per row"
        )
    print_served(served_runs, args.requests)
    print(f"\nwhole run: {time.perf_counter() - started:.0f} s; {_machine()}")
    failed = [run.label for run in served_runs if run.throughput.errors or run.tracebacks]
    if failed:
        print(f"requests FAILED under concurrent publishing: {', '.join(failed)} (see above)")
        return 1
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as error:
        sys.exit(f"bench-broker: {error}")
