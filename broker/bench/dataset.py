"""The benchmark's data: a broker database of a realistic shape, bulk-inserted in a few seconds.

Rows go straight into the models' tables (SQLAlchemy Core executemany, ids assigned here), in
the shape a busy broker builds up over a year of pipelines:

- every consumer version is on branch ``main``; every tenth is also on a short feature branch;
  every twentieth is tagged ``release``;
- each consumer version publishes a pact to its primary provider, and every other one also to
  a secondary provider; the content changes every ``CONTENT_CHANGES_EVERY`` versions, so many
  consumer versions share one pact version (SHA);
- provider versions are on ``main`` and verify, as they are built, the content current at that
  moment and a few older ones (what is deployed) — mostly successfully;
- ``test`` and ``production`` each have a deployment history (the last one current) for every
  pacticipant, and some consumers are mobile apps with released versions in production.

The pact documents are real pact JSON; their SHAs, interaction ids and stored text come from the
broker's own functions, so the rows are what ``POST /contracts/publish`` would have stored.
"""

from __future__ import annotations

import bisect
import itertools
import math
import random
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, cast

from sqlalchemy import Connection, Table, func, insert, select, text

from contract_broker.db import Database
from contract_broker.models import (
    Branch,
    BranchVersion,
    DeployedVersion,
    Environment,
    Pacticipant,
    PactPublication,
    PactVersion,
    ReleasedVersion,
    Tag,
    Verification,
    Version,
)
from contract_broker.services.content import canonical_json, pact_sha, with_interaction_ids
from contract_broker.services.names import display_name_for

__all__ = [
    "BRANCH",
    "PRODUCTION",
    "Seeded",
    "Shape",
    "pact_document",
    "seed",
]

BRANCH = "main"
RELEASE_TAG = "release"
TEST = "test"
PRODUCTION = "production"
CONTENT_CHANGES_EVERY = 10
FEATURE_BRANCH_EVERY = 10
TAG_EVERY = 20
SUCCESS_RATE = 0.95
INTERACTIONS = 10  # the same size whatever the revision: small and large runs compare
BATCH = 5_000
HISTORY = timedelta(days=365)
# (every how many versions a deployment happens, how many versions it lags behind the newest)
CONSUMER_DEPLOYS = {TEST: (10, 2), PRODUCTION: (50, 20)}
PROVIDER_DEPLOYS = {TEST: (10, 2), PRODUCTION: (40, 30)}
MOBILE_EVERY = 4  # every fourth consumer releases (mobile app) instead of only deploying
RELEASE_EVERY = 100
SUPPORTED_RELEASES = 2


@dataclass(frozen=True)
class Shape:
    """How much data: pacticipants, versions of each, and verification results overall."""

    consumers: int = 20
    consumer_versions: int = 500
    providers: int = 5
    provider_versions: int = 1_000
    verifications: int = 100_000

    def label(self) -> str:
        return (
            f"{self.consumers} consumers x {self.consumer_versions} versions, "
            f"{self.providers} providers x {self.provider_versions} versions, "
            f"{self.verifications:,} verifications"
        )


@dataclass
class Seeded:
    """What the requests are built from: names, version numbers, pacts, the WIP date."""

    shape: Shape
    consumers: list[str]
    providers: list[str]
    providers_of: dict[str, list[str]]
    consumer_numbers: dict[str, list[str]]
    provider_numbers: dict[str, list[str]]
    latest_content: dict[tuple[str, str], dict[str, Any]]
    wip_since: date
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def consumer_name(index: int) -> str:
    return f"consumer-{index:02d}"


def provider_name(index: int) -> str:
    return f"provider-{index}"


def consumer_number(index: int) -> str:
    return f"1.{index // 100}.{index % 100}"


def provider_number(index: int) -> str:
    return f"2.{index // 100}.{index % 100}"


def _interaction(provider: str, n: int, revision: int) -> dict[str, Any]:
    resource = provider.replace("-", "_")
    body: dict[str, Any] = {"id": n, "name": f"{resource} {n}", "active": True}
    if n == revision % INTERACTIONS:
        body[f"field_{revision}"] = f"added in revision {revision}"
    return {
        "description": f"a request for {resource} {n}",
        "providerStates": [{"name": f"{resource} {n} exists", "params": {"id": n}}],
        "request": {
            "method": "GET",
            "path": f"/{resource}/{n}",
            "headers": {"Accept": "application/json"},
        },
        "response": {
            "status": 200,
            "headers": {"Content-Type": "application/json"},
            "body": body,
            "matchingRules": {
                "body": {
                    "$.name": {"combine": "AND", "matchers": [{"match": "type"}]},
                    "$.id": {"combine": "AND", "matchers": [{"match": "integer"}]},
                }
            },
        },
    }


