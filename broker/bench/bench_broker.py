"""Broker benchmark: seed a large database, then time the pipeline's requests over real HTTP.

Run in the broker tier's environment (``uv run invoke bench-broker``, or from ``broker/``:
``python bench/bench_broker.py --help``). For publish, pacts-for-verification, GET pact and
can-i-deploy it prints p50/p95/max latency and SQL statements per request, then the same counts
for a small dataset: a request whose statement count grows with the data has an N+1 in it.
``--profile`` then shows where the time of each operation goes (SQL by statement, Python by
function, from a stack sampler). A benchmark, not a test: the targets are for a 2-core machine.
"""

from __future__ import annotations

import argparse
import base64
import copy
import json
import os
import random
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2 as httpx
from dataset import BRANCH, PRODUCTION, Seeded, Shape, seed
from harness import Probe, Sample, ServedApp, StackSampler, client_for, normalize_sql
from sqlalchemy import MetaData, inspect
from sqlalchemy.engine import make_url

from contract_broker.db import Database, migrate
from contract_broker.main import create_app
from contract_broker.settings import Settings

PUBLISH = "publish"
FOR_VERIFICATION = "for-verification"
GET_PACT = "GET pact"
CAN_I_DEPLOY = "can-i-deploy"
OPERATIONS = (PUBLISH, FOR_VERIFICATION, GET_PACT, CAN_I_DEPLOY)
# p95 targets in ms on the reference 2-core machine; GET pact has none.
TARGETS: dict[str, float] = {CAN_I_DEPLOY: 20.0, FOR_VERIFICATION: 50.0, PUBLISH: 30.0}
SMALL = Shape(
    consumers=2, consumer_versions=20, providers=2, provider_versions=40, verifications=400
)
DATABASE_URL_VARIABLE = "BENCH_BROKER_DATABASE_URL"
PROFILED_REQUESTS = 60


class BenchError(RuntimeError):
    """A request failed or the database cannot be used: the figures would mean nothing."""


@dataclass
class Measured:
    """The samples of one operation."""

    operation: str
    samples: list[Sample] = field(default_factory=list)

    def percentile(self, fraction: float) -> float:
        ordered = sorted(s.latency_ms for s in self.samples)
        return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]

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


# ---------------------------------------------------------------- requests


def _publish_body(consumer: str, version: str, pacts: list[dict[str, Any]]) -> bytes:
    """A ``POST /contracts/publish`` body as ``pact broker publish`` sends it."""
    return json.dumps(
        {
            "pacticipantName": consumer,
            "pacticipantVersionNumber": version,
            "branch": BRANCH,
            "tags": [],
            "buildUrl": f"https://ci.example.com/{consumer}/{version}",
            "contracts": [
                {
                    "consumerName": consumer,
                    "providerName": pact["provider"]["name"],
                    "specification": "pact",
                    "contentType": "application/json",
                    "content": base64.b64encode(json.dumps(pact).encode()).decode(),
                    "onConflict": "overwrite",
                }
                for pact in pacts
            ],
        }
    ).encode()