def pact_document(consumer: str, provider: str, revision: int) -> dict[str, Any]:
    """A V3 pact of ``INTERACTIONS`` interactions; each revision changes one response body."""
    return {
        "consumer": {"name": consumer},
        "provider": {"name": provider},
        "interactions": [_interaction(provider, n, revision) for n in range(INTERACTIONS)],
        "metadata": {
            "pactSpecification": {"version": "3.0.0"},
            "pactRust": {"ffi": "0.4.22", "models": "1.2.3"},
        },
    }


def _table(model: type[Any]) -> Table:
    return cast(Table, model.__table__)


@dataclass
class _Rows:
    """Rows per table, in insertion order (parents before children)."""

    tables: dict[str, tuple[Table, list[dict[str, Any]]]] = field(default_factory=dict)

    def add(self, model: type[Any], row: dict[str, Any]) -> None:
        table = _table(model)
        self.tables.setdefault(table.name, (table, []))[1].append(row)


@dataclass(frozen=True)
class _Timeline:
    """When things happened: versions spread evenly over the year before now."""

    start: datetime
    shape: Shape

    def consumer_version(self, consumer: int, version: int) -> datetime:
        offset = (version + (consumer + 0.5) / self.shape.consumers) / self.shape.consumer_versions
        return self.start + HISTORY * offset

    def provider_version(self, provider: int, version: int) -> datetime:
        offset = (version + (provider + 0.5) / self.shape.providers) / self.shape.provider_versions
        return self.start + HISTORY * offset

    def consumer_versions_before(self, consumer: int, moment: datetime) -> int:
        """The index of the consumer's newest version at ``moment`` (-1: none yet)."""
        fraction = (moment - self.start) / HISTORY
        return math.floor(
            fraction * self.shape.consumer_versions - (consumer + 0.5) / self.shape.consumers
        )


def _deployments(count: int, cadence: int, lag: int) -> list[int]:
    """Indexes of the versions deployed, oldest first (the last one is current)."""
    return list(range(cadence - 1, count - lag, cadence)) or [0]


def seed(database: Database, shape: Shape, *, progress: Callable[[str], None]) -> Seeded:
    """Fill an empty, migrated database with ``shape``'s data; returns what requests need."""
    started = time.perf_counter()
    builder = _Builder(shape)
    builder.build()
    progress(f"  rows built in {time.perf_counter() - started:.1f} s")
    counts = _insert(database, builder.rows, progress=progress)
    return Seeded(
        shape=shape,
        consumers=builder.consumers,
        providers=builder.providers,
        providers_of={
            name: [builder.providers[p] for p in builder.providers_of(c)]
            for c, name in enumerate(builder.consumers)
        },
        consumer_numbers={
            name: [consumer_number(v) for v in range(shape.consumer_versions)]
            for name in builder.consumers
        },
        provider_numbers={
            name: [provider_number(k) for k in range(shape.provider_versions)]
            for name in builder.providers
        },
        latest_content=builder.latest_content,
        wip_since=(builder.timeline.start + HISTORY * 0.9).date(),
        rows=counts,
        seconds=time.perf_counter() - started,
    )


class _Builder:
    """Builds every row in memory; consumer ``c``, provider ``p`` and version indexes ``v``
    (consumer) and ``k`` (provider) count from 0, database ids from 1."""

    def __init__(self, shape: Shape) -> None:
        self.shape = shape
        self.rng = random.Random(20_240_101)  # the same data every run
        now = datetime.now(UTC).replace(microsecond=0)
        self.timeline = _Timeline(now - HISTORY - timedelta(days=1), shape)
        self.rows = _Rows()
        self.consumers = [consumer_name(c) for c in range(shape.consumers)]
        self.providers = [provider_name(p) for p in range(shape.providers)]
        self.consumer_version_ids: dict[tuple[int, int], int] = {}
        self.provider_version_ids: dict[tuple[int, int], int] = {}
        self.pact_version_ids: dict[tuple[int, int, int], int] = {}
        self.latest_content: dict[tuple[str, str], dict[str, Any]] = {}
        self.version_times: dict[int, datetime] = {}
        self._ids: dict[str, Iterator[int]] = defaultdict(lambda: itertools.count(1))

    def build(self) -> None:
        self._pacticipants()
        self._versions()
        self._branches_and_tags()
        self._pacts()
        self._verifications()
        self._environments()

    def providers_of(self, c: int) -> list[int]:
        """The consumer's primary provider, then its secondary one (every other version)."""
        primary = c % self.shape.providers
        secondary = (c + 1) % self.shape.providers
        return [primary] if secondary == primary else [primary, secondary]

    def consumer_id(self, c: int) -> int:
        return c + 1

    def provider_id(self, p: int) -> int:
        return self.shape.consumers + p + 1

    def add(self, model: type[Any], **row: Any) -> int:
        """Add a row with the next id of its table; returns the id."""
        row["id"] = next(self._ids[_table(model).name])
        self.rows.add(model, row)
        return int(row["id"])

    def _pacticipants(self) -> None:
        for name in self.consumers + self.providers:
            self.add(
                Pacticipant,
                name=name,
                display_name=display_name_for(name),
                main_branch=BRANCH,
                repository_url=f"https://git.example.com/acme/{name}",
                created_at=self.timeline.start,
                updated_at=self.timeline.start,
            )

    def _versions(self) -> None:
        """Ids in creation order across pacticipants, as the broker assigns them."""
        shape, timeline = self.shape, self.timeline
        events = [
            (timeline.consumer_version(c, v), False, c, v)
            for c in range(shape.consumers)
            for v in range(shape.consumer_versions)
        ]
        events += [
            (timeline.provider_version(p, k), True, p, k)
            for p in range(shape.providers)
            for k in range(shape.provider_versions)
        ]
        for moment, is_provider, who, index in sorted(events):
            if is_provider:
                pacticipant_id, number = self.provider_id(who), provider_number(index)
            else:
                pacticipant_id, number = self.consumer_id(who), consumer_number(index)
            version_id = self.add(
                Version,
                pacticipant_id=pacticipant_id,
                number=number,
                created_at=moment,
                updated_at=moment,
            )
            ids = self.provider_version_ids if is_provider else self.consumer_version_ids
            ids[who, index] = version_id
            self.version_times[version_id] = moment

    def _branch(self, pacticipant_id: int, name: str, at: datetime) -> int:
        return self.add(Branch, pacticipant_id=pacticipant_id, name=name, created_at=at)

    def _on_branch(self, branch_id: int, name: str, pacticipant_id: int, version_id: int) -> None:
        self.add(
            BranchVersion,
            branch_id=branch_id,
            version_id=version_id,
            pacticipant_id=pacticipant_id,
            branch_name=name,
            created_at=self.version_times[version_id],
        )

    def _branches_and_tags(self) -> None:
        shape, timeline = self.shape, self.timeline
        for c in range(shape.consumers):
            pacticipant_id = self.consumer_id(c)
            main = self._branch(pacticipant_id, BRANCH, timeline.consumer_version(c, 0))
            for v in range(shape.consumer_versions):
                version_id = self.consumer_version_ids[c, v]
                self._on_branch(main, BRANCH, pacticipant_id, version_id)
                if v % FEATURE_BRANCH_EVERY == FEATURE_BRANCH_EVERY - 1:
                    name = f"feat/{c:02d}-{v // FEATURE_BRANCH_EVERY}"
                    feature = self._branch(pacticipant_id, name, timeline.consumer_version(c, v))
                    self._on_branch(feature, name, pacticipant_id, version_id)
                if v % TAG_EVERY == 0:
                    self.add(
                        Tag,
                        name=RELEASE_TAG,
                        version_id=version_id,
                        pacticipant_id=pacticipant_id,
                        created_at=timeline.consumer_version(c, v),
                    )
        for p in range(shape.providers):
            pacticipant_id = self.provider_id(p)
            main = self._branch(pacticipant_id, BRANCH, timeline.provider_version(p, 0))
            for k in range(shape.provider_versions):
                self._on_branch(main, BRANCH, pacticipant_id, self.provider_version_ids[p, k])

    def _pacts(self) -> None:
        """A pact version per distinct content; a publication per consumer version and provider."""
        for c, consumer in enumerate(self.consumers):
            primary, *secondary = self.providers_of(c)
            for v in range(self.shape.consumer_versions):
                at = self.timeline.consumer_version(c, v)
                for p in [primary] + (secondary if v % 2 == 0 else []):
                    key = (c, p, v // CONTENT_CHANGES_EVERY)
                    if key not in self.pact_version_ids:
                        document = pact_document(consumer, self.providers[p], key[2])
                        self.latest_content[consumer, self.providers[p]] = document
                        self.pact_version_ids[key] = self.add(
                            PactVersion,
                            consumer_id=self.consumer_id(c),
                            provider_id=self.provider_id(p),
                            sha=pact_sha(document),
                            content=canonical_json(with_interaction_ids(document)),
                            created_at=at,
                        )
                    self.add(
                        PactPublication,
                        consumer_version_id=self.consumer_version_ids[c, v],
                        consumer_id=self.consumer_id(c),
                        provider_id=self.provider_id(p),
                        pact_version_id=self.pact_version_ids[key],
                        revision_number=1,
                        created_at=at,
                        updated_at=at,
                    )

    def _verifications(self) -> None:
        """Each provider build verifies, consumer by consumer, the main branch head, then what
        is deployed to production and to test at that moment, then older contents: as many as
        its share of ``shape.verifications`` (each content once per build)."""
        shape = self.shape
        pairs: dict[int, list[tuple[int, bool]]] = {p: [] for p in range(shape.providers)}
        for c in range(shape.consumers):
            for position, p in enumerate(self.providers_of(c)):
                pairs[p].append((c, position == 1))
        builds = shape.providers * shape.provider_versions
        per_build = math.ceil(shape.verifications / builds)
        numbers: Counter[int] = Counter()
        made = 0
        for k in range(shape.provider_versions):
            for p in range(shape.providers):
                at = self.timeline.provider_version(p, k) + timedelta(minutes=5)
                newest = {c: self.timeline.consumer_versions_before(c, at) for c, _ in pairs[p]}
                done: set[int] = set()
                for round_ in range(per_build + len(CONSUMER_DEPLOYS) + 1):
                    for c, every_other in pairs[p]:
                        if len(done) >= per_build or made >= shape.verifications:
                            break
                        version = self._verified_in_round(round_, newest[c])
                        if version is None:
                            continue
                        if every_other:  # only its even versions have a pact with this provider
                            version -= version % 2
                        pact_version_id = self.pact_version_ids[
                            c, p, version // CONTENT_CHANGES_EVERY
                        ]
                        if pact_version_id in done:
                            continue
                        done.add(pact_version_id)
                        numbers[pact_version_id] += 1
                        made += 1
                        self.add(
                            Verification,
                            pact_version_id=pact_version_id,
                            provider_version_id=self.provider_version_ids[p, k],
                            consumer_id=self.consumer_id(c),
                            provider_id=self.provider_id(p),
                            number=numbers[pact_version_id],
                            success=self.rng.random() < SUCCESS_RATE,
                            provider_branch=BRANCH,
                            wip=False,
                            execution_date=at,
                            created_at=at,
                        )

    def _verified_in_round(self, round_: int, newest: int) -> int | None:
        """The consumer version whose content a build verifies in this round (None: none)."""
        if newest < 0:
            return None
        if round_ == 0:
            return newest
        if round_ <= len(CONSUMER_DEPLOYS):
            cadence, lag = CONSUMER_DEPLOYS[(PRODUCTION, TEST)[round_ - 1]]
            deployed = _deployments(self.shape.consumer_versions, cadence, lag)
            position = bisect.bisect_right(deployed, newest)
            return deployed[position - 1] if position else None
        older = newest - (round_ - len(CONSUMER_DEPLOYS)) * CONTENT_CHANGES_EVERY
        return older if older >= 0 else None

    def _environments(self) -> None:
        shape, timeline = self.shape, self.timeline
        environment_ids = {
            name: self.add(
                Environment,
                uuid=str(uuid.uuid5(uuid.NAMESPACE_URL, name)),
                name=name,
                display_name=name.capitalize(),
                production=name == PRODUCTION,
                created_at=timeline.start,
                updated_at=timeline.start,
            )
            for name in (TEST, PRODUCTION)
        }
        for c in range(shape.consumers):
            for environment, (cadence, lag) in CONSUMER_DEPLOYS.items():
                self._deployed(
                    environment_ids[environment],
                    self.consumer_id(c),
                    [
                        (self.consumer_version_ids[c, v], timeline.consumer_version(c, v))
                        for v in _deployments(shape.consumer_versions, cadence, lag)
                    ],
                )
            if c % MOBILE_EVERY == MOBILE_EVERY - 1:
                released = range(RELEASE_EVERY // 2, shape.consumer_versions, RELEASE_EVERY)
                for position, v in enumerate(released):
                    at = timeline.consumer_version(c, v) + timedelta(hours=2)
                    ended = position < len(released) - SUPPORTED_RELEASES
                    self.add(
                        ReleasedVersion,
                        uuid=str(uuid.UUID(int=self.rng.getrandbits(128))),
                        version_id=self.consumer_version_ids[c, v],
                        pacticipant_id=self.consumer_id(c),
                        environment_id=environment_ids[PRODUCTION],
                        created_at=at,
                        support_ended_at=at + timedelta(days=60) if ended else None,
                    )
        for p in range(shape.providers):
            for environment, (cadence, lag) in PROVIDER_DEPLOYS.items():
                self._deployed(
                    environment_ids[environment],
                    self.provider_id(p),
                    [
                        (self.provider_version_ids[p, k], timeline.provider_version(p, k))
                        for k in _deployments(shape.provider_versions, cadence, lag)
                    ],
                )

    def _deployed(
        self, environment_id: int, pacticipant_id: int, history: Sequence[tuple[int, datetime]]
    ) -> None:
        """Each deployment replaced by the next an hour after it was built; the last is current."""
        for (version_id, built), following in zip(history, [*history[1:], None], strict=True):
            self.add(
                DeployedVersion,
                uuid=str(uuid.UUID(int=self.rng.getrandbits(128))),
                version_id=version_id,
                pacticipant_id=pacticipant_id,
                environment_id=environment_id,
                application_instance=None,
                created_at=built + timedelta(hours=1),
                undeployed_at=None if following is None else following[1] + timedelta(hours=1),
            )


def _batches(items: list[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    for begin in range(0, len(items), size):
        yield items[begin : begin + size]


def _insert(database: Database, rows: _Rows, *, progress: Callable[[str], None]) -> dict[str, int]:
    """executemany per table, in one transaction; then sequences, statistics and visibility
    maps as a live PostgreSQL would have them (autovacuum runs after bulk changes)."""
    counts: dict[str, int] = {}
    postgresql = database.engine.dialect.name == "postgresql"
    with database.engine.begin() as connection:
        for name, (table, in_order) in rows.tables.items():
            began = time.perf_counter()
            table_rows = in_order
            if name == "branch_versions":
                # Newest first: the trigger keeping each branch's head (migration 0006) then
                # updates a branch once, not once per version. In one transaction, PostgreSQL
                # walks all of a row's earlier versions on every update: 160,000 memberships in
                # version order took 156 s.
                table_rows = sorted(table_rows, key=lambda row: -row["version_id"])
            for batch in _batches(table_rows, BATCH):
                connection.execute(insert(table), batch)
            counts[name] = len(table_rows)
            progress(
                f"  {name:<20} {len(table_rows):>9,} rows  {time.perf_counter() - began:6.2f} s"
            )
        if postgresql:
            _advance_sequences(connection, (table for table, _ in rows.tables.values()))
    settle(database)
    return counts


def settle(database: Database) -> None:
    """On PostgreSQL, ``VACUUM ANALYZE`` now: what autovacuum does some time after bulk
    changes, done before a measurement instead of in the middle of one."""
    if database.engine.dialect.name != "postgresql":
        return
    with database.engine.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))


def _advance_sequences(connection: Connection, tables: Iterable[Table]) -> None:
    """Ids were given explicitly: move each id sequence past them, or new rows would clash."""
    for table in tables:
        sequence = func.pg_get_serial_sequence(table.name, "id")
        newest = select(func.max(table.c.id)).scalar_subquery()
        connection.execute(select(func.setval(sequence, newest)))