@dataclass
class Requests:
    """Builds each operation's i-th request from the seeded data (same choices every run)."""

    seeded: Seeded
    client: httpx.Client
    pact_urls: list[str] = field(default_factory=list)
    rng: random.Random = field(default_factory=lambda: random.Random(7))
    published: int = 0

    def for_verification(self, i: int) -> Callable[[], httpx.Response]:
        verified = [p for p in self.seeded.providers if self._has_consumers(p)]
        provider = verified[i % len(verified)]
        body = json.dumps(
            {
                "consumerVersionSelectors": [
                    {"mainBranch": True},
                    {"deployedOrReleased": True},
                    {"matchingBranch": True},
                ],
                "providerVersionBranch": BRANCH,
                "includePendingStatus": True,
                "includeWipPactsSince": self.seeded.wip_since.isoformat(),
            }
        ).encode()
        url = f"/pacts/provider/{provider}/for-verification"
        return lambda: self.client.post(url, content=body, headers=_JSON)

    def get_pact(self, i: int) -> Callable[[], httpx.Response]:
        if not self.pact_urls:
            raise BenchError("for-verification returned no pacts: nothing to GET")
        url = self.pact_urls[i % len(self.pact_urls)]
        return lambda: self.client.get(url, headers=_HAL)

    def can_i_deploy(self, i: int) -> Callable[[], httpx.Response]:
        """In turn a consumer version and a provider version, to production: any version, or
        one of the newest (what a pipeline asks about)."""
        names = self.seeded.consumers if i % 2 == 0 else self.seeded.providers
        numbers = self.seeded.consumer_numbers if i % 2 == 0 else self.seeded.provider_numbers
        name = self.rng.choice(names)
        versions = numbers[name]
        if i % 4 >= 2:
            versions = versions[-max(1, len(versions) // 20) :]
        number = self.rng.choice(versions)
        # Raw brackets, as the pact CLI sends them.
        url = (
            f"/matrix?q[][pacticipant]={name}&q[][version]={number}"
            f"&latestby=cvpv&environment={PRODUCTION}"
        )
        return lambda: self.client.get(url, headers=_HAL)

    def publish(self, i: int) -> Callable[[], httpx.Response]:
        """A new version of a consumer: its current content (even i) or new content (odd i)."""
        consumers = self.seeded.consumers
        consumer = consumers[i % len(consumers)]
        self.published += 1
        version = f"9.0.{self.published}"
        pacts = [
            self.seeded.latest_content[consumer, p] for p in self.seeded.providers_of[consumer]
        ]
        if i % 2 == 1:
            pacts = [_changed(pact, version) for pact in pacts]
        body = _publish_body(consumer, version, pacts)
        return lambda: self.client.post("/contracts/publish", content=body, headers=_JSON)

    def _has_consumers(self, provider: str) -> bool:
        return any(provider in providers for providers in self.seeded.providers_of.values())


def _changed(pact: dict[str, Any], version: str) -> dict[str, Any]:
    """``pact`` with new content: its first response body gains a field."""
    changed = copy.deepcopy(pact)
    changed["interactions"][0]["response"]["body"]["publishedBy"] = version
    return changed


_JSON = {"Content-Type": "application/json", "Accept": "application/hal+json"}
_HAL = {"Accept": "application/hal+json"}


def _check(operation: str, response: httpx.Response) -> httpx.Response:
    if response.status_code != 200:
        raise BenchError(
            f"{operation}: {response.request.method} {response.request.url} answered "
            f"{response.status_code}: {response.text[:500]}"
        )
    return response


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
        _check(operation, response)
        if on_response is not None:
            on_response(response)
        if i >= warmup:
            measured.samples.append(sample)
    return measured


def _collect_pact_urls(target: list[str]) -> Callable[[httpx.Response], None]:
    def collect(response: httpx.Response) -> None:
        for pact in response.json()["_embedded"]["pacts"]:
            url = pact["_links"]["self"]["href"]
            if url not in target:
                target.append(url)

    return collect


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
    warmup = max(5, requests // 10)
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
            on_response=_collect_pact_urls(build.pact_urls),
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
    builders = {
        FOR_VERIFICATION: build.for_verification,
        GET_PACT: build.get_pact,
        CAN_I_DEPLOY: build.can_i_deploy,
        PUBLISH: build.publish,
    }
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
                _check(operation, probe.call(builders[operation](20_000 + i))[0])
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
            _check(operation, response)
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
    header = (
        f"{'operation':<18}{'requests':>9}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}"
        f"{'statements':>12}  {'target p95':<12}{'result':<6}"
    )
    print(header)
    print("-" * len(header))
    for operation in OPERATIONS:
        found = run.measured[operation]
        p95 = found.percentile(0.95)
        target = TARGETS.get(operation)
        result = "-" if target is None else ("PASS" if p95 <= target else "FAIL")
        print(
            f"{operation:<18}{len(found.samples):>9}{found.percentile(0.5):>9.1f}{p95:>9.1f}"
            f"{max(s.latency_ms for s in found.samples):>9.1f}"
            f"{_cell(*found.statement_range()):>12}  "
            f"{'-' if target is None else f'<= {target:.0f} ms':<12}{result:<6}"
        )
    for note in run.notes:
        print(f"  {note}")


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


@contextmanager
def _throwaway_postgres() -> Iterator[Callable[[], str]]:
    """A private PostgreSQL cluster (the broker tests' own helper); yields a database maker."""
    # The helper lives with the broker's tests, outside any package this tool can import.
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from tests.support.postgres import ThrowawayPostgres

    with ThrowawayPostgres() as server:
        yield server.create_database


def _databases(args: argparse.Namespace, stack: ExitStack) -> tuple[str, Callable[[str], str]]:
    """What the runs use, and a function giving the URL of an empty database for a run name."""
    if args.throwaway_postgres:
        make = stack.enter_context(_throwaway_postgres())
        return "PostgreSQL (throwaway cluster)", lambda _name: make()
    if args.database_url:
        given: str = args.database_url
        return _safe(given), lambda _name: given
    folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-broker-")))
    return "SQLite (a fresh file in a temp dir)", lambda name: f"sqlite:///{folder / name}.sqlite"


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
    args = parser.parse_args(argv)
    for name in ("consumers", "consumer_versions", "providers", "provider_versions", "requests"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.verifications < 0:
        parser.error("--verifications cannot be negative")
    if args.database_url and args.throwaway_postgres:
        parser.error("--database-url and --throwaway-postgres exclude each other")
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
        large_run = run_dataset(
            "large dataset",
            large,
            new_database("large"),
            requests=args.requests,
            profile=args.profile,
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
    print(f"\nwhole run: {time.perf_counter() - started:.0f} s; {_machine()}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as error:
        sys.exit(f"bench-broker: {error}")
